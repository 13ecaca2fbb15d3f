#!/usr/bin/env bash
# The GPU checks, on a machine with an NVIDIA GPU: builds the CLI, test_gpu and bench_quantization
# against PyPI's LibTorch 2.x with CUDA, runs test_gpu, then the GPU benchmarks beside their
# PyTorch twins (QLoRA's kernel; fine-tuning a Qwen2.5-0.5B-shaped model fully, with LoRA and with
# LoRA on an NF4 / int8 base; GPT-2 124M pretraining; decoding), and writes one JSON report.
# Not part of CI, which has no GPU; run it wherever a GPU is lent.
#
#   bash tests/gpu/run.sh [BUILD_DIR]          (default: build-gpu)
#
# Made for a lent machine with a time limit: every phase runs under `timeout`, inside an overall
# budget (RLHF_GPU_BUDGET_S, default 540 s) that later phases shrink to or are skipped under, the
# most valuable first; after each phase the report so far is rewritten, so a run cut short still
# returns what it measured. Into $OUT (a temporary folder when unset), at most five files:
#   gpu.json   the report: each phase's status and seconds, and every benchmark's JSON
#   env.txt    the machine: OS, compilers, GPU, Python packages, what came from .gpudeps
#   build.log  configure + build output (the end of it)
#   ctest.log  test_gpu's output
#   bench.log  the benchmarks' stderr
#
# Build dependencies: the system's (packaging/install-deps.sh), or, on an image without our -dev
# packages, Debian 12 .deb files in .gpudeps/ (tests/gpu/deps.sh lists them), unpacked into
# /tmp/deps. Python: RLHF_TORCH_PYTHON, else .torch/bin/python3, else the python3 on PATH; it must
# have torch 2.x with CUDA (and transformers + peft for the twins). RLHF_GPU_PEAK_TFLOPS: the GPU's
# dense bf16 peak for MFU, where the table in the report step lacks it.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit
build=$(realpath -m "${1:-build-gpu}")
out=${OUT:-$(mktemp -d)}
results=$(mktemp -d) # each phase's output; gpu.json is assembled from here
started=$(date +%s)
deadline=$((started + ${RLHF_GPU_BUDGET_S:-540}))
exec 3>&2 # the console: phases' own output goes to files, their status lines here
log() { echo "gpu/run.sh [$(($(date +%s) - started))s]: $*" >&3; }

# --- the report: phases.tsv (name, status, seconds, limit) + one JSON file per benchmark -----------
cat >"$results/assemble.py" <<'PY'
import glob, json, os, sys
results, out = sys.argv[1], sys.argv[2]
def load(name):
    path = os.path.join(results, name + ".json")
    if not os.path.exists(path):
        return None
    text = open(path, errors="replace").read().strip()
    for line in reversed(text.splitlines()):  # the last JSON line: tools print progress first
        try:
            return json.loads(line)
        except ValueError:
            pass
    try:
        return json.loads(text)
    except ValueError:
        return {"error": "no JSON", "output_tail": text[-600:]}
env = {}
if os.path.exists(os.path.join(results, "env.json")):
    env = json.load(open(os.path.join(results, "env.json")))
name = env.get("gpu", "")
peaks = {"H200": 989, "H100": 989, "A100": 312, "L40S": 362, "L4": 121, "A10": 125}
peak = float(os.environ.get("RLHF_GPU_PEAK_TFLOPS", 0) or 0) or next(
    (v for k, v in peaks.items() if k in name), 0)
report = dict(env, peak_bf16_tflops=peak, phases={})
for line in open(os.path.join(results, "phases.tsv")):
    phase, status, seconds, limit = line.rstrip("\n").split("\t")
    report["phases"][phase] = {"status": status, "s": int(seconds), "limit_s": int(limit)}
ninja_log = os.path.join(sys.argv[3], ".ninja_log")
if os.path.exists(ninja_log):  # the slowest compiles, for sizing the next run's build phase
    steps = []
    for line in open(ninja_log):
        f = line.split("\t")
        if len(f) >= 4 and not line.startswith("#"):
            steps.append(((int(f[1]) - int(f[0])) / 1000, f[3]))
    steps.sort(reverse=True)
    report["build_steps"] = len(steps)
    report["build_slowest_s"] = [[round(s, 1), n] for s, n in steps[:8]]
report["tests"] = report["phases"].get("ctest", {}).get("status", "not run")
report["quantization"] = load("quantization")
report["finetune"] = {case: {"ours": load("finetune-" + case), "twin": load("twin-" + case)}
                      for case in ("full", "lora16", "lora16-nf4", "lora16-int8")}
