// `rlhf export --format gguf` against llama.cpp's own tools (tests/reference/gguf_check.py in the
// .torch/ Python: transformers, gguf-py, llama-cpp-python): small random Llama (Llama 3.1 rope
// scaling; linear scaling with attention biases and tied embeddings), Qwen2, Qwen3 and GPT-2
// models with trained byte-level BPE tokenizers (Llama 3, Qwen2 and GPT-2 pre-tokenizers; the
// studio's chat tokens on GPT-2), and a Llama with a SentencePiece-style tokenizer (Metaspace,
// byte fallback: llama.cpp's "llama" vocabulary) are exported in f32, f16, bf16 and q8_0. gguf-py
// finds every metadata key llama.cpp reads with its type and value, and every tensor's bytes equal
// to its own quantize() of the HF weight (Q/K permuted for llama), q8_0 blocks bit for bit;
// llama.cpp tokenizes the prompt as the HF tokenizer does, and its last-position logits match
// transformers': 1e-4 in f32 (GPT-2 2e-3: llama.cpp's tabulated GELU), 2e-2 in f16; bf16 and
// q8_0 (whose activations llama.cpp also quantizes) within 0.5 on logits of about 5.
// What llama.cpp would compute differently is refused by name.
#include "core/model/gguf_file.h"
#include "core/model/gguf_quant.h"
#include "core/util/json_file.h"

#include <nlohmann/json.hpp>

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>

using namespace rlhf;
namespace fs = std::filesystem;

namespace {

const char* const cases[] = {"llama-llama3", "llama-linear-bias", "llama-spm", "qwen2",
                             "qwen3",        "gpt2-studio"};
const char* const types[] = {"f32", "f16", "bf16", "q8_0"};

struct Run {
    int exitCode = -1;
    std::string out, err;
};

Run runRlhf(const QStringList& arguments)
{
    QProcess rlhf;
    rlhf.start(QStringLiteral(RLHF_BINARY_DIR "/bin/rlhf"), arguments);
    Run run;
    if (!rlhf.waitForFinished(120'000)) return run;
    run.exitCode = rlhf.exitCode();
    run.out = rlhf.readAllStandardOutput().toStdString();
    run.err = rlhf.readAllStandardError().toStdString();
    return run;
}

double tolerance(const std::string& family, const std::string& type)
{
    if (type == "f32") return family.starts_with("gpt2") ? 2e-3 : 1e-4;
    if (type == "f16") return 2e-2;
    return 0.5; // bf16, q8_0: 0.03-0.25 measured
}

} // namespace

class TestGgufExport : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    fs::path m_root;
    bool m_reference = false; // the .torch/ Python made the models

    bool runReference(const QString& command)
    {
        QProcess python;
        python.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        python.start(QStringLiteral(RLHF_HF_PYTHON),
                     {QStringLiteral(RLHF_SOURCE_DIR "/tests/reference/gguf_check.py"), command,
                      m_dir.path()});
        return python.waitForFinished(500'000) && python.exitStatus() == QProcess::NormalExit &&
               python.exitCode() == 0;
    }

    fs::path folder(const char* name) const { return m_root / name; }

private Q_SLOTS:
    // Packing alone, against values worked out by hand.
    void packsHalfBfloatAndQ8()
    {
        QCOMPARE(model::halfFromFloat(1.0f), uint16_t(0x3c00));
        QCOMPARE(model::halfFromFloat(-2.5f), uint16_t(0xc100));
        QCOMPARE(model::halfFromFloat(65520.0f), uint16_t(0x7c00));           // rounds to inf
        QCOMPARE(model::halfFromFloat(5.960464477539063e-08f), uint16_t(1));  // smallest subnormal
        QCOMPARE(model::halfFromFloat(1.0f + 1.0f / 2048), uint16_t(0x3c00)); // tie to even
        QCOMPARE(model::bfloat16FromFloat(1.0f), uint16_t(0x3f80));
        QCOMPARE(model::bfloat16FromFloat(1.00390625f), uint16_t(0x3f80)); // tie to even

        std::vector<float> block(32, 0.0f);
        block[0] = 127.0f, block[1] = -63.5f, block[2] = 0.4f;
        std::vector<std::byte> out(34);
        model::packValues(model::GgmlType::Q8_0, block, out);
        QCOMPARE(uint16_t(uint8_t(out[0])) | uint16_t(uint8_t(out[1])) << 8, uint16_t(0x3c00));
        QCOMPARE(int8_t(out[2]), int8_t(127));
        QCOMPARE(int8_t(out[3]), int8_t(-64)); // half away from zero
        QCOMPARE(int8_t(out[4]), int8_t(0));
        QVERIFY_THROWS_EXCEPTION(std::exception, model::ggmlRowBytes(model::GgmlType::Q8_0, 48));
    }

    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_root = m_dir.path().toStdString();
        m_reference = QFile::exists(QStringLiteral(RLHF_HF_PYTHON)) &&
                      QProcess::execute(QStringLiteral(RLHF_HF_PYTHON),
                                        {"-c", "import transformers, gguf"}) == 0;
        if (m_reference) QVERIFY(runReference(QStringLiteral("make")));
    }

    void init()
    {
        if (!m_reference && QByteArray(QTest::currentTestFunction()) != "packsHalfBfloatAndQ8")
            QSKIP("no Python with transformers and gguf at " RLHF_HF_PYTHON
                  " (bash packaging/install-deps.sh --torch=pip)");
    }

    // Every case in every type, checked by gguf-py and run in llama.cpp.
    void exportsWhatLlamaCppRuns()
    {
        for (const char* name : cases)
            for (const char* type : types) {
                const std::string file = (m_root / (std::string(name) + "-" + type + ".gguf"));
                const Run run = runRlhf({"export", QString::fromStdString(folder(name).string()),
                                         "--type", type, "-o", QString::fromStdString(file)});
                QVERIFY2(run.exitCode == 0,
                         (std::string(name) + " " + type + ": " + run.err).c_str());
                const auto result = nlohmann::json::parse(run.out);
                QCOMPARE(result.at("bytes").get<uint64_t>(), uint64_t(fs::file_size(file)));
                QVERIFY(!fs::exists(file + ".tmp"));
            }
        QVERIFY(runReference(QStringLiteral("check")));
        const nlohmann::json check = readJsonFile(m_root / "check.json");
        const bool llamaCpp = check.at("llama_cpp").get<bool>();
        for (const auto& [file, result] : check.at("files").items()) {
            const auto errors = result.at("errors");
            QVERIFY2(errors.empty(), (file + ": " + errors.dump()).c_str());
            if (!llamaCpp) continue;
            const std::string type =
                file.substr(file.rfind('-') + 1, file.size() - 5 - file.rfind('-') - 1);
            QVERIFY2(result.at("tokens_equal").get<bool>(), (file + ": tokens differ").c_str());
            const double difference = result.at("max_logit_diff").get<double>();
            QVERIFY2(difference < tolerance(file, type),
                     (file + ": logits differ by " + std::to_string(difference)).c_str());
        }
        QCOMPARE(int(check.at("files").size()), int(std::size(cases) * std::size(types)));
        if (!llamaCpp) QWARN("llama-cpp-python is missing: the files were not run in llama.cpp");

        // The summary: q8_0 is about half of f16; the studio's tokens bring its chat template.
        const auto studio = nlohmann::json::parse(
            runRlhf({"export", QString::fromStdString(folder("gpt2-studio").string()), "--type",
                     "q8_0", "-o", QString::fromStdString((m_root / "s.gguf").string())})
                .out);
        QCOMPARE(studio.at("chat_template").get<std::string>(), std::string("studio"));
        QCOMPARE(studio.at("tokenizer").at("pre").get<std::string>(), std::string("gpt-2"));
        QVERIFY(studio.at("tensor_types").at("q8_0").get<int>() > 0);
    }

    // What llama.cpp would compute differently is an error naming it, and leaves no file.
    void refusesWhatLlamaCppComputesDifferently()
    {
        const fs::path yarn = m_root / "llama-yarn";
        fs::copy(folder("llama-llama3"), yarn);
        nlohmann::json config = readJsonFile(yarn / "config.json");
        config["rope_parameters"] = {{"rope_type", "yarn"},
                                     {"rope_theta", 10000.0},
                                     {"factor", 4.0},
                                     {"original_max_position_embeddings", 32}};
        writeJsonFile(yarn / "config.json", config);
        const fs::path out = m_root / "yarn.gguf";
        Run run = runRlhf({"export", QString::fromStdString(yarn.string()), "-o",
                           QString::fromStdString(out.string())});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.find("yarn") != std::string::npos, run.err.c_str());
        QVERIFY(!fs::exists(out) && !fs::exists(out.string() + ".tmp"));

        const fs::path bare = m_root / "no-tokenizer";
        fs::copy(folder("qwen2"), bare);
        fs::remove(bare / "tokenizer.json");
        run = runRlhf({"export", QString::fromStdString(bare.string()), "-o",
                       QString::fromStdString(out.string())});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.find("tokenizer.json") != std::string::npos, run.err.c_str());

