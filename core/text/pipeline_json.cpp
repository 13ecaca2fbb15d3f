// tokenizer.json's normalizer, Metaspace and decoder objects (see pipeline_json.h), with the
// field names and defaults of HF tokenizers' serde (normalizers/, decoders/, metaspace.rs).

#include "core/text/pipeline_json.h"

#include <vector>

#include "core/text/utf8.h"

namespace rlhf::text::json {

namespace {

// A Replace step's {"String": "..."} pattern; Regex patterns are refused.
std::string stringPattern(const Json& object, const std::string& field)
{
    const Json* pattern = member(object, "pattern");
    if (!pattern || !pattern->is_object() || pattern->size() != 1)
        throw Error(field + ".pattern: expected {\"String\": ...}");
    if (const Json* literal = member(*pattern, "String"))
        return stringOf(*literal, field + ".pattern.String");
    if (member(*pattern, "Regex"))
        throw Error(field + ".pattern: Regex patterns are not supported here (only String)");
    throw Error(field + ".pattern: expected {\"String\": ...}");
}

// The objects of a Sequence's `listKey` array, or `object` itself when it is no Sequence.
std::vector<std::pair<const Json*, std::string>>
stepsOf(const Json& object, const std::string& field, const char* listKey, bool& sequence)
{
    std::vector<std::pair<const Json*, std::string>> steps;
    sequence = typeOf(object, field) == "Sequence";
    if (!sequence) {
        steps.emplace_back(&object, field);
        return steps;
    }
    const Json* list = member(object, listKey);
    if (!list || !list->is_array()) throw Error(field + "." + listKey + ": expected an array");
    for (std::size_t index = 0; index < list->size(); ++index)
        steps.emplace_back(&(*list)[index],
                           field + "." + listKey + "[" + std::to_string(index) + "]");
    return steps;
}

std::size_t countOf(const Json& object, const char* key, const std::string& field)
{
    const Json* value = member(object, key);
    if (!value || value->is_null()) return 0;
    if (!value->is_number_unsigned() || value->get<std::uint64_t>() > 1'000'000)
        throw Error(field + "." + key + ": expected a small non-negative integer");
    return value->get<std::size_t>();
}

// A Rust `char` field: exactly one Unicode character.
std::string characterOf(const Json& object, const char* key, const std::string& field)
{
    const Json* value = member(object, key);
    if (!value) throw Error(field + "." + key + ": missing");
    const std::string& text = stringOf(*value, field + "." + key);
    std::size_t position = 0;
    if (!text.empty() && isValidUtf8(text)) nextCodePoint(text, position);
    if (text.empty() || position != text.size())
        throw Error(field + "." + key + ": expected one character, found '" + text + "'");
    return text;
}

const char* schemeName(PrependScheme scheme)
{
    switch (scheme) {
    case PrependScheme::Always:
        return "always";
    case PrependScheme::First:
        return "first";
    case PrependScheme::Never:
        return "never";
    }
    return "always";
}

DecoderStep parseDecoderStep(const Json& object, const std::string& field)
{
    const std::string type = typeOf(object, field);
    DecoderStep step;
    if (type == "Replace") {
        step.kind = DecoderStep::Kind::Replace;
        step.pattern = stringPattern(object, field);
        const Json* content = member(object, "content");
        if (!content) throw Error(field + ".content: missing");
        step.content = stringOf(*content, field + ".content");
    } else if (type == "ByteFallback") {
        step.kind = DecoderStep::Kind::ByteFallback;
    } else if (type == "Fuse") {
        step.kind = DecoderStep::Kind::Fuse;
    } else if (type == "Strip") {
        step.kind = DecoderStep::Kind::Strip;
        step.content = characterOf(object, "content", field);
        step.start = countOf(object, "start", field);
        step.stop = countOf(object, "stop", field);
    } else if (type == "Metaspace") {
        step.kind = DecoderStep::Kind::Metaspace;
        step.metaspace = parseMetaspace(object, field);
    } else {
        throw Error(field + ": type '" + type +
                    "' is not supported (only Replace, ByteFallback, Fuse, Strip, Metaspace)");
    }
    return step;
}

OrderedJson decoderStepJson(const DecoderStep& step)
{
    switch (step.kind) {
    case DecoderStep::Kind::Replace:
        return {{"type", "Replace"},
                {"pattern", {{"String", step.pattern}}},
                {"content", step.content}};
    case DecoderStep::Kind::ByteFallback:
        return {{"type", "ByteFallback"}};
    case DecoderStep::Kind::Fuse:
        return {{"type", "Fuse"}};
    case DecoderStep::Kind::Strip:
        return {{"type", "Strip"},
                {"content", step.content},
                {"start", step.start},
                {"stop", step.stop}};
    case DecoderStep::Kind::Metaspace:
        return metaspaceJson(step.metaspace);
    }
    return nullptr;
}

} // namespace

NormalizerConfig parseNormalizer(const Json& root)
{
    NormalizerConfig config;
    if (isAbsent(root, "normalizer")) return config;
    for (const auto& [object, field] :
         stepsOf(root["normalizer"], "normalizer", "normalizers", config.sequence)) {
        const std::string type = typeOf(*object, field);
        NormalizerStep step;
        if (type == "Prepend") {
            step.kind = NormalizerStep::Kind::Prepend;
            const Json* prepend = member(*object, "prepend");
            if (!prepend) throw Error(field + ".prepend: missing");
            step.content = stringOf(*prepend, field + ".prepend");
        } else if (type == "Replace") {
            step.kind = NormalizerStep::Kind::Replace;
            step.pattern = stringPattern(*object, field);
            const Json* content = member(*object, "content");
            if (!content) throw Error(field + ".content: missing");
            step.content = stringOf(*content, field + ".content");
        } else {
            throw Error(field + ": type '" + type +
                        "' is not supported (only Prepend and Replace, alone or in a Sequence)");
        }
        config.steps.push_back(std::move(step));
    }
    return config;
}

OrderedJson normalizerJson(const NormalizerConfig& config)
{
    if (config.steps.empty()) return nullptr;
    OrderedJson steps = OrderedJson::array();
    for (const NormalizerStep& step : config.steps) {
        if (step.kind == NormalizerStep::Kind::Prepend)
            steps.push_back({{"type", "Prepend"}, {"prepend", step.content}});
        else
            steps.push_back({{"type", "Replace"},
                             {"pattern", {{"String", step.pattern}}},
                             {"content", step.content}});
    }
    if (!config.sequence && steps.size() == 1) return steps[0];
    return {{"type", "Sequence"}, {"normalizers", std::move(steps)}};
}

MetaspaceConfig parseMetaspace(const Json& object, const std::string& field)
{
    MetaspaceConfig config;
    config.replacement = characterOf(object, "replacement", field);
    // HF's defaults: prepend_scheme "always", split true; the older add_prefix_space false
    // means "never" and must not contradict a prepend_scheme.
    if (const Json* scheme = member(object, "prepend_scheme")) {
        const std::string& name = stringOf(*scheme, field + ".prepend_scheme");
        if (name == "always")
            config.prependScheme = PrependScheme::Always;
        else if (name == "first")
            config.prependScheme = PrependScheme::First;
        else if (name == "never")
            config.prependScheme = PrependScheme::Never;
        else
            throw Error(field + ".prepend_scheme: '" + name +
                        "' is not one of always, first, never");
    }
    if (!boolOf(object, "add_prefix_space", field, true)) {
        if (config.prependScheme != PrependScheme::Never)
            throw Error(field + ".add_prefix_space: false does not match prepend_scheme");
    }
    config.split = boolOf(object, "split", field, true);
    return config;
}

OrderedJson metaspaceJson(const MetaspaceConfig& config)
{
    return {{"type", "Metaspace"},
            {"replacement", config.replacement},
            {"prepend_scheme", schemeName(config.prependScheme)},
            {"split", config.split}};
}

DecoderConfig parseDecoder(const Json& root)
{
    if (isAbsent(root, "decoder")) throw Error("decoder: missing");
    const Json& decoder = root["decoder"];
    DecoderConfig config;
    if (typeOf(decoder, "decoder") == "ByteLevel") return config;
    config.byteLevel = false;
    for (const auto& [object, field] : stepsOf(decoder, "decoder", "decoders", config.sequence)) {
        if (typeOf(*object, field) == "ByteLevel")
            throw Error(field + ": ByteLevel inside a Sequence is not supported");
        config.steps.push_back(parseDecoderStep(*object, field));
    }
    return config;
}

OrderedJson decoderJson(const DecoderConfig& config)
{
    if (config.byteLevel)
        return {{"type", "ByteLevel"},
                {"add_prefix_space", true},
                {"trim_offsets", true},
                {"use_regex", true}};
    OrderedJson steps = OrderedJson::array();
    for (const DecoderStep& step : config.steps)
        steps.push_back(decoderStepJson(step));
    if (!config.sequence && steps.size() == 1) return steps[0];
    return {{"type", "Sequence"}, {"decoders", std::move(steps)}};
}

} // namespace rlhf::text::json
