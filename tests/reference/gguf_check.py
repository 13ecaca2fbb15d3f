"""The reference for test_gguf_export: small random Hugging Face models with small trained
byte-level BPE tokenizers, and an independent check of the GGUF files `rlhf export` writes from
them, with llama.cpp's own tools: gguf-py (PyPI gguf) reads the file, and llama.cpp itself
(llama-cpp-python) runs it.

  gguf_check.py make DIR    one model folder per case under DIR
  gguf_check.py check DIR   checks every DIR/<case>-<type>.gguf against DIR/<case>/: DIR/check.json

What check compares, per file:
  - metadata: every key llama.cpp reads for the architecture, recomputed here from config.json
    (counts, eps, rope base / dims / linear scaling, file type, alignment) and the tokenizer
    (tokens padded to the embedding rows with [PADn], token types, merges, bos / eos / pad ids,
    add_bos_token, the chat template; for the SentencePiece-style case: model "llama", BYTE and
    UNKNOWN types, add_space_prefix, unk id; its scores are checked by llama.cpp tokenizing);
  - tensors: names, ggml shapes and types as convert_hf_to_gguf.py chooses them, and the bytes of
    every tensor equal to gguf-py's own quantize() of the HF weight (after the Q/K permutation
    for llama, the Conv1D transpose for gpt2): f32 / f16 / bf16 and q8_0 blocks bit for bit;
    rope_freqs for Llama 3.1 scaling against the converter's formula;
  - llama.cpp: the prompt's tokens equal the HF tokenizer's, and the last-position logits of
    llama.cpp against transformers' fp32 logits (max |difference|).
Run with the .torch/ Python (PyPI torch, transformers, gguf, llama-cpp-python)."""
import json
import math
import os
import re
import sys

import numpy as np
import torch
import transformers as T
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

import gguf

GPT2_REGEX = None  # ByteLevel(use_regex=True)
LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+"
                r"[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+"
               r"[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
CORPUS = ["The quick brown fox jumps over the lazy dog. " * 3,
          "Hello world! How are you today? I am fine, thank you.",
          "In 2024 there were 12345 numbers, 42 answers and 7 questions.",
          "def add(a, b):\n    return a + b\n\nprint(add(2, 3))\n",
          "Reinforcement learning from human feedback trains a reward model."] * 4
PROMPT = "Hello world! The fox answers 42 questions.\n  def quick(dog): return 7"

LLAMA3_TEMPLATE = ("{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + "
                   "'<|end_header_id|>\n\n' + m['content'] + '<|eot_id|>' }}{% endfor %}"
                   "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")
CHATML_TEMPLATE = ("{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + "
                   "'<|im_end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
STUDIO = ["<|bos|>", "<|eos|>", "<|pad|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]

common = dict(vocab_size=300, max_position_embeddings=128, initializer_range=0.2)
llama_shape = dict(num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                   hidden_size=64, intermediate_size=96, **common)

# case: (config class, fields, tokenizer: (regex, special tokens, bos, eos, pad, post-processor
# BOS, chat template or None))
CASES = {
    "llama-llama3": (T.LlamaConfig, dict(rope_parameters=dict(
        rope_type="llama3", rope_theta=500000.0, factor=8.0, low_freq_factor=1.0,
        high_freq_factor=4.0, original_max_position_embeddings=32), bos_token_id=0,
        eos_token_id=1, **llama_shape),
        (LLAMA3_REGEX, ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                        "<|end_header_id|>", "<|eot_id|>"],
         "<|begin_of_text|>", "<|eot_id|>", None, True, LLAMA3_TEMPLATE)),
    "llama-linear-bias": (T.LlamaConfig, dict(
        rope_parameters=dict(rope_type="linear", rope_theta=10000.0, factor=2.0),
        attention_bias=True, tie_word_embeddings=True, **llama_shape),
        (LLAMA3_REGEX, ["<|begin_of_text|>", "<|end_of_text|>"], "<|begin_of_text|>",
         "<|end_of_text|>", None, True, None)),
    "qwen2": (T.Qwen2Config, dict(**llama_shape),
              (QWEN2_REGEX, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], None, "<|im_end|>",
               "<|endoftext|>", False, CHATML_TEMPLATE)),
    "qwen3": (T.Qwen3Config, dict(head_dim=32, **llama_shape),
              (QWEN2_REGEX, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], None, "<|im_end|>",
               "<|endoftext|>", False, CHATML_TEMPLATE)),
    "llama-spm": (T.LlamaConfig, dict(llama_shape, vocab_size=400, bos_token_id=1, eos_token_id=2),
                  ("spm", ["<unk>", "<s>", "</s>"], "<s>", "</s>", None, True, None)),
    "gpt2-studio": (T.GPT2Config, dict(n_layer=2, n_head=4, n_embd=64, n_positions=128,
                                       vocab_size=300, initializer_range=0.2, bos_token_id=0,
                                       eos_token_id=1, pad_token_id=2),
                    (GPT2_REGEX, STUDIO, "<|bos|>", "<|eos|>", "<|pad|>", False, None)),
}


