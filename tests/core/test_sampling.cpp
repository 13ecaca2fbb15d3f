// Tests of the sampling chain (core/gen/sampler.h): each step alone on synthetic logits with
// exactly known results, the seeded draw's repeatability, and the draw's empirical frequencies
// against the softmax probabilities.
#include "core/gen/sampler.h"
#include "core/gen/sampling_settings.h"

#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <QtTest/QtTest>

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

using namespace rlhf::gen;

namespace {

constexpr float infinity = std::numeric_limits<float>::infinity();

at::Tensor row(std::vector<float> values)
{
    return at::tensor(values, at::kFloat).view({1, -1}); // (1, vocab)
}

// Logits whose softmax is exactly `probabilities` (up to float rounding).
at::Tensor logitsOf(std::vector<float> probabilities)
{
    return row(probabilities).log();
}

std::vector<float> values(const at::Tensor& tensor)
{
    const at::Tensor flat = tensor.to(at::kFloat).contiguous().view(-1);
    return {flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel()};
}

// Indices of the finite entries of a (1, vocab) row.
std::vector<int64_t> finiteIndices(const at::Tensor& logits)
{
    std::vector<int64_t> indices;
    const std::vector<float> row = values(logits);
    for (size_t index = 0; index < row.size(); ++index)
        if (std::isfinite(row[index])) indices.push_back(static_cast<int64_t>(index));
    return indices;
}

SamplingSettings plainSampling(uint64_t seed)
{
    SamplingSettings config;
    config.temperature = 1.0f;
    config.topK = 0;
    config.topP = 1.0f;
    config.repetitionPenalty = 1.0f;
    config.seed = seed;
    return config;
}

} // namespace

class TestSampling : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // Settings out of range are refused in one place (CLI, chat, arena), naming the field,
    // before anything decodes: 100,000 beams took 87 s and 5.8 GB, an infinite temperature
    // sampled noise.
    void settingsOutOfRangeNameTheField()
    {
        rlhf::gen::checkSampling({}); // the defaults
        const double inf = std::numeric_limits<double>::infinity();
        const std::vector<std::pair<std::function<void(rlhf::gen::SamplingSettings&)>, std::string>>
            cases{{[](auto& s) { s.beams = 100000; }, "beams: 100000 is out of range (1 to 64)"},
                  {[](auto& s) { s.beams = 0; }, "beams: 0"},
                  {[](auto& s) { s.beams = -3; }, "beams: -3"},
                  {[](auto& s) { s.maxNewTokens = -1; }, "max_new_tokens: -1"},
                  {[&](auto& s) { s.temperature = inf; }, "temperature: inf"},
                  {[](auto& s) { s.lengthPenalty = std::nan(""); }, "length_penalty: nan"},
                  {[](auto& s) { s.topP = 0; }, "top_p: 0 is out of range (above 0 to 1)"},
                  {[](auto& s) { s.repetitionPenalty = -1; }, "repetition_penalty: -1"},
                  {[](auto& s) { s.topK = -5; }, "top_k: -5"}};
        for (const auto& [change, message] : cases) {
            rlhf::gen::SamplingSettings settings;
            change(settings);
            try {
                rlhf::gen::checkSampling(settings);
                QFAIL(qPrintable(QString::fromStdString("accepted: " + message)));
            } catch (const rlhf::Error& error) {
                QVERIFY2(std::string(error.what()).starts_with(message), error.what());
            }
        }
    }

    void tokenPresenceIgnoresInvalidTokens();
    void repetitionPenaltyDividesPositiveMultipliesNegative();
    void temperatureScales();
    void temperatureZeroIsRejectedByTheStep();
    void topKKeepsExactlyK();
    void topKOffLeavesLogits();
    void topPKeepsTheNucleus_data();
    void topPKeepsTheNucleus();
    void topPKeepsAtLeastOneToken();
    void greedyIsArgmaxAfterPenalty();
    void seededDrawsRepeat();
    void drawNeverPicksMaskedTokens();
    void drawFrequenciesMatchSoftmax();
    void chainFrequenciesMatchRenormalisedTopK();
    void invalidConfigThrows();
};

void TestSampling::tokenPresenceIgnoresInvalidTokens()
{
    const at::Tensor tokens = at::tensor({4, 1, 1, 2, 0, 3}, at::kLong).view({2, 3});
    const at::Tensor valid =
        at::tensor(std::vector<uint8_t>{0, 1, 1, 1, 1, 1}, at::kByte).to(at::kBool).view({2, 3});
    const at::Tensor seen = tokenPresence(tokens, valid, 5); // (2, 5)
    QCOMPARE(values(seen), (std::vector<float>{0, 1, 0, 0, 0, 1, 0, 1, 1, 0}));
    QCOMPARE(values(tokenPresence(tokens, at::Tensor(), 5)),
             (std::vector<float>{0, 1, 0, 0, 1, 1, 0, 1, 1, 0}));
}

