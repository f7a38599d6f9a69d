#!/usr/bin/env bash
# The GPU measurement of issue 14, in one run of at most 10 minutes on a bare GPU machine (bench/device/README.md):
#   1. environment + webgpu training backend vs cpu at 1e-4 (loss and gradients of student, scratch teacher,
#      feature head; backbone features)                                        -> $OUT/env.json
#   2. a short `mask-edge train` on wasm and on webgpu, same data, seed, steps (batch 64), then webgpu at batch
#      256                                                                     -> $OUT/train-{wasm,webgpu,webgpu-256}.json
#   3. `mask-edge bench --providers tensorrt,cuda,webgpu,cpu` (each provider on its own; a provider whose
#      libraries do not load is listed as skipped with the reason)             -> $OUT/bench.json
#   4. the agent on a 640x480 clip (30 frames, looped) with webgpu and with cpu -> $OUT/agent.json
#   5. a summary against the goals (student training >= 10x wasm, detector >= 5x cpu) -> $OUT/summary.md
# plus $OUT/run.log (8 files). Each step has its own time limit, cut so the whole run ends by 570 s
# (MASK_EDGE_DEVICE_DEADLINE); a failed or skipped step is reported and the rest run.
#
# Needs .devcarry/ (node bench/device/pack.mjs, here) and, where the image has no Vulkan loader, .gl/ (the
# one-time prep in bench/device/README.md); both named in the device tool's carry.
#   bash bench/device/run.sh            (on the device: OUT is set by the tool; elsewhere it defaults to ./.device-out)
set -u
OUT=${OUT:-$PWD/.device-out}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/run.log") 2>&1
T0=$(date +%s)
step() { echo "== [$(($(date +%s) - T0))s] $*"; }
# each step gets its own limit, cut to what is left of DEADLINE seconds (the device tool stops the call at 600)
DEADLINE=${MASK_EDGE_DEVICE_DEADLINE:-570}
limit() {
  local left=$((DEADLINE - ($(date +%s) - T0)))
  if [ "$left" -lt "$1" ]; then echo "$left"; else echo "$1"; fi
}
run_for() {
  local secs
  secs=$(limit "$1")
  shift
  if [ "$secs" -lt 20 ]; then
    echo "skipped (out of time): $*"
    return 124
  fi
  timeout "$secs" "$@"
}
CARRY=${MASK_EDGE_DEVICE_CARRY:-.devcarry}
WORK=${MASK_EDGE_DEVICE_WORK:-/tmp/mask-edge-device}
mkdir -p "$WORK"

step "Vulkan loader and driver"
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
  if ls .gl/*.deb >/dev/null 2>&1; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
    echo "unpacked $(ls .gl/*.deb | wc -l) loader packages from .gl/"
  else
    echo "no libvulkan.so.1 and no .gl/*.deb: WebGPU will find no adapter (bench/device/README.md, one-time prep)"
  fi
fi
if [ -z "${VK_DRIVER_FILES:-}" ] &&
  ! ls /etc/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json >/dev/null 2>&1 &&
  [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  echo "VK_DRIVER_FILES=$VK_DRIVER_FILES"
fi

step "Node.js, node_modules, dist"
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "${MASK_EDGE_DEVICE_NODE:-}" = carried ] || [ "$NODE_MAJOR" -lt 20 ]; then
  mkdir -p "$WORK/bin"
  xz -dc "$CARRY/node.xz" >"$WORK/bin/node" && chmod +x "$WORK/bin/node"
  export PATH="$WORK/bin:$PATH"
fi
echo "node $(node --version) at $(command -v node)"
if [ ! -d node_modules/onnxruntime-node ]; then
  rm -rf node_modules && mkdir node_modules && tar -C node_modules -xJf "$CARRY/modules.tar.xz"
fi
if [ ! -f dist/cli/main.js ]; then tar -xJf "$CARRY/dist.tar.xz"; fi
rm -rf "$WORK/data" "$WORK/frames" && mkdir -p "$WORK/data" "$WORK/frames"
[ -f "$CARRY/data.tar" ] && tar -C "$WORK/data" -xf "$CARRY/data.tar"
[ -f "$CARRY/frames.tar" ] && tar -C "$WORK/frames" -xf "$CARRY/frames.tar"
if [ ! -f models/face-detector.onnx ]; then
  step "face detector from face-api's weights"
  timeout 120 node scripts/build-face-detector.mjs --box-adjust recorded >/dev/null || echo "detector build failed"
fi
ME="node bin/mask-edge.js"

step "1/4 environment and webgpu vs cpu (1e-4)"
run_for 90 node bench/device/env-and-parity.mjs >"$OUT/env.json" || echo "env/parity step failed (rc $?)"

step "2/4 training: wasm and webgpu, same data, seed and steps"
# the landmark-tiny teacher (frozen face-api backbone + head) keeps the teacher phase short; the student is the
# default CNN at 64 px; batch 64 on both backends (same steps: the loss curves compare), then batch 256 on webgpu
TRAIN_ARGS=(--data "$WORK/data" --teacher landmark-tiny --kd vanilla --size 64 --epochs 4 --teacher-epochs 2
  --no-baselines --no-ensemble --workers 1 --seed 1 --cache-dir "$WORK/crop-cache" --json)
for run in wasm:64 webgpu:64 webgpu:256; do
  backend=${run%:*} batch=${run#*:}
  name=$backend$([ "$batch" = 64 ] || echo "-$batch")
  if [ "$batch" != 64 ] && [ $(($(date +%s) - T0)) -gt 280 ]; then echo "skipping $name: past 280 s"; continue; fi
  rm -rf "$WORK/run-$name"
  run_for "$([ "$backend" = wasm ] && echo 150 || echo 80)" $ME train "${TRAIN_ARGS[@]}" --backend "$backend" --batch-size "$batch" --out "$WORK/run-$name" \
    >"$OUT/train-$name.json" || echo "train $name failed (rc $?)"
done

step "3/4 bench: tensorrt, cuda, webgpu, cpu"
run_for 110 $ME bench --providers tensorrt,cuda,webgpu,cpu --threads "$(nproc)" --batches 1,32 --repeats 3 \
  --seconds 0.5 --json >"$OUT/bench.json" || echo "bench failed (rc $?)"

step "4/4 agent on the 640x480 clip: webgpu, then cpu"
: >"$OUT/agent.json"
for providers in webgpu,cpu cpu; do
  run_for 40 node bench/agent-fps.mjs --providers "$providers" --frames "$WORK/frames" --sink recording \
    --detector models/face-detector.onnx --detector-sizes 512 --every 1 --reclassify 1 --seconds 6 --warmup 3 \
    --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{if(s.trim())console.log(JSON.stringify(JSON.parse(s)))})' \
    >>"$OUT/agent.json" || echo "agent with $providers failed (rc $?)"
done

step "summary"
node bench/device/summarise.mjs "$OUT" | tee "$OUT/summary.md"
step "done"
