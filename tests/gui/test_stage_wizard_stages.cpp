// StageWizard for the stages after pretraining, on a real project: the arithmetic task's chat,
// preference and prompt datasets, a BPE tokenizer, and a tiny Llama checkpoint registered as a
// finished pretrain run. Drives the SFT and PPO paths with QTest (widgets set, Next clicked),
// checks the written documents with validateStageDocument and the stages' own parsers, then
// runs them for a step or two with runStage, as `rlhf train` does. Also: a PPO rewards page
// without a reward source refuses Next, DPO and GRPO show only their own fields and start from
// the newest completed SFT run's checkpoint, every stage evaluates on "val" by default, and a
// project without a checkpoint says so. Saves build/screenshots/wizard-ppo*.png of the rewards
// page.
#include "widgets/stagewizard/stagewizard.h"

#include "core/model/peft_adapter.h"
#include "core/store/project.h"
#include "core/train/dpo.h"
#include "core/train/rl_config.h"
#include "core/train/sft.h"
#include "core/train/stage_runner.h"
#include "tests/support/arithmetic_project.h"
#include "tests/support/wizard_steps.h"

#include <nlohmann/json.hpp>

#include <QAbstractButton>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QGuiApplication>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

using fixtures::child;
using fixtures::chooseData;
using fixtures::chooseStage;
using fixtures::finishQuickly;
using fixtures::writtenDocument;
using rlhf::widgets::StageWizard;
namespace store = rlhf::store;
namespace train = rlhf::train;

namespace {

const char* const checkpointPath = "checkpoints/1/step-000010"; // writeArithmeticProject's

// The project every test here uses (see the file comment); a text dataset "notes" too, which
// no stage after pretraining may offer.
QString makeProject(const QTemporaryDir& dir)
{
    const std::filesystem::path root = dir.filePath(QStringLiteral("project")).toStdString();
    fixtures::writeArithmeticProject(root);
    auto project = store::Project::open(root);
    project.database().addDataset("notes", store::DatasetKind::Text, "/data/notes.txt");
    return QString::fromStdString(root.string());
}

// "train (85 documents)" as the start page shows a split of `dataset`.
QString splitText(const QString& project, const char* dataset, const char* split)
{
    auto opened = store::Project::open(project.toStdString());
    const auto id = opened.database().datasetByName(dataset)->id;
    return QStringLiteral("%1 (%2 documents)")
        .arg(QLatin1String(split),
             QLocale().toString(qint64(opened.database().documentCount(id, split))));
}

void screenshot(QWidget& widget, const QString& name)
{
    QDir().mkpath(RLHF_BINARY_DIR "/screenshots");
    QVERIFY(widget.grab().save(RLHF_BINARY_DIR "/screenshots/" + name + ".png"));
}

} // namespace

class TestStageWizardStages : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sftWritesDocumentThatRuns();
    void ppoRewardsPageWritesDocumentThatRuns();
    void dpoAndGrpoShowTheirOwnFields();
    void rewardRunsOfferTheirCheckpoints();
    void policyStagesStartFromTheNewestCompletedSft();
    void anotherStageAfterBackGetsItsOwnData();
    void projectWithoutCheckpointSaysSo();
    void loraFieldsWriteTheBlock();
};

