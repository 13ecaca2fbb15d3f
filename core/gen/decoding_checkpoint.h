// A checkpoint folder loaded for decoding: its Transformer (in eval mode, shared with the other
// decoders of the same weights: shared_model.h; an adapter checkpoint on its base) behind a
// TransformerSource on the chosen device in the chosen precision, and its
// tokenizer.json, checked to fit the model's vocabulary. What CheckpointGenerator and
// chat::ChatModel both start from.
#pragma once

#include "core/gen/decode_precision.h"
#include "core/gen/transformer_source.h"
#include "core/text/tokenizer.h"

#include <filesystem>

namespace rlhf::gen {

struct DecodingCheckpoint {
    text::Tokenizer tokenizer;
    TransformerSource source; // on the setup's device
};

// Throws rlhf::Error naming the folder and the file that is missing or corrupt, or the
// tokenizer that has more tokens than the model.
DecodingCheckpoint loadDecodingCheckpoint(const std::filesystem::path& folder,
                                          const DecodeSetup& setup);

} // namespace rlhf::gen
