// Run > Export Checkpoint… as a user meets it: a project's base model exported as a q8_0 GGUF
// file and as an f16 Hugging Face folder into the project's exports/ folder, on a worker thread
// with a progress bar and a summary naming the path and size; a typed name gets its ".gguf" (a
// folder for Hugging Face); an existing target is replaced only after a confirmation. The files are
// the real thing (test_gguf_export runs them in llama.cpp): here the GGUF magic, its size, and the
// HF folder's config.json say the dialog wrote what it said. Screenshot:
// build/screenshots/export_dialog.png. Run > Merge LoRA Adapter… offers the project's adapter
// checkpoints alone, listed under their base, and writes base + adapter as one Hugging Face
// folder (build/screenshots/merge_dialog.png).
#include "core/model/checkpoint.h"
#include "core/model/peft_adapter.h"
#include "core/model/transformer.h"
#include "core/store/project.h"
#include "core/train/base_model.h"
#include "tests/support/tiny_chat_checkpoint.h"
#include "widgets/window/exportdialog.h"

#include <QAbstractButton>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

using namespace rlhf;
namespace fs = std::filesystem;

class TestExportDialog : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_project;

    QString m_question; // the text of the last replace confirmation answered

    static QByteArray contents(const QString& path)
    {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

    // Answers the replace confirmation the next click opens with the button reading `answer`,
    // keeping its question in m_question.
    void answerReplace(const QString& answer)
    {
        auto* poll = new QTimer(this);
        poll->setInterval(20);
        connect(poll, &QTimer::timeout, this, [this, poll, answer] {
            auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
            if (!box || box->objectName() != "replaceConfirmation") return;
            poll->stop();
            poll->deleteLater();
            m_question = box->text();
            for (QAbstractButton* button : box->buttons())
                if (button->text().remove('&') == answer) button->click();
        });
        poll->start();
    }

    static bool exportWith(widgets::ExportDialog& dialog, const char* format, const char* type)
    {
        dialog.formatCombo()->setCurrentIndex(dialog.formatCombo()->findData(format));
        dialog.typeCombo()->setCurrentIndex(dialog.typeCombo()->findData(type));
        QSignalSpy finished(&dialog, &widgets::ExportDialog::finished);
        QTest::mouseClick(dialog.exportButton(), Qt::LeftButton);
        if (!finished.wait(120'000)) return false;
        return finished.front().front().toBool();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const fs::path model = fs::path(m_dir.path().toStdString()) / "tiny-llama";
        test_support::writeTinyChatCheckpoint(model, {});
        m_project = m_dir.filePath("project");
        store::Project project = store::Project::create(m_project.toStdString());
        train::addBaseModel(project, model, "");
        QDir().mkpath(RLHF_BINARY_DIR "/screenshots");
    }

    void exportsGgufAndHfFolders()
    {
        widgets::ExportDialog dialog(m_project, QString());
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QCOMPARE(dialog.checkpointCombo()->currentText(),
                 QStringLiteral("tiny-llama · base model"));

        QVERIFY2(exportWith(dialog, "gguf", "q8_0"), qPrintable(dialog.resultLabel()->text()));
        const QString gguf = dialog.outputEdit()->text();
        QCOMPARE(gguf, QDir(m_project).filePath("exports/tiny-llama-q8_0.gguf"));
        QFile file(gguf);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.read(4), QByteArray("GGUF"));
        const QString summary = dialog.resultLabel()->text();
        QVERIFY2(summary.contains("architecture llama") && summary.contains("tokenizer gpt2") &&
                     summary.contains("chat template the studio's"),
                 qPrintable(summary));
        QCOMPARE(dialog.progressBar()->value(), dialog.progressBar()->maximum());
        QVERIFY(dialog.progressBar()->maximum() > 0);
        dialog.resize(1024, 640);
        QVERIFY(dialog.grab().save(RLHF_BINARY_DIR "/screenshots/export_dialog.png"));

        QVERIFY2(exportWith(dialog, "hf", "f16"), qPrintable(dialog.resultLabel()->text()));
        const fs::path folder = dialog.outputEdit()->text().toStdString();
        QCOMPARE(folder.filename().string(), std::string("tiny-llama-f16"));
        QVERIFY(fs::exists(folder / "config.json"));
        QVERIFY(fs::exists(folder / "tokenizer.json"));
        QVERIFY(!fs::exists(folder / "optimizer.safetensors"));

        // The same target again: a confirmation, and Cancel leaves it as it was.
        m_question.clear();
        answerReplace(QStringLiteral("Cancel"));
        QTest::mouseClick(dialog.exportButton(), Qt::LeftButton);
        QVERIFY(!m_question.isEmpty()); // asked, and answered, inside the click
        QVERIFY(!dialog.isExporting());
        QVERIFY2(dialog.resultLabel()->text().startsWith(
                     QStringLiteral("Not exported: %1 already exists.")
                         .arg(dialog.outputEdit()->text())),
                 qPrintable(dialog.resultLabel()->text()));
    }

    // A typed name without an extension gets ".gguf", relative to the project; an existing file is
    // kept on Cancel and replaced on Replace; the result names the path and the size written.
    void typedNamesAndReplacing()
    {
        widgets::ExportDialog dialog(m_project, QString());
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        dialog.outputEdit()->setText(QStringLiteral("exports/mine"));
        QVERIFY2(exportWith(dialog, "gguf", "f16"), qPrintable(dialog.resultLabel()->text()));
        const QString gguf = QDir(m_project).filePath("exports/mine.gguf");
        QCOMPARE(dialog.outputEdit()->text(), gguf);
        QVERIFY(QFileInfo(gguf).isFile());
        const QString size =
            QLocale().formattedDataSize(QFileInfo(gguf).size(), 1, QLocale::DataSizeSIFormat);
        QVERIFY2(dialog.resultLabel()->text().startsWith(
                     QStringLiteral("Wrote %1 (%2, ").arg(gguf, size)),
                 qPrintable(dialog.resultLabel()->text()));

        // An existing file: Cancel keeps it byte for byte, Replace writes the export over it.
        QFile stale(gguf);
        QVERIFY(stale.open(QIODevice::WriteOnly));
        stale.write("stale");
        stale.close();
        dialog.outputEdit()->setText(gguf);
        m_question.clear();
        answerReplace(QStringLiteral("Cancel"));
        QTest::mouseClick(dialog.exportButton(), Qt::LeftButton);
        QVERIFY2(m_question.startsWith(QStringLiteral("%1 already exists (").arg(gguf)),
                 qPrintable(m_question));
        QVERIFY(!dialog.isExporting());
        QCOMPARE(contents(gguf), QByteArray("stale"));
        m_question.clear();
        answerReplace(QStringLiteral("Replace"));
        QVERIFY2(exportWith(dialog, "gguf", "f16"), qPrintable(dialog.resultLabel()->text()));
        QVERIFY(!m_question.isEmpty());
        QCOMPARE(contents(gguf).left(4), QByteArray("GGUF"));
        QVERIFY(!QFileInfo::exists(gguf + ".partial"));

        // Hugging Face: a folder, never a .gguf file; a folder typed with '/' gets the name.
        QCOMPARE(widgets::ExportDialog::resolveOutput("out/model.gguf", "hf", m_project, "x-f16"),
                 QDir(m_project).filePath("out/model"));
        QCOMPARE(widgets::ExportDialog::resolveOutput("/tmp/out/", "hf", m_project, "x-f16"),
                 QStringLiteral("/tmp/out/x-f16"));
        QCOMPARE(widgets::ExportDialog::resolveOutput(m_project, "gguf", "/elsewhere", "x.gguf"),
                 QDir(m_project).filePath("x.gguf")); // an existing folder
        QCOMPARE(widgets::ExportDialog::resolveOutput("model.bin", "gguf", m_project, "x.gguf"),
                 QDir(m_project).filePath("model.bin")); // an extension typed is kept
        QCOMPARE(widgets::ExportDialog::resolveOutput("  ", "gguf", m_project, "x.gguf"),
                 QString());
    }

    void mergesAnAdapterListedUnderItsBase()
    {
        // A LoRA adapter on the base model, saved as a stage saves one, as a run's checkpoint.
        store::Project project = store::Project::open(m_project.toStdString());
        const fs::path base =
            fs::path(m_project.toStdString()) / project.database().models().front().path;
        model::Transformer transformer = model::loadTransformer(base);
        model::LoraConfig config;
        config.rank = 2;
        config.alpha = 4;
        config.targetModules = {"q_proj", "v_proj"};
        model::AdapterFolder adapter{config, {}, fs::absolute(base).lexically_normal().string()};
        adapter.tensors = transformer->adapterTensors(transformer->addAdapter(config, 3));
        const fs::path folder = fs::path(m_project.toStdString()) / "checkpoints/run-1/step-000004";
        fs::create_directories(folder);
        model::saveAdapter(folder, adapter, false);
        fs::copy_file(base / "tokenizer.json", folder / "tokenizer.json");
        const auto run = project.database().createRun(store::RunStage::Sft, "sft-lora", "{}");
        project.database().addCheckpoint(run, 4, "checkpoints/run-1/step-000004");

        widgets::ExportDialog exportDialog(m_project, QString());
        QStringList labels;
        for (int i = 0; i < exportDialog.checkpointCombo()->count(); ++i)
            labels << exportDialog.checkpointCombo()->itemText(i);
        // The adapter's run is the newest, but it is listed under its base.
        QCOMPARE(labels, (QStringList{QStringLiteral("tiny-llama · base model"),
                                      QStringLiteral("    \u2514 sft-lora · step 4 · LoRA")}));

        widgets::ExportDialog dialog(m_project, QString(), nullptr,
                                     widgets::ExportDialog::Purpose::MergeAdapter);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QCOMPARE(dialog.checkpointCombo()->count(), 1); // adapters only
        QCOMPARE(dialog.checkpointCombo()->currentText(),
                 QStringLiteral("sft-lora · step 4 · LoRA on tiny-llama"));
        QVERIFY2(dialog.adapterLabel()->text().contains("A LoRA adapter on"),
                 qPrintable(dialog.adapterLabel()->text()));
        QVERIFY(!dialog.formatCombo()->isEnabled());
        dialog.resize(1024, 640);
        QVERIFY(dialog.grab().save(RLHF_BINARY_DIR "/screenshots/merge_dialog.png"));
        QVERIFY2(exportWith(dialog, "hf", "f32"), qPrintable(dialog.resultLabel()->text()));
        const fs::path merged = dialog.outputEdit()->text().toStdString();
        QCOMPARE(merged.filename().string(), std::string("run-1-step-000004-merged-f32"));
        QVERIFY(fs::exists(merged / "model.safetensors"));
        QVERIFY(!model::isAdapterFolder(merged));
        // B starts at zero: the merged model is the base, weight for weight.
        const auto mergedWeights = model::loadTransformer(merged)->named_parameters();
        for (const auto& item : transformer->named_parameters())
            QVERIFY2(at::equal(item.value(), mergedWeights[item.key()]), item.key().c_str());
    }
};

QTEST_MAIN(TestExportDialog)
#include "test_export_dialog.moc"
