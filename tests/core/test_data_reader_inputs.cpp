// The readers on inputs that stress the byte layer: gzip (multi-member) and zstd files found by
// their magic bytes, a cut stream, a 10 MB row against the row limit, empty files in every
// format, and real text that Debian ships (the fortunes package).
#include "core/data/readers/reader.h"
#include "tests/support/record_collector.h"
#include "core/util/error.h"

#include <QTemporaryDir>
#include <QTest>

#include <zlib.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>

using namespace rlhf::data;
using rlhf::testing::Collect;
using rlhf::testing::readAll;
using rlhf::testing::writeFile;
namespace fs = std::filesystem;

namespace {

std::string gzip(std::string_view bytes)
{
    z_stream stream{};
    deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY); // 16: gzip header
    std::string out(deflateBound(&stream, bytes.size()) + 64, '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    stream.avail_in = static_cast<uInt>(bytes.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

std::string zstd(std::string_view bytes)
{
    std::string out(ZSTD_compressBound(bytes.size()), '\0');
    out.resize(ZSTD_compress(out.data(), out.size(), bytes.data(), bytes.size(), 3));
    return out;
}

} // namespace

class TestDataReaderInputs : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void compressedVariants();
    void longLineLimit();
    void emptyFiles();
    void fortunesRealText();

private:
    QTemporaryDir m_dir;
    fs::path path(const std::string& name) const
    {
        return fs::path(m_dir.path().toStdString()) / name;
    }
};

void TestDataReaderInputs::compressedVariants()
{
    std::string jsonl;
    for (int i = 1; i <= 50000; ++i)
        jsonl += "{\"text\":\"row " + std::to_string(i) + "\"}\n";
    const size_t half = jsonl.find("{\"text\":\"row 25001\"");
    // Two gzip members back to back, as `cat a.gz b.gz` makes; and a zstd file named .dat.
    writeFile(path("rows.jsonl.gz"), gzip(jsonl.substr(0, half)) + gzip(jsonl.substr(half)));
    writeFile(path("rows.jsonl.zst"), zstd(jsonl));
    writeFile(path("rows-zstd.jsonl"), zstd(jsonl)); // wrong name: the magic bytes decide
    for (const char* name : {"rows.jsonl.gz", "rows.jsonl.zst", "rows-zstd.jsonl"}) {
        const Detection detection = detectFormat(path(name));
        QCOMPARE(detection.format, FileFormat::Jsonl);
        QVERIFY(detection.compression != Compression::None);
        Collect sink = readAll(path(name));
        QCOMPARE(sink.records.size(), size_t(50000));
        QVERIFY(sink.problems.empty());
        QCOMPARE(sink.records[25000].text, std::string("row 25001"));
        QCOMPARE(sink.records[25000].source.line, int64_t(25001));
        QCOMPARE(sink.records[49999].text, std::string("row 50000"));
    }
    QCOMPARE(detectFormat(path("rows.jsonl.gz")).compression, Compression::Gzip);
    QCOMPARE(detectFormat(path("rows-zstd.jsonl")).compression, Compression::Zstd);

    // Each text format through both codecs.
    writeFile(path("t.csv.gz"), gzip("text\n\"a,b\"\nc\n"));
    writeFile(path("t.txt.zst"), zstd("x\ny\n"));
    writeFile(path("t.json.gz"), gzip("[{\"text\":\"j\"}]"));
    QCOMPARE(readAll(path("t.csv.gz")).records.size(), size_t(2));
    QCOMPARE(readAll(path("t.csv.gz")).records[0].text, std::string("a,b"));
    QCOMPARE(readAll(path("t.txt.zst")).records.size(), size_t(2));
    QCOMPARE(readAll(path("t.json.gz")).records.at(0).text, std::string("j"));

    // A cut stream ends the file at the cut: every whole row before it is a record, the cut
    // one problem at the line it cut, with the byte offset; nothing throws.
    std::string cut = gzip(jsonl);
    cut.resize(cut.size() / 2);
    writeFile(path("cut.jsonl.gz"), cut);
    Collect sink = readAll(path("cut.jsonl.gz"));
    QVERIFY(!sink.records.empty());
    QCOMPARE(sink.problems.size(), size_t(1));
    const rlhf::data::ReadProblem& damage = sink.problems[0];
    QCOMPARE(damage.source.file, path("cut.jsonl.gz").string());
    QCOMPARE(damage.source.line, int64_t(sink.records.size() + 1));
    QVERIFY2(damage.reason.find("gzip stream cut short at byte " + std::to_string(cut.size())) !=
                 std::string::npos,
             damage.reason.c_str());
    const std::string last = "row " + std::to_string(sink.records.size());
    QCOMPARE(sink.records.back().text, last);
    QVERIFY(damage.raw.starts_with("{\"text\":\"row ")); // the cut row's first bytes
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, readRecords(path("missing.jsonl"), {}, sink));
}