void TestStageWizardStages::sftWritesDocumentThatRuns()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makeProject(dir);
    StageWizard wizard(project, /*gpus=*/{});
    wizard.show();
    chooseStage(wizard, "sft");
    QCOMPARE(child<QLineEdit>(wizard, QStringLiteral("runName"))->text(), QStringLiteral("sft-1"));
    QVERIFY(child<QLabel>(wizard, QStringLiteral("stageExplanation"))->text().contains("chat"));
    QTest::mouseClick(wizard.button(QWizard::NextButton), Qt::LeftButton);
    QCOMPARE(wizard.currentId(), int(StageWizard::StartPage));

    auto* init = child<QComboBox>(wizard, QStringLiteral("initCheckpoint"));
    QCOMPARE(init->count(), 1);
    QCOMPARE(init->currentText(), QStringLiteral("run #1 base (pretrain) step 10"));
    QVERIFY2(child<QLabel>(wizard, QStringLiteral("initShape"))
                 ->text()
                 .startsWith("llama, 2 layers, 4 heads, dim 32, context 96"),
             qPrintable(child<QLabel>(wizard, QStringLiteral("initShape"))->text()));
    auto* dataset = child<QComboBox>(wizard, QStringLiteral("startDataset"));
    QCOMPARE(dataset->count(), 2); // arith-sft and arith-prompts: the chat datasets only
    QVERIFY(dataset->findData(QStringLiteral("arith-pairs")) < 0);
    QVERIFY(dataset->findData(QStringLiteral("notes")) < 0);
    chooseData(dataset, QStringLiteral("arith-sft"));
    auto* trainSplit = child<QComboBox>(wizard, QStringLiteral("trainSplit"));
    auto* valSplit = child<QComboBox>(wizard, QStringLiteral("valSplit"));
    QCOMPARE(trainSplit->currentText(), splitText(project, "arith-sft", "train"));
    QCOMPARE(valSplit->currentText(), splitText(project, "arith-sft", "val"));
    // The train split as validation split is refused by name.
    chooseData(valSplit, QStringLiteral("train"));
    QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
    QVERIFY(child<QLabel>(wizard, QStringLiteral("startMessage"))->text().contains("held-out"));
    chooseData(valSplit, QStringLiteral("val"));
    // Longer than the checkpoint's context: refused.
    auto* maxLength = child<QSpinBox>(wizard, QStringLiteral("maxLength"));
    maxLength->setValue(200);
    QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
    QVERIFY(child<QLabel>(wizard, QStringLiteral("startMessage"))->text().contains("96"));
    maxLength->setValue(64);
    QVERIFY(wizard.button(QWizard::NextButton)->isEnabled());
    screenshot(wizard, QStringLiteral("wizard-start"));

    QTest::mouseClick(wizard.button(QWizard::NextButton), Qt::LeftButton);
    QCOMPARE(child<QLabel>(wizard, QStringLiteral("batchSizeLabel"))->text(),
             QStringLiteral("Batch size (sequences)"));
    QVERIFY(child<QLabel>(wizard, QStringLiteral("optimisationMemory"))
                ->text()
                .contains("for 8 sequences of 64 tokens"));
    finishQuickly(wizard, /*steps=*/2, /*batch=*/2);

    const auto json = writtenDocument(wizard);
    QVERIFY(json == wizard.document());
    train::validateStageDocument(json, "sft-1.json");
    const auto config = train::fineTuneConfigFromJson(json, store::RunStage::Sft, "sft-1.json");
    QVERIFY(config.stage == store::RunStage::Sft);
    QCOMPARE(config.name, std::string("sft-1"));
    QCOMPARE(config.init, std::string(checkpointPath));
    QCOMPARE(config.tokenizer, std::string()); // the checkpoint's own
    QCOMPARE(config.data.dataset, std::string("arith-sft"));
    QCOMPARE(config.data.train, std::string("train"));
    QCOMPARE(config.data.val, std::string("val"));
    QCOMPARE(config.maxLength, int64_t(64));
    QCOMPARE(config.schedule.peak, 1e-3);
    QCOMPARE(config.steps, int64_t(2));
    QCOMPARE(config.batchSize, int64_t(2));
    QCOMPARE(config.threads, 1);

    // What `rlhf train` does with it: a recorded, completed run of two steps.
    train::StageObserver quiet;
    train::StopToken stop;
    const auto report = train::runStage(project.toStdString(), json, "sft-1.json", quiet, stop);
    QCOMPARE(report.status, std::string("completed"));
    QCOMPARE(report.result.stepsDone, int64_t(2));
}

