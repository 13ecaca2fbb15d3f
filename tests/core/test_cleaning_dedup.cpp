// The cleaning pipeline's whole-corpus parts on real text Debian ships (the KJV via `bible`,
// English and Chinese fortunes; installed by packaging/install-deps.sh and read from their
// installed paths): exact dedup, near-dup recall and false positives on perturbed copies, the
// hash split, language identification, and the recipe's JSON form with its strict errors.
#include "core/data/cleaning/band_index.h" // internal: near dedup's LSH buckets
#include "core/data/cleaning/cleaning.h"
#include "core/data/cleaning/language.h"
#include "core/util/error.h"
#include "tests/support/error_of.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QtTest>

#include <cstdio>
#include <sstream>

using namespace rlhf::data;

using rlhf::testing::errorOf;

namespace {

StepConfig stepOf(StepKind kind)
{
    StepConfig step;
    step.kind = kind;
    return step;
}

// Genesis from bible-kjv-text, verse references stripped, joined into texts of >= `minWords`.
std::vector<std::vector<std::string>> genesisPassages(size_t minWords)
{
    QProcess bible;
    bible.start("bible", {"-f", "gen1:1-gen50:26"});
    if (!bible.waitForFinished(60000) || bible.exitCode() != 0) return {};
    std::istringstream lines(bible.readAllStandardOutput().toStdString());
    std::vector<std::vector<std::string>> passages(1);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string word;
        words >> word; // "Ge1:1"
        while (words >> word)
            passages.back().push_back(word);
        if (passages.back().size() >= minWords) passages.emplace_back();
    }
    passages.pop_back(); // the last, short one
    return passages;
}

std::string joinWords(const std::vector<std::string>& words)
{
    std::string text;
    for (const std::string& word : words)
        text += (text.empty() ? "" : " ") + word;
    return text;
}

// Fortunes of a strfile source file (entries separated by "%" lines).
std::vector<std::string> fortunes(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    std::vector<std::string> entries(1);
    for (const QByteArray& line : file.readAll().split('\n')) {
        if (line.trimmed() == "%") {
            entries.emplace_back();
        } else {
            entries.back() += line.toStdString() + "\n";
        }
    }
    return entries;
}

