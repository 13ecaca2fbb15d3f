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

int64_t parameterCount(const model::ModelConfig& config)
{
    const int64_t dim = config.dim;
    const int64_t ffn = config.ffnHidden();
    const int64_t embeddings = config.vocabSize * dim;
    int64_t total = embeddings;
    if (config.flavour == model::Flavour::Gpt2) {
        total += config.contextLength * dim; // wpe
        const int64_t norms = 2 * 2 * dim;   // ln_1, ln_2: weight + bias
        const int64_t attention = (dim * 3 * dim + 3 * dim) + (dim * dim + dim);
        const int64_t mlp = (dim * ffn + ffn) + (ffn * dim + dim);
        total += config.layers * (norms + attention + mlp);
        total += 2 * dim; // ln_f
    } else {
        const int64_t kvDim = config.kvHeadCount() * config.headDim();
        const int64_t norms = 2 * dim; // input_layernorm, post_attention_layernorm
        const int64_t attention = 2 * dim * dim + 2 * dim * kvDim;
        const int64_t mlp = 3 * dim * ffn;
        total += config.layers * (norms + attention + mlp);
        total += dim; // final norm
    }
    if (!config.tieEmbeddings) total += embeddings; // lm_head
    return total;
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
    return parameterCount(config) * bytesPerParameter + activations + logits;
}

} // namespace rlhf::widgets
