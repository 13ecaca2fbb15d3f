#include "core/chat/chat_template.h"

#include "core/chat/jinja/model_template.h"
#include "core/chat/rendered_chat.h"
#include "core/text/tokenizer.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <span>

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

// The special token a model's template writes right after a reply (whitespace aside), else its
// eos_token.
int64_t endOfTurn(const text::Tokenizer& tokenizer, const jinja::ModelTemplate& modelTemplate)
{
    const std::string reply = "Fine, thanks.";
    const std::vector<data::Message> probe = {{"user", "How are you?"}, {"assistant", reply}};
    const std::string text = modelTemplate.render(messagesJson(probe), false).text;
    const size_t at = text.rfind(reply);
    if (at != std::string::npos) {
        // The first special token after the reply, past any whitespace the template puts first.
        for (const uint32_t id : tokenizer.encode(std::string_view(text).substr(at + reply.size()),
                                                  text::SpecialTokenText::Parse)) {
            if (tokenizer.specialTokenId(*tokenizer.idToToken(id))) return int64_t(id);
            const std::string piece = tokenizer.decode(std::span(&id, 1));
            if (piece.find_first_not_of(" \t\r\n") != std::string::npos) break;
        }
    }
    if (const auto eos = modelTemplate.specialToken("eos_token"))
        if (const auto id = tokenizer.tokenToId(*eos)) return int64_t(*id);
    throw Error(modelTemplate.file() +
                ": cannot tell which token ends an assistant turn: the chat template writes no "
                "special token after a reply and names no eos_token the tokenizer has");
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
    if (const auto eos = tokenizer.specialTokenId(text::special::eos)) m_eos = int64_t(*eos);
}

ChatEncoder::ChatEncoder(std::shared_ptr<const jinja::ModelTemplate> modelTemplate,
                         const text::Tokenizer& tokenizer)
    : m_tokenizer(tokenizer), m_model(std::move(modelTemplate))
{
    m_end = endOfTurn(tokenizer, *m_model);
    m_pad = m_end;
    if (const auto pad = m_model->specialToken("pad_token"))
        if (const auto id = tokenizer.tokenToId(*pad)) m_pad = int64_t(*id);
    if (const auto eos = m_model->specialToken("eos_token"))
        if (const auto id = tokenizer.tokenToId(*eos)) m_eos = int64_t(*id);
}

ChatEncoder ChatEncoder::forModel(const text::Tokenizer& tokenizer,
                                  const std::filesystem::path& folder, const ChatTemplate& chat)
{
    auto modelTemplate = jinja::ModelTemplate::load(folder);
    if (!modelTemplate) return ChatEncoder(tokenizer, chat);
    return ChatEncoder(std::make_shared<const jinja::ModelTemplate>(std::move(*modelTemplate)),
                       tokenizer);
}

ChatEncoder::~ChatEncoder() = default;
ChatEncoder::ChatEncoder(ChatEncoder&&) noexcept = default;

std::vector<int64_t> ChatEncoder::stopTokenIds() const
{
    if (m_eos < 0 || m_eos == m_end) return {m_end};
    return {m_end, m_eos};
}

std::string ChatEncoder::origin() const
{
    return m_model ? m_model->file() : "the studio's chat template";
}

void ChatEncoder::appendText(std::string_view text, std::vector<int64_t>& tokens) const
{
    for (const uint32_t id : m_tokenizer.encode(text, text::SpecialTokenText::AsText))
        tokens.push_back(int64_t(id));
}

EncodedChat ChatEncoder::encode(const std::vector<data::Message>& messages) const
{
    return m_model ? encodeModel(messages) : encodeStudio(messages);
}

EncodedChat ChatEncoder::encodeModel(const std::vector<data::Message>& messages) const
{
    const jinja::Rendered whole = m_model->render(messagesJson(messages), false);
    return tokenizeRendered(m_tokenizer, whole.text, assistantSpans(*m_model, messages, whole));
}

EncodedChat ChatEncoder::encodeStudio(const std::vector<data::Message>& messages) const
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
    if (m_model) {
        const auto ids = m_tokenizer.encode(m_model->render(messagesJson(messages), true).text,
                                            text::SpecialTokenText::Parse);
        return {ids.begin(), ids.end()};
    }
    std::vector<int64_t> tokens = encodeStudio(messages).tokens;
    tokens.push_back(m_assistant);
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
