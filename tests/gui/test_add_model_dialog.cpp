// File > Add Model… as a user meets it: a model folder typed in is described (architecture,
// parameters, dtype, memory, its chat template's preview), the name suggested; Add records it
// in the project's database as a base model, which chat, the arena and the stage wizard then
// offer. A folder that is not a model, a model without a tokenizer and a name already taken are
// shown as problems, never added. Screenshots: build/screenshots/add_model*.png.
#include "core/model/checkpoint.h"
#include "core/model/peft_adapter.h"
#include "core/model/transformer.h"
#include "core/store/database.h"
#include "core/store/project.h"
#include "tests/support/tiny_chat_checkpoint.h"
#include "widgets/chat/checkpointchoices.h"
#include "widgets/window/addmodeldialog.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace rlhf;
namespace fs = std::filesystem;

class TestAddModelDialog : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    fs::path m_model; // a Llama-shaped model folder with tokenizer and chat template
    QString m_project;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_model = fs::path(m_dir.path().toStdString()) / "hub" / "tiny-llama-chat";
        test_support::writeTinyChatCheckpoint(m_model, {});
        nlohmann::json config;
        config["eos_token"] = "<|eos|>";
        config["chat_template"] =
            "{% for m in messages %}{{ '<|' + m.role + '|>' + m.content + '<|end|>' }}"
            "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";
        std::ofstream(m_model / "tokenizer_config.json") << config.dump();
        m_project = m_dir.filePath("project");
        store::Project::create(m_project.toStdString());
        QDir().mkpath(RLHF_BINARY_DIR "/screenshots");
    }

    void describesAndAddsAModelFolder()
    {
        widgets::AddModelDialog dialog(m_project);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QVERIFY(!dialog.addButton()->isEnabled()); // nothing chosen yet

        dialog.folderEdit()->setFocus();
        QTest::keyClicks(dialog.folderEdit(), QString::fromStdString(m_model.string()));
        QTest::keyClick(dialog.folderEdit(), Qt::Key_Return); // editingFinished
        const QString summary = dialog.summary()->text();
        QVERIFY2(summary.contains("LlamaForCausalLM (llama)"), qPrintable(summary));
        QVERIFY2(summary.contains("2 layers, width 32, 4 heads (2 for keys/values)"),
                 qPrintable(summary));
        QVERIFY2(summary.contains("float32"), qPrintable(summary));
        QVERIFY2(summary.contains("tokenizer.json"), qPrintable(summary));
        QCOMPARE(dialog.templatePreview()->toPlainText(),
                 QStringLiteral("<|system|>You are a helpful assistant.<|end|><|user|>Hello!"
                                "<|end|><|assistant|>Hi! How can I help?<|end|><|user|>What is "
                                "2 + 2?<|end|><|assistant|>"));
        QCOMPARE(dialog.nameEdit()->text(), QStringLiteral("tiny-llama-chat"));
        QVERIFY(dialog.problem()->text().isEmpty());
        QVERIFY(dialog.addButton()->isEnabled());
        dialog.resize(1024, 640);
        QVERIFY(dialog.grab().save(RLHF_BINARY_DIR "/screenshots/add_model.png"));

        QTest::mouseClick(dialog.addButton(), Qt::LeftButton);
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(dialog.addedName(), QStringLiteral("tiny-llama-chat"));

        const store::Project project = store::Project::open(m_project.toStdString());
        const auto added = project.database().model("tiny-llama-chat");
        QVERIFY(added);
        QCOMPARE(added->family, std::string("llama"));
        QCOMPARE(fs::path(added->path), m_model); // outside the project: absolute
        const auto choices = widgets::checkpointChoices(project.database());
        QCOMPARE(choices.size(), size_t(1));
        QCOMPARE(choices[0].label, QStringLiteral("tiny-llama-chat · base model"));
        QCOMPARE(choices[0].path, QString::fromStdString(m_model.string()));
    }

    // A PEFT adapter folder on a model here (its base_model_name_or_path), without tokenizer
    // files of its own: described, then added into the project's adapters/ on that base and
    // listed under it.
    void addsAnAdapterOnItsBase()
    {
        const fs::path adapterFolder = fs::path(m_dir.path().toStdString()) / "hub" / "tiny-lora";
        fs::create_directories(adapterFolder);
        model::Transformer base = model::loadTransformer(m_model);
        model::LoraConfig config;
        config.rank = 2;
        config.alpha = 4;
        config.targetModules = {"q_proj", "v_proj"};
        model::AdapterFolder adapter{config, {}, m_model.string()};
        adapter.tensors = base->adapterTensors(base->addAdapter(config, 1));
        model::saveAdapter(adapterFolder, adapter, false);

        widgets::AddModelDialog dialog(m_project);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        dialog.setFolder(QString::fromStdString(adapterFolder.string()));
        QVERIFY2(dialog.problem()->text().isEmpty(), qPrintable(dialog.problem()->text()));
        QVERIFY2(dialog.addButton()->isEnabled(), qPrintable(dialog.summary()->text()));
        QVERIFY2(dialog.summary()->text().contains("rank 2 on q_proj, v_proj"),
                 qPrintable(dialog.summary()->text()));
        dialog.resize(1024, 640);
        QVERIFY(dialog.grab().save(RLHF_BINARY_DIR "/screenshots/add_model_adapter.png"));
        QTest::mouseClick(dialog.addButton(), Qt::LeftButton);
        QCOMPARE(dialog.result(), int(QDialog::Accepted));

        const store::Project project = store::Project::open(m_project.toStdString());
        const auto added = project.database().model("tiny-lora");
        QVERIFY(added);
        QCOMPARE(added->path, std::string("adapters/tiny-lora"));
        const fs::path copied = fs::path(m_project.toStdString()) / added->path;
        QVERIFY(model::isAdapterFolder(copied) && fs::exists(copied / "tokenizer.json"));
    }

    void showsWhatIsWrong()
    {
        const size_t modelsBefore =
            store::Project::open(m_project.toStdString()).database().models().size();
        widgets::AddModelDialog dialog(m_project);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        dialog.setFolder(m_dir.path()); // not a model folder
        QVERIFY2(dialog.problem()->text().contains("no config.json"),
                 qPrintable(dialog.problem()->text()));
        QVERIFY(!dialog.addButton()->isEnabled());

        // The same model again under its taken name: refused, named, the dialog stays open.
        dialog.setFolder(QString::fromStdString(m_model.string()));
        QVERIFY(dialog.addButton()->isEnabled());
        QTest::mouseClick(dialog.addButton(), Qt::LeftButton);
        QVERIFY2(dialog.problem()->text().contains("already exists"),
                 qPrintable(dialog.problem()->text()));
        QVERIFY(dialog.isVisible());

        // Without its tokenizer the model cannot be fine-tuned or chatted with.
        const fs::path bare = fs::path(m_dir.path().toStdString()) / "bare";
        fs::create_directories(bare);
        for (const char* file : {"config.json", "model.safetensors"})
            fs::copy_file(m_model / file, bare / file);
        dialog.setFolder(QString::fromStdString(bare.string()));
        QVERIFY2(dialog.summary()->text().contains("missing"),
                 qPrintable(dialog.summary()->text()));
        QCOMPARE(dialog.nameEdit()->text(), QStringLiteral("bare")); // the suggestion follows
        QVERIFY(!dialog.addButton()->isEnabled());
        dialog.resize(1024, 640);
        QVERIFY(dialog.grab().save(RLHF_BINARY_DIR "/screenshots/add_model_problem.png"));
        const store::Project project = store::Project::open(m_project.toStdString());
        QCOMPARE(project.database().models().size(), modelsBefore); // nothing more was added
    }
};

QTEST_MAIN(TestAddModelDialog)
#include "test_add_model_dialog.moc"
