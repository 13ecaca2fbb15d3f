// TransformerImpl's LoRA adapters: adding them (fresh or from tensors), naming them as PEFT
// does, switching between them and merging one into the base weights.
#include "core/model/transformer.h"

#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>

#include <map>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace rlhf::model {

namespace {

const char* const loraA = ".lora_A.weight";
const char* const loraB = ".lora_B.weight";
const char* const loraMagnitude = ".lora_magnitude_vector";

std::string shapeText(at::IntArrayRef shape)
{
    std::string text = "(";
    for (size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + ")";
}

} // namespace

std::vector<TransformerImpl::Linear*> TransformerImpl::linears()
{
    std::vector<Linear*> all;
    for (Block& block : m_blocks)
        for (Linear* linear : {&block.qkv, &block.query, &block.key, &block.value, &block.attnOut,
                               &block.gate, &block.up, &block.down})
            if (linear->weight.defined()) all.push_back(linear);
    return all;
}

std::vector<const TransformerImpl::Linear*> TransformerImpl::linears() const
{
    std::vector<const Linear*> all;
    for (Linear* linear : const_cast<TransformerImpl*>(this)->linears())
        all.push_back(linear);
    return all;
}

std::vector<std::string> TransformerImpl::linearNames() const
{
    std::vector<std::string> names;
    for (const Linear* linear : linears())
        names.push_back(linear->name);
    return names;
}

const LoraWeights* TransformerImpl::activeLora(const Linear& linear) const
{
    if (m_activeAdapter < 0 || size_t(m_activeAdapter) >= linear.adapters.size()) return nullptr;
    const LoraWeights& lora = linear.adapters[size_t(m_activeAdapter)];
    return lora.a.defined() ? &lora : nullptr;
}

at::Tensor TransformerImpl::denseWeight(const Linear& linear) const
{
    if (linear.quantized) return dequantize(*linear.quantized, at::kFloat);
    return m_config.flavour == Flavour::Gpt2 ? linear.weight.t() : linear.weight;
}

int TransformerImpl::addAdapter(const LoraConfig& config, uint64_t seed)
{
    config.validate();
    auto generator = at::detail::createCPUGenerator(seed);
    std::vector<LoraWeights> perLinear;
    bool any = false;
    for (const Linear* linear : linears()) {
        perLinear.emplace_back();
        if (!config.targets(linear->name)) continue;
        const at::Tensor weight = denseWeight(*linear);
        perLinear.back() = initLora(config, weight.size(1), weight.size(0), generator, weight);
        any = true;
    }
    if (!any)
        throw Error("lora.target_modules: no layer of this " + flavourName(m_config.flavour) +
                    " model matches; its layers are named like " + linears().front()->name);
    return addAdapter(config, std::move(perLinear));
}

int TransformerImpl::addAdapter(const LoraConfig& config, const NamedTensors& tensors)
{
    std::map<std::string, at::Tensor> byName(tensors.begin(), tensors.end());
    auto take = [&](const std::string& name) {
        const auto found = byName.find(name);
        if (found == byName.end()) return at::Tensor();
        at::Tensor tensor = found->second;
        byName.erase(found);
        return tensor;
    };
    auto checkShape = [](const std::string& name, const at::Tensor& tensor,
                         std::vector<int64_t> shape) {
        if (tensor.sizes() != at::IntArrayRef(shape))
            throw Error("adapter tensor " + name + ": shape " + shapeText(tensor.sizes()) +
                        ", the layer needs " + shapeText(shape));
    };
    std::vector<LoraWeights> perLinear;
    bool any = false;
    for (const Linear* linear : linears()) {
        perLinear.emplace_back();
        at::Tensor a = take(linear->name + loraA), b = take(linear->name + loraB);
        at::Tensor magnitude = take(linear->name + loraMagnitude);
        if (!a.defined() && !b.defined() && !magnitude.defined()) continue;
        if (!a.defined() || !b.defined())
            throw Error("adapter of " + linear->name + ": " + (a.defined() ? "lora_B" : "lora_A") +
                        " is missing");
        if (magnitude.defined() != config.dora)
            throw Error("adapter of " + linear->name + ": " +
                        (config.dora ? "DoRA needs lora_magnitude_vector"
                                     : "lora_magnitude_vector without use_dora"));
        const at::Tensor weight = denseWeight(*linear);
        if (a.dim() != 2)
            throw Error("adapter tensor " + linear->name + loraA + ": shape " +
                        shapeText(a.sizes()) + ", the layer needs (rank, " +
                        std::to_string(weight.size(1)) + ")");
        const int64_t rank = a.size(0);
        checkShape(linear->name + loraA, a, {rank, weight.size(1)});
        checkShape(linear->name + loraB, b, {weight.size(0), rank});
        if (magnitude.defined())
            checkShape(linear->name + loraMagnitude, magnitude, {weight.size(0)});
        LoraConfig layerConfig = config;
        layerConfig.rank = rank;
        LoraWeights& lora = perLinear.back();
        lora.a = a.to(at::kFloat).clone();
        lora.b = b.to(at::kFloat).clone();
        if (magnitude.defined()) lora.magnitude = magnitude.to(at::kFloat).clone();
        lora.scaling = layerConfig.scaling();
        lora.dropout = config.dropout;
        any = true;
    }
    if (!byName.empty())
        throw Error("adapter tensor " + byName.begin()->first + " fits no layer of this model");
    if (!any) throw Error("adapter: no LoRA tensors");
    return addAdapter(config, std::move(perLinear));
}

int TransformerImpl::addAdapter(const LoraConfig& config, std::vector<LoraWeights> perLinear)
{
    const int index = int(m_adapters.size());
    m_adapters.push_back(config);
    const std::vector<Linear*> all = linears();
    for (size_t i = 0; i < all.size(); ++i) {
        LoraWeights& lora = perLinear[i];
        for (at::Tensor* tensor : {&lora.a, &lora.b, &lora.magnitude})
            if (tensor->defined()) *tensor = tensor->to(device()).set_requires_grad(true);
        all[i]->adapters.resize(size_t(index) + 1);
        all[i]->adapters[size_t(index)] = std::move(lora);
    }
    return index;
}

const LoraConfig& TransformerImpl::adapterConfig(int adapter) const
{
    if (adapter < 0 || adapter >= adapterCount() || !m_adapters[size_t(adapter)])
        throw Error("no adapter " + std::to_string(adapter));
    return *m_adapters[size_t(adapter)];
}

NamedTensors TransformerImpl::adapterTensors(int adapter) const
{
    adapterConfig(adapter); // checks the index
    NamedTensors tensors;
    for (const Linear* linear : linears()) {
        if (size_t(adapter) >= linear->adapters.size()) continue;
        const LoraWeights& lora = linear->adapters[size_t(adapter)];
        if (!lora.a.defined()) continue;
        tensors.emplace_back(linear->name + loraA, lora.a);
        tensors.emplace_back(linear->name + loraB, lora.b);
        if (lora.magnitude.defined())
            tensors.emplace_back(linear->name + loraMagnitude, lora.magnitude);
    }
    return tensors;
}

void TransformerImpl::setActiveAdapter(int adapter)
{
    if (adapter != -1) adapterConfig(adapter);
    m_activeAdapter = adapter;
}

void TransformerImpl::removeAdapter(int adapter)
{
    adapterConfig(adapter);
    for (Linear* linear : linears())
        if (size_t(adapter) < linear->adapters.size()) linear->adapters[size_t(adapter)] = {};
    m_adapters[size_t(adapter)].reset();
    if (m_activeAdapter == adapter) m_activeAdapter = -1;
}

void TransformerImpl::mergeAdapter(int adapter)
{
    adapterConfig(adapter);
    if (quantized())
        throw Error("merging an adapter: the base is quantised; merge into the unquantised "
                    "base (load the adapter checkpoint, which merges it into its base as stored)");
    at::NoGradGuard noGrad;
    for (Linear* linear : linears()) {
        if (size_t(adapter) >= linear->adapters.size()) continue;
        LoraWeights& lora = linear->adapters[size_t(adapter)];
        if (!lora.a.defined()) continue;
        const at::Tensor merged = mergedWeight(lora, denseWeight(*linear));
        denseWeight(*linear).copy_(merged); // a view of the parameter in either layout
        lora = LoraWeights();
    }
    if (m_activeAdapter == adapter) m_activeAdapter = -1;
}

void TransformerImpl::quantizeLinears(QuantType type, c10::Device device)
{
    at::NoGradGuard noGrad;
    for (Linear* linear : linears()) {
        if (linear->quantized) continue;
        const at::Tensor weight = denseWeight(*linear).contiguous(); // (out, in)
        linear->quantized =
            std::make_shared<const QuantizedWeight>(quantize(weight, type).to(device));
        linear->weight.set_data(at::empty({0}, linear->weight.options()));
    }
#ifdef __GLIBC__
    malloc_trim(0); // the freed dense weights back to the system, not kept for reuse
#endif
}

bool TransformerImpl::quantized() const
{
    const auto all = linears();
    return !all.empty() && all.front()->quantized != nullptr;
}

int64_t TransformerImpl::weightBytes() const
{
    int64_t bytes = 0;
    for (const at::Tensor& parameter : parameters())
        bytes += int64_t(parameter.nbytes());
    for (const Linear* linear : linears()) {
        if (linear->quantized) bytes += linear->quantized->bytes();
        for (const LoraWeights& lora : linear->adapters)
            for (const at::Tensor* tensor : {&lora.a, &lora.b, &lora.magnitude})
                if (tensor->defined()) bytes += int64_t(tensor->nbytes());
    }
    return bytes;
}

} // namespace rlhf::model
