#!/usr/bin/env bash
# The benchmark's full config (SD-Turbo-sized UNet, fp16, ≈1.7 GB) on a machine with an NVIDIA GPU:
# Chromium with WebGPU over Vulkan. Not part of npm test. Extra arguments go to bench/run.ts
# (e.g. --reps 3, --no-build).
#
#   bash bench/gpu.sh [--reps N] [--config small]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "bench/gpu.sh needs an NVIDIA GPU (nvidia-smi found none)." >&2
  exit 1
fi
nvidia-smi -L

# WebGPU on Linux goes through Dawn's Vulkan backend; headless Chromium needs it asked for explicitly.
GPU_FLAGS="--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan --use-angle=vulkan --use-vulkan=native --enable-unsafe-webgpu --ignore-gpu-blocklist --disable-vulkan-surface"

config=full
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

npx tsx bench/run.ts --config "$config" --gpu --chromium-args "$GPU_FLAGS" --name latest-gpu "${args[@]}"
