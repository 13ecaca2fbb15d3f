// A checkpoint folder ready to talk (decoding_checkpoint.h: its model behind a TransformerSource
// and its tokenizer.json), turning prompt texts into plain completions, without a chat template.
// Used by `rlhf generate` and the demo.
#pragma once

#include "core/gen/decode_precision.h"
#include "core/gen/sampling_settings.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rlhf::gen {

struct TextRequest {
    std::vector<std::string> prompts;
    SamplingSettings sampling;            // sampling, greedy, or beam search (beams > 1)
    std::vector<std::string> stopStrings; // texts that end a completion (not in beam search)
};

class CheckpointGenerator {
public:
    // Throws rlhf::Error naming the folder and file when something is missing or corrupt.
    CheckpointGenerator(const std::filesystem::path& folder, const DecodeSetup& setup);
    ~CheckpointGenerator();

    // Completions in prompt order. `onText` streams each row's text as it grows (row, piece),
    // only when sampling.
    std::vector<std::string>
    complete(const TextRequest& request,
             const std::function<void(int64_t, const std::string&)>& onText = {});

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace rlhf::gen