        // A sliding window shorter than the context: the context is cut to it, and said so.
        const fs::path window = m_root / "qwen2-window";
        fs::copy(folder("qwen2"), window);
        config = readJsonFile(window / "config.json");
        config["use_sliding_window"] = true;
        config["sliding_window"] = 16;
        config["max_window_layers"] = 0;
        config.erase("layer_types");
        writeJsonFile(window / "config.json", config);
        run = runRlhf({"export", QString::fromStdString(window.string()), "-o",
                       QString::fromStdString(out.string())});
        QVERIFY2(run.exitCode == 0, run.err.c_str());
        const auto result = nlohmann::json::parse(run.out);
        QCOMPARE(result.at("context_length").get<int64_t>(), int64_t(16));
        QCOMPARE(result.at("notes").size(), std::size_t(1));
    }

    // --format hf: a plain folder in another dtype, without training state.
    void exportsAnHfFolder()
    {
        const fs::path out = m_root / "qwen3-f16";
        const Run run =
            runRlhf({"export", QString::fromStdString(folder("qwen3").string()), "--format", "hf",
                     "--type", "f16", "-o", QString::fromStdString(out.string())});
        QVERIFY2(run.exitCode == 0, run.err.c_str());
        QCOMPARE(readJsonFile(out / "config.json").at("torch_dtype").get<std::string>(),
                 std::string("float16"));
        QVERIFY(fs::exists(out / "model.safetensors") && fs::exists(out / "tokenizer.json"));
        QVERIFY(fs::file_size(out / "model.safetensors") <
                fs::file_size(folder("qwen3") / "model.safetensors") * 6 / 10);
    }
};

QTEST_GUILESS_MAIN(TestGgufExport)
#include "test_gguf_export.moc"
