// The format readers on fixture files written here: text units, JSONL and JSON arrays in every
// record shape, CSV/TSV, the malformed corpus (each problem with its file:line and field, every
// good row around it delivered), detection and preview. Compressed, over-long, empty and real
// inputs are in test_data_reader_inputs.cpp; the corpus layouts in test_data_reader_corpora.cpp.
#include "core/data/readers/reader.h"
#include "tests/support/record_collector.h"
#include "core/util/error.h"

#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>

using namespace rlhf::data;
using rlhf::testing::Collect;
using rlhf::testing::readAll;
using rlhf::testing::writeFile;
namespace fs = std::filesystem;

namespace {

Message user(std::string text)
{
    return {"user", std::move(text)};
}
Message assistant(std::string text)
{
    return {"assistant", std::move(text)};
}

} // namespace

class TestDataReaders : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void names();
    void textUnits();
    void textKeepsNulAndInvalidUtf8();
    void jsonlShapes_data();
    void jsonlShapes();
    void jsonlMalformedCorpus();
    void mappingNamesMissingField();
    void jsonArray();
    void jsonArrayTruncated();
    void csvQuotedFields();
    void csvProblems();
    void tsvPythonQuoting();
    void detection();
    void preview();

private:
    QTemporaryDir m_dir;
    fs::path path(const std::string& name) const
    {
        return fs::path(m_dir.path().toStdString()) / name;
    }
};

void TestDataReaders::names()
{
    for (const auto format : {FileFormat::Auto, FileFormat::Text, FileFormat::Jsonl,
                              FileFormat::JsonArray, FileFormat::Csv, FileFormat::Tsv,
                              FileFormat::Cornell, FileFormat::StackExchange, FileFormat::Reddit})
        QCOMPARE(parseFileFormat(fileFormatName(format)), format);
    for (const auto shape :
         {RecordShape::Auto, RecordShape::Text, RecordShape::Alpaca, RecordShape::ShareGpt,
          RecordShape::Messages, RecordShape::Preference, RecordShape::HhRlhf})
        QCOMPARE(parseRecordShape(recordShapeName(shape)), shape);
    QCOMPARE(fileFormatName(FileFormat::JsonArray), std::string_view("json"));
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, parseFileFormat("yaml"));
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, parseRecordShape("dolly"));
}

void TestDataReaders::textUnits()
{
    // BOM, CRLF, blank lines with spaces, a last line without a line end.
    const fs::path file = path("units.txt");
    writeFile(file, "\xEF\xBB\xBF"
                    "first line\r\nsecond line\r\n  \r\n\r\nthird\nfourth");
    ReadOptions options;
    options.unit = TextUnit::Line;
    Collect lines = readAll(file, options);
    QCOMPARE(lines.records.size(), size_t(4));
    QCOMPARE(lines.records[0].text, std::string("first line"));
    QCOMPARE(lines.records[0].source, (SourceLocation{file.string(), 1}));
    QCOMPARE(lines.records[1].text, std::string("second line"));
    QCOMPARE(lines.records[2].text, std::string("third"));
    QCOMPARE(lines.records[2].source.line, int64_t(5));
    QCOMPARE(lines.records[3].text, std::string("fourth"));
    QCOMPARE(lines.records[3].source.line, int64_t(6));
    QVERIFY(lines.problems.empty());

    options.unit = TextUnit::Paragraph;
    Collect paragraphs = readAll(file, options);
    QCOMPARE(paragraphs.records.size(), size_t(2));
    QCOMPARE(paragraphs.records[0].text, std::string("first line\nsecond line"));
    QCOMPARE(paragraphs.records[1].text, std::string("third\nfourth"));
    QCOMPARE(paragraphs.records[1].source.line, int64_t(5));

    options.unit = TextUnit::File;
    Collect whole = readAll(file, options);
    QCOMPARE(whole.records.size(), size_t(1));
    QCOMPARE(whole.records[0].text, std::string("first line\nsecond line\n  \n\nthird\nfourth"));
    QCOMPARE(whole.records[0].kind, RecordKind::Text);
}

void TestDataReaders::textKeepsNulAndInvalidUtf8()
{
    const fs::path file = path("nul.txt");
    writeFile(file, std::string("a\0b\n\xff\xfe bad utf8\nok\n", 18));
    Collect sink = readAll(file);
    QCOMPARE(sink.records.size(), size_t(3));
    QCOMPARE(sink.records[0].text, std::string("a\0b", 3));
    QCOMPARE(sink.records[1].text, std::string("\xff\xfe bad utf8"));
    QCOMPARE(sink.records[2].text, std::string("ok"));
    QVERIFY(sink.problems.empty());
}

