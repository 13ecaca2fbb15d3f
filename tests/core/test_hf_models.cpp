// Hugging Face models in and out, against transformers itself (tests/reference/hf_models.py, in
// the .torch/ Python that install-deps --torch=pip sets up): small random models of every family
// (GPT-2; Llama with llama3, linear, yarn and dynamic rope scaling and attention biases; Mistral
// with a sliding window; Qwen2 with q/k/v biases and a window on its upper layer; Qwen3 with q/k
// norms and its own head_dim; a bf16 model in shards) load here with the same last-position
// logits (1e-4), the same 32 greedy tokens (decoded through the KV cache) and the same SFT loss;
// saved here (fp32, and bf16 in shards), they load in transformers with the same logits.
// And config.json fields that would build a different model are refused by name.
#include "tests/support/hf_reference.h"
#include "core/model/checkpoint.h"
#include "core/model/hf_config.h"
#include "core/model/kv_cache.h"
#include "core/model/language_model_loss.h"
#include "core/model/transformer.h"
#include "core/util/json_file.h"
#include "tests/support/error_of.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <nlohmann/json.hpp>

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <vector>

using namespace rlhf;
namespace fs = std::filesystem;

namespace {

struct Computed {
    std::vector<float> lastLogits;
    std::vector<int64_t> greedy;
    double sftLoss = 0;
};

std::vector<int64_t> intsOf(const nlohmann::json& json)
{
    return json.get<std::vector<int64_t>>();
}

// What hf_models.py reports, computed here: the full forward's last logits, greedy tokens
// through the KV cache one token at a time, and the masked next-token loss as SFT computes it.
Computed compute(model::TransformerImpl& model, const std::vector<int64_t>& prompt,
                 const std::vector<int64_t>& mask, int greedyTokens)
{
    at::NoGradGuard noGrad;
    model.eval();
    const int64_t T = int64_t(prompt.size());
    const auto ids = at::tensor(prompt, at::kLong).view({1, T});
    Computed result;
    const at::Tensor last = model.forward(ids)[0][T - 1].contiguous();
    result.lastLogits.assign(last.data_ptr<float>(), last.data_ptr<float>() + last.numel());

    model::KvCache cache;
    at::Tensor logits = model.forward(ids, cache, {}, {});
    for (int step = 0; step < greedyTokens; ++step) {
        const int64_t next = logits[0][-1].argmax().item<int64_t>();
        result.greedy.push_back(next);
        logits = model.forward(at::full({1, 1}, next, at::kLong), cache, {}, {});
    }

    const at::Tensor hidden = model.hiddenStates(ids, nullptr, {}, {})[0].narrow(0, 0, T - 1);
    const auto targets = ids[0].narrow(0, 1, T - 1);
    const auto weights =
        at::tensor(std::vector<int64_t>(mask.begin() + 1, mask.end()), at::kLong).to(at::kFloat);
    result.sftLoss =
        (model::linearCrossEntropy(hidden, model.outputWeight(), targets, weights) / weights.sum())
            .item<double>();
    return result;
}

double maxDifference(const std::vector<float>& ours, const nlohmann::json& theirs)
{
    const auto reference = theirs.get<std::vector<float>>();
    if (reference.size() != ours.size()) return 1e9;
    double worst = 0;
    for (size_t i = 0; i < ours.size(); ++i)
        worst = std::max(worst, double(std::abs(ours[i] - reference[i])));
    return worst;
}

nlohmann::json llamaConfig()
{
    return {{"model_type", "llama"},  {"vocab_size", 300},        {"max_position_embeddings", 64},
            {"num_hidden_layers", 2}, {"num_attention_heads", 4}, {"num_key_value_heads", 2},
            {"hidden_size", 64},      {"intermediate_size", 96}};
}

} // namespace

