import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { probeWebGpuAdapter } from '../../src/core/webgpu-adapter.js';
import {
  backboneForward,
  compareWithCpu,
  relativeError,
  trainingSteps,
} from '../../src/train/backends/backend-parity.js';
import { startTrainingBackend } from '../../src/train/backends/index.js';
import {
  DAWN_OPTIONS_ENV,
  missingWebgpuKernels,
  WEBGPU_POWER_ENV,
  WEBGPU_TRAINING_KERNELS,
  webgpuSettings,
} from '../../src/train/backends/webgpu-backend.js';

/**
 * The webgpu training backend on a machine without a GPU: Dawn finds no adapter here (no Vulkan driver; on
 * Debian 12 lavapipe lacks a feature Dawn requires), so these tests prove the selection, the messages, the
 * fallback and the kernel coverage; Dawn's null adapter (`backend=null`: every kernel dispatched, nothing
 * computed) proves the whole path runs. The numbers are checked against cpu where a real adapter exists.
 */
const savedEnv = { ...process.env };
afterEach(() => {
  for (const key of [DAWN_OPTIONS_ENV, WEBGPU_POWER_ENV]) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
});

async function recordKernels(fn: () => Promise<unknown>): Promise<string[]> {
  const names = new Set<string>();
  const engine = tf.engine() as unknown as { runKernelFunc(p: { kernelName?: string }): unknown };
  const original = engine.runKernelFunc;
  engine.runKernelFunc = function (this: unknown, p) {
    if (p.kernelName) names.add(p.kernelName);
    return original.call(this, p);
  };
  try {
    await fn();
  } finally {
    engine.runKernelFunc = original;
  }
  return [...names].sort();
}

describe('webgpu training backend', () => {
  it('without an adapter the default order tries webgpu, says why, and falls back to wasm', async () => {
    const started = await startTrainingBackend();
    expect(started.name).toBe('wasm');
    expect(started.failures.map((f) => f.name)).toEqual(['tfjs-node-gpu', 'webgpu', 'tfjs-node']);
    const webgpu = started.failures.find((f) => f.name === 'webgpu')!;
    expect(webgpu.error).toMatch(/Vulkan|WebGPU adapter/);
  }, 60_000);

  it('--backend webgpu without an adapter: E_BACKEND naming the reason', async () => {
    const err = await startTrainingBackend('webgpu').catch((e: unknown) => e);
    expect(isMaskEdgeError(err, 'E_BACKEND')).toBe(true);
    expect((err as Error).message).toMatch(/webgpu: .*(Vulkan|adapter)/);
  }, 60_000);

  it('settings: power preference and Dawn options from the environment; a bad value is E_CONFIG', () => {
    expect(webgpuSettings({})).toEqual({ power: 'high-performance', dawnOptions: [] });
    expect(
      webgpuSettings({ [WEBGPU_POWER_ENV]: 'low-power', [DAWN_OPTIONS_ENV]: 'backend=vulkan, adapter=X' }),
    ).toEqual({ power: 'low-power', dawnOptions: ['backend=vulkan', 'adapter=X'] });
    let err: unknown;
    try {
      webgpuSettings({ [WEBGPU_POWER_ENV]: 'fast' });
    } catch (e) {
      err = e;
    }
    expect(isMaskEdgeError(err, 'E_CONFIG')).toBe(true);
  });

  it('every kernel the student and teachers train with is registered for webgpu (recorded on cpu)', async () => {
    await startTrainingBackend('cpu');
    const used = await recordKernels(async () => {
      await trainingSteps();
      await backboneForward();
    });
    // the list in the source covers what the code runs today
    expect(used.filter((k) => !WEBGPU_TRAINING_KERNELS.includes(k))).toEqual([]);
    await import('@tensorflow/tfjs-backend-webgpu'); // registers its kernels even without a GPU
    expect(missingWebgpuKernels()).toEqual([]);
    // the wasm replacements are wasm-only; webgpu uses its own shaders for these
    for (const k of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad']) {
      expect(tf.getKernel(k, 'webgpu')).toBeDefined();
    }
  }, 300_000);

  it("on Dawn's null adapter the backend starts and the training steps run end to end", async () => {
    process.env[DAWN_OPTIONS_ENV] = 'backend=null';
    const started = await startTrainingBackend('webgpu');
    expect(started.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(started.device).toMatch(/null adapter/);
    const losses = await trainingSteps(); // values are meaningless here: the null adapter computes nothing
    expect(losses).toHaveLength(3);
    // the GPU machine's comparison runs through here too (3 gradient cases + 2 backbones)
    expect(await compareWithCpu('webgpu')).toHaveLength(5);
  }, 300_000);

  it('the comparison passes where the numbers are right: wasm against cpu at 1e-4', async () => {
    await startTrainingBackend('wasm');
    const rows = await compareWithCpu('wasm');
    expect(rows.map((r) => r.what)).toHaveLength(5);
    expect(rows.filter((r) => !r.pass)).toEqual([]);
  }, 300_000);
});

describe('webgpu matches cpu at 1e-4 (needs a real GPU adapter)', async () => {
  it('the comparison itself: relative error of the largest difference', () => {
    expect(relativeError(Float32Array.from([1, 2.0001]), Float32Array.from([1, 2]))).toBeCloseTo(0.00005, 6);
    expect(relativeError(Float32Array.from([1]), Float32Array.from([1, 2]))).toBe(Number.POSITIVE_INFINITY);
  });

  const probe = await probeWebGpuAdapter();
  it.skipIf(!probe.found)(
    `loss, gradients and backbone features (${probe.reason ?? probe.description})`,
    async () => {
      // runs on a GPU machine (bench/device/run.sh runs the same comparison); skipped here with the reason
      await startTrainingBackend('webgpu');
      const rows = await compareWithCpu('webgpu');
      expect(rows.filter((r) => !r.pass)).toEqual([]);
    },
    300_000,
  );
});
