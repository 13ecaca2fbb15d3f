#!/usr/bin/env bash
# The GPU checks, on a machine with an NVIDIA GPU: builds the core, the CLI and test_gpu against
# PyPI's LibTorch 2.x with CUDA, runs test_gpu, then the GPU benchmarks beside the PyTorch twin,
# and prints one JSON object (also written to $OUT/gpu.json when OUT is set). Not part of CI,
# which has no GPU; run it wherever a GPU is lent.
#
#   bash tests/gpu/run.sh [BUILD_DIR]          (default: build-gpu)
#
# Needs the build dependencies (packaging/install-deps.sh, which installs the pip LibTorch in
# .torch/ when it sees a GPU), or RLHF_TORCH_PYTHON naming a Python that has torch 2.x.
# RLHF_GPU_PEAK_TFLOPS: the GPU's dense bf16 peak for MFU, where the table below lacks it.
set -euo pipefail
cd "$(dirname "$0")/../.."
python=$(realpath "${RLHF_TORCH_PYTHON:-.torch/bin/python3}")
build=${1:-build-gpu}
results=$(mktemp -d)
log() { echo "gpu/run.sh: $*" >&2; }

name=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
capability=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1)
log "$name (compute capability $capability)"
export TORCH_CUDA_ARCH_LIST=$capability

start=$(date +%s)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRLHF_GUI=OFF \
      -DRLHF_PIP_TORCH="$python" -DRLHF_GPU_TESTS=ON >"$results/configure.log"
grep -q "CUDA ON" "$results/configure.log" || { cat "$results/configure.log"; log "LibTorch without CUDA"; exit 1; }
cmake --build "$build" --target rlhf test_gpu bench_quantization
build_s=$(( $(date +%s) - start ))
rlhf="$build/bin/rlhf"

tests=pass
ctest --test-dir "$build" -L gpu --output-on-failure >"$results/ctest.log" 2>&1 || tests=fail
cat "$results/ctest.log" >&2

# GPT-2 124M (12 layers, 12 heads, d 768, ctx 1024, vocab 50304) pretraining in bf16, ours and
# the nanoGPT-style twin (eager, then torch.compile), then decoding at batch 1 and 8.
shape=(--layers 12 --heads 12 --dim 768 --ctx 1024 --vocab 50304 --batch 8 --steps 20)
"$rlhf" bench pretrain "${shape[@]}" --device cuda --precision bf16 >"$results/ours.json"
"$python" tests/reference/bench_pretrain_nanogpt.py "${shape[@]}" --device cuda --precision bf16 \
    >"$results/eager.json"
"$python" tests/reference/bench_pretrain_nanogpt.py "${shape[@]}" --device cuda --precision bf16 \
    --compile >"$results/compile.json" || echo '{"error": "torch.compile failed"}' >"$results/compile.json"
"$rlhf" bench generate --device cuda --precision bf16 --dir "$results/generate" \
    >"$results/generate.json" || echo '{"error": "bench generate failed"}' >"$results/generate.json"

# QLoRA's quantised weights: our CUDA dequantisation kernel's GB/s, quantizedLinear vs at::linear.
"$build/tests/benchmarks/bench_quantization" --device cuda >"$results/quantization.json" ||
    echo '{"error": "bench_quantization failed"}' >"$results/quantization.json"

# NCCL all-reduce bandwidth (tests/reference/bench_ddp.py, nccl-tests' algbw / busbw) across the
# machine's GPUs. NCCL runs one rank per GPU, so one GPU has no all-reduce to measure; `rlhf
# bench parallel` measures data-parallel ranks over Gloo on the CPU instead.
gpus=$(nvidia-smi --query-gpu=name --format=csv,noheader | wc -l)
if [ "$gpus" -ge 2 ]; then
    "$python" tests/reference/bench_ddp.py --backend nccl --allreduce-only --ranks "$gpus" \
        >"$results/allreduce.json" || echo '{"error": "bench_ddp.py --backend nccl failed"}' >"$results/allreduce.json"
else
    echo '{"note": "one GPU: NCCL all-reduce needs a rank per GPU, none measured"}' >"$results/allreduce.json"
fi

"$python" - "$results" "$name" "$tests" "$build_s" <<'PY'
import json, os, sys
results, name, tests, build_s = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def load(file):
    with open(os.path.join(results, file)) as f:
        return json.loads(f.read().strip().splitlines()[-1])
# Dense bf16 tensor-core peaks (TFLOP/s) of the GPUs these runs have seen or are likely to.
peaks = {"H200": 989, "H100": 989, "A100": 312, "L40S": 362, "L4": 121, "A10": 125}
peak = float(os.environ.get("RLHF_GPU_PEAK_TFLOPS", 0)) or next(
    (v for k, v in peaks.items() if k in name), 0)
layers, dim, ctx, vocab = 12, 768, 1024, 50304
matmul_params = 12 * layers * dim * dim + vocab * dim  # blocks + tied head
flops_per_token = 6 * matmul_params + 12 * layers * ctx * dim
report = {"gpu": name, "tests": tests, "build_s": build_s, "peak_bf16_tflops": peak}
for side in ("ours", "eager", "compile"):
    run = load(side + ".json")
    tps = run.get("tokens_per_s") or run.get("tokensPerSecond")
    if tps:
        run["mfu"] = round(tps * flops_per_token / (peak * 1e12), 3) if peak else None
    report[side] = run
report["generate"] = load("generate.json")
report["quantization"] = load("quantization.json")
report["nccl_allreduce"] = load("allreduce.json")
text = json.dumps(report, indent=1)
print(text)
if os.environ.get("OUT"):
    with open(os.path.join(os.environ["OUT"], "gpu.json"), "w") as f:
        f.write(text + "\n")
PY
[ "$tests" = pass ]