void TestStageWizardStages::ppoRewardsPageWritesDocumentThatRuns()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makeProject(dir);
    StageWizard wizard(project, /*gpus=*/{});
    wizard.resize(720, 620);
    wizard.show();
    QVERIFY(QTest::qWaitForWindowExposed(&wizard));
    chooseStage(wizard, "ppo");
    QTest::mouseClick(wizard.button(QWizard::NextButton), Qt::LeftButton);
    QCOMPARE(wizard.currentId(), int(StageWizard::StartPage));
    auto* dataset = child<QComboBox>(wizard, QStringLiteral("startDataset"));
    QCOMPARE(dataset->count(), 3); // chat and preference datasets both give prompts
    QVERIFY(dataset->findData(QStringLiteral("notes")) < 0);
    chooseData(dataset, QStringLiteral("arith-prompts"));
    QCOMPARE(child<QComboBox>(wizard, QStringLiteral("valSplit"))->currentData().toString(),
             QStringLiteral("val")); // "test" stays held out
    QTest::mouseClick(wizard.button(QWizard::NextButton), Qt::LeftButton);
    QCOMPARE(wizard.currentId(), int(StageWizard::RewardPage));

    // No reward run in the project and no rule yet: no reward source, Next refused.
    auto* next = wizard.button(QWizard::NextButton);
    auto* message = child<QLabel>(wizard, QStringLiteral("rewardMessage"));
    QCOMPARE(child<QComboBox>(wizard, QStringLiteral("rewardModel"))->count(), 1);
    QVERIFY(!wizard.currentPage()->isComplete());
    QVERIFY(!next->isEnabled());
    QVERIFY2(message->text().contains("no reward source"), qPrintable(message->text()));
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::RewardPage));

    // Two rules: exact answer, and a regex whose pattern is required.
    auto* addRule = child<QPushButton>(wizard, QStringLiteral("addRule"));
    QTest::mouseClick(addRule, Qt::LeftButton);
    QVERIFY(next->isEnabled());
    QTest::mouseClick(addRule, Qt::LeftButton);
    chooseData(child<QComboBox>(wizard, QStringLiteral("ruleType1")), QStringLiteral("regex"));
    QVERIFY(!next->isEnabled());
    QVERIFY2(message->text().contains("Rule 2 (regex) needs a pattern"),
             qPrintable(message->text()));
    child<QLineEdit>(wizard, QStringLiteral("ruleSetting1"))->setText(QStringLiteral("(unclosed"));
    QVERIFY(!next->isEnabled()); // RE2 refuses it, as the core would
    QVERIFY2(message->text().contains("rule[1]"), qPrintable(message->text()));
    child<QLineEdit>(wizard, QStringLiteral("ruleSetting1"))->setText(QStringLiteral("^\\d+$"));
    child<QDoubleSpinBox>(wizard, QStringLiteral("ruleWeight1"))->setValue(0.1);
    QVERIFY2(next->isEnabled(), qPrintable(message->text()));
    child<QLineEdit>(wizard, QStringLiteral("missingEosPenalty"))->setText(QStringLiteral("-1"));
    auto* tabs = child<QTabWidget>(wizard, QStringLiteral("rewardTabs"));
    screenshot(wizard, QStringLiteral("wizard-ppo"));

    // Rollout and KL.
    tabs->setCurrentIndex(1);
    QVERIFY(!child<QSpinBox>(wizard, QStringLiteral("groupSize"))->isVisible()); // GRPO only
    child<QSpinBox>(wizard, QStringLiteral("maxNewTokens"))->setValue(4);
    child<QLineEdit>(wizard, QStringLiteral("klCoef"))->setText(QStringLiteral("0.1"));
    child<QLineEdit>(wizard, QStringLiteral("topP"))->setText(QStringLiteral("0"));
    QVERIFY(!next->isEnabled());
    QVERIFY(message->text().contains("top-p"));
    child<QLineEdit>(wizard, QStringLiteral("topP"))->setText(QStringLiteral("0.9"));
    screenshot(wizard, QStringLiteral("wizard-ppo-rollout"));
    tabs->setCurrentIndex(2);
    child<QSpinBox>(wizard, QStringLiteral("policyEpochs"))->setValue(2);
    child<QSpinBox>(wizard, QStringLiteral("evalPrompts"))->setValue(4);
    child<QCheckBox>(wizard, QStringLiteral("whitenAdvantages"))->setChecked(false);
    screenshot(wizard, QStringLiteral("wizard-ppo-policy"));

    // Value model: without a reward model it can only start from the policy.
    tabs->setCurrentIndex(3);
    auto* valueInit = child<QComboBox>(wizard, QStringLiteral("valueInit"));
    QCOMPARE(valueInit->currentData().toString(), QStringLiteral("policy"));
    chooseData(valueInit, QStringLiteral("reward_model"));
    QVERIFY(!next->isEnabled());
    QVERIFY2(message->text().contains("needs a reward model"), qPrintable(message->text()));
    chooseData(valueInit, QStringLiteral("policy"));
    child<QLineEdit>(wizard, QStringLiteral("ptxCoef"))->setText(QStringLiteral("0.5"));
    QVERIFY(!next->isEnabled()); // ptx needs a token file, and the project has none
    QVERIFY(message->text().contains("token file"));
    child<QLineEdit>(wizard, QStringLiteral("ptxCoef"))->setText(QStringLiteral("0"));
    child<QLineEdit>(wizard, QStringLiteral("lambda"))->setText(QStringLiteral("0.9"));
    screenshot(wizard, QStringLiteral("wizard-ppo-value"));
    QVERIFY(next->isEnabled());
    QTest::mouseClick(next, Qt::LeftButton);
    QCOMPARE(child<QLabel>(wizard, QStringLiteral("batchSizeLabel"))->text(),
             QStringLiteral("Batch size (prompts per step)"));
    finishQuickly(wizard, /*steps=*/1, /*batch=*/2);

    const auto json = writtenDocument(wizard);
    train::validateStageDocument(json, "ppo-1.json");
    const auto config = train::rlConfigFromJson(json, store::RunStage::Ppo, "ppo-1.json");
    QCOMPARE(config.init, std::string(checkpointPath));
    QCOMPARE(config.data.dataset, std::string("arith-prompts"));
    QCOMPARE(config.data.val, std::string("val"));
    QCOMPARE(config.rewardModel, std::string());
    QCOMPARE(config.rules.size(), size_t(2));
    QCOMPARE(config.rules[0].rule, std::string("exact_answer"));
    QCOMPARE(config.rules[0].weight, 1.0);
    QCOMPARE(config.rules[1].rule, std::string("regex"));
    QCOMPARE(config.rules[1].pattern, std::string("^\\d+$"));
    QCOMPARE(config.rules[1].weight, 0.1);
    QCOMPARE(config.missingEosPenalty, -1.0);
    QCOMPARE(config.rollout.maxNewTokens, int64_t(4));
    QCOMPARE(config.rollout.topP, 0.9);
    QVERIFY(config.klEstimator == train::KlEstimator::K1);
    QCOMPARE(config.klCoef, 0.1);
    QCOMPARE(config.epochs, int64_t(2));
    QCOMPARE(config.whitenAdvantages, false);
    QVERIFY(config.valueInit == train::ValueInit::Policy);
    QCOMPARE(config.lambda, 0.9);
    QCOMPARE(config.ptxCoef, 0.0);
    QCOMPARE(config.evalPrompts, int64_t(4));
    QCOMPARE(config.steps, int64_t(1));
    QCOMPARE(config.batchSize, int64_t(2));

    train::StageObserver quiet;
    train::StopToken stop;
    const auto report = train::runStage(project.toStdString(), json, "ppo-1.json", quiet, stop);
    QCOMPARE(report.status, std::string("completed"));
    QCOMPARE(report.result.stepsDone, int64_t(1));
}

