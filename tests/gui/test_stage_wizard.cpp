// StageWizard on a real project folder: drives the pages with QTest, finishes, and checks the
// written document parses with the CLI's own parser; trains a tokenizer from the data page on a
// worker thread; checks the parameter-count arithmetic against Hugging Face's published model
// sizes and a hand count, and that the memory estimate follows the batch size.
#include "widgets/stagewizard/stagewizard.h"
#include "widgets/stagewizard/wizardsummarypage.h"

#include "core/model/torch_runtime.h"
#include "core/store/project.h"
#include "core/train/pretrain_config.h"
#include "widgets/stagewizard/modelpresets.h"

#include <nlohmann/json.hpp>

#include <QAbstractButton>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QFile>
#include <QGuiApplication>
#include <QLabel>
#include <QLineEdit>
#include <QElapsedTimer>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <fstream>
#include <vector>

using rlhf::widgets::StageWizard;
namespace model = rlhf::model;
namespace store = rlhf::store;

namespace {

constexpr int64_t trainTokenCount = 1000;
constexpr int64_t valTokenCount = 100;
constexpr int64_t vocabSize = 512;

void writeTokens(const std::filesystem::path& file, int64_t count)
{
    std::vector<uint32_t> tokens(static_cast<size_t>(count));
    for (size_t i = 0; i < tokens.size(); ++i)
        tokens[i] = uint32_t(i % vocabSize);
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(tokens.data()),
              std::streamsize(tokens.size() * sizeof(uint32_t)));
}

// A project with dataset "notes" and tokenizer "bpe"; token files only when `withTokens`.
QString makeProject(const QTemporaryDir& dir, bool withTokens)
{
    const std::filesystem::path root = dir.filePath(QStringLiteral("project")).toStdString();
    auto project = store::Project::create(root);
    project.database().addDataset("notes", store::DatasetKind::Text, "/data/notes.txt");
    project.database().addTokenizer("bpe", "tokenizers/bpe.json", vocabSize);
    if (withTokens) {
        const auto& paths = project.paths();
        writeTokens(paths.tokenFile("notes", "bpe", store::TokenSplit::Train), trainTokenCount);
        writeTokens(paths.tokenFile("notes", "bpe", store::TokenSplit::Validation), valTokenCount);
    }
    return QString::fromStdString(root.string());
}

// A project whose dataset "notes" holds `count` short documents of plain English words (a
// deterministic mix), and no tokenizer unless `tokenizer` names one to record.
QString makeProjectWithDocuments(const QTemporaryDir& dir, int count, const char* tokenizer)
{
    static const char* const words[] = {
        "the",   "model", "learns", "from",  "text",    "and",     "tokens", "a",
        "small", "run",   "loss",   "goes",  "down",    "while",   "we",     "watch",
        "plots", "of",    "each",   "step",  "studio",  "project", "data",   "with",
        "1024",  "2048",  "bytes",  "merge", "pairs",   "into",    "words",  "again,",
        "it's",  "don't", "quick",  "brown", "fox",     "jumps",   "over",   "lazy",
        "dog.",  "train", "val",    "split", "windows", "context", "heads",  "layers"};
    const std::filesystem::path root = dir.filePath(QStringLiteral("project")).toStdString();
    auto project = store::Project::create(root);
    const auto dataset =
        project.database().addDataset("notes", store::DatasetKind::Text, "/data/notes.txt");
    std::vector<store::Document> documents(static_cast<size_t>(count));
    uint64_t state = 12345;
    for (int i = 0; i < count; ++i) {
        const int length = 8 + i % 13;
        for (int w = 0; w < length; ++w) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            documents[size_t(i)].text +=
                std::string(w ? " " : "") + words[(state >> 33) % std::size(words)];
        }
        documents[size_t(i)].sourceFile = "notes.txt";
        documents[size_t(i)].sourceLine = i + 1;
    }
    project.database().addDocuments(dataset, documents);
    if (tokenizer) project.database().addTokenizer(tokenizer, "tokenizers/x.json", vocabSize);
    return QString::fromStdString(root.string());
}

template <typename T> T* child(const QWidget& parent, const char* name)
{
    auto* widget = parent.findChild<T*>(QLatin1String(name));
    if (!widget) qFatal("no child widget '%s'", name);
    return widget;
}

} // namespace

