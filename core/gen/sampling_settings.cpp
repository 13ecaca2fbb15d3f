// The document form of SamplingSettings (see sampling_settings.h).
#include "core/gen/sampling_settings.h"

#include <nlohmann/json.hpp>

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

} // namespace rlhf::gen
