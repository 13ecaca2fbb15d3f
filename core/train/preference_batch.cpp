#include "core/train/preference_batch.h"

#include <algorithm>

namespace rlhf::train {

namespace {

chat::EncodedChat withReply(const std::vector<data::Message>& prompt, const std::string& reply,
                            const chat::ChatEncoder& encoder)
{
    std::vector<data::Message> messages = prompt;
    messages.push_back({"assistant", reply});
    return encoder.encode(messages);
}

bool hasTrainedToken(const chat::EncodedChat& chat)
{
    // trained[0] is never a target (nothing predicts the first token); maxLength may be < 2.
    return chat.trained.size() > 1 &&
           std::find(chat.trained.begin() + 1, chat.trained.end(), 1) != chat.trained.end();
}

} // namespace

std::vector<EncodedPair> encodePairs(const std::vector<data::Record>& records,
                                     const chat::ChatEncoder& encoder, int64_t maxLength,
                                     const std::string& split, StageObserver& observer)
{
    std::vector<EncodedPair> pairs;
    int64_t cut = 0, dropped = 0;
    std::string firstDropped;
    PhaseProgress progress(observer, "encoding the " + split + " pairs", "pairs",
                           int64_t(records.size()), PhaseProgress::Announce::WhenSlow);
    for (const data::Record& record : records) {
        progress.advance(1);
        EncodedPair pair{withReply(record.messages, record.chosen, encoder),
                         withReply(record.messages, record.rejected, encoder), 0};
        pair.promptTokens = int64_t(encoder.encodePrompt(record.messages).size());
        const bool cutChosen = truncateChat(pair.chosen, maxLength);
        const bool cutRejected = truncateChat(pair.rejected, maxLength);
        if (!hasTrainedToken(pair.chosen) || !hasTrainedToken(pair.rejected)) {
            if (dropped++ == 0)
                firstDropped = record.source.file + ":" + std::to_string(record.source.line);
            continue;
        }
        cut += cutChosen || cutRejected ? 1 : 0; // a dropped pair is counted once, as dropped
        pairs.push_back(std::move(pair));
    }
    progress.finish();
    if (cut > 0)
        observer.onLog(split + ": " + std::to_string(cut) + " pairs cut to " +
                       std::to_string(maxLength) + " tokens");
    if (dropped > 0)
        observer.onLog(split + ": " + std::to_string(dropped) +
                       " pairs have a prompt longer than max_length and are left out (first: " +
                       firstDropped + ")");
    return pairs;
}

SequenceBatch pairBatch(const std::vector<EncodedPair>& pairs, const std::vector<int64_t>& indices,
                        int64_t padTokenId)
{
    std::vector<const chat::EncodedChat*> rows;
    for (const int64_t index : indices)
        rows.push_back(&pairs[size_t(index)].chosen);
    for (const int64_t index : indices)
        rows.push_back(&pairs[size_t(index)].rejected);
    return makeSequenceBatch(rows, padTokenId);
}

std::vector<int64_t> pairLengths(const std::vector<EncodedPair>& pairs)
{
    std::vector<int64_t> lengths;
    for (const auto& pair : pairs)
        lengths.push_back(
            int64_t(std::max(pair.chosen.tokens.size(), pair.rejected.tokens.size())));
    return lengths;
}

std::vector<int64_t> indexRange(size_t first, size_t count, size_t size)
{
    std::vector<int64_t> indices;
    for (size_t i = first; i < std::min(size, first + count); ++i)
        indices.push_back(int64_t(i));
    return indices;
}

} // namespace rlhf::train
