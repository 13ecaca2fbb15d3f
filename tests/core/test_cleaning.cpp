// The editing and filtering steps of the cleaning pipeline, each on crafted inputs with exact
// expected outputs: UTF-8 repair and rejection, NFKC, control and zero-width removal,
// whitespace, HTML, length, PII (positives and the look-alikes that must survive), blocklist,
// and the pipeline's stop-at-first-removal and per-step counts.
#include "core/data/cleaning/cleaning.h"
#include "core/data/cleaning/minhash.h" // internal: the LSH shape choice
#include "core/text/bpe_trainer.h"
#include "core/util/error.h"
#include "tests/support/error_of.h"

#include <QtTest>

#include <utf8proc.h>

#include <cstdlib>

using namespace rlhf::data;

using rlhf::testing::errorOf;

namespace {

StepConfig stepOf(StepKind kind)
{
    StepConfig step;
    step.kind = kind;
    return step;
}

// Runs the single step `step` on a Text record holding `text`.
Verdict runOne(const StepConfig& step, std::string& text,
               const rlhf::text::Tokenizer* tokenizer = nullptr)
{
    CleaningPipeline pipeline(CleaningConfig{{step}}, tokenizer);
    Record record;
    record.text = text;
    const Verdict verdict = pipeline.process(record, 0);
    text = record.text;
    return verdict;
}

std::string cleaned(StepKind kind, std::string text)
{
    const Verdict verdict = runOne(stepOf(kind), text);
    if (!verdict.keep) throw rlhf::Error("unexpectedly removed: " + verdict.reason);
    return text;
}

const std::string kReplacement = "\xEF\xBF\xBD";

} // namespace

