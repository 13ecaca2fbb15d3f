// The GPU path on a real CUDA GPU: a forward pass there matches the CPU's; activation
// checkpointing keeps the gradients; pretraining in bf16 learns and reports its peak memory;
// a deterministic run resumed from its step-3 checkpoint ends bit-identical to an uninterrupted
// one; KV-cached decoding on the decoder's own stream matches the CPU's; our CUDA kernel
// dequantises NF4 and int8 weights to the CPU loop's very bits. Built wherever LibTorch
// has CUDA (so CI compiles it); registered with CTest only with RLHF_GPU_TESTS=ON, which
// tests/gpu/run.sh sets on a machine with a GPU.
#include "core/dist/communicator.h"
#include "core/gen/transformer_source.h"
#include "core/model/quantized_weight.h"
#include "core/model/tensor_io.h"
#include "core/model/torch_runtime.h"
#include "core/model/transformer.h"
#include "core/train/pretrain.h"
#include "tests/support/tiny_pretrain.h"

#include <ATen/ATen.h>
#include <QtTest>

using namespace rlhf;
namespace fs = std::filesystem;

namespace {

const c10::Device gpu(c10::kCUDA, 0);

model::ModelConfig tinyModel(model::Flavour flavour)
{
    model::ModelConfig config;
    config.flavour = flavour;
    config.vocabSize = 50;
    config.contextLength = 32;
    config.layers = 2;
    config.heads = 4;
    config.kvHeads = flavour == model::Flavour::Llama ? 2 : 0;
    config.dim = 64;
    return config;
}

// test_resume's run, on GPU 0 in bf16, deterministic.
train::PretrainConfig tinyGpuRun()
{
    train::PretrainConfig config = testing::tinyPretrainRun();
    config.device = {train::Device::Cuda, 0};
    config.precision = train::Precision::BFloat16;
    config.deterministic = true;
    return config;
}

struct LogCollector : train::StageObserver {
    std::vector<std::string> lines;
    std::vector<train::StepMetrics> metrics;
    void onLog(const std::string& line) override { lines.push_back(line); }
    void onMetrics(const train::StepMetrics& step) override { metrics.push_back(step); }
};

double metric(const train::StepMetrics& step, const std::string& name)
{
    for (const auto& [key, value] : step.values)
        if (key == name) return value;
    return -1;
}

} // namespace

