// Trains a byte-level BPE tokenizer from a stream of texts: counts pre-tokenized words, then
// merges the most frequent adjacent pair again and again with incremental pair counts.
// Ids: the 256 bytes (id = byte value), then the special tokens, then merges in order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/text/bpe_model.h"
#include "core/text/pretokenizer.h"
#include "core/text/tokenizer.h"

namespace rlhf::text {

struct TrainConfig {
    std::uint32_t vocabSize = 8192; // all ids: 256 bytes + special tokens + merges; e.g. 8192
                                    // for a small model, 32000-128000 for large ones
    PatternFlavour pattern = PatternFlavour::Llama3; // how text is cut into words before merging
    std::uint64_t minFrequency = 2; // pairs seen fewer times are never merged (2 = no pair that
                                    // occurs once); training may then stop below vocabSize
    // Ids 256, 257, ... in this order; matched in text before pre-tokenizing, never merged.
    std::vector<std::string> specialTokens{special::all.begin(), special::all.end()};
};

// Called after each merge with (merges done, merges wanted); return false to stop early and
// keep the merges made so far.
using TrainProgress = std::function<bool(std::size_t done, std::size_t wanted)>;

class BpeTrainer {
public:
    explicit BpeTrainer(TrainConfig config); // throws rlhf::Error on an impossible config

    // Counts the words of one text (a document, a line, a chat turn). Special-token strings in
    // the text are cut out, not learned. Invalid UTF-8 is repaired as in Tokenizer::encode.
    void addText(std::string_view text);

    std::size_t distinctWords() const { return m_wordCounts.size(); }
    std::uint64_t bytesSeen() const { return m_bytesSeen; }

    // Runs the merges. Ties between equally frequent pairs go to the pair whose (left id,
    // right id) is smallest, so the result depends only on the texts and the config.
    Tokenizer train(const TrainProgress& progress = {}) const;

private:
    TrainConfig m_config;
    PreTokenizer m_preTokenizer;
    AddedTokenMatcher m_specials;
    std::unordered_map<std::string, std::uint64_t, StringHash, std::equal_to<>> m_wordCounts;
    std::uint64_t m_bytesSeen = 0;
};

} // namespace rlhf::text