// A deterministic generator independent of the standard library's distributions.
struct Rng {
    uint64_t state;
    uint64_t next()
    {
        uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

struct NearDupScore {
    double recall = 0;            // perturbed copies removed as duplicates of their original
    double falsePositiveRate = 0; // distinct originals removed as near duplicates
};

// Feeds 500 passages, then a copy of each with ~5% of its words substituted, deleted or
// followed by an inserted word (fixed seed), through a near_dedup step; prints the figures.
NearDupScore scoreNearDedup(const std::vector<std::vector<std::string>>& passages, int shingleWords,
                            double threshold)
{
    const size_t count = 500;
    std::vector<std::string> vocabulary;
    for (size_t i = 0; i < count; ++i)
        for (const std::string& word : passages[i])
            vocabulary.push_back(word);
    StepConfig near = stepOf(StepKind::NearDedup);
    near.shingleWords = shingleWords;
    near.jaccardThreshold = threshold;
    CleaningPipeline pipeline(CleaningConfig{{near}});

    int falsePositives = 0;
    for (size_t i = 0; i < count; ++i) {
        Record record;
        record.text = joinWords(passages[i]);
        if (!pipeline.process(record, static_cast<int64_t>(i)).keep) ++falsePositives;
    }
    Rng rng{42};
    int found = 0;
    QElapsedTimer timer;
    timer.start();
    for (size_t i = 0; i < count; ++i) {
        std::vector<std::string> words;
        for (const std::string& word : passages[i]) {
            const double draw = rng.unit();
            const std::string& other = vocabulary[rng.next() % vocabulary.size()];
            if (draw < 0.05 / 3) {
                words.push_back(other); // substituted
            } else if (draw < 0.10 / 3) {
                // deleted
            } else if (draw < 0.05) {
                words.push_back(word); // and one inserted after it
                words.push_back(other);
            } else {
                words.push_back(word);
            }
        }
        Record copy;
        copy.text = joinWords(words);
        const Verdict verdict = pipeline.process(copy, 1000 + static_cast<int64_t>(i));
        found += !verdict.keep && verdict.duplicateOf == static_cast<int64_t>(i);
    }
    const double seconds = timer.nsecsElapsed() * 1e-9;
    NearDupScore score;
    score.recall = static_cast<double>(found) / count;
    score.falsePositiveRate = static_cast<double>(falsePositives) / count;
    std::printf("near_dedup shingle_words=%d threshold=%.2f: recall %.3f, false positives %.3f, "
                "%zu index bytes for %zu records, %.0f records/s\n",
                shingleWords, threshold, score.recall, score.falsePositiveRate,
                pipeline.indexBytes(), count, count / seconds);
    return score;
}

} // namespace

class TestCleaningDedup : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void exactDedupFindsNormalisedDuplicates()
    {
        CleaningPipeline pipeline(CleaningConfig{{stepOf(StepKind::ExactDedup)}});
        const std::vector<std::pair<std::string, std::optional<int64_t>>> cases = {
            {"Hello World", std::nullopt},
            {"hello   world", 100},
            {"  HELLO\nWORLD\t", 100},
            {"\xEF\xBC\xA8\xEF\xBD\x85llo W\xEF\xBD\x8Frld", 100}, // fullwidth H, e, o
            {"Hello World!", std::nullopt},
            {"Hello Word", std::nullopt},
            {"Stra\xC3\x9F"
             "e",
             std::nullopt},
            {"STRASSE", 106}, // casefold: ß -> ss
            {"hello world!", 104},
            {"\xC3\x80\xC3\x89\xC3\x8E\xC3\x95\xC3\x9C \xC3\x97", std::nullopt}, // ÀÉÎÕÜ ×
            {"\xC3\xA0\xC3\xA9\xC3\xAE\xC3\xB5\xC3\xBC \xC3\x97", 109},          // àéîõü ×
            {"\xC3\xA0\xC3\xA9\xC3\xAE\xC3\xB5\xC3\xBC \xC3\xB7", std::nullopt}, // ÷ differs
            {"Cafe\xCC\x81", std::nullopt}, // e + combining acute
            {"CAF\xC3\x89", 112},           // É, precomposed
        };
        for (size_t i = 0; i < cases.size(); ++i) {
            Record record;
            record.text = cases[i].first;
            const Verdict verdict = pipeline.process(record, 100 + static_cast<int64_t>(i));
            QCOMPARE(verdict.keep, !cases[i].second.has_value());
            QCOMPARE(verdict.duplicateOf, cases[i].second);
            if (!verdict.keep) QCOMPARE(verdict.step, "exact_dedup");
        }
        QCOMPARE(pipeline.report().at(0).removed, 7);
        QVERIFY(pipeline.indexBytes() >= 5 * 16); // 16-byte slots, at least one per kept text

        // Chats are compared by all their text, so a different reply is a different record.
        Record a, b, c;
        a.kind = b.kind = c.kind = RecordKind::Chat;
        a.messages = {{"user", "Hi"}, {"assistant", "Hello!"}};
        b.messages = {{"user", "hi"}, {"assistant", "hello!"}};
        c.messages = {{"user", "Hi"}, {"assistant", "Goodbye!"}};
        QVERIFY(pipeline.process(a, 1).keep);
        QCOMPARE(pipeline.process(b, 2).duplicateOf, std::optional<int64_t>(1));
        QVERIFY(pipeline.process(c, 3).keep);
    }

