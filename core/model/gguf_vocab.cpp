#include "core/model/gguf_vocab.h"

#include "core/util/error.h"
#include "core/util/json_file.h"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <cctype>

namespace rlhf::model {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const studioChatTemplateJinja =
    "{% for message in messages %}{{ '<|' + message['role'] + '|>' + message['content'] + "
    "'<|end|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";

namespace {

// llama.cpp's token types (llama.h: enum llama_token_type / gguf-py TokenType).
enum TokenType : int32_t { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Byte = 6 };

// The word-splitting regexes llama.cpp implements, by the name tokenizer.ggml.pre gives them.
struct KnownPreTokenizer {
    const char* name;
    const char* regex;
};
constexpr KnownPreTokenizer knownPreTokenizers[] = {
    {"gpt-2", R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)"},
    {"llama-bpe",
     R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
    {"qwen2",
     R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
};
constexpr const char* studioSpecials[] = {"<|bos|>",  "<|eos|>",       "<|pad|>", "<|system|>",
                                          "<|user|>", "<|assistant|>", "<|end|>"};

struct Vocabulary {
    std::map<int64_t, std::string> tokens; // id -> token as tokenizer.json spells it
    std::map<std::string, int64_t> ids;
    std::map<int64_t, json> added; // id -> its added_tokens entry
};

Vocabulary readVocabulary(const json& tokenizer)
{
    Vocabulary vocabulary;
    for (const auto& [token, id] : tokenizer.at("model").at("vocab").items()) {
        vocabulary.tokens[id.get<int64_t>()] = token;
        vocabulary.ids[token] = id.get<int64_t>();
    }
    for (const json& entry : tokenizer.value("added_tokens", json::array())) {
        const int64_t id = entry.at("id").get<int64_t>();
        const std::string content = entry.at("content").get<std::string>();
        vocabulary.tokens[id] = content;
        vocabulary.ids[content] = id;
        vocabulary.added[id] = entry;
    }
    return vocabulary;
}

// The pre-tokenizer's effective regex: ByteLevel(use_regex) is GPT-2's; Sequence[Split(regex,
// Isolated), ByteLevel(use_regex=false)] is the Split's. Anything else llama.cpp cannot mirror.
std::string preTokenizerRegex(const json& pre)
{
    auto byteLevel = [](const json& step) {
        if (step.value("add_prefix_space", false))
            throw Error("pre_tokenizer: ByteLevel add_prefix_space is not supported by llama.cpp");
        return step.value("use_regex", true);
    };
    if (pre.is_object() && pre.value("type", "") == "ByteLevel" && byteLevel(pre))
        return knownPreTokenizers[0].regex;
    if (pre.is_object() && pre.value("type", "") == "Sequence") {
        const json& steps = pre.at("pretokenizers");
        if (steps.size() == 2 && steps[0].value("type", "") == "Split" &&
            steps[0].value("behavior", "") == "Isolated" && !steps[0].value("invert", false) &&
            steps[0].at("pattern").contains("Regex") && steps[1].value("type", "") == "ByteLevel" &&
            !byteLevel(steps[1]))
            return steps[0].at("pattern").at("Regex").get<std::string>();
    }
    throw Error("pre_tokenizer: " + pre.dump().substr(0, 200) +
                " is not a byte-level pre-tokenizer llama.cpp knows");
}

std::string preTokenizerName(const json& tokenizer)
{
    const std::string regex = preTokenizerRegex(tokenizer.value("pre_tokenizer", json()));
    for (const KnownPreTokenizer& known : knownPreTokenizers)
        if (regex == known.regex) return known.name;
    throw Error("pre_tokenizer: the regex " + regex +
                " is not one llama.cpp implements (gpt-2, llama-bpe or qwen2)");
}

std::vector<std::string> mergeStrings(const json& merges)
{
    std::vector<std::string> out;
    out.reserve(merges.size());
    for (const json& merge : merges)
        out.push_back(merge.is_string()
                          ? merge.get<std::string>()
                          : merge.at(0).get<std::string>() + " " + merge.at(1).get<std::string>());
    return out;
}

// convert_hf_to_gguf's does_token_look_special: added tokens that are control tokens in practice.
bool looksSpecial(const std::string& token)
{
    auto wraps = [&](std::string_view open, std::string_view close) {
        return token.size() >= open.size() + close.size() && token.starts_with(open) &&
               token.ends_with(close);
    };
    return token == "<pad>" || token == "<mask>" || wraps("<|", "|>") || wraps("<unused", ">");
}

bool isByteToken(const std::string& token) // "<0x0A>"
{
    return token.size() == 6 && token.starts_with("<0x") && token.back() == '>' &&
           std::isxdigit(static_cast<unsigned char>(token[3])) &&
           std::isxdigit(static_cast<unsigned char>(token[4]));
}

// A special token tokenizer_config.json names: a string or {"content": ...}.
std::optional<std::string> configToken(const json& tokenizerConfig, const std::string& key)
{
    if (!tokenizerConfig.contains(key)) return std::nullopt;
    const json& value = tokenizerConfig.at(key);
    if (value.is_string()) return value.get<std::string>();
    if (value.is_object() && value.contains("content"))
        return value.at("content").get<std::string>();
    return std::nullopt;
}

// Whether tokenizer.json's post-processor starts a single sequence with a special token (a BOS).
std::optional<int64_t> postProcessorBos(const json& tokenizer, const Vocabulary& vocabulary)
{
    json processor = tokenizer.value("post_processor", json());
    if (processor.is_object() && processor.value("type", "") == "Sequence")
        for (const json& step : processor.at("processors"))
            if (step.value("type", "") == "TemplateProcessing") processor = step;
    if (!processor.is_object() || processor.value("type", "") != "TemplateProcessing")
        return std::nullopt;
    const json& first = processor.at("single").at(0);
    if (!first.contains("SpecialToken")) return std::nullopt;
    auto found = vocabulary.ids.find(first.at("SpecialToken").at("id").get<std::string>());
    return found == vocabulary.ids.end() ? std::nullopt : std::optional(found->second);
}

// "▁" prepended to the text by the normalizer or a Metaspace pre-tokenizer (SentencePiece style).
bool addsSpacePrefix(const json& tokenizer)
{
    const std::string text = tokenizer.value("normalizer", json()).dump() +
                             tokenizer.value("pre_tokenizer", json()).dump();
    return text.find("\"Prepend\"") != std::string::npos ||
           text.find("\"prepend_scheme\":\"always\"") != std::string::npos ||
           text.find("\"prepend_scheme\":\"first\"") != std::string::npos;
}

// Each token's rank among the merges that make it, as a SentencePiece score: llama.cpp's
// tokenizer merges the pair whose result scores highest, HF's BPE the earliest merge.
std::vector<float> mergeScores(const std::vector<std::string>& merges, const Vocabulary& vocabulary,
                               int64_t size)
{
    std::vector<float> scores(std::size_t(size), 0.0f);
    for (std::size_t rank = merges.size(); rank-- > 0;) { // the earliest merge wins
        const std::string& merge = merges[rank];
        const std::size_t space = merge.find(' ');
        auto found = vocabulary.ids.find(merge.substr(0, space) + merge.substr(space + 1));
        if (found != vocabulary.ids.end() && found->second < size)
            scores[std::size_t(found->second)] = -float(rank + 1);
    }
    return scores;
}

} // namespace

GgufVocabSummary addGgufVocab(GgufWriter& writer, const fs::path& folder, const ModelConfig& config)
{
    const fs::path file = folder / "tokenizer.json";
    if (!fs::exists(file))
        throw Error(folder.string() + " has no tokenizer.json: a GGUF file needs the tokenizer");
    const json tokenizer = readJsonFile(file);
    const json tokenizerConfig = fs::exists(folder / "tokenizer_config.json")
                                     ? readJsonFile(folder / "tokenizer_config.json")
                                     : json::object();
    return withContext(file.string(), [&] {
        const json& model = tokenizer.at("model");
        if (model.value("type", "") != "BPE")
            throw Error("model.type: '" + model.value("type", "") +
                        "' is not supported (BPE: byte-level or with byte_fallback)");
        const bool sentencePiece = model.value("byte_fallback", false);
        const Vocabulary vocabulary = readVocabulary(tokenizer);
        const int64_t size = config.vocabSize;
        if (!vocabulary.tokens.empty() && vocabulary.tokens.rbegin()->first >= size)
            throw Error("token id " + std::to_string(vocabulary.tokens.rbegin()->first) +
                        " does not fit the model's " + std::to_string(size) + " embedding rows");

        GgufVocabSummary summary;
        summary.model = sentencePiece ? "llama" : "gpt2";
        if (!sentencePiece) summary.preTokenizer = preTokenizerName(tokenizer);
        const std::vector<std::string> merges = mergeStrings(model.value("merges", json::array()));
        summary.merges = int64_t(merges.size());
        summary.tokens = size;
        const std::string unknown = model.value("unk_token", json()).is_string()
                                        ? model.at("unk_token").get<std::string>()
                                        : std::string();

        std::vector<std::string> tokens;
        std::vector<int32_t> types;
        for (int64_t id = 0; id < size; ++id) {
            auto found = vocabulary.tokens.find(id);
            if (found == vocabulary.tokens.end()) { // unused embedding rows
                tokens.push_back("[PAD" + std::to_string(id) + "]");
                types.push_back(UserDefined);
                continue;
            }
            const std::string& token = found->second;
            tokens.push_back(token);
            auto added = vocabulary.added.find(id);
            if (sentencePiece && isByteToken(token))
                types.push_back(Byte);
            else if (!unknown.empty() && token == unknown)
                types.push_back(sentencePiece ? Unknown : Control);
            else if (added == vocabulary.added.end())
                types.push_back(Normal);
            else
                types.push_back(added->second.value("special", false) || looksSpecial(token)
                                    ? Control
                                    : UserDefined);
        }
        summary.studioTokens = true;
        for (const char* special : studioSpecials)
            summary.studioTokens = summary.studioTokens && vocabulary.ids.contains(special);

        writer.setMetadata("tokenizer.ggml.model", summary.model);
        if (!sentencePiece) writer.setMetadata("tokenizer.ggml.pre", summary.preTokenizer);
        writer.setMetadata("tokenizer.ggml.tokens", tokens);
        if (sentencePiece)
            writer.setMetadata("tokenizer.ggml.scores", mergeScores(merges, vocabulary, size));
        writer.setMetadata("tokenizer.ggml.token_type", types);
        if (!sentencePiece) writer.setMetadata("tokenizer.ggml.merges", merges);
        if (sentencePiece)
            writer.setMetadata("tokenizer.ggml.add_space_prefix", addsSpacePrefix(tokenizer));

        // Special ids: tokenizer_config.json's tokens, else config.json's ids, else the studio's
        // (the model's unk_token for the unknown id).
        auto idOf = [&](const std::string& key, int64_t fallback,
                        const char* studio) -> std::optional<int64_t> {
            if (auto token = configToken(tokenizerConfig, key))
                if (auto found = vocabulary.ids.find(*token); found != vocabulary.ids.end())
                    return found->second;
            if (fallback >= 0 && fallback < size) return fallback;
            if (studio)
                if (auto found = vocabulary.ids.find(studio); found != vocabulary.ids.end())
                    return found->second;
            return std::nullopt;
        };
        const std::optional<int64_t> processorBos = postProcessorBos(tokenizer, vocabulary);
        std::optional<int64_t> bos = idOf("bos_token", config.bosTokenId, "<|bos|>");
        if (!bos) bos = processorBos;
        const auto eos =
            idOf("eos_token", config.eosTokenIds.empty() ? -1 : config.eosTokenIds[0], "<|eos|>");
        const auto pad = idOf("pad_token", config.padTokenId, "<|pad|>");
        const auto unk = idOf("unk_token", -1, unknown.empty() ? nullptr : unknown.c_str());
        if (bos) writer.setMetadata("tokenizer.ggml.bos_token_id", uint32_t(*bos));
        if (eos) writer.setMetadata("tokenizer.ggml.eos_token_id", uint32_t(*eos));
        if (unk) writer.setMetadata("tokenizer.ggml.unknown_token_id", uint32_t(*unk));
        if (pad) writer.setMetadata("tokenizer.ggml.padding_token_id", uint32_t(*pad));
        if (summary.studioTokens) // a reply ends at <|end|>, not at the document's <|eos|>
            writer.setMetadata("tokenizer.ggml.eot_token_id",
                               uint32_t(vocabulary.ids.at("<|end|>")));

        // BOS: as tokenizer_config.json says; else when the post-processor adds it; the studio's
        // documents and chats start with <|bos|>.
        bool addBos = processorBos.has_value() || (summary.studioTokens && bos.has_value()) ||
                      (sentencePiece && bos.has_value());
        if (tokenizerConfig.contains("add_bos_token") &&
            tokenizerConfig["add_bos_token"].is_boolean())
            addBos = tokenizerConfig["add_bos_token"].get<bool>();
        bool addEos = false;
        if (tokenizerConfig.contains("add_eos_token") &&
            tokenizerConfig["add_eos_token"].is_boolean())
            addEos = tokenizerConfig["add_eos_token"].get<bool>();
        writer.setMetadata("tokenizer.ggml.add_bos_token", addBos);
        writer.setMetadata("tokenizer.ggml.add_eos_token", addEos);
        return summary;
    });
}

} // namespace rlhf::model