class TestHfModels : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    nlohmann::json m_reference;

    bool runReference(const QString& command)
    {
        return testing::runHfReference("hf_models.py", command, m_dir.path());
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        if (!QFile::exists(QStringLiteral(RLHF_HF_PYTHON)) ||
            QProcess::execute(QStringLiteral(RLHF_HF_PYTHON), {"-c", "import transformers"}) != 0)
            QSKIP("no Python with transformers at " RLHF_HF_PYTHON
                  " (bash packaging/install-deps.sh --torch=pip)");
        QVERIFY(runReference(QStringLiteral("make")));
        m_reference = readJsonFile(fs::path(m_dir.path().toStdString()) / "reference.json");
    }

    // Every family loads with transformers' logits, greedy tokens and SFT loss, and is saved
    // back in fp32 and in bf16 shards for the reverse check below.
    void loadsWithTransformersResults_data()
    {
        QTest::addColumn<QString>("name");
        for (const char* name :
             {"gpt2", "llama-llama3", "llama-linear-bias-tied", "llama-yarn", "llama-dynamic",
              "mistral-window", "qwen2-window", "qwen3", "qwen2-bf16-sharded"})
            QTest::newRow(name) << QString(name);
    }
    void loadsWithTransformersResults()
    {
        QFETCH(QString, name);
        const fs::path root = m_dir.path().toStdString();
        const nlohmann::json& expected = m_reference.at("cases").at(name.toStdString());
        auto model = model::loadTransformer(root / name.toStdString());
        const Computed ours =
            compute(*model, intsOf(m_reference.at("prompt")), intsOf(m_reference.at("mask")),
                    int(expected.at("greedy").size()));
        const double difference = maxDifference(ours.lastLogits, expected.at("last_logits"));
        qInfo("%s: max |logit difference| %.2e, SFT loss %.6f vs %.6f", qPrintable(name),
              difference, ours.sftLoss, expected.at("sft_loss").get<double>());
        QVERIFY2(difference < 1e-4, qPrintable(QString::number(difference)));
        QCOMPARE(ours.greedy, intsOf(expected.at("greedy")));
        QVERIFY(std::abs(ours.sftLoss - expected.at("sft_loss").get<double>()) < 1e-5);
        QCOMPARE(model->parameterCount(), expected.at("parameters").get<int64_t>());
        QCOMPARE(model::parameterCount(model->config()), model->parameterCount());

        model::saveCheckpoint(root / ("saved-" + name.toStdString()), *model, {});
        model::CheckpointContents bf16;
        bf16.weightsDtype = "bfloat16";
        bf16.maxShardBytes = 50'000;
        model::saveCheckpoint(root / ("saved-bf16-" + name.toStdString()), *model, bf16);
    }

    // What was saved above loads in transformers: fp32 with our logits, bf16 with the logits
    // of our model loaded from those same bf16 shards.
    void savedModelsLoadInTransformers()
    {
        QVERIFY(runReference(QStringLiteral("check")));
        const fs::path root = m_dir.path().toStdString();
        const nlohmann::json saved = readJsonFile(root / "saved.json");
        QCOMPARE(int(saved.size()), 18);
        for (const auto& [folder, theirs] : saved.items()) {
            if (folder.starts_with("saved-bf16-"))
                QVERIFY2(fs::exists(root / folder / "model.safetensors.index.json"),
                         folder.c_str());
            auto model = model::loadTransformer(root / folder);
            const Computed ours = compute(*model, intsOf(m_reference.at("prompt")),
                                          intsOf(m_reference.at("mask")), 0);
            const double difference = maxDifference(ours.lastLogits, theirs.at("last_logits"));
            qInfo("%s: max |logit difference| %.2e", folder.c_str(), difference);
            QVERIFY2(difference < 1e-4, folder.c_str());
        }
    }

    // `rlhf model info` describes a folder without loading its weights.
    void cliDescribesAModelFolder()
    {
        const fs::path root = m_dir.path().toStdString();
        QProcess rlhf;
        rlhf.start(QStringLiteral(RLHF_BINARY_DIR "/bin/rlhf"),
                   {"model", "info", QString::fromStdString((root / "qwen3").string())});
        QVERIFY(rlhf.waitForFinished(60'000));
        QCOMPARE(rlhf.exitCode(), 0);
        const auto info = nlohmann::json::parse(rlhf.readAllStandardOutput().toStdString());
        QCOMPARE(info.at("family").get<std::string>(), std::string("qwen3"));
        QCOMPARE(info.at("architecture").get<std::string>(), std::string("Qwen3ForCausalLM"));
        QCOMPARE(info.at("parameters").get<int64_t>(),
                 m_reference.at("cases").at("qwen3").at("parameters").get<int64_t>());
        QCOMPARE(info.at("head_dim").get<int64_t>(), int64_t(32));
        QCOMPARE(info.at("dtype").get<std::string>(), std::string("float32"));
        QVERIFY(info.at("weight_bytes").get<int64_t>() >= 4 * info.at("parameters").get<int64_t>());
        QVERIFY(info.at("chat_template").is_null()); // transformers saved no tokenizer

        // With a tokenizer_config.json that carries a ChatML-style template and AddedToken-style
        // special tokens, the preview is the template's rendering of a short conversation.
        nlohmann::json tokenizerConfig;
        tokenizerConfig["eos_token"] = {{"content", "<|im_end|>"}, {"special", true}};
        tokenizerConfig["chat_template"] =
            "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + "
            "message['content'] + eos_token + '\n' }}{% endfor %}{% if add_generation_prompt "
            "%}{{ '<|im_start|>assistant\n' }}{% endif %}";
        writeJsonFile(root / "qwen3" / "tokenizer_config.json", tokenizerConfig);
        QProcess withTemplate;
        withTemplate.start(QStringLiteral(RLHF_BINARY_DIR "/bin/rlhf"),
                           {"model", "info", QString::fromStdString((root / "qwen3").string())});
        QVERIFY(withTemplate.waitForFinished(60'000));
        const auto described =
            nlohmann::json::parse(withTemplate.readAllStandardOutput().toStdString());
        QCOMPARE(described.at("chat_template").at("preview").get<std::string>(),
                 std::string("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                             "<|im_start|>user\nHello!<|im_end|>\n"
                             "<|im_start|>assistant\nHi! How can I help?<|im_end|>\n"
                             "<|im_start|>user\nWhat is 2 + 2?<|im_end|>\n"
                             "<|im_start|>assistant\n"));

        QProcess broken; // an unknown family: the message names the field, exit code 1
        broken.start(QStringLiteral(RLHF_BINARY_DIR "/bin/rlhf"),
                     {"model", "info", QString::fromStdString(root.string())});
        QVERIFY(broken.waitForFinished(60'000));
        QCOMPARE(broken.exitCode(), 1);
        QVERIFY(broken.readAllStandardError().contains("config.json"));
    }

    // `rlhf bench finetune` loads a folder and runs full fine-tuning steps on it.
    void benchFinetunesAModelFolder()
    {
        const fs::path folder = fs::path(m_dir.path().toStdString()) / "qwen2-bf16-sharded";
        QProcess rlhf;
        rlhf.start(QStringLiteral(RLHF_BINARY_DIR "/bin/rlhf"),
                   {"bench", "finetune", "-c", QString::fromStdString(folder.string()), "--steps",
                    "2", "--length", "32", "--precision", "fp32"});
        QVERIFY(rlhf.waitForFinished(120'000));
        QCOMPARE(rlhf.exitCode(), 0);
        const auto result = nlohmann::json::parse(rlhf.readAllStandardOutput().toStdString());
        QCOMPARE(result.at("family").get<std::string>(), std::string("qwen2"));
        QCOMPARE(result.at("params").get<int64_t>(),
                 m_reference.at("cases").at("qwen2-bf16-sharded").at("parameters").get<int64_t>());
        // Random tokens, a random model (init std 0.2): a finite loss above ln 300 = 5.7's
        // neighbourhood, as the reference's SFT loss on its prompt (7.98).
        const double loss = result.at("first_loss").get<double>();
        QVERIFY2(loss > 3.0 && loss < 30.0, qPrintable(QString::number(loss)));
        QVERIFY(result.at("step_s").get<double>() > 0);
        QVERIFY(result.at("peak_memory_gb").get<double>() > 0);
    }

    // A Hub-style model with its tokenizer and ChatML template goes through SFT and DPO from the
    // CLI: every stage renders dialogues with the model's own template (the log says which file),
    // each checkpoint carries the template on, and chat answers through it.
    void finetunesWithTheModelsOwnChatTemplate()
    {
        QVERIFY(runReference(QStringLiteral("chat")));
        const fs::path root = m_dir.path().toStdString();
        const fs::path model = root / "qwen2-chat";
        const QString project = QString::fromStdString((root / "chat-project").string());
        auto rlhf = [&](const QStringList& arguments) {
            QProcess process;
            process.start(QStringLiteral(RLHF_BINARY_DIR "/bin/rlhf"), arguments);
            process.waitForFinished(300'000);
            const QString output = process.readAllStandardOutput() + process.readAllStandardError();
            if (process.exitCode() != 0) qWarning("%s", qPrintable(output));
            return std::pair(process.exitCode(), output);
        };
        QCOMPARE(rlhf({"task", "arithmetic", "-p", project, "--max-operand", "9"}).first, 0);
        // Added as a base model (File > Add Model… in the studio): checked, then listed.
        const auto [addCode, added] =
            rlhf({"model", "add", "-p", project, QString::fromStdString(model.string())});
        QCOMPARE(addCode, 0);
        const auto addedJson = nlohmann::json::parse(added.toStdString());
        QCOMPARE(addedJson.at("name").get<std::string>(), std::string("qwen2-chat"));
        QCOMPARE(addedJson.at("family").get<std::string>(), std::string("qwen2"));
        QCOMPARE(addedJson.at("path").get<std::string>(), model.string());
        const auto [againCode, again] =
            rlhf({"model", "add", "-p", project, QString::fromStdString(model.string())});
        QCOMPARE(againCode, 1);
        QVERIFY2(again.contains("already exists"), qPrintable(again));
        const auto [listCode, listed] = rlhf({"model", "list", "-p", project});
        QCOMPARE(listCode, 0);
        QCOMPARE(nlohmann::json::parse(listed.toStdString()).size(), size_t(1));
        auto stage = [&](const char* name, const char* kind, const fs::path& init,
                         const char* dataset, const char* val) {
            const nlohmann::json document = {
                {"stage", kind},
                {"name", name},
                {"init", init.string()},
                {"data", {{"dataset", dataset}, {"train", "train"}, {"val", val}}},
                {"training", {{"steps", 2}, {"batch_size", 2}, {"eval_every", 2}}}};
            const fs::path file = root / (std::string(name) + ".json");
            writeJsonFile(file, document);
            return rlhf({"train", "-p", project, QString::fromStdString(file.string())});
        };
        const auto [sftCode, sftLog] = stage("hf-sft", "sft", model, "arith-sft", "val");
        QCOMPARE(sftCode, 0);
        const QString sftTemplate =
            QString::fromStdString((model / "tokenizer_config.json").string());
        QVERIFY2(sftLog.contains("chat template: " + sftTemplate), qPrintable(sftLog));

        const fs::path checkpoints = root / "chat-project" / "checkpoints";
        fs::path sftCheckpoint;
        for (const auto& entry : fs::recursive_directory_iterator(checkpoints))
            if (entry.path().filename() == "tokenizer_config.json")
                sftCheckpoint = entry.path().parent_path();
        QVERIFY2(!sftCheckpoint.empty(), "the SFT checkpoint lacks the model's template");
        QVERIFY(fs::exists(sftCheckpoint / "tokenizer.json"));

        const auto [dpoCode, dpoLog] = stage("hf-dpo", "dpo", sftCheckpoint, "arith-pairs", "test");
        QCOMPARE(dpoCode, 0);
        QVERIFY2(dpoLog.contains(
                     "chat template: " +
                     QString::fromStdString((sftCheckpoint / "tokenizer_config.json").string())),
                 qPrintable(dpoLog));

        const auto [chatCode, chatOutput] =
            rlhf({"chat", "-c", QString::fromStdString(sftCheckpoint.string()), "--say",
                  "What is 2 + 3?", "--max-new-tokens", "4", "--json"});
        QCOMPARE(chatCode, 0);
        QVERIFY2(chatOutput.contains("What is 2 + 3?"), qPrintable(chatOutput));
    }

    // A Llama 3.2-style config.json as the Hub has it (rope_theta + rope_scaling, torch_dtype).
    void readsTheHubsLlama3Config()
    {
        nlohmann::json json = llamaConfig();
        json["torch_dtype"] = "bfloat16";
        json["rope_theta"] = 500000.0;
        json["rope_scaling"] = {{"factor", 32.0},
                                {"high_freq_factor", 4.0},
                                {"low_freq_factor", 1.0},
                                {"original_max_position_embeddings", 8192},
                                {"rope_type", "llama3"}};
        json["eos_token_id"] = {128001, 128008, 128009};
        json["bos_token_id"] = 128000;
        json["pretraining_tp"] = 1;
        const model::ModelConfig config = model::fromHfConfig(json);
        QCOMPARE(int(config.rope.type), int(model::RopeType::Llama3));
        QCOMPARE(config.rope.factor, 32.0);
        QCOMPARE(config.rope.originalContext, int64_t(8192));
        QCOMPARE(config.ropeTheta, 500000.0);
        QCOMPARE(config.dtype, std::string("bfloat16"));
        QCOMPARE(config.eosTokenIds, (std::vector<int64_t>{128001, 128008, 128009}));
        QCOMPARE(config.bosTokenId, int64_t(128000));
        // and writes it back as it read it
        const model::ModelConfig again = model::fromHfConfig(model::toHfConfig(config));
        QCOMPARE(again.rope.factor, 32.0);
        QCOMPARE(again.eosTokenIds, config.eosTokenIds);
    }

    // What would build a different model is refused, naming the field.
    void refusesWhatItCannotBuild_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown field") << "foo_scale"
                                       << "2"
                                       << "config.json: foo_scale: unknown field";
        QTest::newRow("model type") << "model_type"
                                    << "\"phi3\""
                                    << "config.json: model_type: 'phi3' is not supported (gpt2, "
                                       "llama, mistral, qwen2 or qwen3)";
        QTest::newRow("rope type") << "rope_scaling"
                                   << R"({"rope_type": "longrope"})"
                                   << "config.json: rope_scaling.rope_type: 'longrope' is not "
                                      "supported";
        QTest::newRow("rope field") << "rope_scaling"
                                    << R"({"rope_type": "linear", "factor": 2, "mystery": 1})"
                                    << "config.json: rope_scaling.mystery: unknown field";
        QTest::newRow("activation") << "hidden_act"
                                    << "\"gelu\""
                                    << "config.json: hidden_act: 'gelu' is not supported";
        QTest::newRow("mlp bias") << "mlp_bias"
                                  << "true"
                                  << "config.json: mlp_bias:";
        QTest::newRow("quantized") << "quantization_config"
                                   << R"({"quant_method": "gptq"})"
                                   << "config.json: quantization_config: quantized";
        QTest::newRow("classifier") << "architectures"
                                    << R"(["LlamaForSequenceClassification"])"
                                    << "only LlamaForCausalLM";
        QTest::newRow("partial rope") << "rope_parameters"
                                      << R"({"rope_type": "default", "partial_rotary_factor": 0.5})"
                                      << "config.json: rope_parameters.partial_rotary_factor:";
    }
    void refusesWhatItCannotBuild()
    {
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(QString, expected);
        nlohmann::json json = llamaConfig();
        json[field.toStdString()] = nlohmann::json::parse(value.toStdString());
        const QString message = testing::errorOf([&] { model::fromHfConfig(json); });
        QVERIFY2(message.contains(expected), qPrintable(message));
    }
};

QTEST_GUILESS_MAIN(TestHfModels)
#include "test_hf_models.moc"