    void nearDedupRecallOnPerturbedCopies()
    {
        const auto passages = genesisPassages(50);
        QVERIFY2(passages.size() >= 500, "bible-kjv-text is needed (packaging/install-deps.sh)");
        // 3-word shingles at Jaccard 0.5: a 5% edit rate leaves about 0.6-0.9 of a passage's
        // 3-shingles (measured: 5th percentile 0.60), while distinct Genesis passages share
        // at most 0.30. These are the step's defaults; 5-word shingles at 0.8 (text-dedup's
        // and BigCode's usual choice) only catch much closer copies: printed, not asserted.
        const StepConfig defaults;
        QCOMPARE(defaults.shingleWords, 3);
        QCOMPARE(defaults.jaccardThreshold, 0.5);
        const NearDupScore score =
            scoreNearDedup(passages, defaults.shingleWords, defaults.jaccardThreshold);
        QVERIFY(score.recall >= 0.9);
        QVERIFY(score.falsePositiveRate <= 0.01);
        const NearDupScore strict = scoreNearDedup(passages, 5, 0.8);
        QVERIFY(strict.falsePositiveRate <= 0.01);
    }

    // The LSH buckets keep every index filed under a key through the table's growths, and a
    // key nobody filed finds nothing.
    void bandIndexIsAMultimapThroughGrowth()
    {
        cleaning::BandIndex index;
        const auto keyOf = [](uint64_t i) { return (i + 1) * 0x9E3779B97F4A7C15ULL; };
        for (uint32_t i = 0; i < 20000; ++i)
            index.insert(keyOf(i % 5000), i); // four indexes per key
        for (uint64_t k : {0ULL, 1ULL, 777ULL, 4999ULL}) {
            std::vector<uint32_t> found;
            index.forEach(keyOf(k), [&](uint32_t i) { found.push_back(i); });
            std::sort(found.begin(), found.end());
            const std::vector<uint32_t> expected = {uint32_t(k), uint32_t(k + 5000),
                                                    uint32_t(k + 10000), uint32_t(k + 15000)};
            QCOMPARE(found, expected);
        }
        int strays = 0;
        index.forEach(keyOf(123456), [&](uint32_t) { ++strays; });
        QCOMPARE(strays, 0);
        QVERIFY(index.bytes() <= 65536 * 8); // 8-byte slots, at least 30% used
    }

    void nearDedupOnTinyAndEmptyTexts()
    {
        CleaningPipeline pipeline(CleaningConfig{{stepOf(StepKind::NearDedup)}});
        Record a, b, c, d;
        a.text = "two words";
        b.text = "Two  Words";
        c.text = "other words";
        d.text = "";
        QVERIFY(pipeline.process(a, 1).keep);
        QCOMPARE(pipeline.process(b, 2).duplicateOf, std::optional<int64_t>(1));
        QVERIFY(pipeline.process(c, 3).keep);
        QVERIFY(pipeline.process(d, 4).keep);
        QVERIFY(pipeline.indexBytes() > 0);
    }

    void splitIsDeterministicWithTheRightFractions()
    {
        const SplitConfig config{.valFraction = 0.1, .testFraction = 0.05, .seed = 7};
        const int total = 20000;
        int val = 0, test = 0, moved = 0;
        for (int i = 0; i < total; ++i) {
            Record record;
            record.text = "record number " + std::to_string(i) + " of the split test";
            const Split split = assignSplit(record, config);
            QCOMPARE(assignSplit(record, config), split);
            val += split == Split::Val;
            test += split == Split::Test;
            SplitConfig reseeded = config;
            reseeded.seed = 8;
            moved += assignSplit(record, reseeded) != split;
        }
        QVERIFY(qAbs(val / double(total) - 0.1) < 0.01);
        QVERIFY(qAbs(test / double(total) - 0.05) < 0.01);
        QVERIFY(moved > total / 10); // another seed, another split

        // Exact duplicates (as exact dedup sees them) never straddle splits.
        for (int i = 0; i < 200; ++i) {
            Record a, b;
            a.text = "Duplicate text " + std::to_string(i);
            b.text = "  duplicate\tTEXT " + std::to_string(i) + "\n";
            QCOMPARE(assignSplit(a, config), assignSplit(b, config));
        }
        QCOMPARE(parseSplit(splitName(Split::Test)), Split::Test);
        QVERIFY(!errorOf([] { parseSplit("dev"); }).isEmpty());
    }

