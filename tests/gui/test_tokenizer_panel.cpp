// TokenizerPanel on a real project with a small generated text dataset, driven with clicks:
// training asks for 8,192 tokens and says how many the corpus could give; "Tokenize with it"
// writes the dataset's token files with a tokenizer the project already has; a tokenizer whose
// file is gone fails with the core's message and writes nothing.
#include "widgets/stagewizard/tokenizerpanel.h"

#include "core/data/token_splits.h"
#include "core/store/project.h"

#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <filesystem>

using rlhf::widgets::TokenizerPanel;
namespace data = rlhf::data;
namespace store = rlhf::store;
namespace text = rlhf::text;

namespace {

constexpr int kWaitMs = 60000;
constexpr int kAskedVocab = 8192;

template <typename T> T* child(const QWidget& parent, const char* name)
{
    auto* widget = parent.findChild<T*>(QLatin1String(name));
    if (!widget) qFatal("no child widget '%s'", name);
    return widget;
}

// A project holding dataset "notes": 60 short sentences from a few words, far too little text
// for 8,192 tokens. Returns the project folder.
QString makeProject(const QTemporaryDir& dir)
{
    static const char* const words[] = {"the",  "model", "reads", "short", "notes", "about",
                                        "rain", "and",   "wind",  "over",  "hills", "today"};
    const std::filesystem::path root = dir.filePath(QStringLiteral("project")).toStdString();
    auto project = store::Project::create(root);
    const auto dataset =
        project.database().addDataset("notes", store::DatasetKind::Text, "/data/notes.txt");
    std::vector<store::Document> documents(60);
    uint64_t state = 7;
    for (size_t i = 0; i < documents.size(); ++i) {
        for (int w = 0; w < 6 + int(i % 5); ++w) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            documents[i].text +=
                std::string(w ? " " : "") + words[(state >> 33) % std::size(words)];
        }
        documents[i].sourceFile = "notes.txt";
        documents[i].sourceLine = int64_t(i) + 1;
        documents[i].split = i % 10 == 0 ? "val" : "train";
    }
    project.database().addDocuments(dataset, documents);
    return QString::fromStdString(root.string());
}

std::filesystem::path tokenFile(const QString& projectPath, const std::string& tokenizer,
                                store::TokenSplit split)
{
    return store::ProjectPaths(projectPath.toStdString()).tokenFile("notes", tokenizer, split);
}

} // namespace

class TestTokenizerPanel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void trainingSaysHowManyTokensTheCorpusGave();
    void tokenizesWithAnExistingTokenizer();
    void aMissingTokenizerFileFailsWithTheReason();
};

void TestTokenizerPanel::trainingSaysHowManyTokensTheCorpusGave()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makeProject(dir);
    TokenizerPanel panel(project);
    panel.setDataset(QStringLiteral("notes"));
    panel.setExistingTokenizers({});
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QCOMPARE(child<QSpinBox>(panel, "tokenizerVocab")->value(), kAskedVocab);
    QVERIFY(!child<QPushButton>(panel, "tokenizeExisting")->isEnabled()); // none to pick yet

    QSignalSpy trained(&panel, &TokenizerPanel::trained);
    QTest::mouseClick(child<QPushButton>(panel, "trainTokenizer"), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(trained.count(), 1, kWaitMs);
    QCOMPARE(trained.front().front().toString(), QStringLiteral("bpe"));

    const auto record = store::Project::open(project.toStdString()).database().tokenizer("bpe");
    QVERIFY(record.has_value());
    QVERIFY2(record->vocabSize > 256 && record->vocabSize < kAskedVocab,
             qPrintable(QString::number(record->vocabSize)));
    const QLocale locale;
    const QString status = child<QLabel>(panel, "tokenizerStatus")->text();
    const QString shortfall =
        QStringLiteral("learned %1 of the %2 tokens asked for: the corpus has no more pairs to "
                       "merge")
            .arg(locale.toString(qint64(record->vocabSize)), locale.toString(kAskedVocab));
    QVERIFY2(status.contains(QStringLiteral("Tokenizer 'bpe' trained")) &&
                 status.contains(shortfall),
             qPrintable(status));
    panel.resize(560, std::max(panel.heightForWidth(560), panel.sizeHint().height()));
    QDir().mkpath(QStringLiteral(RLHF_BINARY_DIR "/screenshots"));
    QVERIFY(panel.grab().save(QStringLiteral(RLHF_BINARY_DIR "/screenshots/tokenizer_panel.png")));
}