def make_spm_tokenizer(folder, specials):
    """SentencePiece-style BPE as Llama 2's tokenizer.json: "▁" for spaces (Metaspace), BPE over
    characters, <0xNN> byte tokens for the rest (byte_fallback), <unk> <s> </s> first."""
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first",
                                                       split=False)
    tokenizer.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(),
                                           decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    trainer = trainers.BpeTrainer(vocab_size=120, special_tokens=specials, show_progress=False)
    tokenizer.train_from_iterator(CORPUS, trainer)
    data = json.loads(tokenizer.to_str())
    trained = sorted(data["model"]["vocab"].items(), key=lambda item: item[1])
    vocab = {t: i for i, t in enumerate(specials)}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for token, _ in trained:
        if token not in vocab:
            vocab[token] = len(vocab)
    data["model"]["vocab"] = vocab
    for entry in data["added_tokens"]:
        entry["id"] = vocab[entry["content"]]
    data["post_processor"] = {"type": "TemplateProcessing",
                              "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                         {"Sequence": {"id": "A", "type_id": 0}}],
                              "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                       {"Sequence": {"id": "A", "type_id": 0}},
                                       {"Sequence": {"id": "B", "type_id": 1}}],
                              "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
    with open(os.path.join(folder, "tokenizer.json"), "w") as out:
        json.dump(data, out, ensure_ascii=False)


def make_tokenizer(folder, regex, specials, bos, eos, pad, post_bos, template):
    if regex == "spm":
        make_spm_tokenizer(folder, specials)
        write_tokenizer_config(folder, bos, eos, pad, template)
        return
    tokenizer = Tokenizer(models.BPE())
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=regex is None)
    tokenizer.pre_tokenizer = byte_level if regex is None else pre_tokenizers.Sequence(
        [pre_tokenizers.Split(Regex(regex), behavior="isolated", invert=False), byte_level])
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=290, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(CORPUS, trainer)
    if post_bos:
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A {bos} $B",
            special_tokens=[(bos, tokenizer.token_to_id(bos))])
    tokenizer.save(os.path.join(folder, "tokenizer.json"))
    write_tokenizer_config(folder, bos, eos, pad, template)


def write_tokenizer_config(folder, bos, eos, pad, template):
    config = {"tokenizer_class": "PreTrainedTokenizerFast"}
    for key, token in (("bos_token", bos), ("eos_token", eos), ("pad_token", pad)):
        if token is not None:
            config[key] = token
    if template is not None:
        config["chat_template"] = template
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as out:
        json.dump(config, out)


