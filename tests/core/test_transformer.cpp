// The Transformer in both flavours: HF parameter names and shapes, KV-cache decoding equal to
// a full forward (also with left padding), both attention kernels and the chunked loss equal to
// their plain counterparts, and a tiny model that memorises a short text.
#include "core/compat/torch_compat.h"
#include "core/model/language_model_loss.h"
#include "core/model/transformer.h"
#include "core/train/adamw.h"

#include <ATen/ATen.h>
#include <QtTest>

using rlhf::model::Flavour;
using rlhf::model::KvCache;
using rlhf::model::ModelConfig;
using rlhf::model::Transformer;

namespace {

ModelConfig tinyConfig(Flavour flavour)
{
    ModelConfig config;
    config.flavour = flavour;
    config.vocabSize = 37;
    config.contextLength = 32;
    config.layers = 2;
    config.heads = 4;
    config.kvHeads = flavour == Flavour::Llama ? 2 : 0;
    config.dim = 32;
    config.tieEmbeddings = flavour == Flavour::Gpt2;
    return config;
}

std::map<std::string, std::vector<int64_t>> parameterShapes(Transformer& model)
{
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const auto& item : model->named_parameters())
        shapes[item.key()] = item.value().sizes().vec();
    return shapes;
}

} // namespace

class TestTransformer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void gpt2NamesAndShapes()
    {
        Transformer model(tinyConfig(Flavour::Gpt2));
        auto shapes = parameterShapes(model);
        QCOMPARE(shapes.at("transformer.wte.weight"), (std::vector<int64_t>{37, 32}));
        QCOMPARE(shapes.at("transformer.wpe.weight"), (std::vector<int64_t>{32, 32}));
        QCOMPARE(shapes.at("transformer.h.1.attn.c_attn.weight"), (std::vector<int64_t>{32, 96}));
        QCOMPARE(shapes.at("transformer.h.1.mlp.c_fc.weight"), (std::vector<int64_t>{32, 128}));
        QCOMPARE(shapes.at("transformer.h.1.mlp.c_proj.bias"), (std::vector<int64_t>{32}));
        QCOMPARE(shapes.at("transformer.ln_f.bias"), (std::vector<int64_t>{32}));
        QVERIFY(!shapes.count("lm_head.weight")); // tied to wte, as HF stores GPT-2
        QCOMPARE(int(shapes.size()), 2 + 2 * 12 + 2);
        auto logits = model->forward(at::randint(37, {3, 7}, at::kLong));
        QCOMPARE(logits.sizes().vec(), (std::vector<int64_t>{3, 7, 37}));
    }

    void llamaNamesAndShapes()
    {
        Transformer model(tinyConfig(Flavour::Llama));
        auto shapes = parameterShapes(model);
        QCOMPARE(shapes.at("model.embed_tokens.weight"), (std::vector<int64_t>{37, 32}));
        QCOMPARE(shapes.at("model.layers.0.self_attn.q_proj.weight"),
                 (std::vector<int64_t>{32, 32}));
        QCOMPARE(shapes.at("model.layers.0.self_attn.k_proj.weight"),
                 (std::vector<int64_t>{16, 32}));
        QCOMPARE(shapes.at("model.layers.0.mlp.gate_proj.weight"), (std::vector<int64_t>{128, 32}));
        QCOMPARE(shapes.at("model.layers.0.mlp.down_proj.weight"), (std::vector<int64_t>{32, 128}));
        QCOMPARE(shapes.at("model.norm.weight"), (std::vector<int64_t>{32}));
        QCOMPARE(shapes.at("lm_head.weight"), (std::vector<int64_t>{37, 32}));
        auto logits = model->forward(at::randint(37, {2, 5}, at::kLong));
        QCOMPARE(logits.sizes().vec(), (std::vector<int64_t>{2, 5, 37}));
    }

    void kvCacheEqualsFullForward_data()
    {
        QTest::addColumn<int>("flavour");
        QTest::newRow("gpt2") << int(Flavour::Gpt2);
        QTest::newRow("llama") << int(Flavour::Llama);
    }
    void kvCacheEqualsFullForward()
    {
        QFETCH(int, flavour);
        Transformer model(tinyConfig(Flavour(flavour)));
        model->initWeights(7);
        at::NoGradGuard noGrad;
        auto tokens = at::randint(37, {2, 12}, at::kLong);
        auto full = model->forward(tokens); // (2, 12, 37)

        KvCache cache;
        std::vector<at::Tensor> pieces{model->forward(tokens.narrow(1, 0, 5), cache, {}, {})};
        for (int64_t t = 5; t < 12; ++t)
            pieces.push_back(model->forward(tokens.narrow(1, t, 1), cache, {}, {}));
        auto incremental = at::cat(pieces, 1);
        QCOMPARE(cache.length(), int64_t(12));
        QVERIFY2(at::allclose(full, incremental, 1e-4, 1e-5),
                 qPrintable(QString::number((full - incremental).abs().max().item<double>())));
    }

    // A cache continued by several tokens at once (a chat's next turn) needs the causal mask
    // offset by the cached length: chunks of 5, 4 and 3 give the full forward's logits.
    void kvCacheContinuedByChunks_data() { kvCacheEqualsFullForward_data(); }
    void kvCacheContinuedByChunks()
    {
        QFETCH(int, flavour);
        Transformer model(tinyConfig(Flavour(flavour)));
        model->initWeights(11);
        at::NoGradGuard noGrad;
        auto tokens = at::randint(37, {2, 12}, at::kLong);
        auto full = model->forward(tokens);
        KvCache cache;
        auto incremental = at::cat({model->forward(tokens.narrow(1, 0, 5), cache, {}, {}),
                                    model->forward(tokens.narrow(1, 5, 4), cache, {}, {}),
                                    model->forward(tokens.narrow(1, 9, 3), cache, {}, {})},
                                   1);
        QVERIFY2(at::allclose(full, incremental, 1e-4, 1e-5),
                 qPrintable(QString::number((full - incremental).abs().max().item<double>())));
    }

    // A batch decoded under bf16 autocast that shrinks to one row goes on as TransformerSource
    // decodes single rows: fp32 matrix-vector products, outside autocast, over the bf16 cache.
    // Its logits stay those of the full forward within bf16's rounding.
    void bf16BatchShrinkingToOneRow()
    {
        Transformer model(tinyConfig(Flavour::Llama));
        model->initWeights(13);
        at::NoGradGuard noGrad;
        auto tokens = at::randint(37, {2, 12}, at::kLong);
        KvCache cache;
        at::Tensor full;
        {
            rlhf::compat::Autocast autocast(c10::DeviceType::CPU, true, at::kBFloat16);
            full = model->forward(tokens.narrow(0, 1, 1)).to(at::kFloat); // row 1 alone
            model->forward(tokens.narrow(1, 0, 8), cache, {}, {});
        }
        QCOMPARE(cache.keys[0].scalar_type(), at::kBFloat16);
        cache.selectRows(at::tensor({int64_t(1)}, at::kLong)); // row 0 finished
        std::vector<at::Tensor> steps;
        for (int64_t t = 8; t < 12; ++t)
            steps.push_back(model->forward(tokens.narrow(0, 1, 1).narrow(1, t, 1), cache, {}, {}));
        const auto decoded = at::cat(steps, 1);
        QCOMPARE(decoded.scalar_type(), at::kFloat);
        const auto expected = full.narrow(1, 8, 4);
        QVERIFY2(at::allclose(decoded, expected, 5e-2, 5e-2),
                 qPrintable(QString::number((decoded - expected).abs().max().item<double>())));
    }

    // Activation checkpointing changes what is kept, not what is computed: the loss and every
    // gradient equal those of the plain forward, in fp32 and under bf16 autocast (the backward
    // pass recomputes each layer under the autocast state of its forward).
    void activationCheckpointingKeepsGradients_data()
    {
        QTest::addColumn<int>("flavour");
        QTest::addColumn<bool>("bf16");
        QTest::newRow("gpt2 fp32") << int(Flavour::Gpt2) << false;
        QTest::newRow("llama fp32") << int(Flavour::Llama) << false;
        QTest::newRow("llama bf16") << int(Flavour::Llama) << true;
    }
    void activationCheckpointingKeepsGradients()
    {
        QFETCH(int, flavour);
        QFETCH(bool, bf16);
        auto tokens = at::randint(37, {3, 16}, at::kLong);
        auto targets = at::randint(37, {3 * 16}, at::kLong);
        auto run = [&](bool checkpointing) {
            Transformer model(tinyConfig(Flavour(flavour)));
            model->initWeights(5);
            model->setActivationCheckpointing(checkpointing);
            at::Tensor loss;
            {
                rlhf::compat::Autocast autocast(c10::DeviceType::CPU, bf16, at::kBFloat16);
                auto logits = model->forward(tokens).to(at::kFloat).view({-1, 37});
                loss = at::cross_entropy_loss(logits, targets);
            }
            loss.backward();
            std::map<std::string, at::Tensor> grads;
            for (const auto& item : model->named_parameters())
                grads[item.key()] = item.value().grad().clone();
            return std::make_pair(loss.item<double>(), grads);
        };
        const auto [plainLoss, plain] = run(false);
        const auto [checkpointedLoss, checkpointed] = run(true);
        QCOMPARE(checkpointedLoss, plainLoss);
        QCOMPARE(checkpointed.size(), plain.size());
        for (const auto& [name, grad] : plain) {
            const at::Tensor& other = checkpointed.at(name);
            QVERIFY2(grad.abs().sum().item<double>() > 0, name.c_str());
            QVERIFY2(at::allclose(other, grad, 1e-6, 1e-9),
                     qPrintable(QString::fromStdString(name) + ": " +
                                QString::number((other - grad).abs().max().item<double>())));
        }
    }

    // Decoding one sequence as generation does: single-row steps (the matrix-vector path) with
    // an all-true keyValid (the unpadded mask path) give the full forward's logits.
    void singleRowDecodingEqualsFullForward_data() { kvCacheEqualsFullForward_data(); }
    void singleRowDecodingEqualsFullForward()
    {
        QFETCH(int, flavour);
        Transformer model(tinyConfig(Flavour(flavour)));
        model->initWeights(5);
        at::NoGradGuard noGrad;
        auto tokens = at::randint(37, {1, 9}, at::kLong);
        auto full = model->forward(tokens); // (1, 9, 37)

        KvCache cache;
        auto positions = at::arange(9, at::kLong).view({1, 9});
        std::vector<at::Tensor> pieces{model->forward(
            tokens.narrow(1, 0, 4), cache, positions.narrow(1, 0, 4), at::ones({1, 4}, at::kBool))};
        for (int64_t t = 4; t < 9; ++t)
            pieces.push_back(model->forward(tokens.narrow(1, t, 1), cache,
                                            positions.narrow(1, t, 1),
                                            at::ones({1, t + 1}, at::kBool)));
        auto incremental = at::cat(pieces, 1);
        QCOMPARE(cache.length(), int64_t(9));
        QVERIFY2(at::allclose(full, incremental, 1e-4, 1e-5),
                 qPrintable(QString::number((full - incremental).abs().max().item<double>())));
    }

    void leftPaddingIsInvisible_data() { kvCacheEqualsFullForward_data(); }
    void leftPaddingIsInvisible()
    {
        QFETCH(int, flavour);
        Transformer model(tinyConfig(Flavour(flavour)));
        model->initWeights(3);
        at::NoGradGuard noGrad;
        auto prompt = at::randint(37, {1, 6}, at::kLong);
        auto alone = model->forward(prompt).select(1, 5); // (1, 37)

        // The same prompt, left-padded by 3 tokens of garbage, in a batch of one.
        auto padded = at::cat({at::full({1, 3}, 11, at::kLong), prompt}, 1); // (1, 9)
        auto keyValid = at::cat({at::zeros({1, 3}, at::kBool), at::ones({1, 6}, at::kBool)}, 1);
        auto positions = (keyValid.to(at::kLong).cumsum(1) - 1).clamp_min(0);
        KvCache cache;
        auto logits = model->forward(padded, cache, positions, keyValid).select(1, 8);
        QVERIFY(at::allclose(alone, logits, 1e-4, 1e-5));

        // One more token: the cached padding must stay invisible.
        auto next = at::full({1, 1}, 5, at::kLong);
        auto aloneNext = model->forward(at::cat({prompt, next}, 1)).select(1, 6);
        auto nextValid = at::cat({keyValid, at::ones({1, 1}, at::kBool)}, 1);
        auto paddedNext =
            model->forward(next, cache, at::full({1, 1}, 6, at::kLong), nextValid).select(1, 0);
        QVERIFY(at::allclose(aloneNext, paddedNext, 1e-4, 1e-5));
    }

    // LibTorch 2.x has two attention kernels (Auto picks the written-out one for these short
    // contexts on the CPU): they agree on a plain batch, on a left-padded prompt in a cache
    // and on the cache continued by two tokens.
    void attentionKernelsAgree_data() { kvCacheEqualsFullForward_data(); }
    void attentionKernelsAgree()
    {
        if constexpr (!rlhf::compat::hasFusedKernels)
            QSKIP("LibTorch 1.13 has only the written-out attention");
        QFETCH(int, flavour);
        Transformer model(tinyConfig(Flavour(flavour)));
        model->initWeights(17);
        at::NoGradGuard noGrad;
        auto tokens = at::randint(37, {2, 12}, at::kLong);
        auto keyValid = at::ones({2, 10}, at::kBool);
        keyValid.narrow(1, 0, 4).select(0, 0).fill_(false); // row 0: 4 tokens of left padding
        auto positions = (keyValid.to(at::kLong).cumsum(1) - 1).clamp_min(0);
        auto run = [&](Transformer::Impl::AttentionKernel kernel) {
            model->setAttentionKernel(kernel);
            KvCache cache;
            auto prompt = model->forward(tokens.narrow(1, 0, 10), cache, positions, keyValid);
            auto next = model->forward(tokens.narrow(1, 10, 2), cache,
                                       positions.narrow(1, 9, 1) + at::arange(1, 3, at::kLong),
                                       at::cat({keyValid, at::ones({2, 2}, at::kBool)}, 1));
            return at::cat({model->forward(tokens), prompt, next}, 1);
        };
        const auto fused = run(Transformer::Impl::AttentionKernel::Fused);
        const auto writtenOut = run(Transformer::Impl::AttentionKernel::WrittenOut);
        QVERIFY2(at::allclose(fused, writtenOut, 1e-4, 1e-5),
                 qPrintable(QString::number((fused - writtenOut).abs().max().item<double>())));
    }

    // The chunked loss (model/language_model_loss.h) equals the plain one (logits,
    // log-softmax, weighted sum): its value, and both gradients scaled by the incoming one,
    // with row weights that leave rows out, over several chunks (a vocabulary of 20,000 makes
    // chunks of 104 rows on the CPU: 250 rows take three). bf16: within its rounding.
    void linearCrossEntropyEqualsPlainLoss_data()
    {
        QTest::addColumn<bool>("bf16");
        QTest::newRow("fp32") << false;
        QTest::newRow("bf16") << true;
    }
    void linearCrossEntropyEqualsPlainLoss()
    {
        QFETCH(bool, bf16);
        const int64_t rows = 250, vocab = 20000, dim = 16;
        auto hidden = at::randn({rows, dim}).requires_grad_(true);
        auto weight = (at::randn({vocab, dim}) * 0.5).requires_grad_(true);
        auto targets = at::randint(vocab, {rows}, at::kLong);
        auto rowWeights = (at::rand({rows}) > 0.3).to(at::kFloat) * 1.5;
        auto run = [&](bool chunked) {
            hidden.mutable_grad() = at::Tensor();
            weight.mutable_grad() = at::Tensor();
            at::Tensor loss;
            {
                rlhf::compat::Autocast autocast(c10::DeviceType::CPU, bf16, at::kBFloat16);
                if (chunked) {
                    loss = rlhf::model::linearCrossEntropy(hidden, weight, targets, rowWeights);
                } else {
                    auto logProbs = at::log_softmax(at::mm(hidden, weight.t()), 1, at::kFloat);
                    loss =
                        -(logProbs.gather(1, targets.unsqueeze(1)).squeeze(1) * rowWeights).sum();
                }
            }
            (loss * 0.25).backward();
            return std::make_tuple(loss.item<double>(), hidden.grad(), weight.grad());
        };
        const auto [plainLoss, plainHidden, plainWeight] = run(false);
        const auto [loss, gradHidden, gradWeight] = run(true);
        QVERIFY2(std::abs(loss - plainLoss) <= 1e-5 * std::abs(plainLoss),
                 qPrintable(QString("%1 vs %2").arg(loss).arg(plainLoss)));
        const double tolerance = bf16 ? 1e-2 : 1e-5; // of the gradient's largest entry
        for (const auto& [grad, plain] :
             {std::pair(gradHidden, plainHidden), std::pair(gradWeight, plainWeight)}) {
            QCOMPARE(grad.scalar_type(), at::kFloat);
            const double error = (grad - plain).abs().max().item<double>();
            QVERIFY2(error <= tolerance * plain.abs().max().item<double>(),
                     qPrintable(QString::number(error)));
        }
        // Without gradients, only the value: the same.
        at::NoGradGuard noGrad;
        rlhf::compat::Autocast autocast(c10::DeviceType::CPU, bf16, at::kBFloat16);
        QCOMPARE(
            rlhf::model::linearCrossEntropy(hidden, weight, targets, rowWeights).item<double>(),
            loss);
    }

    void tinyModelMemorisesText_data() { kvCacheEqualsFullForward_data(); }
    void tinyModelMemorisesText()
    {
        QFETCH(int, flavour);
        at::manual_seed(0);
        const std::string text = "the quick brown fox jumps over the lazy dog";
        auto config = tinyConfig(Flavour(flavour));
        config.vocabSize = 128;
        config.contextLength = 64;
        Transformer model(config);
        auto tokens = at::empty({1, int64_t(text.size())}, at::kLong);
        for (size_t i = 0; i < text.size(); ++i)
            tokens[0][i] = int64_t(text[i]);
        auto inputs = tokens.narrow(1, 0, tokens.size(1) - 1);
        auto targets = tokens.narrow(1, 1, tokens.size(1) - 1);

        rlhf::train::NamedTensors parameters;
        for (const auto& item : model->named_parameters())
            parameters.emplace_back(item.key(), item.value());
        rlhf::train::AdamW optimizer(parameters, {});
        double first = 0, last = 0;
        for (int step = 0; step < 150; ++step) {
            auto logits = model->forward(inputs);
            auto loss =
                at::cross_entropy_loss(logits.view({-1, config.vocabSize}), targets.reshape(-1));
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step(3e-3);
            (step == 0 ? first : last) = loss.item<double>();
        }
        QVERIFY2(first > 4.0, qPrintable(QString::number(first))); // ~ln(128) = 4.85 at start
        QVERIFY2(last < 0.05, qPrintable(QString::number(last)));
    }
};

QTEST_GUILESS_MAIN(TestTransformer)
#include "test_transformer.moc"
