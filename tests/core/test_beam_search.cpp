// Tests of beam search (core/gen/beam_search.h) over a table-driven LogitSource whose cache is
// each row's token history: with enough beams it must equal brute-force enumeration of every
// sequence under the same length-penalised score; one beam equals greedy generation; narrow
// beams report the true log probability of what they return (so selectRows was honoured).
#include "core/gen/beam_search.h"

#include "core/gen/generator.h"
#include "core/util/error.h"
#include "tests/support/table_logit_source.h"

#include <ATen/ATen.h>

#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace rlhf::gen;

namespace {

using rlhf::test_support::TableSource;
using rlhf::test_support::Tokens;

constexpr int64_t vocab = 5;
constexpr int64_t eos = 0;

// The table "LM" of test_generation without the position term, at its original scale: these
// seeds' tables are unchanged from when this file had its own copy.
TableSource makeSource(uint64_t seed)
{
    return TableSource(vocab, seed, {/*maxPositions=*/64, /*positionPeriod=*/1, /*scale=*/1.5f});
}

const std::vector<Tokens> prompts{{2}, {1, 4, 3}, {3, 3}};

// log p(token | history), computed as beam search does: float log-softmax, then double.
double logProb(const TableSource& source, const Tokens& history, int64_t token)
{
    return source.logitsAfter(history).log_softmax(0)[token].item<float>();
}

// Every sequence of at most maxLength new tokens that ends with eos or at maxLength, scored
// sum(log p) / length^alpha (length counting the eos), best first.
std::vector<BeamHypothesis> bruteForce(const TableSource& source, const Tokens& prompt,
                                       int64_t maxLength, double alpha)
{
    std::vector<BeamHypothesis> all;
    std::vector<std::pair<Tokens, double>> open{{{}, 0.0}}; // generated tokens, sum of log p
    while (!open.empty()) {
        auto [tokens, sum] = open.back();
        open.pop_back();
        Tokens history = prompt;
        history.insert(history.end(), tokens.begin(), tokens.end());
        for (int64_t token = 0; token < vocab; ++token) {
            const double next = sum + logProb(source, history, token);
            const auto length = static_cast<int64_t>(tokens.size()) + 1;
            if (token == eos) {
                all.push_back(
                    {tokens, next / std::pow(double(length), alpha), next, FinishReason::Eos});
                continue;
            }
            Tokens longer = tokens;
            longer.push_back(token);
            if (length == maxLength)
                all.push_back(
                    {longer, next / std::pow(double(length), alpha), next, FinishReason::Length});
            else
                open.emplace_back(std::move(longer), next);
        }
    }
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.score > b.score; });
    return all;
}

// sum(log p) of `tokens` after `prompt`, plus eos when the hypothesis ended with it.
double sequenceLogProb(const TableSource& source, const Tokens& prompt,
                       const BeamHypothesis& hypothesis)
{
    Tokens history = prompt;
    double sum = 0.0;
    for (const int64_t token : hypothesis.tokens) {
        sum += logProb(source, history, token);
        history.push_back(token);
    }
    if (hypothesis.reason == FinishReason::Eos) sum += logProb(source, history, eos);
    return sum;
}

} // namespace

class TestBeamSearch : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void exhaustiveBeamsEqualBruteForce_data();
    void exhaustiveBeamsEqualBruteForce();
    void oneBeamEqualsGreedy_data();
    void oneBeamEqualsGreedy();
    void narrowBeamsReportTrueLogProbs();
    void laterEarlyStoppingFindsNoWorse();
    void invalidConfigThrows();
};

void TestBeamSearch::exhaustiveBeamsEqualBruteForce_data()
{
    QTest::addColumn<double>("alpha");
    QTest::newRow("alpha 0: plain sum") << 0.0;
    QTest::newRow("alpha 1") << 1.0;
    QTest::newRow("alpha 2: favours long") << 2.0;
    QTest::newRow("alpha -0.5: favours short") << -0.5;
}

void TestBeamSearch::exhaustiveBeamsEqualBruteForce()
{
    QFETCH(double, alpha);
    constexpr int64_t depth = 4;
    BeamSearchConfig config;
    config.numBeams = 625; // vocab^depth: no continuation is ever cut
    config.numReturn = 25;
    config.lengthPenalty = alpha;
    config.maxNewTokens = depth;
    config.eosTokenIds = {eos};
    for (uint64_t seed = 1; seed <= 5; ++seed) {
        TableSource source = makeSource(seed);
        const auto results = beamSearch(source, prompts, config); // all prompts in one batch
        QCOMPARE(results.size(), prompts.size());
        for (size_t prompt = 0; prompt < prompts.size(); ++prompt) {
            const auto expected = bruteForce(source, prompts[prompt], depth, alpha);
            QCOMPARE(results[prompt].size(), size_t(config.numReturn));
            // Ranks must agree in score; sequences only up to ties (the table depends on the
            // last two tokens, so reordered sequences can share a product of probabilities).
            for (size_t rank = 0; rank < results[prompt].size(); ++rank) {
                const BeamHypothesis& got = results[prompt][rank];
                QVERIFY(std::abs(got.score - expected[rank].score) < 1e-9);
                const auto same =
                    std::find_if(expected.begin(), expected.end(), [&](const auto& e) {
                        return e.tokens == got.tokens && e.reason == got.reason;
                    });
                QVERIFY(same != expected.end());
                QVERIFY(std::abs(got.score - same->score) < 1e-9);
                QVERIFY(std::abs(got.sumLogProb - same->sumLogProb) < 1e-9);
                for (size_t other = 0; other < rank; ++other)
                    QVERIFY(results[prompt][other].tokens != got.tokens ||
                            results[prompt][other].reason != got.reason);
            }
        }
    }
}

