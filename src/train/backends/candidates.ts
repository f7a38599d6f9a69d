import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { packageDir } from '../../core/package-paths.js';
import type { BackendCandidate, BackendName, StartedBackend } from './backend.js';
import { registerBackendCandidate } from './backend-impl.js';
import { registerWasmGradientKernels } from './wasm-gradient-kernels.js';
import { webgpuCandidate } from './webgpu-backend.js';

/** Imports a package by a runtime name (optional packages have no types and may be absent). */
async function importOptional(name: string): Promise<unknown> {
  return import(name);
}

async function activate(tfjsName: string, name: BackendName, device: string): Promise<StartedBackend> {
  const ok = await tf.setBackend(tfjsName);
  if (!ok || tf.getBackend() !== tfjsName) throw new Error(`tf.setBackend('${tfjsName}') failed`);
  await tf.ready();
  return { name, tfjsName, device };
}

export const tfjsNodeGpuCandidate: BackendCandidate = {
  name: 'tfjs-node-gpu',
  async start() {
    await importOptional('@tensorflow/tfjs-node-gpu');
    return activate('tensorflow', 'tfjs-node-gpu', 'GPU (libtensorflow, CUDA)');
  },
};

export const tfjsNodeCandidate: BackendCandidate = {
  name: 'tfjs-node',
  async start() {
    await importOptional('@tensorflow/tfjs-node');
    return activate('tensorflow', 'tfjs-node', 'CPU (libtensorflow)');
  },
};

export const wasmCandidate: BackendCandidate = {
  name: 'wasm',
  async start() {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist')}/`);
    registerWasmGradientKernels();
    const started = await activate('wasm', 'wasm', 'CPU (WebAssembly)');
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    const threads = wasm.getThreadsCount();
    return {
      ...started,
      device: `CPU (WebAssembly${simd ? ' SIMD' : ''}, ${threads} thread${threads > 1 ? 's' : ''})`,
    };
  },
};

export const cpuCandidate: BackendCandidate = {
  name: 'cpu',
  async start() {
    await import('@tensorflow/tfjs-backend-cpu');
    return activate('cpu', 'cpu', 'CPU (JavaScript)');
  },
};

/** Registers the candidates, highest priority first: tfjs-node-gpu, webgpu, tfjs-node, wasm, cpu. */
export function registerDefaultBackends(): void {
  registerBackendCandidate(tfjsNodeGpuCandidate, 40);
  registerBackendCandidate(webgpuCandidate, 35);
  registerBackendCandidate(tfjsNodeCandidate, 30);
  registerBackendCandidate(wasmCandidate, 20);
  registerBackendCandidate(cpuCandidate, 10);
}