def make(root):
    for name, (config_class, fields, tokenizer) in CASES.items():
        torch.manual_seed(0)
        model = T.AutoModelForCausalLM.from_config(config_class(**fields),
                                                   attn_implementation="eager")
        folder = os.path.join(root, name)
        model.save_pretrained(folder)
        make_tokenizer(folder, *tokenizer)


# --- what the GGUF should hold -------------------------------------------------------------

def permute(weights, n_head):  # HF rotate-half rows -> llama.cpp's adjacent pairs
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def expected_tensors(model, arch):
    """GGUF name -> fp32 numpy array in llama.cpp's layout, from the HF state dict."""
    config = model.config
    state = {k: v.float() for k, v in model.state_dict().items()}
    out = {}
    if arch == "gpt2":
        out["token_embd.weight"] = state["transformer.wte.weight"]
        out["position_embd.weight"] = state["transformer.wpe.weight"]
        for i in range(config.n_layer):
            h = f"transformer.h.{i}."
            for gg, hf, transpose in (("attn_norm", "ln_1", False), ("attn_qkv", "attn.c_attn", True),
                                      ("attn_output", "attn.c_proj", True), ("ffn_norm", "ln_2", False),
                                      ("ffn_up", "mlp.c_fc", True), ("ffn_down", "mlp.c_proj", True)):
                w = state[h + hf + ".weight"]
                out[f"blk.{i}.{gg}.weight"] = w.T if transpose else w
                out[f"blk.{i}.{gg}.bias"] = state[h + hf + ".bias"]
        out["output_norm.weight"] = state["transformer.ln_f.weight"]
        out["output_norm.bias"] = state["transformer.ln_f.bias"]
    else:
        out["token_embd.weight"] = state["model.embed_tokens.weight"]
        names = (("attn_norm", "input_layernorm"), ("attn_q", "self_attn.q_proj"),
                 ("attn_k", "self_attn.k_proj"), ("attn_v", "self_attn.v_proj"),
                 ("attn_output", "self_attn.o_proj"), ("ffn_norm", "post_attention_layernorm"),
                 ("ffn_gate", "mlp.gate_proj"), ("ffn_up", "mlp.up_proj"),
                 ("ffn_down", "mlp.down_proj"), ("attn_q_norm", "self_attn.q_norm"),
                 ("attn_k_norm", "self_attn.k_norm"))
        for i in range(config.num_hidden_layers):
            for gg, hf in names:
                for suffix in (".weight", ".bias"):
                    key = f"model.layers.{i}.{hf}{suffix}"
                    if key not in state:
                        continue
                    w = state[key]
                    if arch == "llama" and gg == "attn_q":
                        w = permute(w, config.num_attention_heads)
                    if arch == "llama" and gg == "attn_k":
                        w = permute(w, config.num_key_value_heads)
                    out[f"blk.{i}.{gg}{suffix}"] = w
        out["output_norm.weight"] = state["model.norm.weight"]
    if not config.tie_word_embeddings:
        out["output.weight"] = state["lm_head.weight"]
    rope = getattr(config, "rope_parameters", None) or {}
    if rope.get("rope_type") == "llama3":
        out["rope_freqs.weight"] = llama3_factors(config, rope)
    return {k: np.ascontiguousarray((v.numpy() if isinstance(v, torch.Tensor) else v), np.float32)
            for k, v in out.items()}