class TestCleaning : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void utf8RepairsEachMaximalSubpart()
    {
        // WHATWG / Unicode "maximal subpart": a truncated sequence is one U+FFFD, bytes that
        // can never start or continue one are one U+FFFD each.
        QCOMPARE(cleaned(StepKind::Utf8, "a\xC3"), "a" + kReplacement);
        QCOMPARE(cleaned(StepKind::Utf8, "\xF0\x9F\x98!"), kReplacement + "!");
        QCOMPARE(cleaned(StepKind::Utf8, "\xE0\x80\x80"),
                 kReplacement + kReplacement + kReplacement);
        QCOMPARE(cleaned(StepKind::Utf8, "\xED\xA0\x80x"),
                 kReplacement + kReplacement + kReplacement + "x");
        QCOMPARE(cleaned(StepKind::Utf8, "\xC0\xAF"), kReplacement + kReplacement);
        QCOMPARE(cleaned(StepKind::Utf8, "\xF4\x90\x80\x80"),
                 kReplacement + kReplacement + kReplacement + kReplacement);
        QCOMPARE(cleaned(StepKind::Utf8, std::string("nul\0ok", 6)), std::string("nul\0ok", 6));
        const std::string valid = "h\xC3\xA9llo \xF0\x9F\x98\x80 \xE4\xB8\xAD";
        QCOMPARE(cleaned(StepKind::Utf8, valid), valid);
    }

    void utf8RejectsWithOffsetAndField()
    {
        StepConfig step = stepOf(StepKind::Utf8);
        step.repairUtf8 = false;
        CleaningPipeline pipeline(CleaningConfig{{step}});
        Record chat;
        chat.kind = RecordKind::Chat;
        chat.messages = {{"user", "fine"}, {"assistant", "caf\xC3\xA9 \xFF!"}};
        const Verdict verdict = pipeline.process(chat, 7);
        QVERIFY(!verdict.keep);
        QCOMPARE(verdict.step, "utf8");
        QCOMPARE(verdict.field, "messages[1].content");
        QCOMPARE(verdict.reason, "invalid UTF-8 at byte 6");
    }

    void nfkc()
    {
        QCOMPARE(cleaned(StepKind::Nfkc, "\xEF\xAC\x81ne"), "fine"); // U+FB01 ligature fi
        QCOMPARE(cleaned(StepKind::Nfkc, "\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\x91\xEF\xBC\x92"),
                 "AB12");                                           // fullwidth
        QCOMPARE(cleaned(StepKind::Nfkc, "e\xCC\x81"), "\xC3\xA9"); // e + combining acute -> é
        QCOMPARE(cleaned(StepKind::Nfkc, "x\xC2\xB2"), "x2");       // superscript two
        CleaningPipeline pipeline(CleaningConfig{{stepOf(StepKind::Nfkc)}});
        Record ascii;
        ascii.text = "plain ASCII stays as it is.";
        pipeline.process(ascii, 0);
        QCOMPARE(ascii.text, "plain ASCII stays as it is.");
        QCOMPARE(pipeline.report().at(0).changed, 0);
    }

    void nfkcMatchesUtf8procOnWholeTexts()
    {
        // The step sends only non-ASCII runs (with the ASCII character before each) through
        // utf8proc and copies Latin-1 letters as they are; the result must equal utf8proc's
        // NFKC of the whole text.
        const std::vector<std::string> texts = {
            "Cafe\xCC\x81 au lait",                 // e + combining acute
            "x\xCC\x81\xCC\x82y e\xCC\xA7\xCC\x81", // stacked marks, reordered
            "\xC3\x80\xC3\x89\xC3\x8E\xC3\x95\xC3\x9C \xC3\x9F \xC3\xBF \xC3\x97 \xC3\xB7", // Latin-1
            "A\xCC\x8A and \xE2\x84\xAB", // A + ring, Angstrom sign
            "\xEF\xBC\xA8\xEF\xBD\x85llo \xE2\x91\xA0\xE2\x91\xA1 \xEF\xBD\xB6\xEF\xBE\x80", // fullwidth,
                                                                                             // circled,
                                                                                             // halfwidth
                                                                                             // kana
            "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4 \xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB", // Hangul,
                                                                                         // jamo
            "\xC3\xA9\xCC\x81 caf\xC3\xA9\xC2\xA0"
            "bar", // é + acute, NBSP
        };
        for (const std::string& text : texts) {
            utf8proc_uint8_t* reference =
                utf8proc_NFKC(reinterpret_cast<const utf8proc_uint8_t*>(text.c_str()));
            QVERIFY(reference);
            const std::string expected(reinterpret_cast<const char*>(reference));
            std::free(reference);
            QCOMPARE(cleaned(StepKind::Nfkc, text), expected);
        }
    }

    void controlAndZeroWidth()
    {
        const std::string dirty = "a\xE2\x80\x8B"
                                  "b\xC2\xAD"
                                  "c\xEF\xBB\xBF"
                                  "d\x01"
                                  "e\x7F"
                                  "f\xC2\x85"
                                  "g\xE2\x81\xA0"
                                  "h\xE2\x80\x8D"
                                  "i\x1B"
                                  "j";
        QCOMPARE(cleaned(StepKind::Control, dirty), "abcdefghij");
        // Kept: tab, newline, CR (the whitespace step's business), NBSP, em dash, é, CJK.
        const std::string keep = "a\tb\nc\r\nd\xC2\xA0"
                                 "e\xE2\x80\x94"
                                 "f\xC3\xA9\xE4\xB8\xAD\xEF\xBC\xA1";
        QCOMPARE(cleaned(StepKind::Control, keep), keep);
        CleaningPipeline pipeline(CleaningConfig{{stepOf(StepKind::Control)}});
        Record one, two;
        one.text = "clean";
        two.text = "zero\xE2\x80\x8Bwidth";
        pipeline.process(one, 0);
        pipeline.process(two, 1);
        QCOMPARE(two.text, "zerowidth");
        QCOMPARE(pipeline.report().at(0).examined, 2);
        QCOMPARE(pipeline.report().at(0).changed, 1);
    }

    void whitespace()
    {
        QCOMPARE(
            cleaned(StepKind::Whitespace,
                    "  Hello \t  world  \r\nsecond line\t\r\n\r\n\r\n\n\n   third  \rfourth\n\n"),
            "Hello world\nsecond line\n\nthird\nfourth");
        QCOMPARE(cleaned(StepKind::Whitespace, "one\n\ntwo"), "one\n\ntwo");
        QCOMPARE(cleaned(StepKind::Whitespace, " \t\r\n "), "");
    }

    // The steps test 64 bytes at a time: put each rare byte sequence at every offset around
    // the block edges (63/64, 127/128) and check it is still seen and handled.
    void fastPathsAtBlockEdges()
    {
        const std::string letters(160, 'a');
        for (size_t at = 1; at < 150; ++at) {
            const std::string a = letters.substr(0, at), b = letters.substr(at);
            const auto around = [&](const std::string& middle) { return a + middle + b; };
            QCOMPARE(cleaned(StepKind::Whitespace, around("  ")), around(" "));
            QCOMPARE(cleaned(StepKind::Whitespace, around("\t")), around(" "));
            QCOMPARE(cleaned(StepKind::Whitespace, around("\r")), around("\n"));
            QCOMPARE(cleaned(StepKind::Whitespace, around("\n ")), around("\n"));
            QCOMPARE(cleaned(StepKind::Whitespace, around("\n\n\n")), around("\n\n"));
            QCOMPARE(cleaned(StepKind::Whitespace, around("\n\n")), around("\n\n"));
            QCOMPARE(cleaned(StepKind::Control, around("\x01")), letters);
            QCOMPARE(cleaned(StepKind::Control, around("\x7F")), letters);
            QCOMPARE(cleaned(StepKind::Control, around("\xE2\x80\x8B")), letters);
            QCOMPARE(cleaned(StepKind::Control, around("\xC3\xA9")), around("\xC3\xA9"));
            QCOMPARE(cleaned(StepKind::Utf8, around("\xFF")), around(kReplacement));
            // Exact dedup: case and white space runs anywhere make no difference.
            CleaningPipeline dedup(CleaningConfig{{stepOf(StepKind::ExactDedup)}});
            Record first, second, third;
            first.text = around(" ");
            second.text = "A" + around("\n\t ").substr(1);
            third.text = around("  x");
            QVERIFY(dedup.process(first, 0).keep);
            QCOMPARE(dedup.process(second, 1).duplicateOf, std::optional<int64_t>(0));
            QVERIFY(dedup.process(third, 2).keep);
            // ... and the same for non-ASCII text, which goes through NFKC first.
            Record accented, shouting;
            accented.text = around(" caf\xC3\xA9 ");
            shouting.text = around("\tCAF\xC3\x89\n");
            QVERIFY(dedup.process(accented, 3).keep);
            QCOMPARE(dedup.process(shouting, 4).duplicateOf, std::optional<int64_t>(3));
        }
    }

    void html()
    {
        QCOMPARE(cleaned(StepKind::Html,
                         "<p>Hello&nbsp;<b>world</b> &amp; &lt;friends&gt;</p>"
                         "<script type=\"text/javascript\">var x = '<p>';</script>"
                         "<!-- a comment <b> -->caf&eacute; &#233;&#x1F600; &copy;&hellip;<br/>end"
                         "<STYLE>p { color: red }</STYLE><div class='a>b'>last</div>"),
                 "\nHello\xC2\xA0world & <friends>\ncaf\xC3\xA9 \xC3\xA9\xF0\x9F\x98\x80 "
                 "\xC2\xA9\xE2\x80\xA6\nend\nlast\n");
        QCOMPARE(cleaned(StepKind::Html, "<!DOCTYPE html><ul><li>one</li><li>two</li></ul>"),
                 "\n\none\n\ntwo\n\n");
        QCOMPARE(cleaned(StepKind::Html, "&#0; &#xD800; &#1114112;"),
                 kReplacement + " " + kReplacement + " " + kReplacement);
        // Unclosed openers, many of them: linear, not quadratic (this took minutes before).
        std::string unclosed;
        for (int i = 0; i < 100000; ++i)
            unclosed += i % 2 ? "<!-- " : "<!a <b <a href=\"x ";
        QElapsedTimer timer;
        timer.start();
        QCOMPARE(cleaned(StepKind::Html, unclosed), unclosed);
        QVERIFY(timer.elapsed() < 5000);
        // Prose with '<', '>' and '&' is not markup.
        for (const std::string prose :
             {"if a < b and c > d then", "x<y and y>z", "AT&T & &unknown; & &amp", "a <3 b",
              "vector<int> v; 1 << 4", "<notatag> and </ nor this>"})
            QCOMPARE(cleaned(StepKind::Html, prose), prose);
    }

    void lengthInCharsAndTokens()
    {
        StepConfig chars = stepOf(StepKind::Length);
        chars.minChars = 5;
        chars.maxChars = 10;
        std::string text = "h\xC3\xA9llo"; // 5 code points, 6 bytes
        QVERIFY(runOne(chars, text).keep);
        text = "abc";
        QCOMPARE(runOne(chars, text).reason, "3 chars < min 5");
        text = "abcdefghijk";
        QCOMPARE(runOne(chars, text).reason, "11 chars > max 10");

        // No merges: one token per byte, so token counts are byte counts.
        rlhf::text::BpeTrainer trainer({.vocabSize = 300, .specialTokens = {}});
        const rlhf::text::Tokenizer tokenizer = trainer.train();
        StepConfig tokens = stepOf(StepKind::Length);
        tokens.minTokens = 6;
        text = "h\xC3\xA9llo";
        QVERIFY(runOne(tokens, text, &tokenizer).keep);
        tokens.minTokens = 0;
        tokens.maxTokens = 5;
        QCOMPARE(runOne(tokens, text, &tokenizer).reason, "6 tokens > max 5");
        QVERIFY(errorOf([&] { runOne(tokens, text); }).contains("need a tokenizer"));
    }

    void piiPositives()
    {
        StepConfig step = stepOf(StepKind::Pii);
        CleaningPipeline pipeline(CleaningConfig{{step}});
        Record record;
        record.text =
            "Write to jane.doe+news@example.co.uk today. "
            "Call +44 20 7946 0958, +1 (415) 555-2671, (415) 555-2671, 415.555.2671, "
            "1-800-555-0199, 06 12 34 56 78 or 020 7946 0958. "
            "Server 192.168.1.20, backup 2001:db8::8a2e:370:7334 and fe80::1ff:fe23:4567. "
            "Card 4111 1111 1111 1111 and 5500-0000-0000-0004, also 378282246310005.";
        QVERIFY(pipeline.process(record, 0).keep);
        QCOMPARE(record.text, "Write to <EMAIL> today. "
                              "Call <PHONE>, <PHONE>, <PHONE>, <PHONE>, <PHONE>, <PHONE> or "
                              "<PHONE>. Server <IP>, backup <IP> and <IP>. "
                              "Card <CARD> and <CARD>, also <CARD>.");
        const StepReport report = pipeline.report().at(0);
        QCOMPARE(report.changed, 1);
        const std::vector<std::pair<std::string, int64_t>> counts = {
            {"email", 1}, {"phone", 7}, {"ip", 3}, {"card", 3}};
        for (const auto& expected : counts)
            QVERIFY2(std::find(report.counts.begin(), report.counts.end(), expected) !=
                         report.counts.end(),
                     expected.first.c_str());
    }

    void piiNegativesSurvive()
    {
        const std::string text =
            "In 1999 and in 2024, John 3:16 and Genesis 1:1-3 were read at 10:30:00 on "
            "2024-01-15 (15.01.2024). Upgrade to version 2.31.0 or v1.2.3.4, see section 4.2.1, "
            "RFC 791 and ISO 8601. Population 8000000000, pi 3.14159265358979, invoice "
            "4111 1111 1111 1112, order #123456789012, std::string and Abc::Def, a::b. "
            "Score 3-2, pages 12-15, room 555-1234, price $1,299.99, 1.2.3.4.5 ratio 16:9.";
        std::string scrubbed = text;
        QVERIFY(runOne(stepOf(StepKind::Pii), scrubbed).keep);
        QCOMPARE(scrubbed, text);
    }

    void piiOnlyChosenTypes()
    {
        StepConfig step = stepOf(StepKind::Pii);
        step.piiTypes = {"email"};
        std::string text = "a@b.org or 192.168.0.1";
        runOne(step, text);
        QCOMPARE(text, "<EMAIL> or 192.168.0.1");
    }

    void blocklist()
    {
        StepConfig step = stepOf(StepKind::Blocklist);
        step.blocklist = {"bar", "New York", "caf\xC3\xA9", "  "};
        CleaningPipeline pipeline(CleaningConfig{{step}});
        const auto verdictOf = [&](const std::string& text) {
            Record record;
            record.text = text;
            return pipeline.process(record, 0);
        };
        QCOMPARE(verdictOf("Meet me at the BAR, then.").reason, "blocklisted: \"bar\"");
        QCOMPARE(verdictOf("flights to new\n  york").reason, "blocklisted: \"New York\"");
        QCOMPARE(verdictOf("le CAF\xC3\x89 du coin").reason, "blocklisted: \"caf\xC3\xA9\"");
        QVERIFY(verdictOf("a barn, a crowbar, bars and cafés; New Yorker").keep);
        QVERIFY(verdictOf("caf\xC3\xA9s").keep);
        QCOMPARE(pipeline.report().at(0).removed, 3);
    }

    void removalStopsThePipeline()
    {
        StepConfig length = stepOf(StepKind::Length);
        length.minChars = 10;
        CleaningPipeline pipeline(
            CleaningConfig{{stepOf(StepKind::Whitespace), length, stepOf(StepKind::Nfkc)}});
        Record shortOne, longOne;
        shortOne.text = "  short  ";
        longOne.text = "long enough \xEF\xAC\x81ne text";
        const Verdict removed = pipeline.process(shortOne, 1);
        QVERIFY(!removed.keep);
        QCOMPARE(removed.step, "length");
        QCOMPARE(removed.reason, "5 chars < min 10");
        QVERIFY(pipeline.process(longOne, 2).keep);
        QCOMPARE(longOne.text, "long enough fine text");
        const std::vector<StepReport> report = pipeline.report();
        QCOMPARE(report.size(), size_t(3));
        QCOMPARE(report[0].step, "whitespace");
        QCOMPARE(report[0].examined, 2);
        QCOMPARE(report[0].changed, 1);
        QCOMPARE(report[1].removed, 1);
        QCOMPARE(report[2].examined, 1);
        QCOMPARE(report[2].changed, 1);
    }

    void lshShapeFavoursRecallAtTheThreshold()
    {
        using rlhf::data::cleaning::candidateProbability;
        using rlhf::data::cleaning::chooseLshShape;
        const auto shape = chooseLshShape(0.8, 128);
        QCOMPARE(shape.rows, 6);
        QCOMPARE(shape.bands, 21);
        QVERIFY(candidateProbability(0.8, shape) >= 0.995);
        QVERIFY(candidateProbability(0.3, shape) < 0.05); // few chance candidates to verify
        const auto loose = chooseLshShape(0.5, 128);
        QCOMPARE(loose.rows, 3);
        QCOMPARE(loose.bands, 42);
        QCOMPARE(chooseLshShape(1.0, 16).rows, 16); // identical signatures only: one band
    }

    void garbageNeverCrashes()
    {
        // Random bytes biased towards what the steps look for: markup, entities, digits,
        // separators, lead bytes of multi-byte sequences, NUL.
        const std::string alphabet =
            std::string("<>&#;:/.-+@ \t\n\r0123456789abcxAZ!\"'") +
            std::string("\x00\x80\xBF\xC2\xC3\xE2\xED\xEF\xF0\xF4\xFF", 11);
        std::vector<StepConfig> steps;
        for (StepKind kind :
             {StepKind::Utf8, StepKind::Html, StepKind::Pii, StepKind::Nfkc, StepKind::Control,
              StepKind::Whitespace, StepKind::Language, StepKind::Blocklist, StepKind::Length,
              StepKind::ExactDedup, StepKind::NearDedup})
            steps.push_back(stepOf(kind));
        steps[0].repairUtf8 = false;
        steps[6].keepUnknownLanguage = true;
        steps[7].blocklist = {"abc", "<x>"};
        steps.erase(steps.begin()); // run without the utf8 step first: others see bad UTF-8
        CleaningPipeline raw(CleaningConfig{steps});
        steps.insert(steps.begin(), stepOf(StepKind::Utf8));
        CleaningPipeline repaired(CleaningConfig{steps});
        uint64_t state = 99;
        for (int i = 0; i < 3000; ++i) {
            Record record;
            const size_t length = (state = state * 6364136223846793005ULL + 1) >> 56;
            for (size_t k = 0; k < length; ++k) {
                state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                record.text.push_back(alphabet[(state >> 33) % alphabet.size()]);
            }
            Record copy = record;
            raw.process(record, i);
            repaired.process(copy, i);
        }
        QCOMPARE(raw.report().front().examined, 3000);
        QCOMPARE(repaired.report().front().examined, 3000);
    }

    void chatAndPreferenceFieldsAreEdited()
    {
        CleaningPipeline pipeline(CleaningConfig::defaults());
        Record pair;
        pair.kind = RecordKind::Preference;
        pair.messages = {{"user", "  What\xE2\x80\x8B is  \xEF\xBC\xB8?  "}};
        pair.chosen = "It is\r\nX.";
        pair.rejected = "No\xC3";
        QVERIFY(pipeline.process(pair, 0).keep);
        QCOMPARE(pair.messages[0].content, "What is X?");
        QCOMPARE(pair.chosen, "It is\nX.");
        QCOMPARE(pair.rejected, "No" + kReplacement);
    }
};

QTEST_GUILESS_MAIN(TestCleaning)
#include "test_cleaning.moc"