class TestStageWizard : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void gpt2SmallHasHuggingFaceParameterCount();
    void llamaParameterCountMatchesHandCount();
    void memoryEstimateFollowsItsFormula();
    void memoryEstimateFollowsTheBatchSize();
    void writesDocumentTheCliAccepts();
    void invalidShapeBlocksNext();
    void missingTokenFilesNameTheCommand();
    void trainsTokenizerFromTheDataPage();
    void tokenizerErrorsAndCancelReachThePage();
    void gpusOfferedAndMemoryChecked();
};

void TestStageWizard::gpt2SmallHasHuggingFaceParameterCount()
{
    const auto& preset = rlhf::widgets::modelPresets().at(2);
    QCOMPARE(QString::fromStdString(preset.name), QStringLiteral("gpt2-124M"));
    model::ModelConfig config;
    config.flavour = model::Flavour::Gpt2;
    config.vocabSize = 50257;
    config.layers = preset.layers;
    config.heads = preset.heads;
    config.dim = preset.dim;
    config.contextLength = preset.contextLength;
    QCOMPARE(StageWizard::parameterCount(config), int64_t(124'439'808)); // HF gpt2, tied
    config.tieEmbeddings = false;
    QCOMPARE(StageWizard::parameterCount(config), int64_t(124'439'808 + 50257 * 768));
}

void TestStageWizard::llamaParameterCountMatchesHandCount()
{
    // A small grouped-query shape counted by hand: vocab 1000, dim 64, 4 heads of 16, 2 kv heads,
    // ffn = 8*64/3 = 170 rounded up to 192, 2 layers, untied.
    model::ModelConfig small;
    small.flavour = model::Flavour::Llama;
    small.vocabSize = 1000;
    small.dim = 64;
    small.heads = 4;
    small.kvHeads = 2;
    small.layers = 2;
    small.contextLength = 128;
    small.tieEmbeddings = false;
    const int64_t perLayer = 2 * 64            // two RMSNorm weights
                             + 2 * 64 * 64     // q_proj, o_proj
                             + 2 * 64 * 2 * 16 // k_proj, v_proj
                             + 3 * 64 * 192;   // gate, up, down
    QCOMPARE(perLayer, int64_t(49'280));
    QCOMPARE(StageWizard::parameterCount(small), 1000 * 64 + 2 * perLayer + 64 + 1000 * 64);
    small.tieEmbeddings = true;
    QCOMPARE(StageWizard::parameterCount(small), 1000 * 64 + 2 * perLayer + 64);

    // Llama 2 7B (meta-llama/Llama-2-7b-hf): 6,738,415,616 parameters.
    model::ModelConfig llama7b;
    llama7b.flavour = model::Flavour::Llama;
    llama7b.vocabSize = 32000;
    llama7b.dim = 4096;
    llama7b.heads = 32;
    llama7b.layers = 32;
    llama7b.ffnDim = 11008;
    llama7b.contextLength = 4096;
    llama7b.tieEmbeddings = false;
    QCOMPARE(StageWizard::parameterCount(llama7b), int64_t(6'738'415'616));
}

void TestStageWizard::memoryEstimateFollowsItsFormula()
{
    model::ModelConfig tiny; // gpt2, 2 layers, 2 heads, dim 128, ctx 128, vocab 512
    tiny.vocabSize = vocabSize;
    tiny.layers = 2;
    tiny.heads = 2;
    tiny.dim = 128;
    tiny.contextLength = 128;
    const int64_t batch = 4;
    const int64_t states = 16 * StageWizard::parameterCount(tiny); // fp32 weights, grads, m, v
    const int64_t activations = 2 * (batch * 128 * 128 * 34 + 5 * batch * 2 * 128 * 128);
    const int64_t logits = 8 * batch * 128 * vocabSize;
    QCOMPARE(rlhf::widgets::trainingMemoryBytes(tiny, batch), states + activations + logits);
    // Checkpointed: each layer's fp32 input, and one layer's full set while it is recomputed.
    const int64_t checkpointed = 2 * 4 * batch * 128 * 128 + activations / 2;
    QCOMPARE(rlhf::widgets::trainingMemoryBytes(tiny, batch, true), states + checkpointed + logits);
}

void TestStageWizard::memoryEstimateFollowsTheBatchSize()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    StageWizard wizard(makeProject(dir, /*withTokens=*/true), /*gpus=*/{});
    wizard.show();
    wizard.next();
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::ModelPage));
    child<QComboBox>(wizard, "preset")->setCurrentIndex(0); // tiny
    model::ModelConfig tiny;
    tiny.vocabSize = vocabSize;
    tiny.layers = 2;
    tiny.heads = 2;
    tiny.dim = 128;
    tiny.contextLength = 128;
    auto estimate = [&](int64_t batch) {
        return QStringLiteral("Training memory about %1 at batch size %2")
            .arg(QLocale().formattedDataSize(rlhf::widgets::trainingMemoryBytes(tiny, batch)))
            .arg(batch);
    };
    // Where the estimate is final, it is checked against the chosen device: here the CPU.
    auto checked = [&](int64_t batch) {
        return estimate(batch) +
               QStringLiteral("; fits in the %1 of this machine's memory")
                   .arg(QLocale().formattedDataSize(rlhf::model::hostMemoryBytes()));
    };
    auto* modelSize = child<QLabel>(wizard, "modelSize");
    QVERIFY2(modelSize->text().contains(estimate(8)), qPrintable(modelSize->text()));

    // Typing a batch size updates the estimate beside it at once.
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::OptimisationPage));
    auto* memory = child<QLabel>(wizard, "optimisationMemory");
    QCOMPARE(memory->text(), checked(8));
    auto* batch = child<QSpinBox>(wizard, "batchSize");
    batch->selectAll();
    QTest::keyClicks(batch, QStringLiteral("64"));
    QCOMPARE(batch->value(), 64);
    QCOMPARE(memory->text(), checked(64));
    QVERIFY(estimate(64) != estimate(8));

    // The model page's label follows at once, though it is not shown now, and so does the
    // summary.
    QVERIFY2(modelSize->text().contains(estimate(64)), qPrintable(modelSize->text()));
    wizard.next();
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::SummaryPage));
    QCOMPARE(child<QLabel>(wizard, "summaryMemory")->text(), checked(64));

    // Back to the model page: QWizard discards the later pages' entries (batch 8 again), and
    // the label says so.
    wizard.back();
    wizard.back();
    wizard.back();
    QCOMPARE(wizard.currentId(), int(StageWizard::ModelPage));
    QCOMPARE(wizard.field(QStringLiteral("batchSize")).toInt(), 8);
    QVERIFY2(modelSize->text().contains(estimate(8)), qPrintable(modelSize->text()));
}

