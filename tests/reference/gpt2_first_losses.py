"""Reference for test_reference_losses: from the initial weights our C++ core wrote (read here
with a minimal safetensors parser of our own, independent of the C++ reader), train the
independent PyTorch GPT-2 of gpt2_reference.py on the same batches with the same AdamW, clipping
and learning rates, and print the losses as JSON.
Usage: gpt2_first_losses.py SPEC.json  (see the C++ test for the fields)"""
import json
import struct
import sys

import torch
import torch.nn.functional as F

from gpt2_reference import Gpt2, optimizer_for

DTYPES = {"F32": torch.float32, "I64": torch.int64}


def read_safetensors(path):
    data = open(path, "rb").read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        flat = torch.frombuffer(bytearray(body[begin:end]), dtype=DTYPES[entry["dtype"]])
        tensors[name] = flat.reshape(entry["shape"])
    return tensors


spec = json.load(open(sys.argv[1]))
torch.set_num_threads(1)
model = Gpt2(spec["vocab"], spec["context"], spec["layers"], spec["heads"], spec["dim"])
weights = read_safetensors(spec["weights"])
assert set(weights) == set(model.params), sorted(set(weights) ^ set(model.params))
with torch.no_grad():
    for name, p in model.params.items():
        p.copy_(weights[name])
optimizer = optimizer_for(model, spec["lrs"][0], betas=(spec["beta1"], spec["beta2"]), eps=spec["eps"],
                          weight_decay=spec["weight_decay"])
losses = []
for batch, lr in zip(spec["batches"], spec["lrs"]):
    batch = torch.tensor(batch, dtype=torch.int64)
    for group in optimizer.param_groups:
        group["lr"] = lr
    optimizer.zero_grad()
    logits = model(batch[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, spec["vocab"]), batch[:, 1:].reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), spec["grad_clip"])
    optimizer.step()
    losses.append(loss.item())
print(json.dumps({"losses": losses}))
