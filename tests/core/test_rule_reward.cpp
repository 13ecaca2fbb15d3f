// Rule rewards: each rule against hand-computed scores (UTF-8 lengths in code points), the
// weighted sum, the JSON form both ways, and errors that name the offending field.
#include "core/train/rule_reward.h"
#include "tests/support/error_of.h"

#include <nlohmann/json.hpp>

#include <QTest>

using namespace rlhf::train;
using nlohmann::json;
using rlhf::testing::errorOf;

namespace {

RuleReward single(RuleRewardTerm term)
{
    std::vector<RuleRewardTerm> terms{std::move(term)};
    return RuleReward(std::move(terms));
}

RuleRewardTerm lengthTerm(int64_t target)
{
    RuleRewardTerm term;
    term.rule = "length";
    term.targetLength = target;
    return term;
}

QString jsonError(const char* text)
{
    return errorOf([&] { ruleTermsFromJson(json::parse(text), "stage.json: rules"); });
}

} // namespace

class TestRuleReward : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void exactAnswer()
    {
        const RuleReward reward = single({.rule = "exact_answer"});
        QCOMPARE(reward.score(" 68\n", "68"), 1.0);
        QCOMPARE(reward.score("68", " 68 "), 1.0);
        QCOMPARE(reward.score("6 8", "68"), 0.0);
        QCOMPARE(reward.score("68!", "68"), 0.0);
        QCOMPARE(reward.score("", ""), 0.0); // no reference: never a match
        QCOMPARE(reward.score("68", ""), 0.0);
    }

    void regex()
    {
        const RuleReward digits = single({.rule = "regex", .pattern = "^\\d+$"});
        QCOMPARE(digits.score("68", ""), 1.0);
        QCOMPARE(digits.score("68 apples", ""), 0.0);
        const RuleReward anywhere = single({.rule = "regex", .pattern = "[0-9]{2}"});
        QCOMPARE(anywhere.score("it is 68.", ""), 1.0); // searched, not anchored
        QCOMPARE(anywhere.score("it is 6.", ""), 0.0);
        const RuleReward letters = single({.rule = "regex", .pattern = "^\\p{L}{3}$"});
        QCOMPARE(letters.score("h\xC3\xA9h", ""), 1.0); // "héh": three letters, four bytes
    }

    void length()
    {
        const RuleReward four = single(lengthTerm(4));
        QCOMPARE(four.score("abcd", ""), 1.0);
        QCOMPARE(four.score("ab", ""), 0.5);         // 1 - 2/4
        QCOMPARE(four.score("abcdef", ""), 0.5);     // 1 - 2/4
        QCOMPARE(four.score("abcdefghij", ""), 0.0); // 1 - 6/4, floored
        QCOMPARE(four.score("", ""), 0.0);
        QCOMPARE(four.score("h\xC3\xA9\xC3\xA9!", ""), 1.0); // "héé!": 4 code points, 6 bytes
        QCOMPARE(four.score("\xE6\x97\xA5\xE6\x9C\xAC", ""), 0.5); // "日本": 2 code points
        QCOMPARE(four.score("\xF0\x9F\x98\x80", ""), 0.25);        // one emoji, 4 bytes
        QCOMPARE(four.score("a\xFF", ""), 0.5); // a stray byte counts as one U+FFFD
    }

    void keywords()
    {
        const RuleReward reward = single({.rule = "keywords", .keywords = {"cat", "dog", "bird"}});
        QCOMPARE(reward.score("the cat saw a dog", ""), 2.0 / 3.0);
        QCOMPARE(reward.score("bird cat dog", ""), 1.0);
        QCOMPARE(reward.score("Cat, Dog", ""), 0.0); // case-sensitive
    }

    void weightedSum()
    {
        const RuleReward none;
        QVERIFY(none.empty());
        QCOMPARE(none.score("68", "68"), 0.0);

        RuleRewardTerm shortAnswer = lengthTerm(4);
        shortAnswer.weight = -0.5;
        std::vector<RuleRewardTerm> terms{{.rule = "exact_answer", .weight = 2.0},
                                          {.rule = "regex", .weight = 0.25, .pattern = "^[0-9]+$"},
                                          shortAnswer};
        RuleReward reward(std::move(terms));
        QCOMPARE(reward.terms().size(), size_t(3));
        QCOMPARE(reward.score("68", "68"), 2.0 + 0.25 - 0.5 * 0.5);
        QCOMPARE(reward.score("67", "68"), 0.25 - 0.5 * 0.5);
        QCOMPARE(reward.score("no idea", "68"), -0.5 * 0.25); // 7 code points: 1 - 3/4

        RuleReward moved = std::move(reward);
        QCOMPARE(moved.score("68", "68"), 2.0); // the compiled regex moved with it
    }

    void jsonBothWays()
    {
        const auto terms = ruleTermsFromJson(
            json::parse("[{\"rule\": \"exact_answer\"}, {\"rule\": \"regex\", \"pattern\": "
                        "\"^\\\\d+$\", \"weight\": 0.1}, {\"rule\": \"length\", "
                        "\"target_length\": 12, \"weight\": -1}, {\"rule\": \"keywords\", "
                        "\"keywords\": [\"a\", \"b\"]}]"),
            "rules");
        QCOMPARE(terms.size(), size_t(4));
        QCOMPARE(terms[0].weight, 1.0); // the default
        QCOMPARE(terms[1].pattern, std::string("^\\d+$"));
        QCOMPARE(terms[1].weight, 0.1);
        QCOMPARE(terms[2].targetLength, int64_t(12));
        QCOMPARE(terms[2].weight, -1.0);
        QCOMPARE(terms[3].keywords, (std::vector<std::string>{"a", "b"}));

        const json written = toJson(terms);
        const json regexTerm = {{"rule", "regex"}, {"weight", 0.1}, {"pattern", "^\\d+$"}};
        QVERIFY2(written[1] == regexTerm, written.dump().c_str());
        QCOMPARE(written[0].size(), size_t(2)); // only the rule's own fields
        const auto again = ruleTermsFromJson(written, "rules");
        QVERIFY(toJson(again) == written);
        // exact 1, regex 0.1, length 2 of 12 code points: -1 * (1 - 10/12), no keyword.
        QCOMPARE(RuleReward(again).score("68", "68"), 1.0 + 0.1 - 1.0 / 6.0);
    }

    void errorsNameTheField()
    {
        QString error = jsonError("[{\"rule\": \"exact_answer\"}, {\"rule\": \"regex\", "
                                  "\"pattern\": \"(unclosed\"}]");
        QVERIFY2(error.startsWith("stage.json: rules[1].pattern: invalid regex"),
                 qPrintable(error));
        error = jsonError("[{\"rule\": \"exact\"}]");
        QVERIFY2(error.startsWith("stage.json: rules[0].rule: unknown rule 'exact'"),
                 qPrintable(error));
        error = jsonError("[{\"rule\": \"exact_answer\", \"wieght\": 2}]");
        QVERIFY2(error.startsWith("stage.json: rules[0].wieght: unknown field"), qPrintable(error));
        error = jsonError("[{\"rule\": \"length\", \"target_length\": 5, \"pattern\": \"x\"}]");
        QVERIFY2(error.startsWith("stage.json: rules[0].pattern: unknown field"),
                 qPrintable(error));
        error = jsonError("[{\"rule\": \"length\", \"target_length\": 0}]");
        QVERIFY2(error.startsWith("stage.json: rules[0].target_length: expected a positive"),
                 qPrintable(error));
        error = jsonError("[{\"rule\": \"length\"}]");
        QVERIFY2(error.startsWith("stage.json: rules[0].target_length: missing required field"),
                 qPrintable(error));
        error = jsonError("[{\"rule\": \"keywords\", \"keywords\": []}]");
        QVERIFY2(error.startsWith("stage.json: rules[0].keywords: expected at least one"),
                 qPrintable(error));
        error = jsonError("[{\"rule\": \"exact_answer\", \"weight\": \"1\"}]");
        QVERIFY2(error.startsWith("stage.json: rules[0].weight: expected a number"),
                 qPrintable(error));
        error = jsonError("{\"rule\": \"exact_answer\"}");
        QVERIFY2(error.startsWith("stage.json: rules: expected an array"), qPrintable(error));

        // The constructor checks the same things for terms built in code.
        error = errorOf([] { single({.rule = "regex", .pattern = "a{2,1}"}); });
        QVERIFY2(error.startsWith("rules[0]: pattern: invalid regex"), qPrintable(error));
        error = errorOf([] {
            std::vector<RuleRewardTerm> terms{{.rule = "exact_answer"}, {.rule = "lenght"}};
            RuleReward(std::move(terms), "ppo");
        });
        QVERIFY2(error.startsWith("ppo[1]: rule: unknown rule 'lenght'"), qPrintable(error));
        error = errorOf([] { single(lengthTerm(-3)); });
        QVERIFY2(error.contains("target_length: expected a positive length, got -3"),
                 qPrintable(error));
        error = errorOf([] { single({.rule = "keywords", .keywords = {"ok", ""}}); });
        QVERIFY2(error.startsWith("rules[0]: keywords[1]: empty keyword"), qPrintable(error));
    }
};

QTEST_APPLESS_MAIN(TestRuleReward)
#include "test_rule_reward.moc"