void TestStageWizard::writesDocumentTheCliAccepts()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makeProject(dir, /*withTokens=*/true);
    StageWizard wizard(project, /*gpus=*/{});
    wizard.show();
    QCOMPARE(wizard.currentId(), int(StageWizard::StagePage));

    auto* name = child<QLineEdit>(wizard, "runName");
    name->clear();
    QTest::keyClicks(name, QStringLiteral("notes-llama"));
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::DataPage));
    QVERIFY(child<QLabel>(wizard, "trainTokensLabel")->text().contains(QLocale().toString(1000)));
    QVERIFY(child<QLabel>(wizard, "valTokensLabel")->text().contains(QLocale().toString(100)));
    QVERIFY(child<QLabel>(wizard, "dataMessage")->isHidden());

    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::ModelPage));
    child<QComboBox>(wizard, "preset")->setCurrentIndex(0);  // tiny
    child<QComboBox>(wizard, "flavour")->setCurrentIndex(1); // llama
    child<QSpinBox>(wizard, "kvHeads")->setValue(1);
    model::ModelConfig expected;
    expected.flavour = model::Flavour::Llama;
    expected.vocabSize = vocabSize;
    expected.layers = 2;
    expected.heads = 2;
    expected.kvHeads = 1;
    expected.dim = 128;
    expected.contextLength = 128;
    const QString count = QLocale().toString(qint64(StageWizard::parameterCount(expected)));
    QVERIFY2(child<QLabel>(wizard, "modelSize")->text().contains(count),
             qPrintable(child<QLabel>(wizard, "modelSize")->text()));

    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::OptimisationPage));
    child<QLineEdit>(wizard, "lr")->setText(QStringLiteral("1e-3"));
    child<QLineEdit>(wizard, "minLr")->setText(QStringLiteral("1e-4"));
    child<QSpinBox>(wizard, "warmupSteps")->setValue(20);
    child<QSpinBox>(wizard, "steps")->setValue(200);
    child<QSpinBox>(wizard, "batchSize")->setValue(4);
    child<QSpinBox>(wizard, "gradAccumulation")->setValue(2);
    child<QSpinBox>(wizard, "seed")->setValue(7);
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::RunPage));
    child<QComboBox>(wizard, "precision")->setCurrentIndex(2); // bf16
    child<QSpinBox>(wizard, "threads")->setValue(2);
    child<QSpinBox>(wizard, "evalEvery")->setValue(50);
    child<QSpinBox>(wizard, "checkpointEvery")->setValue(0);
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::SummaryPage));
    QVERIFY(child<QPlainTextEdit>(wizard, "preview")->toPlainText().contains("\"notes-llama\""));

    const QString documentPath = project + QStringLiteral("/runs/notes-llama.json");
    QCOMPARE(wizard.documentPath(), documentPath);
    QTest::mouseClick(child<QPushButton>(wizard, "copyCommand"), Qt::LeftButton);
    QCOMPARE(QGuiApplication::clipboard()->text(),
             QStringLiteral("rlhf train -p '%1' '%2'").arg(project, documentPath));

    // Several processes and machines: the command, torchrun and the Slurm script launch them.
    wizard.back();
    child<QSpinBox>(wizard, "processes")->setValue(4);
    child<QSpinBox>(wizard, "machines")->setValue(2);
    wizard.next();
    QTest::mouseClick(child<QPushButton>(wizard, "copyCommand"), Qt::LeftButton);
    QCOMPARE(QGuiApplication::clipboard()->text(),
             QStringLiteral("rlhf train -p '%1' '%2' --nproc 4").arg(project, documentPath));
    QVERIFY2(child<QLabel>(wizard, "launchNote")->text().contains("The 8 processes on 2 machines"),
             qPrintable(child<QLabel>(wizard, "launchNote")->text()));
    QTest::mouseClick(child<QPushButton>(wizard, "copyTorchrun"), Qt::LeftButton);
    QCOMPARE(QGuiApplication::clipboard()->text(),
             QStringLiteral("torchrun --nnodes 2 --rdzv-backend c10d --rdzv-endpoint "
                            "\"$MASTER_ADDR:29500\" --nproc-per-node 4 --no-python rlhf train "
                            "-p '%1' '%2'")
                 .arg(project, documentPath));
    const QString script = project + QStringLiteral("/runs/notes-llama.sbatch");
    QVERIFY(wizard.findChild<rlhf::widgets::WizardSummaryPage*>()->saveSlurmScript(script));
    QFile sbatch(script);
    QVERIFY(sbatch.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(sbatch.readAll());
    for (const char* line : {"#SBATCH --job-name=notes-llama\n", "#SBATCH --nodes=2\n",
                             "#SBATCH --ntasks-per-node=4\n", "#SBATCH --cpus-per-task=2\n",
                             "export MASTER_PORT=29500\n"})
        QVERIFY2(text.contains(QLatin1String(line)), line);
    QVERIFY(!text.contains("--gpus-per-node")); // the CPU was chosen
    QVERIFY(
        text.contains(QStringLiteral("srun rlhf train -p '%1' '%2'\n").arg(project, documentPath)));
    QVERIFY(sbatch.permissions() & QFileDevice::ExeOwner);
    wizard.back();
    child<QSpinBox>(wizard, "processes")->setValue(1);
    child<QSpinBox>(wizard, "machines")->setValue(1);
    wizard.next();

    QVERIFY(wizard.button(QWizard::FinishButton)->isEnabled());
    QTest::mouseClick(wizard.button(QWizard::FinishButton), Qt::LeftButton);
    QCOMPARE(wizard.result(), int(QDialog::Accepted));

    QFile file(documentPath);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const auto json = nlohmann::json::parse(file.readAll().toStdString());
    QVERIFY(json == wizard.document());
    const auto config = rlhf::train::pretrainConfigFromJson(json, documentPath.toStdString());
    QCOMPARE(config.name, std::string("notes-llama"));
    QCOMPARE(config.trainTokens, std::string("tokens/notes-bpe-train.u32"));
    QCOMPARE(config.valTokens, std::string("tokens/notes-bpe-val.u32"));
    QCOMPARE(config.tokenizer, std::string("tokenizers/bpe.json"));
    QVERIFY(config.model.flavour == model::Flavour::Llama);
    QCOMPARE(config.model.vocabSize, vocabSize);
    QCOMPARE(config.model.layers, int64_t(2));
    QCOMPARE(config.model.heads, int64_t(2));
    QCOMPARE(config.model.kvHeads, int64_t(1));
    QCOMPARE(config.model.dim, int64_t(128));
    QCOMPARE(config.model.contextLength, int64_t(128));
    QCOMPARE(config.schedule.peak, 1e-3);
    QCOMPARE(config.schedule.minimum, 1e-4);
    QCOMPARE(config.schedule.warmupSteps, int64_t(20));
    QCOMPARE(config.steps, int64_t(200));
    QCOMPARE(config.batchSize, int64_t(4));
    QCOMPARE(config.gradAccumulation, int64_t(2));
    QCOMPARE(config.seed, uint64_t(7));
    QVERIFY(config.precision == rlhf::train::Precision::BFloat16);
    QCOMPARE(config.threads, 2);
    QVERIFY(config.device.kind == rlhf::train::Device::Cpu);
    QCOMPARE(config.evalEvery, int64_t(50));
    QCOMPARE(config.checkpointEvery, int64_t(0));

    // The name is taken now: a second wizard proposes another and refuses this one.
    StageWizard again(project, /*gpus=*/{});
    auto* secondName = child<QLineEdit>(again, "runName");
    QVERIFY(secondName->text() != QStringLiteral("notes-llama"));
    secondName->setText(QStringLiteral("notes-llama"));
    QVERIFY(!again.page(StageWizard::StagePage)->isComplete());
    QVERIFY(child<QLabel>(again, "stageMessage")->text().contains("already exists"));
}

