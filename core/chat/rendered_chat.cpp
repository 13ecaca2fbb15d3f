#include "core/chat/rendered_chat.h"

#include "core/chat/jinja/model_template.h"
#include "core/text/tokenizer.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <span>

namespace rlhf::chat {

namespace {

bool startsWith(const std::string& text, const std::string& prefix)
{
    return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

std::vector<uint32_t> tokensOf(const text::Tokenizer& tokenizer, std::string_view text)
{
    return tokenizer.encode(text, text::SpecialTokenText::Parse);
}

// How many leading tokens of `whole` lie entirely before byte `edge` of `text`, and whether the
// next one straddles the edge (holds bytes of both sides).
struct Edge {
    size_t before = 0;
    bool straddles = false;
};

Edge edgeOf(const text::Tokenizer& tokenizer, const std::string& text, size_t edge,
            const std::vector<uint32_t>& whole)
{
    if (edge == 0) return {};
    if (edge >= text.size()) return {whole.size(), false};
    const auto prefix = tokensOf(tokenizer, std::string_view(text).substr(0, edge));
    const auto [mine, theirs] =
        std::mismatch(prefix.begin(), prefix.end(), whole.begin(), whole.end());
    const auto agreed = size_t(mine - prefix.begin());
    return {agreed, agreed < prefix.size()};
}

// Where each token of `ids` starts in `text` (and, last, where the final one ends), when the
// tokens' bytes spell `text` exactly: true of byte-level BPE (GPT-2, Llama 3, Qwen), not of
// SentencePiece-style tokenizers, whose tokens hold "▁" for spaces and a prepended one.
std::optional<std::vector<size_t>> byteOffsets(const text::Tokenizer& tokenizer,
                                               const std::string& text,
                                               const std::vector<uint32_t>& ids)
{
    std::vector<size_t> offsets{0};
    offsets.reserve(ids.size() + 1);
    for (const uint32_t id : ids) {
        const std::string bytes = tokenizer.decodeBytes(std::span(&id, 1));
        if (text.compare(offsets.back(), bytes.size(), bytes) != 0) return std::nullopt;
        offsets.push_back(offsets.back() + bytes.size());
    }
    if (offsets.back() != text.size()) return std::nullopt;
    return offsets;
}

} // namespace

nlohmann::ordered_json messagesJson(const std::vector<data::Message>& messages)
{
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const data::Message& message : messages)
        list.push_back({{"role", message.role}, {"content", message.content}});
    return list;
}

TextSpans assistantSpans(const jinja::ModelTemplate& modelTemplate,
                         const std::vector<data::Message>& messages, const jinja::Rendered& whole)
{
    if (!whole.generation.empty()) return whole.generation;
    TextSpans spans;
    for (size_t i = 0; i < messages.size(); ++i) {
        if (messages[i].role != "assistant") continue;
        const std::vector<data::Message> before(messages.begin(), messages.begin() + long(i));
        const std::vector<data::Message> upTo(messages.begin(), messages.begin() + long(i) + 1);
        const std::string prompt = modelTemplate.render(messagesJson(before), true).text;
        if (!startsWith(whole.text, prompt))
            throw Error(modelTemplate.file() +
                        ": the chat template renders the dialogue before "
                        "assistant turn " +
                        std::to_string(i + 1) +
                        " differently once later turns follow, so its tokens cannot be found "
                        "(a template with {% generation %} blocks marks them itself)");
        // As far as the rendering up to the turn agrees with the whole: a template may close
        // the last turn differently (Phi-3 adds its eos_token there).
        const std::string turn = i + 1 == messages.size()
                                     ? whole.text
                                     : modelTemplate.render(messagesJson(upTo), false).text;
        const size_t agreed = size_t(
            std::mismatch(turn.begin(), turn.end(), whole.text.begin(), whole.text.end()).first -
            turn.begin());
        if (agreed > prompt.size()) spans.emplace_back(prompt.size(), agreed);
    }
    return spans;
}

EncodedChat tokenizeRendered(const text::Tokenizer& tokenizer, const std::string& text,
                             const TextSpans& spans)
{
    const auto ids = tokensOf(tokenizer, text);
    EncodedChat chat;
    chat.tokens.assign(ids.begin(), ids.end());
    chat.trained.assign(ids.size(), 0);
    if (const auto offsets = byteOffsets(tokenizer, text, ids)) {
        // transformers' rule: every token overlapping a span.
        for (size_t i = 0; i < ids.size(); ++i)
            for (const auto& [begin, end] : spans)
                if ((*offsets)[i + 1] > begin && (*offsets)[i] < end) chat.trained[i] = 1;
        return chat;
    }
    for (const auto& [begin, end] : spans) {
        if (begin >= end) continue;
        // The token holding the span's first byte, through the one holding its last.
        const size_t first = edgeOf(tokenizer, text, begin, ids).before;
        const Edge last = edgeOf(tokenizer, text, end, ids);
        const size_t stop = std::min(ids.size(), last.before + (last.straddles ? 1 : 0));
        std::fill(chat.trained.begin() + long(std::min(first, stop)),
                  chat.trained.begin() + long(stop), uint8_t(1));
    }
    return chat;
}

} // namespace rlhf::chat