# GPT-2 124M pretraining (12 layers, d 768, ctx 1024, vocab 50304): MFU from tokens/s.
layers, dim, ctx, vocab = 12, 768, 1024, 50304
flops_per_token = 6 * (12 * layers * dim * dim + vocab * dim) + 12 * layers * ctx * dim
report["pretrain"] = {}
for side in ("ours", "eager", "compile"):
    run = load("pretrain-" + side)
    if isinstance(run, dict):
        tps = run.get("tokens_per_s") or run.get("tokensPerSecond")
        if tps and peak:
            run["mfu"] = round(tps * flops_per_token / (peak * 1e12), 3)
    report["pretrain"][side] = run
report["generate"] = load("generate")
report["nccl_allreduce"] = load("allreduce")
text = json.dumps(report, indent=1)
with open(os.path.join(out, "gpu.json"), "w") as f:
    f.write(text + "\n")
if len(sys.argv) > 4:
    print(text)
PY
: >"$results/phases.tsv"
report() { "$python" "$results/assemble.py" "$results" "$out" "$build" "$@" || log "report failed"; }

# phase NAME LIMIT MIN COMMAND...: runs COMMAND under timeout for LIMIT seconds, or what is left of
# the budget (less a reserve for the report) if that is less; skips it when under MIN is left.
phase() {
    local name=$1 limit=$2 minimum=$3 status
    shift 3
    if [[ " ${RLHF_GPU_SKIP:-} " == *" $name "* ]]; then # phases measured by an earlier run
        log "$name: skipped (RLHF_GPU_SKIP)"
        printf '%s\tskipped\t0\t%s\n' "$name" "$limit" >>"$results/phases.tsv"
        return 1
    fi
    local left=$((deadline - $(date +%s) - 10))
    ((left < limit)) && limit=$left
    if ((limit < minimum)); then
        log "$name: skipped (${left}s of the budget left)"
        printf '%s\tskipped\t0\t%s\n' "$name" "$limit" >>"$results/phases.tsv"
        report
        return 1
    fi
    log "$name (limit ${limit}s)"
    local begin
    begin=$(date +%s)
    timeout -k 10 "$limit" "$@"
    local rc=$?
    case $rc in
        0) status=pass ;;
        124 | 137) status=timeout ;;
        *) status="fail (exit $rc)" ;;
    esac
    log "$name: $status in $(($(date +%s) - begin))s"
    printf '%s\t%s\t%s\t%s\n' "$name" "$status" "$(($(date +%s) - begin))" "$limit" >>"$results/phases.tsv"
    report
    return $rc
}

# --- the machine -----------------------------------------------------------------------------------
python=${RLHF_TORCH_PYTHON:-}
if [ -z "$python" ]; then
    if [ -x .torch/bin/python3 ]; then python=.torch/bin/python3; else python=$(command -v python3); fi
fi
python=$(realpath -s "$python") # -s: a venv's python3 is a symlink to the system one
gpu=$(timeout 30 nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
capability=$(timeout 30 nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1)
gpus=$(timeout 30 nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | wc -l)
export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-${capability:-9.0}}
cores=$(nproc)
{
    echo "== $(date -u)  gpu/run.sh at $(git log -1 --format='%h %s' 2>/dev/null)"
    grep -E '^(PRETTY_NAME|VERSION_ID)=' /etc/os-release 2>/dev/null
    uname -r
    echo "cores $cores; $(free -g 2>/dev/null | awk '/^Mem:/ {print "memory " $2 " GiB"}')"
    echo "== compilers and tools"
    for tool in g++ c++ gcc nvcc cmake ninja pkg-config make dpkg ccache; do
        printf '%-10s %s\n' "$tool" "$(command -v $tool || echo MISSING)"
    done
    timeout 10 g++ --version 2>&1 | head -1
    timeout 10 nvcc --version 2>&1 | tail -2
    timeout 10 cmake --version 2>&1 | head -1
    echo "== nvidia-smi"
    timeout 30 nvidia-smi 2>&1 | head -20
    echo "== python: $python"
    timeout 60 "$python" - <<'PY' 2>&1
import importlib, sys
print(sys.version.split()[0])
for name in ("torch", "transformers", "peft", "safetensors", "tokenizers", "bitsandbytes", "ninja", "cmake"):
    try:
        module = importlib.import_module(name)
        print(f"{name} {getattr(module, '__version__', '?')}")
    except Exception as error:
        print(f"{name} MISSING ({type(error).__name__})")
import torch
print("cuda", torch.version.cuda, "available", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
PY
} >"$out/env.txt" 2>&1
cat "$out/env.txt" >&2
"$python" - "$gpu" "$capability" "$cores" "$python" >"$results/env.json" <<'PY'
import json, sys
print(json.dumps({"gpu": sys.argv[1], "compute_capability": sys.argv[2], "cores": int(sys.argv[3]),
                  "python": sys.argv[4]}))
PY
report

# --- build dependencies from .gpudeps/; cmake and ninja from pip where the system lacks them --------
if compgen -G ".gpudeps/*.deb" >/dev/null; then
    phase deps 90 10 bash tests/gpu/deps.sh .gpudeps /tmp/deps 2>>"$out/env.txt" &&
        source /tmp/deps/env.sh
    echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}" >>"$out/env.txt"