void TestTokenizerPanel::tokenizesWithAnExistingTokenizer()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makeProject(dir);
    {
        auto opened = store::Project::open(project.toStdString());
        text::TrainConfig config;
        config.vocabSize = 300;
        data::trainProjectTokenizer(opened, opened.database().datasetByName("notes")->id, "small",
                                    config);
    }
    const auto train = tokenFile(project, "small", store::TokenSplit::Train);
    const auto val = tokenFile(project, "small", store::TokenSplit::Validation);
    QVERIFY(!std::filesystem::exists(train) && !std::filesystem::exists(val));

    TokenizerPanel panel(project);
    panel.setDataset(QStringLiteral("notes"));
    panel.setExistingTokenizers({QStringLiteral("small")});
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QCOMPARE(child<QComboBox>(panel, "existingTokenizer")->currentText(), QStringLiteral("small"));
    auto* tokenize = child<QPushButton>(panel, "tokenizeExisting");
    QVERIFY(tokenize->isEnabled());

    QSignalSpy trained(&panel, &TokenizerPanel::trained);
    QTest::mouseClick(tokenize, Qt::LeftButton);
    QVERIFY(!tokenize->isEnabled()); // running on its thread
    QTRY_COMPARE_WITH_TIMEOUT(trained.count(), 1, kWaitMs);
    QCOMPARE(trained.front().front().toString(), QStringLiteral("small"));
    QVERIFY(tokenize->isEnabled());

    // Both files exist, and the counts shown are theirs (4 bytes per token).
    QVERIFY(std::filesystem::file_size(train) > 0 && std::filesystem::file_size(val) > 0);
    const QLocale locale;
    const QString status = child<QLabel>(panel, "tokenizerStatus")->text();
    QVERIFY2(
        status.startsWith(QStringLiteral("Dataset 'notes' tokenized with 'small': %1 train "
                                         "and %2 validation tokens")
                              .arg(locale.toString(qint64(std::filesystem::file_size(train) / 4)),
                                   locale.toString(qint64(std::filesystem::file_size(val) / 4)))),
        qPrintable(status));
    QVERIFY2(!status.contains(QStringLiteral("asked for")), qPrintable(status));
    // Nothing new was trained.
    QCOMPARE(store::Project::open(project.toStdString()).database().tokenizers().size(), size_t(1));
}

void TestTokenizerPanel::aMissingTokenizerFileFailsWithTheReason()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makeProject(dir);
    store::Project::open(project.toStdString())
        .database()
        .addTokenizer("gone", "tokenizers/gone.json", 300);

    TokenizerPanel panel(project);
    panel.setDataset(QStringLiteral("notes"));
    panel.setExistingTokenizers({QStringLiteral("gone")});
    auto* tokenize = child<QPushButton>(panel, "tokenizeExisting");
    QSignalSpy trained(&panel, &TokenizerPanel::trained);
    QSignalSpy running(&panel, &TokenizerPanel::runningChanged);
    QTest::mouseClick(tokenize, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(running.count(), 2, kWaitMs); // started, then ended
    QCOMPARE(trained.count(), 0);
    const QString status = child<QLabel>(panel, "tokenizerStatus")->text();
    QVERIFY2(status.contains(QStringLiteral("tokenizing dataset 'notes' with tokenizer 'gone'")) &&
                 status.contains(QStringLiteral("gone.json")),
             qPrintable(status));
    QVERIFY(!std::filesystem::exists(tokenFile(project, "gone", store::TokenSplit::Train)));
    QVERIFY(tokenize->isEnabled());
}

QTEST_MAIN(TestTokenizerPanel)
#include "test_tokenizer_panel.moc"
