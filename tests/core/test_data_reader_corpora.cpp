// The corpus readers on fixtures in the published layouts: Cornell Movie-Dialogs (ISO-8859-1
// " +++$+++ " files, folder or file path), Stack Exchange Posts.xml (question -> accepted
// answer) and Reddit comment dumps (parent -> reply), each with its malformed rows reported.
#include "core/data/readers/reader.h"
#include "tests/support/record_collector.h"

#include <QTemporaryDir>
#include <QTest>

#include <zlib.h>

#include <filesystem>
#include <fstream>

using namespace rlhf::data;
using rlhf::testing::Collect;
using rlhf::testing::readAll;
using rlhf::testing::writeFile;
namespace fs = std::filesystem;

namespace {

std::vector<Message> dialogue(std::initializer_list<const char*> turns)
{
    std::vector<Message> messages;
    for (const char* turn : turns)
        messages.push_back({messages.size() % 2 == 0 ? "user" : "assistant", turn});
    return messages;
}

} // namespace

class TestDataReaderCorpora : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void cornell();
    void stackExchange();
    void stackExchangeBrokenXml();
    void reddit();
    void cancelStopsReading();

private:
    QTemporaryDir m_dir;
    fs::path path(const std::string& name) const
    {
        return fs::path(m_dir.path().toStdString()) / name;
    }
};

void TestDataReaderCorpora::cornell()
{
    const fs::path folder = path("cornell");
    fs::create_directories(folder);
    // ISO-8859-1 as published: "caf\xe9" is "café".
    writeFile(folder / "movie_lines.txt",
              "L1045 +++$+++ u0 +++$+++ m0 +++$+++ BIANCA +++$+++ They do not!\n"
              "L1044 +++$+++ u2 +++$+++ m0 +++$+++ CAMERON +++$+++ They do to!\n"
              "L985 +++$+++ u0 +++$+++ m0 +++$+++ BIANCA +++$+++ I hope so.\n"
              "L984 +++$+++ u2 +++$+++ m0 +++$+++ CAMERON +++$+++ She okay?\n"
              "L925 +++$+++ u0 +++$+++ m0 +++$+++ BIANCA +++$+++ Let's go to the caf\xe9.\n"
              "broken line without separators\n");
    writeFile(folder / "movie_conversations.txt",
              "u0 +++$+++ u2 +++$+++ m0 +++$+++ ['L1044', 'L1045']\n"
              "u0 +++$+++ u2 +++$+++ m0 +++$+++ ['L984', 'L985', 'L925']\n"
              "u0 +++$+++ u2 +++$+++ m0 +++$+++ ['L984', 'L999']\n"
              "u0 +++$+++ u2 +++$+++ m0 +++$+++ not a list\n"
              "u0 +++$+++ u2 +++$+++ m0 +++$+++ ['L1045', 'L925']\n");
    for (const fs::path& given :
         {folder, folder / "movie_conversations.txt", folder / "movie_lines.txt"}) {
        const Detection detection = detectFormat(given);
        QCOMPARE(detection.format, FileFormat::Cornell);
        QCOMPARE(detection.kind, RecordKind::Chat);
        Collect sink;
        const ReadSummary summary = readRecords(given, {}, sink);
        QCOMPARE(summary.records, int64_t(3));
        QCOMPARE(sink.records.size(), size_t(3));
        QCOMPARE(sink.records[0].messages, dialogue({"They do to!", "They do not!"}));
        QCOMPARE(sink.records[1].messages,
                 dialogue({"She okay?", "I hope so.", "Let's go to the caf\xc3\xa9."}));
        QCOMPARE(sink.records[1].kind, RecordKind::Chat);
        QCOMPARE(sink.records[2].source,
                 (SourceLocation{(folder / "movie_conversations.txt").string(), 5}));
        QCOMPARE(sink.problems.size(), size_t(3));
        QCOMPARE(sink.problems[0].source,
                 (SourceLocation{(folder / "movie_lines.txt").string(), 6}));
        QCOMPARE(sink.problems[1].source.line, int64_t(3));
        QVERIFY(sink.problems[1].reason.find("L999") != std::string::npos);
        QCOMPARE(sink.problems[2].source.line, int64_t(4));
    }
    const PreviewTable preview = previewTable(folder, {}, 2);
    QCOMPARE(preview.rows.size(), size_t(2));
    QCOMPARE(preview.columns.size(), size_t(3)); // turns 1-3
}

