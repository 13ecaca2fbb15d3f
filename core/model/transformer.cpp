#include "core/model/transformer.h"

#include "core/compat/torch_compat.h"
#include "core/model/block_checkpoint.h"
#include "core/model/model_memory.h"
#include "core/model/rope.h"
#include "core/model/torch_runtime.h"
#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <new>
#include <string>

namespace rlhf::model {

namespace {

// A plain module that only gives its parameters a place in the HF name hierarchy.
std::shared_ptr<torch::nn::Module> addChild(torch::nn::Module& parent, const std::string& name)
{
    return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

// HF's rotate_half: (x1, x2) -> (-x2, x1) over the two halves of the last dimension.
at::Tensor rotateHalf(const at::Tensor& x)
{
    const int64_t half = x.size(-1) / 2;
    return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

// True when `x` (..., in) is a single fp32 row on the CPU, as in decoding at batch 1. A
// matrix-vector product is then ~5x faster than a matrix product: OpenBLAS's sgemm packs the
// whole weight on every call, whatever the row count (`rlhf bench generate`). Under bf16
// autocast too: one row through an fp32 matrix-vector product was 4x faster than through a bf16
// GEMM on an AVX-512 BF16 CPU (294 against 1,251 tokens/s), and is the more exact of the two.
bool isSingleFloatRow(const at::Tensor& x, const at::Tensor& weight)
{
    return x.numel() == x.size(-1) && x.is_cpu() && x.scalar_type() == at::kFloat &&
           weight.scalar_type() == at::kFloat;
}

// matrix (out, in) times the single row `x` (..., in), plus `bias` (out) when defined:
// (..., out).
at::Tensor timesRow(const at::Tensor& matrix, const at::Tensor& x, const at::Tensor& bias)
{
    const at::Tensor row = x.reshape({x.size(-1)});
    const at::Tensor y = bias.defined() ? at::addmv(bias, matrix, row) : at::mv(matrix, row);
    std::vector<int64_t> sizes = x.sizes().vec();
    sizes.back() = matrix.size(0);
    return y.view(sizes);
}

// "creating the model (12000000000 parameters): <LibTorch's first line>".
std::string creationFailure(const ModelConfig& config, const std::string& what)
{
    char count[32];
    std::snprintf(count, sizeof(count), "%.0f", parameterEstimate(config));
    return "creating the model (" + std::string(count) +
           " parameters): " + what.substr(0, what.find('\n'));
}

} // namespace

// A failed allocation (a machine without the memory, a size past LibTorch's limits) surfaces as
// an rlhf::Error naming the model rather than a c10::Error and its backtrace.
TransformerImpl::TransformerImpl(const ModelConfig& config)
try : m_config(config) {
    m_config.validate();
    checkWeightsFit(m_config, hostMemoryBytes()); // built on the CPU in fp32 first
    const int64_t dim = m_config.dim;
    const int64_t qDim = m_config.heads * m_config.headDim();
    const int64_t kvDim = m_config.kvHeadCount() * m_config.headDim();
    const int64_t hidden = m_config.ffnHidden();
    const bool gpt2 = m_config.flavour == Flavour::Gpt2;

    auto backbone = addChild(*this, gpt2 ? "transformer" : "model");
    m_tokenEmbedding = addChild(*backbone, gpt2 ? "wte" : "embed_tokens")
                           ->register_parameter("weight", at::empty({m_config.vocabSize, dim}));
    if (gpt2)
        m_positionEmbedding =
            addChild(*backbone, "wpe")
                ->register_parameter("weight", at::empty({m_config.contextLength, dim}));

    auto layers = addChild(*backbone, gpt2 ? "h" : "layers");
    for (int64_t i = 0; i < m_config.layers; ++i) {
        auto layer = addChild(*layers, std::to_string(i));
        const std::string layerPath =
            (gpt2 ? "transformer.h." : "model.layers.") + std::to_string(i);
        const std::string attnPath = layerPath + (gpt2 ? ".attn." : ".self_attn.");
        const std::string mlpPath = layerPath + ".mlp.";
        Block block;
        auto norm1 = addChild(*layer, gpt2 ? "ln_1" : "input_layernorm");
        auto norm2 = addChild(*layer, gpt2 ? "ln_2" : "post_attention_layernorm");
        block.norm1Weight = norm1->register_parameter("weight", at::empty({dim}));
        block.norm2Weight = norm2->register_parameter("weight", at::empty({dim}));
        auto attn = addChild(*layer, gpt2 ? "attn" : "self_attn");
        auto mlp = addChild(*layer, "mlp");
        if (gpt2) {
            block.norm1Bias = norm1->register_parameter("bias", at::empty({dim}));
            block.norm2Bias = norm2->register_parameter("bias", at::empty({dim}));
            block.qkv = addLinear(*attn, attnPath, "c_attn", dim, 3 * dim, /*bias=*/true);
            block.attnOut = addLinear(*attn, attnPath, "c_proj", dim, dim, /*bias=*/true);
            block.up = addLinear(*mlp, mlpPath, "c_fc", dim, hidden, /*bias=*/true);
            block.down = addLinear(*mlp, mlpPath, "c_proj", hidden, dim, /*bias=*/true);
        } else {
            const bool qkvBias = m_config.qkvBias;
            block.query = addLinear(*attn, attnPath, "q_proj", dim, qDim, qkvBias);
            block.key = addLinear(*attn, attnPath, "k_proj", dim, kvDim, qkvBias);
            block.value = addLinear(*attn, attnPath, "v_proj", dim, kvDim, qkvBias);
            block.attnOut = addLinear(*attn, attnPath, "o_proj", qDim, dim, m_config.outputBias);
            if (m_config.qkNorm) {
                const int64_t headDim = m_config.headDim();
                block.queryNorm =
                    addChild(*attn, "q_norm")->register_parameter("weight", at::empty({headDim}));
                block.keyNorm =
                    addChild(*attn, "k_norm")->register_parameter("weight", at::empty({headDim}));
            }
            block.gate = addLinear(*mlp, mlpPath, "gate_proj", dim, hidden, /*bias=*/false);
            block.up = addLinear(*mlp, mlpPath, "up_proj", dim, hidden, /*bias=*/false);
            block.down = addLinear(*mlp, mlpPath, "down_proj", hidden, dim, /*bias=*/false);
        }
        m_blocks.push_back(block);
    }

    auto finalNorm = addChild(*backbone, gpt2 ? "ln_f" : "norm");
    m_finalNormWeight = finalNorm->register_parameter("weight", at::empty({dim}));
    if (gpt2) m_finalNormBias = finalNorm->register_parameter("bias", at::empty({dim}));

    m_lmHead = m_config.tieEmbeddings
                   ? m_tokenEmbedding
                   : addChild(*this, "lm_head")
                         ->register_parameter("weight", at::empty({m_config.vocabSize, dim}));

    if (!gpt2) {
        // A buffer, so that to(device) moves it with the weights; checkpoints hold parameters
        // only (HF keeps it as the non-persistent rotary_emb.inv_freq).
        RopeFrequencies frequencies = ropeFrequencies(m_config);
        m_ropeInvFreq = register_buffer("rope_inv_freq", frequencies.inverse); // (headDim / 2)
        m_ropeScale = frequencies.scale;
    }
    initWeights(/*seed=*/0);
    m_dropoutGenerator = at::detail::createCPUGenerator();
} catch (const c10::Error& error) {
    throw Error(creationFailure(config, error.what_without_backtrace()));
} catch (const std::bad_alloc&) {
    throw Error(creationFailure(config, "out of memory"));
}

TransformerImpl::Linear TransformerImpl::addLinear(torch::nn::Module& parent,
                                                   const std::string& path, const std::string& name,
                                                   int64_t in, int64_t out, bool bias)
{
    auto child = addChild(parent, name);
    Linear linear;
    linear.name = path + name;
    // GPT-2 keeps HF's Conv1D layout (in, out); Llama keeps nn.Linear's (out, in).
    const bool conv1d = m_config.flavour == Flavour::Gpt2;
    linear.weight =
        child->register_parameter("weight", conv1d ? at::empty({in, out}) : at::empty({out, in}));
    if (bias) linear.bias = child->register_parameter("bias", at::empty({out}));
    return linear;
}

void TransformerImpl::initWeights(uint64_t seed)
{
    at::NoGradGuard noGrad;
    auto generator = at::detail::createCPUGenerator(seed);
    const double std = m_config.initStd;
    const double residualStd = std / std::sqrt(2.0 * double(m_config.layers));
    for (const auto& item : named_parameters(/*recurse=*/true)) {
        const std::string& name = item.key();
        at::Tensor parameter = item.value();
        const bool isNorm =
            name.find("ln_") != std::string::npos || name.find("norm") != std::string::npos;
        const bool isBias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
        const bool isResidualOut = name.find("c_proj.weight") != std::string::npos ||
                                   name.find("o_proj.weight") != std::string::npos ||
                                   name.find("down_proj.weight") != std::string::npos;
        if (isBias)
            parameter.zero_();
        else if (isNorm)
            parameter.fill_(1.0);
        else
            parameter.normal_(0.0, isResidualOut ? residualStd : std, generator);
    }
}

int64_t TransformerImpl::parameterCount() const
{
    int64_t count = 0;
    for (const auto& parameter : parameters())
        count += parameter.numel();
    return count;
}

at::Tensor TransformerImpl::project(const Linear& linear, const at::Tensor& x) const
{
    const at::Tensor y = projectBase(linear, x);
    const LoraWeights* lora = activeLora(linear);
    if (!lora) return y;
    return addLora(
        *lora, x, y, linear.bias, [&] { return denseWeight(linear).to(x.scalar_type()); },
        is_training(), &m_dropoutGenerator);
}

at::Tensor TransformerImpl::projectBase(const Linear& linear, const at::Tensor& x) const
{
    if (linear.quantized) return quantizedLinear(x, *linear.quantized, linear.bias);
    const bool conv1d = m_config.flavour == Flavour::Gpt2;
    if (isSingleFloatRow(x, linear.weight))
        return timesRow(conv1d ? linear.weight.t() : linear.weight, x, linear.bias);
    if (conv1d) {
        // Conv1D: x @ W + b with W (in, out). addmm adds the bias inside the GEMM, and under
        // autocast casts it too, so the result stays bf16: matmul + bias would promote it to
        // fp32 and make every op after it (attention, GELU, the next cast) twice the bytes.
        const at::Tensor rows = x.reshape({-1, x.size(-1)});
        const at::Tensor y = linear.bias.defined() ? at::addmm(linear.bias, rows, linear.weight)
                                                   : at::mm(rows, linear.weight);
        std::vector<int64_t> sizes = x.sizes().vec();
        sizes.back() = linear.weight.size(1);
        return y.view(sizes);
    }
    return at::linear(x, linear.weight, linear.bias);
}

namespace {

// RMSNorm over the last dimension in fp32, as HF's LlamaRMSNorm does.
at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps)
{
    auto xf = x.to(at::kFloat);
    auto scaled = xf * at::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps);
    return weight * scaled.to(x.scalar_type());
}

} // namespace

at::Tensor TransformerImpl::norm(const at::Tensor& x, const at::Tensor& weight,
                                 const at::Tensor& bias) const
{
    if (m_config.flavour == Flavour::Gpt2)
        return at::layer_norm(x, {m_config.dim}, weight, bias, m_config.normEps);
    return rmsNorm(x, weight, m_config.normEps);
}

at::Tensor TransformerImpl::attention(const Block& block, const at::Tensor& x, KvCache* cache,
                                      size_t layer, const Rope& rope, const at::Tensor& keyValid,
                                      Masks& masks)
{
    const int64_t B = x.size(0), T = x.size(1);
    const int64_t heads = m_config.heads, kvHeads = m_config.kvHeadCount();
    const int64_t headDim = m_config.headDim();

    at::Tensor q, k, v;
    if (m_config.flavour == Flavour::Gpt2) {
        auto qkv = project(block.qkv, x).split(m_config.dim, -1); // 3 x (B, T, dim)
        q = qkv[0], k = qkv[1], v = qkv[2];
    } else {
        q = project(block.query, x), k = project(block.key, x), v = project(block.value, x);
    }
    q = q.view({B, T, heads, headDim}).transpose(1, 2);   // (B, heads, T, headDim)
    k = k.view({B, T, kvHeads, headDim}).transpose(1, 2); // (B, kvHeads, T, headDim)
    if (block.queryNorm.defined()) { // Qwen3: each head's queries and keys normalised, pre-rope
        q = rmsNorm(q, block.queryNorm, m_config.normEps);
        k = rmsNorm(k, block.keyNorm, m_config.normEps);
    }
    v = v.view({B, T, kvHeads, headDim}).transpose(1, 2); // (B, kvHeads, T, headDim)

    if (rope.cos.defined()) {
        auto cos = rope.cos.to(q.scalar_type()), sin = rope.sin.to(q.scalar_type());
        q = q * cos + rotateHalf(q) * sin;
        k = k * cos + rotateHalf(k) * sin;
    }

    int64_t past = 0;
    if (cache) {
        past = cache->keys[layer].defined() ? cache->keys[layer].size(2) : 0;
        if (past > 0) {
            k = at::cat({cache->keys[layer], k.to(cache->keys[layer].scalar_type())}, 2);
            v = at::cat({cache->values[layer], v.to(cache->values[layer].scalar_type())}, 2);
        }
        cache->keys[layer] = k, cache->values[layer] = v; // (B, kvHeads, past + T, headDim)
    }
    // A batch decoded in bf16 that shrinks to one row goes on in fp32 (isSingleFloatRow) over
    // a cache filled in bf16: queries follow the cache, the output the queries' own type.
    const at::ScalarType queryType = q.scalar_type();
    if (q.scalar_type() != k.scalar_type()) q = q.to(k.scalar_type());
    if (kvHeads != heads) { // grouped-query attention: each kv head serves heads/kvHeads queries
        k = k.repeat_interleave(heads / kvHeads, 1);
        v = v.repeat_interleave(heads / kvHeads, 1);
    }

    // The mask is built by the first layer and shared by the others (each layer makes the same
    // choice of kernel): a bool "may see" mask for the fused kernel, an additive one otherwise.
    // Layers with a sliding window share theirs.
    const int64_t total = past + T;
    const int64_t window = m_config.slidingLayer(int64_t(layer)) ? m_config.slidingWindow : 0;
    const bool windowed = window > 0 && total > window; // some key is outside the window
    at::Tensor& mask = windowed ? masks.sliding : masks.full;
    at::Tensor out;
    if (fusedAttention(B * heads * T * total, q.device())) {
        // The plain causal triangle needs no mask (the flash kernels); a continued cache,
        // padding or a window does.
        const bool needsMask = keyValid.defined() || (past > 0 && T > 1) || windowed;
        if (needsMask && !mask.defined())
            mask = attentionKeep(B, T, past, windowed ? window : 0, keyValid, q.device());
        out = compat::fusedAttention(q, k, v, needsMask ? mask : at::Tensor(), !needsMask && T > 1);
        if (keyValid.defined()) out = out.nan_to_num(0.0); // a row of only padding -> 0
    } else {
        // Three kernels: scaled scores with the mask added inside the GEMM, the softmax (in
        // the scores' type, accumulated in fp32), the weighted sum of values.
        if (!mask.defined())
            mask = attentionMask(B, T, past, windowed ? window : 0, keyValid, q.options());
        auto scores = at::baddbmm(mask, q.reshape({B * heads, T, headDim}),
                                  k.reshape({B * heads, total, headDim}).transpose(1, 2),
                                  /*beta=*/1.0, /*alpha=*/1.0 / std::sqrt(double(headDim)));
        auto weights = at::softmax(scores, -1);                    // (B*h, T, total)
        if (keyValid.defined()) weights = weights.nan_to_num(0.0); // a row of only padding -> 0
        out = at::bmm(weights, v.reshape({B * heads, total, headDim})).view({B, heads, T, headDim});
    }
    out = out.transpose(1, 2).reshape({B, T, heads * headDim}).to(queryType);
    return project(block.attnOut, out);
}

bool TransformerImpl::fusedAttention(int64_t scores, const c10::Device& device) const
{
    if constexpr (!compat::hasFusedKernels) return false;
    // Above this many scores per layer (16 MB in bf16) the written-out attention's saved
    // softmax costs more memory than its speed is worth; the flash kernel keeps none.
    constexpr int64_t writtenOutLimit = int64_t(8) << 20;
    switch (m_attentionKernel) {
    case AttentionKernel::Fused:
        return true;
    case AttentionKernel::WrittenOut:
        return false;
    case AttentionKernel::Auto:
        break;
    }
    return device.is_cuda() || scores > writtenOutLimit;
}

at::Tensor TransformerImpl::attentionMask(int64_t B, int64_t T, int64_t past, int64_t window,
                                          const at::Tensor& keyValid,
                                          const at::TensorOptions& options) const
{
    const int64_t total = past + T, heads = m_config.heads;
    // Query i (absolute position past + i) sees keys j <= past + i that are not padding (and,
    // with a window, j > past + i - window): an additive mask of 0 / -inf that baddbmm adds
    // while it computes the scaled scores.
    const float minusInf = -std::numeric_limits<float>::infinity();
    auto mask = at::full({T, total}, minusInf, options).triu(past + 1); // (T, total)
    if (window > 0) mask = mask + at::full({T, total}, minusInf, options).tril(past - window);
    if (!keyValid.defined()) return mask; // baddbmm broadcasts it over every row and head
    // Padding differs per row: one (T, total) mask per row and head.
    auto padding = at::zeros({B, 1, 1, total}, options)
                       .masked_fill_(keyValid.logical_not().view({B, 1, 1, total}), minusInf);
    mask = (mask.view({1, 1, T, total}) + padding).expand({B, heads, T, total});
    return mask.reshape({B * heads, T, total});
}

at::Tensor TransformerImpl::attentionKeep(int64_t B, int64_t T, int64_t past, int64_t window,
                                          const at::Tensor& keyValid,
                                          const c10::Device& device) const
{
    // Query i (absolute position past + i) sees keys j <= past + i that are not padding (and,
    // with a window, j > past + i - window).
    const int64_t total = past + T;
    auto options = at::TensorOptions().dtype(at::kLong).device(device);
    const auto keys = at::arange(total, options).view({1, total});
    const auto queries = at::arange(past, total, options).view({T, 1});
    auto keep = keys <= queries; // (T, total)
    if (window > 0) keep = keep.logical_and(keys > queries - window);
    if (!keyValid.defined()) return keep.view({1, 1, T, total});
    return keep.view({1, 1, T, total}).logical_and(keyValid.view({B, 1, 1, total}));
}

at::Tensor TransformerImpl::mlp(const Block& block, const at::Tensor& x) const
{
    if (m_config.flavour == Flavour::Gpt2)
        return project(block.down, at::gelu(project(block.up, x), "tanh"));
    return project(block.down, at::silu(project(block.gate, x)) * project(block.up, x));
}

at::Tensor TransformerImpl::block(const Block& block, at::Tensor x, KvCache* cache, size_t layer,
                                  const Rope& rope, const at::Tensor& keyValid, Masks& masks)
{
    x = x + attention(block, norm(x, block.norm1Weight, block.norm1Bias), cache, layer, rope,
                      keyValid, masks);
    return x + mlp(block, norm(x, block.norm2Weight, block.norm2Bias));
}

std::vector<at::Tensor> TransformerImpl::blockParameters(const Block& block) const
{
    std::vector<at::Tensor> parameters;
    for (const at::Tensor* tensor :
         {&block.norm1Weight, &block.norm1Bias, &block.norm2Weight,    &block.norm2Bias,
          &block.qkv.weight,  &block.qkv.bias,  &block.query.weight,   &block.query.bias,
          &block.key.weight,  &block.key.bias,  &block.value.weight,   &block.value.bias,
          &block.queryNorm,   &block.keyNorm,   &block.attnOut.weight, &block.attnOut.bias,
          &block.up.weight,   &block.up.bias,   &block.gate.weight,    &block.down.weight,
          &block.down.bias})
        if (tensor->defined()) parameters.push_back(*tensor);
    for (const Linear* linear : {&block.qkv, &block.query, &block.key, &block.value, &block.attnOut,
                                 &block.up, &block.gate, &block.down})
        if (const LoraWeights* lora = activeLora(*linear))
            for (const at::Tensor* tensor : {&lora->a, &lora->b, &lora->magnitude})
                if (tensor->defined()) parameters.push_back(*tensor);
    return parameters;
}

at::Tensor TransformerImpl::hiddenStates(const at::Tensor& tokens, KvCache* cache,
                                         const at::Tensor& positions, const at::Tensor& keyValid)
{
    TORCH_CHECK(tokens.dim() == 2, "tokens must be (B, T), got ", tokens.sizes());
    const int64_t B = tokens.size(0), T = tokens.size(1);
    const int64_t past = cache ? cache->length() : 0;
    TORCH_CHECK(past + T <= m_config.contextLength, "sequence of ", past + T,
                " tokens exceeds the context length ", m_config.contextLength);
    auto pos = positions.defined()
                   ? positions
                   : at::arange(past, past + T, tokens.options().dtype(at::kLong)).expand({B, T});

    auto x = at::embedding(m_tokenEmbedding, tokens); // (B, T, dim)
    if (m_config.flavour == Flavour::Gpt2)
        x = x + (positions.defined()
                     ? at::embedding(m_positionEmbedding, pos)
                     : m_positionEmbedding.narrow(0, past, T)); // (T, dim) broadcast

    Rope rope;
    if (m_config.flavour == Flavour::Llama) { // the rotation angles, once for every layer
        auto freqs = pos.to(at::kFloat).unsqueeze(-1) * m_ropeInvFreq; // (B, T, hd/2)
        auto angles = at::cat({freqs, freqs}, -1).unsqueeze(1);        // (B, 1, T, hd)
        rope = {angles.cos(), angles.sin()};
        if (m_ropeScale != 1.0) rope = {rope.cos * m_ropeScale, rope.sin * m_ropeScale};
    }
    if (cache && cache->keys.size() != m_blocks.size()) {
        cache->keys.assign(m_blocks.size(), at::Tensor());
        cache->values.assign(m_blocks.size(), at::Tensor());
    }
    // Padding needs a mask per row; without any, the one causal mask serves every row. Either
    // is built by the first layer and shared by the others.
    const bool padded = keyValid.defined() && !keyValid.all().item<bool>();
    Masks masks;
    const at::Tensor blockKeyValid = padded ? keyValid : at::Tensor();
    const bool checkpoint = m_activationCheckpointing && !cache && at::GradMode::is_enabled();
    const bool dropout =
        is_training() && m_activeAdapter >= 0 && m_adapters[size_t(m_activeAdapter)]->dropout > 0;
    for (size_t i = 0; i < m_blocks.size(); ++i) {
        const Block& block = m_blocks[i];
        // The layer's dropout masks come from a seed of its own, drawn from the global
        // generator, so that a recomputed layer draws them again.
        const uint64_t seed =
            dropout ? uint64_t(at::randint(int64_t(1) << 62, {1}).item<int64_t>()) : 0;
        if (dropout && m_dropoutGenerator.device() != x.device())
            m_dropoutGenerator = at::globalContext().defaultGenerator(x.device()).clone();
        if (dropout) m_dropoutGenerator.set_current_seed(seed);
        if (checkpoint) {
            // Runs again in backward, after this function returned: captures by value.
            auto run = [this, &block, i, rope, blockKeyValid, masks, dropout,
                        seed](const at::Tensor& in) {
                if (dropout) m_dropoutGenerator.set_current_seed(seed);
                Masks blockMasks = masks;
                return this->block(block, in, nullptr, i, rope, blockKeyValid, blockMasks);
            };
            x = checkpointed(run, x, blockParameters(block));
        } else {
            x = this->block(block, x, cache, i, rope, blockKeyValid, masks);
        }
    }
    if (cache) {
        auto valid = keyValid.defined() ? keyValid.narrow(1, past, T)
                                        : at::ones({B, T}, tokens.options().dtype(at::kBool));
        cache->keyValid = past > 0 ? at::cat({cache->keyValid, valid}, 1) : valid;
    }
    return norm(x, m_finalNormWeight, m_finalNormBias);
}

at::Tensor TransformerImpl::logits(const at::Tensor& hidden)
{
    if (isSingleFloatRow(hidden, m_lmHead)) return timesRow(m_lmHead, hidden, {}); // (1, 1, vocab)
    return at::matmul(hidden, m_lmHead.t());                                       // (B, T, vocab)
}

at::Tensor TransformerImpl::forward(const at::Tensor& tokens)
{
    return logits(hiddenStates(tokens, nullptr, {}, {}));
}

at::Tensor TransformerImpl::forward(const at::Tensor& tokens, KvCache& cache,
                                    const at::Tensor& positions, const at::Tensor& keyValid)
{
    return logits(hiddenStates(tokens, &cache, positions, keyValid));
}

} // namespace rlhf::model
