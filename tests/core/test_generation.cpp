// Tests of the generation loop (core/gen/generator.h) over a strict table-driven LogitSource:
// batched prompts of different lengths equal each prompt alone, eos / stop sequences / stop
// strings / max new tokens / the context limit end rows, streaming order and early stop, seeds.
#include "core/gen/generator.h"

#include "core/util/error.h"
#include "tests/support/table_logit_source.h"

#include <ATen/ATen.h>

#include <QtTest/QtTest>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace rlhf::gen;

namespace {

using rlhf::test_support::TableSource;
using rlhf::test_support::Tokens;

constexpr int64_t vocab = 12;
const std::vector<Tokens> prompts{
    {4}, {1, 7, 2, 9, 5}, {3, 3, 8}, {0, 11, 6, 2, 2, 10, 1, 5}, {9, 4}};

GenerationConfig greedy(int64_t maxNewTokens)
{
    GenerationConfig config;
    config.sampling.maxNewTokens = maxNewTokens;
    config.sampling.temperature = 0.0f;
    config.sampling.repetitionPenalty = 1.0f;
    config.padTokenId = 3; // a real token: it must not count as context anywhere
    return config;
}

// Token v decodes to a piece of one or two letters.
std::string decodeTokens(const Tokens& tokens)
{
    static const std::vector<std::string> pieces{"a", "bc", "d", "ef", "g", "hi",
                                                 "j", "kl", "m", "no", "p", "qr"};
    std::string text;
    for (const int64_t token : tokens)
        text += pieces.at(token);
    return text;
}

// Greedy outputs of every prompt without any stop: the reference the stop tests cut.
std::vector<Tokens> reference(uint64_t seed, int64_t maxNewTokens)
{
    TableSource source(vocab, seed);
    std::vector<Tokens> tokens;
    for (const auto& result : generate(source, prompts, greedy(maxNewTokens)))
        tokens.push_back(result.tokens);
    return tokens;
}

bool startsWith(const Tokens& tokens, const Tokens& prefix)
{
    return prefix.size() <= tokens.size() &&
           std::equal(prefix.begin(), prefix.end(), tokens.begin());
}

} // namespace

class TestGeneration : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void batchedEqualsAlone_data();
    void batchedEqualsAlone();
    void finishedRowsLeaveTheBatch();
    void eosEndsRowsAndIsLeftOut();
    void stopSequencesEndRowsAndAreRemoved();
    void stopStringsCutTextAndTokens();
    void maxNewTokensRespected();
    void contextLimitEndsRows();
    void streamingOrder();
    void callbackStopsRowOrAll();
    void seedDeterminism();
    void stopConditionRules();
    void badInputThrows();
};

void TestGeneration::batchedEqualsAlone_data()
{
    QTest::addColumn<float>("penalty");
    QTest::newRow("greedy") << 1.0f;
    QTest::newRow("greedy with repetition penalty") << 1.5f;
}

void TestGeneration::batchedEqualsAlone()
{
    QFETCH(float, penalty);
    bool sawEos = false, sawLength = false;
    for (uint64_t seed = 1; seed <= 8; ++seed) {
        GenerationConfig config = greedy(15);
        config.sampling.repetitionPenalty = penalty;
        config.eosTokenIds = {11};
        TableSource source(vocab, seed);
        const auto batched = generate(source, prompts, config);
        QCOMPARE(batched.size(), prompts.size());
        for (size_t row = 0; row < prompts.size(); ++row) {
            const auto alone = generate(source, {prompts[row]}, config);
            QCOMPARE(batched[row].tokens, alone[0].tokens);
            QCOMPARE(batched[row].reason, alone[0].reason);
            sawEos = sawEos || alone[0].reason == FinishReason::Eos;
            sawLength = sawLength || alone[0].reason == FinishReason::Length;
        }
    }
    QVERIFY(sawEos && sawLength); // both ways of ending, so rows left the batch mid-way
}

void TestGeneration::finishedRowsLeaveTheBatch()
{
    const auto ref = reference(3, 10);
    GenerationConfig config = greedy(10);
    config.eosTokenIds = {ref[0][2]}; // row 0 ends at its third token at the latest
    TableSource source(vocab, 3);
    const auto results = generate(source, prompts, config);
    QCOMPARE(results[0].reason, FinishReason::Eos);
    const auto& sizes = source.batchSizes();
    QCOMPARE(sizes.front(), int64_t(prompts.size()));
    QVERIFY(sizes.back() < int64_t(prompts.size()));
    QVERIFY(std::is_sorted(sizes.rbegin(), sizes.rend())); // never grows back
}

