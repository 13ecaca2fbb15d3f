// Pretraining checkpoints and resume: a run resumed from its step-3 checkpoint ends with weights
// bit-identical to an uninterrupted run; a stop request leaves a resumable checkpoint; a damaged
// checkpoint is refused with a message naming the tensor.
#include "core/dist/communicator.h"
#include "core/model/checkpoint.h"
#include "core/model/tensor_io.h"
#include "core/model/transformer.h"
#include "core/train/pretrain.h"
#include "tests/support/tiny_pretrain.h"

#include <ATen/ATen.h>
#include <QtTest>

using namespace rlhf;
namespace fs = std::filesystem;

namespace {

struct StopAfter : train::StageObserver {
    int64_t stopAt;
    train::StopToken* stop;
    void onProgress(int64_t step, int64_t) override
    {
        if (step == stopAt) stop->requestStop();
    }
};

} // namespace

class TestResume : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void resumedRunIsBitIdentical()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto tokens = testing::patternedTokens(4000), val = testing::patternedTokens(500);
        train::StageObserver quiet;
        train::StopToken stop;
        dist::LocalCommunicator local;

        const auto config = testing::tinyPretrainRun();
        const auto straight =
            train::runPretrain(config, {tokens, val}, {root / "a", quiet, stop, local});
        QCOMPARE(straight.stepsDone, int64_t(6));
        QVERIFY(fs::exists(root / "a" / "step-000003" / "model.safetensors"));
        QVERIFY(fs::exists(root / "a" / "step-000006" / "optimizer.safetensors"));
        QVERIFY(!fs::exists(root / "a" / "step-000006.tmp"));

        auto resumedConfig = config;
        resumedConfig.resumeFrom = (root / "a" / "step-000003").string();
        const auto resumed =
            train::runPretrain(resumedConfig, {tokens, val}, {root / "b", quiet, stop, local});
        QCOMPARE(resumed.stepsDone, int64_t(6));
        QCOMPARE(resumed.lastValue("train/loss"), straight.lastValue("train/loss"));
        QCOMPARE(resumed.lastValue("val/loss"), straight.lastValue("val/loss"));

        const auto a = model::readTensors(root / "a" / "step-000006" / "model.safetensors");
        const auto b = model::readTensors(root / "b" / "step-000006" / "model.safetensors");
        QCOMPARE(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i].first, b[i].first);
            QVERIFY2(at::equal(a[i].second, b[i].second), a[i].first.c_str());
        }
        const auto initial = model::readTensors(root / "a" / "step-000003" / "model.safetensors");
        QVERIFY(!at::equal(initial[0].second, a[0].second)); // the weights did move
    }

    void stopLeavesResumableCheckpoint()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto tokens = testing::patternedTokens(4000);
        train::StopToken stop;
        StopAfter observer;
        observer.stopAt = 2;
        observer.stop = &stop;
        dist::LocalCommunicator local;
        const auto result = train::runPretrain(testing::tinyPretrainRun(), {tokens, {}},
                                               {root, observer, stop, local});
        QVERIFY(result.stopped);
        QCOMPARE(result.stepsDone, int64_t(2));
        QCOMPARE(result.lastCheckpoint.string(), (root / "step-000002").string());
        QCOMPARE(model::loadTrainerState(result.lastCheckpoint).at("step").get<int64_t>(),
                 int64_t(2));
    }

    void damagedCheckpointIsRefused()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        auto config = testing::tinyPretrainRun();
        model::Transformer model(config.model);
        model::saveCheckpoint(root / "ckpt", *model, {});
        QCOMPARE(model::loadCheckpointConfig(root / "ckpt").kvHeads, int64_t(2));

        // Drop one tensor and rewrite the file: loading must name it.
        auto tensors = model::readTensors(root / "ckpt" / "model.safetensors");
        tensors.erase(std::remove_if(tensors.begin(), tensors.end(),
                                     [](const auto& t) { return t.first == "model.norm.weight"; }),
                      tensors.end());
        model::writeTensors(root / "ckpt" / "model.safetensors", tensors);
        try {
            model::loadCheckpointWeights(root / "ckpt", *model);
            QFAIL("a checkpoint without model.norm.weight was accepted");
        } catch (const std::exception& error) {
            QVERIFY2(std::string(error.what()).find("'model.norm.weight' is missing") !=
                         std::string::npos,
                     error.what());
        }

        // A shape mismatch names tensor, found and expected shapes.
        config.model.dim = 64;
        model::Transformer wider(config.model);
        model::saveCheckpoint(root / "wide", *wider, {});
        try {
            model::loadCheckpointWeights(root / "wide", *model);
            QFAIL("a checkpoint of another shape was accepted");
        } catch (const std::exception& error) {
            QVERIFY2(std::string(error.what()).find("shape [50, 64] expected [50, 32]") !=
                         std::string::npos,
                     error.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestResume)
#include "test_resume.moc"
