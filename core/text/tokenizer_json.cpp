// tokenizer.json <-> Tokenizer (see tokenizer_json.h). Field checks throw Error("field: problem");
// the entry points prefix the source name, giving "file: model.vocab: ...".

#include "core/text/tokenizer_json.h"

#include <fstream>
#include <sstream>
#include <system_error>

#include "core/text/json_fields.h"
#include "core/text/pipeline_json.h"
#include "core/util/error.h"

namespace rlhf::text {

namespace {

using namespace json;

PreTokenizerConfig::Split parseSplit(const Json& step, const std::string& field)
{
    const Json* pattern = member(step, "pattern");
    if (!pattern || !pattern->is_object() || pattern->size() != 1)
        throw Error(field + ".pattern: expected {\"Regex\": ...} or {\"String\": ...}");
    PreTokenizerConfig::Split split;
    if (const Json* regex = member(*pattern, "Regex")) {
        split.pattern = stringOf(*regex, field + ".pattern.Regex");
    } else if (const Json* literal = member(*pattern, "String")) {
        split.pattern = stringOf(*literal, field + ".pattern.String");
        split.literal = true;
    } else {
        throw Error(field + ".pattern: expected {\"Regex\": ...} or {\"String\": ...}");
    }
    const Json* behavior = member(step, "behavior");
    const std::string behaviorName = behavior ? stringOf(*behavior, field + ".behavior") : "";
    if (behaviorName != "Isolated")
        throw Error(field + ".behavior: '" + behaviorName + "' is not supported (only Isolated)");
    if (boolOf(step, "invert", field, false)) throw Error(field + ".invert: true is not supported");
    return split;
}

PreTokenizerConfig parsePreTokenizer(const Json& root)
{
    PreTokenizerConfig config;
    if (isAbsent(root, "pre_tokenizer")) { // SentencePiece legacy style: the normalizer did it
        config.kind = PreTokenizerConfig::Kind::None;
        return config;
    }
    const Json& preTokenizer = root["pre_tokenizer"];
    const std::string type = typeOf(preTokenizer, "pre_tokenizer");
    if (type == "Metaspace") {
        config.kind = PreTokenizerConfig::Kind::Metaspace;
        config.metaspace = parseMetaspace(preTokenizer, "pre_tokenizer");
        return config;
    }
    if (type == "Split" && member(preTokenizer, "behavior") &&
        stringOf(preTokenizer["behavior"], "pre_tokenizer.behavior") == "MergedWithPrevious") {
        // Gemma's: words end after each " " (a no-op after its Replace(" ", "▁") normalizer).
        const Json* pattern = member(preTokenizer, "pattern");
        const Json* literal =
            pattern && pattern->is_object() ? member(*pattern, "String") : nullptr;
        if (!literal)
            throw Error("pre_tokenizer.pattern: MergedWithPrevious is supported with a String "
                        "pattern only");
        if (boolOf(preTokenizer, "invert", "pre_tokenizer", false))
            throw Error("pre_tokenizer.invert: true is not supported");
        config.kind = PreTokenizerConfig::Kind::SplitAfter;
        config.splitAfter = stringOf(*literal, "pre_tokenizer.pattern.String");
        return config;
    }
    std::vector<std::pair<const Json*, std::string>> steps; // step, its field name
    if (type == "Sequence") {
        const Json* list = member(preTokenizer, "pretokenizers");
        if (!list || !list->is_array())
            throw Error("pre_tokenizer.pretokenizers: expected an array");
        for (std::size_t index = 0; index < list->size(); ++index)
            steps.emplace_back(&(*list)[index],
                               "pre_tokenizer.pretokenizers[" + std::to_string(index) + "]");
    } else {
        steps.emplace_back(&preTokenizer, "pre_tokenizer");
    }
    for (std::size_t index = 0; index < steps.size(); ++index) {
        const auto& [step, field] = steps[index];
        const std::string stepType = typeOf(*step, field);
        const bool last = index + 1 == steps.size();
        if (stepType == "Split" && !last) {
            config.splits.push_back(parseSplit(*step, field));
        } else if (stepType == "ByteLevel" && last) {
            // HF's defaults when the fields are absent: add_prefix_space and use_regex true.
            config.addPrefixSpace = boolOf(*step, "add_prefix_space", field, true);
            config.useRegex = boolOf(*step, "use_regex", field, true);
        } else {
            throw Error(field + ": type '" + stepType +
                        "' here is not supported (expected Split steps, then one ByteLevel last; "
                        "or one Metaspace)");
        }
    }
    return config;
}

std::vector<std::string> parseVocab(const Json& model)
{
    const Json* vocab = member(model, "vocab");
    if (!vocab || !vocab->is_object())
        throw Error("model.vocab: expected an object of token -> id");
    std::vector<std::string> tokens(vocab->size());
    std::vector<bool> filled(vocab->size(), false);
    for (const auto& [token, idValue] : vocab->items()) {
        if (!idValue.is_number_unsigned())
            throw Error("model.vocab['" + token + "']: expected a non-negative integer id");
        const auto id = idValue.get<std::uint64_t>();
        if (id >= tokens.size())
            throw Error("model.vocab['" + token + "']: id " + std::to_string(id) +
                        " but there are " + std::to_string(tokens.size()) +
                        " tokens (ids must be 0..N-1)");
        if (filled[id])
            throw Error("model.vocab: '" + tokens[id] + "' and '" + token + "' both have id " +
                        std::to_string(id));
        tokens[id] = token;
        filled[id] = true;
    }
    return tokens;
}

std::vector<std::pair<std::string, std::string>> parseMerges(const Json& model)
{
    const Json* merges = member(model, "merges");
    if (!merges || !merges->is_array()) throw Error("model.merges: expected an array");
    std::vector<std::pair<std::string, std::string>> result;
    result.reserve(merges->size());
    for (std::size_t index = 0; index < merges->size(); ++index) {
        const Json& merge = (*merges)[index];
        const std::string field = "model.merges[" + std::to_string(index) + "]";
        if (merge.is_string()) { // "left right", what tokenizers < 0.20 wrote
            const std::string& text = merge.get_ref<const std::string&>();
            const std::size_t space = text.find(' ');
            if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos)
                throw Error(field + ": '" + text + "' is not two tokens separated by one space");
            result.emplace_back(text.substr(0, space), text.substr(space + 1));
        } else if (merge.is_array() && merge.size() == 2) { // ["left", "right"], tokenizers >= 0.20
            result.emplace_back(stringOf(merge[0], field + "[0]"),
                                stringOf(merge[1], field + "[1]"));
        } else {
            throw Error(field + ": expected \"left right\" or [\"left\", \"right\"]");
        }
    }
    return result;
}

BpeModel parseModel(const Json& root, bool byteLevel)
{
    if (isAbsent(root, "model")) throw Error("model: missing");
    const Json& model = root["model"];
    if (!model.is_object()) throw Error("model: expected an object");
    if (const Json* type = member(model, "type"); type && stringOf(*type, "model.type") != "BPE")
        throw Error("model.type: '" + type->get<std::string>() + "' is not supported (only BPE)");
    if (const Json* dropout = member(model, "dropout");
        dropout && !dropout->is_null() && !(dropout->is_number() && dropout->get<double>() == 0.0))
        throw Error("model.dropout: only null is supported (dropout is for training only)");
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
        const Json* value = member(model, key);
        if (value && !value->is_null() &&
            !(value->is_string() && value->get<std::string>().empty()))
            throw Error(std::string("model.") + key + ": only null is supported");
    }
    BpeOptions options;
    options.byteLevel = byteLevel;
    options.ignoreMerges = boolOf(model, "ignore_merges", "model", false);
    options.byteFallback = boolOf(model, "byte_fallback", "model", false);
    options.fuseUnk = boolOf(model, "fuse_unk", "model", false);
    if (!isAbsent(model, "unk_token"))
        options.unkToken = stringOf(model["unk_token"], "model.unk_token");
    return BpeModel(parseVocab(model), parseMerges(model), std::move(options));
}