void TestStageWizardStages::dpoAndGrpoShowTheirOwnFields()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makeProject(dir);
    {
        StageWizard wizard(project, /*gpus=*/{});
        wizard.show();
        chooseStage(wizard, "dpo");
        wizard.next();
        auto* dataset = child<QComboBox>(wizard, QStringLiteral("startDataset"));
        QCOMPARE(dataset->count(), 2); // preference pairs only, and the project's own labels
        QCOMPARE(dataset->currentData().toString(), QStringLiteral("arith-pairs"));
        QVERIFY(dataset->itemText(1).startsWith("Labels of this project"));
        wizard.next();
        QCOMPARE(wizard.currentId(), int(StageWizard::DpoPage));
        child<QLineEdit>(wizard, QStringLiteral("dpoBeta"))->setText(QStringLiteral("0"));
        QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
        child<QLineEdit>(wizard, QStringLiteral("dpoBeta"))->setText(QStringLiteral("0.25"));
        chooseData(child<QComboBox>(wizard, QStringLiteral("dpoLoss")), QStringLiteral("ipo"));
        wizard.next();
        QCOMPARE(child<QLabel>(wizard, QStringLiteral("batchSizeLabel"))->text(),
                 QStringLiteral("Batch size (pairs)"));
        QCOMPARE(wizard.validationError(), QString());
        const auto config = train::dpoConfigFromJson(wizard.document(), "dpo");
        QCOMPARE(config.beta, 0.25);
        QVERIFY(config.loss == train::PreferenceLoss::Ipo);
        QCOMPARE(config.data.dataset, std::string("arith-pairs"));
    }
    StageWizard wizard(project, /*gpus=*/{});
    wizard.show();
    chooseStage(wizard, "grpo");
    wizard.next();
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::RewardPage));
    auto* tabs = child<QTabWidget>(wizard, QStringLiteral("rewardTabs"));
    QVERIFY(!tabs->isTabVisible(3)); // no value model or ptx in GRPO
    QCOMPARE(child<QComboBox>(wizard, QStringLiteral("klEstimator"))->currentData().toString(),
             QStringLiteral("k3"));
    QTest::mouseClick(child<QPushButton>(wizard, QStringLiteral("addRule")), Qt::LeftButton);
    chooseData(child<QComboBox>(wizard, QStringLiteral("ruleType0")), QStringLiteral("keywords"));
    child<QLineEdit>(wizard, QStringLiteral("ruleSetting0"))->setText(QStringLiteral("1, 2 ,"));
    child<QSpinBox>(wizard, QStringLiteral("groupSize"))->setValue(4);
    // The policy tab: GRPO's advantages instead of PPO's whitening; Dr. GRPO brings its loss
    // aggregation; one reply per prompt suits REINFORCE++ alone.
    tabs->setCurrentIndex(2);
    QVERIFY(!child<QCheckBox>(wizard, QStringLiteral("whitenAdvantages"))->isVisible());
    auto* advantage = child<QComboBox>(wizard, QStringLiteral("advantage"));
    QVERIFY(advantage->isVisible());
    QCOMPARE(advantage->currentData().toString(), QStringLiteral("grpo"));
    auto* aggregation = child<QComboBox>(wizard, QStringLiteral("lossAggregation"));
    QCOMPARE(aggregation->currentData().toString(), QStringLiteral("token_mean"));
    chooseData(advantage, QStringLiteral("dr_grpo"));
    QCOMPARE(aggregation->currentData().toString(), QStringLiteral("sequence_sum_norm"));
    auto* next = wizard.button(QWizard::NextButton);
    child<QSpinBox>(wizard, QStringLiteral("groupSize"))->setValue(1);
    QVERIFY(!next->isEnabled());
    QVERIFY2(child<QLabel>(wizard, QStringLiteral("rewardMessage"))->text().contains("REINFORCE++"),
             qPrintable(child<QLabel>(wizard, QStringLiteral("rewardMessage"))->text()));
    chooseData(advantage, QStringLiteral("reinforce++"));
    QVERIFY(next->isEnabled());
    child<QSpinBox>(wizard, QStringLiteral("groupSize"))->setValue(4);
    chooseData(advantage, QStringLiteral("rloo"));
    QVERIFY(!child<QLineEdit>(wizard, QStringLiteral("policyGamma"))->isEnabled()); // reinforce++'s
    child<QLineEdit>(wizard, QStringLiteral("clipRangeHigh"))->setText(QStringLiteral("0.28"));
    child<QCheckBox>(wizard, QStringLiteral("dynamicSampling"))->setChecked(true);
    screenshot(wizard, QStringLiteral("wizard-grpo-policy"));
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::OptimisationPage));
    QCOMPARE(wizard.validationError(), QString());
    const auto json = wizard.document();
    QVERIFY(!json.contains("value") && !json.contains("ptx"));
    const auto config = train::rlConfigFromJson(json, store::RunStage::Grpo, "grpo");
    QCOMPARE(config.groupSize, int64_t(4));
    QCOMPARE(config.klCoef, 0.04);
    QCOMPARE(config.rules.at(0).keywords, (std::vector<std::string>{"1", "2"}));
    QVERIFY(config.advantage == train::AdvantageEstimator::Rloo);
    QVERIFY(config.lossAggregation == train::LossAggregation::SequenceSumNorm);
    QCOMPARE(config.clipRangeHigh, 0.28);
    QCOMPARE(config.clipRangeLow, 0.0);
    QVERIFY(config.dynamicSampling);
}