void TestGeneration::eosEndsRowsAndIsLeftOut()
{
    for (uint64_t seed = 1; seed <= 4; ++seed) {
        const auto ref = reference(seed, 12);
        GenerationConfig config = greedy(12);
        config.eosTokenIds = {ref[0][4], ref[1][0]}; // row 0 after 4 tokens at the latest
        TableSource source(vocab, seed);
        const auto results = generate(source, prompts, config);
        for (size_t row = 0; row < prompts.size(); ++row) {
            Tokens expected;
            FinishReason reason = FinishReason::Length;
            for (const int64_t token : ref[row]) {
                if (token == config.eosTokenIds[0] || token == config.eosTokenIds[1]) {
                    reason = FinishReason::Eos;
                    break;
                }
                expected.push_back(token);
            }
            QCOMPARE(results[row].tokens, expected);
            QCOMPARE(results[row].reason, reason);
        }
        QVERIFY(results[0].tokens.size() <= 4);
        QCOMPARE(results[1].tokens, Tokens{});
    }
}

void TestGeneration::stopSequencesEndRowsAndAreRemoved()
{
    const auto ref = reference(5, 12);
    const Tokens stop{ref[1][3], ref[1][4]};
    GenerationConfig config = greedy(12);
    config.stopSequences = {stop, {vocab + 5}}; // the second never occurs
    TableSource source(vocab, 5);
    const auto results = generate(source, prompts, config);
    for (size_t row = 0; row < prompts.size(); ++row) {
        Tokens expected;
        FinishReason reason = FinishReason::Length;
        for (const int64_t token : ref[row]) {
            expected.push_back(token);
            if (expected.size() >= 2 && Tokens(expected.end() - 2, expected.end()) == stop) {
                expected.resize(expected.size() - 2);
                reason = FinishReason::StopSequence;
                break;
            }
        }
        QCOMPARE(results[row].tokens, expected);
        QCOMPARE(results[row].reason, reason);
    }
    QVERIFY(results[1].tokens.size() <= 3);
    QCOMPARE(results[1].reason, FinishReason::StopSequence);
}

void TestGeneration::stopStringsCutTextAndTokens()
{
    // Find a seed whose row 0 has a two-letter token after its first token: the stop string
    // starts in the middle of it, so that token and all after it are dropped, and the text is
    // cut after the token's first letter.
    for (uint64_t seed = 1; seed <= 20; ++seed) {
        const auto ref = reference(seed, 12);
        const Tokens& row0 = ref[0];
        size_t split = 0;
        for (size_t index = 1; index + 1 < row0.size() && split == 0; ++index)
            if (decodeTokens({row0[index]}).size() == 2) split = index;
        if (split == 0) continue;
        const Tokens before(row0.begin(), row0.begin() + split);
        const std::string piece = decodeTokens({row0[split]});
        const std::string stop = piece.substr(1) + decodeTokens({row0[split + 1]});
        if (decodeTokens(before).find(stop) != std::string::npos) continue; // would match earlier

        GenerationConfig config = greedy(12);
        config.stopStrings = {stop};
        TableSource source(vocab, seed);
        const auto results = generate(source, prompts, config, {}, decodeTokens);
        QCOMPARE(results[0].reason, FinishReason::StopText);
        QCOMPARE(results[0].tokens, before);
        QCOMPARE(results[0].text, decodeTokens(before) + piece.substr(0, 1));
        for (size_t row = 1; row < prompts.size(); ++row) {
            // Every row is the reference up to its stop, and its text never holds the stop.
            QVERIFY(startsWith(ref[row], results[row].tokens));
            QVERIFY(results[row].text.find(stop) == std::string::npos);
            if (results[row].reason == FinishReason::Length) {
                QCOMPARE(results[row].tokens, ref[row]);
                QCOMPARE(results[row].text, decodeTokens(ref[row]));
            } else {
                QCOMPARE(results[row].reason, FinishReason::StopText);
                QVERIFY(decodeTokens(ref[row]).find(results[row].text + stop) == 0);
            }
        }
        return;
    }
    QFAIL("no seed gave a row with a two-letter token to split");
}

void TestGeneration::maxNewTokensRespected()
{
    TableSource source(vocab, 2);
    for (const int64_t maxNewTokens : {1, 7}) {
        const auto results = generate(source, prompts, greedy(maxNewTokens));
        for (const auto& result : results) {
            QCOMPARE(int64_t(result.tokens.size()), maxNewTokens);
            QCOMPARE(result.reason, FinishReason::Length);
        }
    }
    const auto none = generate(source, prompts, greedy(0), {}, decodeTokens);
    QCOMPARE(none.size(), prompts.size());
    QVERIFY(none[0].tokens.empty() && none[0].text.empty());
}

void TestGeneration::contextLimitEndsRows()
{
    // The longest prompt has 8 tokens; a context of 12 holds 4 more fed tokens, so 5 are drawn.
    TableSource source(vocab, 4, {/*maxPositions=*/12});
    const auto results = generate(source, prompts, greedy(50));
    for (const auto& result : results) {
        QCOMPARE(result.tokens.size(), size_t(5));
        QCOMPARE(result.reason, FinishReason::Length);
    }
    TableSource small(vocab, 4, {/*maxPositions=*/6});
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, generate(small, prompts, greedy(5)));
}