fi
pip_bin() { "$python" -c "import $1, os; print(os.path.join($2))" 2>/dev/null; }
if ! command -v cmake >/dev/null; then
    dir=$(pip_bin cmake "cmake.CMAKE_BIN_DIR") && export PATH="$dir:$PATH"
fi
generator=(-G "Unix Makefiles")
if command -v ninja >/dev/null; then
    generator=(-G Ninja)
elif ninja=$(pip_bin ninja "ninja.BIN_DIR, 'ninja'") && [ -x "$ninja" ]; then
    generator=(-G Ninja -DCMAKE_MAKE_PROGRAM="$ninja")
fi
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)

# --- build: configure, then only what the checks run ----------------------------------------------
configure=(cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DRLHF_GUI=OFF
           -DRLHF_PIP_TORCH="$python" -DRLHF_GPU_TESTS=ON -DCMAKE_CUDA_COMPILER="$nvcc"
           -DCMAKE_POLICY_VERSION_MINIMUM=3.5) # Debian's CLI11 / nlohmann configs under CMake 4
[ -n "${PKG_CONFIG:-}" ] && configure+=(-DPKG_CONFIG_EXECUTABLE="$PKG_CONFIG")
# PyPI's torch ships c10d's ProcessGroupGloo.hpp without the gloo headers it includes: Debian's
# libgloo-dev's (as on our machines), alone on the include path.
if [ ! -e /usr/include/gloo/algorithm.h ] && [ -d /tmp/deps/usr/include/gloo ]; then
    mkdir -p /tmp/gloo-include && ln -sfn /tmp/deps/usr/include/gloo /tmp/gloo-include/gloo
    configure+=(-DCMAKE_CXX_FLAGS="-isystem /tmp/gloo-include")
fi
phase configure 150 30 "${configure[@]}" >"$results/build.log" 2>&1
grep -q "CUDA ON" "$results/build.log" || log "configure: LibTorch without CUDA, or configure failed"
keep_going=() # Ninja: every failing file's errors in one run, not the first one's
[ "${generator[1]}" = Ninja ] && keep_going=(-- -k 0)
phase build 360 60 cmake --build "$build" -j "$cores" --target rlhf test_gpu bench_quantization "${keep_going[@]}" \
    >>"$results/build.log" 2>&1
built=$?
# The whole log on failure (its end, which holds the error), else the end of it.
if ((built == 0)); then tail -n 40 "$results/build.log" >"$out/build.log"; else
    grep -n -B2 -A12 -m 20 -E "error|Error|FAILED" "$results/build.log" | head -c 400000 >"$out/build.log"
    echo "=== end of the log" >>"$out/build.log"
    tail -c 200000 "$results/build.log" >>"$out/build.log"
fi
rlhf="$build/bin/rlhf"
: >"$out/bench.log"
bench() { echo "=== $1" >>"$out/bench.log"; }

# --- test_gpu --------------------------------------------------------------------------------------
if [ -x "$build/tests/test_gpu" ]; then
    phase ctest 150 20 ctest --test-dir "$build" -L gpu --output-on-failure --timeout 140 \
        >"$out/ctest.log" 2>&1
fi

# --- QLoRA's quantised weights: our CUDA dequantisation kernel's GB/s, quantizedLinear vs at::linear
if [ -x "$build/tests/benchmarks/bench_quantization" ]; then
    bench quantization
    phase quantization 60 10 "$build/tests/benchmarks/bench_quantization" --device cuda \
        >"$results/quantization.json" 2>>"$out/bench.log"
fi

# --- fine-tuning a Qwen2.5-0.5B-shaped model (random weights, bf16 safetensors as the Hub has them):
# full, LoRA r16, LoRA r16 on an NF4 base and on an int8 base (QLoRA); ours, then the
# transformers + PEFT twin where the image has what it needs (bitsandbytes for a quantised base).
model=/tmp/qwen2.5-0.5b-shape
bench model
phase model 120 20 "$python" - "$model" >>"$out/bench.log" 2>&1 <<'PY'
import sys, torch, transformers as T
shape = dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
             num_key_value_heads=2, vocab_size=151936, tie_word_embeddings=True,
             max_position_embeddings=32768, rope_theta=1000000.0, rms_norm_eps=1e-6)
