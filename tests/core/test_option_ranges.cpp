// Every numeric option has a range, checked in one place (core/train/option_ranges.h) and named
// when it fails: stage documents with a key given twice, 2^63 steps, a negative init_std or an
// overflowing seed are refused naming the file and field; a model too large for the machine is
// refused before anything is allocated; and the `rlhf` command line refuses an integer that
// CLI11 would wrap (--seed 99999999999999999999999, --seed -1) and a bench --steps 0.
#include "core/model/model_memory.h"
#include "core/model/transformer.h"
#include "core/train/stage_runner.h"
#include "core/util/json_file.h"

#include "tests/support/error_of.h"
#include "tests/support/run_cli.h"

#include <nlohmann/json.hpp>

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>
#include <string>

using rlhf::readJsonFile;
using rlhf::testing::errorOf;
namespace model = rlhf::model;
namespace train = rlhf::train;

namespace {

// A pretrain document as a user writes it, `training` holding `trainingFields` (JSON text).
std::string pretrainText(const std::string& trainingFields, const std::string& modelFields = "")
{
    return R"({
  "stage": "pretrain",
  "data": {"train": "tokens/notes-bpe-train.u32"},
  "model": {"flavour": "llama", "vocab_size": 512, "context_length": 32, "layers": 1,
            "heads": 2, "dim": 32)" +
           modelFields + R"(},
  "optimizer": {"lr": 0.003},
  "training": {)" +
           trainingFields + R"(}
})";
}

// The message validateStageDocument gives for the document `text` (parsed as the CLI parses).
QString documentError(const std::string& text)
{
    return errorOf([&] { train::validateStageDocument(nlohmann::json::parse(text), "run.json"); });
}

using Result = test_support::CliResult;
using test_support::runCli;

} // namespace

