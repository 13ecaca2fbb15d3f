// LoRA through the stages (runStage, as the CLI and the studio run them) on the arithmetic
// project: SFT trains an adapter on a frozen base and checkpoints it as PEFT's files; a resumed
// run ends where the straight one does; DPO continues the SFT adapter with the SFT model as its
// reference (the same base, that adapter frozen), so its first loss is exactly ln 2; a
// full fine-tuning stage starts from the adapter checkpoint as base + adapter merged; the reward
// model trains an adapter and its head; PPO and GRPO train the policy's adapter against the base.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "core/gen/decoding_checkpoint.h"
#include "core/model/checkpoint.h"
#include "core/model/gguf_export.h"
#include "core/model/hf_export.h"
#include "core/model/peft_adapter.h"
#include "core/store/project.h"
#include "core/train/base_model.h"
#include "core/train/scalar_model.h"
#include "core/train/stage_runner.h"
#include "core/model/hf_config.h"
#include "core/util/error.h"
#include "core/util/json_file.h"
#include "tests/support/arithmetic_project.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <map>

namespace fs = std::filesystem;
using namespace rlhf;

namespace {

struct Logs : train::StageObserver {
    std::vector<std::string> lines;
    void onLog(const std::string& line) override { lines.push_back(line); }
    bool has(const std::string& part) const
    {
        for (const std::string& line : lines)
            if (line.find(part) != std::string::npos) return true;
        return false;
    }
};

nlohmann::json stageDocument(const char* stage, const std::string& init, const char* dataset,
                             int64_t steps)
{
    return {{"stage", stage},
            {"init", init},
            {"data", {{"dataset", dataset}, {"train", "train"}}},
            {"optimizer", {{"lr", 0.01}, {"warmup_steps", 0}}},
            {"training",
             {{"steps", steps},
              {"batch_size", 4},
              {"seed", 5},
              {"threads", 1},
              {"precision", "fp32"},
              {"log_every", 1},
              {"eval_every", 0},
              {"checkpoint_every", 3}}}};
}

const nlohmann::json loraBlock = {{"rank", 4}, {"alpha", 8}, {"target_modules", "all-linear"}};

std::vector<double> series(const fs::path& root, int64_t run, const char* metric)
{
    store::Project project = store::Project::open(root);
    std::vector<double> values;
    for (const auto& sample : project.database().metricSeries(run, metric))
        values.push_back(sample.value);
    return values;
}

double maxDifference(const model::NamedTensors& a, const model::NamedTensors& b)
{
    if (a.size() != b.size()) return INFINITY;
    double difference = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i].first != b[i].first) return INFINITY;
        difference = std::max(difference, (a[i].second - b[i].second).abs().max().item<double>());
    }
    return difference;
}

} // namespace

