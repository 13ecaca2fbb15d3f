// The BPE model: vocabulary (id <-> token string) and ranked merges, and the merge loop that turns
// one pre-tokenized word into ids (HF's BPE model, no dropout). Byte-level (GPT-2 alphabet, every
// byte a token) or SentencePiece style (characters, with byte fallback "<0x0A>" and an unknown
// token). It knows nothing of regexes, added tokens or files.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rlhf::text {

// Hash for unordered maps keyed by std::string that are searched with std::string_view.
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept
    {
        return std::hash<std::string_view>{}(text);
    }
};
using TokenIdMap = std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>>;

struct BpeOptions {
    bool byteLevel = true;     // words are raw bytes, each byte its GPT-2 alphabet token
    bool ignoreMerges = false; // a word that is itself in the vocabulary is that one id (Llama 3)
    // Character models (byteLevel false) only: a character not in the vocabulary becomes its
    // bytes' "<0xXX>" tokens when `byteFallback` and all exist, else `unkToken` (consecutive
    // unknowns as one when `fuseUnk`), else nothing, as in HF.
    bool byteFallback = false;
    std::optional<std::string> unkToken; // e.g. "<unk>"; must be in the vocabulary
    bool fuseUnk = false;
};

class BpeModel {
public:
    // `tokens[id]` is the byte-level string of token `id`; all 256 single-byte tokens must be
    // present. `merges` in rank order, each the two byte-level token strings to join.
    // `ignoreMerges`: a word that is itself in the vocabulary becomes that one id (Llama 3).
    // Throws rlhf::Error naming the field: "model.merges[12]: unknown token 'xy'".
    BpeModel(std::vector<std::string> tokens,
             const std::vector<std::pair<std::string, std::string>>& merges, bool ignoreMerges);
    // Any model. A byte-level one needs all 256 single-byte tokens; a character one nothing.
    BpeModel(std::vector<std::string> tokens,
             const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options);

    std::uint32_t size() const { return static_cast<std::uint32_t>(m_tokens.size()); }
    const std::vector<std::string>& tokens() const { return m_tokens; }
    const std::vector<std::pair<std::uint32_t, std::uint32_t>>& merges() const
    {
        return m_mergeList;
    }
    bool ignoreMerges() const { return m_options.ignoreMerges; }
    const BpeOptions& options() const { return m_options; }
    const TokenIdMap& ids() const { return m_ids; }

    // The id of byte `byte` as a one-byte token (byte-level models only).
    std::uint32_t byteId(unsigned char byte) const { return m_byteIds[byte]; }

    // Appends the ids of one word given as raw bytes (not byte-level characters); for a
    // character model, valid UTF-8 (the pre-tokenizer's "▁Hello").
    void encodeWord(std::string_view word, std::vector<std::uint32_t>& ids) const;

private:
    struct Symbol {
        std::uint32_t id;
        int previous; // index of the previous live symbol, -1 at the start
        int next;     // index of the next live symbol, -1 at the end
        bool alive;
    };
    void characterSymbols(std::string_view word, std::vector<Symbol>& symbols) const;
    void mergeAll(std::vector<Symbol>& symbols, std::vector<std::uint32_t>& ids) const;

    struct Merge {
        std::uint32_t rank;  // position in the merge list: lower merges first
        std::uint32_t newId; // id of the joined token
    };
    static std::uint64_t pairKey(std::uint32_t left, std::uint32_t right)
    {
        return (static_cast<std::uint64_t>(left) << 32) | right;
    }

    std::vector<std::string> m_tokens; // id -> byte-level string
    TokenIdMap m_ids;                  // byte-level string -> id
    std::array<std::uint32_t, 256> m_byteIds{};
    std::unordered_map<std::uint64_t, Merge> m_merges; // (left id, right id) -> merge
    std::vector<std::pair<std::uint32_t, std::uint32_t>> m_mergeList; // rank -> pair, for saving
    BpeOptions m_options;
    std::array<std::int64_t, 256> m_fallbackIds{}; // byte -> id of "<0xXX>", -1 when absent
    std::int64_t m_unkId = -1;                     // id of options.unkToken, -1 when none
};

} // namespace rlhf::text
