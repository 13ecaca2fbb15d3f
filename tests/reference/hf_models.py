"""Hugging Face transformers as the reference for test_hf_models: builds small random models of
each family the studio loads, saves them with save_pretrained, and reports what transformers
computes from them; and reads back the folders the studio saved.

  hf_models.py make DIR    one folder per case under DIR, and DIR/reference.json
  hf_models.py check DIR   loads every DIR/saved-*/ in transformers: DIR/saved.json

Each report holds, per case, the parameter count, the fp32 logits at the last position of PROMPT, 32 greedy tokens
(argmax of a full forward each step, no cache), and the mean next-token loss over the tokens
that MASK marks (an SFT loss on the response). Run with the .torch/ Python (PyPI torch and
transformers)."""
import json
import os
import sys

import torch
import transformers as T

PROMPT = [5, 17, 42, 99, 3, 250, 8, 61, 130, 7, 77, 12, 200, 33, 1, 150]
MASK = [0] * 8 + [1] * 8  # loss on the targets of positions 8.. (the "response")
GREEDY = 32

common = dict(vocab_size=300, max_position_embeddings=128, initializer_range=0.2)
llama_shape = dict(num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                   hidden_size=64, intermediate_size=96, **common)

CASES = {
    "gpt2": (T.GPT2Config, dict(n_layer=2, n_head=4, n_embd=64, n_positions=128, vocab_size=300,
                                 initializer_range=0.2, bos_token_id=0, eos_token_id=0), {}),
    "llama-llama3": (T.LlamaConfig, dict(rope_parameters=dict(
        rope_type="llama3", rope_theta=500000.0, factor=8.0, low_freq_factor=1.0,
        high_freq_factor=4.0, original_max_position_embeddings=32), **llama_shape), {}),
    "llama-linear-bias-tied": (T.LlamaConfig, dict(
        rope_parameters=dict(rope_type="linear", rope_theta=10000.0, factor=2.0),
        attention_bias=True, tie_word_embeddings=True, **llama_shape), {}),
    "llama-yarn": (T.LlamaConfig, dict(rope_parameters=dict(
        rope_type="yarn", rope_theta=10000.0, factor=4.0, original_max_position_embeddings=32),
        **llama_shape), {}),
    "llama-dynamic": (T.LlamaConfig, dict(rope_parameters=dict(
        rope_type="dynamic", rope_theta=10000.0, factor=2.0), **llama_shape), {}),
    "mistral-window": (T.MistralConfig, dict(sliding_window=8, **llama_shape), {}),
    "qwen2-window": (T.Qwen2Config, dict(use_sliding_window=True, sliding_window=8,
                                         max_window_layers=1, **llama_shape), {}),
    "qwen3": (T.Qwen3Config, dict(head_dim=32, **llama_shape), {}),
    "qwen2-bf16-sharded": (T.Qwen2Config, dict(**llama_shape),
                           dict(dtype=torch.bfloat16, max_shard_size="40KB")),
}


def report(model):
    model.eval()
    with torch.no_grad():
        ids = torch.tensor([PROMPT])
        logits = model(ids).logits[0].float()
        targets = torch.tensor(PROMPT[1:])
        losses = torch.nn.functional.cross_entropy(logits[:-1], targets, reduction="none")
        mask = torch.tensor(MASK[1:], dtype=torch.float32)
        loss = float((losses * mask).sum() / mask.sum())
        tokens = list(PROMPT)
        for _ in range(GREEDY):
            step = model(torch.tensor([tokens])).logits[0, -1]
            tokens.append(int(step.argmax()))
    return {"last_logits": logits[-1].tolist(), "greedy": tokens[len(PROMPT):], "sft_loss": loss,
            "parameters": sum(p.numel() for p in model.parameters())}


def load(folder):
    return T.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32,
                                                  attn_implementation="eager")


def make(root):
    reference = {"prompt": PROMPT, "mask": MASK, "cases": {}}
    for name, (config_class, fields, save) in CASES.items():
        torch.manual_seed(0)
        model = T.AutoModelForCausalLM.from_config(config_class(**fields),
                                                   attn_implementation="eager")
        folder = os.path.join(root, name)
        dtype = save.pop("dtype", None)
        if dtype is not None:
            model = model.to(dtype)
        model.save_pretrained(folder, **save)
        reference["cases"][name] = report(load(folder))  # as the saved weights round it
    with open(os.path.join(root, "reference.json"), "w") as out:
        json.dump(reference, out)


def check(root):
    saved = {}
    for entry in sorted(os.listdir(root)):
        if entry.startswith("saved-"):
            saved[entry] = report(load(os.path.join(root, entry)))
    with open(os.path.join(root, "saved.json"), "w") as out:
        json.dump(saved, out)


CHATML = ("{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + "
          "message.content + '<|im_end|>' + '\\n' }}{%- endfor %}"
          "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}")


def chat(root):
    """A Qwen2-shaped model as the Hub has them: with a byte-level BPE tokenizer (trained here on
    Debian's fortunes, HF tokenizers) and a ChatML chat template in tokenizer_config.json."""
    import glob
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    folder = os.path.join(root, "qwen2-chat")
    os.makedirs(folder)
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    texts = [open(path, encoding="utf-8", errors="replace").read()
             for path in sorted(glob.glob("/usr/share/games/fortunes/*.u8"))[:4]]
    bpe.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=600, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    bpe.save(os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as out:
        json.dump({"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
                   "chat_template": CHATML}, out)
    torch.manual_seed(0)
    shape = dict(llama_shape, vocab_size=bpe.get_vocab_size(), eos_token_id=2)
    T.AutoModelForCausalLM.from_config(T.Qwen2Config(**shape)).save_pretrained(folder)


if __name__ == "__main__":
    torch.set_num_threads(os.cpu_count())
    {"make": make, "check": check, "chat": chat}[sys.argv[1]](sys.argv[2])
