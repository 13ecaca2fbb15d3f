// importDataset end to end on real files and a real project database: readers, the cleaning
// pipeline and the store together — what lands in documents (with splits), what lands in the
// quarantine (with step, file:line, the duplicated document, a restorable form), the stored
// report, recipes as JSON, cancelling, and the refusal to mix record kinds in one dataset.
#include "core/data/importer.h"
#include "core/store/project.h"
#include "core/util/error.h"
#include "tests/support/error_of.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>

using namespace rlhf;
using namespace rlhf::data;
namespace fs = std::filesystem;

using rlhf::testing::errorOf;

namespace {

void writeFile(const fs::path& file, std::string_view bytes)
{
    std::ofstream(file, std::ios::binary) << bytes;
}

// A ShareGPT file: 6 dialogues, one an exact duplicate of the first in other case and spacing,
// one line of broken JSON (line 4).
// (moc cannot read raw string literals that span lines: plain literals here.)
constexpr std::string_view shareGpt =
    "{\"conversations\": [{\"from\": \"human\", \"value\": \"What is the capital of France?\"}, "
    "{\"from\": \"gpt\", \"value\": \"Paris.\"}]}\n"
    "{\"conversations\": [{\"from\": \"human\", \"value\": \"Name a prime number.\"}, {\"from\": "
    "\"gpt\", \"value\": \"Seven is prime.\"}]}\n"
    "{\"conversations\": [{\"from\": \"human\", \"value\": \"WHAT IS THE   capital of France?\"}, "
    "{\"from\": \"gpt\", \"value\": \"PARIS.\"}]}\n"
    "{\"conversations\": [{\"from\": \"human\", \"value\": \"unterminated\n"
    "{\"conversations\": [{\"from\": \"human\", \"value\": \"How many legs has a spider?\"}, "
    "{\"from\": \"gpt\", \"value\": \"Eight.\"}]}\n"
    "{\"conversations\": [{\"from\": \"human\", \"value\": \"Spell cat backwards.\"}, {\"from\": "
    "\"gpt\", \"value\": \"tac\"}]}\n"
    "{\"conversations\": [{\"from\": \"human\", \"value\": \"Is water wet?\"}, {\"from\": \"gpt\", "
    "\"value\": \"Yes,\\u200b mostly.\"}]}\n";

} // namespace

