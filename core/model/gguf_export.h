// A checkpoint (a Hugging Face model folder) as one GGUF file that llama.cpp, Ollama and LM
// Studio run: the architecture's metadata, the tokenizer (model/gguf_vocab.h) and chat template,
// and every tensor under llama.cpp's name in f32, f16, bf16 or q8_0, chosen per tensor as
// llama.cpp's convert_hf_to_gguf.py does. Architectures: llama (mistral as llama), qwen2, qwen3,
// gpt2. Streams one tensor at a time from the mapped safetensors; what llama.cpp would compute
// differently (YaRN rope, biases it has no tensor for) is an error, never a silently wrong file.
#pragma once

#include "core/model/gguf_vocab.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace rlhf::model {

// general.file_type: the type of the 2-D weights. Norms, biases and position embeddings stay
// f32; a q8_0 weight whose rows are not whole 32-value blocks falls back to f16.
enum class GgufFileType { F32, F16, Bf16, Q8_0 };
GgufFileType ggufFileTypeFromName(const std::string& name); // "f32", "f16", "bf16", "q8_0"

struct GgufExportOptions {
    GgufFileType type = GgufFileType::F16;
    // tokenizer.chat_template (Jinja), e.g. the folder's own; empty: the studio's own
    // (studioChatTemplateJinja) when the tokenizer has the studio's chat tokens, else none.
    std::string chatTemplate;
    std::string name; // general.name; empty: the folder's name
    // Called after each tensor is written: (tensors done, total, the GGUF name just written).
    std::function<void(int64_t, int64_t, const std::string&)> progress;
};

struct GgufExportResult {
    std::string architecture;                 // "llama", "qwen2", "qwen3", "gpt2"
    uint64_t bytes = 0;                       // the file's size
    int64_t tensors = 0;                      //
    std::map<std::string, int64_t> typeCount; // "q8_0" -> how many tensors
    int64_t contextLength = 0;                // as written (cut to a sliding window: see notes)
    GgufVocabSummary vocab;
    bool studioChatTemplate = false; // the studio's template was written
    std::vector<std::string> notes;  // what a user should know, e.g. the context cut
};

// Writes `target` ("<target>.tmp" then renamed). Throws rlhf::Error naming the folder and the
// tensor or field for an unsupported model or a failed write.
GgufExportResult exportGguf(const std::filesystem::path& folder,
                            const std::filesystem::path& target, const GgufExportOptions& options);

} // namespace rlhf::model
