#include "core/model/gguf_export.h"

#include "core/model/gguf_quant.h"
#include "core/model/hf_config.h"
#include "core/model/checkpoint.h"
#include "core/model/hf_export.h"
#include "core/model/model_weights.h"
#include "core/util/error.h"

#include <ATen/ATen.h>

#include <cmath>
#include <numbers>
#include <set>

namespace rlhf::model {

namespace fs = std::filesystem;

namespace {

// How a stored tensor becomes llama.cpp's.
enum class Transform {
    None,
    Transpose,    // GPT-2's Conv1D (in, out) -> nn.Linear's (out, in)
    PermuteQuery, // HF's rotate-half head layout -> llama.cpp's adjacent pairs (llama arch only)
    PermuteKey,   // the same over the key/value heads
    RopeFactors,  // generated: Llama 3.1's per-frequency divisors (rope_freqs.weight)
};

struct PlannedTensor {
    std::string gguf;   // "blk.0.attn_q.weight"
    std::string source; // the name in the safetensors files; empty when generated
    Transform transform = Transform::None;
    std::vector<int64_t> shape; // torch order, after the transform
    GgmlType type = GgmlType::F32;
};

uint32_t fileTypeCode(GgufFileType type) // llama.cpp's enum llama_ftype
{
    switch (type) {
    case GgufFileType::F32:
        return 0;
    case GgufFileType::F16:
        return 1;
    case GgufFileType::Q8_0:
        return 7;
    case GgufFileType::Bf16:
        return 32;
    }
    return 0;
}

std::string architectureOf(const ModelConfig& config)
{
    const std::string family = config.familyName();
    if (family == "gpt2") return "gpt2";
    if (family == "llama" || family == "mistral") return "llama";
    if (family == "qwen2" || family == "qwen3") return family;
    throw Error("family '" + family + "' has no GGUF architecture here (gpt2, llama, mistral, " +
                "qwen2 or qwen3)");
}

// Refuses what llama.cpp's architecture would compute differently; returns the context length
// to write (a sliding window cuts it to where full attention is the same).
int64_t checkSupported(const ModelConfig& config, const std::string& arch,
                       std::vector<std::string>& notes)
{
    if (arch == "qwen3" && (config.qkvBias || config.outputBias))
        throw Error("attention_bias: llama.cpp's qwen3 has no attention biases");
    if (arch == "qwen2" && config.outputBias)
        throw Error("o_proj bias: llama.cpp's qwen2 has no output-projection bias");
    switch (config.rope.type) {
    case RopeType::Default:
    case RopeType::Linear:
        break;
    case RopeType::Dynamic:
        notes.push_back("dynamic rope scaling only acts beyond max_position_embeddings: written "
                        "as plain rope, exact within the context length");
        break;
    case RopeType::Llama3:
        if (arch != "llama")
            throw Error("rope_scaling: llama3 scaling is only expressible for llama models");
        break;
    case RopeType::Yarn:
        throw Error("rope_scaling: yarn is not exported (llama.cpp's YaRN differs in detail)");
    }
    int64_t context = config.contextLength;
    bool sliding = false;
    for (int64_t layer = 0; layer < config.layers; ++layer)
        sliding = sliding || (config.slidingWindow > 0 && config.slidingLayer(layer));
    if (sliding && config.slidingWindow < context) {
        // llama.cpp's llama / qwen2 attend to the whole context: within the window, the same.
        context = config.slidingWindow;
        notes.push_back("context_length cut to the sliding window (" + std::to_string(context) +
                        " tokens), within which llama.cpp's full attention equals the model's");
    }
    return context;
}

GgmlType chooseType(GgufFileType fileType, const std::string& name,
                    const std::vector<int64_t>& shape)
{
    // As convert_hf_to_gguf: 1-D tensors, norms and position embeddings stay f32; 2-D weights
    // take the file type; q8_0 needs whole 32-value blocks per row, else f16.
    const bool keepF32 =
        shape.size() == 1 || name.ends_with("_norm.weight") || name.starts_with("position_embd.");
    const bool matrix = name.ends_with(".weight") && shape.size() >= 2;
    if (fileType == GgufFileType::F32 || keepF32 || !matrix) return GgmlType::F32;
    switch (fileType) {
    case GgufFileType::F16:
        return GgmlType::F16;
    case GgufFileType::Bf16:
        return GgmlType::Bf16;
    case GgufFileType::Q8_0:
        return shape.back() % 32 == 0 ? GgmlType::Q8_0 : GgmlType::F16;
    case GgufFileType::F32:
        break;
    }
    return GgmlType::F32;
}

// Each GGUF tensor from its HF name: (gguf name, HF name without ".weight"/".bias", transform).
struct NameMap {
    std::string gguf, hf;
    Transform transform = Transform::None;
};

std::vector<NameMap> layerNames(const ModelConfig& config, const std::string& arch, int64_t i)
{
    const std::string blk = "blk." + std::to_string(i) + ".";
    if (arch == "gpt2") {
        const std::string h = "transformer.h." + std::to_string(i) + ".";
        return {{blk + "attn_norm", h + "ln_1"},
                {blk + "attn_qkv", h + "attn.c_attn", Transform::Transpose},
                {blk + "attn_output", h + "attn.c_proj", Transform::Transpose},
                {blk + "ffn_norm", h + "ln_2"},
                {blk + "ffn_up", h + "mlp.c_fc", Transform::Transpose},
                {blk + "ffn_down", h + "mlp.c_proj", Transform::Transpose}};
    }
    const std::string l = "model.layers." + std::to_string(i) + ".";
    const bool permute = arch == "llama";
    std::vector<NameMap> names = {
        {blk + "attn_norm", l + "input_layernorm"},
        {blk + "attn_q", l + "self_attn.q_proj",
         permute ? Transform::PermuteQuery : Transform::None},
        {blk + "attn_k", l + "self_attn.k_proj", permute ? Transform::PermuteKey : Transform::None},
        {blk + "attn_v", l + "self_attn.v_proj"},
        {blk + "attn_output", l + "self_attn.o_proj"},
        {blk + "ffn_norm", l + "post_attention_layernorm"},
        {blk + "ffn_gate", l + "mlp.gate_proj"},
        {blk + "ffn_up", l + "mlp.up_proj"},
        {blk + "ffn_down", l + "mlp.down_proj"}};
    if (config.qkNorm) {
        names.push_back({blk + "attn_q_norm", l + "self_attn.q_norm"});
        names.push_back({blk + "attn_k_norm", l + "self_attn.k_norm"});
    }
    return names;
}

// Non-parameter buffers some HF checkpoints carry (GPT-2's masks, the rotary table).
bool isBuffer(const std::string& name)
{
    return name.ends_with(".attn.bias") || name.ends_with(".attn.masked_bias") ||
           name.ends_with("rotary_emb.inv_freq");
}

std::vector<PlannedTensor> planTensors(const ModelConfig& config, const std::string& arch,
                                       const ModelWeights& weights, GgufFileType fileType)
{
    const std::vector<std::string> stored = weights.names();
    std::set<std::string> unused;
    for (const std::string& name : stored)
        if (!isBuffer(name)) unused.insert(name);
    // The file's name of one of ours; the hub's GPT-2 files lack "transformer.".
    auto find = [&](const std::string& name) -> std::string {
        if (unused.contains(name) || std::ranges::binary_search(stored, name)) return name;
        const std::string bare =
            name.starts_with("transformer.") ? name.substr(std::string("transformer.").size()) : "";
        if (!bare.empty() && std::ranges::binary_search(stored, bare)) return bare;
        return {};
    };

    const bool gpt2 = arch == "gpt2";
    std::vector<NameMap> names = {{"token_embd", gpt2 ? "transformer.wte" : "model.embed_tokens"}};
    if (gpt2) names.push_back({"position_embd", "transformer.wpe"});
    for (int64_t i = 0; i < config.layers; ++i)
        for (NameMap& name : layerNames(config, arch, i))
            names.push_back(std::move(name));
    names.push_back({"output_norm", gpt2 ? "transformer.ln_f" : "model.norm"});
    if (!config.tieEmbeddings) names.push_back({"output", "lm_head"});

    std::vector<PlannedTensor> plan;
    for (const NameMap& name : names)
        for (const char* suffix : {".weight", ".bias"}) {
            const std::string source = find(name.hf + suffix);
            if (source.empty()) {
                if (std::string(suffix) == ".weight")
                    throw Error("tensor '" + name.hf + ".weight' is missing");
                continue; // a bias this layer has not
            }
            unused.erase(source);
            // A Conv1D's bias needs no transpose; a query's or key's is permuted as its rows.
            const bool bias = std::string(suffix) == ".bias";
            const Transform transform =
                bias && name.transform == Transform::Transpose ? Transform::None : name.transform;
            PlannedTensor tensor{name.gguf + suffix, source, transform, {}, GgmlType::F32};
            const at::Tensor data = weights.tensor(source);
            tensor.shape = data.sizes().vec();
            if (transform == Transform::Transpose) std::swap(tensor.shape[0], tensor.shape[1]);
            tensor.type = chooseType(fileType, tensor.gguf, tensor.shape);
            plan.push_back(std::move(tensor));
        }
    if (config.tieEmbeddings) unused.erase("lm_head.weight"); // HF may write the tied head too
    if (!unused.empty())
        throw Error("tensor '" + *unused.begin() + "' has no place in llama.cpp's " + arch);
    if (config.rope.type == RopeType::Llama3)
        plan.push_back({"rope_freqs.weight",
                        "",
                        Transform::RopeFactors,
                        {config.headDim() / 2},
                        GgmlType::F32});
    return plan;
}

// Llama 3.1's rope as llama.cpp takes it: a divisor per frequency, computed as convert_hf_to_gguf
// does from the fp32 base frequencies (HF divides the same frequencies by the same factors).
at::Tensor llama3RopeFactors(const ModelConfig& config)
{
    const RopeScaling& rope = config.rope;
    const int64_t dim = config.headDim();
    const at::Tensor inverse =
        1.0 / at::pow(config.ropeTheta, at::arange(0, dim, 2, at::kFloat) / double(dim));
    const double context = double(rope.originalContext);
    const double lowWavelength = context / rope.lowFreqFactor;
    const double highWavelength = context / rope.highFreqFactor;
    at::Tensor factors = at::empty({dim / 2}, at::kFloat);
    for (int64_t i = 0; i < dim / 2; ++i) {
        const double wavelength = 2.0 * std::numbers::pi / double(inverse[i].item<float>());
        double factor = 1.0;
        if (wavelength > lowWavelength) {
            factor = rope.factor;
        } else if (wavelength >= highWavelength) {
            const double smooth = (context / wavelength - rope.lowFreqFactor) /
                                  (rope.highFreqFactor - rope.lowFreqFactor);
            factor = 1.0 / ((1.0 - smooth) / rope.factor + smooth);
        }
        factors[i] = float(factor);
    }
    return factors;
}

// HF's rotate-half layout of each head's rows (first halves, then second halves) as llama.cpp's
// interleaved pairs: (heads, 2, rows/heads/2, ...) -> (heads, rows/heads/2, 2, ...).
at::Tensor permuteHeads(const at::Tensor& weight, int64_t heads)
{
    std::vector<int64_t> split = {heads, 2, weight.size(0) / heads / 2};
    for (int64_t d = 1; d < weight.dim(); ++d)
        split.push_back(weight.size(d));
    return weight.reshape(split).transpose(1, 2).reshape(weight.sizes());
}

// The tensor as llama.cpp wants it, fp32 and contiguous (one tensor's memory at a time).
at::Tensor prepare(const PlannedTensor& tensor, const ModelWeights& weights,
                   const ModelConfig& config)
{
    if (tensor.transform == Transform::RopeFactors) return llama3RopeFactors(config);
    at::Tensor data = weights.tensor(tensor.source).to(at::kFloat);
    switch (tensor.transform) {
    case Transform::Transpose:
        data = data.t();
        break;
    case Transform::PermuteQuery:
        data = permuteHeads(data, config.heads);
        break;
    case Transform::PermuteKey:
        data = permuteHeads(data, config.kvHeadCount());
        break;
    default:
        break;
    }
    return data.contiguous();
}

void addArchitectureMetadata(GgufWriter& writer, const ModelConfig& config, const std::string& arch,
                             int64_t context)
{
    auto key = [&](const std::string& name, GgufValue value) {
        writer.setMetadata(arch + "." + name, std::move(value));
    };
    key("vocab_size", uint32_t(config.vocabSize));
    key("context_length", uint32_t(context));
    key("embedding_length", uint32_t(config.dim));
    key("feed_forward_length", uint32_t(config.ffnHidden()));
    key("block_count", uint32_t(config.layers));
    key("attention.head_count", uint32_t(config.heads));
    if (arch == "gpt2") {
        key("attention.layer_norm_epsilon", float(config.normEps));
        return;
    }
    key("attention.head_count_kv", uint32_t(config.kvHeadCount()));
    key("attention.key_length", uint32_t(config.headDim()));
    key("attention.value_length", uint32_t(config.headDim()));
    key("attention.layer_norm_rms_epsilon", float(config.normEps));
    key("rope.freq_base", float(config.ropeTheta));
    key("rope.dimension_count", uint32_t(config.headDim()));
    if (config.rope.type == RopeType::Linear) {
        key("rope.scaling.type", std::string("linear"));
        key("rope.scaling.factor", float(config.rope.factor));
    }
}

} // namespace

GgufFileType ggufFileTypeFromName(const std::string& name)
{
    if (name == "f32") return GgufFileType::F32;
    if (name == "f16") return GgufFileType::F16;
    if (name == "bf16") return GgufFileType::Bf16;
    if (name == "q8_0") return GgufFileType::Q8_0;
    throw Error("GGUF type '" + name + "' is not supported (f32, f16, bf16 or q8_0)");
}

GgufExportResult exportGguf(const fs::path& folder, const fs::path& target,
                            const GgufExportOptions& options)
{
    if (isAdapterFolder(folder)) {
        // A LoRA checkpoint: its base with the adapter merged, as a plain folder beside the
        // target for as long as the export reads it.
        const fs::path merged = target.string() + ".merged";
        fs::remove_all(merged);
        exportHfFolder(folder, merged, "float32");
        GgufExportOptions named = options;
        if (named.name.empty()) named.name = fs::absolute(folder).filename().string();
        try {
            GgufExportResult result = exportGguf(merged, target, named);
            fs::remove_all(merged);
            return result;
        } catch (...) {
            fs::remove_all(merged);
            throw;
        }
    }
    return withContext("exporting " + folder.string() + " as GGUF", [&] {
        const ModelConfig config = loadCheckpointConfig(folder);
        GgufExportResult result;
        result.architecture = architectureOf(config);
        const std::string& arch = result.architecture;
        result.contextLength = checkSupported(config, arch, result.notes);

        GgufWriter writer(target);
        writer.setMetadata("general.architecture", arch);
        writer.setMetadata("general.name", options.name.empty()
                                               ? fs::absolute(folder).filename().string()
                                               : options.name);
        writer.setMetadata("general.file_type", fileTypeCode(options.type));
        writer.setMetadata("general.quantization_version", uint32_t(2)); // GGML_QNT_VERSION
        writer.setMetadata("general.alignment", GgufWriter::alignment);
        addArchitectureMetadata(writer, config, arch, result.contextLength);
        result.vocab = addGgufVocab(writer, folder, config);
        result.studioChatTemplate = options.chatTemplate.empty() && result.vocab.studioTokens;
        const std::string chatTemplate =
            result.studioChatTemplate ? studioChatTemplateJinja : options.chatTemplate;
        if (!chatTemplate.empty()) writer.setMetadata("tokenizer.chat_template", chatTemplate);

        const ModelWeights weights(folder);
        const std::vector<PlannedTensor> plan = planTensors(config, arch, weights, options.type);
        for (const PlannedTensor& tensor : plan) {
            writer.addTensor(tensor.gguf, {tensor.shape.rbegin(), tensor.shape.rend()},
                             tensor.type);
            ++result.typeCount[std::string(ggmlTypeName(tensor.type))];
        }
        writer.beginData();
        std::vector<std::byte> packed;
        for (std::size_t i = 0; i < plan.size(); ++i) {
            const PlannedTensor& tensor = plan[i];
            withContext("tensor '" + tensor.gguf + "'", [&] {
                const at::Tensor data = prepare(tensor, weights, config);
                const std::span<const float> values(data.data_ptr<float>(),
                                                    std::size_t(data.numel()));
                if (tensor.type == GgmlType::F32) { // as it is: no second copy
                    writer.writeTensor(std::as_bytes(values));
                    return;
                }
                packed.resize(writer.tensorBytes(i));
                packValues(tensor.type, values, packed);
                writer.writeTensor(packed);
            });
            if (options.progress)
                options.progress(int64_t(i + 1), int64_t(plan.size()), tensor.gguf);
        }
        result.bytes = writer.finish();
        result.tensors = int64_t(plan.size());
        return result;
    });
}

} // namespace rlhf::model
