// Prepend and Replace normalizer steps (see normalizer.h), as HF's normalizers/prepend.rs and
// normalizers/replace.rs apply them to the normalized text.

#include "core/text/normalizer.h"

namespace rlhf::text {

std::string replaceAll(std::string_view text, std::string_view pattern, std::string_view content)
{
    if (pattern.empty()) return std::string(text);
    std::string result;
    result.reserve(text.size() + text.size() / 4);
    std::size_t start = 0;
    for (std::size_t found = text.find(pattern); found != text.npos;
         found = text.find(pattern, start)) {
        result.append(text.substr(start, found - start));
        result.append(content);
        start = found + pattern.size();
    }
    result.append(text.substr(start));
    return result;
}

Normalizer::Normalizer(NormalizerConfig config) : m_config(std::move(config)) {}

std::string Normalizer::normalize(std::string_view text) const
{
    std::string result(text);
    for (const NormalizerStep& step : m_config.steps) {
        if (step.kind == NormalizerStep::Kind::Prepend) {
            if (!result.empty()) result.insert(0, step.content);
        } else {
            result = replaceAll(result, step.pattern, step.content);
        }
    }
    return result;
}

} // namespace rlhf::text
