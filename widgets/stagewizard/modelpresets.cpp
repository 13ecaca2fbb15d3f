#include "widgets/stagewizard/modelpresets.h"

namespace rlhf::widgets {

const std::vector<ModelPreset>& modelPresets()
{
    static const std::vector<ModelPreset> presets = {
        {"tiny", /*layers=*/2, /*heads=*/2, /*dim=*/128, /*contextLength=*/128},
        {"small", /*layers=*/4, /*heads=*/4, /*dim=*/256, /*contextLength=*/256},
        {"gpt2-124M", /*layers=*/12, /*heads=*/12, /*dim=*/768, /*contextLength=*/1024},
    };
    return presets;
}

int64_t trainingMemoryBytes(const model::ModelConfig& config, int64_t batchSize,
                            bool activationCheckpointing)
{
    constexpr int64_t bytesPerParameter = 16; // fp32 weight + gradient + AdamW m and v
    constexpr int64_t activationBytesPerElement = 34;
    const int64_t tokens = batchSize * config.contextLength;
    const int64_t perLayer =
        tokens * config.dim * activationBytesPerElement +
        5 * batchSize * config.heads * config.contextLength * config.contextLength;
    const int64_t logits = 8 * tokens * config.vocabSize;
    const int64_t activations = activationCheckpointing
                                    ? config.layers * 4 * tokens * config.dim + perLayer
                                    : config.layers * perLayer;
    return model::parameterCount(config) * bytesPerParameter + activations + logits;
}

} // namespace rlhf::widgets
