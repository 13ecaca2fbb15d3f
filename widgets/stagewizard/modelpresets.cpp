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

int64_t loraParameterCount(const model::ModelConfig& config, const model::LoraConfig& lora)
{
    int64_t count = 0;
    for (const model::LinearShape& linear : model::linearShapes(config))
        if (lora.targets(linear.name))
            count += lora.rank * (linear.in + linear.out) + (lora.dora ? linear.out : 0);
    return count;
}

int64_t trainingMemoryBytes(const model::ModelConfig& config, int64_t batchSize,
                            bool activationCheckpointing, const train::LoraOptions* lora)
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
    const int64_t parameters = model::parameterCount(config);
    if (!lora) return parameters * bytesPerParameter + activations + logits;
    int64_t linearWeights = 0, rows = 0;
    for (const model::LinearShape& linear : model::linearShapes(config)) {
        linearWeights += linear.in * linear.out;
        rows += linear.out;
    }
    const int64_t rest = 4 * (parameters - linearWeights); // embeddings, norms, biases: fp32
    int64_t base = 4 * parameters;
    if (lora->base == train::BaseStorage::Nf4)
        base = rest + linearWeights / 2 + linearWeights / 64 + linearWeights / (64 * 64);
    else if (lora->base == train::BaseStorage::Int8)
        base = rest + linearWeights + 4 * rows;
    else if (lora->base == train::BaseStorage::BFloat16)
        base = rest + 2 * linearWeights;
    return base + loraParameterCount(config, lora->adapter) * bytesPerParameter + activations +
           logits;
}

} // namespace rlhf::widgets
