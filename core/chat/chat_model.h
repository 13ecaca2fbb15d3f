// A checkpoint to talk to: its model, tokenizer and chat template, answering a dialogue with
// the next assistant reply, streamed piece by piece. The arena's two sides, the single-model
// chat and the labeling pane's pair sampler each hold one (one per thread). The header is
// torch-free so Qt code can include it.
#pragma once

#include "core/chat/chat_template.h"
#include "core/data/record.h"
#include "core/gen/decode_precision.h"
#include "core/gen/sampling_settings.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rlhf::chat {

// Called with each new piece of reply text; return false to stop generating.
using ReplyStream = std::function<bool(const std::string& piece)>;

class ChatModel {
public:
    // Loads `checkpoint` (config.json, model.safetensors, tokenizer.json) to decode on
    // `setup`'s device in its precision. Throws rlhf::Error naming the folder and file when
    // something is missing, or the template token the tokenizer lacks.
    explicit ChatModel(const std::filesystem::path& checkpoint, const ChatTemplate& chat = {},
                       const gen::DecodeSetup& setup = gen::autoDecodeSetup());
    ~ChatModel();
    ChatModel(ChatModel&&) noexcept;
    ChatModel& operator=(ChatModel&&) noexcept;

    // The next assistant reply to `dialogue` (which ends with a user turn). The dialogue is cut
    // from the front, whole turns at a time, when it leaves no room for maxNewTokens. Every
    // field of `settings` counts.
    std::string reply(const std::vector<data::Message>& dialogue,
                      const gen::SamplingSettings& settings, const ReplyStream& onText = {});

    // `count` sampled replies to the same dialogue, generated as one batch (the labeling pane's
    // pairs: two samples per prompt). Sampling only; beams are ignored.
    std::vector<std::string> replies(const std::vector<data::Message>& dialogue, int64_t count,
                                     const gen::SamplingSettings& settings);

    const std::filesystem::path& checkpoint() const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace rlhf::chat
