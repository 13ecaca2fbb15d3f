// The blocklist step: removes records whose text contains one of the user's words or phrases,
// case-insensitively (Unicode case folding) and as whole words: "bar" blocks "a Bar" but not
// "barn". All entries go into one RE2::Set, so a record is scanned once however long the
// list; the reason names the first matching entry as the user wrote it.
#include "core/data/cleaning/step.h"
#include "core/util/error.h"

#include <re2/re2.h>
#include <re2/set.h>

namespace rlhf::data::cleaning {

namespace {

// "New  York" -> the words "New", "York" quoted, joined by \s+ so any spacing matches.
std::string phrasePattern(std::string_view phrase)
{
    std::string pattern;
    size_t i = 0;
    while (i < phrase.size()) {
        while (i < phrase.size() && (phrase[i] == ' ' || phrase[i] == '\t' || phrase[i] == '\n'))
            ++i;
        const size_t start = i;
        while (i < phrase.size() && phrase[i] != ' ' && phrase[i] != '\t' && phrase[i] != '\n')
            ++i;
        if (i == start) break;
        if (!pattern.empty()) pattern += R"(\s+)";
        pattern += RE2::QuoteMeta(phrase.substr(start, i - start));
    }
    return pattern;
}

class BlocklistStep final : public Step {
public:
    explicit BlocklistStep(const StepConfig& config)
    {
        RE2::Options options;
        options.set_case_sensitive(false);
        options.set_log_errors(false);
        m_set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
        for (const std::string& entry : config.blocklist) {
            const std::string words = phrasePattern(entry);
            if (words.empty()) continue; // a blank entry would block everything
            // \b is ASCII-only in RE2; letters and digits of any script bound a word here.
            const std::string pattern = R"((?:^|[^\pL\pN_]))" + words + R"((?:$|[^\pL\pN_]))";
            std::string error;
            if (m_set->Add(pattern, &error) < 0)
                throw Error("blocklist entry '" + entry + "': " + error);
            m_entries.push_back(entry);
        }
        if (!m_entries.empty() && !m_set->Compile())
            throw Error("blocklist: too large to compile (" + std::to_string(m_entries.size()) +
                        " entries)");
    }

    Outcome apply(Record& record, int64_t, Verdict& verdict) override
    {
        if (m_entries.empty()) return Outcome::Unchanged;
        m_matches.clear();
        bool hit = false;
        forEachField(record, [&](std::string_view field, const std::string& value) {
            if (hit || !m_set->Match(value, &m_matches)) return;
            hit = true;
            verdict.field = field;
        });
        if (!hit) return Outcome::Unchanged;
        size_t first = m_matches.front();
        for (int index : m_matches)
            first = std::min(first, static_cast<size_t>(index));
        verdict.reason = "blocklisted: \"" + m_entries[first] + "\"";
        return Outcome::Removed;
    }

private:
    std::unique_ptr<RE2::Set> m_set;
    std::vector<std::string> m_entries; // as the user wrote them, by set index
    std::vector<int> m_matches;
};

} // namespace

std::unique_ptr<Step> makeBlocklistStep(const StepConfig& config)
{
    return std::make_unique<BlocklistStep>(config);
}

} // namespace rlhf::data::cleaning
