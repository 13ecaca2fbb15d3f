// The import under the faults a careless user and a crashing machine produce, on real files in a
// temporary folder and a real project database: a gzip file cut short or corrupted (the rows
// before the damage kept, the damage quarantined with its byte offset, the next file read), the
// same file imported twice (refused, or with force deduplicated against the dataset), a CSV / TSV
// quote that never closes (its line quarantined, the rows after it read), binary files, and
// failed imports that must leave no dataset behind. The last case drives `rlhf import --force`.
#include "core/data/importer.h"
#include "core/store/project.h"
#include "core/util/error.h"
#include "tests/support/error_of.h"
#include "tests/support/run_cli.h"

#include <QTemporaryDir>
#include <QTest>

#include <zlib.h>

#include <filesystem>
#include <fstream>

using namespace rlhf;
using namespace rlhf::data;
namespace fs = std::filesystem;
using rlhf::testing::errorOf;

namespace {

void writeFile(const fs::path& file, std::string_view bytes)
{
    std::ofstream(file, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string row(const std::string& text)
{
    return "{\"text\": \"" + text + "\"}\n";
}

// `head` then `tail` gzip-compressed as one member, with a full flush between them: the
// compressed bytes up to `flushedAt` decode to exactly `head`.
struct Gzipped {
    std::string bytes;
    size_t flushedAt = 0;
};
Gzipped gzip(std::string_view head, std::string_view tail)
{
    z_stream stream{};
    deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY); // 16: gzip header
    Gzipped out;
    out.bytes.resize(deflateBound(&stream, head.size() + tail.size()) + 256);
    stream.next_out = reinterpret_cast<Bytef*>(out.bytes.data());
    stream.avail_out = static_cast<uInt>(out.bytes.size());
    const auto feed = [&](std::string_view bytes, int flush) {
        stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
        stream.avail_in = static_cast<uInt>(bytes.size());
        deflate(&stream, flush);
    };
    feed(head, Z_FULL_FLUSH);
    out.flushedAt = stream.total_out;
    feed(tail, Z_FINISH);
    out.bytes.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

// Four whole rows, then rows 5-40 of varied text (so the compressed tail is long).
std::string fourRows()
{
    return row("first whole row") + row("second whole row") + row("third whole row") +
           row("fourth whole row");
}
std::string laterRows()
{
    std::string rows;
    for (int i = 5; i <= 40; ++i)
        rows += row("later row " + std::to_string(i * 7919) + " of the file " +
                    std::to_string(i * i * 31));
    return rows;
}

} // namespace

class TestImportFaults : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_root = fs::path(m_dir.path().toStdString()) / QTest::currentTestFunction();
        m_project.emplace(store::Project::create(m_root / "project"));
    }

    // Before: 0 rows (the cut stream threw and the batch was never written) and an empty
    // dataset left behind.
    void truncatedGzipKeepsTheRowsBeforeTheCut()
    {
        const Gzipped gz = gzip(fourRows(), laterRows());
        const fs::path file = m_root / "truncated.jsonl.gz";
        writeFile(file, gz.bytes);
        fs::resize_file(file, gz.flushedAt + 40); // a few bytes into row 5's block
        const ImportReport report = importDataset(*m_project, recipe("cut", {file}));
        QCOMPARE(report.imported, int64_t(4));
        QCOMPARE(report.readProblems, int64_t(1));
        QCOMPARE(texts("cut").back(), std::string("fourth whole row"));
        const auto rows = quarantine("cut");
        QCOMPARE(rows.size(), size_t(1));
        QCOMPARE(rows[0].sourceFile, file.string());
        QCOMPARE(rows[0].sourceLine, int64_t(5));
        QVERIFY2(rows[0].reason.find("gzip stream cut short at byte " +
                                     std::to_string(gz.flushedAt + 40)) != std::string::npos,
                 rows[0].reason.c_str());
        QVERIFY2(rows[0].reason.find("rows before line 5 were read") != std::string::npos,
                 rows[0].reason.c_str());

        // Cut exactly at a row boundary: the four rows, and the cut reported at line 5.
        writeFile(file, gz.bytes.substr(0, gz.flushedAt));
        const ImportReport exact = importDataset(*m_project, recipe("exact", {file}));
        QCOMPARE(exact.imported, int64_t(4));
        QCOMPARE(quarantine("exact").at(0).sourceLine, int64_t(5));
    }