void TestStageWizardStages::rewardRunsOfferTheirCheckpoints()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makeProject(dir);
    {
        auto opened = store::Project::open(project.toStdString());
        const auto run = opened.database().createRun(store::RunStage::Reward, "rm", "{}");
        opened.database().addCheckpoint(run, 5, checkpointPath); // the folder is only listed
    }
    StageWizard wizard(project, /*gpus=*/{});
    wizard.show();
    chooseStage(wizard, "ppo");
    wizard.next();
    auto* init = child<QComboBox>(wizard, QStringLiteral("initCheckpoint"));
    QCOMPARE(init->count(), 2);
    QCOMPARE(init->itemText(0), QStringLiteral("run #2 rm (reward) step 5")); // newest first
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::RewardPage));
    auto* rewardModel = child<QComboBox>(wizard, QStringLiteral("rewardModel"));
    QCOMPARE(rewardModel->count(), 2); // none, and the reward run's checkpoint
    QCOMPARE(rewardModel->currentText(), QStringLiteral("run #2 rm step 5"));
    QCOMPARE(child<QComboBox>(wizard, QStringLiteral("valueInit"))->currentData().toString(),
             QStringLiteral("reward_model"));
    QVERIFY(wizard.button(QWizard::NextButton)->isEnabled()); // the model alone is a reward
    QCOMPARE(wizard.validationError(), QString());
    const auto json = wizard.document();
    QCOMPARE(json.at("reward").at("model").get<std::string>(), std::string(checkpointPath));
    QCOMPARE(json.at("value").at("init").get<std::string>(), std::string("reward_model"));
    QVERIFY(json.at("reward").at("rules").empty());
    rewardModel->setCurrentIndex(0); // none: no reward source left
    QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
}