void TestSampling::repetitionPenaltyDividesPositiveMultipliesNegative()
{
    const at::Tensor logits = row({2.0f, -2.0f, 1.0f, -1.0f, 0.0f, 3.0f});
    const at::Tensor seen =
        tokenPresence(at::tensor({0, 1, 4, 1}, at::kLong).view({1, 4}), at::Tensor(), 6);
    const at::Tensor penalized = applyRepetitionPenalty(logits, seen, 2.0f);
    QCOMPARE(values(penalized), (std::vector<float>{1.0f, -4.0f, 1.0f, -1.0f, 0.0f, 3.0f}));
    QCOMPARE(values(applyRepetitionPenalty(logits, seen, 1.0f)), values(logits));
}

void TestSampling::temperatureScales()
{
    const at::Tensor logits = row({2.0f, -1.0f, 0.5f});
    QCOMPARE(values(applyTemperature(logits, 0.5f)), (std::vector<float>{4.0f, -2.0f, 1.0f}));
    QCOMPARE(values(applyTemperature(logits, 2.0f)), (std::vector<float>{1.0f, -0.5f, 0.25f}));
}

void TestSampling::temperatureZeroIsRejectedByTheStep()
{
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, applyTemperature(row({1.0f}), 0.0f));
}

void TestSampling::topKKeepsExactlyK()
{
    at::manual_seed(7);
    const at::Tensor logits = at::randn({4, 50}); // (B, vocab)
    const int64_t k = 5;
    const at::Tensor filtered = applyTopK(logits, k);
    QCOMPARE(at::isfinite(filtered).sum(1).to(at::kFloat).min().item<float>(), float(k));
    QCOMPARE(at::isfinite(filtered).sum(1).to(at::kFloat).max().item<float>(), float(k));
    // The survivors are the k largest, unchanged.
    const at::Tensor kth = std::get<0>(logits.topk(k, 1)).narrow(1, k - 1, 1); // (B, 1)
    QVERIFY(at::equal(at::isfinite(filtered), logits >= kth));
    QVERIFY(at::equal(filtered.masked_select(at::isfinite(filtered)),
                      logits.masked_select(logits >= kth)));

    // Ties: still exactly k.
    const at::Tensor ties = applyTopK(at::zeros({1, 10}), 3);
    QCOMPARE(finiteIndices(ties).size(), size_t(3));
}

void TestSampling::topKOffLeavesLogits()
{
    const at::Tensor logits = row({1.0f, 2.0f, 3.0f});
    QCOMPARE(values(applyTopK(logits, 0)), values(logits));
    QCOMPARE(values(applyTopK(logits, 3)), values(logits));
    QCOMPARE(values(applyTopK(logits, 7)), values(logits));
}

void TestSampling::topPKeepsTheNucleus_data()
{
    QTest::addColumn<float>("p");
    QTest::addColumn<std::vector<int64_t>>("kept");
    // Probabilities 0.1, 0.4, 0.2, 0.3: sorted 0.4 (1), 0.3 (3), 0.2 (2), 0.1 (0).
    QTest::newRow("p=0.35: 0.4 alone reaches it") << 0.35f << std::vector<int64_t>{1};
    QTest::newRow("p=0.5: needs 0.4 + 0.3") << 0.5f << std::vector<int64_t>{1, 3};
    QTest::newRow("p=0.65") << 0.65f << std::vector<int64_t>{1, 3};
    QTest::newRow("p=0.75: needs three") << 0.75f << std::vector<int64_t>{1, 2, 3};
    QTest::newRow("p=0.95: needs all") << 0.95f << std::vector<int64_t>{0, 1, 2, 3};
    QTest::newRow("p=1: off") << 1.0f << std::vector<int64_t>{0, 1, 2, 3};
}

void TestSampling::topPKeepsTheNucleus()
{
    QFETCH(float, p);
    QFETCH(std::vector<int64_t>, kept);
    const at::Tensor logits = logitsOf({0.1f, 0.4f, 0.2f, 0.3f});
    const at::Tensor filtered = applyTopP(logits, p);
    QCOMPARE(finiteIndices(filtered), kept);
    // Survivors keep their logits.
    for (const int64_t index : kept)
        QCOMPARE(filtered[0][index].item<float>(), logits[0][index].item<float>());
}

void TestSampling::topPKeepsAtLeastOneToken()
{
    const at::Tensor logits = logitsOf({0.25f, 0.25f, 0.5f});
    QCOMPARE(finiteIndices(applyTopP(logits, 1e-6f)), std::vector<int64_t>{2});
    // Rows are independent.
    const at::Tensor two = at::cat({logitsOf({0.7f, 0.2f, 0.1f}), logitsOf({0.05f, 0.05f, 0.9f})});
    const at::Tensor filtered = applyTopP(two, 0.8f);
    QCOMPARE(finiteIndices(filtered.narrow(0, 0, 1)), (std::vector<int64_t>{0, 1}));
    QCOMPARE(finiteIndices(filtered.narrow(0, 1, 1)), (std::vector<int64_t>{2}));
}