void TestDataReaderCorpora::stackExchange()
{
    const fs::path file = path("Posts.xml");
    writeFile(
        file,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        "<posts>\n"
        "  <row Id=\"1\" PostTypeId=\"1\" AcceptedAnswerId=\"3\" Title=\"How to sort?\" "
        "Body=\"&lt;p&gt;My list &amp; me&lt;/p&gt;\" />\n"
        "  <row Id=\"2\" PostTypeId=\"1\" AcceptedAnswerId=\"9\" Title=\"Orphan\" "
        "Body=\"&lt;p&gt;never answered&lt;/p&gt;\" />\n"
        "  <row Id=\"3\" PostTypeId=\"2\" ParentId=\"1\" Body=\"&lt;p&gt;Use sort()&lt;/p&gt;\" "
        "/>\n"
        "  <row Id=\"4\" PostTypeId=\"2\" ParentId=\"1\" Body=\"not accepted\" />\n"
        "  <row Id=\"5\" PostTypeId=\"1\" Title=\"No accepted answer\" Body=\"b\" />\n"
        "  <row Id=\"6\" PostTypeId=\"1\" AcceptedAnswerId=\"7\" Title=\"Second\" Body=\"q\" />\n"
        "  <row Id=\"7\" PostTypeId=\"2\" ParentId=\"6\" Body=\"a\" />\n"
        "</posts>\n");
    QCOMPARE(detectFormat(file).format, FileFormat::StackExchange);
    Collect sink;
    readRecords(file, {}, sink);
    QCOMPARE(sink.records.size(), size_t(2));
    QCOMPARE(sink.records[0].messages,
             dialogue({"How to sort?\n\n<p>My list & me</p>", "<p>Use sort()</p>"}));
    QCOMPARE(sink.records[0].source.line, int64_t(3));
    QCOMPARE(sink.records[1].messages, dialogue({"Second\n\nq", "a"}));
    QCOMPARE(sink.records[1].source.line, int64_t(8));
    QCOMPARE(sink.problems.size(), size_t(1));
    QCOMPARE(sink.problems[0].source.line, int64_t(4));
    QCOMPARE(sink.problems[0].field, std::string("AcceptedAnswerId"));
    QVERIFY(sink.problems[0].reason.find("9") != std::string::npos);
}

void TestDataReaderCorpora::stackExchangeBrokenXml()
{
    const fs::path file = path("broken.xml");
    writeFile(file,
              "<posts>\n"
              "<row Id=\"1\" PostTypeId=\"1\" AcceptedAnswerId=\"2\" Title=\"T\" Body=\"q\"/>\n"
              "<row Id=\"2\" PostTypeId=\"2\" Body=\"a\"/>\n"
              "<row Id=\"3\" PostTypeId=\"1\" Body=\"unclosed/>\n");
    Collect sink;
    ReadOptions options;
    options.format = FileFormat::StackExchange;
    readRecords(file, options, sink);
    QCOMPARE(sink.records.size(), size_t(1));
    QCOMPARE(sink.problems.size(), size_t(1));
    QVERIFY(sink.problems[0].reason.find("invalid XML") != std::string::npos);
    QVERIFY(sink.problems[0].source.line >= 4);
}

void TestDataReaderCorpora::reddit()
{
    const fs::path file = path("RC_2015-01");
    writeFile(
        file,
        "{\"id\":\"c1\",\"parent_id\":\"t3_s1\",\"body\":\"Top level\",\"author\":\"a\"}\n"
        "{\"id\":\"c2\",\"parent_id\":\"t1_c1\",\"body\":\"A reply\",\"author\":\"b\"}\n"
        "{\"id\":\"c3\",\"parent_id\":\"t1_c1\",\"body\":\"[deleted]\",\"author\":\"[deleted]\"}\n"
        "{\"id\":\"c4\",\"parent_id\":\"t1_c3\",\"body\":\"reply to deleted\",\"author\":\"c\"}\n"
        "{\"id\":\"c5\",\"parent_id\":\"t1_c2\",\"body\":\"Deeper\",\"author\":\"a\"}\n"
        "{\"id\":\"c6\",\"parent_id\":\"t1_c2\",\"author\":\"a\"}\n"
        "{\"id\":\"c7\",\"parent_id\":\"t1_c2\",\"body\":[],\"author\":\"a\"}\n");
    const Detection detection = detectFormat(file);
    QCOMPARE(detection.format, FileFormat::Reddit);
    QCOMPARE(detection.kind, RecordKind::Chat);
    Collect sink;
    readRecords(file, {}, sink);
    QCOMPARE(sink.records.size(), size_t(2));
    QCOMPARE(sink.records[0].messages, dialogue({"Top level", "A reply"}));
    QCOMPARE(sink.records[0].source.line, int64_t(2));
    QCOMPARE(sink.records[1].messages, dialogue({"A reply", "Deeper"}));
    QCOMPARE(sink.problems.size(), size_t(4));
    QCOMPARE(sink.problems[0].source.line, int64_t(3));
    QCOMPARE(sink.problems[0].field, std::string("body"));
    QVERIFY(sink.problems[0].reason.find("[deleted]") != std::string::npos);
    QCOMPARE(sink.problems[1].source.line, int64_t(4));
    QCOMPARE(sink.problems[1].field, std::string("parent_id"));
    QCOMPARE(sink.problems[2].field, std::string("body"));
    QCOMPARE(sink.problems[2].source.line, int64_t(6));
    QCOMPARE(sink.problems[3].field, std::string("body"));
    QCOMPARE(sink.problems[3].source.line, int64_t(7));
}

void TestDataReaderCorpora::cancelStopsReading()
{
    class StopAfterTwo : public Collect {
    public:
        bool record(Record&& record) override
        {
            Collect::record(std::move(record));
            return records.size() < 2;
        }
    };
    std::string text;
    for (int i = 0; i < 100; ++i)
        text += "line " + std::to_string(i) + "\n";
    writeFile(path("cancel.txt"), text);
    StopAfterTwo sink;
    const ReadSummary summary = readRecords(path("cancel.txt"), {}, sink);
    QVERIFY(summary.cancelled);
    QCOMPARE(sink.records.size(), size_t(2));
}

QTEST_GUILESS_MAIN(TestDataReaderCorpora)
#include "test_data_reader_corpora.moc"