torch.manual_seed(0)
with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
    model = T.AutoModelForCausalLM.from_config(T.Qwen2Config(**shape), dtype=torch.bfloat16)
model.save_pretrained(sys.argv[1])
print("parameters", sum(p.numel() for p in model.parameters()))
PY
finetune=(--batch 4 --length 512 --steps 5 --precision bf16)
declare -A lora=([full]="" [lora16]="--lora 16" [lora16-nf4]="--lora 16 --lora-base nf4"
                 [lora16-int8]="--lora 16 --lora-base int8")
if [ -f "$model/config.json" ] && [ -x "$rlhf" ]; then
    for case in full lora16 lora16-nf4 lora16-int8; do
        bench "finetune-$case"
        # shellcheck disable=SC2086 # lora's words split on purpose
        phase "finetune-$case" 90 15 "$rlhf" bench finetune -c "$model" --device cuda "${finetune[@]}" \
            ${lora[$case]} >"$results/finetune-$case.json" 2>>"$out/bench.log"
    done
fi
if [ -f "$model/config.json" ]; then
    has_bnb=$(timeout 60 "$python" -c "import bitsandbytes" 2>/dev/null && echo yes)
    for case in full lora16 lora16-nf4 lora16-int8; do
        if [[ $case == *-* && -z $has_bnb ]]; then
            echo '{"skipped": "bitsandbytes is not installed here"}' >"$results/twin-$case.json"
            continue
        fi
        bench "twin-$case"
        # shellcheck disable=SC2086
        phase "twin-$case" 120 25 "$python" tests/reference/bench_lora.py --checkpoint "$model" \
            --device cuda "${finetune[@]}" ${lora[$case]} >"$results/twin-$case.json" \
            2>>"$out/bench.log"
    done
fi

# --- GPT-2 124M (12 layers, 12 heads, d 768, ctx 1024, vocab 50304) pretraining in bf16, ours and the
# nanoGPT-style twin (eager; torch.compile last, as it compiles for a minute or more), then decoding.
shape=(--layers 12 --heads 12 --dim 768 --ctx 1024 --vocab 50304 --batch 8 --steps 20)
if [ -x "$rlhf" ]; then
    bench pretrain-ours
    phase pretrain-ours 90 20 "$rlhf" bench pretrain "${shape[@]}" --device cuda --precision bf16 \
        >"$results/pretrain-ours.json" 2>>"$out/bench.log"
fi
bench pretrain-eager
phase pretrain-eager 90 20 "$python" tests/reference/bench_pretrain_nanogpt.py "${shape[@]}" \
    --device cuda --precision bf16 >"$results/pretrain-eager.json" 2>>"$out/bench.log"
if [ -x "$rlhf" ]; then
    bench generate
    phase generate 90 20 "$rlhf" bench generate --device cuda --precision bf16 --json \
        --python "$python" --dir "$results/generate" >"$results/generate.json" 2>>"$out/bench.log"
fi
bench pretrain-compile
phase pretrain-compile 180 60 "$python" tests/reference/bench_pretrain_nanogpt.py "${shape[@]}" \
    --device cuda --precision bf16 --compile >"$results/pretrain-compile.json" 2>>"$out/bench.log"

# NCCL all-reduce bandwidth (tests/reference/bench_ddp.py, nccl-tests' algbw / busbw) across the
# machine's GPUs. NCCL runs one rank per GPU, so one GPU has no all-reduce to measure; `rlhf
# bench parallel` measures data-parallel ranks over Gloo on the CPU instead.
if ((gpus >= 2)); then
    bench allreduce
    phase allreduce 60 20 "$python" tests/reference/bench_ddp.py --backend nccl --allreduce-only \
        --ranks "$gpus" >"$results/allreduce.json" 2>>"$out/bench.log"
else
    echo '{"note": "one GPU: NCCL all-reduce needs a rank per GPU, none measured"}' >"$results/allreduce.json"
fi

# bench.log: the end of each benchmark's stderr is enough (progress bars can be long).
tail -c 2000000 "$out/bench.log" >"$results/bench.log" && mv "$results/bench.log" "$out/bench.log"
log "done in $(($(date +%s) - started))s; report in $out/gpu.json"
report --print
awk -F'\t' '$1 == "ctest" && $2 == "pass" {ok = 1} END {exit !ok}' "$results/phases.tsv"
