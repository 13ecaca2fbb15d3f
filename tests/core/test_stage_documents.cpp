// The typed stage documents: every stage document the README shows loads with the CLI's strict
// checks, the one field list per block writes what it reads (a written document reads back to
// the same document, for every stage), and enumerated words are refused with the words allowed.
#include "core/store/records.h"
#include "core/train/dpo_config.h"
#include "core/train/pretrain_config.h"
#include "core/train/rl_config.h"
#include "core/train/stage_runner.h"

#include "tests/support/error_of.h"

#include <nlohmann/json.hpp>

#include <QTest>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using rlhf::testing::errorOf;
namespace store = rlhf::store;
namespace train = rlhf::train;

namespace {

// The ```json blocks of README.md that are whole stage documents (they have a "stage").
std::vector<nlohmann::json> readmeStageDocuments()
{
    std::ifstream in(std::string(RLHF_SOURCE_DIR) + "/README.md");
    std::stringstream text;
    text << in.rdbuf();
    const std::string readme = text.str();
    std::vector<nlohmann::json> documents;
    const std::string open = "```json\n", close = "```";
    for (size_t start = readme.find(open); start != std::string::npos;
         start = readme.find(open, start)) {
        start += open.size();
        const size_t end = readme.find(close, start);
        const auto block = nlohmann::json::parse(readme.substr(start, end - start));
        if (block.is_object() && block.contains("stage")) documents.push_back(block);
        start = end;
    }
    return documents;
}

// The sorted field paths of a document ("model.flavour", ...), objects walked into.
void collectPaths(const nlohmann::json& json, const std::string& prefix,
                  std::vector<std::string>& paths)
{
    for (const auto& [key, value] : json.items()) {
        const std::string path = prefix.empty() ? key : prefix + "." + key;
        if (value.is_object() && !value.empty())
            collectPaths(value, path, paths);
        else
            paths.push_back(path);
    }
}

std::vector<std::string> pathsOf(const nlohmann::json& json)
{
    std::vector<std::string> paths;
    collectPaths(json, "", paths);
    return paths;
}

QString messageOf(const nlohmann::json& document)
{
    return errorOf([&] { train::validateStageDocument(document, "run.json"); });
}

train::RlConfig rlConfig(store::RunStage stage)
{
    train::RlConfig config = train::rlConfigDefaults(stage);
    config.name = "rl";
    config.init = "checkpoints/run-2/step-000100";
    config.rewardModel = "checkpoints/run-3/step-000050";
    train::RuleRewardTerm digits;
    digits.rule = "regex";
    digits.weight = 0.5;
    digits.pattern = "^[0-9]+$";
    config.rules = {digits};
    config.rollout.maxNewTokens = 12;
    config.rollout.topP = 0.9;
    config.klEstimator = train::KlEstimator::K3;
    config.klTarget = 6;
    config.valueInit = train::ValueInit::Policy;
    config.ptxCoef = 0.5;
    config.ptxTokens = "tokens/ptx.u32";
    config.device = {train::Device::Cpu};
    config.precision = train::Precision::Float32;
    return config;
}

} // namespace

