// SentencePiece-style tokenizer.json files (Llama 2, Mistral, TinyLlama, Gemma layouts) against
// Hugging Face `tokenizers`: Mistral's real SentencePiece models (PyPI mistral-common), laid out
// as the Hub's files are, and Llama 3's byte-level file, must give HF's ids and decodings for
// every text of the KJV bible, Debian's fortunes (English and Chinese) and hard cases; our saved
// copies must load in HF with identical results. A tiny hand-written file checks the parts
// (prefix schemes, byte fallback, unknowns, decoders, errors) without Python.
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "core/text/tokenizer_json.h"
#include "tests/support/fortunes.h"
#include "core/util/error.h"

using namespace rlhf::text;

namespace {

std::vector<std::string> hardCases()
{
    std::vector<std::string> cases = {"",
                                      " ",
                                      "  ",
                                      "   x",
                                      "x   ",
                                      "a  b   c",
                                      "\n",
                                      "\n\n",
                                      " \n ",
                                      "\t",
                                      "\ttab\t",
                                      "\r\n",
                                      "▁",
                                      "▁▁",
                                      " ▁",
                                      "▁ x",
                                      "x▁",
                                      "Hello world",
                                      " Hello",
                                      "Hello ",
                                      "hello\nworld",
                                      "<s>",
                                      "</s>",
                                      "<s></s>",
                                      "<s>Hello</s>",
                                      "<s> Hello</s>",
                                      "Hello<s>",
                                      " <s> ",
                                      "<unk>",
                                      "[INST] Hi [/INST] Hello</s>[INST]x[/INST]",
                                      "[INST]",
                                      "<s>[INST] a [/INST]",
                                      "a <mask> b",
                                      "a   <mask>   b<mask>",
                                      "<mask>",
                                      "I use Debian GNU/Linux",
                                      "Debian GNU",
                                      " Debian GNU",
                                      "Debian  GNU",
                                      "\U0001F600",
                                      "\U0001F600\U0001F44D\U0001F3FD x",
                                      "\U0001F468\u200D\U0001F469\u200D\U0001F467",
                                      "\U00031350\U0001E4F1 \U0010FFFD",
                                      "你好，世界！",
                                      "こんにちは",
                                      "안녕하세요",
                                      "مرحبا",
                                      "नमस्ते",
                                      "e\u0301",
                                      "\u00A0\u3000",
                                      "\x7F\x1B[33m",
                                      std::string("a\0b", 3),
                                      std::string(300, ' ') + "x",
                                      std::string(1000, 'a'),
                                      "<0x0A>",
                                      "<0x41><0xE4>",
                                      "12345 3.14159",
                                      "x<|pad|>y"};
    for (const char* bad : {"\xFF\xFE", "abc\x80", "\xE4\xBD", "\xED\xA0\x80", "ok \xF0\x9F\x98"})
        cases.emplace_back(bad);
    return cases;
}

std::string hexOf(const std::string& bytes)
{
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (unsigned char byte : bytes) {
        hex.push_back(digits[byte >> 4]);
        hex.push_back(digits[byte & 15]);
    }
    return hex;
}

std::string joined(const std::vector<std::uint32_t>& ids)
{
    std::string text;
    for (std::uint32_t id : ids) {
        if (!text.empty()) text += ' ';
        text += std::to_string(id);
    }
    return text;
}

std::string errorOf(const std::function<void()>& action)
{
    try {
        action();
    } catch (const rlhf::Error& error) {
        return error.what();
    }
    return "(no error)";
}

// A hand-written SentencePiece-style file: "▁" pieces, byte fallback for "\n" and 'é' only.
QJsonObject tinyFile()
{
    const QJsonObject vocab{{"<unk>", 0},  {"<s>", 1}, {"</s>", 2}, {"<0x0A>", 3}, {"<0xC3>", 4},
                            {"<0xA9>", 5}, {"▁", 6},   {"a", 7},    {"b", 8},      {"▁a", 9},
                            {"▁ab", 10},   {"ab", 11}, {"c", 12}};
    const QJsonArray merges{QJsonArray{"▁", "a"}, QJsonArray{"▁a", "b"}, QJsonArray{"a", "b"}};
    auto added = [](int id, const char* content) {
        return QJsonObject{{"id", id},        {"content", content}, {"single_word", false},
                           {"lstrip", false}, {"rstrip", false},    {"normalized", false},
                           {"special", true}};
    };
    auto replace = [](const char* from, const char* to) {
        return QJsonObject{
            {"type", "Replace"}, {"pattern", QJsonObject{{"String", from}}}, {"content", to}};
    };
    return QJsonObject{
        {"version", "1.0"},
        {"added_tokens", QJsonArray{added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")}},
        {"normalizer",
         QJsonObject{{"type", "Sequence"},
                     {"normalizers", QJsonArray{QJsonObject{{"type", "Prepend"}, {"prepend", "▁"}},
                                                replace(" ", "▁")}}}},
        {"pre_tokenizer", QJsonValue()},
        {"post_processor", QJsonValue()},
        {"decoder",
         QJsonObject{
             {"type", "Sequence"},
             {"decoders",
              QJsonArray{
                  replace("▁", " "), QJsonObject{{"type", "ByteFallback"}},
                  QJsonObject{{"type", "Fuse"}},
                  QJsonObject{{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}},
        {"model", QJsonObject{{"type", "BPE"},
                              {"unk_token", "<unk>"},
                              {"fuse_unk", true},
                              {"byte_fallback", true},
                              {"vocab", vocab},
                              {"merges", merges}}}};
}

Tokenizer tokenizerOf(const QJsonObject& root)
{
    const QByteArray json = QJsonDocument(root).toJson();
    return tokenizerFromJson(std::string_view(json.constData(), json.size()), "tiny.json");
}

using Ids = std::vector<std::uint32_t>;

} // namespace

class TestTokenizerSentencePiece : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void tinyFileParts();
    void tinyFileErrors();
    void realFilesMatchHf();

private:
    QJsonObject runReference(const QJsonObject& job);
    std::vector<std::string> corpus();

    QString m_python;
    QTemporaryDir m_directory;
};

void TestTokenizerSentencePiece::tinyFileParts()
{
    const Tokenizer legacy = tokenizerOf(tinyFile());
    // Prepend + Replace: "▁ab▁a" -> ▁ab, ▁a; around "<s>" each piece gets its own "▁".
    QCOMPARE(legacy.encode("ab a"), (Ids{10, 9}));
    QCOMPARE(legacy.encode("<s>ab"), (Ids{1, 10}));
    QCOMPARE(legacy.encode("ab<s>"), (Ids{10, 1}));
    // Byte fallback for "\n" and "é" (C3 A9); unknown "xy" fused into one <unk>, "z" after "c".
    QCOMPARE(legacy.encode("a\n"), (Ids{9, 3}));
    QCOMPARE(legacy.encode("é"), (Ids{6, 4, 5}));
    QCOMPARE(legacy.encode("xyc"), (Ids{6, 0, 12}));
    // Decoding: "▁" -> " ", bytes joined, the leading space stripped once.
    QCOMPARE(legacy.decode(Ids{10, 9, 3}), std::string("ab a\n"));
    QCOMPARE(legacy.decode(Ids{1, 10}), std::string("<s> ab"));
    QCOMPARE(legacy.decode(Ids{1, 10}, SpecialTokenOutput::Skip), std::string("ab"));
    QCOMPARE(legacy.decode(Ids{4, 5}), std::string("é"));
    // An invalid byte run is one U+FFFD per byte in decode(), raw bytes in decodeBytes().
    QCOMPARE(legacy.decode(Ids{4, 7}), std::string("\uFFFDa"));
    QCOMPARE(legacy.decode(Ids{5, 4}), std::string("\uFFFD\uFFFD"));
    QCOMPARE(legacy.decodeBytes(Ids{9, 4}), std::string("a\xC3"));

    // Metaspace "first": the prefix only where the text starts.
    QJsonObject first = tinyFile();
    first["normalizer"] = QJsonValue();
    first["pre_tokenizer"] = QJsonObject{
        {"type", "Metaspace"}, {"replacement", "▁"}, {"prepend_scheme", "first"}, {"split", false}};
    const Tokenizer firstOnly = tokenizerOf(first);
    QCOMPARE(firstOnly.encode("ab<s>ab"), (Ids{10, 1, 11}));
    QCOMPARE(firstOnly.encode("<s>ab"), (Ids{1, 11}));
    first["pre_tokenizer"] = QJsonObject{{"type", "Metaspace"}, {"replacement", "▁"}};
    QCOMPARE(tokenizerOf(first).encode("ab<s>ab a"), (Ids{10, 1, 10, 9})); // always, split

    // Saving writes the parts back: the copy encodes and decodes alike.
    const Tokenizer copy = tokenizerOf(
        QJsonDocument::fromJson(QByteArray::fromStdString(tokenizerToJson(legacy))).object());
    for (const char* text : {"ab a", "<s>ab\né xyc", "  ", ""}) {
        QCOMPARE(copy.encode(text), legacy.encode(text));
        QCOMPARE(copy.decode(copy.encode(text)), legacy.decode(legacy.encode(text)));
    }
}

void TestTokenizerSentencePiece::tinyFileErrors()
{
    struct Case {
        const char* expected;
        std::function<void(QJsonObject&)> change;
    };
    const std::vector<Case> cases = {
        {"normalizer.normalizers[1]: type 'NFKC' is not supported",
         [](QJsonObject& root) {
             QJsonObject normalizer = root["normalizer"].toObject();
             QJsonArray steps = normalizer["normalizers"].toArray();
             steps[1] = QJsonObject{{"type", "NFKC"}};
             normalizer["normalizers"] = steps;
             root["normalizer"] = normalizer;
         }},
        {"decoder.decoders[2]: type 'CTC' is not supported",
         [](QJsonObject& root) {
             QJsonObject decoder = root["decoder"].toObject();
             QJsonArray steps = decoder["decoders"].toArray();
             steps[2] = QJsonObject{{"type", "CTC"}};
             decoder["decoders"] = steps;
             root["decoder"] = decoder;
         }},
        {"pre_tokenizer.prepend_scheme: 'sometimes' is not one of",
         [](QJsonObject& root) {
             root["pre_tokenizer"] = QJsonObject{
                 {"type", "Metaspace"}, {"replacement", "▁"}, {"prepend_scheme", "sometimes"}};
         }},
        {"model.unk_token: '<none>' is not in model.vocab",
         [](QJsonObject& root) {
             QJsonObject model = root["model"].toObject();
             model["unk_token"] = "<none>";
             root["model"] = model;
         }},
        {"decoder: ByteLevel with a model that is not byte-level",
         [](QJsonObject& root) {
             root["decoder"] = QJsonObject{{"type", "ByteLevel"}};
         }},
        {"normalizer.normalizers[1].pattern: Regex patterns are not supported",
         [](QJsonObject& root) {
             QJsonObject normalizer = root["normalizer"].toObject();
             QJsonArray steps = normalizer["normalizers"].toArray();
             QJsonObject replace = steps[1].toObject();
             replace["pattern"] = QJsonObject{{"Regex", " +"}};
             steps[1] = replace;
             normalizer["normalizers"] = steps;
             root["normalizer"] = normalizer;
         }},
    };
    for (const Case& test : cases) {
        QJsonObject root = tinyFile();
        test.change(root);
        const std::string message = errorOf([&] { tokenizerOf(root); });
        QVERIFY2(message.rfind("tiny.json: ", 0) == 0 &&
                     message.find(test.expected) != message.npos,
                 message.c_str());
    }
}

std::vector<std::string> TestTokenizerSentencePiece::corpus()
{
    std::vector<std::string> texts = hardCases();
    std::size_t english = 0, chinese = 0, verses = 0;
    std::vector<std::pair<const char*, bool>> files; // name, Chinese
    for (const char* name : rlhf::test_support::englishFortuneFiles)
        files.emplace_back(name, false);
    for (const char* name : rlhf::test_support::chineseFortuneFiles)
        files.emplace_back(name, true);
    for (const auto& [name, isChinese] : files) {
        // Every second entry, and below every eighth verse: HF's side dominates the run time.
        std::vector<std::string> entries =
            rlhf::test_support::fortuneEntries(rlhf::test_support::readFortuneFile(name));
        for (std::size_t index = 0; index < entries.size(); index += 2) {
            texts.push_back(std::move(entries[index]));
            ++(isChinese ? chinese : english);
        }
    }
    const QString bibleProgram = QStandardPaths::findExecutable("bible");
    if (bibleProgram.isEmpty()) {
        qWarning("`bible` (package bible-kjv) not installed: no KJV verses");
    } else {
        QProcess process;
        process.start(bibleProgram, {"-f", "gen1:1-rev22:21"});
        process.waitForFinished(60'000);
        const QByteArray bible = process.readAllStandardOutput();
        // Verse lines, and every 1200th line a block of 30 lines as one text.
        const QList<QByteArray> lines = bible.split('\n');
        for (qsizetype index = 0; index < lines.size(); index += 8, ++verses)
            texts.emplace_back(lines[index].constData(), lines[index].size());
        for (qsizetype index = 0; index + 30 < lines.size(); index += 1200, ++verses)
            texts.push_back(lines.mid(index, 30).join('\n').toStdString() + "\n");
    }
    qInfo("%zu texts: %zu hard cases, %zu English and %zu Chinese fortunes, %zu bible texts",
          texts.size(), hardCases().size(), english, chinese, verses);
    return texts;
}

QJsonObject TestTokenizerSentencePiece::runReference(const QJsonObject& job)
{
    static int runs = 0;
    const QString jobPath = m_directory.filePath(QString("job%1.json").arg(runs));
    const QString outPath = m_directory.filePath(QString("out%1.json").arg(runs++));
    QFile jobFile(jobPath);
    if (!jobFile.open(QIODevice::WriteOnly) || jobFile.write(QJsonDocument(job).toJson()) < 0)
        return {};
    jobFile.close();
    QProcess process;
    process.start(m_python,
                  {QStringLiteral(RLHF_SOURCE_DIR "/tests/reference/sentencepiece_check.py"),
                   jobPath, outPath});
    if (!process.waitForFinished(300'000) || process.exitCode() != 0) {
        qWarning("reference script failed: %s", process.readAllStandardError().constData());
        return {};
    }
    QFile outFile(outPath);
    if (!outFile.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(outFile.readAll()).object();
}

void TestTokenizerSentencePiece::realFilesMatchHf()
{
    m_python = QStringLiteral(RLHF_HF_PYTHON);
    if (!QFileInfo(m_python).isExecutable())
        QSKIP(qPrintable("reference Python not found at " + m_python +
                         "; run packaging/install-deps.sh --torch=pip"));
    QVERIFY(m_directory.isValid());
    const QJsonObject built =
        runReference({{"build", QJsonObject{{"outDir", m_directory.path()}}}});
    if (built.contains("missing"))
        QSKIP(qPrintable("reference packages missing: " + built["missing"].toString()));
    const QJsonArray files = built["files"].toArray();
    QVERIFY2(files.size() >= 8, "the reference made too few tokenizer files");

    const std::vector<std::string> texts = corpus();
    QVERIFY2(texts.size() > 8'000, "fortunes not installed (packages fortunes, fortunes-zh)");
    // Random id lists, half of them from the first 300 ids (control and byte tokens).
    std::mt19937 random(1234);
    std::vector<Ids> idLists(4000);
    for (std::size_t index = 0; index < idLists.size(); ++index) {
        idLists[index].resize(1 + random() % 10);
        for (std::uint32_t& id : idLists[index])
            id = index % 2 ? random() % 300 : random() % 33'000;
    }
    auto writeLines = [&](const QString& path, const std::function<void(QFile&)>& write) {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        write(file);
    };
    const QString textsPath = m_directory.filePath("texts.txt");
    writeLines(textsPath, [&](QFile& file) {
        for (const std::string& text : texts)
            file.write((hexOf(text) + "\n").c_str());
    });
    const QString idsPath = m_directory.filePath("ids.txt");
    writeLines(idsPath, [&](QFile& file) {
        for (const Ids& ids : idLists)
            file.write((joined(ids) + "\n").c_str());
    });

    QJsonArray cases;
    for (qsizetype which = 0; which < files.size(); ++which) {
        const QJsonObject entry = files[which].toObject();
        QElapsedTimer timer;
        timer.start();
        const Tokenizer tokenizer = loadTokenizerJson(entry["path"].toString().toStdString());
        const qint64 loadMs = timer.restart();
        std::string lines;
        std::size_t bytes = 0;
        for (const std::string& text : texts) {
            const Ids ids = tokenizer.encode(text);
            bytes += text.size();
            lines += joined(ids) + ";" + joined(tokenizer.encode(text, SpecialTokenText::AsText)) +
                     ";" + hexOf(tokenizer.decode(ids)) + ";" +
                     hexOf(tokenizer.decode(ids, SpecialTokenOutput::Skip)) + "\n";
        }
        const qint64 encodeMs = timer.restart();
        for (const Ids& ids : idLists)
            lines += hexOf(tokenizer.decode(ids)) + "\n";
        qInfo("%s: loaded in %lld ms; %zu texts (%.1f MB) encoded twice and decoded twice in "
              "%lld ms",
              qPrintable(entry["name"].toString()), loadMs, texts.size(), bytes / 1e6, encodeMs);
        const QString oursPath = m_directory.filePath(QString("ours%1.txt").arg(which));
        writeLines(oursPath, [&](QFile& file) { file.write(lines.data(), lines.size()); });
        const QString savedPath = m_directory.filePath(QString("saved%1.json").arg(which));
        saveTokenizerJson(tokenizer, savedPath.toStdString());
        cases.append(QJsonObject{{"name", entry["name"]},
                                 {"path", entry["path"]},
                                 {"ours", oursPath},
                                 {"saved", savedPath}});
    }
    const QJsonObject reference = runReference(
        {{"check", QJsonObject{{"texts", textsPath}, {"decodeIds", idsPath}, {"cases", cases}}}});
    const QJsonArray results = reference["results"].toArray();
    QCOMPARE(results.size(), files.size());
    qInfo("reference: tokenizers %s", qPrintable(reference["tokenizersVersion"].toString()));
    bool allSame = true;
    for (const QJsonValue& value : results) {
        const QJsonObject result = value.toObject();
        const int total = result["texts"].toInt();
        qInfo("%s: %d / %d texts identical (ids %d, ids with specials as text %d, decode %d, "
              "decode skipping specials %d); %d / %d id lists decode identically; HF on our "
              "saved file: %d / %d identical",
              qPrintable(result["name"].toString()), result["identical"].toInt(), total,
              result["encode"].toInt(), result["encodeAsText"].toInt(), result["decode"].toInt(),
              result["decodeSkip"].toInt(), result["decodeIds"].toInt(), result["idLists"].toInt(),
              result["savedIdentical"].toInt(), total);
        for (const QJsonValue& difference : result["differences"].toArray())
            qWarning("  %s", qPrintable(difference.toString()));
        allSame = allSame && result["identical"].toInt() == total &&
                  result["savedIdentical"].toInt() == total &&
                  result["decodeIds"].toInt() == result["idLists"].toInt();
    }
    QVERIFY2(allSame, "some results differ from HF tokenizers (see the warnings above)");
}

QTEST_GUILESS_MAIN(TestTokenizerSentencePiece)
#include "test_tokenizer_sentencepiece.moc"