void TestDataReaderInputs::longLineLimit()
{
    const fs::path file = path("long.jsonl");
    const std::string big(10u << 20, 'x');
    writeFile(file, "{\"text\":\"before\"}\n{\"text\":\"" + big + "\"}\n{\"text\":\"after\"}\n");
    ReadOptions options;
    options.maxRowBytes = 1u << 20;
    Collect limited = readAll(file, options);
    QCOMPARE(limited.records.size(), size_t(2));
    QCOMPARE(limited.records[0].text, std::string("before"));
    QCOMPARE(limited.records[1].text, std::string("after"));
    QCOMPARE(limited.records[1].source.line, int64_t(3));
    QCOMPARE(limited.problems.size(), size_t(1));
    QCOMPARE(limited.problems[0].source.line, int64_t(2));
    QVERIFY(limited.problems[0].reason.find("longer than") != std::string::npos);
    QCOMPARE(limited.problems[0].raw.size(), size_t(4096));

    Collect unlimited = readAll(file);
    QCOMPARE(unlimited.records.size(), size_t(3));
    QCOMPARE(unlimited.records[1].text.size(), big.size());
    QVERIFY(unlimited.problems.empty());

    // The same in plain text and CSV.
    writeFile(path("long.txt"), "a\n" + big + "\nb\n");
    Collect text = readAll(path("long.txt"), options);
    QCOMPARE(text.records.size(), size_t(2));
    QCOMPARE(text.problems.size(), size_t(1));
    QCOMPARE(text.problems[0].source.line, int64_t(2));
    writeFile(path("long.csv"), "text\na\n\"" + big + "\"\nb\n");
    Collect csv = readAll(path("long.csv"), options);
    QCOMPARE(csv.records.size(), size_t(2));
    QCOMPARE(csv.records[1].text, std::string("b"));
    QCOMPARE(csv.problems.size(), size_t(1));
    QCOMPARE(csv.problems[0].source.line, int64_t(3));
}

void TestDataReaderInputs::emptyFiles()
{
    for (const char* name :
         {"empty.txt", "empty.jsonl", "empty.json", "empty.csv", "empty.tsv", "empty.jsonl.gz"}) {
        writeFile(path(name), std::string_view(name).ends_with(".gz") ? gzip("") : "");
        Collect sink = readAll(path(name));
        QVERIFY2(sink.records.empty(), name);
        QVERIFY2(sink.problems.empty(), name);
    }
}

void TestDataReaderInputs::fortunesRealText()
{
    // Real text that packaging/install-deps.sh installs (the fortunes package).
    const fs::path fortunes = "/usr/share/games/fortunes/art";
    if (!fs::exists(fortunes)) QSKIP("the fortunes package is not installed");
    std::ifstream in(fortunes, std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t nonBlank = 0;
    std::string lastLine;
    for (size_t start = 0; start < all.size();) {
        size_t end = all.find('\n', start);
        if (end == std::string::npos) end = all.size();
        const std::string line = all.substr(start, end - start);
        if (line.find_first_not_of(" \t\r\f\v") != std::string::npos) {
            ++nonBlank;
            lastLine = line;
        }
        start = end + 1;
    }
    writeFile(path("art.zst"), zstd(all));
    for (const fs::path& file : {fortunes, path("art.zst")}) {
        Collect sink = readAll(file);
        QCOMPARE(sink.records.size(), nonBlank);
        QCOMPARE(sink.records.back().text, lastLine);
    }
}

QTEST_GUILESS_MAIN(TestDataReaderInputs)
#include "test_data_reader_inputs.moc"
