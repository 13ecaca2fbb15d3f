// Supervised fine-tuning: next-token loss on the assistant turns of chat dialogues only (the
// chat template marks them), right-padded batches of similar lengths, validation loss and
// perplexity on the validation split's responses.
#pragma once

#include "core/data/record.h"
#include "core/train/finetune_config.h"
#include "core/train/stage_observer.h"

#include <vector>

namespace rlhf::text {
class Tokenizer;
}

namespace rlhf::train {

// Its document has only the shared fine-tuning fields: fineTuneConfigFromJson(.., Sft).
struct ChatData {
    const text::Tokenizer& tokenizer;
    std::vector<data::Record> train; // chat records
    std::vector<data::Record> val;   // may be empty: no validation
};

// Paths in `config` are absolute here. Checkpoints go to run.checkpointRoot/step-NNNNNN.
StageResult runSft(const FineTuneConfig& config, const ChatData& data, const RunContext& run);

} // namespace rlhf::train
