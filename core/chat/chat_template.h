// The studio's chat template, what fine-tuning trains on and chat decodes with: a dialogue becomes
//   <|bos|> <|system|> text <|end|> <|user|> text <|end|> <|assistant|> text <|end|> ...
// with the tokenizer's special tokens (configurable per run), and every token is marked with
// whether a model is trained to produce it: the assistant's text and its closing <|end|>, and
// nothing else. Message text is encoded with special tokens as plain text, so a user cannot
// inject a turn. Torch-free.
#pragma once

#include "core/data/record.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rlhf::text {
class Tokenizer;
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
    // Throws rlhf::Error naming the template field whose token the tokenizer lacks.
    ChatEncoder(const text::Tokenizer& tokenizer, const ChatTemplate& chat);

    // The whole dialogue; only assistant turns are trained.
    EncodedChat encode(const std::vector<data::Message>& messages) const;
    // A prompt for generation: the dialogue, then the assistant token that opens the reply.
    std::vector<int64_t> encodePrompt(const std::vector<data::Message>& messages) const;
    // An assistant reply as it continues encodePrompt(): its text and the closing end token.
    std::vector<int64_t> encodeReply(std::string_view reply) const;
    // The reply text of generated tokens (the end token and after it removed).
    std::string decodeReply(const std::vector<int64_t>& tokens) const;

    int64_t endTokenId() const { return m_end; }
    int64_t padTokenId() const { return m_pad; }

private:
    void appendText(std::string_view text, std::vector<int64_t>& tokens) const;

    const text::Tokenizer& m_tokenizer; // not owned; outlives the encoder
    int64_t m_bos = -1;                 // -1: none
    int64_t m_system = 0, m_user = 0, m_assistant = 0, m_end = 0, m_pad = 0;
};

} // namespace rlhf::chat
