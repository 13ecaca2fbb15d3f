// The tokenizer the rest of the core uses: text -> ids and ids -> text with a BPE model (byte-level
// as GPT-2 / Llama 3 / Qwen, or SentencePiece style with byte fallback as Llama 2 / Mistral /
// Gemma), a normalizer, a pre-tokenizer, a decoder and added (special) tokens, giving the same ids
// and text as HF tokenizers for the same tokenizer.json. Files: tokenizer_json.h. Training:
// bpe_trainer.h (byte-level only).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/text/added_tokens.h"
#include "core/text/bpe_model.h"
#include "core/text/decoder.h"
#include "core/text/normalizer.h"
#include "core/text/pretokenizer.h"

namespace rlhf::text {

// The chat special tokens our trainer reserves, in this order right after the 256 byte tokens
// (ids 256..262), so their ids do not depend on the vocabulary size.
namespace special {
inline constexpr std::string_view bos = "<|bos|>";             // start of a document
inline constexpr std::string_view eos = "<|eos|>";             // end of a document
inline constexpr std::string_view pad = "<|pad|>";             // padding, never trained on
inline constexpr std::string_view system = "<|system|>";       // starts a system turn
inline constexpr std::string_view user = "<|user|>";           // starts a user turn
inline constexpr std::string_view assistant = "<|assistant|>"; // starts an assistant turn
inline constexpr std::string_view end = "<|end|>";             // ends any turn
inline constexpr std::array<std::string_view, 7> all = {bos,  eos,       pad, system,
                                                        user, assistant, end};
} // namespace special

struct ChatTokenIds {
    std::uint32_t bos = 0, eos = 0, pad = 0, system = 0, user = 0, assistant = 0, end = 0;
};

// Whether decode() writes special tokens (HF's skip_special_tokens).
enum class SpecialTokenOutput { Keep, Skip };

class Tokenizer {
public:
    // Throws rlhf::Error when an added token disagrees with the model, e.g.
    // "added_tokens[2]: '<|eos|>' has id 9 but model.vocab has it at 257".
    // `postProcessorJson`: HF post_processor kept verbatim for saving; never applied here.
    // A byte-level tokenizer: no normalizer, the ByteLevel decoder.
    Tokenizer(BpeModel model, PreTokenizer preTokenizer, std::vector<AddedToken> addedTokens,
              std::string postProcessorJson = "null");
    // Any tokenizer. Also throws when the parts do not fit together (a byte-level model needs
    // the ByteLevel pre-tokenizer and decoder, a character model neither).
    Tokenizer(BpeModel model, Normalizer normalizer, PreTokenizer preTokenizer, Decoder decoder,
              std::vector<AddedToken> addedTokens, std::string postProcessorJson = "null");
    ~Tokenizer();
    Tokenizer(Tokenizer&&) noexcept;
    Tokenizer& operator=(Tokenizer&&) noexcept;

    // Text -> ids, as HF's encode(text, add_special_tokens=False). Never adds BOS/EOS: callers
    // (chat template, data packing) add them. Invalid UTF-8 in `text` is first repaired with
    // toValidUtf8 (each bad sequence becomes U+FFFD), which is what Python's
    // bytes.decode("utf-8", "replace") hands HF. Thread-safe.
    std::vector<std::uint32_t> encode(std::string_view text,
                                      SpecialTokenText mode = SpecialTokenText::Parse) const;

    // Ids -> text, as HF's decode(): the decoder over the token strings, then (byte-level) each
    // invalid UTF-8 sequence becomes U+FFFD, or (byte fallback) each byte of an invalid run of
    // "<0xXX>" tokens does. Ids outside the vocabulary are skipped, as in HF.
    std::string decode(std::span<const std::uint32_t> ids,
                       SpecialTokenOutput mode = SpecialTokenOutput::Keep) const;

    // The raw bytes of `ids` without the UTF-8 repair: for streaming, where a character may be
    // split across the tokens of two steps. Byte-level: decodeBytes(a) + decodeBytes(b) ==
    // decodeBytes(a + b). SentencePiece style: byte-fallback bytes come out raw, but the decoder
    // treats the first id of the call as the start of the text (Strip drops its leading space,
    // Metaspace its "▁"), so a streaming caller decodes the whole sequence so far and shows
    // what is new after the previous call's output (as core/gen does with decode()).
    std::string decodeBytes(std::span<const std::uint32_t> ids,
                            SpecialTokenOutput mode = SpecialTokenOutput::Keep) const;

    // Token strings are as in tokenizer.json: byte-level for model tokens ("Ġthe") or
    // SentencePiece pieces ("▁the", "<0x0A>"), literal for added tokens ("<|eos|>").
    std::optional<std::uint32_t> tokenToId(std::string_view token) const;
    std::optional<std::string> idToToken(std::uint32_t id) const;

    // Number of ids, added tokens included: the embedding rows a model needs.
    std::uint32_t vocabSize() const { return m_vocabSize; }

    // The id of the special (added) token `content`, e.g. specialTokenId("<|eos|>").
    std::optional<std::uint32_t> specialTokenId(std::string_view content) const;
    // All seven chat tokens of `special`; throws rlhf::Error naming the first one missing.
    ChatTokenIds chatTokenIds() const;

    const BpeModel& model() const { return m_model; }
    const Normalizer& normalizer() const { return m_normalizer; }
    const PreTokenizer& preTokenizer() const { return m_preTokenizer; }
    const Decoder& decoder() const { return m_decoder; }
    const std::vector<AddedToken>& addedTokens() const { return m_addedTokens; }
    const std::string& postProcessorJson() const { return m_postProcessorJson; }

private:
    void encodeOrdinary(std::string_view text, bool atStart, std::vector<std::uint32_t>& ids) const;
    void tokenOf(std::uint32_t id, SpecialTokenOutput mode,
                 std::vector<std::string_view>& tokens) const;
    std::string decodeWith(std::span<const std::uint32_t> ids, SpecialTokenOutput mode,
                           InvalidBytes invalid) const;

    struct WordCache;
    BpeModel m_model;
    Normalizer m_normalizer;
    PreTokenizer m_preTokenizer;
    Decoder m_decoder;
    std::vector<AddedToken> m_addedTokens;
    AddedTokenMatcher m_matcher; // normalized tokens by their normalized content, as HF
    std::vector<std::int64_t> m_addedIndexOfId; // id -> index in m_addedTokens, or -1
    // Per added token, what decode() hands the decoder: HF >= 0.23 uses a normalized token's
    // normalized content ("▁Debian▁GNU") and skips it as special only when that text is the
    // content of a special token.
    struct AddedDecoding {
        std::string text;
        bool skippable = false;
    };
    std::vector<AddedDecoding> m_addedDecodings;
    std::uint32_t m_vocabSize = 0;
    std::string m_postProcessorJson;
    std::unique_ptr<WordCache> m_cache; // owned; word -> ids memo shared by all threads
};

} // namespace rlhf::text
