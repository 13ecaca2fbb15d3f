// QLoRA's quantised base weights (core/model/quantized_weight) against bitsandbytes itself
// (tests/reference/quantization_reference.py, in the .torch/ Python): NF4's packed nibbles and
// fp32 absmax, its double quantisation (dynamic map, 8-bit codes, nested absmax; the offset,
// a mean, within an ulp) and int8's rows (also through Int8Params' fp16 cast) byte for byte, and
// the dequantised weights bit for bit, fp32 and bf16, on shapes with partial and odd last blocks,
// ties and zero blocks. Then, without Python: quantizedLinear's output and gradients equal
// at::linear's over the dequantised weight and none reaches the weight; the round trip error
// stays under half the widest NF4 code gap (int8: half a step); bad input is refused by name.
#include "core/compat/torch_compat.h"
#include "core/model/quantized_weight.h"
#include "core/model/tensor_io.h"
#include "tests/support/error_of.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <filesystem>
#include <map>
#include <string>

using namespace rlhf;
using model::QuantType;
namespace fs = std::filesystem;

namespace {

// The weights both sides quantise, by name.
std::map<std::string, at::Tensor> testWeights()
{
    at::manual_seed(16);
    std::map<std::string, at::Tensor> weights;
    weights["aligned"] = at::randn({64, 128}) * 0.02; // rows of whole blocks
    weights["rows80"] = at::randn({96, 80});          // blocks straddle rows
    weights["odd"] = at::randn({33, 65});             // odd numel: a partial, odd last block
    weights["many"] = at::randn({300, 1024}) * 0.05;  // 4800 absmax: 19 nested blocks, last 192
    weights["bf16"] = at::randn({128, 256}).to(at::kBFloat16);
    weights["fp16"] = at::randn({48, 64}).to(at::kHalf);
    at::Tensor zeros = at::randn({3, 50}); // block 0 and the last, partial block zero
    zeros.view({-1}).narrow(0, 0, 64).zero_();
    zeros.view({-1}).narrow(0, 128, 22).zero_();
    weights["zeros"] = zeros;
    // Ties: 1 (the absmax) and every NF4 midpoint exactly, then just above and below each.
    at::Tensor ties = at::zeros({2, 64});
    float* t = ties.data_ptr<float>();
    t[0] = 1.0f;
    const auto& codes = model::nf4Codes();
    for (int i = 0; i < 15; ++i) {
        const float midpoint = (codes[size_t(i)] + codes[size_t(i) + 1]) / 2.0f;
        t[1 + i] = midpoint;
        t[16 + i] = std::nextafter(midpoint, 2.0f);
        t[31 + i] = std::nextafter(midpoint, -2.0f);
    }
    ties[1].copy_(ties[0] * 0.5); // absmax 0.5: the same ratios, exactly
    weights["ties"] = ties;
    // int8 halves: SCB 127 makes the factor exactly 1, so x.5 must round to even.
    weights["halves"] =
        at::tensor({127.0f, 2.5f, 3.5f, -2.5f, -0.5f, 0.5f, 1.5f, 126.5f}).view({1, 8});
    return weights;
}

bool bitEqual(const at::Tensor& a, const at::Tensor& b)
{
    if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
    const at::Tensor x = a.contiguous(), y = b.contiguous();
    return std::memcmp(x.data_ptr(), y.data_ptr(), size_t(x.numel()) * x.element_size()) == 0;
}

double maxDifference(const at::Tensor& a, const at::Tensor& b)
{
    return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

QByteArray describe(const std::string& name, const at::Tensor& ours, const at::Tensor& theirs)
{
    const bool comparable = ours.sizes() == theirs.sizes();
    return QByteArray::fromStdString(name) + ": max difference " +
           (comparable ? QByteArray::number(maxDifference(ours, theirs)) : "(shapes differ)");
}

// The widest gap between neighbouring NF4 codes, halved: the worst rounding of value / absmax.
float halfWidestNf4Gap()
{
    const auto& codes = model::nf4Codes();
    float widest = 0;
    for (size_t i = 0; i + 1 < codes.size(); ++i)
        widest = std::max(widest, codes[i + 1] - codes[i]);
    return widest / 2;
}

} // namespace

class TestQuantization : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::map<std::string, at::Tensor> m_weights = testWeights();
    std::map<std::string, at::Tensor> m_reference; // empty without bitsandbytes