void TestDataReaders::jsonlShapes_data()
{
    QTest::addColumn<QString>("row");
    QTest::addColumn<int>("shape");
    QTest::addColumn<QString>("document"); // the record in the documents table's form
    const auto add = [](const char* name, const char* row, RecordShape shape,
                        const char* document) {
        QTest::newRow(name) << QString::fromUtf8(row) << static_cast<int>(shape)
                            << QString::fromUtf8(document);
    };
    add("text", R"({"id":1,"text":"hello \"world\" é"})", RecordShape::Text, "hello \"world\" é");
    add("content field", R"({"content":"via content"})", RecordShape::Text, "via content");
    add("alpaca", R"({"instruction":"Add","input":"2 and 3","output":"5","system":"Be brief"})",
        RecordShape::Alpaca,
        R"({"messages":[{"role":"system","content":"Be brief"},{"role":"user","content":"Add\n\n2 and 3"},{"role":"assistant","content":"5"}]})");
    add("alpaca empty input", R"({"instruction":"Hi","input":"","output":"Hello"})",
        RecordShape::Alpaca,
        R"({"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]})");
    add("sharegpt",
        R"({"conversations":[{"from":"system","value":"S"},{"from":"human","value":"Q"},{"from":"gpt","value":"A"}]})",
        RecordShape::ShareGpt,
        R"({"messages":[{"role":"system","content":"S"},{"role":"user","content":"Q"},{"role":"assistant","content":"A"}]})");
    add("messages with parts",
        R"({"messages":[{"role":"user","content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]},{"role":"assistant","content":"A"}]})",
        RecordShape::Messages,
        R"({"messages":[{"role":"user","content":"one\ntwo"},{"role":"assistant","content":"A"}]})");
    add("preference strings", R"({"prompt":"P","chosen":"good","rejected":"bad"})",
        RecordShape::Preference,
        R"({"prompt":[{"role":"user","content":"P"}],"chosen":"good","rejected":"bad"})");
    add("ultrafeedback lists",
        R"({"prompt":"P","chosen":[{"role":"user","content":"P"},{"role":"assistant","content":"good"}],"rejected":[{"role":"user","content":"P"},{"role":"assistant","content":"bad"}],"score_chosen":8.0})",
        RecordShape::Preference,
        R"({"prompt":[{"role":"user","content":"P"}],"chosen":"good","rejected":"bad"})");
    add("hh-rlhf",
        R"({"chosen":"\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: How are you?\n\nAssistant: Fine.","rejected":"\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: How are you?\n\nAssistant: Go away."})",
        RecordShape::HhRlhf,
        R"({"prompt":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"},{"role":"user","content":"How are you?"}],"chosen":"Fine.","rejected":"Go away."})");
}

void TestDataReaders::jsonlShapes()
{
    QFETCH(QString, row);
    QFETCH(int, shape);
    QFETCH(QString, document);
    const fs::path file = path("shape.jsonl");
    writeFile(file, row.toStdString() + "\n" + row.toStdString() + "\n");
    // Detected shape, then the shape named explicitly: the same records.
    const Detection detection = detectFormat(file);
    QCOMPARE(detection.format, FileFormat::Jsonl);
    QCOMPARE(static_cast<int>(detection.shape), shape);
    for (const RecordShape asked : {RecordShape::Auto, static_cast<RecordShape>(shape)}) {
        ReadOptions options;
        options.shape = asked;
        if (static_cast<RecordShape>(shape) == RecordShape::Text && asked != RecordShape::Auto &&
            row.contains("content"))
            options.mapping["text"] = "content";
        Collect sink = readAll(file, options);
        QVERIFY2(sink.problems.empty(),
                 sink.problems.empty() ? "" : sink.problems[0].reason.c_str());
        QCOMPARE(sink.records.size(), size_t(2));
        QCOMPARE(sink.records[1].source.line, int64_t(2));
        Record expected =
            fromDocumentText(detection.kind, document.toStdString(), sink.records[0].source);
        QCOMPARE(sink.records[0], expected);
    }
}

