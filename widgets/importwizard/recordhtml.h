// Records as simple HTML for a QTextBrowser: a chat as a transcript of labelled, tinted turns, a
// preference pair as its prompt above the chosen and rejected replies side by side, a text as a
// paragraph. Long contents are cut so a preview of a huge record stays fast.
#pragma once

#include "core/data/record.h"

#include <QString>

#include <vector>

namespace rlhf::widgets {

// One record; `maxChars` cuts each content (with "…").
QString recordHtml(const data::Record& record, int maxChars = 1200);

// Several records, each headed by its source file:line, separated by rules.
QString recordsHtml(const std::vector<data::Record>& records, int maxChars = 1200);

} // namespace rlhf::widgets
