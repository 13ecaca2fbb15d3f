#include "core/data/dataset_stats.h"

#include "core/data/record.h"
#include "core/store/database.h"
#include "core/text/tokenizer.h"
#include "core/util/error.h"

#include <algorithm>
#include <exception>
#include <numeric>

namespace rlhf::data {

namespace {

constexpr int64_t kPageDocuments = 2000; // documents read per database query
constexpr int64_t kSampleRun = 250;      // consecutive documents per sampled run

// The text a length means: the document itself for text datasets, the record's joined text
// for chats and preference pairs (a document that does not parse counts as it is stored).
std::string measuredText(RecordKind kind, const std::string& document)
{
    if (kind == RecordKind::Text) return document;
    try {
        return joinedText(fromDocumentText(kind, document));
    } catch (const std::exception&) {
        return document;
    }
}

} // namespace

int64_t codePointCount(std::string_view text)
{
    return std::count_if(text.begin(), text.end(), [](char byte) {
        return (static_cast<unsigned char>(byte) & 0xC0) != 0x80;
    });
}

Histogram makeHistogram(std::span<const int64_t> values, int bins)
{
    Histogram histogram;
    if (values.empty() || bins < 1) return histogram;
    const auto [low, high] = std::minmax_element(values.begin(), values.end());
    histogram.minimum = *low;
    histogram.maximum = *high;
    histogram.total = int64_t(values.size());
    histogram.mean =
        double(std::accumulate(values.begin(), values.end(), int64_t(0))) / double(values.size());
    std::vector<int64_t> sorted(values.begin(), values.end());
    const auto middle = sorted.begin() + std::ptrdiff_t(sorted.size() / 2);
    std::nth_element(sorted.begin(), middle, sorted.end());
    histogram.median = *middle;

    const int64_t span = histogram.maximum - histogram.minimum + 1; // whole units covered
    const int64_t width = std::max<int64_t>(1, (span + bins - 1) / bins);
    const int used = int((span + width - 1) / width);
    histogram.counts.assign(size_t(used), 0);
    for (int i = 0; i <= used; ++i)
        histogram.edges.push_back(double(histogram.minimum + int64_t(i) * width));
    for (int64_t value : values)
        ++histogram.counts[size_t((value - histogram.minimum) / width)];
    return histogram;
}

DatasetStats computeDatasetStats(const store::Database& database, store::Id dataset,
                                 const text::Tokenizer* tokenizer, int bins, int64_t maxDocuments,
                                 const StatsProgress& progress)
{
    const auto entry = database.dataset(dataset);
    if (!entry) throw Error("no dataset with id " + std::to_string(dataset));
    const RecordKind kind = parseRecordKind(store::datasetKindName(entry->kind));
    const int64_t total = database.documentCount(dataset);

    // (first ordinal, documents) of each read: every page, or evenly spaced sample runs.
    std::vector<std::pair<int64_t, int64_t>> reads;
    if (maxDocuments <= 0 || total <= maxDocuments) {
        for (int64_t offset = 0; offset < total; offset += kPageDocuments)
            reads.emplace_back(offset, kPageDocuments);
    } else {
        const int64_t runs = std::max<int64_t>(1, maxDocuments / kSampleRun);
        for (int64_t run = 0; run < runs; ++run)
            reads.emplace_back(run * (total / runs), std::min(kSampleRun, maxDocuments));
    }

    DatasetStats stats;
    stats.total = total;
    std::vector<int64_t> characters, tokens;
    const int64_t expected = maxDocuments > 0 ? std::min(total, maxDocuments) : total;
    characters.reserve(size_t(expected));
    if (tokenizer) tokens.reserve(size_t(expected));
    for (const auto& [offset, limit] : reads) {
        for (const auto& document : database.documents(dataset, offset, limit)) {
            const std::string text = measuredText(kind, document.text);
            characters.push_back(codePointCount(text));
            if (tokenizer) tokens.push_back(int64_t(tokenizer->encode(text).size()));
        }
        if (progress && !progress(int64_t(characters.size()), expected)) {
            stats.cancelled = true;
            break;
        }
    }
    stats.documents = int64_t(characters.size());
    stats.characters = makeHistogram(characters, bins);
    stats.tokens = makeHistogram(tokens, bins);
    return stats;
}

} // namespace rlhf::data
