// How a dialogue becomes tokens, for fine-tuning to train on and chat to decode with. Two
// formats:
//  - the studio's own template, for models trained here from scratch:
//      <|bos|> <|system|> text <|end|> <|user|> text <|end|> <|assistant|> text <|end|> ...
//    with the tokenizer's special tokens (configurable per run); message text is encoded with
//    special tokens as plain text, so a user cannot inject a turn;
//  - a model's own Jinja chat template (chat_template.jinja or tokenizer_config.json: the
//    Hugging Face models people fine-tune), rendered as transformers' apply_chat_template and
//    tokenized as it does (special tokens written in the rendered text are parsed).
// Either way every token is marked with whether a model is trained to produce it: the
// assistant's text and what closes its turn, nothing else. Torch-free.
#pragma once

#include "core/data/record.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rlhf::text {
class Tokenizer;
}

namespace rlhf::chat::jinja {
class ModelTemplate;
}

namespace rlhf::chat {

// The special-token strings of the template, looked up in the tokenizer's added tokens. A stage
// document gives them as its "chat_template" block (finetune_config.h).
struct ChatTemplate {
    std::string bos = "<|bos|>"; // empty: no start token
    std::string system = "<|system|>";
    std::string user = "<|user|>";
    std::string assistant = "<|assistant|>";
    std::string end = "<|end|>"; // closes every turn; a generated reply stops at it
};

// A tokenised dialogue: tokens[i] is trained (a target of the loss) when trained[i] is true.
struct EncodedChat {
    std::vector<int64_t> tokens;
    std::vector<uint8_t> trained; // same length as tokens
};

class ChatEncoder {
public:
    // The studio's template. Throws rlhf::Error naming the template field whose token the
    // tokenizer lacks.
    ChatEncoder(const text::Tokenizer& tokenizer, const ChatTemplate& chat);
    // The template of the model in `folder` when it has one, else the studio's `chat`. A model's
    // end of turn is the special token its template writes right after a reply (<|im_end|>,
    // <|eot_id|>, </s>, <end_of_turn>, ...), else its eos_token. Throws rlhf::Error naming the
    // template's file when it cannot render a user turn and a reply, or neither token is found.
    static ChatEncoder forModel(const text::Tokenizer& tokenizer,
                                const std::filesystem::path& folder, const ChatTemplate& chat);
    ~ChatEncoder();
    ChatEncoder(ChatEncoder&&) noexcept;

    // The whole dialogue; only assistant turns are trained. With a model's template a turn is
    // what {% generation %} marks when the template has such blocks, else the text that rendering
    // the dialogue up to that reply adds to rendering it up to the generation prompt (see
    // rendered_chat.h); a template that renders a dialogue's start differently once later
    // turns follow is an error naming the turn.
    EncodedChat encode(const std::vector<data::Message>& messages) const;
    // A prompt for generation: the dialogue, then what opens the assistant's reply.
    std::vector<int64_t> encodePrompt(const std::vector<data::Message>& messages) const;
    // The reply text of generated tokens (the end token and after it removed).
    std::string decodeReply(const std::vector<int64_t>& tokens) const;

    int64_t endTokenId() const { return m_end; }
    // What ends a generated reply: the end of turn, and the document end (a model that learned
    // documents before turns may still close with it) when the tokenizer or template has one.
    std::vector<int64_t> stopTokenIds() const;
    int64_t padTokenId() const { return m_pad; }
    // Where the format comes from, for logs: "the studio's chat template" or the model's file.
    std::string origin() const;

private:
    ChatEncoder(std::shared_ptr<const jinja::ModelTemplate> modelTemplate,
                const text::Tokenizer& tokenizer);
    EncodedChat encodeStudio(const std::vector<data::Message>& messages) const;
    EncodedChat encodeModel(const std::vector<data::Message>& messages) const;
    void appendText(std::string_view text, std::vector<int64_t>& tokens) const;

    const text::Tokenizer& m_tokenizer;                  // not owned; outlives the encoder
    std::shared_ptr<const jinja::ModelTemplate> m_model; // null: the studio's template
    int64_t m_bos = -1;                                  // -1: none
    int64_t m_system = 0, m_user = 0, m_assistant = 0, m_end = 0, m_pad = 0;
    int64_t m_eos = -1; // -1: none
};

} // namespace rlhf::chat
