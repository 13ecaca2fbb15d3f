// LoRA adapters against PEFT (tests/reference/peft_parity.py, PyPI peft in .torch/): the same
// random base and adapter weights give PEFT's logits and adapter gradients, base alone with the
// adapter switched off; an adapter saved here loads in PEFT with the same outputs; merging
// changes nothing the model computes; dropout under activation checkpointing recomputes the
// same masks. Adapter-shaped mistakes are errors naming the tensor.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "tests/support/hf_reference.h"
#include "core/model/checkpoint.h"
#include "core/model/peft_adapter.h"
#include "core/model/transformer.h"
#include "core/util/error.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <map>

namespace fs = std::filesystem;
using namespace rlhf;

namespace {

const std::vector<std::vector<int64_t>> tokenRows{{5, 17, 42, 99, 3, 250, 8, 61, 130, 7, 77, 12},
                                                  {200, 33, 1, 150, 9, 9, 64, 2, 31, 180, 4, 120}};

at::Tensor tokens()
{
    std::vector<int64_t> flat;
    for (const auto& row : tokenRows)
        flat.insert(flat.end(), row.begin(), row.end());
    return at::tensor(flat, at::kLong).view({int64_t(tokenRows.size()), -1});
}

at::Tensor nextTokenLoss(const at::Tensor& logits, const at::Tensor& ids)
{
    const int64_t vocab = logits.size(-1);
    return at::cross_entropy_loss(logits.narrow(1, 0, logits.size(1) - 1).reshape({-1, vocab}),
                                  ids.narrow(1, 1, ids.size(1) - 1).reshape({-1}));
}

std::map<std::string, at::Tensor> readMap(const fs::path& file)
{
    std::map<std::string, at::Tensor> map;
    for (auto& [name, tensor] : model::readTensors(file))
        map.emplace(name, tensor);
    return map;
}

double maxDifference(const at::Tensor& a, const at::Tensor& b)
{
    return (a.to(at::kFloat) - b.to(at::kFloat)).abs().max().item<double>();
}

// The model of `folder`/base with the adapter of `folder`/adapter, active.
model::Transformer withAdapter(const fs::path& folder)
{
    model::Transformer model = model::loadTransformer(folder / "base");
    const model::AdapterFolder adapter = model::loadAdapter(folder / "adapter");
    model->setActiveAdapter(model->addAdapter(adapter.config, adapter.tensors));
    model->eval();
    return model;
}

const char* const cases[] = {"llama-all-linear", "qwen2-dora-rslora", "gpt2-fan-in-fan-out"};

} // namespace

