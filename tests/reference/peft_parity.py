"""PEFT as the reference for test_lora: small random models (transformers) with LoRA adapters
(PEFT) whose B matrices and DoRA magnitudes are drawn at random, so the adapter changes what
the model computes, and what PEFT computes with them; then the adapters the studio saved, read
back in PEFT.

  peft_parity.py make DIR    per case DIR/<case>/base/ (the model), DIR/<case>/adapter/ (PEFT's
                             save_pretrained) and DIR/<case>/reference.safetensors: "logits"
                             (2, T, vocab) of TOKENS with the adapter on, "base_logits" with it
                             off, "loss" (mean next-token cross-entropy) and "grad/<name>", the
                             gradient of that loss for every adapter tensor, by the studio's name
  peft_parity.py check DIR   loads DIR/<case>/base + DIR/<case>/ours/ (the studio's adapter) in
                             PEFT: DIR/<case>/ours.safetensors holds its "logits"

Run with the .torch/ Python (PyPI torch, transformers and peft)."""
import os
import sys

import torch
import transformers as T
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors.torch import save_file

TOKENS = [[5, 17, 42, 99, 3, 250, 8, 61, 130, 7, 77, 12],
          [200, 33, 1, 150, 9, 9, 64, 2, 31, 180, 4, 120]]

llama_shape = dict(num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                   hidden_size=64, intermediate_size=96, vocab_size=300,
                   max_position_embeddings=64, initializer_range=0.1)

# name: (config class, config, LoraConfig arguments)
CASES = {
    "llama-all-linear": (T.LlamaConfig, llama_shape,
                         dict(r=4, lora_alpha=8, target_modules="all-linear")),
    "qwen2-dora-rslora": (T.Qwen2Config, llama_shape,
                          dict(r=8, lora_alpha=16, use_dora=True, use_rslora=True,
                               target_modules=["q_proj", "k_proj", "v_proj", "o_proj"])),
    "gpt2-fan-in-fan-out": (T.GPT2Config, dict(n_layer=2, n_head=4, n_embd=64, n_positions=64,
                                               vocab_size=300, initializer_range=0.1,
                                               bos_token_id=0, eos_token_id=0),
                            dict(r=4, lora_alpha=4, fan_in_fan_out=True,
                                 target_modules=["c_attn", "c_proj", "c_fc"])),
}


def studio_name(peft_name):
    """base_model.model.X.lora_A.default.weight -> X.lora_A.weight (DoRA: .lora_magnitude_vector)."""
    name = peft_name.removeprefix("base_model.model.")
    name = name.replace(".lora_magnitude_vector.default.weight", ".lora_magnitude_vector")
    return name.replace(".default.", ".")


def next_token_loss(logits, ids):
    return torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)),
                                             ids[:, 1:].reshape(-1))


def make(root):
    for index, (case, (config_class, config, lora)) in enumerate(CASES.items()):
        folder = os.path.join(root, case)
        torch.manual_seed(1000 + index)
        model = T.AutoModelForCausalLM.from_config(config_class(**config))
        model.save_pretrained(os.path.join(folder, "base"))
        peft = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", **lora))
        with torch.no_grad():  # B = 0 would make the adapter invisible
            for name, tensor in peft.named_parameters():
                if "lora_B" in name:
                    tensor.normal_(0.0, 0.2)
                elif "lora_magnitude_vector" in name:
                    tensor.mul_(torch.empty_like(tensor).uniform_(0.8, 1.2))
        peft.save_pretrained(os.path.join(folder, "adapter"))
        peft.eval()
        ids = torch.tensor(TOKENS)
        logits = peft(ids).logits.float()
        loss = next_token_loss(logits, ids)
        loss.backward()
        tensors = {"logits": logits.detach().contiguous(), "loss": loss.detach().reshape(1)}
        for name, tensor in peft.named_parameters():
            if tensor.requires_grad:
                tensors["grad/" + studio_name(name)] = tensor.grad.contiguous()
        with torch.no_grad(), peft.disable_adapter():
            tensors["base_logits"] = peft(ids).logits.float().contiguous()
        save_file(tensors, os.path.join(folder, "reference.safetensors"))


def check(root):
    for case in CASES:
        folder = os.path.join(root, case)
        base = T.AutoModelForCausalLM.from_pretrained(os.path.join(folder, "base"))
        model = PeftModel.from_pretrained(base, os.path.join(folder, "ours"))
        model.eval()
        with torch.no_grad():
            logits = model(torch.tensor(TOKENS)).logits.float().contiguous()
        save_file({"logits": logits}, os.path.join(folder, "ours.safetensors"))


if __name__ == "__main__":
    {"make": make, "check": check}[sys.argv[1]](sys.argv[2])