void TestStageWizard::invalidShapeBlocksNext()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    StageWizard wizard(makeProject(dir, /*withTokens=*/true), /*gpus=*/{});
    wizard.show();
    wizard.next();
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::ModelPage));
    auto* preset = child<QComboBox>(wizard, "preset");
    preset->setCurrentIndex(preset->count() - 1); // custom
    child<QSpinBox>(wizard, "dim")->setValue(100);
    child<QSpinBox>(wizard, "heads")->setValue(3);

    auto* message = child<QLabel>(wizard, "modelMessage");
    QVERIFY(message->isVisible());
    QVERIFY2(message->text().contains("100") && message->text().contains("heads 3"),
             qPrintable(message->text()));
    QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::ModelPage));

    child<QSpinBox>(wizard, "dim")->setValue(96);
    QVERIFY(message->isHidden());
    QVERIFY(wizard.button(QWizard::NextButton)->isEnabled());
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::OptimisationPage));

    // Optimisation: a minimum above the peak learning rate is named and blocks Next.
    child<QLineEdit>(wizard, "minLr")->setText(QStringLiteral("1e-2"));
    QVERIFY(child<QLabel>(wizard, "optimisationMessage")->text().contains("1e-2"));
    QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::OptimisationPage));
}

void TestStageWizard::missingTokenFilesNameTheCommand()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makeProject(dir, /*withTokens=*/false);
    StageWizard wizard(project, /*gpus=*/{});
    wizard.show();
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::DataPage));
    auto* message = child<QLabel>(wizard, "dataMessage");
    QVERIFY(message->isVisible());
    QVERIFY2(message->text().contains(
                 QStringLiteral("rlhf tokenize -p '%1' -d 'notes' -t 'bpe'").arg(project)),
             qPrintable(message->text()));
    QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::DataPage));
}