void TestDataReaders::jsonlMalformedCorpus()
{
    const fs::path file = path("malformed.jsonl");
    writeFile(file, "\xEF\xBB\xBF"
                    "{\"text\":\"one\"}\r\n"            // 1: good (BOM, CRLF)
                    "{\"text\":\"bad \xff utf8\"}\n"    // 2: invalid UTF-8
                    "{\"text\":\"trunc\n"               // 3: truncated JSON
                    "[1,2,3]\n"                         // 4: not an object
                    "{\"text\":42}\n"                   // 5: wrong type
                    "\n"                                // 6: blank: skipped
                    "{\"title\":\"no text\"}\n"         // 7: missing field
                    "{\"text\":\"nul\\u0000inside\"}\n" // 8: good, escaped NUL
                    "{\"text\":\"two\"} trailing\n"     // 9: trailing garbage
                    "{\"text\":\"last\"}");             // 10: good, no line end
    Collect sink = readAll(file);
    QCOMPARE(sink.records.size(), size_t(3));
    QCOMPARE(sink.records[0].text, std::string("one"));
    QCOMPARE(sink.records[1].text, std::string("nul\0inside", 10));
    QCOMPARE(sink.records[1].source.line, int64_t(8));
    QCOMPARE(sink.records[2].text, std::string("last"));
    QCOMPARE(sink.records[2].source.line, int64_t(10));
    QCOMPARE(sink.problems.size(), size_t(6));
    const std::vector<std::pair<int64_t, std::string>> expected = {
        {2, ""}, {3, ""}, {4, ""}, {5, "text"}, {7, "text"}, {9, ""}};
    for (size_t i = 0; i < expected.size(); ++i) {
        QCOMPARE(sink.problems[i].source.file, file.string());
        QCOMPARE(sink.problems[i].source.line, expected[i].first);
        QCOMPARE(sink.problems[i].field, expected[i].second);
        QVERIFY(!sink.problems[i].reason.empty());
        QVERIFY(!sink.problems[i].raw.empty());
    }
    QVERIFY(sink.problems[0].reason.find("UTF") != std::string::npos);
    QVERIFY(sink.problems[2].reason.find("not a JSON object") != std::string::npos);
    QVERIFY(sink.problems[3].reason.find("expected a string, found a number") != std::string::npos);
    QVERIFY(sink.problems[4].reason.find("missing field 'text'") != std::string::npos);
    QCOMPARE(sink.problems[0].raw, std::string("{\"text\":\"bad \xff utf8\"}"));
}

void TestDataReaders::mappingNamesMissingField()
{
    writeFile(path("mapped.jsonl"), "{\"story\":\"s1\"}\n{\"text\":\"t2\"}\n{\"story\":\"s3\"}\n");
    ReadOptions options;
    options.shape = RecordShape::Text;
    options.mapping["text"] = "story";
    Collect sink = readAll(path("mapped.jsonl"), options);
    QCOMPARE(sink.records.size(), size_t(2));
    QCOMPARE(sink.records[1].text, std::string("s3"));
    QCOMPARE(sink.problems.size(), size_t(1));
    QCOMPARE(sink.problems[0].source.line, int64_t(2));
    QCOMPARE(sink.problems[0].field, std::string("story"));

    writeFile(path("mapped.csv"), "prompt,answer\nhi,hello\n");
    options.shape = RecordShape::Alpaca;
    options.mapping = {{"instruction", "prompt"}, {"output", "reply"}};
    Collect csv = readAll(path("mapped.csv"), options);
    QCOMPARE(csv.records.size(), size_t(0));
    QCOMPARE(csv.problems.size(), size_t(1));
    QCOMPARE(csv.problems[0].field, std::string("reply"));
    QCOMPARE(csv.problems[0].source.line, int64_t(2));

    // A bad message inside a list names the element and key.
    writeFile(path("roles.jsonl"),
              R"({"conversations":[{"from":"human","value":"q"},{"from":"robot","value":"a"}]})"
              "\n");
    Collect roles = readAll(path("roles.jsonl"));
    QCOMPARE(roles.problems.size(), size_t(1));
    QCOMPARE(roles.problems[0].field, std::string("conversations[1].from"));
    QVERIFY(roles.problems[0].reason.find("robot") != std::string::npos);
}

