// Why a generated sequence (a row of generate() or a beam search hypothesis) ended.
// Torch-free, so callers can switch on it without pulling in ATen.
#pragma once

namespace rlhf::gen {

enum class FinishReason {
    Length,       // reached maxNewTokens, or the model's context (maxPositions) is full
    Eos,          // drew an end-of-sequence token (not part of the output)
    StopSequence, // its last tokens matched a stop token sequence (removed from the output)
    StopText,     // its text contained a stop string (cut from the output with all after it)
    Callback,     // the streaming callback asked to stop
};

// "length", "eos", "stop-sequence", "stop-text" or "callback", e.g. for logs and run records.
inline const char* finishReasonName(FinishReason reason)
{
    switch (reason) {
    case FinishReason::Length:
        return "length";
    case FinishReason::Eos:
        return "eos";
    case FinishReason::StopSequence:
        return "stop-sequence";
    case FinishReason::StopText:
        return "stop-text";
    case FinishReason::Callback:
        return "callback";
    }
    return "unknown";
}

} // namespace rlhf::gen
