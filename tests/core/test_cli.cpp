// The `rlhf` command line end to end, as a user runs it: init, import (with a bad JSONL row),
// tokenizer training, tokenizing, a tiny pretraining run, generation and chat (--precision named
// on stderr, fp32 repeating exactly), and clear refusals of bad stage documents that record
// nothing; import recipes and the quarantine; bench import's dedup checked against its Python
// twin; bench ppo and bench generate on tiny shapes; the generated arithmetic task; --precision on
// train, demo and bench; the labels queue, list and export (read back by import); the arena
// leaderboard and the labels' agreement from
// hand-inserted rows.
#include "core/store/database.h"

#include "tests/support/run_cli.h"

#include <QRegularExpression>
#include <QtTest>

#include <fstream>
#include <sstream>

namespace {

using Result = test_support::CliResult;
using test_support::runCli;

#define RUN_OK(result) QVERIFY2((result).exitCode == 0, qPrintable((result).out + (result).err))

} // namespace

class TestCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void endToEnd()
    {
        const QString fortunes = "/usr/share/games/fortunes/computers";
        if (!QFile::exists(fortunes)) QSKIP("fortunes not installed (packaging/install-deps.sh)");
        const Result version = runCli({"--version"});
        RUN_OK(version);
        QVERIFY2(version.out.startsWith("rlhf 0."), qPrintable(version.out));

        QTemporaryDir dir;
        const QString project = dir.filePath("project");
        RUN_OK(runCli({"init", project}));
        QVERIFY(QFile::exists(project + "/project.sqlite"));
        QCOMPARE(runCli({"init", project}).exitCode, 1); // never over an existing project

        const QString jsonl = dir.filePath("extra.jsonl");
        std::ofstream(jsonl.toStdString()) << "{\"text\": \"first good row\"}\n"
                                           << "{\"txt\": \"misnamed field\"}\n"
                                           << "{\"text\": \"second good row\"}\n";
        RUN_OK(runCli({"import", "-p", project, "-n", "fortunes", fortunes}));
        const Result imported =
            runCli({"import", "-p", project, "-n", "fortunes", "-f", "jsonl", jsonl});
        RUN_OK(imported);
        QVERIFY2(imported.out.contains("2 imported (train"), qPrintable(imported.out));
        QVERIFY2(imported.out.contains("1 quarantined (1 unreadable)"), qPrintable(imported.out));
        QVERIFY2(imported.err.contains("extra.jsonl:2: field 'text'"), qPrintable(imported.err));

        RUN_OK(runCli({"tokenizer", "train", "-p", project, "-d", "fortunes", "--vocab", "400"}));
        QVERIFY(QFile::exists(project + "/tokenizers/bpe.json"));
        // Three short rows cannot fill 8,192 tokens: the output says how many it learned.
        RUN_OK(runCli({"import", "-p", project, "-n", "three-rows", "-f", "jsonl", jsonl}));
        const Result shortfall = runCli({"tokenizer", "train", "-p", project, "-d", "three-rows",
                                         "-n", "small", "--vocab", "8192"});
        RUN_OK(shortfall);
        QVERIFY2(shortfall.out.contains(QRegularExpression(
                     "learned [0-9]+ of the 8192 tokens asked for: the corpus has no more pairs")),
                 qPrintable(shortfall.out));
        RUN_OK(runCli(
            {"tokenize", "-p", project, "-d", "fortunes", "-t", "bpe", "--val-fraction", "0.1"}));

        const QString run = dir.filePath("run.json");
        std::ofstream(run.toStdString()) << R"({
  "stage": "pretrain", "name": "cli-test", "tokenizer": "tokenizers/bpe.json",
  "data": {"train": "tokens/fortunes-bpe-train.u32", "val": "tokens/fortunes-bpe-val.u32"},
  "model": {"flavour": "llama", "vocab_size": 400, "context_length": 32, "layers": 1,
            "heads": 2, "dim": 32},
  "optimizer": {"lr": 0.003, "warmup_steps": 1},
  "training": {"steps": 4, "batch_size": 4, "eval_every": 2, "eval_batches": 2}
})";
        const Result trained = runCli({"train", "-p", project, run});
        RUN_OK(trained);
        QVERIFY2(trained.out.contains("step 4/4  loss"), qPrintable(trained.out));
        QVERIFY2(trained.out.contains("perplexity"), qPrintable(trained.out));
        {
            rlhf::store::Database database(project.toStdString() + "/project.sqlite");
            QCOMPARE(database.runs().size(), size_t(1));
            QCOMPARE(database.metricSeries(1, "train/loss").size(), size_t(4));
            QCOMPARE(database.metricSeries(1, "val/loss").size(), size_t(2));
            QCOMPARE(database.checkpoints(1).size(), size_t(1));
        }
        const QString checkpoint = project + "/checkpoints/run-1/step-000004";
        QVERIFY(QFile::exists(checkpoint + "/tokenizer.json"));
        const Result generated =
            runCli({"generate", "-c", checkpoint, "--max-new-tokens", "8", "--seed", "3", "Hello"});
        RUN_OK(generated);
        QVERIFY2(generated.out.startsWith("Hello"), qPrintable(generated.out));
        const Result beams = runCli(
            {"generate", "-c", checkpoint, "--beams", "3", "--max-new-tokens", "4", "A", "B"});
        RUN_OK(beams);
        QVERIFY2(beams.out.contains("[1] B"), qPrintable(beams.out));

        // The precision decoding runs in is never silent; fp32 repeats exactly; a bad word is
        // refused naming the flag, before anything loads.
        QVERIFY2(generated.err.contains("decoding on cpu"), qPrintable(generated.err));
        const QStringList fp32 = {"generate", "-c",     checkpoint, "--max-new-tokens",
                                  "8",        "--seed", "3",        "--precision",
                                  "fp32",     "Hello"};
        const Result first = runCli(fp32);
        RUN_OK(first);
        QVERIFY2(first.err.contains("decoding on cpu") && first.err.contains("fp32"),
                 qPrintable(first.err));
        QVERIFY2(first.out.startsWith("Hello"), qPrintable(first.out));
        const Result second = runCli(fp32);
        RUN_OK(second);
        QCOMPARE(second.out, first.out);
        const Result badWord = runCli({"generate", "-c", checkpoint, "--precision", "fp16", "A"});
        QCOMPARE(badWord.exitCode, 1);
        QVERIFY2(badWord.err.contains("--precision") && badWord.err.contains("fp16"),
                 qPrintable(badWord.err));
        const Result chat = runCli({"chat", "-c", checkpoint, "--say", "Hi", "--max-new-tokens",
                                    "4", "--precision", "fp32"});
        RUN_OK(chat);
        QVERIFY2(chat.err.contains("decoding on cpu") && chat.err.contains("fp32"),
                 qPrintable(chat.err));
        QVERIFY2(chat.out.contains("model> "), qPrintable(chat.out));
        const Result badChat =
            runCli({"chat", "-c", checkpoint, "--say", "Hi", "--precision", "x"});
        QCOMPARE(badChat.exitCode, 1);
        QVERIFY2(badChat.err.contains("--precision"), qPrintable(badChat.err));

        // A typo in a field: refused with file and field named, and no run recorded.
        std::ofstream(run.toStdString()) << R"({"stage": "pretrain", "data": {"train": "x.u32"},
  "training": {"stepz": 4}})";
        const Result typo = runCli({"train", "-p", project, run});
        QCOMPARE(typo.exitCode, 1);
        QVERIFY2(typo.err.contains("run.json: training.stepz: unknown field"),
                 qPrintable(typo.err));
        const Result missing = runCli({"train", "-p", project, dir.filePath("nope.json")});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains("nope.json: cannot open"), qPrintable(missing.err));
        std::ofstream(run.toStdString())
            << R"({"stage": "pretrain", "data": {"train": "tokens/fortunes-bpe-train.u32"},
  "model": {"vocab_size": 10, "context_length": 8, "layers": 1, "heads": 1, "dim": 8}})";
        const Result small = runCli({"train", "-p", project, run});
        QCOMPARE(small.exitCode, 1);
        QVERIFY2(small.err.contains("model.vocab_size: 10 is too small"), qPrintable(small.err));
        rlhf::store::Database database(project.toStdString() + "/project.sqlite");
        QCOMPARE(database.runs().size(), size_t(1));
    }

    // A recipe file and the quarantine commands: what the import wizard saves, run headless.
    void importRecipeAndQuarantine()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath("project");
        RUN_OK(runCli({"init", project}));
        std::ofstream(dir.filePath("qa.jsonl").toStdString())
            << R"({"q": "Two plus two?", "a": "Four."})"
               "\n"
            << R"({"q": "two plus  TWO?", "a": "four."})"
               "\n"
            << R"({"q": "Mail me", "a": "at ann@example.org"})"
               "\n"
            << R"({"q": 3, "a": "not a string"})"
               "\n";
        // The options become a recipe; the recipe (with a relative file name) imports.
        const Result printed =
            runCli({"import", "-n", "qa", "--shape", "alpaca", "--map", "instruction=q", "--map",
                    "output=a", "--clean", "utf8,whitespace,pii,exact_dedup", "--val", "0",
                    dir.filePath("qa.jsonl"), "--print-recipe"});
        RUN_OK(printed);
        const QString recipe = dir.filePath("recipe.json");
        std::ofstream(recipe.toStdString()) << printed.out.toStdString().replace(
            printed.out.toStdString().find(dir.filePath("qa.jsonl").toStdString()),
            dir.filePath("qa.jsonl").size(), "qa.jsonl");
        const Result imported = runCli({"import", "-p", project, "--recipe", recipe});
        RUN_OK(imported);
        QVERIFY2(imported.out.contains("3 records read"), qPrintable(imported.out));
        QVERIFY2(imported.out.contains("2 imported"), qPrintable(imported.out));
        // The message names the field as the file does (mapped "q"), with its line.
        QVERIFY2(imported.err.contains("qa.jsonl:4: field 'q': expected a string"),
                 qPrintable(imported.err));

        rlhf::store::Database database(project.toStdString() + "/project.sqlite");
        const auto qa = database.datasetByName("qa");
        QVERIFY(qa);
        const auto documents = database.documents(qa->id, 0, 10);
        QCOMPARE(documents.size(), size_t(2));
        QVERIFY2(QString::fromStdString(documents[1].text).contains("at <EMAIL>"),
                 documents[1].text.c_str());

        const Result listed =
            runCli({"quarantine", "-p", project, "-d", "qa", "--step", "exact_dedup"});
        RUN_OK(listed);
        QVERIFY2(listed.out.startsWith("1 rows"), qPrintable(listed.out));
        QVERIFY2(listed.out.contains("qa.jsonl:2"), qPrintable(listed.out));
        const QString id = listed.out.section('#', 1, 1).section(' ', 0, 0);
        RUN_OK(runCli({"quarantine", "-p", project, "-d", "qa", "--restore", id}));
        QCOMPARE(database.documentCount(qa->id), int64_t(3));
        const Result again = runCli({"quarantine", "-p", project, "-d", "qa", "--restore", id});
        QCOMPARE(again.exitCode, 1);
        QVERIFY2(again.err.contains("already restored"), qPrintable(again.err));
    }

    // The import benchmark runs end to end on a small corpus, and its exact dedup agrees with
    // the Python twin's record for record (a correctness check; the speed is the benchmark's).
    void benchImportAgreesWithPython()
    {
        QTemporaryDir dir;
        const Result bench =
            runCli({"bench", "import", "--megabytes", "2", "--file", dir.filePath("corpus.jsonl"),
                    "--project", dir.filePath("scratch"), "--reference",
                    RLHF_SOURCE_DIR "/tests/reference/bench_import.py", "--python",
                    RLHF_REFERENCE_PYTHON});
        RUN_OK(bench);
        const QJsonObject report = QJsonDocument::fromJson(bench.out.toUtf8()).object();
        const QJsonArray phases = report["phases"].toArray();
        QCOMPARE(phases.size(), 4);
        const QJsonObject clean = phases[1].toObject();
        QCOMPARE(clean["phase"].toString(), QString("clean+exact"));
        QVERIFY(clean["records"].toInt() > 1000);
        QVERIFY(clean["kept"].toInt() < clean["records"].toInt()); // the corpus has duplicates
        QCOMPARE(report["python"].toObject()["records"].toInt(), clean["records"].toInt());
        QCOMPARE(report["python"].toObject()["kept"].toInt(), clean["kept"].toInt());
        QCOMPARE(phases[3].toObject()["kept"].toInt(), clean["kept"].toInt()); // the import
    }

    // The PPO benchmark runs the real stage on a tiny shape: the JSON has every field, the
    // timings are positive and add up, replies stay within the limit, every prompt is exactly
    // --prompt-tokens long, and the scratch project records one completed ppo run.
    void benchPpoTinyShape()
    {
        QTemporaryDir dir;
        const QString scratch = dir.filePath("scratch");
        const Result bench = runCli({"bench",
                                     "ppo",
                                     "--layers",
                                     "1",
                                     "--heads",
                                     "2",
                                     "--dim",
                                     "32",
                                     "--ctx",
                                     "32",
                                     "--tokenizer-vocab",
                                     "300",
                                     "--prompts",
                                     "6",
                                     "--prompt-tokens",
                                     "12",
                                     "--batch",
                                     "4",
                                     "--new-tokens",
                                     "8",
                                     "--epochs",
                                     "2",
                                     "--minibatch",
                                     "2",
                                     "--iterations",
                                     "1",
                                     "--warmup",
                                     "0",
                                     "--dir",
                                     scratch});
        RUN_OK(bench);
        const QJsonObject report = QJsonDocument::fromJson(bench.out.toUtf8()).object();
        QVERIFY2(!report.contains("python"), qPrintable(bench.out)); // no --python given
        const QJsonObject shape = report["shape"].toObject();
        QCOMPARE(shape["layers"].toInt(), 1);
        QCOMPARE(shape["batch"].toInt(), 4);
        QCOMPARE(shape["max_new_tokens"].toInt(), 8);
        // 256 bytes + 7 special tokens + merges up to 300 ids, rounded up to a multiple of 64.
        QCOMPARE(shape["vocab"].toInt(), 320);

        const QJsonObject ours = report["ours"].toObject();
        const double generation = ours["generation_s"].toDouble();
        const double optimisation = ours["optimisation_s"].toDouble();
        const double length = ours["response_length"].toDouble();
        QVERIFY2(generation > 0 && optimisation > 0, qPrintable(bench.out));
        QCOMPARE(ours["total_s"].toDouble(), generation + optimisation); // one iteration
        QVERIFY2(length >= 1 && length <= 8, qPrintable(bench.out));
        QVERIFY(qFuzzyCompare(ours["generation_tokens_per_s"].toDouble(), 4 * length / generation));
        QCOMPARE(ours["iterations"].toArray().size(), 1);
        QVERIFY2(ours["setup"].toString().startsWith("cpu") ||
                     ours["setup"].toString().startsWith("cuda"),
                 qPrintable(bench.out));

        QFile prompts(scratch + "/prompts.json");
        QVERIFY(prompts.open(QIODevice::ReadOnly));
        const QJsonArray rows = QJsonDocument::fromJson(prompts.readAll())["prompts"].toArray();
        QCOMPARE(rows.size(), 6);
        for (const auto& row : rows)
            QCOMPARE(row.toArray().size(), 12);
        rlhf::store::Database database(scratch.toStdString() + "/project.sqlite");
        QCOMPARE(database.runs().size(), size_t(1));
        QCOMPARE(database.runs().front().status, rlhf::store::RunStatus::Completed);

        const Result tooLong = runCli({"bench", "ppo", "--ctx", "32", "--prompt-tokens", "30",
                                       "--new-tokens", "8", "--dir", dir.filePath("other")});
        QCOMPARE(tooLong.exitCode, 1);
        QVERIFY2(tooLong.err.contains("exceed --ctx"), qPrintable(tooLong.err));
    }

    // The decoding benchmark on a tiny model: one entry per batch size in order, positive
    // timings, decode tokens/s consistent with its run's decode time (batch * (new - 1) / s),
    // the shape as asked, and the checkpoint and prompts left behind with --dir.
    void benchGenerateTinyShape()
    {
        QTemporaryDir dir;
        const QString scratch = dir.filePath("scratch");
        const Result bench =
            runCli({"bench", "generate", "--layers",  "1",  "--heads",  "2",   "--dim",    "32",
                    "--ctx", "32",       "--vocab",   "64", "--batch",  "1,3", "--prompt", "5",
                    "--new", "4",        "--repeats", "1",  "--warmup", "0",   "--dir",    scratch,
                    "--json"});
        RUN_OK(bench);
        const QJsonObject report = QJsonDocument::fromJson(bench.out.toUtf8()).object();
        QVERIFY2(!report.contains("python"), qPrintable(bench.out)); // no --python given
        const QJsonObject shape = report["shape"].toObject();
        QCOMPARE(shape["layers"].toInt(), 1);
        QCOMPARE(shape["vocab"].toInt(), 64);
        QCOMPARE(shape["prompt_tokens"].toInt(), 5);
        QCOMPARE(shape["new_tokens"].toInt(), 4);
        // 1 layer, dim 32, vocab 64, ctx 32: embeddings 64*32 + 32*32, a block 12*32^2 + 13*32,
        // final norm 2*32 (the lm_head is tied).
        QCOMPARE(shape["params"].toInt(), 64 * 32 + 32 * 32 + 12 * 32 * 32 + 13 * 32 + 2 * 32);

        const QJsonObject ours = report["ours"].toObject();
        QVERIFY2(ours["threads"].toInt() >= 1, qPrintable(bench.out));
        const QJsonArray batches = ours["batches"].toArray();
        QCOMPARE(batches.size(), 2);
        const int expected[] = {1, 3};
        for (int i = 0; i < 2; ++i) {
            const QJsonObject batch = batches[i].toObject();
            QCOMPARE(batch["batch"].toInt(), expected[i]);
            QVERIFY2(batch["ttft_ms"].toDouble() > 0, qPrintable(bench.out));
            const double perSecond = batch["decode_tokens_per_s"].toDouble();
            QVERIFY2(perSecond > 0, qPrintable(bench.out));
            QCOMPARE(batch["best_decode_tokens_per_s"].toDouble(), perSecond); // one run
            const QJsonArray runs = batch["runs"].toArray();
            QCOMPARE(runs.size(), 1);
            const QJsonObject run = runs[0].toObject();
            QCOMPARE(run["ttft_ms"].toDouble(), batch["ttft_ms"].toDouble());
            QVERIFY(qFuzzyCompare(perSecond, expected[i] * 3 / run["decode_s"].toDouble()));
        }
        QVERIFY(QFile::exists(scratch + "/checkpoint/model.safetensors"));
        QFile prompts(scratch + "/prompts.json");
        QVERIFY(prompts.open(QIODevice::ReadOnly));
        const QJsonArray rows = QJsonDocument::fromJson(prompts.readAll())["prompts"].toArray();
        QCOMPARE(rows.size(), 3); // the largest batch's rows
        for (const auto& row : rows)
            QCOMPARE(row.toArray().size(), 5);

        const Result tooLong = runCli({"bench", "generate", "--ctx", "32", "--prompt", "30",
                                       "--new", "8", "--dir", dir.filePath("other")});
        QCOMPARE(tooLong.exitCode, 1);
        QVERIFY2(tooLong.err.contains("exceed the context"), qPrintable(tooLong.err));
    }

    // --precision on the commands that compute: `train` overrides the document's
    // training.precision and the run records it, `bench gemm` and `bench generate` measure in
    // the precision asked (bf16 even where it is emulated: tiny shapes), and a bad word is
    // refused before anything runs, naming the option and the allowed words.
    void precisionOption()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath("project");
        RUN_OK(runCli({"init", project}));
        std::ofstream tokens((project + "/tokens/ids.u32").toStdString(), std::ios::binary);
        for (uint32_t i = 0; i < 4096; ++i) {
            const uint32_t id = i * 7919u % 64u;
            tokens.write(reinterpret_cast<const char*>(&id), sizeof id);
        }
        tokens.close();
        const QString run = dir.filePath("tiny.json");
        std::ofstream(run.toStdString()) << R"({
  "stage": "pretrain", "name": "tiny", "data": {"train": "tokens/ids.u32"},
  "model": {"vocab_size": 64, "context_length": 16, "layers": 1, "heads": 2, "dim": 16},
  "training": {"steps": 2, "batch_size": 2, "precision": "fp32"}
})";
        const Result bf16 = runCli({"train", "-p", project, "--precision", "bf16", run});
        RUN_OK(bf16);
        QVERIFY2(bf16.out.contains("bf16 autocast"), qPrintable(bf16.out));
        {
            rlhf::store::Database database(project.toStdString() + "/project.sqlite");
            QCOMPARE(database.runs().size(), size_t(1));
            const auto stored = QByteArray::fromStdString(database.runs().front().configJson);
            QCOMPARE(QJsonDocument::fromJson(stored)["training"]["precision"].toString(),
                     QString("bf16"));
        }
        RUN_OK(runCli({"train", "-p", project, "--check", "--precision", "auto", run}));

        const QString refusal = "--precision: expected auto, fp32 or bf16, got \"fp16\"";
        for (const QStringList& command :
             {QStringList{"train", "-p", project, "--precision", "fp16", run},
              QStringList{"demo", "--dir", dir.filePath("demo"), "--precision", "fp16"},
              QStringList{"bench", "pretrain", "--precision", "fp16"},
              QStringList{"bench", "gemm", "--precision", "fp16"},
              QStringList{"bench", "ppo", "--precision", "fp16"},
              QStringList{"bench", "generate", "--precision", "fp16"}}) {
            const Result refused = runCli(command);
            QVERIFY2(refused.exitCode != 0, qPrintable(command.join(' ')));
            QVERIFY2(refused.err.contains(refusal), qPrintable(refused.err));
        }
        QVERIFY(!QFile::exists(dir.filePath("demo")));
        rlhf::store::Database database(project.toStdString() + "/project.sqlite");
        QCOMPARE(database.runs().size(), size_t(1)); // the refused train recorded nothing

        const Result fp32 = runCli({"bench", "gemm", "--size", "64", "--precision", "fp32"});
        RUN_OK(fp32);
        const QJsonObject fp32Gemm = QJsonDocument::fromJson(fp32.out.toUtf8()).object();
        QVERIFY2(fp32Gemm["fp32_gflops"].toDouble() > 0, qPrintable(fp32.out));
        QCOMPARE(fp32Gemm["bf16_gflops"].toDouble(), 0.0);
        const Result bf16Gemm = runCli({"bench", "gemm", "--size", "64", "--precision", "bf16"});
        RUN_OK(bf16Gemm);
        QVERIFY2(QJsonDocument::fromJson(bf16Gemm.out.toUtf8())["bf16_gflops"].toDouble() > 0,
                 qPrintable(bf16Gemm.out));
        const Result generate =
            runCli({"bench", "generate", "--layers",  "1",  "--heads",  "2", "--dim",       "32",
                    "--ctx", "32",       "--vocab",   "64", "--batch",  "1", "--prompt",    "5",
                    "--new", "4",        "--repeats", "1",  "--warmup", "0", "--precision", "bf16",
                    "--json"});
        RUN_OK(generate);
        const QJsonObject ours = QJsonDocument::fromJson(generate.out.toUtf8())["ours"].toObject();
        QVERIFY2(ours["setup"].toString().contains("bf16 autocast"), qPrintable(generate.out));
    }

    void taskArithmetic()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath("task"); // made by the command
        const Result written = runCli({"task", "arithmetic", "--project", project, "--max-operand",
                                       "9", "--pairs-per-problem", "3"});
        RUN_OK(written);
        QVERIFY2(written.out.contains("arith-sft (chat): 100 documents (train "),
                 qPrintable(written.out));
        QVERIFY2(written.out.contains("arith-pairs (preference): 300 documents"),
                 qPrintable(written.out));
        QVERIFY2(written.out.contains("arith-prompts (chat): 100 documents"),
                 qPrintable(written.out));
        const Result again = runCli({"task", "arithmetic", "--project", project});
        QCOMPARE(again.exitCode, 1); // never over existing datasets
        QVERIFY2(again.err.contains("'arith-sft' already exists"), qPrintable(again.err));
    }

    void labelsQueueListExport()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath("labels");
        RUN_OK(runCli({"init", project}));
        const QString pairs = dir.filePath("pairs.jsonl");
        std::ofstream(pairs.toStdString())
            << "{\"prompt\": \"q0\", \"chosen\": \"c0\", \"rejected\": \"r0\"}\n"
            << "{\"prompt\": \"q1\", \"chosen\": \"c1\", \"rejected\": \"r1\"}\n"
            << "{\"prompt\": \"q2\", \"chosen\": \"c2\", \"rejected\": \"r2\"}\n";
        // Held in a variable: RUN_OK evaluates its argument more than once.
        const Result imported =
            runCli({"import", "-p", project, "-n", "pairs", "--val", "0", "--no-clean", pairs});
        RUN_OK(imported);

        Result queued = runCli({"labels", "queue", "--project", project, "--dataset", "pairs"});
        RUN_OK(queued);
        QCOMPARE(queued.out, QString("queued 3 new items from the train split (3 in the queue)\n"));
        queued = runCli(
            {"labels", "queue", "--project", project, "--dataset", "pairs", "--split", "all"});
        QCOMPARE(queued.out, QString("queued 0 new items from every split (3 in the queue)\n"));
        const Result neither = runCli({"labels", "queue", "--project", project});
        QCOMPARE(neither.exitCode, 1);
        QVERIFY2(neither.err.contains("give either --dataset NAME or --battles"),
                 qPrintable(neither.err));

        // Labels as the pane would store them: alice on May 1st, bob on May 3rd (UTC).
        const double may1 = 1714557600.0, may3 = 1714694400.0; // 10:00 and 00:00
        {
            using namespace rlhf::store;
            Database database(project.toStdString() + "/project.sqlite", OpenMode::ExistingOnly);
            const std::vector<ComparisonItem> items = database.comparisonItems();
            QCOMPARE(items.size(), size_t(3));
            const auto label = [&](size_t item, const char* who, Judgment judgment, double when) {
                database.setLabel({.item = items[item].id,
                                   .annotator = who,
                                   .judgment = judgment,
                                   .created = when});
            };
            label(0, "alice", Judgment::A, may1);
            label(0, "bob", Judgment::A, may3);
            label(1, "alice", Judgment::B, may1);
            label(1, "bob", Judgment::A, may3); // item 1: A = B, no pair
            label(2, "bob", Judgment::B, may3);
            database.addBattle({.modelA = "checkpoints/run-1/step-000010",
                                .modelB = "checkpoints/run-2/step-000010",
                                .conversationA = "[{\"role\":\"user\",\"content\":\"hi\"},"
                                                 "{\"role\":\"assistant\",\"content\":\"hello\"}]",
                                .conversationB =
                                    "[{\"role\":\"user\",\"content\":\"hi\"},"
                                    "{\"role\":\"assistant\",\"content\":\"go away\"}]",
                                .vote = Judgment::A,
                                .voter = "carol"});
        }
        queued = runCli({"labels", "queue", "-p", project, "--battles"});
        RUN_OK(queued);
        QCOMPARE(queued.out, QString("queued 1 new items (4 in the queue)\n"));

        const Result listed = runCli({"labels", "list", "-p", project});
        RUN_OK(listed);
        QCOMPARE(listed.out, QString("4 items, 6 labels\n"
                                     "alice: 2 labelled, 2 unlabelled\n"
                                     "arena:carol: 1 labelled, 3 unlabelled\n"
                                     "bob: 3 labelled, 1 unlabelled\n"));

        const auto exported = [&](const QStringList& filter, const QString& name) {
            const QString out = dir.filePath(name);
            const Result result =
                runCli(QStringList{"labels", "export", "-p", project, "--out", out} + filter);
            std::ostringstream text;
            text << std::ifstream(out.toStdString()).rdbuf();
            return std::pair(result, QString::fromStdString(text.str()));
        };
        const QString pair0 = "{\"prompt\":[{\"role\":\"user\",\"content\":\"q0\"}],"
                              "\"chosen\":\"c0\",\"rejected\":\"r0\"}\n";
        auto [all, allText] = exported({}, "all.jsonl");
        RUN_OK(all);
        QCOMPARE(all.out, "wrote 3 preference pairs to " + dir.filePath("all.jsonl") + "\n");
        QCOMPARE(allText, pair0 + "{\"prompt\":[{\"role\":\"user\",\"content\":\"q2\"}],"
                                  "\"chosen\":\"r2\",\"rejected\":\"c2\"}\n"
                                  "{\"prompt\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                                  "\"chosen\":\"hello\",\"rejected\":\"go away\"}\n");

        // alice's labels up to the end of May 1st: item 1 is hers alone now, B wins.
        auto [alice, aliceText] =
            exported({"--annotator", "alice", "--until", "2024-05-01"}, "alice.jsonl");
        RUN_OK(alice);
        QCOMPARE(aliceText, pair0 + "{\"prompt\":[{\"role\":\"user\",\"content\":\"q1\"}],"
                                    "\"chosen\":\"r1\",\"rejected\":\"c1\"}\n");
        // From May 2nd on: bob's labels (item 1 is his A alone now) and today's arena vote.
        auto [since, sinceText] =
            exported({"--since", "2024-05-02", "--min-labels", "1"}, "since.jsonl");
        QVERIFY2(since.out.startsWith("wrote 4 preference pairs"), qPrintable(since.out));
        QVERIFY2(sinceText.contains("\"chosen\":\"c1\""), qPrintable(sinceText));
        // With two labels needed only item 0 is left.
        auto [twice, twiceText] = exported({"--min-labels", "2"}, "twice.jsonl");
        QCOMPARE(twiceText, pair0);
        auto [agree, agreeText] = exported(
            {"--annotator", "alice", "--annotator", "bob", "--min-agreement", "1"}, "agree.jsonl");
        QVERIFY2(agree.out.startsWith("wrote 2 preference pairs"), qPrintable(agree.out));

        const Result badDate = exported({"--since", "May 1"}, "bad.jsonl").first;
        QCOMPARE(badDate.exitCode, 1);
        QVERIFY2(badDate.err.contains("--since: expected an ISO date"), qPrintable(badDate.err));
        QCOMPARE(exported({"--min-agreement", "1.5"}, "bad.jsonl").first.exitCode, 105);

        // What export writes, import reads back as a preference dataset.
        const Result reimported = runCli({"import", "-p", project, "-n", "relabelled", "--val", "0",
                                          "--no-clean", dir.filePath("all.jsonl")});
        RUN_OK(reimported);
        QVERIFY2(reimported.out.contains("(preference): 3 records read, 3 imported"),
                 qPrintable(reimported.out));
    }

    // Battles stored by hand (P, Q, R are three checkpoints): the leaderboard's order and counts.
    void arenaLeaderboard()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath("arena");
        RUN_OK(runCli({"init", project}));
        const std::string p = "checkpoints/run-1/step-000100", q = "checkpoints/run-1/step-000200",
                          r = "checkpoints/run-2/step-000050";
        {
            using rlhf::store::Judgment;
            rlhf::store::Database database(project.toStdString() + "/project.sqlite");
            auto battle = [&](const std::string& a, const std::string& b, Judgment vote) {
                rlhf::store::Battle stored;
                stored.modelA = a;
                stored.modelB = b;
                stored.vote = vote;
                database.addBattle(stored);
            };
            battle(q, p, Judgment::A);       // Q wins
            battle(q, p, Judgment::A);       // Q wins
            battle(p, q, Judgment::B);       // Q wins
            battle(p, q, Judgment::A);       // P wins
            battle(q, r, Judgment::Tie);     // tie
            battle(r, q, Judgment::BothBad); // a tie as well
            battle(p, r, Judgment::A);       // P wins
            battle(r, p, Judgment::A);       // R wins
        }
        const Result result =
            runCli({"arena", "leaderboard", "--project", project, "--json", "--rounds", "200"});
        RUN_OK(result);
        const QJsonObject json = QJsonDocument::fromJson(result.out.toUtf8()).object();
        QCOMPARE(json["battles"].toInt(), 8);
        const QJsonArray models = json["models"].toArray();
        QCOMPARE(models.size(), 3);
        // Q: 6 battles, 3 W 1 L 2 T. P: 6 battles, 2 W 4 L. R: 4 battles, 1 W 1 L 2 T.
        // R scored exactly half against both Q and P (with the prior's virtual ties too), so its
        // likelihood equation is sigma(R - Q) + sigma(R - P) = 1, i.e. R = (Q + P) / 2: R sits
        // at the mean, the centre 1000, with Q above (3-1 over P) and P below.
        const auto row = [&](int i) { return models[i].toObject(); };
        QCOMPARE(row(0)["model"].toString().toStdString(), q);
        QCOMPARE(row(1)["model"].toString().toStdString(), r);
        QCOMPARE(row(2)["model"].toString().toStdString(), p);
        QCOMPARE(row(0)["battles"].toInt(), 6);
        QCOMPARE(row(0)["wins"].toInt(), 3);
        QCOMPARE(row(0)["losses"].toInt(), 1);
        QCOMPARE(row(0)["ties"].toInt(), 2);
        QCOMPARE(row(1)["battles"].toInt(), 4);
        QCOMPARE(row(1)["wins"].toInt(), 1);
        QCOMPARE(row(1)["losses"].toInt(), 1);
        QCOMPARE(row(1)["ties"].toInt(), 2);
        QCOMPARE(row(2)["battles"].toInt(), 6);
        QCOMPARE(row(2)["wins"].toInt(), 2);
        QCOMPARE(row(2)["losses"].toInt(), 4);
        QCOMPARE(row(2)["ties"].toInt(), 0);
        QVERIFY(qAbs(row(1)["rating"].toDouble() - 1000.0) < 1e-6);
        for (int i = 0; i < 3; ++i) {
            QVERIFY(row(i)["low"].toDouble() <= row(i)["rating"].toDouble());
            QVERIFY(row(i)["rating"].toDouble() <= row(i)["high"].toDouble());
        }
        // Seeded: the same command prints the same table.
        const Result again =
            runCli({"arena", "leaderboard", "--project", project, "--json", "--rounds", "200"});
        QCOMPARE(again.out, result.out);
        const Result table = runCli({"arena", "leaderboard", "--project", project});
        RUN_OK(table);
        QVERIFY2(table.out.contains("3/1/2"), qPrintable(table.out));
        QVERIFY2(table.out.contains("95% interval"), qPrintable(table.out));
    }

    // Labels stored by hand: Cohen's kappa per pair and Fleiss' kappa, worked out below.
    void labelsAgreement()
    {
        QTemporaryDir dir;
        const QString project = dir.filePath("labels");
        RUN_OK(runCli({"init", project}));
        {
            using rlhf::store::Judgment;
            rlhf::store::Database database(project.toStdString() + "/project.sqlite");
            std::vector<rlhf::store::ComparisonItem> items(4);
            for (size_t i = 0; i < items.size(); ++i) {
                items[i].origin = "test#" + std::to_string(i);
                items[i].responseA = "a";
                items[i].responseB = "b";
            }
            QCOMPARE(database.addComparisonItems(items), int64_t(4));
            const auto stored = database.comparisonItems();
            auto label = [&](size_t item, const char* annotator, Judgment judgment) {
                rlhf::store::Label value;
                value.item = stored.at(item).id;
                value.annotator = annotator;
                value.judgment = judgment;
                database.setLabel(value);
            };
            label(0, "alice", Judgment::A);
            label(1, "alice", Judgment::B);
            label(2, "alice", Judgment::Tie);
            label(3, "alice", Judgment::BothBad);
            label(0, "bob", Judgment::A);
            label(1, "bob", Judgment::B);
            label(2, "bob", Judgment::A);
            label(3, "bob", Judgment::BothBad);
            label(0, "carol", Judgment::A);
        }
        const Result result = runCli({"labels", "agreement", "--project", project, "--json"});
        RUN_OK(result);
        const QJsonObject json = QJsonDocument::fromJson(result.out.toUtf8()).object();
        QCOMPARE(json["labels"].toInt(), 9);
        QCOMPARE(json["shared_items"].toInt(), 4);
        const QJsonArray pairs = json["pairs"].toArray();
        QCOMPARE(pairs.size(), 3);
        // alice / bob on 4 items: (A,A) (B,B) (Tie,A) (BothBad,BothBad). po = 3/4; alice 1/4 in
        // each category, bob A 1/2, B 1/4, BothBad 1/4: pe = 1/8 + 1/16 + 1/16 = 1/4;
        // kappa = (3/4 - 1/4) / (3/4) = 2/3.
        QCOMPARE(pairs[0].toObject()["first"].toString(), QString("alice"));
        QCOMPARE(pairs[0].toObject()["second"].toString(), QString("bob"));
        QCOMPARE(pairs[0].toObject()["items"].toInt(), 4);
        QVERIFY(qAbs(pairs[0].toObject()["kappa"].toDouble() - 2.0 / 3.0) < 1e-12);
        // carol labelled item 0 only, A like the others: one category, pe = 1, undefined.
        QCOMPARE(pairs[1].toObject()["second"].toString(), QString("carol"));
        QCOMPARE(pairs[1].toObject()["items"].toInt(), 1);
        QVERIFY(pairs[1].toObject()["kappa"].isNull());
        QVERIFY(pairs[2].toObject()["kappa"].isNull());
        // Fleiss: item 0 {A: 3} P = (9 - 3) / 6 = 1; items 1 and 3 agree, P = (4 - 2) / 2 = 1;
        // item 2 {A: 1, Tie: 1} P = 0. Pbar = 3/4. Totals A 4, B 2, Tie 1, BothBad 2 of 9:
        // Pe = (16 + 4 + 1 + 4) / 81 = 25/81. kappa = (3/4 - 25/81) / (56/81) = 143/224.
        QVERIFY(qAbs(json["fleiss"].toDouble() - 143.0 / 224.0) < 1e-12);

        const Result text = runCli({"labels", "agreement", "--project", project});
        RUN_OK(text);
        QVERIFY2(text.out.contains("0.667"), qPrintable(text.out));
        QVERIFY2(text.out.contains("Fleiss' kappa (all annotators): 0.638"), qPrintable(text.out));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