class TestOptionRanges : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // JSON leaves a repeated key undefined and nlohmann keeps the last: a document holding
    // "steps" twice ran with the second silently. Refused with the file, path and both lines.
    void duplicateKeysAreRefusedNamingFileKeyAndLines()
    {
        QTemporaryDir dir;
        const std::string file = dir.filePath("run.json").toStdString();
        std::ofstream(file) << pretrainText("\"steps\": 10,\n    \"batch_size\": 2,\n"
                                            "    \"steps\": 20");
        QCOMPARE(errorOf([&] { readJsonFile(file); }),
                 QString::fromStdString(file + ": training.steps: duplicate key on line 9 "
                                               "(first on line 7): give each key once"));

        // Inside a list, the element is named; the same key in sibling objects is fine.
        std::ofstream(file) << R"({"rules": [{"rule": "a", "weight": 1},
  {"rule": "b", "weight": 1, "weight": 2}], "other": {"weight": 3}})";
        QCOMPARE(errorOf([&] { readJsonFile(file); }),
                 QString::fromStdString(file + ": rules[1].weight: duplicate key on line 2 "
                                               "(first on line 2): give each key once"));
        std::ofstream(file) << pretrainText("\"steps\": 10");
        QCOMPARE(readJsonFile(file)["training"]["steps"].get<int64_t>(), int64_t(10));
    }

    // 2^63 steps wrapped to a negative number on its way in; every field of the training and
    // optimizer blocks is held to its range, checked on the document's own number.
    void numbersOutsideTheirRangeNameFieldAndRange()
    {
        const std::pair<std::string, QString> cases[] = {
            {pretrainText("\"steps\": 9223372036854775808"),
             "run.json: training.steps: 9223372036854775808 is out of range (1 to 1000000000)"},
            {pretrainText("\"steps\": 1e30"),
             "run.json: training.steps: 1e+30 is out of range (1 to 1000000000)"},
            {pretrainText("\"batch_size\": 0"),
             "run.json: training.batch_size: 0 is out of range (1 to 65536)"},
            {pretrainText("\"threads\": -1"),
             "run.json: training.threads: -1 is out of range (0 to 1024)"},
            {pretrainText("\"eval_every\": -5"),
             "run.json: training.eval_every: -5 is out of range (0 to 1000000000)"},
            {pretrainText("\"checkpoint_every\": 18446744073709551615"),
             "run.json: training.checkpoint_every: 18446744073709551615 is out of range (0 to "
             "1000000000)"},
        };
        for (const auto& [text, message] : cases)
            QCOMPARE(documentError(text), message);

        nlohmann::json document = nlohmann::json::parse(pretrainText("\"steps\": 10"));
        document["optimizer"]["lr"] = 0;
        QCOMPARE(errorOf([&] { train::validateStageDocument(document, "run.json"); }),
                 QString("run.json: optimizer.lr: 0 is out of range (above 0 to 1000000000)"));
        document["optimizer"]["lr"] = 1e9; // absurd, but divergence is found at run time
        QCOMPARE(errorOf([&] { train::validateStageDocument(document, "run.json"); }), QString());
        document["optimizer"]["eps"] = 0;
        QCOMPARE(errorOf([&] { train::validateStageDocument(document, "run.json"); }),
                 QString("run.json: optimizer.eps: 0 is out of range (above 0 to 1)"));
    }

    // A seed is any 64-bit unsigned integer: -1 wrapped to 2^64 - 1, and a longer one is read as
    // a float by the JSON parser (and refused as "expected an integer", not naming the range).
    void seedsThatDoNotFitAreRefused()
    {
        QCOMPARE(documentError(pretrainText("\"seed\": 18446744073709551615")), QString());
        QCOMPARE(documentError(pretrainText("\"seed\": -1")),
                 QString("run.json: training.seed: expected an integer from 0 to "
                         "18446744073709551615, got -1"));
        QCOMPARE(documentError(pretrainText("\"seed\": 99999999999999999999999")),
                 QString("run.json: training.seed: expected an integer from 0 to "
                         "18446744073709551615, got 9.999999999999999e+22"));
        QCOMPARE(documentError(pretrainText("\"seed\": 1.5")),
                 QString("run.json: training.seed: expected an integer, got 1.5"));
    }

    // init_std -1 passed --check and failed at the first step inside LibTorch, with a
    // backtrace. The document names it; a model built from such a config too.
    void badModelShapesAreNamed()
    {
        QCOMPARE(documentError(pretrainText("", ", \"init_std\": -1")),
                 QString("run.json: model.init_std: -1 is out of range (above 0 to 10)"));
        QCOMPARE(documentError(pretrainText("", ", \"layers\": 0")),
                 QString("run.json: model.layers: 0 is out of range (1 to 1024)"));
        QCOMPARE(documentError(pretrainText("", ", \"heads\": 3")),
                 QString("run.json: model: dim 32 must be a multiple of heads 3 (or head_dim "
                         "given)"));

        model::ModelConfig config;
        config.vocabSize = 16;
        config.contextLength = 8;
        config.layers = 1;
        config.heads = 2;
        config.dim = 8;
        config.initStd = -1;
        QCOMPARE(errorOf([&] { model::Transformer{config}; }),
                 QString("init_std must be positive and finite, got -1"));
    }

    // 10^12 parameters: refused from the config's arithmetic, before a byte is allocated
    // (LibTorch's allocator failed with a backtrace, or the kernel killed the process).
    void aModelLargerThanMemoryIsRefusedBeforeAllocating()
    {
        model::ModelConfig config;
        config.flavour = model::Flavour::Llama;
        config.vocabSize = 1 << 24;
        config.contextLength = 4096;
        config.layers = 200;
        config.heads = 64;
        config.dim = 16384;
        config.tieEmbeddings = false;
        const double parameters = model::parameterEstimate(config);
        QCOMPARE(parameters, double(model::parameterCount(config))); // 1.19e12, exact

        QCOMPARE(errorOf([&] { model::checkWeightsFit(config, int64_t(128) << 30); }),
                 QString("model: 1194217193472 parameters need 4776868773888 bytes (4448.8 "
                         "GiB) of fp32 weights; this machine has 137438953472 bytes (128.0 GiB) "
                         "of memory"));
        const QString message = errorOf([&] { model::Transformer{config}; });
        QVERIFY2(message.startsWith("model: " + QString::number(parameters, 'f', 0) +
                                    " parameters need ") &&
                     message.contains(" of fp32 weights; this machine has "),
                 qPrintable(message));

        // A shape whose arithmetic would overflow 64 bits is estimated, not wrapped.
        config.layers = int64_t(1) << 40;
        QVERIFY(model::parameterEstimate(config) > 1e20);
        QVERIFY(errorOf([&] {
                    model::checkWeightsFit(config, int64_t(1) << 40);
                }).contains("parameters need"));
    }

    // The command line: CLI11 read integers with strtoull / strtoll and ignored overflow.
    void theCommandLineRefusesWhatWouldWrap()
    {
        QTemporaryDir dir;
        for (const QString& seed : {QString("99999999999999999999999"), QString("-1")}) {
            const Result generated =
                runCli({"generate", "-c", dir.path(), "--seed", seed, "hello"});
            QVERIFY2(generated.exitCode != 0, qPrintable(generated.out + generated.err));
            QVERIFY2(generated.err.contains("--seed: " + seed +
                                            " is out of range (0 to 18446744073709551615)"),
                     qPrintable(generated.err));
        }
        const Result bench = runCli({"bench", "pretrain", "--steps", "0"});
        QVERIFY(bench.exitCode != 0);
        QVERIFY2(bench.err.contains("--steps: 0 is out of range (1 to 1000000000)"),
                 qPrintable(bench.err));

        const QString run = dir.filePath("run.json");
        std::ofstream(run.toStdString()) << pretrainText("\"steps\": 10, \"steps\": 11");
        Result checked = runCli({"train", "--check", run});
        QCOMPARE(checked.exitCode, 1);
        QVERIFY2(checked.err.contains("run.json: training.steps: duplicate key on line 7"),
                 qPrintable(checked.out + checked.err));
        std::ofstream(run.toStdString()) << pretrainText("\"steps\": 9223372036854775808");
        checked = runCli({"train", "--check", run});
        QCOMPARE(checked.exitCode, 1);
        QVERIFY2(checked.err.contains("rlhf: run.json: training.steps: 9223372036854775808 is out "
                                      "of range (1 to 1000000000)"),
                 qPrintable(checked.out + checked.err));
        std::ofstream(run.toStdString()) << pretrainText("", ", \"init_std\": -1");
        checked = runCli({"train", "--check", run});
        QCOMPARE(checked.exitCode, 1);
        QVERIFY2(checked.err.contains("rlhf: run.json: model.init_std: -1 is out of range"),
                 qPrintable(checked.out + checked.err));
    }
};

QTEST_GUILESS_MAIN(TestOptionRanges)
#include "test_option_ranges.moc"
