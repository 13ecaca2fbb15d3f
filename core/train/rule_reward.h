// Built-in rule rewards for PPO and GRPO: scores computed from the response text alone (and the
// prompt's reference answer, where the data has one), with no model. Each rule scores in [0, 1];
// a rule reward is the weighted sum of the selected rules. Torch-free.
//   exact_answer: 1 when the trimmed response equals the trimmed reference answer
//   regex:        1 when the response matches `pattern` (RE2, searched anywhere)
//   length:       1 - |length - target| / target, floored at 0 (length in code points)
//   keywords:     share of `keywords` that occur in the response (case-sensitive)
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rlhf::train {

struct RuleRewardTerm {
    std::string rule;                  // "exact_answer", "regex", "length" or "keywords"
    double weight = 1;                 // multiplies the rule's [0, 1] score; may be negative
    std::string pattern;               // regex: RE2 syntax
    int64_t targetLength = 0;          // length: target in code points (> 0)
    std::vector<std::string> keywords; // keywords: at least one
};

// A parsed, compiled set of terms. Throws rlhf::Error naming `where`[i].<field> for an
// unknown rule, a bad regex, a non-positive target or an empty keyword list.
class RuleReward {
public:
    RuleReward(); // no terms: score() is always 0 (defined where Compiled is complete)
    explicit RuleReward(std::vector<RuleRewardTerm> terms, const std::string& where = "rules");
    ~RuleReward();
    RuleReward(RuleReward&&) noexcept;
    RuleReward& operator=(RuleReward&&) noexcept;

    bool empty() const { return m_terms.empty(); }
    const std::vector<RuleRewardTerm>& terms() const { return m_terms; }

    // The weighted sum for one response. `reference` may be empty when the prompt has none;
    // exact_answer then scores 0.
    double score(std::string_view response, std::string_view reference) const;

private:
    struct Compiled;
    std::vector<RuleRewardTerm> m_terms;
    std::unique_ptr<Compiled> m_compiled; // the RE2 objects
};

// JSON form: [{"rule": "exact_answer", "weight": 1.0}, {"rule": "regex", "pattern": "^\\d+$",
// "weight": 0.1}, ...]. Strict: unknown fields are errors naming `where`[i].field.
std::vector<RuleRewardTerm> ruleTermsFromJson(const nlohmann::json& json, const std::string& where);
nlohmann::json toJson(const std::vector<RuleRewardTerm>& terms);

} // namespace rlhf::train
