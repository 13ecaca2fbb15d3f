// StageWizard's reward options on a real project (the arithmetic task's datasets and a tiny Llama
// checkpoint, tests/support/arithmetic_project.h): the reward stage's own page (the likelihood
// term of the score and the optional on-policy check) writes the "reward_model" and "on_policy"
// blocks that rewardConfigFromJson reads back and `rlhf train` runs; the PPO Reward tab's
// ensemble and score shaping (other reward checkpoints, lcb, batch normalisation, clip) write the
// reward block that rlConfigFromJson reads back. Saves build/screenshots/wizard-reward-model*.png
// and wizard-ppo-ensemble-1024x640.png.
#include "widgets/stagewizard/stagewizard.h"

#include "core/store/project.h"
#include "core/train/reward_config.h"
#include "core/train/rl_config.h"
#include "core/train/stage_runner.h"
#include "tests/support/arithmetic_project.h"
#include "tests/support/wizard_steps.h"

#include <nlohmann/json.hpp>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
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

QString makeProject(const QTemporaryDir& dir)
{
    const std::filesystem::path root = dir.filePath(QStringLiteral("project")).toStdString();
    fixtures::writeArithmeticProject(root);
    return QString::fromStdString(root.string());
}

void screenshot(QWidget& widget, const QString& name)
{
    QDir().mkpath(RLHF_BINARY_DIR "/screenshots");
    QVERIFY(widget.grab().save(RLHF_BINARY_DIR "/screenshots/" + name + ".png"));
}

// The visible, checkable entries of the ensemble list: their checkpoint paths.
QStringList offered(const QListWidget* list)
{
    QStringList paths;
    for (int row = 0; row < list->count(); ++row)
        if (!list->item(row)->isHidden() && (list->item(row)->flags() & Qt::ItemIsUserCheckable))
            paths << list->item(row)->data(Qt::UserRole).toString();
    return paths;
}

void check(QListWidget* list, const QString& path)
{
    for (int row = 0; row < list->count(); ++row)
        if (list->item(row)->data(Qt::UserRole).toString() == path)
            return list->item(row)->setCheckState(Qt::Checked);
    QFAIL(qPrintable("no ensemble entry " + path));
}

} // namespace

class TestStageWizardReward : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void rewardStageWritesItsBlocks();
    void ppoEnsembleAndShapingParseBack();
};