class TestStageDocuments : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readmeDocumentsLoad()
    {
        const auto documents = readmeStageDocuments();
        QVERIFY(!documents.empty());
        for (const auto& document : documents) {
            train::validateStageDocument(document, "README.md");
            // The README lists every field: the writer names exactly those.
            if (document["stage"] == "pretrain")
                QCOMPARE(pathsOf(train::toJson(train::pretrainConfigFromJson(document, "R"))),
                         pathsOf(document));
        }
    }

    void writtenDocumentsReadBack()
    {
        train::PretrainConfig pretrain;
        pretrain.trainTokens = "tokens/train.u32";
        pretrain.model.flavour = rlhf::model::Flavour::Llama;
        pretrain.precision = train::Precision::BFloat16;
        pretrain.device = {train::Device::Cuda, 1};
        const auto pretrainJson = train::toJson(pretrain);
        QVERIFY(train::toJson(train::pretrainConfigFromJson(pretrainJson, "p")) == pretrainJson);
        QVERIFY(pretrainJson["model"]["flavour"] == nlohmann::json("llama"));
        QVERIFY(pretrainJson["training"]["device"] == nlohmann::json("cuda:1"));
        pretrain.activationCheckpointing = true;
        QVERIFY(
            train::pretrainConfigFromJson(train::toJson(pretrain), "p").activationCheckpointing);

        train::FineTuneConfig reward;
        reward.stage = store::RunStage::Reward;
        reward.init = "checkpoints/run-1/step-000010";
        reward.data.labels.emplace().annotators = {"alice"};
        reward.data.labels->since = 1.5e9;
        reward.data.valFraction = 0.25;
        const auto rewardJson = train::fineTuneJson(reward);
        QVERIFY(train::fineTuneJson(train::fineTuneConfigFromJson(
                    rewardJson, store::RunStage::Reward, "r")) == rewardJson);

        train::DpoConfig dpo;
        dpo.stage = store::RunStage::Dpo;
        dpo.init = "checkpoints/run-1/step-000010";
        dpo.data.dataset = "pairs";
        dpo.loss = train::PreferenceLoss::Ipo;
        const auto dpoJson = train::toJson(dpo);
        QVERIFY(train::toJson(train::dpoConfigFromJson(dpoJson, "d")) == dpoJson);
        QVERIFY(dpoJson["dpo"]["loss"] == nlohmann::json("ipo"));

        for (const auto stage : {store::RunStage::Ppo, store::RunStage::Grpo}) {
            const auto rlJson = train::toJson(rlConfig(stage));
            train::validateStageDocument(rlJson, "rl.json");
            QVERIFY(train::toJson(train::rlConfigFromJson(rlJson, stage, "rl")) == rlJson);
            QCOMPARE(rlJson["rollout"].contains("group_size"), stage == store::RunStage::Grpo);
            QCOMPARE(rlJson.contains("value"), stage == store::RunStage::Ppo);
        }
        // GRPO's own defaults where its document is silent.
        nlohmann::json grpo = train::toJson(rlConfig(store::RunStage::Grpo));
        grpo.erase("kl");
        grpo["rollout"].erase("group_size");
        const auto defaults = train::rlConfigFromJson(grpo, store::RunStage::Grpo, "g");
        QVERIFY(defaults.klEstimator == train::KlEstimator::K3);
        QCOMPARE(defaults.klCoef, 0.04);
        QCOMPARE(defaults.groupSize, int64_t(8));
    }

    void enumeratedWordsAreChecked()
    {
        nlohmann::json document = readmeStageDocuments().front();
        document["training"]["precision"] = "fp16";
        QCOMPARE(
            messageOf(document),
            QString("run.json: training.precision: expected auto, fp32 or bf16, got \"fp16\""));
        document["training"]["precision"] = "bf16";
        document["training"]["device"] = "gpu";
        QCOMPARE(messageOf(document),
                 QString("run.json: training.device: expected auto, cpu, cuda or cuda:N, got "
                         "\"gpu\""));
        document["training"]["device"] = "cpu";
        document["stage"] = "rlhf";
        QCOMPARE(messageOf(document),
                 QString("run.json: stage: expected pretrain, sft, reward, dpo, ppo or grpo, got "
                         "\"rlhf\""));

        nlohmann::json ppo = train::toJson(rlConfig(store::RunStage::Ppo));
        ppo["kl"]["estimator"] = "k2";
        QCOMPARE(messageOf(ppo), QString("run.json: kl.estimator: expected k1 or k3, got \"k2\""));
        ppo["kl"]["estimator"] = "k1";
        ppo["value"]["init"] = "critic";
        QCOMPARE(messageOf(ppo),
                 QString("run.json: value.init: expected reward_model or policy, got \"critic\""));
        ppo["value"]["init"] = "policy";
        ppo["stage"] = "grpo";
        QCOMPARE(messageOf(ppo), QString("run.json: ptx: unknown field"));

        train::DpoConfig dpo;
        dpo.stage = store::RunStage::Dpo;
        dpo.init = "checkpoints/run-1/step-000010";
        dpo.data.dataset = "pairs";
        nlohmann::json dpoJson = train::toJson(dpo);
        dpoJson["dpo"]["loss"] = "kto";
        QCOMPARE(messageOf(dpoJson),
                 QString("run.json: dpo.loss: expected dpo or ipo, got \"kto\""));
        dpoJson["dpo"]["loss"] = "dpo";
        dpoJson["dpo"]["beta"] = 0;
        QCOMPARE(messageOf(dpoJson),
                 QString("run.json: dpo.beta: 0 is out of range (above 0 to 1000)"));
    }
};

QTEST_GUILESS_MAIN(TestStageDocuments)
#include "test_stage_documents.moc"
