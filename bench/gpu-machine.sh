#!/usr/bin/env bash
# Runs the training comparison from a bundle made by bench/gpu-bundle.mjs, on a machine with no registry
# (docs/benchmarks.md, "GPU machine"): Stitch on the automatic backend (webgpu where Dawn finds the GPU),
# on wasm with 1 and all threads, and PyTorch on CPU (default threads, 1 thread) and CUDA; then a data-parallel
# step of the convnet and of the MLP on 1 to 16 workers, its wall time, the main thread's share and all threads'
# CPU time (bench/profile-dp.ts) into
# OUT/profile-dp.txt; then, where Dawn is there, what a webgpu training step costs (bench/profile-webgpu.ts) into
# OUT/profile-webgpu.txt.
#
# Usage: bash bench/gpu-machine.sh BUNDLE_DIR [OUT_DIR] [--quick]
# Dawn needs the Vulkan loader (libvulkan.so.1): where `ldconfig -p` lacks it, unpack Debian's libvulkan1
# first (the device notes in docs/benchmarks.md say how).
set -uo pipefail
bundle=$(cd "$1" && pwd)
out=${2:-/tmp/stitch-bench-out}
shift $(( $# >= 2 ? 2 : 1 ))
mkdir -p "$out"
work=$(mktemp -d)
unpack() { python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; }
unpack "$bundle/node.xz" "$work/node" && chmod +x "$work/node"
if [ -f "$bundle/dawn.node.xz" ]; then unpack "$bundle/dawn.node.xz" "$work/dawn.node"; export STITCH_DAWN_NODE="$work/dawn.node"; fi
# The data cache must be writable (the loader may write sidecars): copy it.
cp -r "$bundle/data" "$work/data"

export STITCH_BENCH_ROOT="$bundle" STITCH_WASM_DIST="$bundle/wasm-dist" STITCH_MNIST_DIR="$work/data/mnist"
export STITCH_BENCH_DATA="$work/data" STITCH_TORCH_SCRIPT="$bundle/torch_reference.py"
{
  echo "== $(date -u +%FT%TZ) $(nproc) cores; $(python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' 2>&1)"
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || true
  "$work/node" "$bundle/bench.js" --only=training "$@"
} 2>&1 | tee "$out/bench.txt"
for model in mnist-cnn mnist-mlp; do
  for workers in 1 2 4 8 16; do
    timeout 120 "$work/node" "$bundle/profile-dp.js" "$model" --workers=$workers --steps=200
  done
done 2>&1 | tee "$out/profile-dp.txt"
if [ -n "${STITCH_DAWN_NODE:-}" ]; then
  for args in "mnist-cnn --batch=64" "mnist-mlp --batch=64" "mnist-mlp --batch=512"; do
    # shellcheck disable=SC2086 # the model and its options are separate words
    timeout 300 "$work/node" "$bundle/profile-webgpu.js" $args --batches=50 --programs
  done 2>&1 | tee "$out/profile-webgpu.txt"
fi