// DPO, PPO and GRPO refine a chat policy: they start from the newest checkpoint of the newest
// completed SFT run, not from whatever run is newest; the other stages from the newest.
void TestStageWizardStages::policyStagesStartFromTheNewestCompletedSft()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makeProject(dir); // run #1: the pretrain run "base"
    {
        auto opened = store::Project::open(project.toStdString());
        auto& database = opened.database();
        auto run = [&](store::RunStage stage, const char* name, std::vector<int64_t> steps,
                       std::optional<store::RunStatus> status) {
            const auto id = database.createRun(stage, name, "{}");
            for (const int64_t step : steps) // the folders are only listed
                database.addCheckpoint(id, step, checkpointPath);
            if (status) database.finishRun(id, *status);
        };
        run(store::RunStage::Sft, "sft-old", {5}, store::RunStatus::Completed);    // #2
        run(store::RunStage::Sft, "sft-new", {4, 8}, store::RunStatus::Completed); // #3
        run(store::RunStage::Sft, "sft-failed", {2}, store::RunStatus::Failed);    // #4
        run(store::RunStage::Sft, "sft-running", {1}, std::nullopt);               // #5
        run(store::RunStage::Reward, "rm", {3}, store::RunStatus::Completed);      // #6
    }
    const QString sftNew = QStringLiteral("run #3 sft-new (sft) step 8");
    for (const char* stage : {"dpo", "ppo", "grpo"}) {
        StageWizard wizard(project, /*gpus=*/{});
        wizard.show();
        chooseStage(wizard, stage);
        wizard.next();
        auto* init = child<QComboBox>(wizard, QStringLiteral("initCheckpoint"));
        QCOMPARE(init->itemText(0), QStringLiteral("run #6 rm (reward) step 3")); // newest first
        QCOMPARE(init->currentText(), sftNew);
        QCOMPARE(child<QComboBox>(wizard, QStringLiteral("valSplit"))->currentData().toString(),
                 QStringLiteral("val"));
    }
    StageWizard wizard(project, /*gpus=*/{});
    wizard.show();
    chooseStage(wizard, "reward");
    wizard.next();
    auto* init = child<QComboBox>(wizard, QStringLiteral("initCheckpoint"));
    QCOMPARE(init->currentIndex(), 0);
    // Back, another stage: its own default; a choice made for the same stage stays.
    wizard.back();
    chooseStage(wizard, "ppo");
    wizard.next();
    QCOMPARE(init->currentText(), sftNew);
    init->setCurrentIndex(init->findText(QStringLiteral("run #2 sft-old (sft) step 5")));
    wizard.back();
    wizard.next();
    QCOMPARE(init->currentText(), QStringLiteral("run #2 sft-old (sft) step 5"));
}

