// A checkpoint to talk to: its model, tokenizer and chat template, answering a dialogue with
// the next assistant reply, streamed piece by piece. The arena's two sides, the single-model
// chat and the labeling pane's pair sampler each hold one (one per thread). The header is
// torch-free so Qt code can include it.
#pragma once

#include "core/data/record.h"
#include "core/train/chat_template.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rlhf::train {

// Generation settings of one side, as the arena shows them.
struct ChatSettings {
    float temperature = 0.8f;       // 0: greedy
    int64_t topK = 40;              // 0: off
    float topP = 0.95f;             // 1: off
    float repetitionPenalty = 1.1f; // 1: off
    int64_t maxNewTokens = 128;
    int64_t beams = 1;          // > 1: beam search (no streaming: the reply comes whole)
    double lengthPenalty = 1.0; // beam search only
    uint64_t seed = 1234;
};

nlohmann::json toJson(const ChatSettings& settings);

// Called with each new piece of reply text; return false to stop generating.
using ReplyStream = std::function<bool(const std::string& piece)>;

class ChatModel {
public:
    // Loads `checkpoint` (config.json, model.safetensors, tokenizer.json). Throws rlhf::Error
    // naming the folder and file when something is missing, or the template token the
    // tokenizer lacks.
    explicit ChatModel(const std::filesystem::path& checkpoint, const ChatTemplate& chat = {});
    ~ChatModel();
    ChatModel(ChatModel&&) noexcept;
    ChatModel& operator=(ChatModel&&) noexcept;

    // The next assistant reply to `dialogue` (which ends with a user turn). The dialogue is cut
    // from the front, whole turns at a time, when it leaves no room for maxNewTokens.
    std::string reply(const std::vector<data::Message>& dialogue, const ChatSettings& settings,
                      const ReplyStream& onText = {});

    // `count` sampled replies to the same dialogue, generated as one batch (the labeling pane's
    // pairs: two samples per prompt). Sampling only; beams are ignored.
    std::vector<std::string> replies(const std::vector<data::Message>& dialogue, int64_t count,
                                     const ChatSettings& settings);

    const std::filesystem::path& checkpoint() const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace rlhf::train
