// Our pretraining stage against an independent PyTorch (Python) GPT-2: from identical initial
// weights and batches, the first three training losses agree within 1e-4.
#include "core/dist/communicator.h"
#include "core/model/tensor_io.h"
#include "core/model/transformer.h"
#include "core/train/lr_schedule.h"
#include "core/train/pretrain.h"
#include "core/train/token_windows.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <QtTest>

#include <fstream>

using namespace rlhf;

namespace {

struct LossRecorder : train::StageObserver {
    std::vector<double> losses;
    void onMetrics(const train::StepMetrics& metrics) override
    {
        for (const auto& [name, value] : metrics.values)
            if (name == "train/loss") losses.push_back(value);
    }
};

} // namespace

class TestReferenceLosses : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void firstThreeLossesMatchPyTorch()
    {
        if (!QFile::exists(RLHF_REFERENCE_PYTHON))
            QSKIP("no reference Python at " RLHF_REFERENCE_PYTHON
                  " (run packaging/install-deps.sh)");
        QTemporaryDir dir;
        const std::filesystem::path root = dir.path().toStdString();

        train::PretrainConfig config;
        config.model.vocabSize = 64;
        config.model.contextLength = 16;
        config.model.layers = 2;
        config.model.heads = 2;
        config.model.dim = 32;
        config.steps = 3;
        config.batchSize = 4;
        config.seed = 42;
        config.precision = train::Precision::Float32;
        config.schedule = {.peak = 1e-2, .minimum = 1e-3, .warmupSteps = 2, .totalSteps = 3};
        config.gradClip = 0.5; // small enough to clip: the clipping path is compared too
        config.evalEvery = 0;

        std::vector<uint32_t> tokens(3000); // a learnable stream: the loss must fall in 3 steps
        for (size_t i = 0; i < tokens.size(); ++i)
            tokens[i] = uint32_t((i * 7 + i / 5) % 64);

        model::Transformer initial(config.model);
        initial->initWeights(config.seed);
        model::NamedTensors weights;
        for (const auto& item : initial->named_parameters())
            weights.emplace_back(item.key(), item.value());
        model::writeTensors(root / "init.safetensors", weights);

        const train::TokenWindows windows(tokens, config.model.contextLength);
        nlohmann::json spec = {{"weights", (root / "init.safetensors").string()},
                               {"vocab", 64},
                               {"context", 16},
                               {"layers", 2},
                               {"heads", 2},
                               {"dim", 32},
                               {"beta1", config.optimizer.beta1},
                               {"beta2", config.optimizer.beta2},
                               {"eps", config.optimizer.epsilon},
                               {"weight_decay", config.optimizer.weightDecay},
                               {"grad_clip", config.gradClip}};
        for (int64_t step = 0; step < 3; ++step) {
            auto batch =
                windows.randomBatch(config.seed, step, 0, 0, config.batchSize).contiguous();
            spec["batches"].push_back(std::vector<std::vector<int64_t>>());
            for (int64_t row = 0; row < batch.size(0); ++row) {
                auto data = batch[row].data_ptr<int64_t>();
                spec["batches"].back().push_back(std::vector<int64_t>(data, data + batch.size(1)));
            }
            spec["lrs"].push_back(train::learningRate(config.schedule, step));
        }
        std::ofstream(root / "spec.json") << spec.dump();

        LossRecorder recorder;
        train::StopToken stop;
        dist::LocalCommunicator local;
        train::runPretrain(config, {tokens, {}}, {root / "checkpoints", recorder, stop, local});
        QCOMPARE(recorder.losses.size(), size_t(3));

        QProcess python;
        python.start(RLHF_REFERENCE_PYTHON,
                     {RLHF_SOURCE_DIR "/tests/reference/gpt2_first_losses.py",
                      QString::fromStdString((root / "spec.json").string())});
        QVERIFY(python.waitForFinished(120000));
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
        const auto reference = nlohmann::json::parse(python.readAllStandardOutput().toStdString());
        for (int step = 0; step < 3; ++step) {
            const double theirs = reference["losses"][step].get<double>();
            const double ours = recorder.losses[step];
            QVERIFY2(std::abs(ours - theirs) < 1e-4,
                     qPrintable(QString("step %1: ours %2, PyTorch %3")
                                    .arg(step)
                                    .arg(ours, 0, 'g', 10)
                                    .arg(theirs, 0, 'g', 10)));
        }
        QVERIFY2(
            recorder.losses[2] < recorder.losses[0] - 0.05, // and training does train
            qPrintable(QString("losses %1 -> %2").arg(recorder.losses[0]).arg(recorder.losses[2])));
    }
};

QTEST_GUILESS_MAIN(TestReferenceLosses)
#include "test_reference_losses.moc"