void TestBeamSearch::oneBeamEqualsGreedy_data()
{
    QTest::addColumn<EarlyStopping>("earlyStopping");
    QTest::newRow("when full") << EarlyStopping::WhenFull;
    QTest::newRow("heuristic") << EarlyStopping::Heuristic;
}

void TestBeamSearch::oneBeamEqualsGreedy()
{
    QFETCH(EarlyStopping, earlyStopping);
    BeamSearchConfig beam;
    beam.numBeams = 1;
    beam.maxNewTokens = 8;
    beam.eosTokenIds = {eos};
    beam.earlyStopping = earlyStopping;
    GenerationConfig greedy;
    greedy.sampling.maxNewTokens = 8;
    greedy.eosTokenIds = {eos};
    greedy.sampling.temperature = 0.0f;
    greedy.sampling.repetitionPenalty = 1.0f;
    bool sawEos = false;
    for (uint64_t seed = 1; seed <= 10; ++seed) {
        TableSource source = makeSource(seed);
        const auto beams = beamSearch(source, prompts, beam);
        const auto greedyResults = generate(source, prompts, greedy);
        for (size_t prompt = 0; prompt < prompts.size(); ++prompt) {
            QCOMPARE(beams[prompt].size(), size_t(1));
            QCOMPARE(beams[prompt][0].tokens, greedyResults[prompt].tokens);
            QCOMPARE(beams[prompt][0].reason, greedyResults[prompt].reason);
            sawEos = sawEos || greedyResults[prompt].reason == FinishReason::Eos;
        }
    }
    QVERIFY(sawEos);
}

void TestBeamSearch::narrowBeamsReportTrueLogProbs()
{
    BeamSearchConfig config;
    config.numBeams = 3;
    config.numReturn = 3;
    config.maxNewTokens = 10;
    config.eosTokenIds = {eos};
    for (uint64_t seed = 1; seed <= 10; ++seed) {
        TableSource source = makeSource(seed);
        const auto results = beamSearch(source, prompts, config);
        for (size_t prompt = 0; prompt < prompts.size(); ++prompt) {
            QVERIFY(!results[prompt].empty());
            for (size_t rank = 0; rank < results[prompt].size(); ++rank) {
                const BeamHypothesis& hypothesis = results[prompt][rank];
                if (rank > 0) QVERIFY(hypothesis.score <= results[prompt][rank - 1].score);
                QVERIFY(std::abs(hypothesis.sumLogProb -
                                 sequenceLogProb(source, prompts[prompt], hypothesis)) < 1e-9);
                const auto length =
                    hypothesis.tokens.size() + (hypothesis.reason == FinishReason::Eos ? 1 : 0);
                QVERIFY(std::abs(hypothesis.score - hypothesis.sumLogProb / double(length)) <
                        1e-12);
            }
        }
    }
}

void TestBeamSearch::laterEarlyStoppingFindsNoWorse()
{
    // All three modes grow the same beams; they only differ in when they stop looking.
    BeamSearchConfig config;
    config.numBeams = 2;
    config.maxNewTokens = 12;
    config.lengthPenalty = 1.5;
    config.eosTokenIds = {eos};
    for (uint64_t seed = 1; seed <= 10; ++seed) {
        TableSource source = makeSource(seed);
        config.earlyStopping = EarlyStopping::WhenFull;
        const auto whenFull = beamSearch(source, prompts, config);
        config.earlyStopping = EarlyStopping::Heuristic;
        const auto heuristic = beamSearch(source, prompts, config);
        config.earlyStopping = EarlyStopping::Never;
        const auto never = beamSearch(source, prompts, config);
        for (size_t prompt = 0; prompt < prompts.size(); ++prompt) {
            QVERIFY(heuristic[prompt][0].score >= whenFull[prompt][0].score);
            QVERIFY(never[prompt][0].score >= heuristic[prompt][0].score);
        }
    }
}

void TestBeamSearch::invalidConfigThrows()
{
    TableSource source = makeSource(1);
    BeamSearchConfig config;
    config.numBeams = 0;
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, beamSearch(source, prompts, config));
    config = BeamSearchConfig{};
    config.numReturn = config.numBeams + 1;
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, beamSearch(source, prompts, config));
    config = BeamSearchConfig{};
    config.maxNewTokens = 0;
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, beamSearch(source, prompts, config));
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, beamSearch(source, {{}}, BeamSearchConfig{}));
}

QTEST_GUILESS_MAIN(TestBeamSearch)
#include "test_beam_search.moc"