void TestStageWizardReward::rewardStageWritesItsBlocks()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makeProject(dir);
    StageWizard wizard(project, /*gpus=*/{});
    wizard.resize(1024, 640);
    wizard.show();
    chooseStage(wizard, "reward");
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::StartPage));
    QCOMPARE(child<QComboBox>(wizard, QStringLiteral("startDataset"))->currentData().toString(),
             QStringLiteral("arith-pairs"));
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::RewardModelPage));

    // The defaults: the likelihood term on from a weight of 1, no on-policy check.
    auto* likelihood = child<QCheckBox>(wizard, QStringLiteral("likelihood"));
    auto* init = child<QLineEdit>(wizard, QStringLiteral("likelihoodInit"));
    auto* dataset = child<QComboBox>(wizard, QStringLiteral("onPolicyDataset"));
    auto* split = child<QComboBox>(wizard, QStringLiteral("onPolicySplit"));
    QVERIFY(likelihood->isChecked());
    QCOMPARE(init->text(), QStringLiteral("1.0"));
    QCOMPARE(dataset->count(), 3); // none, then the chat datasets arith-sft and arith-prompts
    QCOMPARE(dataset->currentData().toString(), QString());
    QVERIFY(dataset->findData(QStringLiteral("arith-pairs")) < 0);
    QVERIFY(!split->isEnabled());
    QVERIFY(!child<QSpinBox>(wizard, QStringLiteral("onPolicyPrompts"))->isEnabled());
    QVERIFY(wizard.button(QWizard::NextButton)->isEnabled());
    QCOMPARE(wizard.validationError(), QString());
    auto json = wizard.document();
    QCOMPARE(json.at("reward_model").at("likelihood").get<bool>(), true);
    QCOMPARE(json.at("reward_model").at("likelihood_init").get<double>(), 1.0);
    QVERIFY(!json.contains("on_policy"));
    screenshot(wizard, QStringLiteral("wizard-reward-model-1024x640"));

    // Off: the weight has no meaning, its field is off too.
    likelihood->setChecked(false);
    QVERIFY(!init->isEnabled());
    QCOMPARE(wizard.document().at("reward_model").at("likelihood").get<bool>(), false);
    likelihood->setChecked(true);
    init->setText(QStringLiteral("5000")); // beyond the document's range
    QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
    QVERIFY(child<QLabel>(wizard, QStringLiteral("rewardModelMessage"))->text().contains("1000"));
    init->setText(QStringLiteral("0.5"));
    QVERIFY(wizard.button(QWizard::NextButton)->isEnabled());

    // The on-policy check on arith-prompts' held-out split.
    chooseData(dataset, QStringLiteral("arith-prompts"));
    QVERIFY(split->isEnabled());
    QCOMPARE(split->currentData().toString(), QStringLiteral("test"));
    QVERIFY2(split->currentText().startsWith("test ("), qPrintable(split->currentText()));
    child<QSpinBox>(wizard, QStringLiteral("onPolicyPrompts"))->setValue(4);
    child<QSpinBox>(wizard, QStringLiteral("onPolicySamples"))->setValue(2);
    child<QSpinBox>(wizard, QStringLiteral("onPolicyMaxNewTokens"))->setValue(3);
    screenshot(wizard, QStringLiteral("wizard-reward-model-on-policy-1024x640"));
    wizard.next();
    finishQuickly(wizard, /*steps=*/1, /*batch=*/2);

    json = writtenDocument(wizard);
    QCOMPARE(json.at("stage").get<std::string>(), std::string("reward"));
    QCOMPARE(json.at("reward_model").at("likelihood_init").get<double>(), 0.5);
    QCOMPARE(json.at("on_policy").at("dataset").get<std::string>(), std::string("arith-prompts"));
    train::validateStageDocument(json, "reward-1.json");
    const auto config = train::rewardConfigFromJson(json, "reward-1.json");
    QVERIFY(config.likelihood);
    QCOMPARE(config.likelihoodInit, 0.5);
    QCOMPARE(config.data.dataset, std::string("arith-pairs"));
    QVERIFY(config.onPolicy.has_value());
    QCOMPARE(config.onPolicy->dataset, std::string("arith-prompts"));
    QCOMPARE(config.onPolicy->split, std::string("test"));
    QCOMPARE(config.onPolicy->prompts, int64_t(4));
    QCOMPARE(config.onPolicy->samples, int64_t(2));
    QCOMPARE(config.onPolicy->maxNewTokens, int64_t(3));

    // What `rlhf train` does with it: a completed run that logs the likelihood weight.
    train::StageObserver quiet;
    train::StopToken stop;
    const auto report = train::runStage(project.toStdString(), json, "reward-1.json", quiet, stop);
    QCOMPARE(report.status, std::string("completed"));
    auto opened = store::Project::open(project.toStdString());
    QVERIFY(!opened.database().metricSeries(report.runId, "train/likelihood_weight").empty());
}

