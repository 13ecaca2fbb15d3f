// The document form of SamplingSettings (see sampling_settings.h).
#include "core/gen/sampling_settings.h"

#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <sstream>

namespace rlhf::gen {

nlohmann::json toJson(const SamplingSettings& settings)
{
    return {{"temperature", settings.temperature},
            {"top_k", settings.topK},
            {"top_p", settings.topP},
            {"repetition_penalty", settings.repetitionPenalty},
            {"max_new_tokens", settings.maxNewTokens},
            {"beams", settings.beams},
            {"length_penalty", settings.lengthPenalty},
            {"seed", settings.seed}};
}

void checkSampling(const SamplingSettings& settings)
{
    auto within = [](const char* field, double value, double low, double high, bool lowOpen) {
        const bool ok =
            std::isfinite(value) && (lowOpen ? value > low : value >= low) && value <= high;
        if (ok) return;
        std::ostringstream message;
        message << field << ": " << value << " is out of range (" << (lowOpen ? "above " : "")
                << low << " to " << high << ")";
        throw Error(message.str());
    };
    within("temperature", settings.temperature, 0, 100, false);
    within("top_k", double(settings.topK), 0, 1e9, false);
    within("top_p", settings.topP, 0, 1, true);
    within("repetition_penalty", settings.repetitionPenalty, 0, 10, true);
    within("max_new_tokens", double(settings.maxNewTokens), 1, 1e6, false);
    within("beams", double(settings.beams), 1, 64, false);
    within("length_penalty", settings.lengthPenalty, -1e3, 1e3, false);
}

} // namespace rlhf::gen