    void languageOfRealText()
    {
        const auto passages = genesisPassages(30);
        QVERIFY2(passages.size() >= 50, "bible-kjv-text is needed");
        for (size_t i = 0; i < 50; ++i) {
            double confidence = 0;
            QCOMPARE(detectLanguage(joinWords(passages[i]), &confidence), "en");
            QVERIFY(confidence >= 0.5);
        }

        int english = 0, englishTotal = 0;
        for (const std::string& entry : fortunes("/usr/share/games/fortunes/literature"))
            if (entry.size() >= 150) {
                ++englishTotal;
                english += detectLanguage(entry) == "en";
            }
        QVERIFY2(englishTotal >= 50, "fortunes is needed");
        QVERIFY2(english >= englishTotal * 0.9,
                 qPrintable(QString("%1 of %2 English fortunes").arg(english).arg(englishTotal)));

        int chinese = 0, chineseTotal = 0;
        for (const char* file :
             {"/usr/share/games/fortunes/tang300.u8", "/usr/share/games/fortunes/chinese.u8"})
            for (const std::string& entry : fortunes(file))
                if (entry.size() >= 60) {
                    ++chineseTotal;
                    chinese += detectLanguage(entry) == "zh";
                }
        QVERIFY2(chineseTotal >= 50, "fortunes-zh is needed");
        std::printf("language: %d of %d English fortunes -> en, %d of %d Chinese -> zh\n", english,
                    englishTotal, chinese, chineseTotal);
        QVERIFY2(chinese >= chineseTotal * 0.95,
                 qPrintable(QString("%1 of %2 Chinese fortunes").arg(chinese).arg(chineseTotal)));

        double confidence = 1;
        QCOMPARE(detectLanguage("", &confidence), "un");
        QCOMPARE(confidence, 0.0);
        QCOMPARE(detectLanguage("12345 67 !!! ???"), "un");
        // One word is a guess at best: whatever it is, it comes with a low confidence.
        detectLanguage("\xFF\xFE garbage \xC3", &confidence);
        QVERIFY(confidence < 0.5);
    }

    void languageStepKeepsOnlyTheListed()
    {
        StepConfig language = stepOf(StepKind::Language);
        language.languages = {"en"};
        CleaningPipeline pipeline(CleaningConfig{{language}});
        const auto tang = fortunes("/usr/share/games/fortunes/tang300.u8");
        QVERIFY(tang.size() > 10);
        Record poem, verse, digits;
        poem.text = tang[5];
        verse.text = "In the beginning God created the heaven and the earth. And the earth was "
                     "without form, and void; and darkness was upon the face of the deep.";
        digits.text = "1234 5678";
        const Verdict removed = pipeline.process(poem, 1);
        QVERIFY(!removed.keep);
        QVERIFY2(removed.reason.starts_with("language zh (") &&
                     removed.reason.ends_with(") not in [en]"),
                 removed.reason.c_str());
        QVERIFY(pipeline.process(verse, 2).keep);
        QCOMPARE(pipeline.process(digits, 3).reason, "language unknown");

        language.keepUnknownLanguage = true;
        CleaningPipeline lenient(CleaningConfig{{language}});
        QVERIFY(lenient.process(digits, 3).keep);
    }

