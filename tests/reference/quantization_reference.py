"""bitsandbytes' NF4 (with and without double quantisation) and int8 quantisation of the weights
test_quantization writes, written back for it to compare byte for byte; with --bench, bnb's CPU
dequantisation timed on the matrices bench_quantization measures.

  python quantization_reference.py IN.safetensors OUT.safetensors
  python quantization_reference.py --bench [--repeats N]      (one JSON line)

For every tensor NAME of IN (fp32, bf16 or fp16), OUT holds:
  NAME.nf4.{packed,absmax,dequant_flat,dequant,dequant_bf16}      quantize_4bit, no double quant
  NAME.nf4dq.{packed,codes,nested_absmax,offset,shifted,block_absmax,dequant,dequant_bf16}
  NAME.int8.{data,scb,dequant} and NAME.int8fp16.{data,scb}      int8_vectorwise_quant, Int8Params
plus dynamic_map (create_dynamic_map(signed=True)). `dequant` is bnb's dequantize_4bit, which on
the CPU dispatches to its C++ kernel; `dequant_flat` is bnb's own torch implementation of the
same (backends/default), the flat block layout of its CUDA kernel, used where the CPU kernel's
AVX-512 path indexes absmax per row (in_features % 16 == 0 but not a multiple of the block).
"""
import argparse
import ctypes as ct
import json
import sys
import time

import torch
import bitsandbytes.functional as F
from bitsandbytes.backends.default import ops as default_ops
from bitsandbytes.backends.utils import _get_4bit_code
from bitsandbytes.cextension import lib
from safetensors.torch import load_file, save_file


def flat_dequant(packed, absmax, shape, dtype):
    # bnb's torch implementation, without its torch.compile wrapper
    compute = getattr(default_ops._dequantize_4bit_compute, "__wrapped__",
                      default_ops._dequantize_4bit_compute)
    code = _get_4bit_code("nf4", packed.device)
    return compute(packed.reshape(-1), absmax.float(), code, 64, shape, dtype)


def reference(weights):
    out = {"dynamic_map": F.create_dynamic_map()}
    for name, w in weights.items():
        shape = tuple(w.shape)
        packed, state = F.quantize_4bit(w, blocksize=64, quant_type="nf4", compress_statistics=False)
        out[f"{name}.nf4.packed"] = packed.reshape(-1)
        out[f"{name}.nf4.absmax"] = state.absmax
        out[f"{name}.nf4.dequant_flat"] = flat_dequant(packed, state.absmax, shape, torch.float32)
        state.dtype = torch.float32
        out[f"{name}.nf4.dequant"] = F.dequantize_4bit(packed, state)
        state.dtype = torch.bfloat16
        out[f"{name}.nf4.dequant_bf16"] = F.dequantize_4bit(packed, state)

        packed, state = F.quantize_4bit(w, blocksize=64, quant_type="nf4", compress_statistics=True)
        prefix = f"{name}.nf4dq"
        out[f"{prefix}.packed"] = packed.reshape(-1)
        out[f"{prefix}.codes"] = state.absmax
        out[f"{prefix}.nested_absmax"] = state.state2.absmax
        out[f"{prefix}.offset"] = state.offset.reshape(1).float()
        # the input of the 8-bit stage, exactly as quantize_4bit forms it
        _, absmax = torch.ops.bitsandbytes.quantize_4bit.default(w, 64, "nf4", torch.uint8)
        out[f"{prefix}.shifted"] = absmax - state.offset
        block_absmax = F.dequantize_blockwise(state.absmax, state.state2) + state.offset
        out[f"{prefix}.block_absmax"] = block_absmax
        out[f"{prefix}.dequant_flat"] = flat_dequant(packed, block_absmax, shape, torch.float32)
        state.dtype = torch.float32
        out[f"{prefix}.dequant"] = F.dequantize_4bit(packed, state)
        state.dtype = torch.bfloat16
        out[f"{prefix}.dequant_bf16"] = F.dequantize_4bit(packed, state)

        if w.dim() == 2:
            data, scb, _ = F.int8_vectorwise_quant(w.float())
            out[f"{name}.int8.data"] = data
            out[f"{name}.int8.scb"] = scb
            out[f"{name}.int8.dequant"] = F.int8_vectorwise_dequant(data, scb)
            # Int8Params._quantize: the weight in fp16, then int8_vectorwise_quant
            data, scb, _ = F.int8_vectorwise_quant(w.contiguous().to(torch.float16))
            out[f"{name}.int8fp16.data"] = data
            out[f"{name}.int8fp16.scb"] = scb
    return {key: value.contiguous() for key, value in out.items()}


def timed(function, repeats):
    function()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def bench(repeats):
    torch.manual_seed(0)
    report = {"bitsandbytes": __import__("bitsandbytes").__version__, "torch": torch.__version__,
              "threads": torch.get_num_threads()}
    for rows, columns in ((4096, 4096), (4096, 11008)):
        w = torch.randn(rows, columns) * 0.02
        key = f"{rows}x{columns}"
        packed, state = F.quantize_4bit(w, blocksize=64, quant_type="nf4", compress_statistics=True)
        absmax = (F.dequantize_blockwise(state.absmax, state.state2) + state.offset).float()
        data, scb, _ = F.int8_vectorwise_quant(w)
        for dtype, label in ((torch.float32, "fp32"), (torch.bfloat16, "bf16")):
            out_bytes = w.numel() * (4 if dtype == torch.float32 else 2)
            state.dtype = dtype
            seconds = timed(lambda: F.dequantize_4bit(packed, state), repeats)
            report[f"nf4_dequant_{label}_{key}_gbps"] = round(out_bytes / seconds / 1e9, 2)
            # bnb's C++ kernel alone into a reused buffer (its CPU op has no out= variant), the
            # absmax decoded beforehand
            out = torch.empty(rows, columns, dtype=dtype)
            kernel = getattr(lib, f"cdequantize_blockwise_cpu_nf4_{label}")
            args = (F.get_ptr(packed), F.get_ptr(absmax), F.get_ptr(out), ct.c_longlong(64),
                    ct.c_longlong(rows), ct.c_longlong(columns))
            seconds = timed(lambda: kernel(*args), repeats)
            report[f"nf4_dequant_{label}_{key}_into_gbps"] = round(out_bytes / seconds / 1e9, 2)
            seconds = timed(lambda: F.int8_vectorwise_dequant(data, scb).to(dtype), repeats)
            report[f"int8_dequant_{label}_{key}_gbps"] = round(out_bytes / seconds / 1e9, 2)
    print(json.dumps(report))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--bench", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.bench:
        bench(args.repeats)
        return
    if len(args.paths) != 2:
        sys.exit("usage: quantization_reference.py IN.safetensors OUT.safetensors")
    save_file(reference(load_file(args.paths[0])), args.paths[1])


if __name__ == "__main__":
    main()
