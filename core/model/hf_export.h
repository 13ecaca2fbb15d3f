// A checkpoint as a plain Hugging Face model folder: config.json, the weights in the dtype asked
// for (sharded as transformers does), and the tokenizer and chat-template files; without the
// training state (optimizer, trainer_state.json, stage extras). Written to "<target>.tmp", then
// renamed.
#pragma once

#include <filesystem>
#include <string>

namespace rlhf::model {

// `dtype`: "float32", "bfloat16" or "float16". `target` must not exist yet. Returns the bytes
// of the weight files.
uint64_t exportHfFolder(const std::filesystem::path& folder, const std::filesystem::path& target,
                        const std::string& dtype);

} // namespace rlhf::model
