// The PII step: e-mail addresses, card numbers, IP addresses (v6, v4) and phone numbers are
// replaced by <EMAIL>, <CARD>, <IP> and <PHONE>, in that order (a card number would otherwise
// read as a phone number). RE2 finds candidates; each is then checked in code where a regular
// expression cannot (Luhn for cards, inet_pton for IPv6, digit counts and neighbours for
// phones), so that years, verse references ("John 3:16"), times, dates and version numbers
// ("v1.2.3.4", "2.31.0") are left alone.
#include "core/data/cleaning/step.h"
#include "core/util/error.h"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>

namespace rlhf::data::cleaning {

namespace {

bool isWordChar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isDigitChar(char c)
{
    return c >= '0' && c <= '9';
}

int countDigits(std::string_view s)
{
    return static_cast<int>(std::count_if(s.begin(), s.end(), isDigitChar));
}

// `match` sits in `text` at `at`: the characters around it.
char before(std::string_view text, size_t at)
{
    return at > 0 ? text[at - 1] : ' ';
}
char after(std::string_view text, size_t end)
{
    return end < text.size() ? text[end] : ' ';
}

bool luhn(std::string_view s)
{
    int sum = 0;
    bool twice = false;
    for (size_t i = s.size(); i-- > 0;) {
        if (!isDigitChar(s[i])) continue;
        int d = s[i] - '0';
        if (twice && (d *= 2) > 9) d -= 9;
        sum += d;
        twice = !twice;
    }
    return sum % 10 == 0;
}

using Accept = std::function<bool(std::string_view text, size_t at, std::string_view match)>;

struct Rule {
    std::string type;        // "email", ...
    std::string placeholder; // "<EMAIL>", ...
    std::vector<std::unique_ptr<RE2>> patterns;
    Accept accept;
};

std::unique_ptr<RE2> compile(const char* pattern)
{
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_unique<RE2>(pattern, options);
    if (!re->ok()) throw Error(std::string("bad PII pattern: ") + re->error());
    return re;
}

std::vector<Rule> buildRules(const std::vector<std::string>& types)
{
    const auto wanted = [&](const char* type) {
        return std::find(types.begin(), types.end(), type) != types.end();
    };
    std::vector<Rule> rules;
    if (wanted("email")) {
        Rule rule{"email", "<EMAIL>", {}, nullptr};
        rule.patterns.push_back(
            compile(R"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24})"));
        rule.accept = [](std::string_view, size_t, std::string_view) { return true; };
        rules.push_back(std::move(rule));
    }
    if (wanted("card")) {
        Rule rule{"card", "<CARD>", {}, nullptr};
        rule.patterns.push_back(compile(R"(\b(?:[0-9][ -]?){12,18}[0-9]\b)"));
        rule.accept = [](std::string_view text, size_t at, std::string_view match) {
            const int digits = countDigits(match);
            const size_t end = at + match.size();
            // The digits of a decimal ("3.14159265358979") are not a card number.
            if (before(text, at) == '.' || before(text, at) == ',') return false;
            if ((after(text, end) == '.' || after(text, end) == ',') && end + 1 < text.size() &&
                isDigitChar(text[end + 1]))
                return false;
            return digits >= 13 && digits <= 19 && luhn(match);
        };
        rules.push_back(std::move(rule));
    }
    if (wanted("ip")) {
        Rule rule{"ip", "<IP>", {}, nullptr};
        rule.patterns.push_back(compile(
            R"([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?::[0-9]{1,3}(?:\.[0-9]{1,3}){3})?)"));
        rule.patterns.push_back(compile(
            R"(\b(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\b)"));
        rule.accept = [](std::string_view text, size_t at, std::string_view match) {
            const size_t end = at + match.size();
            const char prev = before(text, at), next = after(text, end);
            if (match.find(':') != std::string_view::npos) {
                // "std::string" and "Abc::Def" are code, "10:30:00" a time: an address stands
                // apart from words, holds a digit and at least four hex digits, and parses.
                if (isWordChar(prev) || prev == ':' || isWordChar(next) || next == ':')
                    return false;
                if (countDigits(match) == 0) return false;
                const auto hex = std::count_if(match.begin(), match.end(), [](char c) {
                    return std::isxdigit(static_cast<unsigned char>(c));
                });
                in6_addr address;
                return hex >= 4 && inet_pton(AF_INET6, std::string(match).c_str(), &address) == 1;
            }
            // "1.2.3.4.5" and "2.1.1.1.0" are not addresses; nor is the tail of one.
            if (prev == '.' || (next == '.' && end + 1 < text.size() && isDigitChar(text[end + 1])))
                return false;
            return true;
        };
        rules.push_back(std::move(rule));
    }
    if (wanted("phone")) {
        Rule rule{"phone", "<PHONE>", {}, nullptr};
        // International: +CC then groups, e.g. "+44 20 7946 0958", "+1 (415) 555-2671".
        rule.patterns.push_back(compile(R"(\+[1-9][0-9]{0,2}(?:[ .-]?\(?[0-9]{1,5}\)?){2,6})"));
        // North American: "(415) 555-2671", "415-555-2671", "1-800-555-0199".
        rule.patterns.push_back(compile(
            R"((?:\b1[ .-])?(?:\([2-9][0-9]{2}\)|\b[2-9][0-9]{2})[ .-]?[2-9][0-9]{2}[ .-][0-9]{4}\b)"));
        // European with a trunk 0: "020 7946 0958", "06 12 34 56 78", "030/1234567".
        rule.patterns.push_back(compile(R"(\b0[1-9][0-9]{0,3}(?:[ /.-][0-9]{2,8}){1,4}\b)"));
        rule.accept = [](std::string_view text, size_t at, std::string_view match) {
            const int digits = countDigits(match);
            const char prev = before(text, at), next = after(text, at + match.size());
            // Glued to other digits or decimals it is part of something longer (an id, a sum).
            if (isWordChar(prev) || prev == '.' || isWordChar(next)) return false;
            if (next == '.' && at + match.size() + 1 < text.size() &&
                isDigitChar(text[at + match.size() + 1]))
                return false;
            if (match.front() == '+') return digits >= 8 && digits <= 15;
            return digits >= 9 && digits <= 12;
        };
        rules.push_back(std::move(rule));
    }
    return rules;
}

class PiiStep final : public FieldStep {
public:
    explicit PiiStep(const StepConfig& config) : m_rules(buildRules(config.piiTypes))
    {
        m_counts.assign(m_rules.size(), 0);
    }