def llama3_factors(config, rope):  # convert_hf_to_gguf's LlamaModel.generate_extra_tensors
    dim = config.hidden_size // config.num_attention_heads
    freqs = 1.0 / (rope["rope_theta"] ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    old = rope["original_max_position_embeddings"]
    low, high = old / rope["low_freq_factor"], old / rope["high_freq_factor"]
    factors = []
    for freq in freqs:
        wavelen = 2 * math.pi / freq
        if wavelen < high:
            factors.append(1)
        elif wavelen > low:
            factors.append(rope["factor"])
        else:
            smooth = (old / wavelen - rope["low_freq_factor"]) / (rope["high_freq_factor"] - rope["low_freq_factor"])
            factors.append(1 / ((1 - smooth) / rope["factor"] + smooth))
    return np.array(factors, dtype=np.float32)


FILE_TYPES = {"f32": (0, gguf.GGMLQuantizationType.F32), "f16": (1, gguf.GGMLQuantizationType.F16),
              "q8_0": (7, gguf.GGMLQuantizationType.Q8_0), "bf16": (32, gguf.GGMLQuantizationType.BF16)}


def expected_type(name, data, file_type):  # convert_hf_to_gguf's choice per tensor
    qtype = FILE_TYPES[file_type][1]
    if (data.ndim == 1 or name.endswith("_norm.weight") or name.startswith("position_embd")
            or file_type == "f32" or not name.endswith(".weight")):
        return gguf.GGMLQuantizationType.F32
    if qtype == gguf.GGMLQuantizationType.Q8_0 and data.shape[-1] % 32 != 0:
        return gguf.GGMLQuantizationType.F16
    return qtype


def field(reader, key):
    f = reader.fields.get(key)
    if f is None:
        return None
    if f.types[0] == gguf.GGUFValueType.ARRAY:
        if f.types[1] == gguf.GGUFValueType.STRING:
            return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
        return [f.parts[i][0].item() for i in f.data]
    if f.types[0] == gguf.GGUFValueType.STRING:
        return bytes(f.parts[f.data[0]]).decode("utf-8")
    return f.parts[f.data[0]][0].item()


def field_type(reader, key):
    return reader.fields[key].types[0]


def expected_metadata(model, arch, file_type, folder):
    c = model.config
    U32, F32 = gguf.GGUFValueType.UINT32, gguf.GGUFValueType.FLOAT32
    m = {"general.architecture": (arch, gguf.GGUFValueType.STRING),
         "general.file_type": (FILE_TYPES[file_type][0], U32),
         "general.alignment": (32, U32),
         f"{arch}.block_count": (c.num_hidden_layers, U32),
         f"{arch}.context_length": (c.max_position_embeddings, U32),
         f"{arch}.embedding_length": (c.hidden_size, U32),
         f"{arch}.attention.head_count": (c.num_attention_heads, U32)}
    if arch == "gpt2":
        m[f"{arch}.feed_forward_length"] = (c.n_inner or 4 * c.hidden_size, U32)
        m[f"{arch}.attention.layer_norm_epsilon"] = (c.layer_norm_epsilon, F32)
    else:
        head_dim = getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads
        rope = c.rope_parameters
        m.update({f"{arch}.feed_forward_length": (c.intermediate_size, U32),
                  f"{arch}.attention.head_count_kv": (c.num_key_value_heads, U32),
                  f"{arch}.attention.key_length": (head_dim, U32),
                  f"{arch}.attention.value_length": (head_dim, U32),
                  f"{arch}.attention.layer_norm_rms_epsilon": (c.rms_norm_eps, F32),
                  f"{arch}.rope.freq_base": (rope["rope_theta"], F32),
                  f"{arch}.rope.dimension_count": (head_dim, U32)})
        if rope.get("rope_type") == "linear":
            m[f"{arch}.rope.scaling.type"] = ("linear", gguf.GGUFValueType.STRING)
            m[f"{arch}.rope.scaling.factor"] = (rope["factor"], F32)
    # the tokenizer, from tokenizer.json itself
    with open(os.path.join(folder, "tokenizer.json")) as f:
        tj = json.load(f)
    with open(os.path.join(folder, "tokenizer_config.json")) as f:
        tc = json.load(f)
    ids = dict(tj["model"]["vocab"])
    added = {t["id"]: t for t in tj["added_tokens"]}
    for t in tj["added_tokens"]:
        ids[t["content"]] = t["id"]
    by_id = {i: t for t, i in ids.items()}
    tokens, types = [], []
    for i in range(c.vocab_size):
        if i not in by_id:
            tokens.append(f"[PAD{i}]"), types.append(4)
        else:
            tokens.append(by_id[i]), types.append(3 if i in added and added[i]["special"] else 1)
    merges = [" ".join(x) if isinstance(x, list) else x for x in tj["model"]["merges"]]
    if tj["model"].get("byte_fallback"):  # SentencePiece style: llama.cpp's "llama" model
        unk = tj["model"].get("unk_token")
        types = [6 if re.fullmatch(r"<0x[0-9A-F]{2}>", t) else 2 if t == unk else ty
                 for t, ty in zip(tokens, types)]
        m["tokenizer.ggml.model"] = ("llama", gguf.GGUFValueType.STRING)
        m["tokenizer.ggml.tokens"] = (tokens, gguf.GGUFValueType.ARRAY)
        m["tokenizer.ggml.token_type"] = (types, gguf.GGUFValueType.ARRAY)
        m["tokenizer.ggml.add_space_prefix"] = (True, gguf.GGUFValueType.BOOL)
        m["tokenizer.ggml.scores"] = (None, gguf.GGUFValueType.ARRAY)  # checked by tokenizing
        m["tokenizer.ggml.add_bos_token"] = (True, gguf.GGUFValueType.BOOL)
        m["tokenizer.ggml.bos_token_id"] = (ids[tc["bos_token"]], U32)
        m["tokenizer.ggml.eos_token_id"] = (ids[tc["eos_token"]], U32)
        m["tokenizer.ggml.unknown_token_id"] = (ids[unk], U32)
        return m
    m["tokenizer.ggml.model"] = ("gpt2", gguf.GGUFValueType.STRING)
    pre = tj["pre_tokenizer"]
    regex = pre["pretokenizers"][0]["pattern"]["Regex"] if pre["type"] == "Sequence" else None
    m["tokenizer.ggml.pre"] = ({None: "gpt-2", LLAMA3_REGEX: "llama-bpe", QWEN2_REGEX: "qwen2"}[regex],
                               gguf.GGUFValueType.STRING)
    m["tokenizer.ggml.tokens"] = (tokens, gguf.GGUFValueType.ARRAY)
    m["tokenizer.ggml.token_type"] = (types, gguf.GGUFValueType.ARRAY)
    m["tokenizer.ggml.merges"] = (merges, gguf.GGUFValueType.ARRAY)
    for key, name in (("bos_token", "bos_token_id"), ("eos_token", "eos_token_id"),
                      ("pad_token", "padding_token_id")):
        if key in tc:
            m[f"tokenizer.ggml.{name}"] = (ids[tc[key]], U32)
    studio = all(t in ids for t in STUDIO)
    add_bos = tj.get("post_processor") is not None or studio
    m["tokenizer.ggml.add_bos_token"] = (add_bos, gguf.GGUFValueType.BOOL)
    if studio:
        m["tokenizer.ggml.eot_token_id"] = (ids["<|end|>"], U32)
    if "chat_template" in tc:
        m["tokenizer.chat_template"] = (tc["chat_template"], gguf.GGUFValueType.STRING)
    elif studio:
        m["tokenizer.chat_template"] = (None, gguf.GGUFValueType.STRING)  # present, any text
    return m


def check_file(path, folder, file_type):
    errors = []
    model = T.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32,
                                                   attn_implementation="eager").eval()
    arch = {"llama": "llama", "mistral": "llama", "qwen2": "qwen2", "qwen3": "qwen3",
            "gpt2": "gpt2"}[model.config.model_type]
    reader = gguf.GGUFReader(path)
    for key, (value, vtype) in expected_metadata(model, arch, file_type, folder).items():
        got = field(reader, key)
        if got is None:
            errors.append(f"metadata {key}: missing")
        elif field_type(reader, key) != vtype:
            errors.append(f"metadata {key}: type {field_type(reader, key).name}, expected {vtype.name}")
        elif value is None:
            pass
        elif isinstance(value, float) and not math.isclose(got, value, rel_tol=1e-6):
            errors.append(f"metadata {key}: {got} expected {value}")
        elif not isinstance(value, float) and got != value:
            errors.append(f"metadata {key}: {str(got)[:80]} expected {str(value)[:80]}")

    expected = expected_tensors(model, arch)
    found = {t.name: t for t in reader.tensors}
    if set(found) != set(expected):
        errors.append(f"tensors: extra {sorted(set(found) - set(expected))}, "
                      f"missing {sorted(set(expected) - set(found))}")
    for name, data in expected.items():
        if name not in found:
            continue
        t = found[name]
        qtype = expected_type(name, data, file_type)
        if t.tensor_type != qtype:
            errors.append(f"{name}: type {t.tensor_type.name}, expected {qtype.name}")
            continue
        if list(t.shape) != list(reversed(data.shape)):
            errors.append(f"{name}: ggml shape {list(t.shape)}, expected {list(reversed(data.shape))}")
            continue
        want = gguf.quants.quantize(data, qtype)
        if want.view(np.uint8).tobytes() != np.asarray(t.data).view(np.uint8).tobytes():
            errors.append(f"{name}: {qtype.name} bytes differ from gguf-py's quantize()")
    return errors, model


