// The safetensors reader and writer: round trip of every kind of tensor, the header layout,
// interoperability with Hugging Face's Python library (when the reference Python has it), and
// the rejection of each kind of corrupt file with a message naming the file and the tensor.
#include "core/model/safetensors.h"
#include "core/util/error.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <filesystem>
#include <fstream>

using namespace rlhf::model;
namespace fs = std::filesystem;

namespace {

template <typename T> std::span<const std::byte> bytesOf(const std::vector<T>& values)
{
    return std::as_bytes(std::span(values));
}

// Writes a file by hand: the 8-byte length (`headerLength` or the real one), header, data.
void writeRaw(const fs::path& file, const std::string& header, size_t dataBytes,
              std::optional<uint64_t> headerLength = std::nullopt)
{
    const uint64_t length = headerLength.value_or(header.size());
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(&length), 8);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    const std::string data(dataBytes, '\x11');
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

QString errorOf(const fs::path& file)
{
    try {
        SafetensorsFile reader(file);
    } catch (const rlhf::Error& error) {
        return QString::fromStdString(error.what());
    }
    return "(no error)";
}

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTrip();
    void headerLayout();
    void writerRejectsBadInput();
    void pythonLibraryReadsOurFile();
    void rejectsCorruptFiles_data();
    void rejectsCorruptFiles();

private:
    QTemporaryDir m_dir;
    fs::path path(const char* name) const { return fs::path(m_dir.path().toStdString()) / name; }
};

void TestSafetensors::roundTrip()
{
    std::vector<float> weights(12);
    for (size_t i = 0; i < weights.size(); ++i)
        weights[i] = 0.5f * float(i);
    const std::vector<uint16_t> half{0x3C00, 0xC000};  // F16 1.0, -2.0
    const std::vector<uint16_t> brain{0x3F80, 0x4049}; // BF16 1.0, 3.14
    const std::vector<int64_t> step{1234567890123};
    const std::vector<uint8_t> mask{1, 0, 1};
    const std::vector<double> precise{0.1, -1e300};
    const std::vector<TensorBytes> tensors{
        {"wte.weight", DType::F32, {3, 4}, bytesOf(weights)},
        {"h.0.ln_1.bias", DType::F16, {2}, bytesOf(half)},
        {"h.0.ln_1.weight", DType::BF16, {2, 1}, bytesOf(brain)},
        {"step", DType::I64, {}, bytesOf(step)},
        {"mask", DType::Bool, {3}, bytesOf(mask)},
        {"empty", DType::F32, {0, 5}, {}},
        {"precise", DType::F64, {2}, bytesOf(precise)},
    };
    const fs::path file = path("model.safetensors");
    writeSafetensors(file, tensors, {{"format", "pt"}, {"step", "400"}});
    QVERIFY2(!fs::exists(path("model.safetensors.tmp")), "no temporary file is left behind");

    const SafetensorsFile reader(file);
    QCOMPARE(reader.metadata(), (SafetensorsMetadata{{"format", "pt"}, {"step", "400"}}));
    QCOMPARE(reader.names(), (std::vector<std::string>{"empty", "h.0.ln_1.bias", "h.0.ln_1.weight",
                                                       "mask", "precise", "step", "wte.weight"}));
    for (const TensorBytes& tensor : tensors) {
        QVERIFY(reader.contains(tensor.name));
        const TensorView view = reader.tensor(tensor.name);
        QCOMPARE(view.dtype, tensor.dtype);
        QCOMPARE(view.shape, tensor.shape);
        QCOMPARE(view.bytes.size(), tensor.bytes.size());
        QVERIFY2(std::equal(view.bytes.begin(), view.bytes.end(), tensor.bytes.begin()),
                 tensor.name.c_str());
        // Wider dtypes come first, so each tensor is aligned to its element size.
        QCOMPARE(reinterpret_cast<uintptr_t>(view.bytes.data()) % dtypeSize(view.dtype),
                 uintptr_t(0));
    }
    QCOMPARE(reader.tensor("wte.weight").elementCount(), int64_t(12));
    QCOMPARE(reader.tensor("step").elementCount(), int64_t(1));
    QCOMPARE(reader.tensor("empty").elementCount(), int64_t(0));

    QString missing;
    try {
        reader.tensor("lm_head.weight");
    } catch (const rlhf::Error& error) {
        missing = error.what();
    }
    QCOMPARE(missing, QString::fromStdString(file.string()) + ": no tensor 'lm_head.weight'");
}

void TestSafetensors::headerLayout()
{
    const std::vector<float> values{1, 2, 3};
    const std::vector<int32_t> ids{7};
    const fs::path file = path("layout.safetensors");
    writeSafetensors(file, std::vector<TensorBytes>{{"b", DType::F32, {3}, bytesOf(values)},
                                                    {"a", DType::I32, {1}, bytesOf(ids)}});
    std::ifstream in(file, std::ios::binary);
    uint64_t length = 0;
    in.read(reinterpret_cast<char*>(&length), 8);
    std::string header(length, '\0');
    in.read(header.data(), static_cast<std::streamsize>(length));
    QCOMPARE(length % 8, uint64_t(0));
    QCOMPARE(fs::file_size(file), uintmax_t(8 + length + 16));
    // Sorted keys, compact JSON, space padding. The data is in the reference order (dtype, then
    // name): F32 "b" before I32 "a".
    const std::string json = header.substr(0, header.find_last_not_of(' ') + 1);
    QCOMPARE(QString::fromStdString(json),
             QString(R"({"a":{"data_offsets":[12,16],"dtype":"I32","shape":[1]},)"
                     R"("b":{"data_offsets":[0,12],"dtype":"F32","shape":[3]}})"));
    QVERIFY(header.size() - json.size() < 8);
}