void TestStageWizard::trainsTokenizerFromTheDataPage()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makeProjectWithDocuments(dir, 20000, /*tokenizer=*/nullptr);
    StageWizard wizard(project, /*gpus=*/{});
    wizard.show();
    QVERIFY(QTest::qWaitForWindowExposed(&wizard));
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::DataPage));
    QVERIFY(child<QLabel>(wizard, "dataMessage")->text().contains("no tokenizer yet"));
    QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());

    // Fill the panel like a user: a name, a vocabulary size, the GPT-2 pattern.
    auto* name = child<QLineEdit>(wizard, "tokenizerName");
    QCOMPARE(name->text(), QStringLiteral("bpe"));
    name->selectAll();
    QTest::keyClicks(name, QStringLiteral("notes-bpe"));
    auto* vocab = child<QSpinBox>(wizard, "tokenizerVocab");
    vocab->selectAll();
    QTest::keyClicks(vocab, QStringLiteral("1000"));
    QCOMPARE(vocab->value(), 1000);
    auto* pattern = child<QComboBox>(wizard, "tokenizerPattern");
    QTest::keyClick(pattern, Qt::Key_Down);
    QCOMPARE(pattern->currentText(), QStringLiteral("GPT-2"));

    // The GUI thread keeps ticking while the worker trains and tokenizes.
    QElapsedTimer clock;
    qint64 lastTick = 0, longestGap = 0;
    int ticks = 0;
    QTimer ticker;
    ticker.setInterval(5);
    connect(&ticker, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        longestGap = std::max(longestGap, now - lastTick);
        lastTick = now;
        ++ticks;
    });
    auto* progress = child<QProgressBar>(wizard, "tokenizerProgress");
    QSignalSpy progressed(progress, &QProgressBar::valueChanged);
    auto* cancel = child<QPushButton>(wizard, "cancelTokenizer");
    clock.start();
    ticker.start();
    QTest::mouseClick(child<QPushButton>(wizard, "trainTokenizer"), Qt::LeftButton);
    const qint64 clickReturned = clock.elapsed();
    QVERIFY(cancel->isEnabled()); // running: the click returned before the work was done
    QVERIFY(progress->isVisible());
    QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(!cancel->isEnabled(), 120000);
    const qint64 jobTime = clock.elapsed();
    ticker.stop();

    qInfo("tokenizer job: %d GUI ticks in %lld ms, longest gap %lld ms", ticks, jobTime,
          longestGap);
    const QString status = child<QLabel>(wizard, "tokenizerStatus")->text();
    QVERIFY2(status.contains("'notes-bpe' trained"), qPrintable(status));
    QVERIFY2(clickReturned < 200, qPrintable(QString::number(clickReturned)));
    QVERIFY2(ticks >= 5 && longestGap < 1500,
             qPrintable(QStringLiteral("%1 ticks in %2 ms, longest gap %3 ms")
                            .arg(ticks)
                            .arg(jobTime)
                            .arg(longestGap)));
    QVERIFY(progressed.count() >= 2); // progress reached the GUI thread during the job
    QVERIFY(progress->isHidden());

    // The tokenizer is in the database, its token files exist, and the page selected them.
    auto opened = store::Project::open(project.toStdString());
    const auto record = opened.database().tokenizer("notes-bpe");
    QVERIFY(record.has_value());
    QCOMPARE(record->path, std::string("tokenizers/notes-bpe.json"));
    QVERIFY(record->vocabSize > 263 && record->vocabSize <= 1000);
    QVERIFY(std::filesystem::is_regular_file(opened.paths().absolute(record->path)));
    for (auto split : {store::TokenSplit::Train, store::TokenSplit::Validation})
        QVERIFY(std::filesystem::file_size(opened.paths().tokenFile("notes", "notes-bpe", split)) >
                0);
    QVERIFY(child<QComboBox>(wizard, "tokenizer")->currentText().startsWith("notes-bpe (vocab"));
    const QString trainLabel = child<QLabel>(wizard, "trainTokensLabel")->text();
    QVERIFY2(trainLabel.endsWith(" tokens") && !trainLabel.contains("missing"),
             qPrintable(trainLabel));
    QVERIFY(child<QLabel>(wizard, "dataMessage")->isHidden());
    QVERIFY(wizard.button(QWizard::NextButton)->isEnabled());
    QCOMPARE(name->text(), QStringLiteral("bpe")); // a free name for the next one

    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::ModelPage));
    QVERIFY(child<QLabel>(wizard, "modelSize")
                ->text()
                .contains(
                    QStringLiteral("vocab %1").arg(QLocale().toString(qint64(record->vocabSize)))));
    QCOMPARE(wizard.document().at("tokenizer").get<std::string>(),
             std::string("tokenizers/notes-bpe.json"));
}