void TestSampling::greedyIsArgmaxAfterPenalty()
{
    SamplingSettings config = plainSampling(1);
    config.temperature = 0.0f;
    config.repetitionPenalty = 3.0f;
    Sampler sampler(config);
    QVERIFY(sampler.isGreedy());
    const at::Tensor logits = at::tensor({3.0f, 2.0f, -1.0f, 2.5f, 0.0f, 1.0f}).view({2, 3});
    // Row 0: token 0 seen -> 1.0, so token 1 (2.0) wins. Row 1: nothing seen -> token 0 (2.5).
    const at::Tensor seen =
        at::tensor(std::vector<uint8_t>{1, 0, 0, 0, 0, 0}, at::kByte).to(at::kBool).view({2, 3});
    QCOMPARE(values(sampler.sample(logits, seen)), (std::vector<float>{1, 0}));
    QCOMPARE(values(greedyToken(logits)), (std::vector<float>{0, 0}));
}

void TestSampling::seededDrawsRepeat()
{
    const at::Tensor logits = at::randn({3, 30}, at::detail::createCPUGenerator(5));
    SamplingSettings config;
    config.seed = 42;
    std::vector<float> first, second, other;
    Sampler a(config), b(config);
    config.seed = 43;
    Sampler c(config);
    for (int step = 0; step < 50; ++step) {
        for (const float token : values(a.sample(logits, at::Tensor())))
            first.push_back(token);
        for (const float token : values(b.sample(logits, at::Tensor())))
            second.push_back(token);
        for (const float token : values(c.sample(logits, at::Tensor())))
            other.push_back(token);
    }
    QCOMPARE(first, second);
    QVERIFY(first != other);
}

void TestSampling::drawNeverPicksMaskedTokens()
{
    auto generator = at::detail::createCPUGenerator(3);
    // Only tokens 1 and 4 are possible; put zero-probability tokens at both ends.
    const at::Tensor logits = row({-infinity, 0.0f, -infinity, -infinity, 2.0f, -infinity})
                                  .expand({5000, 6})
                                  .contiguous();
    const at::Tensor drawn = drawToken(logits, generator); // (5000)
    QVERIFY(((drawn == 1) | (drawn == 4)).all().item<bool>());
}

void TestSampling::drawFrequenciesMatchSoftmax()
{
    const std::vector<float> probabilities{0.05f, 0.3f, 0.15f, 0.4f, 0.1f};
    const int64_t draws = 20000;
    const at::Tensor logits = logitsOf(probabilities).expand({draws, 5}).contiguous() + 3.0f;
    Sampler sampler(plainSampling(2024));
    const at::Tensor counts = at::bincount(sampler.sample(logits, at::Tensor()), {}, 5);
    const std::vector<float> frequencies = values(counts.to(at::kFloat) / float(draws));
    // Standard error of a frequency near 0.4 over 20k draws is 0.0035: allow about 4 of them.
    for (size_t token = 0; token < probabilities.size(); ++token)
        QVERIFY2(std::abs(frequencies[token] - probabilities[token]) < 0.015f,
                 qPrintable(QStringLiteral("token %1: frequency %2, probability %3")
                                .arg(token)
                                .arg(frequencies[token])
                                .arg(probabilities[token])));
}

void TestSampling::chainFrequenciesMatchRenormalisedTopK()
{
    // Top-2 of {0.05, 0.3, 0.15, 0.4, 0.1} at temperature 1 leaves 0.3 and 0.4: 3/7 and 4/7.
    const int64_t draws = 20000;
    const at::Tensor logits =
        logitsOf({0.05f, 0.3f, 0.15f, 0.4f, 0.1f}).expand({draws, 5}).contiguous();
    SamplingSettings config = plainSampling(9);
    config.topK = 2;
    Sampler sampler(config);
    const at::Tensor counts = at::bincount(sampler.sample(logits, at::Tensor()), {}, 5);
    const std::vector<float> frequencies = values(counts.to(at::kFloat) / float(draws));
    QCOMPARE(frequencies[0] + frequencies[2] + frequencies[4], 0.0f);
    QVERIFY(std::abs(frequencies[1] - 3.0f / 7.0f) < 0.015f);
    QVERIFY(std::abs(frequencies[3] - 4.0f / 7.0f) < 0.015f);
}

void TestSampling::invalidConfigThrows()
{
    SamplingSettings config;
    config.temperature = -1.0f;
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, Sampler{config});
    config = SamplingSettings{};
    config.topP = 0.0f;
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, Sampler{config});
    config = SamplingSettings{};
    config.topK = -2;
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, Sampler{config});
    config = SamplingSettings{};
    config.repetitionPenalty = 0.0f;
    QVERIFY_THROWS_EXCEPTION(rlhf::Error, Sampler{config});
}

QTEST_GUILESS_MAIN(TestSampling)
#include "test_sampling.moc"