    bool runReference(const fs::path& in, const fs::path& out)
    {
        QProcess python;
        python.start(QStringLiteral(RLHF_HF_PYTHON),
                     {QStringLiteral(RLHF_SOURCE_DIR "/tests/reference/quantization_reference.py"),
                      QString::fromStdString(in.string()), QString::fromStdString(out.string())});
        const bool ok = python.waitForFinished(300'000) &&
                        python.exitStatus() == QProcess::NormalExit && python.exitCode() == 0;
        if (!ok) qWarning("%s", python.readAllStandardError().constData());
        return ok;
    }

    const at::Tensor& reference(const std::string& key)
    {
        const auto found = m_reference.find(key);
        if (found == m_reference.end()) throw std::runtime_error("reference lacks " + key);
        return found->second;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        if (!QFile::exists(QStringLiteral(RLHF_HF_PYTHON)) ||
            QProcess::execute(QStringLiteral(RLHF_HF_PYTHON),
                              {"-c", "import bitsandbytes, safetensors"}) != 0) {
            qInfo("no Python with bitsandbytes at " RLHF_HF_PYTHON
                  " (bash packaging/install-deps.sh --torch=pip): bitsandbytes checks skip");
            return;
        }
        const fs::path dir = m_dir.path().toStdString();
        model::NamedTensors weights(m_weights.begin(), m_weights.end());
        model::writeTensors(dir / "weights.safetensors", weights);
        QVERIFY(runReference(dir / "weights.safetensors", dir / "bnb.safetensors"));
        for (auto& [name, tensor] : model::readTensors(dir / "bnb.safetensors"))
            m_reference[name] = tensor;
    }

    // NF4 without double quantisation: the same nibbles and absmax, the same dequantised values.
    // bnb's CPU kernel on an AVX-512 machine reads absmax per row (wrong where blocks straddle
    // rows: "rows80"); there we compare with bnb's own torch version of it (its flat layout,
    // that of its CUDA kernel), which every shape must match anyway.
    void nf4MatchesBitsandbytes()
    {
        if (m_reference.empty()) QSKIP("no bitsandbytes");
        for (const auto& [name, weight] : m_weights) {
            const auto q = model::quantize(weight, QuantType::Nf4, 64, /*doubleQuant=*/false);
            const std::string key = name + ".nf4";
            QVERIFY2(bitEqual(q.data, reference(key + ".packed")), name.c_str());
            QVERIFY2(bitEqual(q.absmax, reference(key + ".absmax")), name.c_str());
            const at::Tensor ours = model::dequantize(q, at::kFloat);
            const at::Tensor& flat = reference(key + ".dequant_flat");
            QVERIFY2(bitEqual(ours, flat), describe(name, ours, flat));
            const bool cpuKernelRight = bitEqual(reference(key + ".dequant"), flat);
            if (!cpuKernelRight) {
                qInfo("%s: bnb's CPU dequantize_4bit differs from its flat layout (AVX-512 path)",
                      name.c_str());
                QVERIFY(weight.size(-1) % 16 == 0 && weight.size(-1) % 64 != 0);
            }
            const at::Tensor ours16 = model::dequantize(q, at::kBFloat16);
            const at::Tensor theirs16 =
                cpuKernelRight ? reference(key + ".dequant_bf16") : flat.to(at::kBFloat16);
            QVERIFY2(bitEqual(ours16, theirs16), describe(name, ours16, theirs16));
        }
    }

    // Double quantisation: the dynamic map and the 8-bit stage (fed bnb's own absmax - offset)
    // bit for bit. The offset is a mean: bnb sums in fp32 in torch's vector order, we in double,
    // so it may differ in the last bit; where it does, an absmax code may move one step.
    void doubleQuantMatchesBitsandbytes()
    {
        if (m_reference.empty()) QSKIP("no bitsandbytes");
        const at::Tensor map = at::from_blob(const_cast<float*>(model::dynamicMap().data()), {256});
        QVERIFY2(bitEqual(map, reference("dynamic_map")),
                 describe("map", map, reference("dynamic_map")));
        int offsetsDiffer = 0;
        for (const auto& [name, weight] : m_weights) {
            const auto q = model::quantize(weight, QuantType::Nf4, 64, /*doubleQuant=*/true);
            const std::string key = name + ".nf4dq";
            QVERIFY2(bitEqual(q.data, reference(key + ".packed")), name.c_str());
            const auto [codes, nested] =
                model::quantizeBlockwise8(reference(key + ".shifted"), model::nestedBlockSize);
            QVERIFY2(bitEqual(codes, reference(key + ".codes")), name.c_str());
            QVERIFY2(bitEqual(nested, reference(key + ".nested_absmax")), name.c_str());

            const float theirOffset = reference(key + ".offset").item<float>();
            QVERIFY2(std::abs(q.offset - theirOffset) <= 2.4e-7f * std::abs(theirOffset),
                     qPrintable(QString("%1: offset %2 vs %3")
                                    .arg(name.c_str())
                                    .arg(double(q.offset), 0, 'g', 9)
                                    .arg(double(theirOffset), 0, 'g', 9)));
            const at::Tensor ours = model::dequantize(q, at::kFloat);
            const at::Tensor& flat = reference(key + ".dequant_flat");
            if (q.offset == theirOffset) {
                QVERIFY2(bitEqual(q.absmax, reference(key + ".codes")), name.c_str());
                QVERIFY2(bitEqual(q.nestedAbsmax, reference(key + ".nested_absmax")), name.c_str());
                QVERIFY2(bitEqual(model::blockAbsmax(q), reference(key + ".block_absmax")),
                         name.c_str());
                QVERIFY2(bitEqual(ours, flat), describe(name, ours, flat));
                const at::Tensor& cpu = reference(key + ".dequant");
                if (bitEqual(cpu, flat))
                    QVERIFY2(bitEqual(model::dequantize(q, at::kBFloat16),
                                      reference(key + ".dequant_bf16")),
                             name.c_str());
                continue;
            }
            ++offsetsDiffer;
            const at::Tensor steps =
                (q.absmax.to(at::kInt) - reference(key + ".codes").to(at::kInt)).abs();
            QVERIFY2(steps.max().item<int>() <= 1, name.c_str());
            QVERIFY2(steps.sum().item<int>() <= 1 + q.absmax.numel() / 100, name.c_str());
            const double scale = weight.abs().max().item<double>();
            QVERIFY2(maxDifference(ours, flat) <= 0.02 * scale, describe(name, ours, flat));
        }
        qInfo("offsets one ulp or so apart in %d of %zu weights", offsetsDiffer, m_weights.size());
    }

    // int8 rows as int8_vectorwise_quant makes them (round half to even), dequantised as bnb's
    // int8_vectorwise_dequant; an fp16 weight gives Int8Params' bytes.
    void int8MatchesBitsandbytes()
    {
        if (m_reference.empty()) QSKIP("no bitsandbytes");
        for (const auto& [name, weight] : m_weights) {
            const auto q = model::quantize(weight, QuantType::Int8);
            const std::string key = name + ".int8";
            QVERIFY2(bitEqual(q.data, reference(key + ".data")), name.c_str());
            QVERIFY2(bitEqual(q.absmax, reference(key + ".scb")), name.c_str());
            const at::Tensor ours = model::dequantize(q, at::kFloat);
            QVERIFY2(bitEqual(ours, reference(key + ".dequant")),
                     describe(name, ours, reference(key + ".dequant")));
            QVERIFY2(bitEqual(model::dequantize(q, at::kBFloat16),
                              reference(key + ".dequant").to(at::kBFloat16)),
                     name.c_str());
            const auto viaHalf = model::quantize(weight.to(at::kHalf), QuantType::Int8);
            QVERIFY2(bitEqual(viaHalf.data, reference(name + ".int8fp16.data")), name.c_str());
            QVERIFY2(bitEqual(viaHalf.absmax, reference(name + ".int8fp16.scb")), name.c_str());
        }
        const auto halves = model::quantize(m_weights["halves"], QuantType::Int8);
        QVERIFY(at::equal(halves.data,
                          at::tensor({127, 2, 4, -2, 0, 0, 2, 126}, at::kChar).view({1, 8})));
    }

    void quantizedLinearMatchesDense_data()
    {
        QTest::addColumn<int>("type");
        QTest::addColumn<bool>("doubleQuant");
        QTest::newRow("nf4") << int(QuantType::Nf4) << false;
        QTest::newRow("nf4 double quant") << int(QuantType::Nf4) << true;
        QTest::newRow("int8") << int(QuantType::Int8) << false;
        QTest::newRow("bf16") << int(QuantType::Bf16) << false;
    }
    // y, dx and dbias equal at::linear's over the dequantised weight; the weight gets nothing.
    void quantizedLinearMatchesDense()
    {
        QFETCH(int, type);
        QFETCH(bool, doubleQuant);
        at::manual_seed(3);
        const at::Tensor weight = (at::randn({48, 80}) * 0.05).requires_grad_(); // (out, in)
        const auto q = model::quantize(weight, QuantType(type), 64, doubleQuant);
        QVERIFY(!q.data.requires_grad() && !q.absmax.requires_grad());
        const at::Tensor dense = model::dequantize(q, at::kFloat);

        const at::Tensor x = at::randn({3, 5, 80}).requires_grad_(),
                         bias = at::randn({48}).requires_grad_();
        const at::Tensor y = model::quantizedLinear(x, q, bias); // (3, 5, 48)
        const at::Tensor xRef = x.detach().clone().requires_grad_(),
                         biasRef = bias.detach().clone().requires_grad_();
        const at::Tensor yRef = at::linear(xRef, dense, biasRef);
        QVERIFY2(maxDifference(y, yRef) <= 1e-6,
                 qPrintable(QString::number(maxDifference(y, yRef))));
        const at::Tensor dy = at::randn_like(y);
        y.backward(dy);
        yRef.backward(dy);
        QVERIFY2(maxDifference(x.grad(), xRef.grad()) <= 1e-6,
                 qPrintable(QString::number(maxDifference(x.grad(), xRef.grad()))));
        QVERIFY(maxDifference(bias.grad(), biasRef.grad()) <= 1e-6);
        QVERIFY(!weight.grad().defined());

        { // no graph: the same y; no bias; an input that needs no gradient
            const at::NoGradGuard noGrad;
            QVERIFY(maxDifference(model::quantizedLinear(x, q, bias), yRef) <= 1e-6);
        }
        const at::Tensor plain = model::quantizedLinear(x.detach(), q, at::Tensor());
        QVERIFY(!plain.requires_grad());
        QVERIFY(maxDifference(plain, at::linear(x.detach(), dense)) <= 1e-6);

        { // bf16 autocast: the product in bf16, dx back in x's fp32
            const compat::Autocast autocast(c10::DeviceType::CPU, true, at::kBFloat16);
            const at::Tensor xb = at::randn({4, 80}).requires_grad_();
            const at::Tensor yb = model::quantizedLinear(xb, q, bias);
            QCOMPARE(yb.scalar_type(), at::kBFloat16);
            yb.sum().backward();
            QCOMPARE(xb.grad().scalar_type(), at::kFloat);
            const at::Tensor expected =
                at::linear(xb.detach().to(at::kBFloat16), model::dequantize(q, at::kBFloat16));
            QVERIFY(maxDifference((yb - bias.detach()).to(at::kFloat), expected.to(at::kFloat)) <=
                    0.1);
        }
        QVERIFY(!weight.grad().defined());
    }

    // |w - dequantize(w)| <= half the widest code gap times the block's true absmax, plus how far
    // the double-quantised absmax is from it; int8: half a step, SCB / 254.
    void roundTripErrorBounded()
    {
        at::manual_seed(5);
        const at::Tensor w =
            at::randn({256, 384}) * at::rand({256, 1}) * 0.1; // rows of varied scale
        const auto plain = model::quantize(w, QuantType::Nf4, 64, false);
        const auto packed = model::quantize(w, QuantType::Nf4, 64, true);
        const at::Tensor trueAbsmax = model::blockAbsmax(plain),
                         dqAbsmax = model::blockAbsmax(packed);
        const float half = halfWidestNf4Gap();
        QVERIFY(std::abs(half - 0.1519036f) < 1e-6f);
        auto blockErrors = [&](const model::QuantizedWeight& q) {
            return (w - model::dequantize(q, at::kFloat)).abs().view({-1, 64}).amax(1);
        };
        const at::Tensor bound = trueAbsmax * half * (1 + 1e-6);
        QVERIFY((blockErrors(plain) <= bound).all().item<bool>());
        QVERIFY((blockErrors(packed) <= bound + (dqAbsmax - trueAbsmax).abs() * (1 + 1e-6))
                    .all()
                    .item<bool>());
        // double quantisation keeps every absmax within ~1% of the largest
        QVERIFY(((dqAbsmax - trueAbsmax).abs() <= 0.01 * trueAbsmax.max()).all().item<bool>());

        const auto int8 = model::quantize(w, QuantType::Int8);
        const at::Tensor rowError = (w - model::dequantize(int8, at::kFloat)).abs().amax(1);
        QVERIFY((rowError <= int8.absmax / 254 * (1 + 1e-5)).all().item<bool>());
    }

    void zeroBlocksStayZero()
    {
        for (const bool doubleQuant : {false, true}) {
            const auto q = model::quantize(at::zeros({2, 64}), QuantType::Nf4, 64, doubleQuant);
            QVERIFY((q.data == 0x77).all().item<bool>()); // code 7 is 0.0
            QVERIFY(at::equal(model::dequantize(q, at::kFloat), at::zeros({2, 64})));
        }
        const auto q = model::quantize(at::zeros({3, 5}), QuantType::Int8);
        QVERIFY(at::equal(q.absmax, at::zeros({3})));
        QVERIFY(at::equal(model::dequantize(q, at::kBFloat16), at::zeros({3, 5}, at::kBFloat16)));
    }

    // A bf16 weight quantises as its fp32 values; it dequantises to bf16 as fp32 rounded once.
    void bf16Weights()
    {
        at::manual_seed(7);
        const at::Tensor w = at::randn({64, 96}).to(at::kBFloat16);
        for (const auto type : {QuantType::Nf4, QuantType::Int8}) {
            const auto q = model::quantize(w, type);
            const auto viaFloat = model::quantize(w.to(at::kFloat), type);
            QCOMPARE(q.dtype, at::kBFloat16);
            QVERIFY(bitEqual(q.data, viaFloat.data) && bitEqual(q.absmax, viaFloat.absmax));
            QVERIFY(bitEqual(model::dequantize(q, at::kBFloat16),
                             model::dequantize(q, at::kFloat).to(at::kBFloat16)));
            QCOMPARE(model::dequantize(q, at::kHalf).scalar_type(), at::kHalf);
        }
    }

    // An odd numel packs as bnb packs it: the last byte's low nibble is the code of 0.
    void oddElementCount()
    {
        const at::Tensor w = at::tensor({0.5f, -1.0f, 0.25f, 1.0f, 0.0f, -0.5f, 0.75f});
        const auto q = model::quantize(w, QuantType::Nf4, 32, false);
        QCOMPARE(q.data.numel(), int64_t(4));
        // 0.5 -> code 12 (0.4407), -1 -> 0; 0.25 -> 10, 1 -> 15; 0 -> 7, -0.5 -> 2; 0.75 -> 14, pad
        // 7
        QVERIFY(at::equal(q.data, at::tensor({0xC0, 0xAF, 0x72, 0xE7}, at::kInt).to(at::kByte)));
        QVERIFY((model::dequantize(q, at::kFloat) - w).abs().max().item<float>() <= 0.06f);
    }

    void storageBytes()
    {
        const at::Tensor w = at::randn({64, 64});
        QCOMPARE(model::quantize(w, QuantType::Nf4, 64, true).bytes(), int64_t(2048 + 64 + 4));
        QCOMPARE(model::quantize(w, QuantType::Nf4, 64, false).bytes(), int64_t(2048 + 64 * 4));
        QCOMPARE(model::quantize(w, QuantType::Int8).bytes(), int64_t(4096 + 64 * 4));
        // bf16: the weight rounded to nearest, two bytes each, handed back as held in bf16.
        const auto bf16 = model::quantize(w, QuantType::Bf16);
        QCOMPARE(bf16.bytes(), int64_t(64 * 64 * 2));
        QVERIFY(at::equal(model::dequantize(bf16, at::kFloat), w.to(at::kBFloat16).to(at::kFloat)));
        QVERIFY(model::dequantize(bf16, at::kBFloat16).is_same(bf16.data));
        const auto q = model::quantize(w, QuantType::Nf4).to(c10::Device(c10::kCPU));
        QCOMPARE(q.shape, (std::vector<int64_t>{64, 64}));
    }

    void refusesBadInput()
    {
        const at::Tensor w = at::randn({8, 64});
        QVERIFY(testing::errorOf([&] {
                    model::quantize(w, QuantType::Nf4, 48);
                }).contains("NF4 block size 48: must be one of 32, 64"));
        QVERIFY(testing::errorOf([&] {
                    model::quantize(w.to(at::kInt), QuantType::Nf4);
                }).contains("dtype Int, wants fp32, bf16 or fp16"));
        QVERIFY(testing::errorOf([&] {
                    model::quantize(at::randn({2, 3, 4}), QuantType::Int8);
                }).contains("int8 quantisation of a [2, 3, 4] weight: int8 wants 2-D"));
        at::Tensor broken = w.clone();
        broken[3][5] = NAN;
        QVERIFY(testing::errorOf([&] {
                    model::quantize(broken, QuantType::Nf4);
                }).contains("not finite"));
        QVERIFY(testing::errorOf([&] {
                    model::quantize(at::zeros({0, 4}), QuantType::Nf4);
                }).contains("the weight is empty"));
        const auto q = model::quantize(w, QuantType::Nf4);
        QVERIFY(testing::errorOf([&] {
                    model::quantizedLinear(at::randn({2, 63}), q, at::Tensor());
                }).contains("input [2, 63], weight [8, 64]"));
    }
};

QTEST_GUILESS_MAIN(TestQuantization)
#include "test_quantization.moc"