std::vector<AddedToken> parseAddedTokens(const Json& root)
{
    std::vector<AddedToken> tokens;
    if (isAbsent(root, "added_tokens")) return tokens;
    const Json& list = root["added_tokens"];
    if (!list.is_array()) throw Error("added_tokens: expected an array");
    for (std::size_t index = 0; index < list.size(); ++index) {
        const Json& entry = list[index];
        const std::string field = "added_tokens[" + std::to_string(index) + "]";
        if (!entry.is_object()) throw Error(field + ": expected an object");
        const Json* id = member(entry, "id");
        if (!id || !id->is_number_unsigned() || id->get<std::uint64_t>() > 0xFFFFFFFFull)
            throw Error(field + ".id: expected a non-negative integer");
        const Json* content = member(entry, "content");
        if (!content) throw Error(field + ".content: missing");
        AddedToken token;
        token.id = id->get<std::uint32_t>();
        token.content = stringOf(*content, field + ".content");
        token.special = boolOf(entry, "special", field, false);
        token.lstrip = boolOf(entry, "lstrip", field, false);
        token.rstrip = boolOf(entry, "rstrip", field, false);
        token.normalized = boolOf(entry, "normalized", field, !token.special);
        if (boolOf(entry, "single_word", field, false))
            throw Error(field + ".single_word: true is not supported");
        tokens.push_back(std::move(token));
    }
    return tokens;
}

