"""Why the reward model's scalar head learned the demo's task slowly: an independent twin of the
reward stage in PyTorch + transformers, on the demo project's own pairs and SFT checkpoint, with
one change at a time. Not a test; the numbers it prints are the diagnosis in issue 19's note.

    .torch/bin/python tests/reference/reward_model_diagnosis.py PROJECT SFT_CHECKPOINT VARIANT [STEPS]

PROJECT is an `rlhf demo` project folder, SFT_CHECKPOINT its SFT run's last checkpoint. VARIANT:
  zero_shot     no training: pairs ranked by the SFT model's mean log-probability of the reply
  head          the stage as it was: a zero-initialised linear head on the last token (<|end|>)
  mean_pool     the head on every reply token, averaged
  lm_aux        head + the next-token loss on the chosen reply (keeps the language model)
  likelihood0   head + w * mean log p(reply), w learned from 0
  likelihood1   head + w * mean log p(reply), w learned from 1 (the stage's default now)
The training loop is the demo's: batches of 32 pairs, AdamW at 3e-4 (no weight decay), 20 warm-up
steps, cosine to 3e-5 over STEPS (1500), held-out accuracy on the test split every 300 steps.
One JSON line per evaluation on stdout.
"""
import json
import math
import random
import sqlite3
import sys

import torch
import torch.nn.functional as F
from tokenizers import Tokenizer
from transformers import GPT2LMHeadModel

project, checkpoint, variant = sys.argv[1], sys.argv[2], sys.argv[3]
steps = int(sys.argv[4]) if len(sys.argv) > 4 else 1500
torch.set_num_threads(1)
torch.manual_seed(3)
random.seed(3)

tokenizer = Tokenizer.from_file(f"{checkpoint}/tokenizer.json")
BOS, USER, ASSISTANT, END = (tokenizer.token_to_id(t) for t in
                             ("<|bos|>", "<|user|>", "<|assistant|>", "<|end|>"))


def encode(question, answer):
    """The studio's chat template: prompt tokens and prompt + reply tokens."""
    prompt = [BOS, USER] + tokenizer.encode(question, add_special_tokens=False).ids + [END, ASSISTANT]
    return prompt, prompt + tokenizer.encode(answer, add_special_tokens=False).ids + [END]


database = sqlite3.connect(f"{project}/project.sqlite")
rows = database.execute("select text, split from documents where dataset = "
                        "(select id from datasets where name = 'arith-pairs')").fetchall()
pairs = {"train": [], "test": []}
for text, split in rows:
    if split in pairs:
        record = json.loads(text)
        question = record["prompt"][0]["content"]
        prompt, chosen = encode(question, record["chosen"])
        _, rejected = encode(question, record["rejected"])
        pairs[split].append((len(prompt), chosen, rejected))

model = GPT2LMHeadModel.from_pretrained(checkpoint)
head = torch.nn.Linear(model.config.n_embd, 1)
torch.nn.init.zeros_(head.weight)
torch.nn.init.zeros_(head.bias)
weight = torch.nn.Parameter(torch.tensor(1.0 if variant in ("likelihood1", "zero_shot") else 0.0))
parameters = list(model.parameters()) + list(head.parameters()) + [weight]
optimizer = torch.optim.AdamW(parameters, lr=3e-4, weight_decay=0.0)


def schedule(step):
    if step < 20:
        return (step + 1) / 20
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - 20) / max(1, steps - 20)))


def batch(items):
    """Chosen rows, then rejected rows, right-padded; the reply mask covers reply + <|end|>."""
    sequences = [c for _, c, _ in items] + [r for _, _, r in items]
    prompt_lengths = torch.tensor([p for p, _, _ in items] * 2)
    lengths = torch.tensor([len(s) for s in sequences])
    tokens = torch.zeros(len(sequences), int(lengths.max()), dtype=torch.long)
    for i, sequence in enumerate(sequences):
        tokens[i, :len(sequence)] = torch.tensor(sequence)
    position = torch.arange(tokens.size(1))[None]
    reply = ((position >= prompt_lengths[:, None]) & (position < lengths[:, None])).float()
    return tokens, lengths, reply


def score(tokens, lengths, reply):
    out = model(tokens, output_hidden_states=True)
    hidden = out.hidden_states[-1]
    if variant == "mean_pool":
        scores = (head(hidden).squeeze(-1) * reply).sum(1) / reply.sum(1)
    else:
        scores = head(hidden[torch.arange(tokens.size(0)), lengths - 1]).squeeze(-1)
    log_probs = torch.log_softmax(out.logits[:, :-1].float(), -1).gather(
        -1, tokens[:, 1:, None]).squeeze(-1)
    targets = reply[:, 1:]
    mean_log_prob = (log_probs * targets).sum(1) / targets.sum(1)
    if variant.startswith("likelihood") or variant == "zero_shot":
        scores = (0 if variant == "zero_shot" else scores) + weight * mean_log_prob
    return scores, log_probs, targets


def held_out_accuracy():
    model.eval()
    right = 0
    with torch.no_grad():
        for start in range(0, len(pairs["test"]), 128):
            items = pairs["test"][start:start + 128]
            scores, _, _ = score(*batch(items))
            right += (scores[:len(items)] > scores[len(items):]).sum().item()
    model.train()
    return right / len(pairs["test"])


if variant == "zero_shot":
    print(json.dumps({"variant": variant, "step": 0, "held_out_accuracy": held_out_accuracy()}))
    sys.exit(0)
order = []
for step in range(steps):
    if not order:
        order = list(range(len(pairs["train"])))
        random.shuffle(order)
    items = [pairs["train"][order.pop()] for _ in range(min(32, len(order)))]
    for group in optimizer.param_groups:
        group["lr"] = 3e-4 * schedule(step)
    scores, log_probs, targets = score(*batch(items))
    n = len(items)
    loss = -F.logsigmoid(scores[:n] - scores[n:]).mean()
    if variant == "lm_aux":
        loss = loss - (log_probs[:n] * targets[:n]).sum() / targets[:n].sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if (step + 1) % 300 == 0:
        print(json.dumps({"variant": variant, "step": step + 1, "loss": round(loss.item(), 4),
                          "held_out_accuracy": held_out_accuracy(), "weight": weight.item()}),
              flush=True)