    // Before: the corrupt stream threw.
    void corruptGzipKeepsTheRowsBeforeTheDamage()
    {
        const Gzipped gz = gzip(fourRows(), laterRows());
        std::string bytes = gz.bytes;
        for (size_t i = gz.flushedAt + 2; i < gz.flushedAt + 30; ++i)
            bytes[i] = static_cast<char>(~bytes[i]);
        const fs::path file = m_root / "corrupt.jsonl.gz";
        writeFile(file, bytes);
        const ImportReport report = importDataset(*m_project, recipe("corrupt", {file}));
        QVERIFY2(report.imported >= 4, qPrintable(QString::number(report.imported)));
        QCOMPARE(texts("corrupt").at(3), std::string("fourth whole row"));
        const auto rows = quarantine("corrupt");
        QVERIFY(!rows.empty());
        QVERIFY2(rows.back().reason.find("corrupt gzip stream") != std::string::npos,
                 rows.back().reason.c_str());
        QCOMPARE(rows.back().sourceFile, file.string());
    }

    // Before: the bad file's exception stopped the import; the good files' rows were lost.
    void oneBadGzipDoesNotDropTheOtherFiles()
    {
        const fs::path first = m_root / "first.jsonl", last = m_root / "last.jsonl";
        writeFile(first, row("from the first file") + row("also from the first file"));
        writeFile(last, row("from the last file"));
        const Gzipped gz = gzip(fourRows(), laterRows());
        const fs::path bad = m_root / "bad.jsonl.gz";
        writeFile(bad, gz.bytes.substr(0, gz.bytes.size() / 2));
        const fs::path garbage = m_root / "garbage.jsonl.gz";
        writeFile(garbage, "\x1f\x8bnot a deflate stream at all");
        const ImportReport report =
            importDataset(*m_project, recipe("mixed", {first, bad, garbage, last}));
        const auto all = texts("mixed");
        QCOMPARE(all.front(), std::string("from the first file"));
        QCOMPARE(all.back(), std::string("from the last file"));
        QVERIFY(all.size() >= 2 + 4 + 1);
        const auto rows = quarantine("mixed");
        QCOMPARE(rows.size(), size_t(2));
        QCOMPARE(rows[0].sourceFile, bad.string());
        QCOMPARE(rows[1].sourceFile, garbage.string());
        QVERIFY2(rows[1].reason.find("nothing before it could be decoded") != std::string::npos,
                 rows[1].reason.c_str());
        QCOMPARE(report.readProblems, int64_t(2));
    }

    // Before: the second import doubled the dataset, exact dedup on or not.
    void theSameFileTwiceIsRefused()
    {
        const fs::path file = m_root / "rows.jsonl";
        writeFile(file, fourRows());
        QCOMPARE(importDataset(*m_project, recipe("twice", {file})).imported, int64_t(4));
        // Named another way (a "./" in the path): still the same file.
        const fs::path again = m_root / "." / "rows.jsonl";
        const QString error = errorOf([&] { importDataset(*m_project, recipe("twice", {again})); });
        QVERIFY2(error.contains(QString::fromStdString(again.string())) &&
                     error.contains("imported into dataset 'twice' already") &&
                     error.contains("--force"),
                 qPrintable(error));
        QCOMPARE(texts("twice").size(), size_t(4));
        QVERIFY(errorOf([&] {
                    importDataset(*m_project, recipe("both", {file, again}));
                }).contains("given twice"));
        QVERIFY(!m_project->database().datasetByName("both"));

        // With force: exact dedup sees the four documents, so nothing is added twice.
        ImportRecipe forced = recipe("twice", {file});
        forced.force = true;
        const ImportReport report = importDataset(*m_project, forced);
        QCOMPARE(report.existing, int64_t(4));
        QCOMPARE(report.imported, int64_t(0));
        QCOMPARE(report.quarantined, int64_t(4));
        QCOMPARE(texts("twice").size(), size_t(4));
        const auto rows = quarantine("twice");
        QCOMPARE(rows.at(3).step, std::string("exact_dedup"));
        QCOMPARE(rows.at(3).duplicateOf.value_or(-1), int64_t(3));

        // A copy under another name is no repeat, but its rows are duplicates all the same.
        const fs::path copy = m_root / "copy.jsonl";
        writeFile(copy, fourRows() + row("a new row"));
        QCOMPARE(importDataset(*m_project, recipe("twice", {copy})).imported, int64_t(1));
        QCOMPARE(texts("twice").size(), size_t(5));
    }