OrderedJson preTokenizerJson(const PreTokenizerConfig& config)
{
    if (config.kind == PreTokenizerConfig::Kind::None) return nullptr;
    if (config.kind == PreTokenizerConfig::Kind::Metaspace) return metaspaceJson(config.metaspace);
    if (config.kind == PreTokenizerConfig::Kind::SplitAfter)
        return {{"type", "Split"},
                {"pattern", {{"String", config.splitAfter}}},
                {"behavior", "MergedWithPrevious"},
                {"invert", false}};
    OrderedJson byteLevel = {{"type", "ByteLevel"},
                             {"add_prefix_space", config.addPrefixSpace},
                             {"trim_offsets", true},
                             {"use_regex", config.useRegex}};
    if (config.splits.empty()) return byteLevel;
    OrderedJson steps = OrderedJson::array();
    for (const PreTokenizerConfig::Split& split : config.splits) {
        steps.push_back({{"type", "Split"},
                         {"pattern", {{split.literal ? "String" : "Regex", split.pattern}}},
                         {"behavior", "Isolated"},
                         {"invert", false}});
    }
    steps.push_back(std::move(byteLevel));
    return {{"type", "Sequence"}, {"pretokenizers", std::move(steps)}};
}

OrderedJson modelJson(const BpeModel& model)
{
    // ordered_json's operator[] searches linearly; filling the underlying vector directly keeps
    // a 128k-token vocabulary fast and in id order, as HF writes it.
    OrderedJson vocab = OrderedJson::object();
    auto& entries = static_cast<std::vector<std::pair<const std::string, OrderedJson>>&>(
        vocab.get_ref<OrderedJson::object_t&>());
    entries.reserve(model.size());
    for (std::uint32_t id = 0; id < model.size(); ++id)
        entries.emplace_back(model.tokens()[id], id);
    OrderedJson merges = OrderedJson::array();
    for (const auto& [left, right] : model.merges())
        merges.push_back(OrderedJson::array({model.tokens()[left], model.tokens()[right]}));
    const BpeOptions& options = model.options();
    return {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", options.unkToken ? OrderedJson(*options.unkToken) : OrderedJson()},
            {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr},
            {"fuse_unk", options.fuseUnk},
            {"byte_fallback", options.byteFallback},
            {"ignore_merges", options.ignoreMerges},
            {"vocab", std::move(vocab)},
            {"merges", std::move(merges)}};
}

} // namespace

