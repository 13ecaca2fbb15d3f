// The tokenizer.* metadata of a GGUF file, read from a model folder's tokenizer.json (and
// tokenizer_config.json), as llama.cpp's convert_hf_to_gguf.py writes it:
//  - byte-level BPE (GPT-2, Llama 3, Qwen 2/3 and the studio's own): tokenizer.ggml.model
//    "gpt2", the pre-tokenizer's llama.cpp name (from its regex), tokens as tokenizer.json spells
//    them ("Ġthe"), token types, merges "a b";
//  - SentencePiece-style BPE with byte fallback (Llama 2, Mistral v0.1): model "llama", tokens
//    ("▁the", "<0x0A>"), scores that rank each token by the merge that makes it, types with
//    BYTE for "<0xNN>";
// and the bos / eos / padding / unknown ids, add_bos_token / add_eos_token. Read from the JSON
// directly (not core/text), so the file holds exactly the folder's tokenizer. Torch-free.
#pragma once

#include "core/model/gguf_file.h"
#include "core/model/model_config.h"

#include <filesystem>
#include <string>

namespace rlhf::model {

struct GgufVocabSummary {
    std::string model;        // "gpt2" or "llama"
    std::string preTokenizer; // "gpt-2", "llama-bpe", "qwen2"; empty for "llama"
    int64_t tokens = 0;       // = the model's vocab size (missing ids padded as [PADn])
    int64_t merges = 0;
    bool studioTokens = false; // the studio's own chat tokens (<|bos|> ... <|end|>) are present
};

// Adds the tokenizer.ggml.* keys of `folder` to `writer`. Throws rlhf::Error naming the file and
// field for what llama.cpp cannot run the same way (an unknown pre-tokenizer regex, a WordPiece
// or Unigram model, more tokens than the model's embedding rows).
GgufVocabSummary addGgufVocab(GgufWriter& writer, const std::filesystem::path& folder,
                              const ModelConfig& config);

// The studio's chat format (chat/chat_template.h) as a Jinja template for llama.cpp: role token,
// text, <|end|> per message; <|assistant|> opens the reply. <|bos|> comes from add_bos_token.
extern const char* const studioChatTemplateJinja;

} // namespace rlhf::model