void TestSafetensors::writerRejectsBadInput()
{
    const std::vector<float> three{1, 2, 3};
    auto errorWriting = [&](const std::vector<TensorBytes>& tensors) {
        try {
            writeSafetensors(path("bad.safetensors"), tensors);
        } catch (const rlhf::Error& error) {
            return QString(error.what());
        }
        return QString("(no error)");
    };
    const QString mismatch = errorWriting({{"w", DType::F32, {2, 2}, bytesOf(three)}});
    QVERIFY2(mismatch.endsWith("tensor 'w': 12 bytes given, shape [2, 2] F32 needs 16"),
             qPrintable(mismatch));
    const QString twice = errorWriting(
        {{"w", DType::F32, {3}, bytesOf(three)}, {"w", DType::F32, {3}, bytesOf(three)}});
    QVERIFY2(twice.endsWith("tensor 'w': name appears twice"), qPrintable(twice));
    QVERIFY(errorWriting({{"__metadata__", DType::F32, {3}, bytesOf(three)}}).contains("reserved"));
    QVERIFY(!fs::exists(path("bad.safetensors")));
}

void TestSafetensors::pythonLibraryReadsOurFile()
{
    const QString python = RLHF_REFERENCE_PYTHON;
    if (!QFileInfo::exists(python) ||
        QProcess::execute(python, {"-c", "import safetensors, numpy"}) != 0) {
        QSKIP("the reference Python has no safetensors package");
    }
    const std::vector<float> weights{1.5f, -2.0f, 3.25f, 0.0f, 8.0f, -0.125f};
    const std::vector<uint16_t> half{0x3C00, 0xC000};
    const std::vector<int64_t> ids{-5, 1ll << 40};
    const std::vector<uint8_t> mask{1, 0};
    const fs::path ours = path("ours.safetensors");
    writeSafetensors(ours,
                     std::vector<TensorBytes>{{"w", DType::F32, {2, 3}, bytesOf(weights)},
                                              {"h", DType::F16, {2}, bytesOf(half)},
                                              {"ids", DType::I64, {2}, bytesOf(ids)},
                                              {"mask", DType::Bool, {2}, bytesOf(mask)}},
                     {{"format", "np"}});
    const fs::path theirs = path("theirs.safetensors");
    const char* script = R"py(
import json, sys, numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file
tensors = load_file(sys.argv[1])
with safe_open(sys.argv[1], "np") as f:
    metadata = f.metadata()
print(json.dumps({"metadata": metadata, "tensors": {name: [str(t.dtype), list(t.shape),
      t.astype(np.float64).ravel().tolist()] for name, t in tensors.items()}}))
save_file({"w": np.arange(6, dtype=np.float32).reshape(2, 3), "ids": np.array([5, -7]),
           "mask": np.array([True, False, True])}, sys.argv[2], metadata={"by": "python"})
)py";
    QProcess process;
    process.start(python, {"-c", script, QString::fromStdString(ours.string()),
                           QString::fromStdString(theirs.string())});
    QVERIFY(process.waitForFinished(60000));
    QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
    const QJsonObject result = QJsonDocument::fromJson(process.readAllStandardOutput()).object();
    QCOMPARE(result["metadata"].toObject()["format"].toString(), QString("np"));
    const QJsonObject tensors = result["tensors"].toObject();
    QCOMPARE(tensors.size(), 4);
    QCOMPARE(tensors["w"].toArray()[0].toString(), QString("float32"));
    QCOMPARE(tensors["w"].toArray()[1].toArray(), (QJsonArray{2, 3}));
    QCOMPARE(tensors["w"].toArray()[2].toArray(), (QJsonArray{1.5, -2.0, 3.25, 0.0, 8.0, -0.125}));
    QCOMPARE(tensors["h"].toArray()[2].toArray(), (QJsonArray{1.0, -2.0}));
    QCOMPARE(tensors["ids"].toArray()[0].toString(), QString("int64"));
    QCOMPARE(tensors["ids"].toArray()[2].toArray(), (QJsonArray{-5.0, double(1ll << 40)}));
    QCOMPARE(tensors["mask"].toArray()[0].toString(), QString("bool"));

    // And we read what the Python library wrote.
    const SafetensorsFile reader(theirs);
    QCOMPARE(reader.metadata(), (SafetensorsMetadata{{"by", "python"}}));
    const TensorView w = reader.tensor("w");
    QCOMPARE(w.dtype, DType::F32);
    QCOMPARE(w.shape, (std::vector<int64_t>{2, 3}));
    float values[6];
    std::memcpy(values, w.bytes.data(), sizeof values);
    QCOMPARE(values[5], 5.0f);
    QCOMPARE(reader.tensor("ids").dtype, DType::I64);
    QCOMPARE(reader.tensor("mask").dtype, DType::Bool);
}

