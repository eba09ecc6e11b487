#!/usr/bin/env bash
# The device call of docs/benchmarks.md (run from the checkout root, with .devbundle and .gl carried): Vulkan
# loader from .gl, then the comparison. gpu-bundle.mjs copies this into the bundle as device.sh.
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd
{ nproc; lscpu; nvidia-smi -L; ldconfig -p | grep -i vulkan; ls /usr/local/nvidia/share/vulkan/icd.d/ /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d 2>&1; } > "$OUT/env.txt" 2>&1
STITCH_BENCH_THREADS=${STITCH_BENCH_THREADS:-1,2,4,8,16} bash .devbundle/gpu-machine.sh .devbundle "$OUT" "$@"
