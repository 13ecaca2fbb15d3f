#include "core/chat/chat_template.h"

#include "core/text/tokenizer.h"
#include "core/util/error.h"

namespace rlhf::chat {

namespace {

int64_t requireToken(const text::Tokenizer& tokenizer, const std::string& token, const char* field)
{
    const auto id = tokenizer.specialTokenId(token);
    if (!id)
        throw Error(std::string("chat_template.") + field +
                    ": the tokenizer has no special token \"" + token + "\"");
    return int64_t(*id);
}

} // namespace

ChatEncoder::ChatEncoder(const text::Tokenizer& tokenizer, const ChatTemplate& chat)
    : m_tokenizer(tokenizer)
{
    if (!chat.bos.empty()) m_bos = requireToken(tokenizer, chat.bos, "bos");
    m_system = requireToken(tokenizer, chat.system, "system");
    m_user = requireToken(tokenizer, chat.user, "user");
    m_assistant = requireToken(tokenizer, chat.assistant, "assistant");
    m_end = requireToken(tokenizer, chat.end, "end");
    // Padding is never attended to nor trained on; the pad token keeps dumps readable.
    const auto pad = tokenizer.specialTokenId(text::special::pad);
    m_pad = pad ? int64_t(*pad) : m_end;
}

void ChatEncoder::appendText(std::string_view text, std::vector<int64_t>& tokens) const
{
    for (const uint32_t id : m_tokenizer.encode(text, text::SpecialTokenText::AsText))
        tokens.push_back(int64_t(id));
}

EncodedChat ChatEncoder::encode(const std::vector<data::Message>& messages) const
{
    EncodedChat chat;
    if (m_bos >= 0) chat.tokens.push_back(m_bos);
    for (const auto& message : messages) {
        if (message.role == "system")
            chat.tokens.push_back(m_system);
        else if (message.role == "user")
            chat.tokens.push_back(m_user);
        else if (message.role == "assistant")
            chat.tokens.push_back(m_assistant);
        else
            throw Error("unknown message role \"" + message.role + "\"");
        chat.trained.resize(chat.tokens.size(), 0); // role tokens are given, never learned
        appendText(message.content, chat.tokens);
        chat.tokens.push_back(m_end);
        chat.trained.resize(chat.tokens.size(), message.role == "assistant" ? 1 : 0);
    }
    return chat;
}

std::vector<int64_t> ChatEncoder::encodePrompt(const std::vector<data::Message>& messages) const
{
    std::vector<int64_t> tokens = encode(messages).tokens;
    tokens.push_back(m_assistant);
    return tokens;
}

std::vector<int64_t> ChatEncoder::encodeReply(std::string_view reply) const
{
    std::vector<int64_t> tokens;
    appendText(reply, tokens);
    tokens.push_back(m_end);
    return tokens;
}

std::string ChatEncoder::decodeReply(const std::vector<int64_t>& tokens) const
{
    std::vector<uint32_t> ids;
    for (const int64_t token : tokens) {
        if (token == m_end) break;
        ids.push_back(uint32_t(token));
    }
    return m_tokenizer.decode(ids, text::SpecialTokenOutput::Skip);
}

} // namespace rlhf::chat