void TestDataReaders::jsonArray()
{
    const fs::path file = path("array.json");
    writeFile(file, "[\n"
                    "  {\"text\": \"a ] tricky } \\\" string [\"},\n"
                    "  {\"text\": \"second\",\n"
                    "   \"meta\": {\"nested\": [1, {\"x\": \"]\"}]}},\n"
                    "  {\"text\": 7},\n"
                    "  \"not an object\",\n"
                    "  {\"text\": \"last\"}\n"
                    "]\n");
    const Detection detection = detectFormat(file);
    QCOMPARE(detection.format, FileFormat::JsonArray);
    Collect sink = readAll(file);
    QCOMPARE(sink.records.size(), size_t(3));
    QCOMPARE(sink.records[0].text, std::string("a ] tricky } \" string ["));
    QCOMPARE(sink.records[0].source.line, int64_t(2));
    QCOMPARE(sink.records[1].text, std::string("second"));
    QCOMPARE(sink.records[1].source.line, int64_t(3));
    QCOMPARE(sink.records[2].text, std::string("last"));
    QCOMPARE(sink.records[2].source.line, int64_t(7));
    QCOMPARE(sink.problems.size(), size_t(2));
    QCOMPARE(sink.problems[0].source.line, int64_t(5));
    QCOMPARE(sink.problems[0].field, std::string("text"));
    QCOMPARE(sink.problems[1].source.line, int64_t(6));

    // Many elements across buffer refills.
    std::string many = "[";
    for (int i = 0; i < 100000; ++i)
        many += std::string(i ? "," : "") + "{\"text\":\"element " + std::to_string(i) + "\"}\n";
    writeFile(path("many.json"), many + "]");
    Collect bulk = readAll(path("many.json"));
    QCOMPARE(bulk.records.size(), size_t(100000));
    QCOMPARE(bulk.records[99999].text, std::string("element 99999"));
    QCOMPARE(bulk.records[99999].source.line, int64_t(100000));
}

void TestDataReaders::jsonArrayTruncated()
{
    const fs::path file = path("truncated.json");
    writeFile(file, "[{\"text\":\"one\"},\n{\"text\":\"two\"},\n{\"text\":\"thr");
    Collect sink = readAll(file, {});
    QCOMPARE(sink.records.size(), size_t(2));
    QCOMPARE(sink.records[1].text, std::string("two"));
    QCOMPARE(sink.problems.size(), size_t(1));
    QCOMPARE(sink.problems[0].source.line, int64_t(3));
    QVERIFY(sink.problems[0].reason.find("truncated") != std::string::npos);

    writeFile(file, "[{\"text\":\"one\"}");
    Collect unclosed = readAll(file);
    QCOMPARE(unclosed.records.size(), size_t(1));
    QCOMPARE(unclosed.problems.size(), size_t(1));

    ReadOptions options;
    options.format = FileFormat::JsonArray;
    writeFile(file, "{\"text\":\"an object, not an array\"}");
    Collect notArray = readAll(file, options);
    QCOMPARE(notArray.records.size(), size_t(0));
    QCOMPARE(notArray.problems.size(), size_t(1));
    QCOMPARE(notArray.problems[0].source.line, int64_t(1));
}

void TestDataReaders::csvQuotedFields()
{
    const fs::path file = path("quoted.csv");
    writeFile(file, "instruction,input,output\r\n"
                    "\"Say \"\"hi\"\"\",,\"Hi,\r\nthere\"\r\n"
                    "plain,ctx,\"multi\n\nline\"\n"
                    "\n"
                    "last,,done");
    const Detection detection = detectFormat(file);
    QCOMPARE(detection.format, FileFormat::Csv);
    QCOMPARE(detection.shape, RecordShape::Alpaca);
    QCOMPARE(detection.fields, (std::vector<std::string>{"instruction", "input", "output"}));
    Collect sink = readAll(file);
    QVERIFY(sink.problems.empty());
    QCOMPARE(sink.records.size(), size_t(3));
    QCOMPARE(sink.records[0].messages,
             (std::vector<Message>{user("Say \"hi\""), assistant("Hi,\nthere")}));
    QCOMPARE(sink.records[0].source.line, int64_t(2));
    QCOMPARE(sink.records[1].messages,
             (std::vector<Message>{user("plain\n\nctx"), assistant("multi\n\nline")}));
    QCOMPARE(sink.records[1].source.line, int64_t(4));
    QCOMPARE(sink.records[2].source.line, int64_t(8));
}

void TestDataReaders::csvProblems()
{
    const fs::path file = path("problems.csv");
    writeFile(file, "text,label\n"
                    "good one,1\n"
                    "too,many,columns\n"
                    "good two,2\n"
                    "\"unclosed,3\n"
                    "not swallowed,4\n");
    Collect sink = readAll(file);
    QCOMPARE(sink.records.size(), size_t(3));
    QCOMPARE(sink.records[0].text, std::string("good one"));
    QCOMPARE(sink.records[1].text, std::string("good two"));
    QCOMPARE(sink.records[1].source.line, int64_t(4));
    // The unclosed quote costs its own line only: the line after it is read as a row.
    QCOMPARE(sink.records[2].text, std::string("not swallowed"));
    QCOMPARE(sink.records[2].source.line, int64_t(6));
    QCOMPARE(sink.problems.size(), size_t(2));
    QCOMPARE(sink.problems[0].source.line, int64_t(3));
    QVERIFY(sink.problems[0].reason.find("3 columns") != std::string::npos);
    QCOMPARE(sink.problems[1].source.line, int64_t(5));
    QVERIFY(sink.problems[1].reason.find("unclosed quote") != std::string::npos);
}

