"""An independent GPT-2 in plain PyTorch (Python), the reference our C++ core is checked and
benchmarked against. Parameter names and layouts are Hugging Face's GPT2LMHeadModel
(Conv1D weights are (in, out)); the lm_head is tied to wte. Also: loading one of our checkpoints
(config.json + model.safetensors) and a KV-cached forward for generation.
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F


class Gpt2:
    def __init__(self, vocab, context, layers, heads, dim, eps=1e-5):
        self.heads, self.dim, self.eps = heads, dim, eps
        p = lambda *shape: torch.empty(*shape, requires_grad=True)
        self.params = {}  # HF name -> leaf tensor
        self.params["transformer.wte.weight"] = p(vocab, dim)
        self.params["transformer.wpe.weight"] = p(context, dim)
        for i in range(layers):
            h = f"transformer.h.{i}."
            for name, shape in [("ln_1.weight", (dim,)), ("ln_1.bias", (dim,)),
                                ("attn.c_attn.weight", (dim, 3 * dim)), ("attn.c_attn.bias", (3 * dim,)),
                                ("attn.c_proj.weight", (dim, dim)), ("attn.c_proj.bias", (dim,)),
                                ("ln_2.weight", (dim,)), ("ln_2.bias", (dim,)),
                                ("mlp.c_fc.weight", (dim, 4 * dim)), ("mlp.c_fc.bias", (4 * dim,)),
                                ("mlp.c_proj.weight", (4 * dim, dim)), ("mlp.c_proj.bias", (dim,))]:
                self.params[h + name] = p(*shape)
        self.params["transformer.ln_f.weight"] = p(dim)
        self.params["transformer.ln_f.bias"] = p(dim)
        self.layers = layers

    def parameters(self):
        return list(self.params.values())

    def __call__(self, tokens):
        P = self.params
        B, T = tokens.shape
        x = P["transformer.wte.weight"][tokens] + P["transformer.wpe.weight"][:T]
        mask = torch.ones(T, T, dtype=torch.bool).triu(1)
        hd = self.dim // self.heads
        for i in range(self.layers):
            h = f"transformer.h.{i}."
            y = F.layer_norm(x, (self.dim,), P[h + "ln_1.weight"], P[h + "ln_1.bias"], self.eps)
            qkv = y @ P[h + "attn.c_attn.weight"] + P[h + "attn.c_attn.bias"]
            q, k, v = (t.view(B, T, self.heads, hd).transpose(1, 2) for t in qkv.split(self.dim, -1))
            att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
            att = att.masked_fill(mask, float("-inf")).softmax(-1)
            y = (att @ v).transpose(1, 2).reshape(B, T, self.dim)
            x = x + y @ P[h + "attn.c_proj.weight"] + P[h + "attn.c_proj.bias"]
            y = F.layer_norm(x, (self.dim,), P[h + "ln_2.weight"], P[h + "ln_2.bias"], self.eps)
            y = F.gelu(y @ P[h + "mlp.c_fc.weight"] + P[h + "mlp.c_fc.bias"], approximate="tanh")
            x = x + y @ P[h + "mlp.c_proj.weight"] + P[h + "mlp.c_proj.bias"]
        x = F.layer_norm(x, (self.dim,), P["transformer.ln_f.weight"], P["transformer.ln_f.bias"], self.eps)
        return x @ P["transformer.wte.weight"].t()


def optimizer_for(model, lr, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1):
    """AdamW with decay on matrices other than embeddings, as core/train/adamw.cpp does."""
    decay, no_decay = [], []
    for name, p in model.params.items():
        (decay if p.dim() >= 2 and "wte" not in name and "wpe" not in name else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps)


def read_safetensors(path):
    data = open(path, "rb").read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", (name, entry["dtype"])
        begin, end = entry["data_offsets"]
        flat = torch.frombuffer(bytearray(body[begin:end]), dtype=torch.float32)
        tensors[name] = flat.reshape(entry["shape"])
    return tensors


def load_gpt2(folder):
    config = json.load(open(os.path.join(folder, "config.json")))
    model = Gpt2(config["vocab_size"], config["n_positions"], config["n_layer"], config["n_head"],
                 config["n_embd"], config.get("layer_norm_epsilon", 1e-5))
    weights = read_safetensors(os.path.join(folder, "model.safetensors"))
    with torch.no_grad():
        for name, p in model.params.items():
            p.copy_(weights[name])
    return model


def hidden(model, tokens, cache=None, start=0):
    """Final-normed hidden states (B, T, dim); `cache` (per layer [k, v] of (B, h, maxT, hd))
    holds positions < start and receives these tokens' keys and values."""
    P, D, H = model.params, model.dim, model.heads
    B, T = tokens.shape
    hd = D // H
    x = P["transformer.wte.weight"][tokens] + P["transformer.wpe.weight"][start:start + T]
    for i in range(model.layers):
        h = f"transformer.h.{i}."
        y = F.layer_norm(x, (D,), P[h + "ln_1.weight"], P[h + "ln_1.bias"], model.eps)
        qkv = y @ P[h + "attn.c_attn.weight"] + P[h + "attn.c_attn.bias"]
        q, k, v = (t.view(B, T, H, hd).transpose(1, 2) for t in qkv.split(D, -1))
        if cache is not None:
            cache[i][0][:, :, start:start + T] = k
            cache[i][1][:, :, start:start + T] = v
            k, v = cache[i][0][:, :, :start + T], cache[i][1][:, :, :start + T]
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)  # (B, h, T, start + T)
        if T > 1:  # a whole sequence (start 0); one new token attends to everything cached
            att = att.masked_fill(torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1),
                                   float("-inf"))
        y = att.softmax(-1) @ v
        x = x + y.transpose(1, 2).reshape(B, T, D) @ P[h + "attn.c_proj.weight"] + P[h + "attn.c_proj.bias"]
        y = F.layer_norm(x, (D,), P[h + "ln_2.weight"], P[h + "ln_2.bias"], model.eps)
        y = F.gelu(y @ P[h + "mlp.c_fc.weight"] + P[h + "mlp.c_fc.bias"], approximate="tanh")
        x = x + y @ P[h + "mlp.c_proj.weight"] + P[h + "mlp.c_proj.bias"]
    return F.layer_norm(x, (D,), P["transformer.ln_f.weight"], P["transformer.ln_f.bias"], model.eps)


def logits_of(model, h):
    return h @ model.params["transformer.wte.weight"].t()