def run_llama_cpp(path, folder, model):
    """Tokens and last-position logits: llama.cpp against the HF tokenizer and transformers."""
    from llama_cpp import Llama
    hf_tokenizer = T.AutoTokenizer.from_pretrained(folder)
    hf_ids = hf_tokenizer(PROMPT)["input_ids"]
    # One token per batch: llama.cpp's batched q8_0 matrix kernels (AMX / repacked) crash on
    # these tiny shapes on this CPU, files written by gguf-py itself included; one at a time
    # runs the same weights through its vector kernels.
    llm = Llama(model_path=path, n_ctx=128, n_batch=1, n_ubatch=1, logits_all=True,
                verbose=False, n_threads=1, seed=0, type_k=0, type_v=0)  # an f32 KV cache
    # The text's own tokens (BOS is add_bos_token's business, checked with the metadata).
    ids = llm.tokenize(PROMPT.encode("utf-8"), add_bos=False, special=True)
    text_ids = hf_tokenizer(PROMPT, add_special_tokens=False)["input_ids"]
    llm.eval(hf_ids)  # the same ids either way, so the logits compare even if tokens differ
    ours = np.array(llm.scores[len(hf_ids) - 1], dtype=np.float64)
    with torch.no_grad():
        theirs = model(torch.tensor([hf_ids])).logits[0, -1].double().numpy()
    del llm
    return {"tokens_equal": ids == text_ids, "llama_cpp_tokens": ids, "hf_tokens": hf_ids,
            "max_logit_diff": float(np.abs(ours - theirs).max()),
            "logit_scale": float(np.abs(theirs).max()),
            "argmax_equal": int(ours.argmax()) == int(theirs.argmax())}


def check(root):
    try:
        import llama_cpp  # noqa: F401
        have_llama_cpp = True
    except ImportError:
        have_llama_cpp = False
    results = {"llama_cpp": have_llama_cpp, "files": {}}
    for entry in sorted(os.listdir(root)):
        if not entry.endswith(".gguf"):
            continue
        case, file_type = entry[:-5].rsplit("-", 1)
        path, folder = os.path.join(root, entry), os.path.join(root, case)
        errors, model = check_file(path, folder, file_type)
        result = {"errors": errors, "bytes": os.path.getsize(path)}
        if have_llama_cpp:
            result.update(run_llama_cpp(path, folder, model))
        results["files"][entry] = result
    with open(os.path.join(root, "check.json"), "w") as out:
        json.dump(results, out, indent=1)


if __name__ == "__main__":
    torch.set_num_threads(os.cpu_count())
    {"make": make, "check": check}[sys.argv[1]](sys.argv[2])
