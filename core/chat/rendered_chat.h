// A model's chat template renders a dialogue as text; this turns that text into the tokens a
// model sees and marks the assistant's, as transformers does for apply_chat_template's
// assistant mask: the whole text is tokenized at once (special tokens written in it parsed), and
// a token is trained when it holds a character of an assistant span. Torch-free.
#pragma once

#include "core/chat/chat_template.h"
#include "core/chat/jinja/template.h"

#include <string>
#include <utility>
#include <vector>

namespace rlhf::chat {

// Byte ranges [begin, end) of a rendered text.
using TextSpans = std::vector<std::pair<size_t, size_t>>;

// The assistant spans of `messages` rendered by `modelTemplate` as `whole` (add_generation_prompt
// false): its {% generation %} blocks when it has any; else, for each assistant message i, the
// text that rendering messages[0..i] adds to rendering messages[0..i) with the generation prompt,
// as far as it agrees with `whole` (Phi-3's template closes a last turn with eos_token). Throws
// rlhf::Error naming the template's file and the turn when the generation prompt's rendering is
// not a prefix of `whole` (a template that renders earlier turns differently from later ones).
TextSpans assistantSpans(const jinja::ModelTemplate& modelTemplate,
                         const std::vector<data::Message>& messages, const jinja::Rendered& whole);

// `text` tokenized as one piece, each token trained when it overlaps `spans` (transformers'
// rule). Where the tokens' bytes spell the text (byte-level BPE) that is exact; otherwise
// (SentencePiece-style, whose tokens carry "▁" for spaces) a span edge is placed by tokenizing
// the text before it: the tokens that agree with the whole text's lie before the edge, and the
// first that differs is taken to hold it.
EncodedChat tokenizeRendered(const text::Tokenizer& tokenizer, const std::string& text,
                             const TextSpans& spans);

// The messages in the JSON form templates take: [{"role": ..., "content": ...}, ...].
nlohmann::ordered_json messagesJson(const std::vector<data::Message>& messages);

} // namespace rlhf::chat
