"""What a user would run instead of `rlhf bench pretrain`: a nanoGPT-style GPT-2 in PyTorch 2.x
(nn.Module blocks, fused scaled_dot_product_attention, fused AdamW, bf16 autocast and optionally
torch.compile), timed the same way and printing the same JSON line. Written here for the
comparison, after the shape of Karpathy's nanoGPT model.py; no code taken from it.

Usage: bench_pretrain_nanogpt.py --layers 4 --heads 4 --dim 256 --ctx 256 --vocab 4096 --batch 8
       [--precision fp32|bf16] [--compile] [--device cpu|cuda]"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.ln_1, self.ln_2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.c_attn, self.c_proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.c_fc, self.mlp_proj = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.c_proj(y.transpose(1, 2).reshape(B, T, C))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, vocab, ctx, layers, heads, dim):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, dim), nn.Embedding(ctx, dim)
        self.h = nn.ModuleList(Block(dim, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(dim)
        for p in self.parameters():
            nn.init.normal_(p, 0.0, 0.02) if p.dim() == 2 else nn.init.zeros_(p)

    def forward(self, tokens, targets):
        x = self.wte(tokens) + self.wpe(torch.arange(tokens.size(1), device=tokens.device))
        for block in self.h:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.t()  # tied head
        return F.cross_entropy(logits.float().view(-1, logits.size(-1)), targets.reshape(-1))


parser = argparse.ArgumentParser()
for name, default in [("layers", 4), ("heads", 4), ("dim", 256), ("ctx", 256), ("vocab", 4096),
                      ("batch", 8), ("steps", 20), ("warmup", 3), ("threads", os.cpu_count())]:
    parser.add_argument(f"--{name}", type=int, default=default)
parser.add_argument("--precision", choices=["fp32", "bf16"], default="bf16")
parser.add_argument("--compile", action="store_true")
parser.add_argument("--device", default="cpu")
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
device = torch.device(args.device)
torch.backends.cuda.matmul.allow_tf32 = True

model = Gpt(args.vocab, args.ctx, args.layers, args.heads, args.dim).to(device)
decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "wte" not in n and "wpe" not in n]
other = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "wte" not in n and "wpe" not in n)]
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}],
                              lr=1e-4, betas=(0.9, 0.95), eps=1e-8, fused=True)
step_model = torch.compile(model) if args.compile else model
batch = torch.randint(args.vocab, (args.batch, args.ctx + 1), device=device)
inputs, targets = batch[:, :-1], batch[:, 1:]
times, phases = [], []
for step in range(args.warmup + args.steps):
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16"):
        loss = step_model(inputs, targets)
    forward_done = time.perf_counter()
    loss.backward()
    backward_done = time.perf_counter()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    loss.item()
    if step >= args.warmup:
        end = time.perf_counter()
        times.append(end - start)
        phases.append((forward_done - start, backward_done - forward_done, end - backward_done))
seconds = statistics.median(times)
forward_ms, backward_ms, update_ms = (statistics.median(p[i] for p in phases) * 1e3 for i in range(3))
params = sum(p.numel() for p in model.parameters())
print(json.dumps({"tokens_per_s": args.batch * args.ctx / seconds, "ms_per_step": seconds * 1e3,
                  "forward_ms": forward_ms, "backward_ms": backward_ms, "update_ms": update_ms,
                  "params": params, "threads": torch.get_num_threads(), "torch": torch.__version__,
                  "precision": args.precision, "compile": args.compile, "device": args.device}))
