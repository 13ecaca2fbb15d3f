"""PyTorch (Python) twin of `rlhf bench generate`: greedy KV-cached decoding of the same checkpoint
from the same prompts (both written by the C++ bench), timed the same way, printing one JSON line.
Test-only; a fair, plainly written baseline (eager, torch.no_grad, a preallocated cache), not a
reference for numbers. Per batch size: time to first token (prefill + the first argmax) and decode
tokens/s over the remaining new tokens; the generated tokens come along so the C++ side can check
that both decoded the same thing.
Usage: bench_generate.py --checkpoint DIR --prompts prompts.json [--batch 1,8 --new 128 ...]"""
import argparse
import json
import os
import statistics
import time

import torch

from gpt2_reference import hidden, load_gpt2, logits_of

parser = argparse.ArgumentParser()
parser.add_argument("--checkpoint", required=True)
parser.add_argument("--prompts", required=True)
parser.add_argument("--batch", default="1,8")
parser.add_argument("--device", default="cpu")
for name, default in [("new", 128), ("repeats", 3), ("warmup", 1), ("threads", os.cpu_count())]:
    parser.add_argument(f"--{name}", type=int, default=default)
args = parser.parse_args()
torch.set_num_threads(args.threads)
device = torch.device(args.device)


def now():
    """(wall s, process CPU s): CPU time varies less on a machine shared with other work."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter(), time.process_time()


@torch.no_grad()
def decode(model, prompts, new_tokens):
    """Greedy decoding of (B, P) prompts: (new tokens (B, new_tokens), ttft s, decode s,
    decode CPU s)."""
    start = now()
    B, P = prompts.shape
    hd = model.dim // model.heads
    cache = [[torch.empty(B, model.heads, P + new_tokens, hd, device=device) for _ in range(2)]
             for _ in range(model.layers)]
    token = logits_of(model, hidden(model, prompts, cache, 0)[:, -1]).argmax(-1, keepdim=True)
    first = now()
    drawn = [token]  # (B, 1) each
    for step in range(1, new_tokens):
        token = logits_of(model, hidden(model, token, cache, P + step - 1)[:, -1]).argmax(-1, keepdim=True)
        drawn.append(token)
    last = now()
    return torch.cat(drawn, 1), first[0] - start[0], last[0] - first[0], last[1] - first[1]


model = load_gpt2(args.checkpoint)
for name in model.params:
    model.params[name] = model.params[name].detach().to(device)
rows = json.load(open(args.prompts))["prompts"]
batches = []
for batch in (int(b) for b in args.batch.split(",")):
    prompts = torch.tensor(rows[:batch], device=device)
    runs = [decode(model, prompts, args.new) for _ in range(args.warmup + args.repeats)][args.warmup:]
    steps = batch * (args.new - 1)
    decode_s = [r[2] for r in runs]
    decode_cpu_s = [r[3] for r in runs]
    batches.append({"batch": batch,
                    "ttft_ms": statistics.median(r[1] for r in runs) * 1e3,
                    "decode_tokens_per_s": steps / statistics.median(decode_s),
                    "best_decode_tokens_per_s": steps / min(decode_s),
                    "decode_tokens_per_cpu_s": steps / statistics.median(decode_cpu_s),
                    "runs": [{"ttft_ms": r[1] * 1e3, "decode_s": r[2], "decode_cpu_s": r[3],
                              "decode_tokens_per_s": steps / r[2]} for r in runs],
                    "tokens": runs[-1][0].tolist()})
print(json.dumps({"batches": batches, "threads": torch.get_num_threads(), "device": args.device,
                  "torch": torch.__version__}))
