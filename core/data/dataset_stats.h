// Length statistics of a stored dataset: histograms of its documents' lengths in characters
// (Unicode code points of the record's joined text) and, given a tokenizer, in tokens. What the
// studio's dataset page plots; no Qt, and no drawing.
#pragma once

#include "core/store/records.h"

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace rlhf::store {
class Database;
}
namespace rlhf::text {
class Tokenizer;
}

namespace rlhf::data {

// Equal-width bins from the smallest value to the largest: bin i counts the values in
// [edges[i], edges[i + 1]).
struct Histogram {
    std::vector<double> edges;   // bins + 1 ascending edges, edges[0] = minimum
    std::vector<int64_t> counts; // one per bin
    int64_t total = 0;           // values counted
    int64_t minimum = 0, maximum = 0;
    double mean = 0;
    int64_t median = 0;
};

// At most `bins` bins (>= 1) of a whole-number width (at least 1), so a bin of lengths never
// splits a unit: ten values 50..59 in 40 bins make ten bins of width 1. Empty input: empty
// edges and counts.
Histogram makeHistogram(std::span<const int64_t> values, int bins);

// Code points in UTF-8 `text` (bytes that do not continue a sequence).
int64_t codePointCount(std::string_view text);

struct DatasetStats {
    int64_t documents = 0; // documents measured
    int64_t total = 0;     // documents in the dataset (more than measured when sampled)
    Histogram characters;  // length of each document's joined text, in code points
    Histogram tokens;      // in tokens; empty (total 0) without a tokenizer
    bool cancelled = false;
};

// Called with (documents done, documents total); return false to cancel.
using StatsProgress = std::function<bool(int64_t done, int64_t total)>;

// Reads the documents of `dataset` in pages (memory: 16 bytes per document measured).
// `maxDocuments` > 0 measures a sample of about that many: runs of consecutive documents at
// evenly spaced ordinals, so every part of the dataset (every imported file) is represented.
// `tokenizer` may be null. Throws rlhf::Error for an unknown dataset.
DatasetStats computeDatasetStats(const store::Database& database, store::Id dataset,
                                 const text::Tokenizer* tokenizer, int bins,
                                 int64_t maxDocuments = 0, const StatsProgress& progress = {});

} // namespace rlhf::data
