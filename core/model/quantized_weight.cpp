// Quantising a weight as bitsandbytes 0.50 does on the CPU (NF4 with or without double
// quantisation, int8 rows), dequantising it through the CPU loops (quantized_weight_cpu.cpp) or
// the CUDA kernels (quantized_weight_cuda.cu), and the linear layer over it. See
// quantized_weight.h.
#include "core/model/quantized_weight.h"

#include "core/compat/torch_compat.h"
#include "core/model/quantized_weight_cpu.h"
#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#ifdef RLHF_CUDA
#include "core/model/quantized_weight_cuda.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace rlhf::model {
namespace {

constexpr float minimumAbsmax = 1e-38f;   // bnb clamps a block's absmax to this before dividing
constexpr uint8_t nf4Zero = 7;            // the NF4 code of 0.0, which pads an odd element count
constexpr int64_t taskElements = 1 << 15; // elements per at::parallel_for task

std::string shapeText(at::IntArrayRef shape)
{
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

// The 15 points halfway between neighbouring NF4 codes, in fp32 as torch computes them.
const std::array<float, 15>& nf4Midpoints()
{
    static const std::array<float, 15> midpoints = [] {
        std::array<float, 15> points{};
        for (size_t i = 0; i < points.size(); ++i)
            points[i] = (nf4Codes()[i] + nf4Codes()[i + 1]) / 2.0f;
        return points;
    }();
    return midpoints;
}

// The NF4 code of `scaled` (value / absmax): how many midpoints lie strictly below it, as
// torch.bucketize(right=False) counts them, so that a tie goes to the lower code.
uint8_t nf4Code(float scaled)
{
    scaled = std::clamp(scaled, -1.0f, 1.0f);
    uint8_t code = 0;
    for (const float midpoint : nf4Midpoints())
        code += scaled > midpoint;
    return code;
}

// bnb's quantize_4bit on the CPU (backends/default/ops.py): per block of the flattened weight,
// absmax = max |x|; x * (1 / absmax) in a full block, x / absmax in the last, partial one (whose
// stored absmax is clamped to 1e-38), then the nearest code. values: numel fp32.
std::pair<at::Tensor, at::Tensor> quantizeNf4(const float* values, int64_t numel, int64_t blockSize)
{
    const int64_t blocks = (numel + blockSize - 1) / blockSize;
    at::Tensor packed = at::empty({(numel + 1) / 2}, at::kByte);
    at::Tensor absmax = at::empty({blocks}, at::kFloat);
    uint8_t* bytes = packed.data_ptr<uint8_t>();
    float* scales = absmax.data_ptr<float>();
    at::parallel_for(
        0, blocks, std::max<int64_t>(1, taskElements / blockSize), [&](int64_t begin, int64_t end) {
            for (int64_t block = begin; block < end; ++block) {
                const int64_t first = block * blockSize, count = std::min(blockSize, numel - first);
                const float* x = values + first;
                float peak = 0;
                for (int64_t i = 0; i < count; ++i)
                    peak = std::max(peak, std::fabs(x[i]));
                const bool partial = count < blockSize;
                if (partial) peak = std::max(peak, minimumAbsmax);
                scales[block] = peak;
                const float inverse = 1.0f / std::max(peak, minimumAbsmax);
                auto code = [&](float v) { return nf4Code(partial ? v / peak : v * inverse); };
                uint8_t* out = bytes + first / 2;
                for (int64_t i = 0; i < count; i += 2)
                    out[i / 2] =
                        uint8_t(code(x[i]) << 4 | (i + 1 < count ? code(x[i + 1]) : nf4Zero));
            }
        });
    return {packed, absmax};
}

// torch.linspace(0.1, 1, items) in fp32 as LibTorch 2.x computes it: start + step * i fused
// (one rounding) in the first half, end - step * (items - 1 - i) in the second.
std::vector<float> linspaceTenthToOne(int items)
{
    const float start = 0.1f, end = 1.0f, step = (end - start) / float(items - 1);
    std::vector<float> points(static_cast<size_t>(items));
    for (int i = 0; i < items; ++i)
        points[size_t(i)] = i < items / 2 ? std::fma(step, float(i), start)
                                          : std::fma(-step, float(items - 1 - i), end);
    return points;
}

// bnb's quantisation table for its 8-bit blockwise codes: the code nearest to each of 65536
// evenly spaced points of [-1, 1] (csrc/cpu_ops.cpp, build_quantize_lut).
const std::vector<uint8_t>& dynamicLookup()
{
    static const std::vector<uint8_t> table = [] {
        const auto& map = dynamicMap();
        std::array<float, 255> midpoints{};
        for (size_t i = 0; i < midpoints.size(); ++i)
            midpoints[i] = 0.5f * (map[i] + map[i + 1]);
        std::vector<uint8_t> lookup(65536);
        size_t code = 0;
        for (int i = 0; i < 65536; ++i) {
            const float point = (2.0f * float(i)) / 65535.0f - 1.0f;
            while (code < midpoints.size() && midpoints[code] < point)
                ++code;
            lookup[size_t(i)] = uint8_t(code);
        }
        return lookup;
    }();
    return table;
}

void checkBlockSize(int64_t blockSize)
{
    for (int64_t allowed = 32; allowed <= 4096; allowed *= 2)
        if (blockSize == allowed) return;
    throw Error("NF4 block size " + std::to_string(blockSize) +
                ": must be one of 32, 64, 128, 256, 512, 1024, 2048, 4096 (as in bitsandbytes)");
}

// bnb's int8_vectorwise_quant: SCB = max |row|, q = round-half-even(x * ((1 / SCB) * 127)),
// the factor rounded to fp32 twice as torch computes 127.0 / SCB. A zero row stays zero.
std::pair<at::Tensor, at::Tensor> quantizeInt8(const at::Tensor& values) // (rows, columns) fp32
{
    const int64_t rows = values.size(0), columns = values.size(1);
    at::Tensor data = at::empty({rows, columns}, at::kChar);
    at::Tensor scales = at::empty({rows}, at::kFloat);
    const float* x = values.data_ptr<float>();
    int8_t* q = data.data_ptr<int8_t>();
    float* scb = scales.data_ptr<float>();
    at::parallel_for(0, rows, std::max<int64_t>(1, taskElements / std::max<int64_t>(columns, 1)),
                     [&](int64_t begin, int64_t end) {
                         for (int64_t row = begin; row < end; ++row) {
                             const float* in = x + row * columns;
                             float peak = 0;
                             for (int64_t c = 0; c < columns; ++c)
                                 peak = std::max(peak, std::fabs(in[c]));
                             scb[row] = peak;
                             const float factor = peak > 0 ? (1.0f / peak) * 127.0f : 0.0f;
                             for (int64_t c = 0; c < columns; ++c)
                                 q[row * columns + c] = int8_t(std::nearbyint(in[c] * factor));
                         }
                     });
    return {data, scales};
}

#ifdef RLHF_CUDA
void dequantizeCuda(const QuantizedWeight& weight, at::Tensor& out)
{
    const c10::cuda::CUDAGuard guard(weight.data.device());
    CUstream_st* stream = c10::cuda::getCurrentCUDAStream(weight.data.device().index()).stream();
    const auto type =
        out.scalar_type() == at::kBFloat16 ? cuda::OutputType::BFloat16 : cuda::OutputType::Float32;
    if (weight.type == QuantType::Int8) {
        cuda::dequantizeInt8(weight.data.data_ptr<int8_t>(), weight.absmax.data_ptr<float>(),
                             weight.shape[0], weight.shape[1], out.data_ptr(), type, stream);
        return;
    }
    cuda::Nf4View view;
    view.packed = weight.data.data_ptr<uint8_t>();
    if (weight.doubleQuant) {
        view.absmaxCodes = weight.absmax.data_ptr<uint8_t>();
        view.nestedAbsmax = weight.nestedAbsmax.data_ptr<float>();
        view.dynamicMap = dynamicMap().data();
        view.offset = weight.offset;
    } else {
        view.absmax = weight.absmax.data_ptr<float>();
    }
    view.numel = weight.numel();
    view.blockSize = weight.blockSize;
    cuda::dequantizeNf4(view, out.data_ptr(), type, stream);
}
#endif

void checkQuantized(const QuantizedWeight& weight)
{
    if (!weight.data.defined() || !weight.absmax.defined() ||
        (weight.doubleQuant && !weight.nestedAbsmax.defined()))
        throw Error("quantised weight: missing tensors (not made by quantize())");
}

} // namespace

const std::array<float, 16>& nf4Codes()
{
    static constexpr std::array<float, 16> codes = {
        -1.0f,
        -0.6961928009986877f,
        -0.5250730514526367f,
        -0.39491748809814453f,
        -0.28444138169288635f,
        -0.18477343022823334f,
        -0.09105003625154495f,
        0.0f,
        0.07958029955625534f,
        0.16093020141124725f,
        0.24611230194568634f,
        0.33791524171829224f,
        0.44070982933044434f,
        0.5626170039176941f,
        0.7229568362236023f,
        1.0f,
    };
    return codes;
}

// create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8): for i in 0..6, the 2^i
// means of neighbours in linspace(0.1, 1, 2^i + 1), times 10^(i - 6) (an fp32 product), with
// both signs; then 0 and 1; sorted.
const std::array<float, 256>& dynamicMap()
{
    static const std::array<float, 256> map = [] {
        std::vector<float> values;
        for (int i = 0; i < 7; ++i) {
            const std::vector<float> points = linspaceTenthToOne((1 << i) + 1);
            const float scale = float(std::pow(10.0, i - 6));
            for (size_t j = 0; j + 1 < points.size(); ++j) {
                const float value = scale * ((points[j] + points[j + 1]) / 2.0f);
                values.push_back(value);
                values.push_back(-value);
            }
        }
        values.push_back(0.0f);
        values.push_back(1.0f);
        std::sort(values.begin(), values.end());
        std::array<float, 256> sorted{};
        std::copy(values.begin(), values.end(), sorted.begin());
        return sorted;
    }();
    return map;
}

int64_t QuantizedWeight::numel() const
{
    int64_t count = 1;
    for (const int64_t size : shape)
        count *= size;
    return count;
}

int64_t QuantizedWeight::bytes() const
{
    int64_t total = 0;
    for (const at::Tensor* tensor : {&data, &absmax, &nestedAbsmax})
        if (tensor->defined()) total += tensor->numel() * int64_t(tensor->element_size());
    return total;
}

QuantizedWeight QuantizedWeight::to(c10::Device device) const
{
    QuantizedWeight copy = *this;
    for (at::Tensor* tensor : {&copy.data, &copy.absmax, &copy.nestedAbsmax})
        if (tensor->defined()) *tensor = tensor->to(device);
    return copy;
}

std::pair<at::Tensor, at::Tensor> quantizeBlockwise8(const at::Tensor& values, int64_t blockSize)
{
    if (values.dim() != 1 || values.scalar_type() != at::kFloat || !values.device().is_cpu() ||
        blockSize <= 0)
        throw Error("quantizeBlockwise8: wants 1-D fp32 values on the CPU and a positive block");
    const at::Tensor in = values.contiguous();
    const int64_t numel = in.numel(), blocks = (numel + blockSize - 1) / blockSize;
    at::Tensor codes = at::empty({numel}, at::kByte);
    at::Tensor absmax = at::empty({blocks}, at::kFloat);
    const float* x = in.data_ptr<float>();
    uint8_t* out = codes.data_ptr<uint8_t>();
    const auto& lookup = dynamicLookup();
    for (int64_t block = 0; block < blocks; ++block) {
        const int64_t first = block * blockSize, last = std::min(first + blockSize, numel);
        float peak = 0;
        for (int64_t i = first; i < last; ++i)
            peak = std::max(peak, std::fabs(x[i]));
        absmax.data_ptr<float>()[block] = peak;
        const float inverse = peak == 0 ? 0.0f : 1.0f / peak; // bnb: codes 0 for a zero block
        for (int64_t i = first; i < last; ++i) {
            const float scaled = std::clamp(x[i] * inverse, -1.0f, 1.0f);
            // bnb's index: trunc(fma(65535, (scaled + 1) * 0.5, 0.5)), fused as compiled there
            const float point = std::fma((scaled + 1.0f) * 0.5f, 65535.0f, 0.5f);
            out[i] = peak == 0 ? 0 : lookup[size_t(point)];
        }
    }
    return {codes, absmax};
}

QuantizedWeight quantize(const at::Tensor& weight, QuantType type, int64_t blockSize,
                         bool doubleQuant)
{
    const std::string what = std::string(type == QuantType::Nf4    ? "NF4"
                                         : type == QuantType::Int8 ? "int8"
                                                                   : "bf16") +
                             " quantisation of a " + shapeText(weight.sizes()) + " weight";
    const auto dtype = weight.scalar_type();
    if (dtype != at::kFloat && dtype != at::kBFloat16 && dtype != at::kHalf)
        throw Error(what + ": dtype " + std::string(c10::toString(dtype)) +
                    ", wants fp32, bf16 or fp16");
    if (weight.numel() == 0) throw Error(what + ": the weight is empty");
    if (type == QuantType::Int8 && weight.dim() != 2)
        throw Error(what + ": int8 wants 2-D (out, in)");
    if (type == QuantType::Nf4) checkBlockSize(blockSize);
    const at::NoGradGuard noGrad;
    if (type == QuantType::Bf16) { // rounded where it is: nothing to look up on the CPU
        QuantizedWeight result;
        result.type = type;
        result.shape = weight.sizes().vec();
        result.dtype = dtype;
        result.blockSize = weight.numel();
        result.data = weight.detach().to(at::kBFloat16).contiguous();
        result.absmax = at::empty({0}, result.data.options().dtype(at::kFloat));
        if (!at::isfinite(result.data).all().item<bool>())
            throw Error(what + ": values not finite");
        return result;
    }
    const at::Tensor values = weight.detach().to(at::kCPU).to(at::kFloat).contiguous();
    if (!at::isfinite(values).all().item<bool>()) throw Error(what + ": values not finite");

    QuantizedWeight result;
    result.type = type;
    result.shape = weight.sizes().vec();
    result.dtype = dtype;
    if (type == QuantType::Int8) {
        result.blockSize = weight.size(1);
        result.doubleQuant = false;
        std::tie(result.data, result.absmax) = quantizeInt8(values);
    } else {
        result.blockSize = blockSize;
        result.doubleQuant = doubleQuant;
        auto [packed, absmax] = quantizeNf4(values.data_ptr<float>(), values.numel(), blockSize);
        result.data = packed;
        result.absmax = absmax;
        if (doubleQuant) {
            // bnb: offset = absmax.mean(); we sum in double, which any machine repeats exactly
            // (torch's fp32 sum depends on its vector width: they may differ in the last bit).
            const float* a = absmax.data_ptr<float>();
            double sum = 0;
            for (int64_t i = 0; i < absmax.numel(); ++i)
                sum += a[i];
            result.offset = float(sum / double(absmax.numel()));
            std::tie(result.absmax, result.nestedAbsmax) =
                quantizeBlockwise8(absmax - result.offset, nestedBlockSize);
        }
    }
    return weight.device().is_cpu() ? result : result.to(weight.device());
}

at::Tensor dequantize(const QuantizedWeight& weight, at::ScalarType dtype)
{
    checkQuantized(weight);
    if (dtype == at::kHalf) return dequantize(weight, at::kFloat).to(at::kHalf);
    if (dtype != at::kFloat && dtype != at::kBFloat16)
        throw Error("dequantize: dtype " + std::string(c10::toString(dtype)) +
                    ", wants fp32, bf16 or fp16");
    if (weight.type == QuantType::Bf16 && dtype == at::kBFloat16) return weight.data; // as held
    at::Tensor out = at::empty(weight.shape, weight.data.options().dtype(dtype));
    dequantizeInto(weight, out);
    return out;
}

void dequantizeInto(const QuantizedWeight& weight, at::Tensor& out)
{
    checkQuantized(weight);
    const auto dtype = out.scalar_type();
    if ((dtype != at::kFloat && dtype != at::kBFloat16) || !out.is_contiguous() ||
        out.sizes() != at::IntArrayRef(weight.shape) || out.device() != weight.data.device())
        throw Error("dequantizeInto: output " + shapeText(out.sizes()) + " " +
                    std::string(c10::toString(dtype)) + " on " + out.device().str() +
                    ", wants a contiguous fp32 or bf16 " + shapeText(weight.shape) + " on " +
                    weight.data.device().str());
    if (weight.type == QuantType::Bf16) {
        out.copy_(weight.data);
        return;
    }
    if (weight.data.device().is_cuda()) {
#ifdef RLHF_CUDA
        dequantizeCuda(weight, out);
        return;
#else
        throw Error("dequantize: a CUDA weight in a build without CUDA");
#endif
    }
    const bool bf16 = dtype == at::kBFloat16;
    uint16_t* bits = bf16 ? reinterpret_cast<uint16_t*>(out.data_ptr<at::BFloat16>()) : nullptr;
    if (weight.type == QuantType::Nf4)
        bf16 ? cpu::dequantizeNf4(weight, bits) : cpu::dequantizeNf4(weight, out.data_ptr<float>());
    else
        bf16 ? cpu::dequantizeInt8(weight, bits)
             : cpu::dequantizeInt8(weight, out.data_ptr<float>());
}

at::Tensor blockAbsmax(const QuantizedWeight& weight)
{
    checkQuantized(weight);
    const QuantizedWeight onCpu = weight.to(at::kCPU);
    if (weight.type == QuantType::Bf16) throw Error("blockAbsmax: a bf16 weight has no blocks");
    if (weight.type == QuantType::Int8 || !weight.doubleQuant) return onCpu.absmax.clone();
    at::Tensor absmax = at::empty({onCpu.absmax.numel()}, at::kFloat);
    cpu::decodeAbsmax(onCpu, absmax.data_ptr<float>());
    return absmax;
}

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The weight's tensors and fields in an autograd context's saved_data: shared, not copied.
void saveWeight(AutogradContext* context, const QuantizedWeight& weight)
{
    auto& saved = context->saved_data;
    saved["type"] = int64_t(weight.type);
    saved["shape"] = weight.shape;
    saved["dtype"] = int64_t(weight.dtype);
    saved["blockSize"] = weight.blockSize;
    saved["doubleQuant"] = weight.doubleQuant;
    saved["data"] = weight.data;
    saved["absmax"] = weight.absmax;
    if (weight.doubleQuant) saved["nestedAbsmax"] = weight.nestedAbsmax;
    saved["offset"] = double(weight.offset);
}

QuantizedWeight savedWeight(AutogradContext* context)
{
    auto& saved = context->saved_data;
    QuantizedWeight weight;
    weight.type = QuantType(saved["type"].toInt());
    weight.shape = saved["shape"].toIntVector();
    weight.dtype = at::ScalarType(saved["dtype"].toInt());
    weight.blockSize = saved["blockSize"].toInt();
    weight.doubleQuant = saved["doubleQuant"].toBool();
    weight.data = saved["data"].toTensor();
    weight.absmax = saved["absmax"].toTensor();
    if (weight.doubleQuant) weight.nestedAbsmax = saved["nestedAbsmax"].toTensor();
    weight.offset = float(saved["offset"].toDouble());
    return weight;
}

at::Tensor linearForward(const at::Tensor& x, const QuantizedWeight& weight, const at::Tensor& bias,
                         at::ScalarType compute)
{
    return at::linear(x.to(compute), dequantize(weight, compute),
                      bias.defined() ? bias.to(compute) : at::Tensor());
}

// y = x W^T + b, keeping only the quantised W for backward: dx = dy W, db = sum of dy.
class QuantizedLinearFunction : public torch::autograd::Function<QuantizedLinearFunction> {
public:
    static at::Tensor forward(AutogradContext* context, const at::Tensor& x,
                              const c10::optional<at::Tensor>& bias, const QuantizedWeight* weight,
                              at::ScalarType compute, bool wantX, bool wantBias)
    {
        saveWeight(context, *weight);
        context->saved_data["wantX"] = wantX;
        context->saved_data["wantBias"] = wantBias;
        return linearForward(x, *weight, bias ? *bias : at::Tensor(), compute);
    }

