// Step names and the cleaning recipe's JSON form. Each step object may hold only the keys its
// step uses ("min_chars" on an "nfkc" step is an error, not silently ignored), and values are
// range-checked here so that a bad recipe fails when it is read, not mid-import.
#include "core/data/cleaning/cleaning.h"
#include "core/util/json_reader.h"

#include <array>
#include <utility>

namespace rlhf::data {

namespace {

constexpr std::array<std::pair<StepKind, std::string_view>, 11> kStepNames = {{
    {StepKind::Utf8, "utf8"},
    {StepKind::Nfkc, "nfkc"},
    {StepKind::Control, "control"},
    {StepKind::Whitespace, "whitespace"},
    {StepKind::Html, "html"},
    {StepKind::Length, "length"},
    {StepKind::Language, "language"},
    {StepKind::Pii, "pii"},
    {StepKind::Blocklist, "blocklist"},
    {StepKind::ExactDedup, "exact_dedup"},
    {StepKind::NearDedup, "near_dedup"},
}};

constexpr std::array<std::string_view, 4> kPiiTypes = {"email", "phone", "ip", "card"};

StepConfig readStep(JsonReader reader)
{
    StepConfig step;
    std::string name;
    reader.require("step", name);
    step.kind = withContext(reader.path("step"), [&] { return parseStepKind(name); });
    switch (step.kind) {
    case StepKind::Utf8:
        reader.read("repair", step.repairUtf8);
        break;
    case StepKind::Length:
        reader.read("min_chars", step.minChars);
        reader.read("max_chars", step.maxChars);
        reader.read("min_tokens", step.minTokens);
        reader.read("max_tokens", step.maxTokens);
        for (const auto& [key, value] : {std::pair{"min_chars", step.minChars},
                                         {"max_chars", step.maxChars},
                                         {"min_tokens", step.minTokens},
                                         {"max_tokens", step.maxTokens}})
            if (value < 0) reader.fail(key, "must be >= 0 (0 = no bound)");
        if (step.maxChars > 0 && step.minChars > step.maxChars)
            reader.fail("min_chars", "is larger than max_chars");
        if (step.maxTokens > 0 && step.minTokens > step.maxTokens)
            reader.fail("min_tokens", "is larger than max_tokens");
        break;
    case StepKind::Language:
        reader.read("languages", step.languages);
        reader.read("min_confidence", step.minLanguageConfidence);
        reader.read("keep_unknown", step.keepUnknownLanguage);
        if (step.minLanguageConfidence < 0 || step.minLanguageConfidence > 1)
            reader.fail("min_confidence", "must be between 0 and 1");
        break;
    case StepKind::Pii:
        reader.read("types", step.piiTypes);
        for (const std::string& type : step.piiTypes) {
            bool known = false;
            for (std::string_view k : kPiiTypes)
                known |= type == k;
            if (!known)
                reader.fail("types",
                            "unknown type '" + type + "' (expected email, phone, ip, card)");
        }
        break;
    case StepKind::Blocklist:
        reader.read("words", step.blocklist);
        break;
    case StepKind::NearDedup:
        reader.read("threshold", step.jaccardThreshold);
        reader.read("shingle_words", step.shingleWords);
        reader.read("permutations", step.permutations);
        if (!(step.jaccardThreshold > 0 && step.jaccardThreshold <= 1))
            reader.fail("threshold", "must be in (0, 1]");
        if (step.shingleWords < 1 || step.shingleWords > 64)
            reader.fail("shingle_words", "must be between 1 and 64");
        if (step.permutations < 1 || step.permutations > 1024)
            reader.fail("permutations", "must be between 1 and 1024");
        break;
    default:
        break;
    }
    reader.rejectUnknown();
    return step;
}

} // namespace

std::string_view stepKindName(StepKind kind)
{
    for (const auto& [k, name] : kStepNames)
        if (k == kind) return name;
    return "unknown";
}

StepKind parseStepKind(std::string_view word)
{
    for (const auto& [kind, name] : kStepNames)
        if (name == word) return kind;
    std::string known;
    for (const auto& [kind, name] : kStepNames)
        known += (known.empty() ? "" : ", ") + std::string(name);
    throw Error("unknown cleaning step '" + std::string(word) + "' (expected one of " + known +
                ")");
}

CleaningConfig CleaningConfig::defaults()
{
    CleaningConfig config;
    for (StepKind kind : {StepKind::Utf8, StepKind::Nfkc, StepKind::Control, StepKind::Whitespace,
                          StepKind::ExactDedup}) {
        StepConfig step;
        step.kind = kind;
        config.steps.push_back(step);
    }
    return config;
}

CleaningConfig CleaningConfig::fromJson(std::string_view json)
{
    nlohmann::json root;
    try {
        root = nlohmann::json::parse(json);
    } catch (const nlohmann::json::exception& error) {
        throw Error(std::string("cleaning: invalid JSON: ") + error.what());
    }
    JsonReader reader(root, "cleaning");
    nlohmann::json steps = nlohmann::json::array();
    reader.read("steps", steps);
    reader.rejectUnknown();
    if (!steps.is_array()) reader.fail("steps", "expected an array, got " + steps.dump());
    CleaningConfig config;
    for (size_t i = 0; i < steps.size(); ++i)
        config.steps.push_back(
            readStep(JsonReader(steps[i], reader.path("steps") + "[" + std::to_string(i) + "]")));
    return config;
}

std::string CleaningConfig::toJson() const
{
    nlohmann::json list = nlohmann::json::array();
    for (const StepConfig& step : steps) {
        nlohmann::json object = {{"step", std::string(stepKindName(step.kind))}};
        switch (step.kind) {
        case StepKind::Utf8:
            object["repair"] = step.repairUtf8;
            break;
        case StepKind::Length:
            object["min_chars"] = step.minChars;
            object["max_chars"] = step.maxChars;
            object["min_tokens"] = step.minTokens;
            object["max_tokens"] = step.maxTokens;
            break;
        case StepKind::Language:
            object["languages"] = step.languages;
            object["min_confidence"] = step.minLanguageConfidence;
            object["keep_unknown"] = step.keepUnknownLanguage;
            break;
        case StepKind::Pii:
            object["types"] = step.piiTypes;
            break;
        case StepKind::Blocklist:
            object["words"] = step.blocklist;
            break;
        case StepKind::NearDedup:
            object["threshold"] = step.jaccardThreshold;
            object["shingle_words"] = step.shingleWords;
            object["permutations"] = step.permutations;
            break;
        default:
            break;
        }
        list.push_back(std::move(object));
    }
    return nlohmann::json{{"steps", std::move(list)}}.dump();
}

} // namespace rlhf::data