void TestDataReaders::tsvPythonQuoting()
{
    // As Python's csv.writer(delimiter='\t') writes: fields with tabs, quotes or newlines
    // quoted, quotes doubled.
    const fs::path file = path("pairs.tsv");
    writeFile(file, "prompt\tchosen\trejected\n"
                    "\"a\ttab\"\t\"say \"\"yes\"\"\"\tno\n"
                    "two\t\"line\nbreak\"\tplain\n");
    const Detection detection = detectFormat(file);
    QCOMPARE(detection.format, FileFormat::Tsv);
    QCOMPARE(detection.shape, RecordShape::Preference);
    QCOMPARE(detection.kind, RecordKind::Preference);
    Collect sink = readAll(file);
    QVERIFY(sink.problems.empty());
    QCOMPARE(sink.records.size(), size_t(2));
    QCOMPARE(sink.records[0].messages, (std::vector<Message>{user("a\ttab")}));
    QCOMPARE(sink.records[0].chosen, std::string("say \"yes\""));
    QCOMPARE(sink.records[0].rejected, std::string("no"));
    QCOMPARE(sink.records[1].chosen, std::string("line\nbreak"));
    QCOMPARE(sink.records[1].kind, RecordKind::Preference);
}

void TestDataReaders::detection()
{
    writeFile(path("noext"), "[{\"conversations\":[]}]");
    Detection array = detectFormat(path("noext"));
    QCOMPARE(array.format, FileFormat::JsonArray);
    QCOMPARE(array.shape, RecordShape::ShareGpt);
    QCOMPARE(array.kind, RecordKind::Chat);
    QVERIFY(array.explanation.find("ShareGPT") != std::string::npos);

    writeFile(path("lines.json"), "{\"messages\":[],\"id\":1}\n{\"messages\":[],\"extra\":2}\n");
    Detection jsonl = detectFormat(path("lines.json"));
    QCOMPARE(jsonl.format, FileFormat::Jsonl);
    QCOMPARE(jsonl.shape, RecordShape::Messages);
    QCOMPARE(jsonl.fields, (std::vector<std::string>{"messages", "id", "extra"}));

    writeFile(path("hh.jsonl"),
              "{\"chosen\":\"\\n\\nHuman: a\",\"rejected\":\"\\n\\nHuman: b\"}\n");
    QCOMPARE(detectFormat(path("hh.jsonl")).shape, RecordShape::HhRlhf);
    QCOMPARE(detectFormat(path("hh.jsonl")).kind, RecordKind::Preference);

    ReadOptions kept;
    kept.format = FileFormat::Text;
    QCOMPARE(detectFormat(path("hh.jsonl"), kept).format, FileFormat::Text);
    QVERIFY(!detectFormat(path("hh.jsonl")).explanation.empty());

    writeFile(path("plain.md"), "# Title\nSome prose.\n");
    QCOMPARE(detectFormat(path("plain.md")).format, FileFormat::Text);
}

void TestDataReaders::preview()
{
    writeFile(
        path("preview.jsonl"),
        "{\"text\":\"a\",\"n\":1}\n{\"meta\":{\"k\":[1,2]},\"text\":\"b\"}\n{\"text\":\"c\"}\n");
    const PreviewTable table = previewTable(path("preview.jsonl"), {}, 2);
    QCOMPARE(table.columns, (std::vector<std::string>{"text", "n", "meta"}));
    QCOMPARE(table.rows.size(), size_t(2));
    QCOMPARE(table.rows[0], (std::vector<std::string>{"a", "1", ""}));
    QCOMPARE(table.rows[1], (std::vector<std::string>{"b", "", "{\"k\":[1,2]}"}));

    writeFile(path("preview.csv"), "x,y\n1,2\n3,4\n");
    const PreviewTable csv = previewTable(path("preview.csv"), {}, 10);
    QCOMPARE(csv.columns, (std::vector<std::string>{"x", "y"}));
    QCOMPARE(csv.rows.size(), size_t(2));
    QCOMPARE(csv.rows[1], (std::vector<std::string>{"3", "4"}));

    writeFile(path("preview.txt"), "l1\nl2\nl3\n");
    const PreviewTable text = previewTable(path("preview.txt"), {}, 2);
    QCOMPARE(text.columns, (std::vector<std::string>{"text"}));
    QCOMPARE(text.rows.size(), size_t(2));
}

QTEST_GUILESS_MAIN(TestDataReaders)
#include "test_data_readers.moc"
