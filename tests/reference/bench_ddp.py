"""What a user would run instead of `rlhf bench parallel`: weak scaling of a GPT-2-style model
under PyTorch's DistributedDataParallel over Gloo (one process per rank, torch.multiprocessing,
rendezvous on 127.0.0.1), and torch.distributed.all_reduce bandwidth for the same message
sizes, printing one JSON line with the same fields. Written for the comparison; the model
follows the shape of tests/reference/bench_pretrain_nanogpt.py (tied head, GELU MLP).

Each rank trains --batch sequences per step (weak scaling); --threads 0 gives each rank
cores / ranks threads. One rank trains the plain model (no DDP), as `rlhf train` without
--nproc does. DDP overlaps its bucketed all-reduce with backward; the gradient all-reduce
time is measured separately on a flat buffer of the model's size, as the C++ bench does.

Usage: bench_ddp.py [--ranks 1,2,4] [--sizes-mb 1,4,25,100] [--repeats 5] [--layers 2]
       [--heads 4] [--dim 256] [--ctx 128] [--vocab 4096] [--batch 8] [--steps 10]
       [--warmup 3] [--precision fp32,bf16] [--threads 0] [--backend gloo|nccl]"""
import argparse
import json
import os
import socket
import statistics
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

MEBIBYTE = 1 << 20


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
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, heads, T, C / heads)
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
        logits = self.ln_f(x) @ self.wte.weight.t()  # tied head, (B, T, vocab)
        return F.cross_entropy(logits.float().view(-1, logits.size(-1)), targets.reshape(-1))


def cpu_has_bf16():
    with open("/proc/cpuinfo") as f:
        return "avx512_bf16" in f.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cores():
    return len(os.sched_getaffinity(0))  # as the C++ bench counts them: the affinity mask


def threads_per_rank(args, ranks):
    return args.threads if args.threads > 0 else max(1, cores() // ranks)


def all_reduce_ms(tensor, repeats):
    """Mean ms of one all_reduce after an untimed one and a barrier, as the C++ bench times."""
    dist.all_reduce(tensor)
    dist.barrier()
    if tensor.is_cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        dist.all_reduce(tensor)
    if tensor.is_cuda:
        torch.cuda.synchronize()
    return (time.perf_counter() - start) * 1e3 / repeats


def message_rows(args, world, device):
    rows = []
    for size in args.sizes_mb:
        elements = max(1, round(size * MEBIBYTE / 4))
        ms = all_reduce_ms(torch.ones(elements, device=device), args.repeats)
        algbw = elements * 4 / (ms * 1e-3) / 1e9
        rows.append({"ranks": world, "size_mib": size, "bytes": elements * 4, "ms": ms,
                     "algbw_gb_per_s": algbw, "busbw_gb_per_s": algbw * 2 * (world - 1) / world})
    return rows


def median_step_ms(model, optimizer, batch, args, precision, device):
    inputs, targets = batch[:, :-1], batch[:, 1:]
    times = []
    for step in range(args.warmup + args.steps):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = model(inputs, targets)
        loss.backward()  # under DDP the gradient all-reduce runs here, bucket by bucket
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        loss.item()
        if step >= args.warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def rank_main(rank, world, port, args, queue):
    device = torch.device("cuda", rank) if args.backend == "nccl" else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)  # NCCL: one GPU per rank
    torch.set_num_threads(threads_per_rank(args, world))
    if world > 1:
        dist.init_process_group(args.backend, init_method=f"tcp://127.0.0.1:{port}",
                                rank=rank, world_size=world)
    result = {"threads": torch.get_num_threads()}
    if world > 1:
        result["messages"] = message_rows(args, world, device)
    torch.manual_seed(1337)  # every rank starts from the same weights, as DDP checks
    model = Gpt(args.vocab, args.ctx, args.layers, args.heads, args.dim).to(device)
    params = sum(p.numel() for p in model.parameters())
    if world > 1:
        result["gradient"] = {"params": params, "bytes": params * 4,
                              "ms": all_reduce_ms(torch.zeros(params, device=device), args.repeats)}
    if not args.allreduce_only:
        step_model = DistributedDataParallel(model) if world > 1 else model
        batch = torch.randint(args.vocab, (args.batch, args.ctx + 1),
                              generator=torch.Generator().manual_seed(rank)).to(device)
        result["steps"] = {}
        for precision in args.precision:
            optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
            result["steps"][precision] = median_step_ms(step_model, optimizer, batch, args,
                                                        precision, device)
    if world > 1:
        dist.destroy_process_group()
    if rank == 0:
        queue.put(result)


