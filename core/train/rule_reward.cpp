// Rule rewards: checking and compiling the terms once, scoring responses with them, and their
// JSON form. Error paths follow JsonReader's convention ("stage.json: rules[1].pattern: ...").
#include "core/train/rule_reward.h"

#include "core/text/utf8.h"
#include "core/util/error.h"
#include "core/util/json_reader.h"

#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace rlhf::train {

namespace {

constexpr std::string_view kWhiteSpace = " \t\n\r\f\v";

// `base`.`field` the way JsonReader::path writes it: "rules[0]: pattern" for a bare base,
// "stage.json: rules[0].pattern" for one that already names a file.
std::string fieldPath(const std::string& base, const std::string& field)
{
    return base.find(": ") == std::string::npos ? base + ": " + field : base + "." + field;
}

std::string_view trimmed(std::string_view text)
{
    const size_t first = text.find_first_not_of(kWhiteSpace);
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(kWhiteSpace) - first + 1);
}

// Code points of `text`; ill-formed bytes count as the U+FFFD they would be repaired to.
int64_t codePoints(std::string_view text)
{
    auto leadBytes = [](std::string_view valid) {
        return static_cast<int64_t>(std::count_if(valid.begin(), valid.end(), [](char byte) {
            return (static_cast<unsigned char>(byte) & 0xC0) != 0x80; // not a continuation byte
        }));
    };
    if (text::isValidUtf8(text)) return leadBytes(text);
    return leadBytes(text::toValidUtf8(text));
}

// Checks one term (`base` names it, e.g. "rules[2]") and returns its compiled regex, or null
// for the rules without one.
std::unique_ptr<RE2> checkTerm(const RuleRewardTerm& term, const std::string& base)
{
    if (!std::isfinite(term.weight))
        throw Error(fieldPath(base, "weight") + ": expected a finite number");
    if (term.rule == "exact_answer") return nullptr;
    if (term.rule == "regex") {
        RE2::Options options;
        options.set_log_errors(false);
        auto compiled = std::make_unique<RE2>(term.pattern, options);
        if (!compiled->ok())
            throw Error(fieldPath(base, "pattern") + ": invalid regex '" + term.pattern +
                        "': " + compiled->error());
        return compiled;
    }
    if (term.rule == "length") {
        if (term.targetLength <= 0)
            throw Error(fieldPath(base, "target_length") + ": expected a positive length, got " +
                        std::to_string(term.targetLength));
        return nullptr;
    }
    if (term.rule == "keywords") {
        if (term.keywords.empty())
            throw Error(fieldPath(base, "keywords") + ": expected at least one keyword");
        for (size_t i = 0; i < term.keywords.size(); ++i) {
            if (term.keywords[i].empty()) // would match every response
                throw Error(fieldPath(base, "keywords[" + std::to_string(i) + "]") +
                            ": empty keyword");
        }
        return nullptr;
    }
    throw Error(fieldPath(base, "rule") + ": unknown rule '" + term.rule +
                "' (expected exact_answer, regex, length or keywords)");
}

// One rule's score in [0, 1]; `regex` is the term's compiled pattern (regex rule only).
double ruleScore(const RuleRewardTerm& term, const RE2* regex, std::string_view response,
                 std::string_view reference)
{
    if (term.rule == "exact_answer") {
        const std::string_view expected = trimmed(reference);
        return !expected.empty() && trimmed(response) == expected ? 1.0 : 0.0;
    }
    if (term.rule == "regex") return RE2::PartialMatch(response, *regex) ? 1.0 : 0.0;
    if (term.rule == "length") {
        const double target = static_cast<double>(term.targetLength);
        const double off = std::abs(static_cast<double>(codePoints(response)) - target);
        return std::max(0.0, 1.0 - off / target);
    }
    // keywords
    const auto found =
        std::count_if(term.keywords.begin(), term.keywords.end(), [&](const std::string& keyword) {
            return response.find(keyword) != std::string_view::npos;
        });
    return static_cast<double>(found) / static_cast<double>(term.keywords.size());
}

} // namespace

struct RuleReward::Compiled {
    std::vector<std::unique_ptr<RE2>> regexes; // one per term; null where the rule has none
};

RuleReward::RuleReward(std::vector<RuleRewardTerm> terms, const std::string& where)
    : m_terms(std::move(terms)), m_compiled(std::make_unique<Compiled>())
{
    for (size_t i = 0; i < m_terms.size(); ++i)
        m_compiled->regexes.push_back(checkTerm(m_terms[i], where + "[" + std::to_string(i) + "]"));
}

RuleReward::RuleReward() = default;
RuleReward::~RuleReward() = default;
RuleReward::RuleReward(RuleReward&&) noexcept = default;
RuleReward& RuleReward::operator=(RuleReward&&) noexcept = default;

double RuleReward::score(std::string_view response, std::string_view reference) const
{
    double total = 0;
    for (size_t i = 0; i < m_terms.size(); ++i)
        total += m_terms[i].weight *
                 ruleScore(m_terms[i], m_compiled->regexes[i].get(), response, reference);
    return total;
}

std::vector<RuleRewardTerm> ruleTermsFromJson(const nlohmann::json& json, const std::string& where)
{
    if (!json.is_array()) throw Error(where + ": expected an array of rules, got " + json.dump());
    std::vector<RuleRewardTerm> terms;
    for (size_t i = 0; i < json.size(); ++i) {
        const std::string base = where + "[" + std::to_string(i) + "]";
        JsonReader reader(json[i], base);
        RuleRewardTerm term;
        reader.require("rule", term.rule);
        reader.read("weight", term.weight);
        // Only the fields of the term's own rule are read: any other is an unknown field.
        if (term.rule == "regex") reader.require("pattern", term.pattern);
        if (term.rule == "length") reader.require("target_length", term.targetLength);
        if (term.rule == "keywords") reader.require("keywords", term.keywords);
        checkTerm(term, base); // an unknown rule is reported before the fields it would have
        reader.rejectUnknown();
        terms.push_back(std::move(term));
    }
    return terms;
}

nlohmann::json toJson(const std::vector<RuleRewardTerm>& terms)
{
    nlohmann::json list = nlohmann::json::array();
    for (const RuleRewardTerm& term : terms) {
        nlohmann::json item = {{"rule", term.rule}, {"weight", term.weight}};
        if (term.rule == "regex") item["pattern"] = term.pattern;
        if (term.rule == "length") item["target_length"] = term.targetLength;
        if (term.rule == "keywords") item["keywords"] = term.keywords;
        list.push_back(std::move(item));
    }
    return list;
}

} // namespace rlhf::train
