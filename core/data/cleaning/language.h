// Language identification of a text with CLD2 (Google's Compact Language Detector 2, as
// Debian packages it): the importer uses it for a dataset's language mix, the language step
// to filter records.
#pragma once

#include <string>
#include <string_view>

namespace rlhf::data {

// The ISO 639-1 code of the main language of `utf8` ("en", "zh", "fr"; a few languages that
// have no two-letter code get CLD2's three-letter one), or "un" when CLD2 cannot tell (empty,
// too short, digits or markup only). `confidence`, when given, receives the share of the
// text's letters in that language in [0, 1], halved when CLD2 deems the guess unreliable or
// it is only CLD2's best-effort guess on a text too short to judge (one word, a short poem);
// 0 for "un". Invalid UTF-8 is repaired first; never throws on any input.
std::string detectLanguage(std::string_view utf8, double* confidence = nullptr);

} // namespace rlhf::data
