#include "core/model/model_config.h"

#include "core/util/error.h"
#include "core/util/value_range.h"

#include <cmath>

namespace rlhf::model {

int64_t ModelConfig::ffnHidden() const
{
    if (ffnDim > 0) return ffnDim;
    if (flavour == Flavour::Gpt2) return 4 * dim;
    // Llama: 2/3 of 4*dim, rounded up to a multiple of 64 for friendly matmul shapes.
    const int64_t raw = 8 * dim / 3;
    return (raw + 63) / 64 * 64;
}

bool ModelConfig::slidingLayer(int64_t layer) const
{
    if (slidingWindow <= 0) return false;
    return slidingLayers.empty() || slidingLayers.at(size_t(layer));
}

std::string ModelConfig::familyName() const
{
    return family.empty() ? flavourName(flavour) : family;
}

void ModelConfig::validate() const
{
    auto require = [](bool ok, const std::string& message) {
        if (!ok) throw Error(message);
    };
    require(vocabSize > 0, "vocab_size must be positive, got " + std::to_string(vocabSize));
    require(contextLength > 0,
            "context length must be positive, got " + std::to_string(contextLength));
    require(layers > 0, "layers must be positive, got " + std::to_string(layers));
    require(heads > 0, "heads must be positive, got " + std::to_string(heads));
    require(dim > 0, "dim must be positive, got " + std::to_string(dim));
    require(headDimension > 0 || dim % heads == 0,
            "dim " + std::to_string(dim) + " must be a multiple of heads " + std::to_string(heads) +
                " (or head_dim given)");
    require(kvHeadCount() > 0 && heads % kvHeadCount() == 0,
            "heads " + std::to_string(heads) + " must be a multiple of kv heads " +
                std::to_string(kvHeadCount()));
    require(normEps > 0, "norm epsilon must be positive");
    require(std::isfinite(initStd) && initStd > 0,
            "init_std must be positive and finite, got " + numberText(initStd));
    if (flavour == Flavour::Gpt2) {
        require(kvHeadCount() == heads,
                "grouped-query attention (kv heads != heads) needs the llama flavour");
        require(headDimension == 0 && !qkvBias && !outputBias && !qkNorm && slidingWindow == 0 &&
                    rope.type == RopeType::Default,
                "head_dim, attention biases, q/k norms, sliding windows and rope scaling need "
                "the llama flavour");
        return;
    }
    require(headDim() % 2 == 0,
            "rotary positions need an even head dimension, got " + std::to_string(headDim()));
    require(slidingWindow >= 0, "sliding_window must not be negative");
    require(slidingLayers.empty() || int64_t(slidingLayers.size()) == layers,
            "layer_types lists " + std::to_string(slidingLayers.size()) +
                " layers, the model has " + std::to_string(layers));
    require(rope.type == RopeType::Default || rope.factor > 0,
            "rope scaling factor must be positive");
    require((rope.type != RopeType::Llama3 && rope.type != RopeType::Yarn) ||
                rope.originalContext > 0,
            "rope scaling " + std::string(wordOf(ropeTypeWords, rope.type)) +
                " needs original_max_position_embeddings");
    require(rope.type != RopeType::Llama3 || rope.highFreqFactor != rope.lowFreqFactor,
            "rope scaling llama3: high_freq_factor equals low_freq_factor");
}

int64_t parameterCount(const ModelConfig& config)
{
    const int64_t dim = config.dim;
    const int64_t ffn = config.ffnHidden();
    const int64_t embeddings = config.vocabSize * dim;
    int64_t total = embeddings;
    if (config.flavour == Flavour::Gpt2) {
        total += config.contextLength * dim; // wpe
        const int64_t norms = 2 * 2 * dim;   // ln_1, ln_2: weight + bias
        const int64_t attention = (dim * 3 * dim + 3 * dim) + (dim * dim + dim);
        const int64_t mlp = (dim * ffn + ffn) + (ffn * dim + dim);
        total += config.layers * (norms + attention + mlp);
        total += 2 * dim; // ln_f
    } else {
        const int64_t qDim = config.heads * config.headDim();
        const int64_t kvDim = config.kvHeadCount() * config.headDim();
        const int64_t norms = 2 * dim; // input_layernorm, post_attention_layernorm
        int64_t attention = 2 * dim * qDim + 2 * dim * kvDim;
        if (config.qkvBias) attention += qDim + 2 * kvDim;
        if (config.outputBias) attention += dim;
        if (config.qkNorm) attention += 2 * config.headDim();
        const int64_t mlp = 3 * dim * ffn;
        total += config.layers * (norms + attention + mlp);
        total += dim; // final norm
    }
    if (!config.tieEmbeddings) total += embeddings; // lm_head
    return total;
}

std::vector<LinearShape> linearShapes(const ModelConfig& config)
{
    const int64_t dim = config.dim, ffn = config.ffnHidden();
    const int64_t qDim = config.heads * config.headDim();
    const int64_t kvDim = config.kvHeadCount() * config.headDim();
    std::vector<LinearShape> shapes;
    for (int64_t i = 0; i < config.layers; ++i) {
        const std::string layer =
            (config.flavour == Flavour::Gpt2 ? "transformer.h." : "model.layers.") +
            std::to_string(i);
        if (config.flavour == Flavour::Gpt2) {
            shapes.push_back({layer + ".attn.c_attn", dim, 3 * dim});
            shapes.push_back({layer + ".attn.c_proj", dim, dim});
            shapes.push_back({layer + ".mlp.c_fc", dim, ffn});
            shapes.push_back({layer + ".mlp.c_proj", ffn, dim});
        } else {
            shapes.push_back({layer + ".self_attn.q_proj", dim, qDim});
            shapes.push_back({layer + ".self_attn.k_proj", dim, kvDim});
            shapes.push_back({layer + ".self_attn.v_proj", dim, kvDim});
            shapes.push_back({layer + ".self_attn.o_proj", qDim, dim});
            shapes.push_back({layer + ".mlp.gate_proj", dim, ffn});
            shapes.push_back({layer + ".mlp.up_proj", dim, ffn});
            shapes.push_back({layer + ".mlp.down_proj", ffn, dim});
        }
    }
    return shapes;
}

std::string flavourName(Flavour flavour)
{
    return std::string(wordOf(flavourWords, flavour));
}

Flavour flavourFromName(const std::string& name)
{
    if (const auto flavour = findWord(flavourWords, name)) return *flavour;
    throw Error("unknown model flavour '" + name + "' (expected " + wordList(flavourWords) + ")");
}

} // namespace rlhf::model