class TestLora : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    fs::path root() const { return m_dir.path().toStdString(); }

    bool runReference(const QString& command)
    {
        return testing::runHfReference("peft_parity.py", command, m_dir.path());
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        if (!QFile::exists(QStringLiteral(RLHF_HF_PYTHON)) ||
            QProcess::execute(QStringLiteral(RLHF_HF_PYTHON), {"-c", "import peft"}) != 0)
            QSKIP("no Python with peft at " RLHF_HF_PYTHON
                  " (bash packaging/install-deps.sh --torch=pip)");
        QVERIFY(runReference("make"));
    }

    void matchesPeft_data()
    {
        QTest::addColumn<QString>("name");
        for (const char* name : cases)
            QTest::newRow(name) << QString(name);
    }
    // PEFT's logits, loss and every adapter tensor's gradient; the base's logits with the
    // adapter switched off.
    void matchesPeft()
    {
        QFETCH(QString, name);
        const fs::path folder = root() / name.toStdString();
        const auto reference = readMap(folder / "reference.safetensors");
        model::Transformer model = withAdapter(folder);
        const at::Tensor ids = tokens();
        const at::Tensor logits = model->forward(ids);
        const double logitDifference = maxDifference(logits, reference.at("logits"));
        const at::Tensor loss = nextTokenLoss(logits, ids);
        loss.backward();
        double gradientDifference = 0, gradientScale = 0;
        int gradients = 0;
        for (const auto& [tensorName, tensor] : model->adapterTensors(0)) {
            const at::Tensor& expected = reference.at("grad/" + tensorName);
            QVERIFY2(tensor.grad().defined(), tensorName.c_str());
            gradientDifference =
                std::max(gradientDifference, maxDifference(tensor.grad(), expected));
            gradientScale = std::max(gradientScale, expected.abs().max().item<double>());
            ++gradients;
        }
        size_t expectedGradients = 0;
        for (const auto& [key, tensor] : reference)
            expectedGradients += key.rfind("grad/", 0) == 0;
        QCOMPARE(size_t(gradients), expectedGradients); // every PEFT adapter tensor, no other
        model->setActiveAdapter(-1);
        at::Tensor baseLogits;
        {
            at::NoGradGuard noGrad;
            baseLogits = model->forward(ids);
        }
        const double baseDifference = maxDifference(baseLogits, reference.at("base_logits"));
        const double adapterEffect = maxDifference(logits, baseLogits);
        qInfo("%s: %d adapter tensors; max |logit difference| %.3g (adapter moves logits by %.3g), "
              "loss %.6f vs %.6f, max |gradient difference| %.3g of %.3g; base alone %.3g",
              qPrintable(name), gradients, logitDifference, adapterEffect, loss.item<double>(),
              reference.at("loss").item<double>(), gradientDifference, gradientScale,
              baseDifference);
        QVERIFY(adapterEffect > 1e-2); // the adapter matters, so matching it means something
        QVERIFY2(logitDifference < 2e-5, qPrintable(QString::number(logitDifference)));
        QVERIFY(std::abs(loss.item<double>() - reference.at("loss").item<double>()) < 1e-5);
        QVERIFY2(gradientDifference < 1e-5 * std::max(1.0, gradientScale),
                 qPrintable(QString::number(gradientDifference)));
        QVERIFY2(baseDifference < 2e-5, qPrintable(QString::number(baseDifference)));
    }

    // An adapter changed here and saved loads in PEFT, which computes the same logits; merged
    // into the base, the model computes them without it.
    void savedAdapterLoadsInPeftAndMerges()
    {
        const at::Tensor ids = tokens();
        std::map<std::string, at::Tensor> ours;
        for (const char* name : cases) {
            const fs::path folder = root() / name;
            model::Transformer model = withAdapter(folder);
            {
                at::NoGradGuard noGrad;
                for (auto& [tensorName, tensor] : model->adapterTensors(0))
                    tensor.add_(at::randn_like(tensor) * 0.05);
                ours[name] = model->forward(ids);
            }
            const model::AdapterFolder loaded = model::loadAdapter(folder / "adapter");
            fs::create_directories(folder / "ours");
            model::saveAdapter(folder / "ours",
                               {model->adapterConfig(0), model->adapterTensors(0), "base"},
                               model->config().flavour == model::Flavour::Gpt2);
            model->mergeAdapter(0);
            QCOMPARE(model->activeAdapter(), -1);
            at::NoGradGuard noGrad;
            const double merged = maxDifference(model->forward(ids), ours[name]);
            qInfo("%s: merged into the base, max |logit difference| %.3g", name, merged);
            QVERIFY2(merged < 5e-5, qPrintable(QString::number(merged)));
        }
        QVERIFY(runReference("check"));
        for (const char* name : cases) {
            const auto peft = readMap(root() / name / "ours.safetensors");
            const double difference = maxDifference(peft.at("logits"), ours[name]);
            qInfo("%s: our saved adapter in PEFT, max |logit difference| %.3g", name, difference);
            QVERIFY2(difference < 2e-5, qPrintable(QString::number(difference)));
        }
    }

    // A fresh adapter (B = 0) leaves the model as it was; its targets follow PEFT's matching.
    void freshAdapterStartsAsTheBase()
    {
        model::Transformer model = model::loadTransformer(root() / "llama-all-linear" / "base");
        model->eval();
        at::NoGradGuard noGrad;
        const at::Tensor before = model->forward(tokens());
        model::LoraConfig config;
        config.rank = 4;
        config.targetModules = {"q_proj", "v_proj"};
        model->setActiveAdapter(model->addAdapter(config, /*seed=*/1));
        QCOMPARE(maxDifference(model->forward(tokens()), before), 0.0);
        QCOMPARE(int(model->adapterTensors(0).size()), 2 * 2 * 2); // 2 layers x q, v x A, B
        config.targetModules = {"all-linear"};
        QCOMPARE(int(model->adapterTensors(model->addAdapter(config, 2)).size()), 2 * 7 * 2);
        config.targetModules = {"proj"}; // a suffix must be a whole name component
        QVERIFY_THROWS_EXCEPTION(Error, model->addAdapter(config, 3));
    }

    void refusesMisfitTensors()
    {
        model::Transformer model = model::loadTransformer(root() / "llama-all-linear" / "base");
        model::AdapterFolder adapter = model::loadAdapter(root() / "llama-all-linear" / "adapter");
        auto expectError = [&](const model::NamedTensors& tensors, const char* needle) {
            try {
                model->addAdapter(adapter.config, tensors);
            } catch (const Error& error) {
                QVERIFY2(std::string(error.what()).find(needle) != std::string::npos, error.what());
                return;
            }
            QFAIL("no error");
        };
        model::NamedTensors wrongShape = adapter.tensors;
        wrongShape.front().second = at::zeros({3, 3});
        expectError(wrongShape, (wrongShape.front().first + ": shape (3, 3)").c_str());
        model::NamedTensors stray = adapter.tensors;
        stray.emplace_back("model.layers.9.self_attn.q_proj.lora_A.weight", at::zeros({4, 64}));
        expectError(stray, "model.layers.9.self_attn.q_proj.lora_A.weight fits no layer");
        model::NamedTensors missingB(adapter.tensors.begin(), adapter.tensors.begin() + 1);
        expectError(missingB, "lora_B is missing");
        model::NamedTensors flat = adapter.tensors;
        flat.front().second = at::zeros({4});
        expectError(flat, (flat.front().first + ": shape (4), the layer needs (rank, ").c_str());
        QCOMPARE(model->adapterCount(), 0); // nothing half-added
    }

    void quantizedBase_data()
    {
        QTest::addColumn<int>("type");
        QTest::newRow("nf4") << int(model::QuantType::Nf4);
        QTest::newRow("int8") << int(model::QuantType::Int8);
    }
    // A quantised base (QLoRA) computes what the dense model computes with the dequantised
    // weights, adapter on and off, and gives the adapter the same gradients.
    void quantizedBase()
    {
        QFETCH(int, type);
        const auto quantType = model::QuantType(type);
        const fs::path folder = root() / "llama-all-linear";
        const model::AdapterFolder adapter = model::loadAdapter(folder / "adapter");
        model::Transformer quantized = model::loadTransformer(folder / "base");
        model::Transformer dense = model::loadTransformer(folder / "base");
        int64_t denseBytes = 0, quantizedBytes = 0;
        {
            at::NoGradGuard noGrad;
            for (const std::string& name : dense->linearNames()) {
                at::Tensor weight = dense->named_parameters()[name + ".weight"];
                const model::QuantizedWeight stored = model::quantize(weight, quantType);
                denseBytes += weight.nbytes();
                quantizedBytes += stored.bytes();
                weight.copy_(model::dequantize(stored, at::kFloat));
            }
        }
        quantized->quantizeLinears(quantType, at::kCPU);
        QVERIFY(quantized->quantized());
        QCOMPARE(quantized->named_parameters()["model.layers.0.mlp.up_proj.weight"].numel(),
                 int64_t(0)); // the dense weight is gone
        std::vector<at::Tensor> logits, gradients[2];
        for (model::TransformerImpl* model : {dense.get(), quantized.get()}) {
            model->setActiveAdapter(model->addAdapter(adapter.config, adapter.tensors));
            model->eval();
            const at::Tensor out = model->forward(tokens());
            nextTokenLoss(out, tokens()).backward();
            logits.push_back(out.detach());
            for (const auto& [name, tensor] : model->adapterTensors(0))
                gradients[model == quantized.get()].push_back(tensor.grad());
            model->setActiveAdapter(-1);
            at::NoGradGuard noGrad;
            logits.push_back(model->forward(tokens()));
        }
        double gradientDifference = 0;
        for (size_t i = 0; i < gradients[0].size(); ++i)
            gradientDifference =
                std::max(gradientDifference, maxDifference(gradients[0][i], gradients[1][i]));
        const double withAdapter = maxDifference(logits[0], logits[2]);
        const double baseAlone = maxDifference(logits[1], logits[3]);
        qInfo("%s base: linear weights %lld -> %lld bytes; vs the dense model with its dequantised "
              "weights, max |logit difference| %.3g (base alone %.3g), |adapter gradient "
              "difference| %.3g",
              type == int(model::QuantType::Nf4) ? "nf4" : "int8",
              static_cast<long long>(denseBytes), static_cast<long long>(quantizedBytes),
              withAdapter, baseAlone, gradientDifference);
        QVERIFY(withAdapter < 1e-5 && baseAlone < 1e-5);
        QVERIFY(gradientDifference < 1e-5);
        QVERIFY(quantizedBytes * (type == int(model::QuantType::Nf4) ? 7 : 3) < denseBytes);
        QVERIFY_THROWS_EXCEPTION(Error, quantized->mergeAdapter(0));
    }

    // A damaged adapter_config.json is refused naming the file and what is wrong.
    void refusesBadAdapterConfigs()
    {
        const fs::path folder = root() / "bad-adapter";
        fs::create_directories(folder);
        fs::copy_file(root() / "llama-all-linear" / "adapter" / "adapter_model.safetensors",
                      folder / "adapter_model.safetensors", fs::copy_options::overwrite_existing);
        const std::vector<std::pair<std::string, std::string>> cases{
            {R"({"peft_type": 5, "r": 4, "lora_alpha": 8})", "peft_type 5: only LORA"},
            {R"({"peft_type": "LORA", "r": "four", "lora_alpha": 8})", "type must be number"},
            {R"({"peft_type": "LORA", "r": 0, "lora_alpha": 8})", "lora.rank: must be 1 or more"},
            {R"({"peft_type": "LORA", "r": 4, "lora_alpha": 8, "bias": "all"})",
             "bias \"all\": adapters that train biases"},
            {R"([1, 2])", "not a JSON object"},
        };
        for (const auto& [text, needle] : cases) {
            std::ofstream(folder / "adapter_config.json") << text;
            try {
                model::loadAdapter(folder);
                QFAIL(qPrintable(QString::fromStdString("accepted " + text)));
            } catch (const Error& error) {
                const std::string message = error.what();
                QVERIFY2(message.find(needle) != std::string::npos &&
                             message.find("adapter_config.json") != std::string::npos,
                         error.what());
            }
        }
    }

    // Dropout's masks are drawn from a seed per layer and forward, so activation checkpointing
    // (which runs each layer again in backward) gives the gradients of the plain forward.
    void dropoutSurvivesActivationCheckpointing()
    {
        model::LoraConfig config;
        config.rank = 4;
        config.dropout = 0.3;
        config.targetModules = {"all-linear"};
        std::vector<at::Tensor> gradients[2];
        for (const bool checkpointing : {false, true}) {
            model::Transformer model = model::loadTransformer(root() / "llama-all-linear" / "base");
            const int adapter = model->addAdapter(config, /*seed=*/7);
            model->setActiveAdapter(adapter);
            {
                at::NoGradGuard noGrad; // B != 0, or no gradient would reach A
                at::manual_seed(3);
                for (auto& [name, tensor] : model->adapterTensors(adapter))
                    if (name.find("lora_B") != std::string::npos)
                        tensor.copy_(at::randn_like(tensor) * 0.1);
            }
            model->train();
            model->setActivationCheckpointing(checkpointing);
            at::manual_seed(11);
            nextTokenLoss(model->forward(tokens()), tokens()).backward();
            for (const auto& [name, tensor] : model->adapterTensors(adapter))
                gradients[checkpointing].push_back(tensor.grad().clone());
        }
        double difference = 0;
        for (size_t i = 0; i < gradients[0].size(); ++i)
            difference = std::max(difference, maxDifference(gradients[0][i], gradients[1][i]));
        qInfo("dropout 0.3, with and without activation checkpointing: max |gradient "
              "difference| %.3g",
              difference);
        QVERIFY2(difference < 1e-6, qPrintable(QString::number(difference)));
    }
};

QTEST_GUILESS_MAIN(TestLora)
#include "test_lora.moc"