    // Before: the unclosed quote ran to the end of the file, taking the rows after it along.
    void unclosedQuoteToTheEndOfTheFile()
    {
        const fs::path file = m_root / "unclosed.csv";
        writeFile(file, "text,label\n\"alpha,1\nbeta,2\ngamma,3\n");
        const ImportReport report = importDataset(*m_project, recipe("csv", {file}));
        QCOMPARE(texts("csv"), (std::vector<std::string>{"beta", "gamma"}));
        const auto rows = quarantine("csv");
        QCOMPARE(rows.size(), size_t(1));
        QCOMPARE(rows[0].sourceLine, int64_t(2));
        QVERIFY2(rows[0].reason.find("unclosed quote: the quoted field opened on line 2 runs to "
                                     "the end of the file") != std::string::npos,
                 rows[0].reason.c_str());
        QCOMPARE(report.readProblems, int64_t(1));

        // The same in a TSV file.
        const fs::path tsv = m_root / "unclosed.tsv";
        writeFile(tsv, "text\tlabel\n\"alpha\t1\nbeta\t2\n");
        importDataset(*m_project, recipe("tsv", {tsv}));
        QCOMPARE(texts("tsv"), (std::vector<std::string>{"beta"}));
        QCOMPARE(quarantine("tsv").at(0).sourceLine, int64_t(2));
    }

    // Before: lines 2-4 were one record "one\ntwo\nthree\"".
    void unclosedQuoteClosedByALaterQuote()
    {
        const fs::path file = m_root / "swallow.csv";
        writeFile(file, "text\n\"one\ntwo\n\"three\"\nfour\n\"multi\nline cell\"\n");
        importDataset(*m_project, recipe("swallow", {file}));
        QCOMPARE(texts("swallow"),
                 (std::vector<std::string>{"two", "three", "four", "multi\nline cell"}));
        const auto swallowed = quarantine("swallow");
        QCOMPARE(swallowed.size(), size_t(1));
        QCOMPARE(swallowed[0].sourceLine, int64_t(2));
        QVERIFY2(swallowed[0].reason.find("closes on line 4 with text after the closing quote") !=
                     std::string::npos,
                 swallowed[0].reason.c_str());

        // A multi-line row left with another field count than the header.
        const fs::path columns = m_root / "columns.csv";
        writeFile(columns, "text,label\n\"x,1\ny,2\nz\"\nw,4\n");
        importDataset(*m_project, recipe("columns", {columns}));
        QCOMPARE(texts("columns"), (std::vector<std::string>{"y", "w"}));
        const auto rows = quarantine("columns");
        QCOMPARE(rows.size(), size_t(2)); // line 2, and line 4 read again: one field of two
        QVERIFY2(rows[0].reason.find("ends a row of 1 fields where the header has 2") !=
                     std::string::npos,
                 rows[0].reason.c_str());
        QCOMPARE(rows[1].sourceLine, int64_t(4));
    }

