// Benchmark of QLoRA's quantised base weights (core/model/quantized_weight): dequantisation
// throughput (GB/s of output written) of NF4 (double quantised) and int8 to fp32 and bf16 at
// 4096x4096 and 4096x11008; quantizedLinear forward + backward (dx) at 512 tokens beside
// at::linear over the dense weight; storage bytes per parameter. Prints one JSON line.
//
//   bench_quantization [--device cpu|cuda] [--repeats N]
//
// tests/reference/quantization_reference.py --bench times bitsandbytes on the same matrices.
#include "core/model/quantized_weight.h"
#include "core/model/torch_runtime.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/cuda.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

using namespace rlhf;

namespace {

// The best of `repeats` runs of `body`, after one warm-up run, in seconds.
template <typename Body> double bestSeconds(int repeats, const c10::Device& device, Body&& body)
{
    auto sync = [&] {
        if (device.is_cuda()) torch::cuda::synchronize();
    };
    body();
    sync();
    double best = 1e30;
    for (int i = 0; i < repeats; ++i) {
        const auto start = std::chrono::steady_clock::now();
        body();
        sync();
        best = std::min(
            best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return best;
}

double round2(double value)
{
    return double(int64_t(value * 100 + 0.5)) / 100;
}

} // namespace

int main(int argc, char** argv)
{
    std::string deviceName = "cpu";
    int repeats = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--device") == 0) deviceName = argv[i + 1];
        if (std::strcmp(argv[i], "--repeats") == 0) repeats = std::max(1, std::atoi(argv[i + 1]));
    }
    const c10::Device device(deviceName);
    nlohmann::ordered_json report;
    report["device"] = device.str();
    report["threads"] = model::setComputeThreads(0);
    at::manual_seed(0);

    for (const auto& [rows, columns] : {std::pair<int64_t, int64_t>{4096, 4096}, {4096, 11008}}) {
        const std::string shape = std::to_string(rows) + "x" + std::to_string(columns);
        const at::Tensor weight = at::randn({rows, columns}) * 0.02;
        const auto nf4 = model::quantize(weight, model::QuantType::Nf4, 64, true).to(device);
        const auto int8 = model::quantize(weight, model::QuantType::Int8).to(device);
        // The ceilings: writing the output once (fill_), into a fresh tensor and a reused one.
        for (const auto dtype : {at::kFloat, at::kBFloat16}) {
            const double bytes = double(weight.numel()) * (dtype == at::kFloat ? 4 : 2);
            const auto options = at::TensorOptions(device).dtype(dtype);
            const std::string key =
                std::string("fill_") + (dtype == at::kFloat ? "fp32" : "bf16") + "_" + shape;
            const double fresh = bestSeconds(repeats, device, [&] {
                at::empty({rows, columns}, options).fill_(1);
            });
            at::Tensor out = at::empty({rows, columns}, options);
            const double reused = bestSeconds(repeats, device, [&] { out.fill_(1); });
            report[key + "_gbps"] = round2(bytes / fresh / 1e9);
            report[key + "_into_gbps"] = round2(bytes / reused / 1e9);
        }
        for (const auto& [label, q] : {std::pair{"nf4", &nf4}, {"int8", &int8}}) {
            for (const auto dtype : {at::kFloat, at::kBFloat16}) {
                const double bytes = double(weight.numel()) * (dtype == at::kFloat ? 4 : 2);
                const std::string key = std::string(label) + "_dequant_" +
                                        (dtype == at::kFloat ? "fp32" : "bf16") + "_" + shape;
                const double fresh =
                    bestSeconds(repeats, device, [&] { model::dequantize(*q, dtype); });
                at::Tensor out = at::empty({rows, columns}, at::TensorOptions(device).dtype(dtype));
                const double reused =
                    bestSeconds(repeats, device, [&] { model::dequantizeInto(*q, out); });
                report[key + "_gbps"] = round2(bytes / fresh / 1e9);
                report[key + "_into_gbps"] = round2(bytes / reused / 1e9);
            }
            report[std::string(label) + "_bytes_per_parameter_" + shape] =
                double(q->bytes()) / double(weight.numel());
        }
    }

    // quantizedLinear vs at::linear at 512 tokens on the 4096x4096 matrix: forward + dx.
    const int64_t tokens = 512, dim = 4096;
    const at::Tensor weight = at::randn({dim, dim}) * 0.02;
    const auto nf4 = model::quantize(weight, model::QuantType::Nf4, 64, true).to(device);
    for (const auto dtype : {at::kFloat, at::kBFloat16}) {
        const std::string suffix = dtype == at::kFloat ? "fp32" : "bf16";
        const at::Tensor dense = weight.to(device, dtype);
        const at::Tensor x = at::randn({tokens, dim}, dense.options()).requires_grad_();
        const at::Tensor dy = at::randn({tokens, dim}, dense.options());
        const int linearRepeats = std::max(1, repeats / 2);
        const double quantized = bestSeconds(linearRepeats, device, [&] {
            model::quantizedLinear(x, nf4, at::Tensor()).backward(dy);
        });
        const double plain =
            bestSeconds(linearRepeats, device, [&] { at::linear(x, dense).backward(dy); });
        report["nf4_linear_fwd_bwd_ms_" + suffix] = round2(quantized * 1e3);
        report["dense_linear_fwd_bwd_ms_" + suffix] = round2(plain * 1e3);
    }
    std::printf("%s\n", report.dump().c_str());
    return 0;
}