class TestLoraStages : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    fs::path m_root;
    std::string m_init;
    std::string m_rewardAdapter; // rewardTrainsAnAdapterAndItsHead's checkpoint
    fs::path m_sftAdapter;       // sftTrainsAnAdapter's

    train::StageRunReport run(const nlohmann::json& document, Logs& logs)
    {
        train::StopToken stop;
        try {
            return train::runStage(m_root, document, "lora.json", logs, stop);
        } catch (const std::exception& error) {
            qWarning("%s", error.what()); // the test's own message, before QtTest's
            throw;
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_root = fs::path(m_dir.path().toStdString()) / "project";
        m_init = fixtures::writeArithmeticProject(m_root);
    }

    // The adapter trains, the base does not; checkpoints are PEFT adapter folders on the base,
    // and loading one gives the base with the adapter merged in.
    void sftTrainsAnAdapter()
    {
        nlohmann::json document = stageDocument("sft", m_init, "arith-sft", 6);
        document["name"] = "sft-lora";
        document["lora"] = loraBlock;
        Logs logs;
        const auto report = run(document, logs);
        QCOMPARE(report.status, std::string("completed"));
        QVERIFY(logs.has("LoRA: rank 4, alpha 8 on all-linear"));
        const auto losses = series(m_root, report.runId, "train/loss");
        QCOMPARE(losses.size(), size_t(6));
        qInfo("sft with LoRA: loss %.4f -> %.4f", losses.front(), losses.back());
        QVERIFY(losses.back() < losses.front());

        const fs::path checkpoint = m_root / report.result.lastCheckpoint;
        m_sftAdapter = checkpoint;
        QVERIFY(model::isAdapterFolder(checkpoint));
        QVERIFY(!fs::exists(checkpoint / "model.safetensors"));
        QVERIFY(fs::exists(checkpoint / "optimizer.safetensors"));
        QVERIFY(fs::exists(checkpoint / "tokenizer.json"));
        const model::AdapterFolder adapter = model::loadAdapter(checkpoint);
        QCOMPARE(fs::path(adapter.baseModel), fs::absolute(m_root / m_init).lexically_normal());
        QCOMPARE(int(adapter.tensors.size()), 2 * 7 * 2); // 2 layers x 7 projections x A, B

        // The base on disk is untouched; the checkpoint loads as base + adapter.
        model::Transformer base = model::loadTransformer(m_root / m_init);
        const auto info = train::describeModelFolder(checkpoint); // what `rlhf model info` prints
        QCOMPARE(info["adapter"]["rank"].get<int64_t>(), int64_t(4));
        QCOMPARE(fs::path(info["adapter"]["base"].get<std::string>()), fs::path(adapter.baseModel));
        QCOMPARE(info["parameters"].get<int64_t>(), base->parameterCount());
        model::Transformer merged = model::loadTransformer(checkpoint);
        model::Transformer adapted = model::loadTransformer(m_root / m_init);
        adapted->setActiveAdapter(adapted->addAdapter(adapter.config, adapter.tensors));
        at::NoGradGuard noGrad;
        const at::Tensor tokens = at::arange(1, 20, at::kLong).view({1, -1});
        const double change =
            (merged->forward(tokens) - base->forward(tokens)).abs().max().item<double>();
        const double mergeError =
            (merged->forward(tokens) - adapted->forward(tokens)).abs().max().item<double>();
        qInfo("adapter moves logits by %.3g; merged vs adapter applied: %.3g", change, mergeError);
        QVERIFY(change > 1e-3);
        QVERIFY2(mergeError < 1e-5, qPrintable(QString::number(mergeError)));

        // Exported, it is the merged model: a plain Hugging Face folder, or GGUF.
        const fs::path exported = fs::path(m_dir.path().toStdString()) / "exported";
        model::exportHfFolder(checkpoint, exported, "float32");
        QVERIFY(!model::isAdapterFolder(exported));
        const double exportError =
            (model::loadTransformer(exported)->forward(tokens) - merged->forward(tokens))
                .abs()
                .max()
                .item<double>();
        QCOMPARE(exportError, 0.0);
        const fs::path gguf = fs::path(m_dir.path().toStdString()) / "adapter.gguf";
        model::exportGguf(checkpoint, gguf, {});
        QVERIFY(fs::file_size(gguf) > 0);
        QVERIFY(!fs::exists(gguf.string() + ".merged")); // the merged folder is cleaned up
    }

    // Decoders (chat, arena, generate) of the base and of an adapter on it share one base in
    // memory: the adapter's decoder computes what the merged checkpoint does, the base's what
    // the base does, whichever ran last; the adapter leaves the base with its decoder.
    void decodersShareTheBase()
    {
        QVERIFY(!m_sftAdapter.empty());
        const gen::DecodeSetup setup{gen::DecodePrecision::Float32, -1};
        auto base = std::make_unique<gen::DecodingCheckpoint>(
            gen::loadDecodingCheckpoint(m_root / m_init, setup));
        auto adapter = std::make_unique<gen::DecodingCheckpoint>(
            gen::loadDecodingCheckpoint(m_sftAdapter, setup));
        QVERIFY(base->source.sharedView() && adapter->source.sharedView());
        const model::Transformer shared = base->source.sharedView()->handle();
        QVERIFY(shared.get() == adapter->source.sharedView()->handle().get());
        QCOMPARE(shared->adapterCount(), 1);

        at::NoGradGuard noGrad;
        const at::Tensor tokens = at::arange(1, 12, at::kLong).view({1, -1});
        const at::Tensor expectBase = model::loadTransformer(m_root / m_init)->forward(tokens);
        const at::Tensor expectAdapter = model::loadTransformer(m_sftAdapter)->forward(tokens);
        auto last = [](const at::Tensor& logits) { return logits.select(1, -1); };
        for (int round = 0; round < 2; ++round) { // interleaved: each forward sets its adapter
            base->source.reset();
            adapter->source.reset();
            const double adapterError =
                (adapter->source.forward({tokens, {}, {}}) - last(expectAdapter))
                    .abs()
                    .max()
                    .item<double>();
            const double baseError = (base->source.forward({tokens, {}, {}}) - last(expectBase))
                                         .abs()
                                         .max()
                                         .item<double>();
            qInfo("shared base: base decoder %.3g, adapter decoder %.3g from the loaded models",
                  baseError, adapterError);
            QVERIFY2(baseError < 1e-5, qPrintable(QString::number(baseError)));
            QVERIFY2(adapterError < 1e-5, qPrintable(QString::number(adapterError)));
        }
        adapter.reset();
        try {
            shared->adapterConfig(0);
            QFAIL("the adapter outlived its decoder");
        } catch (const Error&) {
        }
    }

    // An adapter from elsewhere (the Hub names its base by id, not by a folder here) is refused
    // naming the file until given a local base; then it is copied into the project's adapters/
    // on that base, with the base's tokenizer, and loads as what it was trained to be.
    void externalAdapterIsAddedOnALocalBase()
    {
        QVERIFY(!m_sftAdapter.empty());
        const fs::path external = fs::path(m_dir.path().toStdString()) / "hub-adapter";
        fs::create_directories(external);
        fs::copy_file(m_sftAdapter / "adapter_model.safetensors",
                      external / "adapter_model.safetensors");
        nlohmann::json config = readJsonFile(m_sftAdapter / "adapter_config.json");
        config["base_model_name_or_path"] = "Org/Tiny-Base";
        writeJsonFile(external / "adapter_config.json", config);

        store::Project project = store::Project::open(m_root);
        try {
            train::addBaseModel(project, external, "");
            QFAIL("an adapter without a base here was added");
        } catch (const Error& error) {
            QVERIFY2(std::string(error.what())
                             .find("adapter_config.json: base model \"Org/Tiny-Base\"") !=
                         std::string::npos,
                     error.what());
        }
        const auto added = train::addAdapterModel(project, external, m_root / m_init, "tuned");
        const fs::path folder = m_root / added.path;
        QCOMPARE(added.path, std::string("adapters/tuned"));
        QVERIFY(fs::exists(folder / "tokenizer.json"));
        QCOMPARE(model::adapterBaseFolder(folder),
                 fs::absolute(m_root / m_init).lexically_normal());
        at::NoGradGuard noGrad;
        const at::Tensor tokens = at::arange(1, 12, at::kLong).view({1, -1});
        QVERIFY(at::equal(model::loadTransformer(folder)->forward(tokens),
                          model::loadTransformer(m_sftAdapter)->forward(tokens)));
        try { // the name is taken now; nothing more is written
            train::addAdapterModel(project, external, m_root / m_init, "tuned");
            QFAIL("a second model named tuned");
        } catch (const Error& error) {
            QVERIFY2(std::string(error.what()).find("already has a model named tuned") !=
                         std::string::npos,
                     error.what());
        }
    }

    // Stopped at step 3 and resumed, the adapter ends where the straight run's does.
    void resumeContinuesTheAdapter()
    {
        nlohmann::json document = stageDocument("sft", m_init, "arith-sft", 6);
        document["lora"] = loraBlock;
        document["name"] = "straight";
        Logs straightLogs, firstLogs, resumedLogs;
        const auto straight = run(document, straightLogs);
        document["name"] = "resumed";
        document["resume_from"] =
            (fs::path(straight.result.lastCheckpoint).parent_path() / "step-000003").string();
        const auto resumed = run(document, resumedLogs);
        QCOMPARE(resumed.status, std::string("completed"));
        const double difference =
            maxDifference(model::loadAdapter(m_root / straight.result.lastCheckpoint).tensors,
                          model::loadAdapter(m_root / resumed.result.lastCheckpoint).tensors);
        qInfo("resumed at step 3 vs straight, max |adapter difference| %g", difference);
        QCOMPARE(difference, 0.0);
    }

    // DPO from the SFT adapter: it continues that adapter, and its reference is the SFT model
    // (the base with the adapter as SFT left it), so the policy starts equal to the reference and
    // the first loss is ln 2; from the base model, the reference is the base alone.
    void dpoContinuesTheSftAdapter()
    {
        nlohmann::json sft = stageDocument("sft", m_init, "arith-sft", 3);
        sft["name"] = "sft-for-dpo";
        sft["lora"] = loraBlock;
        Logs sftLogs;
        const auto sftRun = run(sft, sftLogs);
        for (const std::string& init : {sftRun.result.lastCheckpoint.string(), m_init}) {
            nlohmann::json dpo = stageDocument("dpo", init, "arith-pairs", 3);
            dpo["lora"] = loraBlock;
            Logs logs;
            const auto report = run(dpo, logs);
            QCOMPARE(report.status, std::string("completed"));
            const bool fromAdapter = init != m_init;
            QCOMPARE(logs.has("LoRA, continuing init's adapter"), fromAdapter);
            const auto losses = series(m_root, report.runId, "train/loss");
            qInfo("dpo with LoRA from %s: first loss %.7f (ln 2 = %.7f)",
                  fromAdapter ? "the SFT adapter" : "the base", losses.front(), std::log(2.0));
            QVERIFY(std::abs(losses.front() - std::log(2.0)) < 1e-6);
            QVERIFY(losses.back() != losses.front());
            const auto adapter = model::loadAdapter(m_root / report.result.lastCheckpoint);
            QCOMPARE(fs::path(adapter.baseModel), fs::absolute(m_root / m_init).lexically_normal());
        }
        // Every weight trains from the adapter checkpoint: the base with the adapter merged.
        nlohmann::json full =
            stageDocument("dpo", sftRun.result.lastCheckpoint.string(), "arith-pairs", 2);
        Logs logs;
        const auto report = run(full, logs);
        QCOMPARE(report.status, std::string("completed"));
        QVERIFY(!model::isAdapterFolder(m_root / report.result.lastCheckpoint));
    }

    // QLoRA: the same SFT on a base held in NF4 (or int8) starts within the quantisation's
    // error of the fp32 base's loss and learns alike.
    void sftOnAQuantisedBase()
    {
        std::map<std::string, std::vector<double>> losses;
        for (const char* base : {"fp32", "bf16", "nf4", "int8"}) {
            nlohmann::json document = stageDocument("sft", m_init, "arith-sft", 6);
            document["name"] = std::string("sft-") + base;
            document["lora"] = loraBlock;
            document["lora"]["base"] = base;
            Logs logs;
            const auto report = run(document, logs);
            QCOMPARE(report.status, std::string("completed"));
            QVERIFY(logs.has(std::string("held in ") + base));
            losses[base] = series(m_root, report.runId, "train/loss");
            QVERIFY(model::isAdapterFolder(m_root / report.result.lastCheckpoint));
        }
        for (const char* base : {"bf16", "nf4", "int8"}) {
            const auto& ours = losses[base];
            const auto& full = losses["fp32"];
            double difference = 0;
            for (size_t i = 0; i < full.size(); ++i)
                difference = std::max(difference, std::abs(ours[i] - full[i]));
            qInfo("sft, LoRA on a %s base: loss %.4f -> %.4f (fp32 base %.4f -> %.4f), max "
                  "|difference| %.4f",
                  base, ours.front(), ours.back(), full.front(), full.back(), difference);
            QVERIFY(ours.back() < ours.front());
            QVERIFY2(difference < 0.05 * full.front(), qPrintable(QString::number(difference)));
        }
    }

    // The reward model trains an adapter and its whole head (the likelihood term's weight
    // too); its checkpoint (adapter + score.safetensors) loads as a reward model, base and
    // adapter merged.
    void rewardTrainsAnAdapterAndItsHead()
    {
        nlohmann::json document = stageDocument("reward", m_init, "arith-pairs", 4);
        document["lora"] = loraBlock;
        Logs logs;
        const auto report = run(document, logs);
        QCOMPARE(report.status, std::string("completed"));
        const fs::path checkpoint = m_root / report.result.lastCheckpoint;
        m_rewardAdapter = report.result.lastCheckpoint.string();
        QVERIFY(model::isAdapterFolder(checkpoint));
        const auto head = model::readTensors(checkpoint / "score.safetensors");
        QCOMPARE(int(head.size()), 3); // weight, bias and the likelihood term's weight
        QVERIFY(head[0].second.abs().sum().item<double>() > 0); // the head trained from zeros
        train::ScalarModel reward = train::ScalarModel::fromCheckpoint(checkpoint);
        QVERIFY(reward.hasLikelihood() && reward.likelihoodWeight() != 1.0); // it trained
        for (const auto& [name, tensor] : reward.head()) {
            const auto saved = std::find_if(head.begin(), head.end(),
                                            [&](const auto& item) { return item.first == name; });
            QVERIFY(saved != head.end() && at::equal(saved->second, tensor));
        }
    }

    // PPO and GRPO train the policy's adapter; the reference is the base, so the first step's
    // KL is exactly 0 (a fresh adapter computes what the base does) and later ones are not.
    // The untrained model's replies are stray bytes: an upper-case letter in them scores, so
    // scores vary from the first step. Dropout is refused.
    void rlStagesTrainThePolicyAdapter()
    {
        for (const char* stage : {"ppo", "grpo"}) {
            nlohmann::json document = stageDocument(stage, m_init, "arith-prompts", 3);
            document["data"]["val"] = "test";
            document["reward"] = {{"rules",
                                   {{{"rule", "exact_answer"}, {"weight", 1.0}},
                                    {{"rule", "regex"}, {"pattern", "[A-Z]"}, {"weight", 0.5}}}}};
            document["rollout"] = {{"max_new_tokens", 4}};
            document["eval"] = {{"prompts", 4}};
            if (stage == std::string("ppo")) document["value"] = {{"init", "policy"}};
            document["lora"] = loraBlock;
            Logs logs;
            const auto report = run(document, logs);
            QCOMPARE(report.status, std::string("completed"));
            QVERIFY(model::isAdapterFolder(m_root / report.result.lastCheckpoint));
            const auto kl = series(m_root, report.runId, "rl/kl");

            qInfo("%s with LoRA: rl/kl %.3g then %.3g", stage, kl.front(), kl.back());
            QCOMPARE(kl.front(), 0.0);
            QVERIFY(kl.back() != 0.0); // the adapter moved the policy off the reference

            document["lora"]["dropout"] = 0.1;
            try {
                run(document, logs);
                QFAIL("dropout was accepted");
            } catch (const Error& error) {
                QVERIFY2(std::string(error.what()).find("lora.dropout: must be 0") !=
                             std::string::npos,
                         error.what());
            }
        }
    }

    // PPO's value model is one more adapter on the policy's base, with a head: from the reward
    // model's adapter and head when that is an adapter on the same base, or fresh (value.init
    // policy). Its checkpoint file holds that adapter and the head alone. The value adapter is
    // active over its own forward and backward passes only: with activation checkpointing,
    // which recomputes forwards during backward, every trained tensor ends bit-identical.
    void ppoValueModelIsAnAdapterOnTheSameBase()
    {
        QVERIFY(!m_rewardAdapter.empty());
        nlohmann::json document = stageDocument("ppo", m_init, "arith-prompts", 2);
        document["reward"] = {{"model", m_rewardAdapter}};
        document["rollout"] = {{"max_new_tokens", 4}};
        document["lora"] = loraBlock;
        std::vector<model::NamedTensors> trained;
        for (const bool checkpointing : {false, true}) {
            document["training"]["activation_checkpointing"] = checkpointing;
            Logs logs;
            const auto report = run(document, logs);
            QCOMPARE(report.status, std::string("completed"));
            QVERIFY(logs.has("value model: the adapter of " + m_rewardAdapter +
                             " on the policy's base, with its head"));
            const fs::path checkpoint = m_root / report.result.lastCheckpoint;
            const auto value = model::readTensors(checkpoint / "value.safetensors");
            const auto reward = model::loadAdapter(m_root / m_rewardAdapter);
            QCOMPARE(value.size(), reward.tensors.size() + 2); // the adapter and the head
            for (const auto& [name, tensor] : value)
                QVERIFY2(name.find("lora_") != std::string::npos || name.find("score.") == 6,
                         name.c_str());
            model::NamedTensors all = value;
            for (auto& item : model::loadAdapter(checkpoint).tensors)
                all.push_back(std::move(item));
            trained.push_back(std::move(all));
        }
        QCOMPARE(maxDifference(trained[0], trained[1]), 0.0);

        document["value"] = {{"init", "policy"}};
        Logs logs;
        QCOMPARE(run(document, logs).status, std::string("completed"));
        QVERIFY(logs.has("value model: a fresh adapter on the policy's base, with a new head"));
    }

    void badLoraBlocksNameTheField()
    {
        nlohmann::json document = stageDocument("sft", m_init, "arith-sft", 2);
        const std::vector<std::pair<nlohmann::json, std::string>> cases{
            {{{"rank", 0}}, "lora.rank: 0 is out of range (1 to 4096)"},
            {{{"target_modules", "attention"}}, "lora.target_modules: expected a list"},
            {{{"base", "fp8"}}, "lora.base: expected fp32, bf16, nf4 or int8"},
            {{{"ranks", 4}}, "ranks"},
        };
        for (const auto& [block, message] : cases) {
            document["lora"] = block;
            try {
                train::validateStageDocument(document, "lora.json");
                QFAIL(qPrintable(QString::fromStdString("accepted: " + block.dump())));
            } catch (const Error& error) {
                QVERIFY2(std::string(error.what()).find(message) != std::string::npos,
                         error.what());
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestLoraStages)
#include "test_lora_stages.moc"
