"""Python twin of `rlhf bench finetune` (full fine-tuning, LoRA, QLoRA): transformers + PEFT (+
bitsandbytes' 4-bit / 8-bit layers for a quantised base) on the same model folder, the same
random tokens' shape, SFT's loss on the second half, AdamW and clipping; prints one JSON line
with the same fields. Run with the .torch/ Python (PyPI torch, transformers, peft, bitsandbytes).
On --device cuda the memory fields are the CUDA caching allocator's peak allocated bytes (as ours
report), plus its peak reserved bytes; on the CPU the process's peak resident set.
Usage: bench_lora.py --checkpoint DIR [--batch 1] [--length 256] [--steps 3]
       [--lora RANK] [--lora-base fp32|nf4|int8] [--precision fp32|bf16] [--threads N]
       [--device cpu|cuda]"""
import argparse
import json
import os
import resource
import statistics
import time

import torch
import transformers as T

parser = argparse.ArgumentParser()
parser.add_argument("--checkpoint", required=True)
for name, default in [("batch", 1), ("length", 256), ("steps", 3), ("lora", 0),
                      ("threads", os.cpu_count())]:
    parser.add_argument(f"--{name}", type=int, default=default)
parser.add_argument("--lora-base", choices=["fp32", "nf4", "int8"], default="fp32")
parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
args = parser.parse_args()
torch.set_num_threads(args.threads)
cuda = args.device == "cuda"


def peak_gb():
    if cuda:
        return torch.cuda.max_memory_allocated() / 1e9
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


start = time.perf_counter()
quantization = None
if args.lora and args.lora_base != "fp32":
    quantization = T.BitsAndBytesConfig(
        load_in_4bit=args.lora_base == "nf4", load_in_8bit=args.lora_base == "int8",
        bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16 if args.precision == "bf16" else torch.float32)
model = T.AutoModelForCausalLM.from_pretrained(args.checkpoint, dtype=torch.float32,
                                               quantization_config=quantization,
                                               device_map=args.device if quantization else None)
if cuda and not quantization:
    model.to(args.device)
if cuda:
    torch.cuda.synchronize()
load_seconds, load_peak = time.perf_counter() - start, peak_gb()
parameters = sum(p.numel() for p in model.parameters())
if args.lora:
    from peft import LoraConfig, get_peft_model
    model = get_peft_model(model, LoraConfig(r=args.lora, lora_alpha=2 * args.lora,
                                             target_modules="all-linear", task_type="CAUSAL_LM"))
trained = [p for p in model.parameters() if p.requires_grad]
optimizer = torch.optim.AdamW(trained, lr=1e-5, fused=False)
config = model.config
T_ = min(args.length, config.max_position_embeddings)
tokens = torch.randint(config.vocab_size, (args.batch, T_)).to(args.device)
labels = tokens.clone()
labels[:, : T_ // 2 + 1] = -100  # the loss on the second half, as ours

times, first_loss = [], None
for step in range(args.steps):
    start = time.perf_counter()
    optimizer.zero_grad(set_to_none=False)
    with torch.autocast(args.device, dtype=torch.bfloat16, enabled=args.precision == "bf16"):
        loss = model(input_ids=tokens, labels=labels).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(trained, 1.0)
    optimizer.step()
    value = loss.item()
    times.append(time.perf_counter() - start)
    first_loss = value if first_loss is None else first_loss

print(json.dumps({
    "family": config.model_type, "params": parameters,
    "trained_params": sum(p.numel() for p in trained),
    "lora": {"rank": args.lora, "base": args.lora_base, "targets": "all-linear"} if args.lora else None,
    "load_s": load_seconds, "load_peak_memory_gb": load_peak,
    "first_step_s": times[0], "step_s": statistics.median(times[1:]) if len(times) > 1 else 0,
    "peak_memory_gb": peak_gb(), "first_loss": first_loss,
    **({"peak_reserved_gb": torch.cuda.max_memory_reserved() / 1e9} if cuda else {}),
    "setup": f"torch {torch.__version__}, transformers {T.__version__}, {args.device}, "
             f"{args.precision}, {args.threads} threads"}))
