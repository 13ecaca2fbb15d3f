// The StageWizard's last page on the arithmetic project (tests/support/arithmetic_project.h):
// its Finish button reads "Start run" and tells the caller a run is to start (startsRun(),
// runRequested); "Copy as command" and "Copy as torchrun command" write the stage document the
// command runs, say so with its path and read "Copied" for a moment; the Slurm script says what it
// wrote; a document that cannot be written copies nothing and says why; and a run name whose
// document this wizard wrote stays usable on the Stage page.
#include "widgets/stagewizard/stagewizard.h"
#include "widgets/stagewizard/wizardsummarypage.h"

#include "core/store/project.h"
#include "tests/support/arithmetic_project.h"
#include "tests/support/wizard_steps.h"

#include <nlohmann/json.hpp>

#include <QClipboard>
#include <QComboBox>
#include <QFile>
#include <QFileInfo>
#include <QGuiApplication>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using fixtures::child;
using fixtures::chooseData;
using fixtures::chooseStage;
using rlhf::widgets::StageWizard;
using rlhf::widgets::WizardSummaryPage;

namespace {

QString makeProject(const QTemporaryDir& dir)
{
    const std::filesystem::path root = dir.filePath(QStringLiteral("project")).toStdString();
    fixtures::writeArithmeticProject(root);
    return QString::fromStdString(root.string());
}

// An SFT run of the project on its default settings, up to the summary page.
void toSummary(StageWizard& wizard)
{
    wizard.show();
    chooseStage(wizard, "sft");
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::StartPage));
    chooseData(child<QComboBox>(wizard, QStringLiteral("startDataset")),
               QStringLiteral("arith-sft"));
    wizard.next();
    wizard.next();
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::SummaryPage));
    QVERIFY2(child<QLabel>(wizard, QStringLiteral("summaryMessage"))->isHidden(),
             qPrintable(child<QLabel>(wizard, QStringLiteral("summaryMessage"))->text()));
}

nlohmann::json readJson(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) qFatal("cannot read %s", qPrintable(path));
    return nlohmann::json::parse(file.readAll().toStdString());
}

} // namespace

class TestStageWizardFinish : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void startRunWritesTheDocumentAndTellsTheCaller()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        StageWizard wizard(makeProject(dir), /*gpus=*/{});
        QCOMPARE(wizard.buttonText(QWizard::FinishButton), QStringLiteral("Start run"));
        toSummary(wizard);
        if (QTest::currentTestFailed()) return;
        QAbstractButton* finish = wizard.button(QWizard::FinishButton);
        QVERIFY(finish->isVisible() && finish->isEnabled());
        QCOMPARE(finish->text(), QStringLiteral("Start run"));
        QVERIFY(child<QLabel>(wizard, QStringLiteral("documentPath"))
                    ->text()
                    .endsWith(QStringLiteral("/runs/sft-1.json")));
        QVERIFY(!wizard.startsRun());
        QVERIFY(!QFileInfo::exists(wizard.documentPath()));

        QSignalSpy requested(&wizard, &StageWizard::runRequested);
        QTest::mouseClick(finish, Qt::LeftButton);
        QCOMPARE(wizard.result(), int(QDialog::Accepted));
        QVERIFY(wizard.startsRun());
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested.front().front().toString(), wizard.documentPath());
        QVERIFY(readJson(wizard.documentPath()) == wizard.document());
    }

    void copyWritesTheDocumentAndSaysCopied()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString project = makeProject(dir);
        StageWizard wizard(project, /*gpus=*/{});
        toSummary(wizard);
        if (QTest::currentTestFailed()) return;
        const QString path = wizard.documentPath();
        QCOMPARE(path, project + QStringLiteral("/runs/sft-1.json"));
        auto* status = child<QLabel>(wizard, QStringLiteral("summaryStatus"));
        QVERIFY(status->isHidden());
        QVERIFY(!QFileInfo::exists(path)); // nothing written by merely arriving here

        auto* copy = child<QPushButton>(wizard, QStringLiteral("copyCommand"));
        QGuiApplication::clipboard()->setText(QStringLiteral("before"));
        QTest::mouseClick(copy, Qt::LeftButton);
        QCOMPARE(QGuiApplication::clipboard()->text(), wizard.command());
        QCOMPARE(copy->text(), QStringLiteral("Copied"));
        QVERIFY(status->isVisible());
        QCOMPARE(status->text(), QStringLiteral("Copied the command to the clipboard. It runs the "
                                                "stage document, written just now: %1")
                                     .arg(path));
        QVERIFY(readJson(path) == wizard.document()); // the command runs as it is
        QTRY_COMPARE_WITH_TIMEOUT(copy->text(), QStringLiteral("Copy as command"),
                                  WizardSummaryPage::copiedFeedbackMs + 2000);

        auto* torchrun = child<QPushButton>(wizard, QStringLiteral("copyTorchrun"));
        QTest::mouseClick(torchrun, Qt::LeftButton);
        QVERIFY(QGuiApplication::clipboard()->text().startsWith("torchrun --standalone"));
        QCOMPARE(torchrun->text(), QStringLiteral("Copied"));
        QVERIFY2(status->text().startsWith("Copied the torchrun command to the clipboard."),
                 qPrintable(status->text()));

        const QString script = project + QStringLiteral("/runs/sft-1.sbatch");
        QVERIFY(wizard.findChild<WizardSummaryPage*>()->saveSlurmScript(script));
        QCOMPARE(status->text(), QStringLiteral("Wrote the Slurm batch script %1 and the stage "
                                                "document it runs: %2")
                                     .arg(script, path));

        // Back on the Stage page, the name whose document this wizard wrote is still usable.
        while (wizard.currentId() != int(StageWizard::StagePage))
            wizard.back();
        QVERIFY(wizard.currentPage()->isComplete());
        QVERIFY(child<QLabel>(wizard, QStringLiteral("stageMessage"))->isHidden());
        // A later wizard, though, finds the name taken.
        StageWizard next(project, /*gpus=*/{});
        QCOMPARE(child<QLineEdit>(next, QStringLiteral("runName"))->text(),
                 QStringLiteral("pretrain-1"));
        child<QLineEdit>(next, QStringLiteral("runName"))->setText(QStringLiteral("sft-1"));
        QVERIFY(!next.page(StageWizard::StagePage)->isComplete());
    }

    void copyThatCannotWriteCopiesNothing()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString project = makeProject(dir);
        StageWizard wizard(project, /*gpus=*/{});
        toSummary(wizard);
        if (QTest::currentTestFailed()) return;
        QFile blocker(project + QStringLiteral("/runs")); // a file where runs/ should be
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        QGuiApplication::clipboard()->setText(QStringLiteral("before"));
        auto* copy = child<QPushButton>(wizard, QStringLiteral("copyCommand"));
        QTest::mouseClick(copy, Qt::LeftButton);
        QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("before"));
        QCOMPARE(copy->text(), QStringLiteral("Copy as command"));
        auto* message = child<QLabel>(wizard, QStringLiteral("summaryMessage"));
        QVERIFY(message->isVisible());
        QCOMPARE(message->text(), QStringLiteral("Nothing copied: Cannot write %1: cannot make "
                                                 "the folder %2/runs")
                                      .arg(wizard.documentPath(), project));
        QVERIFY(child<QLabel>(wizard, QStringLiteral("summaryStatus"))->isHidden());
    }
};

QTEST_MAIN(TestStageWizardFinish)
#include "test_stage_wizard_finish.moc"