void TestStageWizardStages::anotherStageAfterBackGetsItsOwnData()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    StageWizard wizard(makeProject(dir), /*gpus=*/{});
    wizard.show();
    QCOMPARE(wizard.pageIds().last(), int(StageWizard::SummaryPage));
    chooseStage(wizard, "sft");
    wizard.next();
    auto* dataset = child<QComboBox>(wizard, QStringLiteral("startDataset"));
    auto* valSplit = child<QComboBox>(wizard, QStringLiteral("valSplit"));
    QCOMPARE(dataset->count(), 2);
    QCOMPARE(valSplit->currentData().toString(), QStringLiteral("val"));
    wizard.back();
    chooseStage(wizard, "ppo");
    QCOMPARE(child<QLineEdit>(wizard, QStringLiteral("runName"))->text(), QStringLiteral("ppo-1"));
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::StartPage));
    QCOMPARE(dataset->count(), 3);
    QCOMPARE(valSplit->currentData().toString(), QStringLiteral("val"));
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::RewardPage));
}

void TestStageWizardStages::projectWithoutCheckpointSaysSo()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::filesystem::path root = dir.filePath(QStringLiteral("empty")).toStdString();
    store::Project::create(root);
    StageWizard wizard(QString::fromStdString(root.string()), /*gpus=*/{});
    wizard.show();
    chooseStage(wizard, "reward");
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::StartPage));
    auto* message = child<QLabel>(wizard, QStringLiteral("startMessage"));
    QVERIFY2(message->text().contains("no checkpoint yet"), qPrintable(message->text()));
    QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
    QVERIFY(!wizard.validationError().isEmpty());
}

