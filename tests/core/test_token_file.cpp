// Tokenized split files: the buffered atomic writer, the memory-mapped reader, the on-disk
// byte order, and the rejection of a file whose size is not a whole number of uint32 tokens.
#include "core/store/token_file.h"
#include "core/util/error.h"

#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>
#include <numeric>

using namespace rlhf::store;
namespace fs = std::filesystem;

class TestTokenFile : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void writeAndRead();
    void littleEndianOnDisk();
    void uncommittedWriterLeavesNothing();
    void emptyFile();
    void rejectsSizeNotMultipleOfFour();
    void replacesExistingFileAtomically();

private:
    QTemporaryDir m_dir;
    fs::path path(const char* name) const { return fs::path(m_dir.path().toStdString()) / name; }
    // Files in the temporary folder whose name starts with `prefix`.
    int filesStartingWith(const std::string& prefix) const
    {
        int count = 0;
        for (const auto& entry : fs::directory_iterator(m_dir.path().toStdString())) {
            if (entry.path().filename().string().starts_with(prefix)) ++count;
        }
        return count;
    }
};

void TestTokenFile::writeAndRead()
{
    const fs::path file = path("data-bpe-train.u32");
    std::vector<uint32_t> expected(1000);
    std::iota(expected.begin(), expected.end(), 4000000000u);
    {
        TokenFileWriter writer(file, /*bufferTokens=*/7); // many flushes, spans across them
        writer.append(std::span(expected).first(3));
        writer.append(expected[3]);
        writer.append(std::span(expected).subspan(4, 500));
        writer.append(std::span(expected).subspan(504));
        QCOMPARE(writer.size(), uint64_t(1000));
        QVERIFY2(!fs::exists(file), "the file appears only at commit");
        writer.commit();
    }
    QCOMPARE(fs::file_size(file), uintmax_t(4000));
    QCOMPARE(filesStartingWith("data-bpe-train.u32.tmp"), 0);

    const TokenFileReader reader(file);
    QCOMPARE(reader.size(), size_t(1000));
    QCOMPARE(reader.path(), file);
    QCOMPARE(reinterpret_cast<uintptr_t>(reader.data()) % alignof(uint32_t), uintptr_t(0));
    QVERIFY(std::equal(expected.begin(), expected.end(), reader.tokens().begin()));
    QCOMPARE(reader[999], 4000000999u);
}

void TestTokenFile::littleEndianOnDisk()
{
    const fs::path file = path("endian.u32");
    TokenFileWriter writer(file);
    writer.append(0x01020304u);
    writer.commit();
    std::ifstream in(file, std::ios::binary);
    char bytes[4] = {};
    in.read(bytes, 4);
    QCOMPARE(QByteArray(bytes, 4), QByteArray("\x04\x03\x02\x01", 4));
}

void TestTokenFile::uncommittedWriterLeavesNothing()
{
    {
        TokenFileWriter writer(path("abandoned.u32"), 4);
        writer.append(std::vector<uint32_t>(10, 1));
        QCOMPARE(filesStartingWith("abandoned.u32.tmp"), 1);
    }
    QVERIFY(!fs::exists(path("abandoned.u32")));
    QCOMPARE(filesStartingWith("abandoned.u32"), 0);
}

void TestTokenFile::emptyFile()
{
    TokenFileWriter writer(path("empty.u32"));
    writer.commit();
    const TokenFileReader reader(path("empty.u32"));
    QCOMPARE(reader.size(), size_t(0));
    QVERIFY(reader.tokens().empty());
}

void TestTokenFile::rejectsSizeNotMultipleOfFour()
{
    const fs::path file = path("torn.u32");
    std::ofstream(file, std::ios::binary).write("0123456789", 10);
    QString message;
    try {
        TokenFileReader reader(file);
    } catch (const rlhf::Error& error) {
        message = QString::fromStdString(error.what());
    }
    QCOMPARE(message, QString::fromStdString(file.string()) +
                          ": size 10 bytes is not a multiple of 4: not a uint32 token file, "
                          "or truncated");

    bool threw = false;
    try {
        TokenFileReader reader(path("missing.u32"));
    } catch (const rlhf::Error& error) {
        threw = QString(error.what()).contains("missing.u32: cannot open");
    }
    QVERIFY(threw);
}

void TestTokenFile::replacesExistingFileAtomically()
{
    const fs::path file = path("replace.u32");
    TokenFileWriter first(file);
    first.append(std::vector<uint32_t>{1, 2, 3});
    first.commit();
    const TokenFileReader old(file); // keeps the old mapping while the file is replaced

    TokenFileWriter second(file);
    second.append(std::vector<uint32_t>{9, 8});
    QCOMPARE(TokenFileReader(file).size(), size_t(3)); // readers see the old file until commit
    second.commit();
    QCOMPARE(TokenFileReader(file).size(), size_t(2));
    QCOMPARE(TokenFileReader(file)[0], 9u);
    QCOMPARE(old.size(), size_t(3));
    QCOMPARE(old[2], 3u);
}

QTEST_GUILESS_MAIN(TestTokenFile)
#include "test_token_file.moc"
