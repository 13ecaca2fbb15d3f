// Reference test: our byte-level BPE against Hugging Face `tokenizers` (Python) on real Debian
// text (fortunes, fortunes-zh, the KJV bible) plus hard cases. Our trained tokenizer.json files
// must load in HF and give exactly our ids and decodings; tokenizer.json files that HF itself
// trains (GPT-2 and Llama 3 style) must load here and give exactly HF's ids and decodings.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "core/text/bpe_trainer.h"
#include "core/text/regex.h"
#include "core/text/tokenizer_json.h"
#include "tests/support/fortunes.h"
#include "core/text/utf8.h"

using namespace rlhf::text;

namespace {

// The lines of `text` that fit in its first `limit` bytes (never half a character).
std::string wholeLines(const std::string& text, std::size_t limit)
{
    if (text.size() <= limit) return text;
    return text.substr(0, text.rfind('\n', limit) + 1);
}

// Every `step`-th element, at most `limit` of them.
std::vector<std::string> sample(const std::vector<std::string>& items, std::size_t step,
                                std::size_t limit)
{
    std::vector<std::string> result;
    for (std::size_t index = 0; index < items.size() && result.size() < limit; index += step)
        result.push_back(items[index]);
    return result;
}

// Characters where engines disagree unless we translate the regex (U+180E is not \s in HF;
// U+31350, U+1E4F1 are a letter and a digit of Unicode 15/16), repeated in training so that
// merges cross them and a wrong split shows up in the ids.
const std::string kUnicodeEdgeLine = "edge: \U00031350the \U00031351ing 1\U0001E4F1\U0001E4F12 "
                                     "x\u180E\u180E! go\u180E\u180Ego   \u180E\n";

std::vector<std::string> hardCases()
{
    std::vector<std::string> cases = {"",
                                      " ",
                                      "  ",
                                      "\n",
                                      "\n\n\n",
                                      "   \n  \n",
                                      "\t\t",
                                      "\r\n line\r\n",
                                      "trailing   ",
                                      "  leading",
                                      "Hello world",
                                      "I'm you're we've they'll she'd it's I'M YOU'RE It'S 'ſ",
                                      "don't 's 's",
                                      "12345678901 3.14159 1,000,000 $42.50",
                                      "x\u00B2+y\u00B3 \u00BD \u0663\u0664",
                                      "\U0001F600\U0001F44D\U0001F3FD\U0001F468\u200D\U0001F469"
                                      "\u200D\U0001F467 \U0001F1E9\U0001F1EA",
                                      "你好，世界！这是一个测试。",
                                      "こんにちは世界、カタカナ",
                                      "안녕하세요",
                                      "مرحبا بالعالم",
                                      "नमस्ते दुनिया",
                                      "e\u0301 n\u0303",
                                      "code: for (int i=0;i<10;++i) { x += i; }",
                                      "<|bos|>Hello<|eos|>",
                                      "<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n",
                                      "<|bos|><|bos|>",
                                      "<|unknown|> <|bos",
                                      "x<|pad|>y",
                                      std::string("a\0b", 3),
                                      std::string(300, ' ') + "x",
                                      "\u00A0nbsp \u3000ideographic \u0085NEL \u2028\u2029",
                                      "a <mask> b",
                                      "a   <mask>   b<mask>",
                                      "Debian GNU/Linux",
                                      "<|endoftext|>hi",
                                      "<|begin_of_text|>Hi<|eot_id|>",
                                      "tab\tsep\tvalues\n",
                                      std::string(1000, 'a'),
                                      std::string(50, '9'),
                                      "\x7F\x1B[33m ansi\x1B[m",
                                      kUnicodeEdgeLine,
                                      "\U00031350the",
                                      "go\u180E\u180Ego",
                                      "x\u180E\u180E!?"};
    // Invalid UTF-8: Python hands HF the text decoded with errors="replace"; we repair alike.
    for (const char* bad :
         {"\xFF\xFE",
          "abc\x80"
          "def",
          "\xE4\xBD", "\xED\xA0\x80", "\xC0\xAF", "\xF4\x90\x80\x80", "ok \xF0\x9F\x98"})
        cases.emplace_back(bad);
    return cases;
}

std::vector<std::uint32_t> idsOf(const QJsonValue& value)
{
    std::vector<std::uint32_t> ids;
    for (const QJsonValue& id : value.toArray())
        ids.push_back(static_cast<std::uint32_t>(id.toInteger()));
    return ids;
}

QString excerpt(const std::string& text)
{
    return QString::fromUtf8(text.substr(0, 80).c_str()).toHtmlEscaped();
}

} // namespace