class TestGpu : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        const auto gpus = model::cudaDevices();
        QVERIFY2(!gpus.empty(), "no CUDA GPU: run this test only where one is present");
        qInfo("GPU 0: %s, %.1f GB", gpus[0].name.c_str(), double(gpus[0].totalBytes) / 1e9);
    }

    void forwardMatchesCpu_data()
    {
        QTest::addColumn<int>("flavour");
        QTest::newRow("gpt2") << int(model::Flavour::Gpt2);
        QTest::newRow("llama") << int(model::Flavour::Llama);
    }
    void forwardMatchesCpu()
    {
        QFETCH(int, flavour);
        model::Transformer model(tinyModel(model::Flavour(flavour)));
        model->initWeights(3);
        at::NoGradGuard noGrad;
        const auto tokens = at::randint(50, {4, 32}, at::kLong);
        const auto onCpu = model->forward(tokens);
        model->to(gpu);
        const auto onGpu = model->forward(tokens.to(gpu)).cpu();
        // This runs before any training run turns TF32 on (model::configureCuda): fp32 proper,
        // where the GPU's kernels differ from the CPU's only in rounding.
        QVERIFY2(at::allclose(onGpu, onCpu, 1e-3, 1e-3), // TF32 matmuls (torch_runtime)
                 qPrintable(QString::number((onGpu - onCpu).abs().max().item<double>())));
    }

    void activationCheckpointingKeepsGradients()
    {
        const auto tokens = at::randint(50, {4, 32}, at::kLong).to(gpu);
        auto gradients = [&](bool checkpointing) {
            model::Transformer model(tinyModel(model::Flavour::Llama));
            model->initWeights(5);
            model->to(gpu);
            model->setActivationCheckpointing(checkpointing);
            model->forward(tokens).to(at::kFloat).pow(2).mean().backward();
            std::vector<at::Tensor> grads;
            for (const auto& parameter : model->parameters())
                grads.push_back(parameter.grad().cpu());
            return grads;
        };
        const auto plain = gradients(false), checkpointed = gradients(true);
        QCOMPARE(checkpointed.size(), plain.size());
        for (size_t i = 0; i < plain.size(); ++i)
            QVERIFY2(at::allclose(checkpointed[i], plain[i], 1e-5, 1e-7),
                     qPrintable(QString::number(i)));
    }

    void pretrainsAndResumesBitIdentically()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto tokens = testing::patternedTokens(4000), val = testing::patternedTokens(500);
        LogCollector log;
        train::StopToken stop;
        dist::LocalCommunicator local;
        const auto config = tinyGpuRun();
        const auto straight =
            train::runPretrain(config, {tokens, val}, {root / "a", log, stop, local});
        QCOMPARE(straight.stepsDone, int64_t(6));
        QVERIFY(log.lines.front().starts_with("device cuda:0, "));
        QVERIFY(metric(log.metrics.back(), "train/loss") <
                metric(log.metrics.front(), "train/loss"));
        QVERIFY(metric(log.metrics.back(), "memory/step_peak_gb") > 0);
        QVERIFY(metric(log.metrics.back(), "memory/peak_gb") >=
                metric(log.metrics.back(), "memory/step_peak_gb"));

        auto resumedConfig = config;
        resumedConfig.resumeFrom = (root / "a" / "step-000003").string();
        train::StageObserver quiet;
        const auto resumed =
            train::runPretrain(resumedConfig, {tokens, val}, {root / "b", quiet, stop, local});
        QCOMPARE(resumed.lastValue("train/loss"), straight.lastValue("train/loss"));
        const auto a = model::readTensors(root / "a" / "step-000006" / "model.safetensors");
        const auto b = model::readTensors(root / "b" / "step-000006" / "model.safetensors");
        QCOMPARE(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i)
            QVERIFY2(at::equal(a[i].second, b[i].second), a[i].first.c_str());
    }

    void cachedDecodingMatchesCpu()
    {
        model::Transformer model(tinyModel(model::Flavour::Llama));
        model->initWeights(9);
        model->eval();
        const auto tokens = at::randint(50, {2, 12}, at::kLong);
        auto decode = [&](model::Transformer onDevice) {
            gen::TransformerSource source(onDevice);
            std::vector<at::Tensor> logits;
            logits.push_back(source.forward({tokens.narrow(1, 0, 6), {}, {}}));
            for (int64_t t = 6; t < 12; ++t)
                logits.push_back(source.forward({tokens.narrow(1, t, 1), {}, {}}));
            return at::stack(logits);
        };
        const auto onCpu = decode(model);
        model::Transformer copy(tinyModel(model::Flavour::Llama));
        copy->initWeights(9);
        copy->eval();
        copy->to(gpu);
        const auto onGpu = decode(copy);
        QVERIFY2(at::allclose(onGpu, onCpu, 1e-3, 1e-3), // TF32 matmuls (torch_runtime)
                 qPrintable(QString::number((onGpu - onCpu).abs().max().item<double>())));
    }

    // Our CUDA dequantisation kernel (core/model/quantized_weight_cuda.cu) writes the CPU loop's
    // bits, fp32 and bf16, for NF4 (plain, double-quantised, a partial odd last block) and int8;
    // quantizedLinear's output and dx there match at::linear over the dequantised weight.
    void quantizedWeightsDequantiseAsOnCpu()
    {
        at::manual_seed(11);
        const std::vector<std::pair<model::QuantType, bool>> kinds = {
            {model::QuantType::Nf4, false},
            {model::QuantType::Nf4, true},
            {model::QuantType::Int8, false}};
        for (const auto& shape : {std::vector<int64_t>{4096, 1024}, {33, 65}, {1000, 7}}) {
            const at::Tensor weight = at::randn(shape) * 0.02;
            for (const auto& [type, doubleQuant] : kinds) {
                const auto onCpu = model::quantize(weight, type, 64, doubleQuant);
                const auto onGpu = onCpu.to(gpu);
                for (const auto dtype : {at::kFloat, at::kBFloat16}) {
                    const at::Tensor a = model::dequantize(onCpu, dtype);
                    const at::Tensor b = model::dequantize(onGpu, dtype).cpu();
                    QVERIFY2(at::equal(a, b), qPrintable(QString("%1x%2 type %3 dq %4 dtype %5")
                                                             .arg(shape[0])
                                                             .arg(shape[1])
                                                             .arg(int(type))
                                                             .arg(doubleQuant)
                                                             .arg(int(dtype))));
                }
            }
        }
        const auto q = model::quantize(at::randn({256, 512}) * 0.05, model::QuantType::Nf4).to(gpu);
        const at::Tensor x = at::randn({8, 512}, at::device(gpu)).requires_grad_();
        const at::Tensor y = model::quantizedLinear(x, q, at::Tensor());
        const at::Tensor dense = model::dequantize(q, at::kFloat);
        const at::Tensor xRef = x.detach().clone().requires_grad_();
        const at::Tensor yRef = at::linear(xRef, dense);
        QVERIFY(at::allclose(y, yRef, 1e-3, 1e-4)); // TF32 may be on after the training tests
        y.sum().backward();
        yRef.sum().backward();
        QVERIFY(at::allclose(x.grad(), xRef.grad(), 1e-3, 1e-4));
    }
};

QTEST_GUILESS_MAIN(TestGpu)
#include "test_gpu.moc"
