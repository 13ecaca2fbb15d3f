// Tests of core/text on their own (no reference implementation needed): byte-level alphabet,
// UTF-8 repair, pre-tokenizer splits, the trainer against a naive trainer, round trips of hard
// cases, special tokens, tokenizer.json save/load and its error messages, pathological inputs.
// tests/core/test_tokenizer_hf.cpp checks the same code against Hugging Face `tokenizers`.
#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "core/text/bpe_trainer.h"
#include "core/text/byte_level.h"
#include "core/text/regex.h"
#include "core/text/tokenizer_json.h"
#include "core/text/utf8.h"
#include "core/util/error.h"

using namespace rlhf::text;

namespace {

std::string readFile(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    const QByteArray bytes = file.readAll();
    return std::string(bytes.constData(), bytes.size());
}

std::vector<std::string> hardCases()
{
    return {"",
            " ",
            "\n\n\n",
            "   \n  \n\t\t",
            "Hello world",
            "I'm you're we've they'll she'd it's I'M YOU'RE don't",
            "12345678901 3.14159 1,000,000 $42.50",
            "\U0001F600\U0001F44D\U0001F3FD\U0001F468\u200D\U0001F469\u200D\U0001F467 "
            "\U0001F1E9\U0001F1EA",
            "你好，世界！这是一个测试。",
            "こんにちは世界 안녕하세요 مرحبا नमस्ते",
            "e\u0301 n\u0303 \u00A0 \u3000 \u2028",
            "code: for (int i=0;i<10;++i) { x += i; }\r\n",
            std::string(300, ' ') + "x" + std::string(40, '\n'),
            std::string("nul\0byte", 8),
            "\x7F\x1B[33m ansi\x1B[m"};
}

// The textbook trainer: recount every pair after every merge; ties to the smallest pair.
std::vector<std::pair<std::uint32_t, std::uint32_t>>
naiveMerges(const std::map<std::string, std::uint64_t>& wordCounts, std::size_t mergeCount)
{
    std::vector<std::pair<std::vector<std::uint32_t>, std::uint64_t>> words;
    for (const auto& [word, count] : wordCounts)
        words.emplace_back(std::vector<std::uint32_t>(word.begin(), word.end()), count);
    for (auto& [symbols, count] : words)
        for (std::uint32_t& symbol : symbols)
            symbol &= 0xFF;
    std::map<std::string, std::uint32_t> idOf; // bytes -> id, to reuse ids like the real trainer
    std::vector<std::string> bytesOf;
    for (int byte = 0; byte < 256; ++byte) {
        bytesOf.emplace_back(1, static_cast<char>(byte));
        idOf[bytesOf.back()] = byte;
    }
    for (std::size_t index = 0; index < special::all.size(); ++index)
        bytesOf.emplace_back(special::all[index]); // never in words
    std::vector<std::pair<std::uint32_t, std::uint32_t>> merges;
    while (merges.size() < mergeCount) {
        std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> pairs;
        for (const auto& [symbols, count] : words)
            for (std::size_t at = 0; at + 1 < symbols.size(); ++at)
                pairs[{symbols[at], symbols[at + 1]}] += count;
        auto best = pairs.end();
        for (auto it = pairs.begin(); it != pairs.end(); ++it)
            if (best == pairs.end() || it->second > best->second)
                best = it; // std::map order: the first of equal counts is the smallest pair
        if (best == pairs.end() || best->second < 2) break;
        const auto [a, b] = best->first;
        const std::string joined = bytesOf[a] + bytesOf[b];
        auto [found, isNew] = idOf.emplace(joined, static_cast<std::uint32_t>(bytesOf.size()));
        if (isNew) bytesOf.push_back(joined);
        merges.emplace_back(a, b);
        for (auto& [symbols, count] : words) {
            std::vector<std::uint32_t> merged;
            for (std::size_t at = 0; at < symbols.size(); ++at) {
                if (at + 1 < symbols.size() && symbols[at] == a && symbols[at + 1] == b) {
                    merged.push_back(found->second);
                    ++at;
                } else {
                    merged.push_back(symbols[at]);
                }
            }
            symbols = std::move(merged);
        }
    }
    return merges;
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

} // namespace

class TestTokenizer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void byteLevelAlphabet();
    void utf8Repair();
    void regexTranslation();
    void preTokenizerSplits_data();
    void preTokenizerSplits();
    void trainerMatchesNaiveTrainer();
    void trainedVocabularyLayout();
    void roundTripHardCases();
    void specialTokens();
    void saveLoadRoundTrip();
    void loadsStringMerges();
    void rejectsCorruptFiles();
    void pathologicalInputs();
    void concurrentEncoding();
    void trainerSpeed();

private:
    QTemporaryDir m_directory;
    std::string m_text;                     // real English text from the fortunes package
    std::unique_ptr<Tokenizer> m_tokenizer; // trained on m_text in initTestCase
};