class TestImporter : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_root = fs::path(m_dir.path().toStdString()) / QTest::currentTestFunction();
        m_project.emplace(store::Project::create(m_root / "project"));
    }

    void chatImportWithQuarantine()
    {
        const fs::path file = m_root / "dialogs.jsonl";
        writeFile(file, shareGpt);
        ImportRecipe recipe;
        recipe.dataset = "dialogs";
        recipe.files = {file};
        recipe.split = {.valFraction = 0.3, .testFraction = 0.0, .seed = 7};
        const ImportReport report = importDataset(*m_project, recipe);

        QCOMPARE(report.kind, RecordKind::Chat);
        QCOMPARE(report.records, int64_t(6));
        QCOMPARE(report.readProblems, int64_t(1));
        QCOMPARE(report.imported, int64_t(5));
        QCOMPARE(report.quarantined, int64_t(2));
        QCOMPARE(report.train + report.val + report.test, report.imported);

        store::Database& database = m_project->database();
        const auto dataset = database.datasetByName("dialogs");
        QVERIFY(dataset);
        QCOMPARE(dataset->kind, store::DatasetKind::Chat);
        QCOMPARE(database.documentCount(dataset->id), int64_t(5));
        QCOMPARE(database.documentCount(dataset->id, "val"), report.val);

        // Documents are chat JSON, cleaned: the zero-width space is gone.
        const auto documents = database.documents(dataset->id, 0, 10);
        const Record first = fromDocumentText(RecordKind::Chat, documents[0].text);
        QCOMPARE(first.messages.size(), size_t(2));
        QCOMPARE(first.messages[0].role, std::string("user"));
        QCOMPARE(first.messages[1].content, std::string("Paris."));
        QCOMPARE(documents[0].sourceLine, int64_t(1));
        const Record last = fromDocumentText(RecordKind::Chat, documents[4].text);
        QCOMPARE(last.messages[1].content, std::string("Yes, mostly."));
        QCOMPARE(documents[4].sourceLine, int64_t(7));

        // Quarantine: the broken line with its line number, the duplicate with its original.
        const auto rows = database.rejectedRows(dataset->id);
        QCOMPARE(rows.size(), size_t(2));
        const auto& duplicate = rows[0].step == "exact_dedup" ? rows[0] : rows[1];
        const auto& broken = rows[0].step == "read" ? rows[0] : rows[1];
        QCOMPARE(broken.step, std::string("read"));
        QCOMPARE(broken.sourceLine, int64_t(4));
        QCOMPARE(broken.sourceFile, file.string());
        QVERIFY(!broken.document);
        QCOMPARE(duplicate.sourceLine, int64_t(3));
        QCOMPARE(duplicate.duplicateOf.value_or(-1), int64_t(0));
        QVERIFY(duplicate.document);

        // Restoring the duplicate appends it, in the split the import gave it.
        const int64_t ordinal = database.restoreRejected(duplicate.id);
        QCOMPARE(ordinal, int64_t(5));
        const auto restored = database.documents(dataset->id, 5, 1).at(0);
        QCOMPARE(restored.split, duplicate.split);
        QVERIFY(QString::fromStdString(restored.text).contains("WHAT IS THE capital"));

        // The report is stored with the dataset, readable as JSON.
        const auto stored = nlohmann::json::parse(database.dataset(dataset->id)->reportJson);
        QCOMPARE(stored["imported"].get<int64_t>(), int64_t(5));
        QCOMPARE(stored["steps"].size(), recipe.cleaning.steps.size());
    }

    void appendsAcrossFormatsAndRefusesOtherKinds()
    {
        const fs::path csv = m_root / "alpaca.csv";
        writeFile(csv, "instruction,input,output\r\n"
                       "Add the numbers,\"2, 3\",5\r\n"
                       "\"Say \"\"hi\"\"\",,\"hi\nthere\"\r\n");
        const fs::path jsonl = m_root / "alpaca.jsonl";
        writeFile(jsonl, R"({"instruction": "Double it", "input": "4", "output": "8"})"
                         "\n");
        ImportRecipe recipe;
        recipe.dataset = "alpaca";
        recipe.files = {csv, jsonl};
        const ImportReport report = importDataset(*m_project, recipe);
        QCOMPARE(report.kind, RecordKind::Chat);
        QCOMPARE(report.imported, int64_t(3));
        const auto dataset = m_project->database().datasetByName("alpaca");
        const auto documents = m_project->database().documents(dataset->id, 0, 10);
        const Record hi = fromDocumentText(RecordKind::Chat, documents[1].text);
        QCOMPARE(hi.messages[0].content, std::string("Say \"hi\""));
        QCOMPARE(hi.messages[1].content, std::string("hi\nthere"));
        QCOMPARE(fromDocumentText(RecordKind::Chat, documents[0].text).messages[0].content,
                 std::string("Add the numbers\n\n2, 3"));
        QCOMPARE(documents[2].sourceFile, jsonl.string());

        // Plain text cannot join a chat dataset: the whole import is refused, nothing added.
        const fs::path text = m_root / "plain.txt";
        writeFile(text, "just a line\n");
        recipe.files = {text};
        recipe.read.format = FileFormat::Text;
        const QString error = errorOf([&] { importDataset(*m_project, recipe); });
        QVERIFY2(error.contains("holds chat documents"), qPrintable(error));
        QCOMPARE(m_project->database().documentCount(dataset->id), int64_t(3));
    }

    void cancelKeepsWhatWasProcessed()
    {
        const fs::path file = m_root / "lines.txt";
        std::string lines;
        for (int i = 0; i < 20000; ++i)
            lines += "line number " + std::to_string(i) + "\n";
        writeFile(file, lines);
        ImportRecipe recipe;
        recipe.dataset = "lines";
        recipe.files = {file};
        recipe.read.format = FileFormat::Text;
        recipe.batchDocuments = 1000;
        int calls = 0;
        bool bytesInRange = true;
        const ImportReport report =
            importDataset(*m_project, recipe, [&](const ImportProgress& progress) -> bool {
                ++calls;
                bytesInRange = bytesInRange && progress.bytesDone <= progress.bytesTotal;
                return false; // cancel at the first report
            });
        QVERIFY(report.cancelled);
        QVERIFY(calls >= 1);
        QVERIFY(bytesInRange);
        QVERIFY2(report.imported > 0 && report.imported < 20000,
                 qPrintable(QString::number(report.imported)));
        const auto dataset = m_project->database().datasetByName("lines");
        QCOMPARE(m_project->database().documentCount(dataset->id), report.imported);
    }

    void recipeJsonRoundTripAndStrictErrors()
    {
        ImportRecipe recipe;
        recipe.dataset = "d";
        recipe.files = {"a.jsonl", "b.csv.gz"};
        recipe.read.shape = RecordShape::Alpaca;
        recipe.read.mapping = {{"instruction", "prompt_text"}};
        recipe.cleaning.steps.push_back({.kind = StepKind::NearDedup, .jaccardThreshold = 0.7});
        recipe.split = {.valFraction = 0.1, .testFraction = 0.05, .seed = 3};
        recipe.tokenizer = "bpe";
        const ImportRecipe back = ImportRecipe::fromJson(recipe.toJson());
        QCOMPARE(back.toJson(), recipe.toJson());
        QCOMPARE(back.read.mapping.at("instruction"), std::string("prompt_text"));
        QCOMPARE(back.cleaning.steps.back().jaccardThreshold, 0.7);

        auto errorFor = [](std::string_view json) {
            return errorOf([&] { ImportRecipe::fromJson(json); });
        };
        QVERIFY(errorFor(R"({"dataset": "d", "files": ["a"], "formt": "csv"})").contains("formt"));
        QVERIFY(errorFor(R"({"dataset": "d", "files": []})").contains("files"));
        QVERIFY(errorFor(R"({"dataset": "d", "files": ["a"], "split": {"val": 0.9, "test": 0.2}})")
                    .contains("split"));
        QVERIFY(errorFor(R"({"dataset": "d", "files": ["a"], "shape": "sharegtp"})")
                    .contains("sharegtp"));
        QVERIFY(errorFor(R"({"dataset": "d", "files": ["a"], "mapping": {"text": 3}})")
                    .contains("mapping"));
    }

    void previewShowsWhatCleaningRemoves()
    {
        const fs::path file = m_root / "dialogs.jsonl";
        writeFile(file, shareGpt);
        ImportRecipe recipe;
        recipe.files = {file};
        const CleaningPreview preview = previewCleaning(recipe, 4);
        QCOMPARE(preview.records, int64_t(4)); // stopped after four records
        QCOMPARE(preview.readProblems, int64_t(1));
        QCOMPARE(preview.removed.size(), size_t(1));
        QCOMPARE(preview.removed[0].second.step, std::string("exact_dedup"));
        QCOMPARE(preview.kept.size(), size_t(3));
        QCOMPARE(preview.steps.size(), recipe.cleaning.steps.size());
    }

private:
    QTemporaryDir m_dir;
    fs::path m_root;
    std::optional<store::Project> m_project;
};

QTEST_GUILESS_MAIN(TestImporter)
#include "test_importer.moc"