    // Before: 1,200 rows were one record, the quote closing on line 1,203.
    void unclosedQuoteRunningPastTheLineLimit()
    {
        std::string csv = "text,label\n\"start,1\n";
        for (int i = 1; i <= 1200; ++i)
            csv += "row " + std::to_string(i) + ",1\n";
        csv += "end\",2\n";
        const fs::path file = m_root / "long.csv";
        writeFile(file, csv);
        const ImportReport report = importDataset(*m_project, recipe("long", {file}));
        QCOMPARE(report.imported, int64_t(1201));
        QCOMPARE(texts("long").front(), std::string("row 1"));
        const auto rows = quarantine("long");
        QCOMPARE(rows.size(), size_t(1));
        QCOMPARE(rows[0].sourceLine, int64_t(2));
        QVERIFY2(rows[0].reason.find("runs past 1000 lines") != std::string::npos,
                 rows[0].reason.c_str());

        // A real cell of 1,200 lines passes under a raised limit.
        ImportRecipe raised = recipe("raised", {file});
        raised.read.maxQuotedLines = 2000;
        QCOMPARE(importDataset(*m_project, raised).imported, int64_t(1));
    }

    // Before: an all-NUL file was imported as one empty document, random bytes as documents of
    // replacement characters.
    void binaryFilesAreNotText()
    {
        const fs::path zeros = m_root / "zeros.dat";
        writeFile(zeros, std::string(4096, '\0'));
        const QString error = errorOf([&] { importDataset(*m_project, recipe("bin", {zeros})); });
        QVERIFY2(error.contains(QString::fromStdString(zeros.string()) +
                                ":1: binary data, not text (100% of the first 4096 bytes are "
                                "NUL, control characters or invalid UTF-8; the first NUL at byte "
                                "0, line 1)"),
                 qPrintable(error));
        QVERIFY(!m_project->database().datasetByName("bin"));

        std::string noise(8192, '\0');
        uint32_t state = 12345;
        for (char& c : noise) {
            state = state * 1664525u + 1013904223u;
            c = static_cast<char>(0x80 | (state >> 24)); // high bytes, no NUL: not UTF-8
        }
        const fs::path random = m_root / "noise.txt";
        writeFile(random, noise);
        const fs::path good = m_root / "good.txt";
        writeFile(good, "a line of text\n\xe2\x80\x8b\xe2\x80\x8b\n"); // then zero-width only
        const ImportReport report = importDataset(*m_project, recipe("mixed", {random, good}));
        QCOMPARE(texts("mixed"), (std::vector<std::string>{"a line of text"}));
        const auto rows = quarantine("mixed");
        QCOMPARE(rows.size(), size_t(2));
        QCOMPARE(rows[0].sourceFile, random.string());
        QVERIFY2(rows[0].reason.find("invalid UTF-8") != std::string::npos, rows[0].reason.c_str());
        QCOMPARE(rows[1].step, std::string("empty"));
        QCOMPARE(report.imported, int64_t(1));
    }

