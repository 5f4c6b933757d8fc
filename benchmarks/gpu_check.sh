#!/usr/bin/env bash
# The GPU check: run it first on a GPU node (no network, no data; at most 8 minutes on one H100 / H200).
#   bash benchmarks/gpu_check.sh                      paper-preset sizes on the GPU
#   GPU_CHECK_SMOKE=1 bash benchmarks/gpu_check.sh    tiny models on any machine (checks the logic)
#   OUT=dir bash benchmarks/gpu_check.sh              also write dir/gpu_check.json
# Needs Python 3.11+ with torch, torchvision, transformers, scipy, numpy and PyYAML (no Snakemake,
# papermill or DVC); rsrepro is imported from this checkout's src/. What each figure means: docs/gpu.md.
# Its last line reads `gpu check: projected paper preset <hours> h on <device>`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
GPU_CHECK_LAUNCHED="$(date +%s.%N)"
export GPU_CHECK_LAUNCHED
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version --format=csv,noheader || true
fi
# The check keeps to its own budget; this only stops a hung run (a worker waiting on a dead GPU).
exec timeout --signal=INT --kill-after=20 "${GPU_CHECK_TIMEOUT_S:-470}" "${PYTHON:-python3}" benchmarks/gpu_check.py "$@"
