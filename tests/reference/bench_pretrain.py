"""PyTorch (Python) twin of `rlhf bench pretrain`: the same GPT-2 shape, AdamW, clipping and
timing, printing the same JSON line. Run with Debian's python3-torch on the same machine.
Usage: bench_pretrain.py --layers 4 --heads 4 --dim 256 --ctx 256 --vocab 4096 --batch 8
       [--precision fp32|bf16]"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.nn.functional as F

from gpt2_reference import Gpt2, optimizer_for

parser = argparse.ArgumentParser()
for name, default in [("layers", 4), ("heads", 4), ("dim", 256), ("ctx", 256), ("vocab", 4096),
                      ("batch", 8), ("steps", 20), ("warmup", 3), ("threads", os.cpu_count())]:
    parser.add_argument(f"--{name}", type=int, default=default)
parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
args = parser.parse_args()
torch.set_num_threads(args.threads)

model = Gpt2(args.vocab, args.ctx, args.layers, args.heads, args.dim)
for name, p in model.params.items():
    with torch.no_grad():
        p.normal_(0.0, 0.02) if p.dim() == 2 else p.zero_()
optimizer = optimizer_for(model, 1e-4)
batch = torch.randint(args.vocab, (args.batch, args.ctx + 1))
inputs, targets = batch[:, :-1], batch[:, 1:].reshape(-1)
times = []
for step in range(args.warmup + args.steps):
    start = time.perf_counter()
    optimizer.zero_grad(set_to_none=False)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16"):
        logits = model(inputs)
    loss = F.cross_entropy(logits.float().reshape(-1, args.vocab), targets)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    loss.item()
    if step >= args.warmup:
        times.append(time.perf_counter() - start)
seconds = statistics.median(times)
params = sum(p.numel() for p in model.parameters())
print(json.dumps({"tokens_per_s": args.batch * args.ctx / seconds, "ms_per_step": seconds * 1e3,
                  "params": params, "threads": torch.get_num_threads(), "torch": torch.__version__,
                  "precision": args.precision}))