void TestGeneration::streamingOrder()
{
    const auto ref = reference(6, 9);
    GenerationConfig config = greedy(9);
    config.eosTokenIds = {ref[2][3]};
    std::vector<std::pair<int64_t, int64_t>> calls;
    TableSource source(vocab, 6);
    const auto results = generate(source, prompts, config, [&](int64_t row, int64_t token) {
        calls.emplace_back(row, token);
        return StreamControl::Continue;
    });
    // Step by step, ascending rows within a step; eos never streamed.
    std::vector<std::pair<int64_t, int64_t>> expected;
    for (size_t step = 0; step < 9; ++step)
        for (size_t row = 0; row < results.size(); ++row)
            if (step < results[row].tokens.size())
                expected.emplace_back(int64_t(row), results[row].tokens[step]);
    QCOMPARE(calls, expected);
    QCOMPARE(results[2].reason, FinishReason::Eos);
}

void TestGeneration::callbackStopsRowOrAll()
{
    const auto ref = reference(7, 10);
    TableSource source(vocab, 7);
    std::vector<int64_t> seen(prompts.size(), 0);
    auto results = generate(source, prompts, greedy(10), [&](int64_t row, int64_t) {
        return ++seen[row] == 3 && row == 1 ? StreamControl::StopRow : StreamControl::Continue;
    });
    QCOMPARE(results[1].tokens, Tokens(ref[1].begin(), ref[1].begin() + 3));
    QCOMPARE(results[1].reason, FinishReason::Callback);
    QCOMPARE(results[0].tokens, ref[0]);
    QCOMPARE(results[0].reason, FinishReason::Length);

    // Stop everything at row 2's fourth token: rows 0-2 have 4 tokens, rows 3-4 have 3.
    int calls = 0;
    seen.assign(prompts.size(), 0);
    results = generate(source, prompts, greedy(10), [&](int64_t row, int64_t) {
        ++calls;
        return ++seen[row] == 4 && row == 2 ? StreamControl::StopAll : StreamControl::Continue;
    });
    QCOMPARE(calls, 4 * 3 + 3 * 2);
    for (size_t row = 0; row < prompts.size(); ++row) {
        const size_t count = row <= 2 ? 4 : 3;
        QCOMPARE(results[row].tokens, Tokens(ref[row].begin(), ref[row].begin() + count));
        QCOMPARE(results[row].reason, FinishReason::Callback);
    }
}

void TestGeneration::seedDeterminism()
{
    GenerationConfig config;
    config.sampling.maxNewTokens = 20;
    config.sampling.temperature = 1.0f;
    config.sampling.topK = 0;
    config.sampling.topP = 0.9f;
    config.sampling.repetitionPenalty = 1.2f;
    config.eosTokenIds = {11};
    auto run = [&](uint64_t seed) {
        config.sampling.seed = seed;
        TableSource source(vocab, 1);
        std::vector<Tokens> tokens;
        for (const auto& result : generate(source, prompts, config))
            tokens.push_back(result.tokens);
        return tokens;
    };
    const auto first = run(10);
    QCOMPARE(run(10), first);
    QVERIFY(run(11) != first);
}

void TestGeneration::stopConditionRules()
{
    // Pieces: 0 "a", 1 "bc", 2 "d", 3 "ef", 4 "g", 7 "kl", 8 "m".
    const StopCondition stop({{7, 8}}, {"kl", "bc"}, decodeTokens);
    QVERIFY(!stop.check({0, 2, 4}));
    // "abcdkl": both strings occur; the earliest ("bc", from token 1) wins.
    auto match = stop.check({0, 1, 2, 7});
    QVERIFY(match);
    QCOMPARE(match->reason, FinishReason::StopText);
    QCOMPARE(match->text, std::string("a"));
    QCOMPARE(match->keptTokens, size_t(1));
    // "aklm" holds "kl", but the token sequence {7, 8} ends the row: it is checked first.
    match = stop.check({0, 7, 8});
    QVERIFY(match);
    QCOMPARE(match->reason, FinishReason::StopSequence);
    QCOMPARE(match->keptTokens, size_t(1));
    // A stop string across tokens, starting inside one: "bc|ef|g" with "fg" keeps "bce" as text
    // and only token 1 ("bc"), since token 3 ("ef") reaches into the stop string.
    match = StopCondition({}, {"fg"}, decodeTokens).check({1, 3, 4});
    QVERIFY(match);
    QCOMPARE(match->text, std::string("bce"));
    QCOMPARE(match->keptTokens, size_t(1));
    QVERIFY(StopCondition().empty());
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, StopCondition({{}}, {}, {}));
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, StopCondition({}, {""}, decodeTokens));
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, StopCondition({}, {"a"}, {}));
}

void TestGeneration::badInputThrows()
{
    TableSource source(vocab, 1);
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, generate(source, {{1, 2}, {}}, greedy(3)));
    GenerationConfig config = greedy(3);
    config.stopStrings = {"ab"};
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, generate(source, prompts, config)); // no decoder
    QVERIFY(generate(source, {}, greedy(3)).empty());
}

QTEST_GUILESS_MAIN(TestGeneration)
#include "test_generation.moc"