class TestTokenizerHf : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void characterClassesMatchHf();
    void ourTokenizersMatchHf();
    void hfTrainedTokenizersMatchUs();

private:
    QJsonObject runReference(const QJsonObject& job);
    void compareWithHf(const std::vector<std::pair<QString, const Tokenizer*>>& tokenizers);

    QString m_python;
    QTemporaryDir m_directory;
    std::string m_corpus;             // training text
    std::vector<std::string> m_texts; // what gets encoded on both sides
};

void TestTokenizerHf::initTestCase()
{
    m_python = QStringLiteral(RLHF_REFERENCE_PYTHON);
    if (!QFileInfo(m_python).isExecutable())
        QSKIP(qPrintable("reference Python not found at " + m_python +
                         "; run packaging/install-deps.sh (it makes .venv with tokenizers)"));
    QVERIFY(m_directory.isValid());

    std::string english;
    std::vector<std::string> englishEntries;
    for (const char* name : rlhf::test_support::englishFortuneFiles) {
        const std::string text = rlhf::test_support::readFortuneFile(name);
        english += text;
        for (std::string& entry : rlhf::test_support::fortuneEntries(text))
            englishEntries.push_back(std::move(entry));
    }
    QVERIFY2(english.size() > 1'200'000, "fortunes not installed (Debian package `fortunes`)");
    std::string chinese;
    std::vector<std::string> chineseEntries;
    for (const char* name : rlhf::test_support::chineseFortuneFiles) {
        const std::string text = rlhf::test_support::readFortuneFile(name);
        chinese += text;
        for (std::string& entry : rlhf::test_support::fortuneEntries(text))
            chineseEntries.push_back(std::move(entry));
    }
    QVERIFY2(chinese.size() > 200'000, "Chinese fortunes not installed (package `fortunes-zh`)");

    std::string bible;
    const QString bibleProgram = QStandardPaths::findExecutable("bible");
    if (bibleProgram.isEmpty()) {
        qWarning("`bible` (package bible-kjv) not installed: training without the KJV text");
    } else {
        QProcess process;
        process.start(bibleProgram, {"-f", "gen1:1-rev22:21"});
        QVERIFY(process.waitForFinished(60'000));
        const QByteArray output = process.readAllStandardOutput();
        bible.assign(output.constData(), output.size());
        QVERIFY2(bible.size() > 1'000'000, "`bible -f gen1:1-rev22:21` printed too little");
    }

    // About 1.3 MB of training text: fast on both sides, yet thousands of real merges.
    m_corpus =
        wholeLines(bible, 500'000) + wholeLines(english, 600'000) + wholeLines(chinese, 250'000);
    for (int copy = 0; copy < 100; ++copy)
        m_corpus += kUnicodeEdgeLine;

    m_texts = hardCases();
    for (auto* source : {&englishEntries, &chineseEntries}) {
        const std::size_t step = std::max<std::size_t>(1, source->size() / 700);
        for (std::string& text : sample(*source, step, 700))
            m_texts.push_back(std::move(text));
    }
    std::vector<std::string> bibleLines;
    for (std::size_t position = 0; position < bible.size();) {
        const std::size_t end = std::min(bible.find('\n', position), bible.size());
        bibleLines.push_back(bible.substr(position, end + 1 - position));
        position = end + 1;
    }
    for (std::string& line : sample(bibleLines, 31, 1000))
        m_texts.push_back(std::move(line));
    m_texts.push_back(english.substr(1'100'000, 100'000)); // one long text, unseen in training
    m_texts.push_back(bible.substr(bible.size() - bible.size() / 20));
    qInfo("%zu texts, training corpus %zu bytes", m_texts.size(), m_corpus.size());
}

QJsonObject TestTokenizerHf::runReference(const QJsonObject& job)
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
                  {QStringLiteral(RLHF_SOURCE_DIR "/tests/reference/hf_tokenizer_check.py"),
                   jobPath, outPath});
    if (!process.waitForFinished(300'000) || process.exitCode() != 0) {
        qWarning("reference script failed: %s", process.readAllStandardError().constData());
        return {};
    }
    QFile outFile(outPath);
    if (!outFile.open(QIODevice::ReadOnly)) return {};
    const QJsonDocument document = QJsonDocument::fromJson(outFile.readAll());
    return document.isObject() ? document.object() : QJsonObject{{"list", document.array()}};
}

void TestTokenizerHf::compareWithHf(
    const std::vector<std::pair<QString, const Tokenizer*>>& tokenizers)
{
    QJsonArray paths;
    QJsonArray texts;
    for (const auto& [path, tokenizer] : tokenizers)
        paths.append(path);
    for (const std::string& text : m_texts)
        texts.append(QString::fromLatin1(QByteArray(text.data(), text.size()).toHex()));
    // Random id sequences (unknown ids and split characters included) and every single id.
    std::uint32_t largest = 0;
    for (const auto& [path, tokenizer] : tokenizers)
        largest = std::max(largest, tokenizer->vocabSize());
    std::mt19937 random(1234);
    std::vector<std::vector<std::uint32_t>> decodeIds;
    for (int sequence = 0; sequence < 3000; ++sequence) {
        decodeIds.emplace_back(1 + random() % 8);
        for (std::uint32_t& id : decodeIds.back())
            id = random() % (largest + 20);
    }
    for (std::uint32_t id = 0; id < largest; ++id)
        decodeIds.push_back({id});
    QJsonArray decodeJson;
    for (const auto& ids : decodeIds) {
        QJsonArray list;
        for (std::uint32_t id : ids)
            list.append(static_cast<qint64>(id));
        decodeJson.append(list);
    }
    const QJsonObject reference =
        runReference({{"tokenizers", paths}, {"texts", texts}, {"decodeIds", decodeJson}});
    const QJsonArray results = reference.value("results").toArray();
    QCOMPARE(results.size(), static_cast<qsizetype>(tokenizers.size()));
    qInfo("reference: tokenizers %s", qPrintable(reference.value("tokenizersVersion").toString()));

    for (std::size_t which = 0; which < tokenizers.size(); ++which) {
        const Tokenizer& tokenizer = *tokenizers[which].second;
        const QJsonObject result = results[which].toObject();
        const QJsonArray encode = result.value("encode").toArray();
        const QJsonArray encodeAsText = result.value("encodeAsText").toArray();
        const QJsonArray decoded = result.value("decoded").toArray();
        const QJsonArray decodedSkip = result.value("decodedSkip").toArray();
        const QJsonArray decodedIds = result.value("decodeIds").toArray();
        QCOMPARE(encode.size(), static_cast<qsizetype>(m_texts.size()));
        int mismatches = 0;
        for (std::size_t index = 0; index < m_texts.size(); ++index) {
            const std::vector<std::uint32_t> expected = idsOf(encode[index]);
            const std::vector<std::uint32_t> ours = tokenizer.encode(m_texts[index]);
            const bool same =
                ours == expected &&
                tokenizer.encode(m_texts[index], SpecialTokenText::AsText) ==
                    idsOf(encodeAsText[index]) &&
                tokenizer.decode(expected) == decoded[index].toString().toStdString() &&
                tokenizer.decode(expected, SpecialTokenOutput::Skip) ==
                    decodedSkip[index].toString().toStdString();
            if (!same && mismatches++ < 3)
                qWarning("%s: text %zu differs from HF: '%s' (%zu ids here, %zu in HF)",
                         qPrintable(tokenizers[which].first), index,
                         qPrintable(excerpt(m_texts[index])), ours.size(), expected.size());
        }
        for (std::size_t index = 0; index < decodeIds.size(); ++index) {
            if (tokenizer.decode(decodeIds[index]) != decodedIds[index].toString().toStdString() &&
                mismatches++ < 3)
                qWarning("%s: decoding id list %zu differs from HF",
                         qPrintable(tokenizers[which].first), index);
        }
        QVERIFY2(
            mismatches == 0,
            qPrintable(
                QString("%1: %2 mismatches with HF").arg(tokenizers[which].first).arg(mismatches)));
    }
}

namespace {

using CodePointRanges = std::vector<std::pair<char32_t, char32_t>>;

// Planes 0-3 and 14: everything assigned outside private use (planes 4-13 are unassigned).
const CodePointRanges kUniverse = {{1, 0xD7FF}, {0xE000, 0x3FFFF}, {0xE0000, 0xE0FFF}};

// Joins touching or overlapping ranges.
CodePointRanges unionOf(CodePointRanges ranges)
{
    std::sort(ranges.begin(), ranges.end());
    CodePointRanges result;
    for (const auto& range : ranges) {
        if (!result.empty() && result.back().second + 1 >= range.first)
            result.back().second = std::max(result.back().second, range.second);
        else
            result.push_back(range);
    }
    return result;
}

// The code points of kUniverse outside `ranges`.
CodePointRanges complementOf(const CodePointRanges& ranges)
{
    const CodePointRanges sorted = unionOf(ranges);
    CodePointRanges result;
    for (auto [first, last] : kUniverse) {
        char32_t next = first;
        for (const auto& [from, to] : sorted) {
            if (to < next || from > last) continue;
            if (from > next) result.emplace_back(next, from - 1);
            next = std::max<char32_t>(next, to + 1);
        }
        if (next <= last) result.emplace_back(next, last);
    }
    return unionOf(result);
}

// The code points of kUniverse that `pattern` (one character per match) matches.
CodePointRanges matchedCodePoints(const std::string& pattern)
{
    // Each code point twice: a matched one comes out as one-character pieces, while a gap of
    // unmatched ones is at least two characters long.
    static const std::string everything = [] {
        std::string text;
        for (auto [first, last] : kUniverse) {
            for (char32_t codePoint = first; codePoint <= last; ++codePoint) {
                appendUtf8(text, codePoint);
                appendUtf8(text, codePoint);
            }
        }
        return text;
    }();
    CodePointRanges ranges;
    Regex(pattern).splitIsolated(everything, [&](std::string_view piece) {
        std::size_t position = 0;
        const char32_t codePoint = nextCodePoint(piece, position);
        if (position == piece.size()) ranges.emplace_back(codePoint, codePoint);
    });
    return unionOf(ranges);
}

} // namespace

// Each code point against \s, \p{L}, \p{N}: PCRE2 with our translation must agree with HF's
// Oniguruma on all of them; the negated forms our patterns use must be their exact complements.
void TestTokenizerHf::characterClassesMatchHf()
{
    const QStringList patterns = {R"(\s)", R"(\p{L})", R"(\p{N})"};
    QJsonArray universe;
    for (auto [first, last] : kUniverse)
        universe.append(QJsonArray{qint64(first), qint64(last)});
    const QJsonObject reference =
        runReference({{"classes", QJsonArray::fromStringList(patterns)}, {"codePoints", universe}});
    const QJsonArray classes = reference.value("classes").toArray();
    QCOMPARE(classes.size(), patterns.size());
    std::vector<CodePointRanges> ours;
    for (qsizetype index = 0; index < patterns.size(); ++index) {
        ours.push_back(matchedCodePoints(patterns[index].toStdString()));
        CodePointRanges theirs;
        for (const QJsonValue& range : classes[index].toArray())
            theirs.emplace_back(range[0].toInteger(), range[1].toInteger());
        QVERIFY2(ours.back() == unionOf(theirs),
                 qPrintable(patterns[index] + ": code points differ from HF"));
    }
    QCOMPARE(matchedCodePoints(R"(\S)"), complementOf(ours[0]));
    CodePointRanges spaceLetterNumber = ours[0];
    spaceLetterNumber.insert(spaceLetterNumber.end(), ours[1].begin(), ours[1].end());
    spaceLetterNumber.insert(spaceLetterNumber.end(), ours[2].begin(), ours[2].end());
    QCOMPARE(matchedCodePoints(R"([^\s\p{L}\p{N}])"), complementOf(spaceLetterNumber));
}

void TestTokenizerHf::ourTokenizersMatchHf()
{
    std::vector<Tokenizer> trained;
    std::vector<std::pair<QString, const Tokenizer*>> files;
    for (PatternFlavour flavour : {PatternFlavour::Gpt2, PatternFlavour::Llama3}) {
        TrainConfig config;
        config.vocabSize = 3000;
        config.pattern = flavour;
        BpeTrainer trainer(config);
        for (std::size_t position = 0; position < m_corpus.size(); position += 4096)
            trainer.addText(std::string_view(m_corpus).substr(position, 4096));
        trained.push_back(trainer.train());
        QCOMPARE(trained.back().vocabSize(), 3000u);
    }
    for (std::size_t index = 0; index < trained.size(); ++index) {
        const QString path =
            m_directory.filePath(index == 0 ? "ours_gpt2.json" : "ours_llama3.json");
        saveTokenizerJson(trained[index], path.toStdString());
        files.emplace_back(path, &trained[index]);
    }
    compareWithHf(files);
}

void TestTokenizerHf::hfTrainedTokenizersMatchUs()
{
    const QString corpusPath = m_directory.filePath("corpus.txt");
    QFile corpus(corpusPath);
    QVERIFY(corpus.open(QIODevice::WriteOnly));
    corpus.write(m_corpus.data(), static_cast<qint64>(m_corpus.size()));
    corpus.close();
    const QJsonObject made = runReference({{"train", QJsonObject{{"corpus", corpusPath},
                                                                 {"outDir", m_directory.path()},
                                                                 {"vocabSize", 3000}}}});
    const QJsonArray list = made.value("list").toArray();
    QCOMPARE(list.size(), 3);

    std::vector<Tokenizer> loaded;
    std::vector<std::pair<QString, const Tokenizer*>> files;
    for (const QJsonValue& entry : list)
        loaded.push_back(
            loadTokenizerJson(entry.toObject().value("path").toString().toStdString()));
    for (std::size_t index = 0; index < loaded.size(); ++index)
        files.emplace_back(list[index].toObject().value("path").toString(), &loaded[index]);
    // The files really are the shapes we mean: GPT-2's ByteLevel regex, Llama 3's Split +
    // ByteLevel, and GPT-2 in the older layout (string merges, defaults left out).
    QVERIFY(loaded[0].preTokenizer().config().useRegex);
    QVERIFY(loaded[0].preTokenizer().config().addPrefixSpace);
    QCOMPARE(loaded[1].preTokenizer().config().splits.size(), std::size_t(1));
    QVERIFY(loaded[1].model().ignoreMerges());
    QVERIFY(loaded[1].vocabSize() > loaded[1].model().size()); // added tokens after the model
    QVERIFY(loaded[2].preTokenizer().config().useRegex);
    QCOMPARE(loaded[2].model().merges(), loaded[0].model().merges());
    compareWithHf(files);
}

QTEST_GUILESS_MAIN(TestTokenizerHf)
#include "test_tokenizer_hf.moc"
