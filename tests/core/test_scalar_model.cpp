// The scalar-head model of the reward and value stages, and the reward model's report card:
// a new head is zero, save + load restores head and body bit for bit, the score of a
// right-padded row is read at its last real token, the likelihood term is its weight times the
// reply's mean log-probability as the plain forward pass gives it, a few AdamW steps on the
// Bradley-Terry loss of one pair rank its chosen reply first, and accuracy, margin, score
// spread, length correlation, quartile buckets, calibration and length bias against numbers
// worked out by hand.
#include "core/model/checkpoint.h"
#include "core/model/tensor_io.h"
#include "core/model/transformer.h"
#include "core/train/adamw.h"
#include "core/train/reward_report.h"
#include "core/train/rl_losses.h"
#include "core/train/scalar_model.h"
#include "core/train/sequence_batch.h"
#include "core/util/error.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <QtTest>

#include <cmath>

using namespace rlhf;
namespace fs = std::filesystem;

namespace {

model::ModelConfig tinyConfig(model::Flavour flavour)
{
    model::ModelConfig config;
    config.flavour = flavour;
    config.vocabSize = 40;
    config.contextLength = 16;
    config.layers = 2;
    config.heads = 4;
    config.kvHeads = flavour == model::Flavour::Llama ? 2 : 0;
    config.dim = 32;
    return config;
}

// A freshly initialised body saved as an HF folder (no score.safetensors).
fs::path saveBody(const fs::path& folder, model::Flavour flavour, uint64_t seed)
{
    model::Transformer body(tinyConfig(flavour));
    body->initWeights(seed);
    model::saveCheckpoint(folder, *body, {});
    return folder;
}

at::Tensor tokens2d(std::vector<int64_t> values, int64_t rows)
{
    return at::tensor(values, at::kLong).view({rows, -1});
}

at::Tensor head(train::ScalarModel& model, const std::string& name)
{
    for (auto& [key, tensor] : model.parameters())
        if (key == name) return tensor;
    return {};
}

// Writes a known head: weight w_i = (i % 5 - 2) / 4, bias 0.25.
void writeHead(const fs::path& folder, int64_t dim)
{
    auto weight = at::empty({1, dim});
    for (int64_t i = 0; i < dim; ++i)
        weight[0][i] = double(i % 5 - 2) / 4.0;
    model::writeTensors(folder / train::scalarHeadFile,
                        {{"score.weight", weight}, {"score.bias", at::full({1}, 0.25)}});
}

train::PairScore pair(int64_t prompt, int64_t chosenTokens, int64_t rejectedTokens, double chosen,
                      double rejected)
{
    return {prompt, chosenTokens, rejectedTokens, chosen, rejected};
}

bool near(double a, double b, double tolerance = 1e-9)
{
    return std::abs(a - b) <= tolerance;
}

} // namespace

class TestScalarModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void newHeadIsZero()
    {
        QTemporaryDir dir;
        const auto folder =
            saveBody(fs::path(dir.path().toStdString()) / "body", model::Flavour::Gpt2, 1);
        auto model = train::ScalarModel::fromCheckpoint(folder);
        const auto weight = head(model, "score.weight"), bias = head(model, "score.bias");
        QCOMPARE(weight.sizes().vec(), (std::vector<int64_t>{1, 32}));
        QCOMPARE(bias.sizes().vec(), (std::vector<int64_t>{1}));
        QCOMPARE(weight.abs().sum().item<double>(), 0.0);
        QCOMPARE(bias.item<double>(), 0.0);
        QVERIFY(weight.requires_grad() && bias.requires_grad());
        const auto scores = model.perToken(tokens2d({1, 2, 3, 4, 5, 6}, 2));
        QCOMPARE(scores.sizes().vec(), (std::vector<int64_t>{2, 3}));
        QCOMPARE(scores.abs().sum().item<double>(), 0.0);
        // The body is the saved one.
        model::Transformer reference(tinyConfig(model::Flavour::Gpt2));
        reference->initWeights(1);
        const auto ours = model.parameters();
        size_t i = 0;
        for (const auto& item : reference->named_parameters()) {
            QCOMPARE(ours[i].first, item.key());
            QVERIFY2(at::equal(ours[i].second, item.value()), item.key().c_str());
            ++i;
        }
        QCOMPARE(i + 2, ours.size());
    }

    void headIsReadAndScoresAreItsLinearMap()
    {
        QTemporaryDir dir;
        const auto folder =
            saveBody(fs::path(dir.path().toStdString()) / "body", model::Flavour::Llama, 2);
        writeHead(folder, 32);
        auto model = train::ScalarModel::fromCheckpoint(folder);
        model.train(false);
        QCOMPARE(head(model, "score.weight")[0][3].item<double>(), 0.25); // (3 % 5 - 2) / 4
        QCOMPARE(head(model, "score.bias").item<double>(), 0.25);
        const auto tokens = tokens2d({3, 9, 27, 1, 8, 5}, 2);
        at::NoGradGuard noGrad;
        const auto hidden = model.body().hiddenStates(tokens, nullptr, {}, {}).to(at::kDouble);
        const auto scores = model.perToken(tokens);
        auto h = hidden.accessor<double, 3>();
        for (int64_t b = 0; b < 2; ++b)
            for (int64_t t = 0; t < 3; ++t) {
                double expected = 0.25;
                for (int64_t i = 0; i < 32; ++i)
                    expected += h[b][t][i] * double(i % 5 - 2) / 4.0;
                QVERIFY(near(scores[b][t].item<double>(), expected, 1e-5));
            }
        QVERIFY(scores.abs().sum().item<double>() > 0.1); // a real signal, not zeros
    }

    void wrongHeadShapeIsRefused()
    {
        QTemporaryDir dir;
        const auto folder =
            saveBody(fs::path(dir.path().toStdString()) / "body", model::Flavour::Gpt2, 3);
        writeHead(folder, 16); // a head for dim 16 beside a dim-32 body
        try {
            train::ScalarModel::fromCheckpoint(folder);
            QFAIL("a dim-16 head was loaded into a dim-32 model");
        } catch (const Error& error) {
            const std::string what = error.what();
            QVERIFY2(what.find("score.weight") != std::string::npos, what.c_str());
            QVERIFY2(what.find("score.safetensors") != std::string::npos, what.c_str());
        }
    }

    void atLastTokenIgnoresPadding()
    {
        QTemporaryDir dir;
        const auto folder =
            saveBody(fs::path(dir.path().toStdString()) / "body", model::Flavour::Llama, 4);
        writeHead(folder, 32);
        auto model = train::ScalarModel::fromCheckpoint(folder);
        model.train(false);
        at::NoGradGuard noGrad;
        // Alone, unpadded: the score at its last token.
        const auto alone = model.perToken(tokens2d({5, 7, 11}, 1))[0][2].item<double>();
        // Right-padded in a longer batch, with two different paddings after it.
        const auto lengths = at::tensor(std::vector<int64_t>{3, 5}, at::kLong);
        const auto padA = model.atLastToken(tokens2d({5, 7, 11, 0, 0, 2, 4, 6, 8, 10}, 2), lengths);
        const auto padB =
            model.atLastToken(tokens2d({5, 7, 11, 39, 17, 2, 4, 6, 8, 10}, 2), lengths);
        QCOMPARE(padA.sizes().vec(), (std::vector<int64_t>{2}));
        QVERIFY(near(padA[0].item<double>(), alone, 1e-5));
        QVERIFY(near(padB[0].item<double>(), alone, 1e-5));
        // The full row is read at its last token, position 4.
        const auto full = model.perToken(tokens2d({2, 4, 6, 8, 10}, 1))[0][4].item<double>();
        QVERIFY(near(padA[1].item<double>(), full, 1e-5));
        // And the padding's own score differs: reading position 4 of row 0 would be caught.
        const auto padScore = model.perToken(tokens2d({5, 7, 11, 39, 17}, 1))[0][4].item<double>();
        QVERIFY(!near(padScore, alone, 1e-3));
    }

    void likelihoodTermIsTheMeanReplyLogProbability()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto folder = saveBody(root / "body", model::Flavour::Llama, 6);
        writeHead(folder, 32);
        auto model =
            train::ScalarModel::withLikelihood(model::loadTransformer(folder), folder, 0.5);
        model.train(false);
        QVERIFY(model.hasLikelihood());
        QCOMPARE(model.likelihoodWeight(), 0.5);
        // Row 0: prompt 5 7, reply 11 13 (targets 1 and 2); row 1: prompt 2, reply 4 6 8, padded.
        train::SequenceBatch batch;
        batch.tokens = tokens2d({5, 7, 11, 13, 2, 4, 6, 8}, 2);
        batch.lengths = at::tensor(std::vector<int64_t>{4, 4}, at::kLong);
        batch.targetMask = at::tensor(std::vector<float>{0, 1, 1, 1, 1, 1}).view({2, 3});
        at::NoGradGuard noGrad;
        const auto scores = model.score(batch, at::kCPU);
        const auto headOnly = model.atLastToken(batch.tokens, batch.lengths);
        const auto logProbs =
            at::log_softmax(model.body().forward(batch.tokens).to(at::kDouble), -1);
        auto logProb = [&](int64_t row, int64_t position, int64_t token) {
            return logProbs[row][position][token].item<double>();
        };
        const double row0 = (logProb(0, 1, 11) + logProb(0, 2, 13)) / 2;
        const double row1 = (logProb(1, 0, 4) + logProb(1, 1, 6) + logProb(1, 2, 8)) / 3;
        QVERIFY(near(scores[0].item<double>(), headOnly[0].item<double>() + 0.5 * row0, 1e-5));
        QVERIFY(near(scores[1].item<double>(), headOnly[1].item<double>() + 0.5 * row1, 1e-5));
        QVERIFY(row0 < -0.1); // a random body: the term is far from zero

        // Saved with the model, it wins over the starting value; without it, no term at all.
        model.save(root / "with", {});
        auto loaded = train::ScalarModel::fromCheckpoint(root / "with");
        QCOMPARE(loaded.likelihoodWeight(), 0.5);
        QVERIFY(head(loaded, "score.likelihood_weight").defined());
        auto restarted = train::ScalarModel::withLikelihood(model::loadTransformer(root / "with"),
                                                            root / "with", 2.0);
        QCOMPARE(restarted.likelihoodWeight(), 0.5);
        auto plain = train::ScalarModel::fromCheckpoint(folder);
        QVERIFY(!plain.hasLikelihood());
        QVERIFY(
            near(plain.score(batch, at::kCPU)[0].item<double>(), headOnly[0].item<double>(), 1e-6));
        // A value model started from the reward model reads its head alone.
        loaded.dropLikelihood();
        QVERIFY(!loaded.hasLikelihood());
        QCOMPARE(loaded.parameters().size(), plain.parameters().size());
    }

    void rewardLossRanksChosenFirst()
    {
        QTemporaryDir dir;
        const fs::path root = dir.path().toStdString();
        const auto folder = saveBody(root / "body", model::Flavour::Llama, 5);
        auto model = train::ScalarModel::fromCheckpoint(folder);
        model.train(true);
        // One pair as one batch: chosen row first, then the shorter, right-padded rejected row.
        const auto tokens = tokens2d({1, 2, 3, 4, 5, 6, 1, 2, 3, 9, 0, 0}, 2);
        const auto lengths = at::tensor(std::vector<int64_t>{6, 4}, at::kLong);
        train::AdamW optimizer(model.parameters(), {});
        double firstLoss = -1;
        for (int step = 0; step < 8; ++step) {
            const auto scores = model.atLastToken(tokens, lengths);
            const auto loss =
                train::rewardModelLoss(scores.narrow(0, 0, 1), scores.narrow(0, 1, 1));
            if (step == 0) firstLoss = loss.item<double>();
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step(1e-2);
        }
        // A zero head scores both 0: the loss starts at -log sigmoid(0) = log 2.
        QVERIFY(near(firstLoss, std::log(2.0), 1e-6));
        at::NoGradGuard noGrad;
        model.train(false);
        const auto scores = model.atLastToken(tokens, lengths);
        const double chosen = scores[0].item<double>(), rejected = scores[1].item<double>();
        QVERIFY2(chosen > rejected + 0.1,
                 (std::to_string(chosen) + " vs " + std::to_string(rejected)).c_str());
        QVERIFY(
            train::rewardModelLoss(scores.narrow(0, 0, 1), scores.narrow(0, 1, 1)).item<double>() <
            std::log(2.0) - 0.05);
        // The body learned too, not only the head.
        model::Transformer initial(tinyConfig(model::Flavour::Llama));
        initial->initWeights(5);
        QVERIFY(!at::equal(model.parameters()[0].second, initial->named_parameters()[0].value()));

        // Save + load restores every tensor exactly, head included.
        model.save(root / "trained", {});
        QVERIFY(fs::exists(root / "trained" / train::scalarHeadFile));
        auto loaded = train::ScalarModel::fromCheckpoint(root / "trained");
        const auto a = model.parameters(), b = loaded.parameters();
        QCOMPARE(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i].first, b[i].first);
            QVERIFY2(at::equal(a[i].second.detach(), b[i].second.detach()), a[i].first.c_str());
        }
        loaded.train(false);
        QVERIFY(at::equal(loaded.atLastToken(tokens, lengths), scores));
    }

    void reportAgainstHandValues()
    {
        // (prompt, chosen len, rejected len, chosen score, rejected score)
        const std::vector<train::PairScore> pairs = {pair(10, 4, 2, 2.0, 1.0),  // right, +1
                                                     pair(20, 6, 4, 0.5, 1.5),  // wrong, -1
                                                     pair(30, 8, 2, 3.0, 0.0),  // right, +3
                                                     pair(40, 2, 6, 1.0, 0.0)}; // right, +1
        const auto report = train::rewardReport(pairs);
        QCOMPARE(report.pairs, int64_t(4));
        QCOMPARE(report.accuracy, 0.75);
        QVERIFY(near(report.meanMargin, 1.0));
        // Scores 2, 1, .5, 1.5, 3, 0, 1, 0: mean 9 / 8; squared deviations sum to 7.375.
        QVERIFY(near(report.scoreMean, 1.125));
        QVERIFY(near(report.scoreStd, std::sqrt(7.375 / 8)));
        // Lengths 4, 2, 6, 4, 8, 2, 2, 6 (mean 4.25): Sxy = 6.75, Sxx = 35.5, Syy = 7.375.
        QVERIFY(near(report.lengthCorrelation, 6.75 / std::sqrt(35.5 * 7.375)));

        // Four distinct prompt lengths: one bucket each.
        QCOMPARE(report.byPromptLength.size(), size_t(4));
        const double promptAccuracy[4] = {1, 0, 1, 1};
        for (size_t i = 0; i < 4; ++i) {
            QCOMPARE(report.byPromptLength[i].from, int64_t(10 * (i + 1)));
            QCOMPARE(report.byPromptLength[i].to, int64_t(10 * (i + 1)));
            QCOMPARE(report.byPromptLength[i].pairs, int64_t(1));
            QCOMPARE(report.byPromptLength[i].accuracy, promptAccuracy[i]);
        }
        // Mean reply lengths 3, 5, 5, 4: buckets 3, 4 and 5 (the two 5s share one).
        QCOMPARE(report.byResponseLength.size(), size_t(3));
        QCOMPARE(report.byResponseLength[0].from, int64_t(3));
        QCOMPARE(report.byResponseLength[0].to, int64_t(3));
        QCOMPARE(report.byResponseLength[1].from, int64_t(4));
        QCOMPARE(report.byResponseLength[1].accuracy, 1.0);
        QCOMPARE(report.byResponseLength[2].from, int64_t(5));
        QCOMPARE(report.byResponseLength[2].to, int64_t(5));
        QCOMPARE(report.byResponseLength[2].pairs, int64_t(2));
        QCOMPARE(report.byResponseLength[2].accuracy, 0.5);

        const auto json = report.toJson();
        QCOMPARE(json.at("accuracy").get<double>(), 0.75);
        QCOMPARE(json.at("by_prompt_length").size(), size_t(4));
        QVERIFY(report.summary().find("accuracy 0.750") != std::string::npos);
    }

    void calibrationAndLengthBiasByHand()
    {
        // Gaps +1, -2, +3, +0.5, -0.25: sorted |gap| 0.25 (wrong), 0.5, 1 (right), 2 (wrong), 3.
        const std::vector<train::PairScore> pairs = {
            pair(1, 2, 3, 1.0, 0.0),   // chosen shorter, preferred: prefers the shorter
            pair(1, 4, 4, 0.0, 2.0),   // equal lengths: no say on length
            pair(1, 5, 2, 3.0, 0.0),   // chosen longer, preferred: prefers the longer
            pair(1, 3, 1, 0.5, 0.0),   // chosen longer, preferred: prefers the longer
            pair(1, 1, 2, 0.0, 0.25)}; // chosen shorter, rejected preferred: the longer
        const auto report = train::rewardReport(pairs);
        QCOMPARE(report.calibration.size(), size_t(5));
        const double gaps[5] = {0.25, 0.5, 1.0, 2.0, 3.0};
        const double accuracy[5] = {0, 1, 1, 0, 1};
        double error = 0;
        for (size_t i = 0; i < 5; ++i) {
            const auto& bucket = report.calibration[i];
            QCOMPARE(bucket.pairs, int64_t(1));
            QVERIFY(near(bucket.from, gaps[i]) && near(bucket.to, gaps[i]));
            QCOMPARE(bucket.accuracy, accuracy[i]);
            const double confidence = 1 / (1 + std::exp(-gaps[i]));
            QVERIFY(near(bucket.confidence, confidence, 1e-12));
            error += std::abs(accuracy[i] - confidence) / 5;
        }
        QVERIFY(near(report.calibrationError, error, 1e-12));
        QVERIFY(near(report.calibrationError,
                     (0.562177 + 0.377541 + 0.268941 + 0.880797 + 0.047426) / 5, 1e-6));
        QCOMPARE(report.unequalLengthPairs, int64_t(4));
        QCOMPARE(report.chosenLonger, 0.5);
        QCOMPARE(report.prefersLonger, 0.75);
        const auto json = report.toJson();
        QCOMPARE(json.at("calibration").size(), size_t(5));
        QCOMPARE(json.at("length_bias").at("prefers_longer").get<double>(), 0.75);
        QVERIFY(json.at("on_policy").is_null()); // the stage fills it in when asked
        QVERIFY(report.summary().find("prefers the longer in 0.750") != std::string::npos);
    }

    void quartilesOfEightAndOfFew()
    {
        // Prompt lengths 1..8: quartiles 1-2, 3-4, 5-6, 7-8. Pairs right when the length is odd.
        std::vector<train::PairScore> eight;
        for (int64_t length = 8; length >= 1; --length)
            eight.push_back(pair(length, 3, 3, length % 2 ? 1.0 : 0.0, 0.0));
        const auto report = train::rewardReport(eight);
        QCOMPARE(report.accuracy, 0.5);
        QCOMPARE(report.byPromptLength.size(), size_t(4));
        for (int64_t i = 0; i < 4; ++i) {
            QCOMPARE(report.byPromptLength[size_t(i)].from, 2 * i + 1);
            QCOMPARE(report.byPromptLength[size_t(i)].to, 2 * i + 2);
            QCOMPARE(report.byPromptLength[size_t(i)].pairs, int64_t(2));
            QCOMPARE(report.byPromptLength[size_t(i)].accuracy, 0.5);
        }
        // Equal reply lengths: one bucket; constant lengths have no correlation (0, not NaN).
        QCOMPARE(report.byResponseLength.size(), size_t(1));
        QCOMPARE(report.byResponseLength[0].pairs, int64_t(8));
        QCOMPARE(report.lengthCorrelation, 0.0);

        // Two pairs: two buckets; a tie is not a right answer.
        const auto two = train::rewardReport({pair(5, 1, 3, 1.0, 1.0), pair(9, 3, 1, 2.0, 0.0)});
        QCOMPARE(two.accuracy, 0.5);
        QCOMPARE(two.byPromptLength.size(), size_t(2));
        QCOMPARE(two.byPromptLength[0].from, int64_t(5));
        QCOMPARE(two.byPromptLength[0].accuracy, 0.0);
        QCOMPARE(two.byPromptLength[1].to, int64_t(9));
        QCOMPARE(two.byPromptLength[1].accuracy, 1.0);
        // Scores 1, 1, 2, 0 against lengths 1, 3, 3, 1: Sxy = 2, Sxx = 4, Syy = 2.
        QVERIFY(near(two.lengthCorrelation, 2.0 / std::sqrt(8.0)));

        const auto none = train::rewardReport({});
        QCOMPARE(none.pairs, int64_t(0));
        QVERIFY(none.byPromptLength.empty());
        const auto one = train::rewardReport({pair(7, 2, 2, 0.0, 1.0)});
        QCOMPARE(one.byPromptLength.size(), size_t(1));
        QCOMPARE(one.byPromptLength[0].pairs, int64_t(1));
        QCOMPARE(one.accuracy, 0.0);
    }
};

QTEST_APPLESS_MAIN(TestScalarModel)
#include "test_scalar_model.moc"