Tokenizer tokenizerFromJson(std::string_view json, const std::string& sourceName)
{
    Json root;
    try {
        root = Json::parse(json);
    } catch (const Json::parse_error& error) {
        throw Error(sourceName + ": not valid JSON: " + error.what());
    }
    try {
        if (!root.is_object()) throw Error("top level: expected an object");
        NormalizerConfig normalizer = parseNormalizer(root);
        PreTokenizerConfig preTokenizer = parsePreTokenizer(root);
        DecoderConfig decoder = parseDecoder(root);
        // A ByteLevel pre-tokenizer means a byte-level vocabulary; anything else characters.
        BpeModel model = parseModel(root, preTokenizer.kind == PreTokenizerConfig::Kind::ByteLevel);
        std::vector<AddedToken> addedTokens = parseAddedTokens(root);
        const Json* postProcessor = member(root, "post_processor");
        return Tokenizer(std::move(model), Normalizer(std::move(normalizer)),
                         PreTokenizer(std::move(preTokenizer)), Decoder(std::move(decoder)),
                         std::move(addedTokens), postProcessor ? postProcessor->dump() : "null");
    } catch (const std::exception& error) {
        throw Error(sourceName + ": " + error.what());
    }
}

std::string tokenizerToJson(const Tokenizer& tokenizer)
{
    OrderedJson addedTokens = OrderedJson::array();
    for (const AddedToken& token : tokenizer.addedTokens()) {
        addedTokens.push_back({{"id", token.id},
                               {"content", token.content},
                               {"single_word", false},
                               {"lstrip", token.lstrip},
                               {"rstrip", token.rstrip},
                               {"normalized", token.normalized},
                               {"special", token.special}});
    }
    OrderedJson root = {{"version", "1.0"},
                        {"truncation", nullptr},
                        {"padding", nullptr},
                        {"added_tokens", std::move(addedTokens)},
                        {"normalizer", normalizerJson(tokenizer.normalizer().config())},
                        {"pre_tokenizer", preTokenizerJson(tokenizer.preTokenizer().config())},
                        {"post_processor", OrderedJson::parse(tokenizer.postProcessorJson())},
                        {"decoder", decoderJson(tokenizer.decoder().config())},
                        {"model", modelJson(tokenizer.model())}};
    return root.dump(2) + "\n";
}

Tokenizer loadTokenizerJson(const std::filesystem::path& file)
{
    std::ifstream stream(file, std::ios::binary);
    if (!stream) throw Error(file.string() + ": cannot open for reading");
    std::ostringstream contents;
    contents << stream.rdbuf();
    if (stream.bad()) throw Error(file.string() + ": read failed");
    return tokenizerFromJson(contents.str(), file.string());
}

void saveTokenizerJson(const Tokenizer& tokenizer, const std::filesystem::path& file)
{
    const std::string text = tokenizerToJson(tokenizer);
    std::filesystem::path temporary = file;
    temporary += ".tmp";
    {
        std::ofstream stream(temporary, std::ios::binary | std::ios::trunc);
        if (!stream)
            throw Error(file.string() + ": cannot open " + temporary.string() + " for writing");
        stream.write(text.data(), static_cast<std::streamsize>(text.size()));
        stream.close();
        if (!stream) throw Error(file.string() + ": write failed (disk full?)");
    }
    std::error_code error;
    std::filesystem::rename(temporary, file, error);
    if (error)
        throw Error(file.string() + ": cannot rename " + temporary.string() + ": " +
                    error.message());
}

} // namespace rlhf::text