    // Before: a failure after the dataset was made (a missing tokenizer, a file that would not
    // open) left it behind, empty or half-filled; one of the wrong kind blocked the name for the
    // right files. Files that hold no record made an empty dataset.
    void failedImportsLeaveNothingBehind()
    {
        const fs::path text = m_root / "rows.jsonl";
        writeFile(text, fourRows());
        ImportRecipe noTokenizer = recipe("chats", {text});
        noTokenizer.tokenizer = "missing";
        QVERIFY(errorOf([&] { importDataset(*m_project, noTokenizer); }).contains("missing"));
        QVERIFY(!m_project->database().datasetByName("chats"));

        const fs::path garbage = m_root / "broken.jsonl.gz";
        writeFile(garbage, "\x1f\x8b\x08garbage");
        const QString error =
            errorOf([&] { importDataset(*m_project, recipe("chats", {garbage})); });
        QVERIFY2(error.contains("nothing to import") && error.contains("broken.jsonl.gz:1"),
                 qPrintable(error));
        QVERIFY(!m_project->database().datasetByName("chats"));

        const fs::path empty = m_root / "empty.txt";
        writeFile(empty, "");
        const QString nothing =
            errorOf([&] { importDataset(*m_project, recipe("chats", {empty})); });
        QVERIFY2(nothing.contains("holds no records"), qPrintable(nothing));
        const fs::path zeros = m_root / "zeros.dat"; // before: one empty document
        writeFile(zeros, std::string(4096, '\0'));
        QVERIFY(!errorOf([&] { importDataset(*m_project, recipe("chats", {zeros})); }).isEmpty());
        QVERIFY(m_project->database().datasets().empty());

        // A failure after batches were written: a Cornell folder without movie_lines.txt
        // after a chat file, one document per transaction.
        const fs::path chat = m_root / "chat.jsonl";
        writeFile(chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi there\"}, "
                        "{\"role\": \"assistant\", \"content\": \"hello\"}]}\n");
        const fs::path cornell = m_root / "cornell";
        fs::create_directories(cornell);
        writeFile(cornell / "movie_conversations.txt",
                  "u0 +++$+++ u2 +++$+++ m0 +++$+++ ['L1', 'L2']\n");
        ImportRecipe failing = recipe("chats", {chat, cornell});
        failing.batchDocuments = 1;
        QVERIFY(errorOf([&] { importDataset(*m_project, failing); }).contains("movie_lines"));
        QVERIFY(!m_project->database().datasetByName("chats"));

        // The name is free for the right files; a failed append takes out only its own rows.
        QCOMPARE(importDataset(*m_project, recipe("chats", {chat})).kind, RecordKind::Chat);
        const fs::path more = m_root / "more.jsonl";
        writeFile(more, "{\"messages\": [{\"role\": \"user\", \"content\": \"again\"}, "
                        "{\"role\": \"assistant\", \"content\": \"yes\"}]}\n");
        failing.files = {more, cornell};
        QVERIFY(!errorOf([&] { importDataset(*m_project, failing); }).isEmpty());
        QCOMPARE(texts("chats").size(), size_t(1));
    }

    // `rlhf import` refuses the repeat naming file and dataset; --force deduplicates it.
    void cliRefusesARepeatUnlessForced()
    {
        const QString project = QString::fromStdString((m_root / "cli").string());
        const QString file = QString::fromStdString((m_root / "rows.jsonl").string());
        writeFile(file.toStdString(), fourRows());
        QCOMPARE(test_support::runCli({"init", project}).exitCode, 0);
        const QStringList import = {"import", "-p", project, "-n", "d", file};
        QCOMPARE(test_support::runCli(import).exitCode, 0);
        const auto again = test_support::runCli(import);
        QCOMPARE(again.exitCode, 1);
        QVERIFY2(again.err.contains(file + " was imported into dataset 'd' already"),
                 qPrintable(again.err));
        const auto forced = test_support::runCli(import + QStringList{"--force"});
        QCOMPARE(forced.exitCode, 0);
        QVERIFY2(forced.out.contains("4 records read, 0 imported") &&
                     forced.out.contains("compared against the 4 documents"),
                 qPrintable(forced.out + forced.err));
    }

private:
    ImportRecipe recipe(const std::string& dataset, std::vector<fs::path> files) const
    {
        ImportRecipe recipe;
        recipe.dataset = dataset;
        recipe.files = std::move(files);
        recipe.split.valFraction = 0;
        return recipe;
    }
    std::vector<std::string> texts(const std::string& dataset) const
    {
        auto& database = m_project->database();
        std::vector<std::string> result;
        for (const auto& document : database.documents(database.datasetByName(dataset)->id, 0, -1))
            result.push_back(document.text);
        return result;
    }
    std::vector<store::RejectedRow> quarantine(const std::string& dataset) const
    {
        auto& database = m_project->database();
        return database.rejectedRows(database.datasetByName(dataset)->id);
    }
    QTemporaryDir m_dir;
    fs::path m_root;
    std::optional<store::Project> m_project;
};

QTEST_GUILESS_MAIN(TestImportFaults)
#include "test_import_faults.moc"
