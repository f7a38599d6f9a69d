#!/usr/bin/env node
// Step 1 of bench/device/run.sh: what this machine offers mask-edge's GPU paths, and whether the webgpu training
// backend computes what cpu computes (loss and gradients of the student, the from-scratch teacher and a
// feature head, plus backbone features; relative error < 1e-4 passes). One JSON object on stdout.
//
//   node bench/device/env-and-parity.mjs > env.json      (needs dist/: npx tsc -p tsconfig.build.json)
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
const { probeWebGpuAdapter, vulkanMissingReason } = await import(join(dist, 'core/webgpu-adapter.js'));
const { checkProviderLibraries } = await import(join(dist, 'core/gpu-libraries.js'));
const { packageDir } = await import(join(dist, 'core/package-paths.js'));
const { startTrainingBackend } = await import(join(dist, 'train/backends/index.js'));
const { compareWithCpu } = await import(join(dist, 'train/backends/backend-parity.js'));

const sh = (cmd) => {
  try {
    return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
};
const ort = await import('onnxruntime-node');
const runtimeDir = packageDir('onnxruntime-node');
const report = {
  gpu: sh('nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader') || 'no nvidia-smi',
  cpu: sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").trim(),
  cores: Number(sh('nproc')) || undefined,
  node: process.version,
  vulkan: vulkanMissingReason() ?? 'loader and driver manifest present',
  onnxruntimeBuild: ort.listSupportedBackends?.() ?? [],
  providerLibraries: {
    cuda: checkProviderLibraries('cuda', runtimeDir),
    tensorrt: checkProviderLibraries('tensorrt', runtimeDir),
  },
  adapter: await probeWebGpuAdapter(),
};
if (report.adapter.found) {
  try {
    const started = await startTrainingBackend('webgpu');
    report.trainingBackend = started.device;
    const t0 = performance.now();
    report.parity = await compareWithCpu('webgpu');
    report.paritySeconds = +((performance.now() - t0) / 1000).toFixed(1);
  } catch (err) {
    report.parityError = String(err?.message ?? err).split('\n')[0];
  }
} else {
  report.parity = 'skipped: no WebGPU adapter';
}
process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
process.exit(0);
