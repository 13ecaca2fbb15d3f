// detectLanguage over CLD2's ExtDetectLanguageSummary, and the language step built on it.
#include "core/data/cleaning/language.h"
#include "core/data/cleaning/step.h"
#include "core/data/cleaning/text_utils.h"

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

#include <algorithm>
#include <cstdio>

namespace rlhf::data {

std::string detectLanguage(std::string_view utf8, double* confidence)
{
    if (confidence) *confidence = 0.0;
    // CLD2 must only see valid UTF-8 (it reads past bad sequences otherwise) and takes an int
    // length; a sample of the first 1 MiB decides as well as the whole of a huge text would.
    constexpr size_t kMaxBytes = size_t{1} << 20;
    std::string repaired;
    if (cleaning::firstInvalidUtf8(utf8) != std::string_view::npos) {
        cleaning::repairUtf8(utf8, repaired);
        utf8 = repaired;
    }
    size_t length = std::min(utf8.size(), kMaxBytes);
    while (length > 0 && length < utf8.size() &&
           (static_cast<unsigned char>(utf8[length]) & 0xC0) == 0x80)
        --length; // do not cut a character in two
    CLD2::Language top3[3];
    int percent3[3] = {0, 0, 0};
    double scores3[3] = {0, 0, 0};
    int textBytes = 0;
    bool reliable = false;
    const CLD2::CLDHints hints = {nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
    const auto detect = [&](int flags) {
        return CLD2::ExtDetectLanguageSummary(utf8.data(), static_cast<int>(length),
                                              /*is_plain_text=*/true, &hints, flags, top3, percent3,
                                              scores3, /*resultchunkvector=*/nullptr, &textBytes,
                                              &reliable);
    };
    CLD2::Language language = detect(0);
    // CLD2 gives up on short texts (a four-line Tang poem, one word). Its best-effort guess
    // is still worth a language mix, but it calls even one word "reliable": such a guess
    // counts as unreliable here, so its confidence is halved below the usual 0.5 bar.
    if (language == CLD2::UNKNOWN_LANGUAGE) {
        language = detect(CLD2::kCLDFlagBestEffort);
        reliable = false;
    }
    if (language == CLD2::UNKNOWN_LANGUAGE || language == CLD2::TG_UNKNOWN_LANGUAGE) return "un";
    std::string code = CLD2::LanguageCode(language);
    // CLD2 tells scripts apart ("zh-Hant", "sr-ME"); the language is the part before the dash.
    if (const size_t dash = code.find('-'); dash != std::string::npos) code.resize(dash);
    // Best effort may name a pseudo-language with no code ("") or a script-only one ("xx").
    if (code.empty() || code == "xx") return "un";
    if (confidence) {
        int percent = 0;
        for (int i = 0; i < 3; ++i)
            if (top3[i] == language) percent = percent3[i];
        *confidence = std::clamp(percent / 100.0, 0.0, 1.0) * (reliable ? 1.0 : 0.5);
    }
    return code;
}

namespace cleaning {

namespace {

std::string formatConfidence(double value)
{
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%.2f", value);
    return buffer;
}

class LanguageStep final : public Step {
public:
    explicit LanguageStep(const StepConfig& config) : m_config(config)
    {
        for (const std::string& code : m_config.languages) {
            if (!m_list.empty()) m_list += ", ";
            m_list += code;
        }
    }

    Outcome apply(Record& record, int64_t, Verdict& verdict) override
    {
        double confidence = 0.0;
        const std::string code = record.kind == RecordKind::Text
                                     ? detectLanguage(record.text, &confidence)
                                     : detectLanguage(joinedText(record), &confidence);
        const bool unknown = code == "un" || confidence < m_config.minLanguageConfidence;
        if (unknown) {
            if (m_config.keepUnknownLanguage) return Outcome::Unchanged;
            verdict.reason = code == "un"
                                 ? "language unknown"
                                 : "language " + code + " (" + formatConfidence(confidence) +
                                       ") below confidence " +
                                       formatConfidence(m_config.minLanguageConfidence);
            return Outcome::Removed;
        }
        if (m_config.languages.empty() ||
            std::find(m_config.languages.begin(), m_config.languages.end(), code) !=
                m_config.languages.end())
            return Outcome::Unchanged;
        verdict.reason =
            "language " + code + " (" + formatConfidence(confidence) + ") not in [" + m_list + "]";
        return Outcome::Removed;
    }

private:
    StepConfig m_config;
    std::string m_list; // "en, de" for reasons
};

} // namespace

std::unique_ptr<Step> makeLanguageStep(const StepConfig& config)
{
    return std::make_unique<LanguageStep>(config);
}

} // namespace cleaning

} // namespace rlhf::data
