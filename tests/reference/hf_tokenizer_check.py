#!/usr/bin/env python3
"""Reference side of tests/core/test_tokenizer_hf.cpp: Hugging Face `tokenizers` encodes and decodes.

Usage: hf_tokenizer_check.py JOB_JSON OUT_JSON

JOB_JSON is one of
  {"train": {"corpus": FILE, "outDir": DIR, "vocabSize": N}}
      trains tiny byte-level BPE tokenizers with the HF library itself (a GPT-2 style and a
      Llama 3 style one) and writes DIR/<name>.json, plus the GPT-2 one rewritten the way the
      original gpt2 tokenizer.json on the Hub is written; OUT_JSON lists {"name", "path"}.
  {"tokenizers": [PATH...], "texts": [HEX...], "decodeIds": [[ID...]...]}
      loads each tokenizer.json with Tokenizer.from_file and reports, per tokenizer, for every
      text (hex of its bytes, decoded as UTF-8 with errors="replace", as Python hands HF text):
      ids with special tokens parsed and with encode_special_tokens (specials as text), and the
      decoding of those ids with and without special tokens; and the decoding of each raw id list.
  {"classes": [PATTERN...], "codePoints": [[FIRST, LAST]...]}
      for each regex, the code points of those ranges (surrogates left out) that it matches as
      one character in HF's regex engine (Oniguruma), as [first, last] ranges.
"""
import json
import sys

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                  r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def train(job):
    with open(job["corpus"], encoding="utf-8", errors="replace") as corpus:
        lines = corpus.read().splitlines()
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    made = []

    # GPT-2 style: one ByteLevel pre-tokenizer with its built-in regex and a prefix space.
    gpt2 = Tokenizer(models.BPE())
    gpt2.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    gpt2.decoder = decoders.ByteLevel()
    gpt2.train_from_iterator(lines, trainers.BpeTrainer(
        vocab_size=job["vocabSize"], special_tokens=["<|endoftext|>"], initial_alphabet=alphabet,
        show_progress=False))
    made.append(("hf_gpt2", gpt2))

    # Llama 3 style: Split(regex) then ByteLevel without regex, ignore_merges, special tokens
    # added after training (ids after the model's vocabulary), one with lstrip/rstrip, and a
    # non-special added token.
    llama = Tokenizer(models.BPE(ignore_merges=True))
    llama.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    llama.decoder = decoders.ByteLevel()
    llama.train_from_iterator(lines, trainers.BpeTrainer(
        vocab_size=job["vocabSize"], initial_alphabet=alphabet, show_progress=False))
    llama.add_special_tokens(["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>",
                              AddedToken("<mask>", lstrip=True, rstrip=True, special=True)])
    llama.add_tokens([AddedToken("Debian GNU", special=False)])
    made.append(("hf_llama3", llama))

    result = []
    for name, tokenizer in made:
        path = f"{job['outDir']}/{name}.json"
        tokenizer.save(path)
        result.append({"name": name, "path": path})

    # The older layout of real files (e.g. gpt2 on the Hub): merges as "a b" strings, no
    # use_regex field, empty-string prefixes, a special token with normalized true.
    with open(result[0]["path"], encoding="utf-8") as file:
        legacy = json.load(file)
    legacy["model"]["merges"] = [" ".join(pair) for pair in legacy["model"]["merges"]]
    legacy["model"]["continuing_subword_prefix"] = ""
    legacy["model"]["end_of_word_suffix"] = ""
    for key in ("ignore_merges", "byte_fallback"):
        del legacy["model"][key]
    del legacy["pre_tokenizer"]["use_regex"]
    legacy["added_tokens"][0]["normalized"] = True
    path = f"{job['outDir']}/hf_gpt2_legacy.json"
    with open(path, "w", encoding="utf-8") as file:
        json.dump(legacy, file)
    result.append({"name": "hf_gpt2_legacy", "path": path})
    return result


def classes(patterns, universe):
    code_points = [c for first, last in universe for c in range(first, last + 1)
                   if not 0xD800 <= c <= 0xDFFF]
    everything = "".join(map(chr, code_points))
    result = []
    for pattern in patterns:
        # Runs, not single characters: far fewer splits for HF to build.
        runs = pre_tokenizers.Split(Regex(f"(?:{pattern})+"), behavior="removed")
        kept = runs.pre_tokenize_str(everything)
        ranges = []
        start = 0  # matched characters lie between the kept (unmatched) pieces
        for _, (begin, end) in kept + [("", (len(everything), len(everything)))]:
            for c in code_points[start:begin]:
                if ranges and ranges[-1][1] == c - 1:
                    ranges[-1][1] = c
                else:
                    ranges.append([c, c])
            start = end
        result.append(ranges)
    return {"classes": result}


def check(job):
    texts = [bytes.fromhex(text).decode("utf-8", errors="replace") for text in job["texts"]]
    results = []
    for path in job["tokenizers"]:
        tokenizer = Tokenizer.from_file(path)
        tokenizer.encode_special_tokens = False
        parsed = [encoding.ids for encoding in
                  tokenizer.encode_batch(texts, add_special_tokens=False)]
        tokenizer.encode_special_tokens = True
        as_text = [encoding.ids for encoding in
                   tokenizer.encode_batch(texts, add_special_tokens=False)]
        results.append({
            "path": path,
            "encode": parsed,
            "encodeAsText": as_text,
            "decoded": tokenizer.decode_batch(parsed, skip_special_tokens=False),
            "decodedSkip": tokenizer.decode_batch(parsed, skip_special_tokens=True),
            "decodeIds": tokenizer.decode_batch(job["decodeIds"], skip_special_tokens=False),
        })
    return {"tokenizersVersion": tokenizers.__version__, "results": results}


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        job = json.load(file)
    if "train" in job:
        output = train(job["train"])
    elif "classes" in job:
        output = classes(job["classes"], job["codePoints"])
    else:
        output = check(job)
    with open(sys.argv[2], "w", encoding="utf-8") as file:
        json.dump(output, file)


if __name__ == "__main__":
    main()
