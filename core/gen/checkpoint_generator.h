// A checkpoint folder ready to talk: its model (config.json + model.safetensors) behind a
// TransformerSource and its tokenizer.json, turning prompt texts into completions. Used by
// `rlhf generate`, the demo, and later the chat arena.
#pragma once

#include "core/gen/beam_search.h"
#include "core/gen/generator.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rlhf::gen {

struct TextRequest {
    std::vector<std::string> prompts;
    GenerationConfig generation; // sampling or greedy; eos of the tokenizer is added
    int64_t beams = 1;           // > 1: beam search instead of sampling
    double lengthPenalty = 1.0;  // beam search only
};

class CheckpointGenerator {
public:
    // Throws rlhf::Error naming the folder and file when something is missing or corrupt.
    explicit CheckpointGenerator(const std::filesystem::path& folder);
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