    void configJsonRoundTrip()
    {
        CleaningConfig config = CleaningConfig::defaults();
        QCOMPARE(config.steps.size(), size_t(5));
        QCOMPARE(stepKindName(config.steps.back().kind), "exact_dedup");
        StepConfig utf8 = stepOf(StepKind::Utf8);
        utf8.repairUtf8 = false;
        StepConfig length = stepOf(StepKind::Length);
        length.minChars = 20;
        length.maxChars = 5000;
        length.maxTokens = 2048;
        StepConfig language = stepOf(StepKind::Language);
        language.languages = {"en", "de"};
        language.minLanguageConfidence = 0.75;
        language.keepUnknownLanguage = true;
        StepConfig pii = stepOf(StepKind::Pii);
        pii.piiTypes = {"email", "card"};
        StepConfig blocklist = stepOf(StepKind::Blocklist);
        blocklist.blocklist = {"foo bar", "caf\xC3\xA9"};
        StepConfig near = stepOf(StepKind::NearDedup);
        near.jaccardThreshold = 0.7;
        near.shingleWords = 3;
        near.permutations = 64;
        config.steps = {utf8, length, language, pii, blocklist, near, stepOf(StepKind::Html)};
        const std::string json = config.toJson();
        const CleaningConfig back = CleaningConfig::fromJson(json);
        QCOMPARE(back.toJson(), json);
        QCOMPARE(back.steps.size(), config.steps.size());
        QCOMPARE(back.steps[0].repairUtf8, false);
        QCOMPARE(back.steps[1].maxTokens, 2048);
        QCOMPARE(back.steps[2].languages, language.languages);
        QCOMPARE(back.steps[2].minLanguageConfidence, 0.75);
        QCOMPARE(back.steps[3].piiTypes, pii.piiTypes);
        QCOMPARE(back.steps[4].blocklist, blocklist.blocklist);
        QCOMPARE(back.steps[5].permutations, 64);
        QCOMPARE(back.steps[5].jaccardThreshold, 0.7);

        const CleaningConfig parsed = CleaningConfig::fromJson(
            R"({"steps": [{"step": "nfkc"}, {"step": "length", "min_chars": 20}]})");
        QCOMPARE(parsed.steps.size(), size_t(2));
        QCOMPARE(parsed.steps[1].minChars, 20);
        QCOMPARE(parsed.steps[1].maxChars, 0);
    }

    void configJsonStrictErrors()
    {
        const auto error = [](const char* json) {
            return errorOf([&] { CleaningConfig::fromJson(json); });
        };
        QCOMPARE(error(R"({"steps": [{"step": "nfkc"}, {"step": "length", "min_char": 2}]})"),
                 "cleaning: steps[1].min_char: unknown field");
        QCOMPARE(error(R"({"steps": [{"step": "length", "min_chars": "20"}]})"),
                 "cleaning: steps[0].min_chars: expected an integer, got \"20\"");
        QCOMPARE(error(R"({"steps": [{"step": "nfkc", "min_chars": 20}]})"),
                 "cleaning: steps[0].min_chars: unknown field");
        QVERIFY(error(R"({"steps": [{"step": "nfc"}]})")
                    .startsWith("cleaning: steps[0].step: unknown cleaning step 'nfc'"));
        QCOMPARE(error(R"({"steps": [{"min_chars": 3}]})"),
                 "cleaning: steps[0].step: missing required field");
        QCOMPARE(error(R"({"steps": [{"step": "near_dedup", "threshold": 1.5}]})"),
                 "cleaning: steps[0].threshold: must be in (0, 1]");
        QCOMPARE(error(R"({"steps": [{"step": "pii", "types": ["email", "ssn"]}]})"),
                 "cleaning: steps[0].types: unknown type 'ssn' (expected email, phone, ip, card)");
        QCOMPARE(error(R"({"steps": [{"step": "length", "min_chars": 9, "max_chars": 3}]})"),
                 "cleaning: steps[0].min_chars: is larger than max_chars");
        QCOMPARE(error(R"({"step": []})"), "cleaning: step: unknown field");
        QCOMPARE(error(R"({"steps": {}})"), "cleaning: steps: expected an array, got {}");
        QVERIFY(error(R"({"steps": [)").startsWith("cleaning: invalid JSON"));
        QVERIFY(error(R"([1, 2])").startsWith("cleaning: expected a JSON object"));
        QVERIFY(error(R"({"steps": [{"step": "language", "languages": "en"}]})")
                    .startsWith("cleaning: steps[0].languages: "));
        // A config built in code gets the same checks when the pipeline is made.
        StepConfig near = stepOf(StepKind::NearDedup);
        near.permutations = 0;
        QVERIFY(errorOf([&] {
                    CleaningPipeline pipeline(CleaningConfig{{near}});
                }).contains("permutations"));
    }
};

QTEST_GUILESS_MAIN(TestCleaningDedup)
#include "test_cleaning_dedup.moc"