void TestTokenizer::initTestCase()
{
    QVERIFY(m_directory.isValid());
    for (const char* name : {"computers", "science", "wisdom", "literature", "linux"})
        m_text += readFile(QString("/usr/share/games/fortunes/") + name);
    QVERIFY2(m_text.size() > 300'000, "fortunes not installed (Debian package `fortunes`)");
    TrainConfig config;
    config.vocabSize = 2000;
    BpeTrainer trainer(config);
    trainer.addText(m_text);
    m_tokenizer = std::make_unique<Tokenizer>(trainer.train());
}

void TestTokenizer::byteLevelAlphabet()
{
    QCOMPARE(byteLevelCharacter(' '), std::string("Ġ"));
    QCOMPARE(byteLevelCharacter('\n'), std::string("Ċ"));
    QCOMPARE(byteLevelCharacter('!'), std::string("!"));
    QCOMPARE(byteLevelCharacter(0xAD), std::string("Ń")); // soft hyphen, the last non-printable
    std::string all;
    for (int byte = 0; byte < 256; ++byte)
        all.push_back(static_cast<char>(byte));
    const std::string mapped = toByteLevel(all);
    QVERIFY(isValidUtf8(mapped));
    QCOMPARE(fromByteLevel(mapped).value(), all);
    QCOMPARE(toByteLevel("hi there"), std::string("hiĠthere"));
    QVERIFY(!fromByteLevel("a b").has_value()); // a plain space is not in the alphabet
    // HF's ByteLevel decoder keeps a token with a foreign character as its own text.
    QCOMPARE(byteLevelDecode({"hiĠ", "<|a b|>", "Ġx"}), std::string("hi <|a b|> x"));
}

void TestTokenizer::utf8Repair()
{
    const std::string fffd(kReplacementCharacter);
    QVERIFY(isValidUtf8("plain ascii"));
    QVERIFY(isValidUtf8("你好 \U0001F600"));
    QVERIFY(!isValidUtf8("\xC0\xAF"));
    // Maximal subparts, as Python's errors="replace" and Rust's from_utf8_lossy.
    QCOMPARE(toValidUtf8("a\xF0\x9F\x98"
                         "b"),
             "a" + fffd + "b");                                           // truncated 4-byte
    QCOMPARE(toValidUtf8("\xED\xA0\x80"), fffd + fffd + fffd);            // surrogate
    QCOMPARE(toValidUtf8("\xC0\xAF"), fffd + fffd);                       // overlong
    QCOMPARE(toValidUtf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd); // above U+10FFFF
    QCOMPARE(toValidUtf8("\xE4\xBD"), fffd);                              // cut at the end
    QCOMPARE(toValidUtf8("x\x80y\xFF"), "x" + fffd + "y" + fffd);
    QCOMPARE(toValidUtf8("你好"), std::string("你好"));
}

void TestTokenizer::regexTranslation()
{
    // HF's \s has no U+180E; \p{L} knows Unicode 15-16 letters PCRE2 10.42 does not.
    const std::string space = toPcre2Pattern(R"(\s)");
    QVERIFY(space.find(R"(\x{3000})") != std::string::npos);
    QVERIFY(space.find("180E") == std::string::npos);
    QVERIFY(toPcre2Pattern(R"([^\p{L}])").find(R"(\x{31350})") != std::string::npos);
    QCOMPARE(toPcre2Pattern(R"(a\d+\p{Lu})"), std::string(R"(a\d+\p{Lu})")); // others untouched
    const std::string message = errorOf([] { Regex(R"([^\S])"); });
    QVERIFY2(message.find(R"(regex '[^\S]': cannot translate)") == 0, message.c_str());
    std::vector<std::string> pieces;
    Regex(".", /*literal=*/true).splitIsolated("a.b", [&](std::string_view piece) {
        pieces.emplace_back(piece);
    });
    QCOMPARE(pieces, (std::vector<std::string>{"a", ".", "b"}));
}

void TestTokenizer::preTokenizerSplits_data()
{
    QTest::addColumn<int>("flavour");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("words");
    const int gpt2 = int(PatternFlavour::Gpt2);
    const int llama3 = int(PatternFlavour::Llama3);
    QTest::newRow("gpt2 contractions")
        << gpt2 << "I'm here, they'll" << QStringList{"I", "'m", " here", ",", " they", "'ll"};
    QTest::newRow("gpt2 digits") << gpt2 << "x 1234567" << QStringList{"x", " 1234567"};
    // GPT-2's \s+(?!\S) leaves the last space of a run to the next word, and so splits "\n\n".
    QTest::newRow("gpt2 spaces") << gpt2 << "a   b\n\nc "
                                 << QStringList{"a", "  ", " b", "\n", "\n", "c", " "};
    QTest::newRow("llama3 digits")
        << llama3 << "x 1234567" << QStringList{"x", " ", "123", "456", "7"};
    QTest::newRow("llama3 case-insensitive") << llama3 << "I'M ok" << QStringList{"I", "'M", " ok"};
    QTest::newRow("llama3 newlines")
        << llama3 << "a.\n\n  b" << QStringList{"a", ".\n\n", " ", " b"};
    QTest::newRow("llama3 punctuation")
        << llama3 << "(x)=>{y}" << QStringList{"(x", ")=>{", "y", "}"};
    QTest::newRow("cjk") << llama3 << "你好，世界" << QStringList{"你好", "，世界"};
}

void TestTokenizer::preTokenizerSplits()
{
    QFETCH(int, flavour);
    QFETCH(QString, text);
    QFETCH(QStringList, words);
    const PreTokenizer preTokenizer(PreTokenizerConfig::forFlavour(PatternFlavour(flavour)));
    QStringList actual;
    for (const std::string& word : preTokenizer.words(text.toStdString()))
        actual << QString::fromStdString(word);
    QCOMPARE(actual, words);
}

void TestTokenizer::trainerMatchesNaiveTrainer()
{
    const std::string text = m_text.substr(0, 60'000);
    const PreTokenizer preTokenizer(PreTokenizerConfig::forFlavour(PatternFlavour::Gpt2));
    std::map<std::string, std::uint64_t> wordCounts;
    preTokenizer.forEachWord(text, [&](std::string_view word) { ++wordCounts[std::string(word)]; });
    TrainConfig config;
    config.pattern = PatternFlavour::Gpt2;
    config.vocabSize = 256 + 7 + 400;
    BpeTrainer trainer(config);
    trainer.addText(text);
    QCOMPARE(trainer.distinctWords(), wordCounts.size());
    const Tokenizer tokenizer = trainer.train();
    const auto expected = naiveMerges(wordCounts, 400);
    QCOMPARE(expected.size(), std::size_t(400));
    QCOMPARE(tokenizer.model().merges(), expected);
}

void TestTokenizer::trainedVocabularyLayout()
{
    const Tokenizer& tokenizer = *m_tokenizer;
    QCOMPARE(tokenizer.vocabSize(), 2000u);
    for (int byte = 0; byte < 256; ++byte)
        QCOMPARE(tokenizer.model().byteId(static_cast<unsigned char>(byte)), std::uint32_t(byte));
    const ChatTokenIds ids = tokenizer.chatTokenIds();
    QCOMPARE(ids.bos, 256u);
    QCOMPARE(ids.eos, 257u);
    QCOMPARE(ids.end, 262u);
    QCOMPARE(tokenizer.idToToken(ids.assistant).value(), std::string("<|assistant|>"));
    QCOMPARE(tokenizer.tokenToId("<|user|>").value(), ids.user);
    QCOMPARE(tokenizer.tokenToId("Ġthe").value(), tokenizer.encode(" the").at(0));
    QVERIFY(!tokenizer.idToToken(5000).has_value());
    QVERIFY(!tokenizer.tokenToId("no such token").has_value());

    // minFrequency: a tiny text runs out of pairs seen twice long before the vocabulary is full.
    TrainConfig config;
    config.vocabSize = 1000;
    BpeTrainer tiny(config);
    tiny.addText("abc abc abd");
    QCOMPARE(tiny.train().vocabSize(), 256u + 7u + 2u); // "ab" (3 times), " ab" (2); no more
    // Progress can stop training early, keeping the merges so far.
    BpeTrainer stopped(config);
    stopped.addText(m_text.substr(0, 20'000));
    const Tokenizer early = stopped.train([](std::size_t done, std::size_t) { return done < 10; });
    QCOMPARE(early.vocabSize(), 256u + 7u + 10u);
    QVERIFY(errorOf([] { BpeTrainer({.vocabSize = 100}); }).find("vocabSize 100") !=
            std::string::npos);
}

void TestTokenizer::roundTripHardCases()
{
    for (const std::string& text : hardCases()) {
        const std::vector<std::uint32_t> ids = m_tokenizer->encode(text);
        QCOMPARE(m_tokenizer->decode(ids), text);
        QCOMPARE(m_tokenizer->decodeBytes(ids), text);
    }
    // Common words are single tokens after training on English.
    QCOMPARE(m_tokenizer->encode(" the").size(), std::size_t(1));
    // Invalid UTF-8 is repaired before encoding: decoding gives the repaired text.
    const std::string bad = "ok \xF0\x9F\x98 \xFF end";
    QCOMPARE(m_tokenizer->decode(m_tokenizer->encode(bad)), toValidUtf8(bad));
    // A character split across two decode calls: raw bytes join up, repaired text does not.
    const std::vector<std::uint32_t> smile = m_tokenizer->encode("\U0001F600");
    QVERIFY(smile.size() >= 2);
    const std::vector<std::uint32_t> head(smile.begin(), smile.begin() + 1);
    const std::vector<std::uint32_t> tail(smile.begin() + 1, smile.end());
    QCOMPARE(m_tokenizer->decodeBytes(head) + m_tokenizer->decodeBytes(tail),
             std::string("\U0001F600"));
    QVERIFY(m_tokenizer->decode(head).find(kReplacementCharacter) != std::string::npos);
}

void TestTokenizer::specialTokens()
{
    const Tokenizer& tokenizer = *m_tokenizer;
    const ChatTokenIds ids = tokenizer.chatTokenIds();
    const std::string chat = "<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>";
    const std::vector<std::uint32_t> encoded = tokenizer.encode(chat);
    QCOMPARE(encoded.front(), ids.user);
    QCOMPARE(std::count(encoded.begin(), encoded.end(), ids.end), 2);
    QCOMPARE(tokenizer.decode(encoded), chat);
    QCOMPARE(tokenizer.decode(encoded, SpecialTokenOutput::Skip), std::string("\nHi\n\nHello!"));
    QCOMPARE(tokenizer.encode("<|eos|>"), std::vector<std::uint32_t>{ids.eos});
    QCOMPARE(tokenizer.encode("<|eos|><|eos|>"), (std::vector<std::uint32_t>{ids.eos, ids.eos}));
    // As text (user data that merely contains the string): no special ids, same text back.
    const std::vector<std::uint32_t> asText = tokenizer.encode(chat, SpecialTokenText::AsText);
    for (std::uint32_t id : asText)
        QVERIFY(id < 256 || id > 262);
    QCOMPARE(tokenizer.decode(asText), chat);
    QCOMPARE(tokenizer.encode("<|eos"), tokenizer.encode("<|eos", SpecialTokenText::AsText));
    QVERIFY(tokenizer.specialTokenId("<|pad|>").has_value());
    QVERIFY(!tokenizer.specialTokenId("Ġthe").has_value());
}

void TestTokenizer::saveLoadRoundTrip()
{
    const std::string path = m_directory.filePath("tokenizer.json").toStdString();
    saveTokenizerJson(*m_tokenizer, path);
    const Tokenizer loaded = loadTokenizerJson(path);
    QCOMPARE(loaded.vocabSize(), m_tokenizer->vocabSize());
    QCOMPARE(loaded.model().tokens(), m_tokenizer->model().tokens());
    QCOMPARE(loaded.model().merges(), m_tokenizer->model().merges());
    QCOMPARE(loaded.addedTokens().size(), m_tokenizer->addedTokens().size());
    QCOMPARE(loaded.preTokenizer().config().splits.at(0).pattern,
             std::string(patternOf(PatternFlavour::Llama3)));
    const std::string sample = m_text.substr(100'000, 50'000);
    QCOMPARE(loaded.encode(sample), m_tokenizer->encode(sample));
    for (const std::string& text : hardCases())
        QCOMPARE(loaded.encode(text), m_tokenizer->encode(text));
    QCOMPARE(tokenizerToJson(loaded), tokenizerToJson(*m_tokenizer)); // stable on re-save
    QVERIFY(!QFile::exists(QString::fromStdString(path + ".tmp")));
}

void TestTokenizer::loadsStringMerges()
{
    // tokenizers < 0.20 wrote merges as "left right" strings; both forms must load the same.
    QJsonObject root = QJsonDocument::fromJson(tokenizerToJson(*m_tokenizer).c_str()).object();
    QJsonObject model = root["model"].toObject();
    QJsonArray merges;
    for (const QJsonValue& pair : model["merges"].toArray())
        merges.append(pair[0].toString() + " " + pair[1].toString());
    model["merges"] = merges;
    root["model"] = model;
    const Tokenizer loaded =
        tokenizerFromJson(QJsonDocument(root).toJson().toStdString(), "strings.json");
    QCOMPARE(loaded.model().merges(), m_tokenizer->model().merges());
    QCOMPARE(loaded.encode(m_text.substr(0, 20'000)),
             m_tokenizer->encode(m_text.substr(0, 20'000)));
}

void TestTokenizer::rejectsCorruptFiles()
{
    const QJsonObject good =
        QJsonDocument::fromJson(tokenizerToJson(*m_tokenizer).c_str()).object();
    struct Corruption {
        const char* expected; // the message must contain this, after "file: "
        std::function<void(QJsonObject&)> change;
    };
    auto inModel = [](std::function<void(QJsonObject&)> change) {
        return [change](QJsonObject& root) {
            QJsonObject model = root["model"].toObject();
            change(model);
            root["model"] = model;
        };
    };
    const std::vector<Corruption> corruptions = {
        {"model.merges[12]: unknown token 'zzzq'", inModel([](QJsonObject& model) {
             QJsonArray merges = model["merges"].toArray();
             merges[12] = QJsonArray{"zzzq", "e"};
             model["merges"] = merges;
         })},
        {"model.merges[3]: 'ab' is not two tokens", inModel([](QJsonObject& model) {
             QJsonArray merges = model["merges"].toArray();
             merges[3] = "ab";
             model["merges"] = merges;
         })},
        {"model.vocab: no token for byte 32 ('Ġ')", inModel([](QJsonObject& model) {
             QJsonObject vocab = model["vocab"].toObject();
             vocab["renamed"] = vocab.take("Ġ");
             model["vocab"] = vocab;
         })},
        {"both have id 0", inModel([](QJsonObject& model) {
             QJsonObject vocab = model["vocab"].toObject();
             vocab["Ġthe"] = 0;
             model["vocab"] = vocab;
         })},
        {"model.type: 'WordPiece' is not supported",
         inModel([](QJsonObject& model) { model["type"] = "WordPiece"; })},
        {"model.vocab: expected an object",
         inModel([](QJsonObject& model) { model.remove("vocab"); })},
        {"normalizer: type 'NFC' is not supported",
         [](QJsonObject& root) {
             root["normalizer"] = QJsonObject{{"type", "NFC"}};
         }},
        {"decoder: missing", [](QJsonObject& root) { root.remove("decoder"); }},
        {"added_tokens[1]: '<|eos|>' has id 999",
         [](QJsonObject& root) {
             QJsonArray added = root["added_tokens"].toArray();
             QJsonObject eos = added[1].toObject();
             eos["id"] = 999;
             added[1] = eos;
             root["added_tokens"] = added;
         }},
        {"pre_tokenizer.pretokenizers[0].behavior: 'Removed' is not supported",
         [](QJsonObject& root) {
             QJsonObject preTokenizer = root["pre_tokenizer"].toObject();
             QJsonArray steps = preTokenizer["pretokenizers"].toArray();
             QJsonObject split = steps[0].toObject();
             split["behavior"] = "Removed";
             steps[0] = split;
             preTokenizer["pretokenizers"] = steps;
             root["pre_tokenizer"] = preTokenizer;
         }},
        {"regex '(unclosed'",
         [](QJsonObject& root) {
             root["pre_tokenizer"] = QJsonObject{
                 {"type", "Sequence"},
                 {"pretokenizers",
                  QJsonArray{QJsonObject{{"type", "Split"},
                                         {"pattern", QJsonObject{{"Regex", "(unclosed"}}},
                                         {"behavior", "Isolated"}},
                             QJsonObject{{"type", "ByteLevel"}}}}};
         }},
    };
    for (const Corruption& corruption : corruptions) {
        QJsonObject root = good;
        corruption.change(root);
        const QString path = m_directory.filePath("corrupt.json");
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(QJsonDocument(root).toJson());
        file.close();
        const std::string message = errorOf([&] { loadTokenizerJson(path.toStdString()); });
        const std::string prefix = path.toStdString() + ": ";
        QVERIFY2(message.rfind(prefix, 0) == 0 &&
                     message.find(corruption.expected) != std::string::npos,
                 message.c_str());
    }
    const std::string notJson = errorOf([] { tokenizerFromJson("{\"model\": [1, 2", "t.json"); });
    QVERIFY2(notJson.rfind("t.json: not valid JSON", 0) == 0, notJson.c_str());
    const std::string missing =
        errorOf([&] { loadTokenizerJson(m_directory.filePath("none.json").toStdString()); });
    QVERIFY2(missing.find("none.json: cannot open") != std::string::npos, missing.c_str());
}

void TestTokenizer::pathologicalInputs()
{
    // One giant word each: the merge loop is O(n log n) and PCRE2's JIT stack must suffice.
    const std::vector<std::string> texts = {std::string(1 << 20, ' '), std::string(1 << 20, 'a'),
                                            std::string(200'000, '7') + "x",
                                            std::string(1 << 20, '\n')};
    for (const std::string& text : texts)
        QCOMPARE(m_tokenizer->decode(m_tokenizer->encode(text)), text);
    std::string smiles;
    for (int index = 0; index < 50'000; ++index)
        smiles += "\U0001F600";
    QCOMPARE(m_tokenizer->decode(m_tokenizer->encode(smiles)), smiles);
    std::mt19937 random(7);
    std::string noise(1 << 18, '\0');
    for (char& byte : noise)
        byte = static_cast<char>(random());
    QCOMPARE(m_tokenizer->decode(m_tokenizer->encode(noise)), toValidUtf8(noise));
}

void TestTokenizer::concurrentEncoding()
{
    const Tokenizer fresh = loadTokenizerJson(m_directory.filePath("tokenizer.json").toStdString());
    std::vector<std::string> parts;
    for (int part = 0; part < 4; ++part)
        parts.push_back(m_text.substr(part * 60'000, 60'000));
    std::vector<std::vector<std::uint32_t>> expected;
    for (const std::string& part : parts)
        expected.push_back(m_tokenizer->encode(part));
    std::vector<int> failures(2, 0);
    std::vector<std::thread> threads;
    for (int thread = 0; thread < 2; ++thread) {
        threads.emplace_back([&, thread] {
            for (int round = 0; round < 3; ++round)
                for (std::size_t part = 0; part < parts.size(); ++part)
                    failures[thread] += fresh.encode(parts[(part + thread) % parts.size()]) !=
                                        expected[(part + thread) % parts.size()];
        });
    }
    for (std::thread& thread : threads)
        thread.join();
    QCOMPARE(failures, (std::vector<int>{0, 0}));
}

void TestTokenizer::trainerSpeed()
{
    // Real text: the KJV bible when `bible` is installed, else all English fortunes.
    std::string text;
    const QString bible = QStandardPaths::findExecutable("bible");
    if (!bible.isEmpty()) {
        QProcess process;
        process.start(bible, {"-f", "gen1:1-rev22:21"});
        QVERIFY(process.waitForFinished(60'000));
        const QByteArray output = process.readAllStandardOutput();
        text.assign(output.constData(), output.size());
    } else {
        for (const char* name : {"cookie", "computers", "songs-poems", "definitions", "people"})
            text += readFile(QString("/usr/share/games/fortunes/") + name);
    }
    QVERIFY(text.size() > 1'000'000);
    TrainConfig config;
    config.vocabSize = 8192;
    const auto start = std::chrono::steady_clock::now();
    BpeTrainer trainer(config);
    for (std::size_t position = 0; position < text.size();) {
        const std::size_t end = std::min(text.find('\n', position), text.size() - 1) + 1;
        trainer.addText(std::string_view(text).substr(position, end - position));
        position = end;
    }
    const auto counted = std::chrono::steady_clock::now();
    const Tokenizer tokenizer = trainer.train();
    const auto trained = std::chrono::steady_clock::now();
    const std::vector<std::uint32_t> ids = tokenizer.encode(text);
    const auto encoded = std::chrono::steady_clock::now();
    auto seconds = [](auto from, auto to) {
        return std::chrono::duration<double>(to - from).count();
    };
    const double megabytes = text.size() / 1e6;
    qInfo("%s: %.1f MB, %zu distinct words; counting %.2f s, %zu merges %.2f s: %.1f MB/s "
          "training; encoding %.1f MB/s, %.2f bytes per token",
          bible.isEmpty() ? "fortunes" : "KJV bible", megabytes, trainer.distinctWords(),
          seconds(start, counted), tokenizer.model().merges().size(), seconds(counted, trained),
          megabytes / seconds(start, trained), megabytes / seconds(trained, encoded),
          double(text.size()) / ids.size());
    QCOMPARE(tokenizer.vocabSize(), 8192u);
    QCOMPARE(tokenizer.decode(ids), text);
}

QTEST_GUILESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"