    void addCounts(StepReport& report) const override
    {
        for (size_t i = 0; i < m_rules.size(); ++i)
            report.counts.emplace_back(m_rules[i].type, m_counts[i]);
    }

protected:
    bool edit(std::string& value, std::string&) override
    {
        bool changed = false;
        for (size_t r = 0; r < m_rules.size(); ++r)
            for (const auto& pattern : m_rules[r].patterns)
                changed |= replaceAll(*pattern, m_rules[r], value, m_counts[r]);
        return changed;
    }

private:
    bool replaceAll(const RE2& pattern, const Rule& rule, std::string& value, int64_t& count)
    {
        const std::string_view text = value;
        std::string& out = m_scratch;
        out.clear();
        size_t copied = 0, pos = 0;
        re2::StringPiece match;
        bool replaced = false;
        while (pos < text.size() &&
               pattern.Match(text, pos, text.size(), RE2::UNANCHORED, &match, 1)) {
            const size_t at = static_cast<size_t>(match.data() - text.data());
            const std::string_view found(match.data(), match.size());
            if (found.empty() || !rule.accept(text, at, found)) {
                pos = at + 1;
                continue;
            }
            out.append(text.substr(copied, at - copied));
            out.append(rule.placeholder);
            copied = pos = at + found.size();
            ++count;
            replaced = true;
        }
        if (!replaced) return false;
        out.append(text.substr(copied));
        value.swap(out);
        return true;
    }

    std::vector<Rule> m_rules;
    std::vector<int64_t> m_counts; // replacements per rule, over all records
};

} // namespace

std::unique_ptr<Step> makePiiStep(const StepConfig& config)
{
    return std::make_unique<PiiStep>(config);
}

} // namespace rlhf::data::cleaning