def run_job(args, world):
    context = mp.get_context("spawn")
    queue = context.SimpleQueue()
    mp.start_processes(rank_main, args=(world, free_port(), args, queue), nprocs=world,
                       start_method="spawn")
    return queue.get()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ranks", default="1,2,4")
    parser.add_argument("--sizes-mb", default="1,4,25,100")
    for name, default in [("repeats", 5), ("layers", 2), ("heads", 4), ("dim", 256), ("ctx", 128),
                          ("vocab", 4096), ("batch", 8), ("steps", 10), ("warmup", 3),
                          ("threads", 0)]:
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--precision", default="auto",
                        help="comma list of fp32 and bf16; auto: fp32, and bf16 where the CPU has "
                             "AVX-512 BF16")
    parser.add_argument("--backend", choices=["gloo", "nccl"], default="gloo")
    parser.add_argument("--allreduce-only", action="store_true",
                        help="only the all-reduce rows (e.g. NCCL across the GPUs of a machine)")
    args = parser.parse_args()
    args.ranks = sorted({int(r) for r in args.ranks.split(",")})
    args.sizes_mb = [float(s) for s in args.sizes_mb.split(",")]
    bf16 = args.backend == "nccl" or cpu_has_bf16()
    args.precision = (["fp32", "bf16"] if bf16 else ["fp32"]) if args.precision == "auto" \
        else args.precision.split(",")
    if args.ranks[0] != 1 and not args.allreduce_only:
        parser.error("--ranks must include 1, the baseline of the scaling efficiency")
    if any(p not in ("fp32", "bf16") for p in args.precision):
        parser.error("--precision: expected fp32, bf16 or both, comma separated")

    allreduce, scaling = [], {} if args.allreduce_only else {p: [] for p in args.precision}
    for world in args.ranks:
        if args.allreduce_only and world < 2:
            continue
        result = run_job(args, world)
        for row in result.get("messages", []):
            allreduce.append(dict(row, threads_per_rank=result["threads"]))
        for precision, ms in result.get("steps", {}).items():
            tokens = world * args.batch * args.ctx
            row = {"ranks": world, "threads_per_rank": result["threads"],
                   "oversubscribed": world * result["threads"] > cores(),
                   "tokens_per_step": tokens, "ms_per_step": ms, "tokens_per_s": tokens / ms * 1e3}
            baseline = scaling[precision][0] if scaling[precision] else row
            row["efficiency"] = row["tokens_per_s"] / (world * baseline["tokens_per_s"])
            # What compute alone allows, as if speed were linear in cores (as the C++ bench).
            row["efficiency_bound"] = min(cores(), world * row["threads_per_rank"]) / (
                world * min(cores(), baseline["threads_per_rank"]))
            if "gradient" in result:
                row["grad_allreduce_ms"] = result["gradient"]["ms"]
                row["grad_allreduce_fraction"] = result["gradient"]["ms"] / ms
            scaling[precision].append(row)
    print(json.dumps({"torch": torch.__version__, "backend": args.backend, "cores": cores(),
                      "ddp": "DistributedDataParallel, 25 MB buckets, all-reduce overlapped "
                             "with backward; one rank trains without DDP",
                      "allreduce": allreduce, "scaling": scaling}))


if __name__ == "__main__":
    main()