void TestStageWizardReward::ppoEnsembleAndShapingParseBack()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makeProject(dir);
    const QString first = QStringLiteral("checkpoints/2/step-000005");
    const QString second = QStringLiteral("checkpoints/3/step-000005");
    const QString third = QStringLiteral("checkpoints/3/step-000010");
    {
        auto opened = store::Project::open(project.toStdString());
        auto& database = opened.database(); // the folders are only listed
        database.addCheckpoint(database.createRun(store::RunStage::Reward, "rm-a", "{}"), 5,
                               first.toStdString());
        const auto run = database.createRun(store::RunStage::Reward, "rm-b", "{}");
        database.addCheckpoint(run, 5, second.toStdString());
        database.addCheckpoint(run, 10, third.toStdString());
    }
    StageWizard wizard(project, /*gpus=*/{});
    wizard.resize(1024, 640);
    wizard.show();
    chooseStage(wizard, "ppo");
    wizard.next();
    chooseData(child<QComboBox>(wizard, QStringLiteral("initCheckpoint")),
               QStringLiteral("checkpoints/1/step-000010")); // the reward runs' are only listed
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::RewardPage));
    auto* rewardModel = child<QComboBox>(wizard, QStringLiteral("rewardModel"));
    auto* ensemble = child<QListWidget>(wizard, QStringLiteral("rewardEnsemble"));
    auto* shaping = child<QWidget>(wizard, QStringLiteral("rewardShaping"));
    auto* lcbK = child<QLineEdit>(wizard, QStringLiteral("rewardLcbK"));
    auto* next = wizard.button(QWizard::NextButton);
    QCOMPARE(rewardModel->currentData().toString(), third); // the newest
    // The ensemble offers the other reward checkpoints, none checked: one model by default.
    QCOMPARE(offered(ensemble), (QStringList{second, first}));
    QVERIFY(shaping->isEnabled());
    QVERIFY(!lcbK->isEnabled()); // lcb only
    QVERIFY(!wizard.document().at("reward").contains("ensemble") ||
            wizard.document().at("reward").at("ensemble").empty());

    check(ensemble, first);
    check(ensemble, second);
    chooseData(child<QComboBox>(wizard, QStringLiteral("rewardAggregate")), QStringLiteral("lcb"));
    QVERIFY(lcbK->isEnabled());
    lcbK->setText(QStringLiteral("500")); // beyond lcb_k's range
    QVERIFY(!next->isEnabled());
    QVERIFY2(child<QLabel>(wizard, QStringLiteral("rewardMessage"))->text().contains("LCB k"),
             qPrintable(child<QLabel>(wizard, QStringLiteral("rewardMessage"))->text()));
    lcbK->setText(QStringLiteral("2"));
    chooseData(child<QComboBox>(wizard, QStringLiteral("rewardNormalize")),
               QStringLiteral("batch"));
    child<QLineEdit>(wizard, QStringLiteral("rewardClip"))->setText(QStringLiteral("5"));
    QVERIFY(next->isEnabled());
    screenshot(wizard, QStringLiteral("wizard-ppo-ensemble-1024x640"));

    QCOMPARE(wizard.validationError(), QString());
    auto config = train::rlConfigFromJson(wizard.document(), store::RunStage::Ppo, "ppo");
    QCOMPARE(config.rewardModel, third.toStdString());
    QCOMPARE(config.rewardEnsemble,
             (std::vector<std::string>{second.toStdString(), first.toStdString()}));
    QVERIFY(config.rewardShaping.aggregate == train::EnsembleAggregate::Lcb);
    QCOMPARE(config.rewardShaping.lcbK, 2.0);
    QVERIFY(config.rewardShaping.normalize == train::RewardNormalization::Batch);
    QCOMPARE(config.rewardShaping.clip, 5.0);

    // A checked model chosen as the main one leaves the ensemble: it scores once.
    chooseData(rewardModel, first);
    QCOMPARE(offered(ensemble), (QStringList{third, second}));
    config = train::rlConfigFromJson(wizard.document(), store::RunStage::Ppo, "ppo");
    QCOMPARE(config.rewardEnsemble, (std::vector<std::string>{second.toStdString()}));

    // Rules only: no model score to combine or shape, so the fields are off and not written.
    QTest::mouseClick(child<QPushButton>(wizard, QStringLiteral("addRule")), Qt::LeftButton);
    chooseData(child<QComboBox>(wizard, QStringLiteral("valueInit")), QStringLiteral("policy"));
    rewardModel->setCurrentIndex(0);
    QVERIFY(!shaping->isEnabled());
    QVERIFY2(next->isEnabled(),
             qPrintable(child<QLabel>(wizard, QStringLiteral("rewardMessage"))->text()));
    QCOMPARE(wizard.validationError(), QString());
    config = train::rlConfigFromJson(wizard.document(), store::RunStage::Ppo, "ppo");
    QVERIFY(config.rewardEnsemble.empty());
    QVERIFY(config.rewardShaping.aggregate == train::EnsembleAggregate::Mean);
    QCOMPARE(config.rewardShaping.clip, 0.0);
}

QTEST_MAIN(TestStageWizardReward)
#include "test_stage_wizard_reward.moc"