    static variable_list backward(AutogradContext* context, variable_list outputGrads)
    {
        const at::Tensor& dy = outputGrads[0]; // (..., out)
        variable_list grads(6);                // one per forward argument: x, bias, the rest none
        if (context->saved_data["wantX"].toBool())
            grads[0] = at::matmul(dy, dequantize(savedWeight(context), dy.scalar_type()));
        if (context->saved_data["wantBias"].toBool())
            grads[1] = dy.reshape({-1, dy.size(-1)}).sum(0); // (out)
        return grads;
    }
};

} // namespace

at::Tensor quantizedLinear(const at::Tensor& x, const QuantizedWeight& weight,
                           const at::Tensor& bias)
{
    checkQuantized(weight);
    if (weight.shape.size() != 2 || x.dim() < 1 || x.size(-1) != weight.shape[1] ||
        (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.shape[0])))
        throw Error("quantizedLinear: input " + shapeText(x.sizes()) + ", weight " +
                    shapeText(weight.shape) +
                    (bias.defined() ? ", bias " + shapeText(bias.sizes()) : std::string()) +
                    ": wants (..., in), (out, in), (out)");
    if (x.device() != weight.data.device())
        throw Error("quantizedLinear: input on " + x.device().str() + ", weight on " +
                    weight.data.device().str());
    const auto device = x.device().type();
    const at::ScalarType compute =
        compat::autocastEnabled(device) ? compat::autocastDtype(device) : x.scalar_type();
    const bool wantX = x.requires_grad(), wantBias = bias.defined() && bias.requires_grad();
    if (!at::GradMode::is_enabled() || (!wantX && !wantBias))
        return linearForward(x, weight, bias, compute);
    // An optional, so that autograd does not take an undefined bias for an input.
    const c10::optional<at::Tensor> optionalBias =
        bias.defined() ? c10::optional<at::Tensor>(bias) : c10::nullopt;
    return QuantizedLinearFunction::apply(x, optionalBias, &weight, compute, wantX, wantBias);
}

} // namespace rlhf::model