void TestSafetensors::rejectsCorruptFiles_data()
{
    QTest::addColumn<QByteArray>("header"); // empty: a 5-byte file
    QTest::addColumn<int>("dataBytes");
    QTest::addColumn<qint64>("headerLength"); // -1: the real length
    QTest::addColumn<QString>("message");     // after "<file>: "

    const QByteArray f32x4x8 = R"({"h.0.attn.c_attn.weight":{"dtype":"F32","shape":[4,8],)"
                               R"("data_offsets":[0,96]}})";
    QTest::newRow("truncated") << QByteArray() << 0 << qint64(-1)
                               << "file is 5 bytes, too short for the 8-byte header length";
    QTest::newRow("header length lying") << QByteArray("{}") << 10 << qint64(1000)
                                         << "header length 1000 exceeds the 12 bytes after it "
                                            "(truncated file?)";
    QTest::newRow("header not JSON")
        << QByteArray("{not json}") << 0 << qint64(-1)
        << "header is not valid JSON: parse error at line 1, column 3: syntax error while parsing "
           "object key - invalid literal; last read: '{no'; expected string literal";
    QTest::newRow("header an array")
        << QByteArray("[1, 2]") << 0 << qint64(-1) << "header is not a JSON object";
    QTest::newRow("offsets out of range")
        << QByteArray(R"({"a":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})") << 16
        << qint64(-1) << "tensor 'a': data_offsets [0, 32] outside the 16-byte data buffer";
    QTest::newRow("offsets reversed")
        << QByteArray(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})") << 16
        << qint64(-1) << "tensor 'a': data_offsets [8, 4] outside the 16-byte data buffer";
    QTest::newRow("offsets overlapping")
        << QByteArray(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                      R"("b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})")
        << 24 << qint64(-1) << "tensor 'b': data_offsets [8, 24] overlap tensor 'a' ending at 16";
    QTest::newRow("gap between tensors")
        << QByteArray(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                      R"("b":{"dtype":"F32","shape":[4],"data_offsets":[20,36]}})")
        << 36 << qint64(-1)
        << "tensor 'b': data_offsets [20, 36] leave bytes [16, 20) unused after tensor 'a'";
    QTest::newRow("gap at start") << QByteArray(
                                         R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})")
                                  << 8 << qint64(-1)
                                  << "tensor 'a': data_offsets [4, 8] leave bytes [0, 4) unused";
    QTest::newRow("bytes after the tensors")
        << QByteArray(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})") << 6 << qint64(-1)
        << "data buffer is 6 bytes but the tensors cover 4: bytes [4, 6) unused";
    QTest::newRow("shape and dtype size mismatch")
        << f32x4x8 << 96 << qint64(-1)
        << "tensor 'h.0.attn.c_attn.weight': data_offsets [0, 96] span 96 bytes, "
           "shape [4, 8] F32 needs 128";
    QTest::newRow("shape overflowing")
        << QByteArray(R"({"a":{"dtype":"F64","shape":[4294967296,4294967296],)"
                      R"("data_offsets":[0,8]}})")
        << 8 << qint64(-1)
        << "tensor 'a': data_offsets [0, 8] span 8 bytes, shape [4294967296, 4294967296] F64 "
           "needs more than 2^64";
    QTest::newRow("unknown dtype")
        << QByteArray(R"({"a":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}})") << 4
        << qint64(-1) << "tensor 'a': unknown dtype 'F17'";
    QTest::newRow("negative shape")
        << QByteArray(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})") << 4
        << qint64(-1) << "tensor 'a': shape [-1] is not all non-negative integers";
    QTest::newRow("offsets not a pair")
        << QByteArray(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})") << 4 << qint64(-1)
        << "tensor 'a': data_offsets must be [begin, end] with non-negative integers";
    QTest::newRow("entry not an object") << QByteArray(R"({"a":[1,2]})") << 0 << qint64(-1)
                                         << "tensor 'a': entry is not a JSON object";
    QTest::newRow("metadata not strings")
        << QByteArray(R"({"__metadata__":{"step":400}})") << 0 << qint64(-1)
        << "__metadata__ value of 'step' is number, expected a string";
}

void TestSafetensors::rejectsCorruptFiles()
{
    QFETCH(QByteArray, header);
    QFETCH(int, dataBytes);
    QFETCH(qint64, headerLength);
    QFETCH(QString, message);

    const fs::path file = path("corrupt.safetensors");
    if (header.isEmpty()) {
        std::ofstream(file, std::ios::binary).write("\x08\0\0\0\0", 5);
    } else {
        writeRaw(file, header.toStdString(), size_t(dataBytes),
                 headerLength < 0 ? std::nullopt : std::optional<uint64_t>(headerLength));
    }
    QCOMPARE(errorOf(file), QString::fromStdString(file.string()) + ": " + message);
}

QTEST_GUILESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
