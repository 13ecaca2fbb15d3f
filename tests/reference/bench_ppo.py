"""PyTorch (Python) twin of `rlhf bench ppo`: the same PPO iteration on the same checkpoint and
prompts (written by the C++ bench), timed with the same generation / optimisation split, printing
one JSON line. Test-only; a fair, plainly written baseline, not a reference for numbers.
Generation: KV-cache sampling at temperature 1, every reply runs to --new-tokens (no end token).
Optimisation: reward-head score on the last token, old / reference log-probs, values, k1 KL
penalty, GAE, whitening, then --epochs x minibatches of clipped policy and clipped value losses,
each with gradient clipping and AdamW, as core/train/ppo.cpp does.
Usage: bench_ppo.py --checkpoint DIR --prompts prompts.json [--batch 16 --new-tokens 64 ...]"""
import argparse
import copy
import json
import os
import statistics
import time

import torch

from gpt2_reference import hidden, load_gpt2, logits_of, optimizer_for

parser = argparse.ArgumentParser()
parser.add_argument("--checkpoint", required=True)
parser.add_argument("--prompts", required=True)
for name, default in [("batch", 16), ("new-tokens", 64), ("epochs", 4), ("minibatch", 8),
                      ("iterations", 3), ("warmup", 1), ("threads", os.cpu_count())]:
    parser.add_argument(f"--{name}", type=int, default=default)
for name, default in [("temperature", 1.0), ("kl-coef", 0.05), ("clip", 0.2), ("value-clip", 0.2),
                      ("gamma", 1.0), ("lam", 0.95), ("lr", 1e-5), ("grad-clip", 1.0)]:
    parser.add_argument(f"--{name}", type=float, default=default)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)


@torch.no_grad()
def sample(model, prompts, new_tokens, temperature):
    """(B, P + new_tokens) tokens: prompts, then replies drawn with a KV cache."""
    B, P = prompts.shape
    hd = model.dim // model.heads
    cache = [[torch.empty(B, model.heads, P + new_tokens, hd) for _ in range(2)]
             for _ in range(model.layers)]
    logits = logits_of(model, hidden(model, prompts, cache, 0)[:, -1])
    drawn = []
    for step in range(new_tokens):
        token = torch.multinomial(torch.softmax(logits / temperature, -1), 1)  # (B, 1)
        drawn.append(token)
        if step + 1 < new_tokens:
            logits = logits_of(model, hidden(model, token, cache, P + step)[:, -1])
    return torch.cat([prompts] + drawn, 1)


def response_logprobs(model, tokens, P, temperature, want_logits=False):
    logits = logits_of(model, hidden(model, tokens[:, :-1]))[:, P - 1:] / temperature  # (B, R, V)
    logprobs = torch.log_softmax(logits, -1).gather(2, tokens[:, P:].unsqueeze(2)).squeeze(2)
    return (logprobs, logits) if want_logits else logprobs


def values_of(model, head, tokens, P):
    return (hidden(model, tokens[:, :-1]) @ head[0] + head[1])[:, P - 1:]  # (B, R)


def gae(rewards, values, gamma, lam):
    R = rewards.size(1)
    advantages = torch.zeros_like(rewards)
    last = torch.zeros(rewards.size(0))
    for t in reversed(range(R)):
        next_value = values[:, t + 1] if t + 1 < R else torch.zeros_like(last)
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        last = delta + gamma * lam * last
        advantages[:, t] = last
    return advantages, advantages + values


def step(optimizer, parameters, loss):
    optimizer.zero_grad(set_to_none=False)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(parameters, args.grad_clip)
    optimizer.step()


policy = load_gpt2(args.checkpoint)
reference, reward, value = (copy.deepcopy(policy) for _ in range(3))
dim = policy.dim
reward_head = (torch.zeros(dim), torch.zeros(()))  # the zero scalar head of an untrained model
value_head = (torch.zeros(dim, requires_grad=True), torch.zeros((), requires_grad=True))
policy_optimizer = optimizer_for(policy, args.lr)
value_optimizer = optimizer_for(value, args.lr)
value_optimizer.add_param_group({"params": list(value_head), "weight_decay": 0.0})
value_parameters = value.parameters() + list(value_head)
prompt_rows = json.load(open(args.prompts))["prompts"]


def iteration(index):
    rows = [prompt_rows[(index * args.batch + b) % len(prompt_rows)] for b in range(args.batch)]
    start = time.perf_counter()
    tokens = sample(policy, torch.tensor(rows), args.new_tokens, args.temperature)
    generation = time.perf_counter() - start

    start = time.perf_counter()
    P = len(rows[0])
    with torch.no_grad():
        scores = hidden(reward, tokens)[:, -1] @ reward_head[0] + reward_head[1]
        old_logprobs = response_logprobs(policy, tokens, P, args.temperature)
        ref_logprobs = response_logprobs(reference, tokens, P, args.temperature)
        old_values = values_of(value, value_head, tokens, P)
        rewards = -args.kl_coef * (old_logprobs - ref_logprobs)  # k1 KL penalty per token
        rewards[:, -1] += scores
        advantages, returns = gae(rewards, old_values, args.gamma, args.lam)
        advantages = (advantages - advantages.mean()) * torch.rsqrt(advantages.var() + 1e-8)
    B = tokens.size(0)
    for epoch in range(args.epochs):
        order = torch.randperm(B)
        for first in range(0, B, args.minibatch):
            part = order[first:first + args.minibatch]
            logprobs, logits = response_logprobs(policy, tokens[part], P, args.temperature, True)
            ratio = torch.exp(logprobs - old_logprobs[part])
            clipped = torch.clamp(ratio, 1 - args.clip, 1 + args.clip)
            loss = torch.max(-advantages[part] * ratio, -advantages[part] * clipped).mean()
            if epoch == 0:  # entropy, as ours logs it
                probabilities = torch.softmax(logits.detach(), -1)
                (-(probabilities * torch.log_softmax(logits.detach(), -1)).sum(-1)).mean().item()
            step(policy_optimizer, policy.parameters(), loss)
            loss.item()

            values = values_of(value, value_head, tokens[part], P)
            old = old_values[part]
            values_clipped = old + torch.clamp(values - old, -args.value_clip, args.value_clip)
            value_loss = 0.5 * torch.max((values - returns[part]) ** 2,
                                         (values_clipped - returns[part]) ** 2).mean()
            step(value_optimizer, value_parameters, value_loss)
            value_loss.item()
    return generation, time.perf_counter() - start


times = [iteration(i) for i in range(args.warmup + args.iterations)][args.warmup:]
generation = statistics.median(t[0] for t in times)
optimisation = statistics.median(t[1] for t in times)
print(json.dumps({"generation_s": generation, "optimisation_s": optimisation,
                  "total_s": statistics.median(t[0] + t[1] for t in times),
                  "best_total_s": min(t[0] + t[1] for t in times),
                  "generation_tokens_per_s": args.batch * args.new_tokens / generation,
                  "response_length": args.new_tokens,
                  "iterations": [{"generation_s": g, "optimisation_s": o} for g, o in times],
                  "threads": torch.get_num_threads(), "torch": torch.__version__}))