void TestStageWizard::tokenizerErrorsAndCancelReachThePage()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makeProjectWithDocuments(dir, 20000, /*tokenizer=*/"bpe");
    StageWizard wizard(project, /*gpus=*/{});
    wizard.show();
    wizard.next();
    QCOMPARE(wizard.currentId(), int(StageWizard::DataPage));
    auto* name = child<QLineEdit>(wizard, "tokenizerName");
    QCOMPARE(name->text(), QStringLiteral("bpe-2")); // "bpe" is taken
    auto* train = child<QPushButton>(wizard, "trainTokenizer");
    auto* cancel = child<QPushButton>(wizard, "cancelTokenizer");
    auto* status = child<QLabel>(wizard, "tokenizerStatus");

    // A taken name: the core refuses before any work, with its context.
    name->selectAll();
    QTest::keyClicks(name, QStringLiteral("bpe"));
    QTest::mouseClick(train, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(train->isEnabled(), 30000);
    QVERIFY2(status->text().contains("training tokenizer 'bpe' on dataset 'notes': a tokenizer "
                                     "named 'bpe' already exists"),
             qPrintable(status->text()));

    // Cancel right after starting: nothing is recorded or written.
    name->selectAll();
    QTest::keyClicks(name, QStringLiteral("never"));
    QTest::mouseClick(train, Qt::LeftButton);
    QVERIFY(cancel->isEnabled());
    QTest::mouseClick(cancel, Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(train->isEnabled(), 30000);
    QVERIFY2(status->text().contains("cancelled"), qPrintable(status->text()));
    auto opened = store::Project::open(project.toStdString());
    QVERIFY(!opened.database().tokenizer("never").has_value());
    QVERIFY(!std::filesystem::exists(opened.paths().tokenizers() / "never.json"));
    QVERIFY(!wizard.button(QWizard::NextButton)->isEnabled()); // still no token files
}

void TestStageWizard::gpusOfferedAndMemoryChecked()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString project = makeProject(dir, /*withTokens=*/true);
    StageWizard cpuOnly(project, /*gpus=*/{});
    QCOMPARE(child<QComboBox>(cpuOnly, "device")->count(), 1);
    QCOMPARE(child<QComboBox>(cpuOnly, "device")->currentData().toString(), QStringLiteral("cpu"));

    // Two GPUs as model::cudaDevices() would list them: each offered by name, GPU 0 first.
    const int64_t oneMb = 1 << 20;
    StageWizard withGpus(project, {{0, "Big GPU", 80'000 * oneMb}, {1, "Small GPU", oneMb}});
    auto* device = child<QComboBox>(withGpus, "device");
    QCOMPARE(device->count(), 3);
    QVERIFY2(device->itemText(1).contains("Small GPU"), qPrintable(device->itemText(1)));
    QVERIFY(withGpus.document().at("training").at("device") == "cuda");
    QVERIFY2(withGpus.memoryEstimate().contains("fits in the"),
             qPrintable(withGpus.memoryEstimate()));

    // The small one cannot hold the run: the estimate says so and what to change.
    device->setCurrentIndex(1);
    QVERIFY(withGpus.document().at("training").at("device") == "cuda:1");
    const QString tooBig = withGpus.memoryEstimate();
    QVERIFY2(tooBig.contains(QStringLiteral("of cuda:1 (Small GPU): lower the batch size or turn "
                                            "on activation checkpointing")),
             qPrintable(tooBig));
    child<QCheckBox>(withGpus, "activationCheckpointing")->setChecked(true);
    QVERIFY(withGpus.document().at("training").at("activation_checkpointing") == true);
    const QString smaller = withGpus.memoryEstimate();
    QVERIFY2(smaller.contains("lower the batch size") && !smaller.contains("checkpointing"),
             qPrintable(smaller));
    QVERIFY(smaller != tooBig); // the estimate itself shrank
}

QTEST_MAIN(TestStageWizard)
#include "test_stage_wizard.moc"