QTEST_MAIN(TestStageWizardStages)
// LoRA on the start page: off for a model that fully fine-tunes on the device; checked, its
// fields become the document's "lora" block, the memory estimate counts the adapters (as many
// parameters as the run then trains) and the run checkpoints an adapter.
void TestStageWizardStages::loraFieldsWriteTheBlock()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makeProject(dir);
    StageWizard wizard(project, /*gpus=*/{});
    wizard.show();
    chooseStage(wizard, "sft");
    QTest::mouseClick(wizard.button(QWizard::NextButton), Qt::LeftButton);
    chooseData(child<QComboBox>(wizard, QStringLiteral("startDataset")),
               QStringLiteral("arith-sft"));
    auto* on = child<QCheckBox>(wizard, QStringLiteral("loraOn"));
    QVERIFY(!on->isChecked()); // a tiny model: every weight fits
    QVERIFY(!wizard.document().contains("lora"));
    QTest::mouseClick(on, Qt::LeftButton, {}, QPoint(8, on->height() / 2));
    QVERIFY(on->isChecked());
    child<QSpinBox>(wizard, QStringLiteral("loraRank"))->setValue(8);
    child<QDoubleSpinBox>(wizard, QStringLiteral("loraAlpha"))->setValue(16);
    auto* base = child<QComboBox>(wizard, QStringLiteral("loraBase"));
    base->setCurrentIndex(base->findData(int(train::BaseStorage::Nf4)));
    wizard.resize(1024, 640);
    screenshot(wizard, QStringLiteral("wizard-lora-1024x640"));

    QTest::mouseClick(wizard.button(QWizard::NextButton), Qt::LeftButton);
    const QString estimate = child<QLabel>(wizard, QStringLiteral("optimisationMemory"))->text();
    QVERIFY2(estimate.contains("with LoRA adapters ("), qPrintable(estimate));
    finishQuickly(wizard, /*steps=*/2, /*batch=*/2);
    const auto json = writtenDocument(wizard);
    QCOMPARE(json.at("lora").at("rank").get<int64_t>(), int64_t(8));
    QCOMPARE(json.at("lora").at("alpha").get<double>(), 16.0);
    QCOMPARE(json.at("lora").at("base").get<std::string>(), std::string("nf4"));
    QCOMPARE(json.at("lora").at("target_modules").get<std::string>(), std::string("all-linear"));

    train::StageObserver quiet;
    train::StopToken stop;
    const auto report = train::runStage(project.toStdString(), json, "sft-1.json", quiet, stop);
    QCOMPARE(report.status, std::string("completed"));
    const std::filesystem::path checkpoint =
        std::filesystem::path(project.toStdString()) / report.result.lastCheckpoint;
    QVERIFY(std::filesystem::exists(checkpoint / "adapter_model.safetensors"));
    int64_t trained = 0;
    for (const auto& [name, tensor] : rlhf::model::loadAdapter(checkpoint).tensors)
        trained += tensor.numel();
    QVERIFY2(estimate.contains(QLocale().toString(qlonglong(trained)) + " trained parameters"),
             qPrintable(estimate + " / " + QString::number(trained)));

    // The next wizard offers the adapter as a start, named as one, on its base.
    StageWizard next(project, /*gpus=*/{});
    next.show();
    chooseStage(next, "dpo");
    QTest::mouseClick(next.button(QWizard::NextButton), Qt::LeftButton);
    auto* init = child<QComboBox>(next, QStringLiteral("initCheckpoint"));
    QVERIFY2(init->itemText(0).endsWith(", LoRA adapter on step-000010"),
             qPrintable(init->itemText(0)));
    QVERIFY(child<QLabel>(next, QStringLiteral("initShape"))->text().startsWith("llama, 2 layers"));
}

#include "test_stage_wizard_stages.moc"
