// Reading and writing Hugging Face tokenizer.json for BPE: our own files and real ones, byte-level
// (GPT-2 style ByteLevel pre-tokenizer, Llama 3 style Sequence[Split, ByteLevel]) and SentencePiece
// style (Llama 2 / Mistral / Gemma: Prepend and Replace normalizers or Metaspace, byte fallback,
// the Replace/ByteFallback/Fuse/Strip or Metaspace decoder). Anything we could not encode exactly
// like HF (NFKC, dropout, a Unigram model, ...) is refused, naming the field.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/text/tokenizer.h"

namespace rlhf::text {

// Loads a tokenizer.json. Throws rlhf::Error naming the file and the field, e.g.
// "/p/tokenizer.json: model.merges[12]: unknown token 'xy'".
Tokenizer loadTokenizerJson(const std::filesystem::path& file);

// Writes `tokenizer` as tokenizer.json (vocab in id order, merges as [left, right] pairs, as
// tokenizers 0.21 writes them). Writes a temporary file and renames it, so a crash never
// leaves half a file. Throws rlhf::Error on I/O failure.
void saveTokenizerJson(const Tokenizer& tokenizer, const std::filesystem::path& file);

// The same from and to text; `sourceName` starts error messages.
Tokenizer tokenizerFromJson(std::string_view json, const std::string& sourceName);
std::string tokenizerToJson(const Tokenizer& tokenizer);

} // namespace rlhf::text
