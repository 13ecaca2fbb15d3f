// From a dataset in the project database to what training reads: a tokenizer trained on its
// documents, and the documents tokenized into train / validation .u32 files (each document
// followed by <|eos|>). Documents go where the import's split put them (test documents are left
// out); chat and preference documents contribute their messages and replies as plain text.
#pragma once

#include "core/store/records.h"
#include "core/text/bpe_trainer.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace rlhf::store {
class Project;
}

namespace rlhf::data {

// Called with (documents done, documents total); return false to cancel.
using DocumentProgress = std::function<bool(int64_t done, int64_t total)>;

// The two parts of tokenizer training that report progress.
enum class TokenizerPhase {
    CountingWords, // done / total are documents read
    Merging,       // done / total are merges made / merges wanted
};

// Called with (phase, done, total); return false to cancel.
using TokenizerProgress = std::function<bool(TokenizerPhase phase, int64_t done, int64_t total)>;

// Trains on every document of `dataset`, saves tokenizers/<name>.json and records it.
// Returns the tokenizer's project-relative path. Throws rlhf::Error when the name is taken (before
// any work) or when `progress` cancels; a cancelled run writes and records nothing.
std::string trainProjectTokenizer(store::Project& project, store::Id dataset,
                                  const std::string& name, const text::TrainConfig& config,
                                  const TokenizerProgress& progress = {});

// Only for datasets without validation documents; otherwise the import's split is used.
struct TokenSplitOptions {
    double valFraction = 0.05; // share of documents held out for validation, e.g. 0.05
    uint64_t seed = 0;         // changes which documents are held out
};

struct TokenSplitResult {
    std::string trainPath, valPath; // project-relative .u32 files
    int64_t trainTokens = 0, valTokens = 0;
    int64_t trainDocuments = 0, valDocuments = 0;
    int64_t testDocuments = 0; // in the test split: not written
};

TokenSplitResult writeTokenSplits(store::Project& project, store::Id dataset,
                                  const std::string& tokenizerName,
                                  const TokenSplitOptions& options = {},
                                  const DocumentProgress& progress = {});

} // namespace rlhf::data
