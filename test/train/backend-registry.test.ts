import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { isMaskEdgeError } from '../../src/core/errors.js';
import {
  type BackendName,
  registerBackendCandidate,
  resolveBackend,
  startTrainingBackend,
} from '../../src/train/backends/index.js';

describe('training backend registry', () => {
  it('tries tfjs-node-gpu, webgpu and tfjs-node first, reports why they failed, and starts wasm', async () => {
    const started = await startTrainingBackend();
    expect(started.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(started.device).toMatch(/WebAssembly/);
    expect(started.failures.map((f) => f.name)).toEqual(['tfjs-node-gpu', 'webgpu', 'tfjs-node']);
    for (const failure of started.failures.filter((f) => f.name !== 'webgpu')) {
      expect(failure.error).toMatch(/package not installed/);
    }
    // no GPU adapter on these machines (test/train/webgpu-backend.test.ts covers the webgpu backend itself)
    expect(started.failures[1]!.error).toMatch(/Vulkan|adapter/);
  });

  it('--backend forces one, and a forced unavailable backend fails with E_BACKEND listing the failure', async () => {
    const cpu = await startTrainingBackend('cpu');
    expect(cpu.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const err = await startTrainingBackend('tfjs-node').catch((e: unknown) => e);
    expect(isMaskEdgeError(err, 'E_BACKEND')).toBe(true);
    expect((err as { detail: { failures: { name: string; error: string }[] } }).detail.failures).toEqual([
      { name: 'tfjs-node', error: expect.stringMatching(/package not installed/) },
    ]);
    const unknown = await resolveBackend('tpu').catch((e: unknown) => e);
    expect(isMaskEdgeError(unknown, 'E_USAGE')).toBe(true);
    await tf.setBackend('wasm');
  });

  it('collects every failure in priority order before the one that starts', async () => {
    registerBackendCandidate(
      { name: 'fake-accelerator' as BackendName, start: () => Promise.reject(new Error('boom')) },
      100,
    );
    const started = await resolveBackend();
    expect(started.name).toBe('wasm');
    expect(started.failures).toEqual([
      { name: 'fake-accelerator', error: 'boom' },
      { name: 'tfjs-node-gpu', error: expect.stringMatching(/package not installed/) },
      { name: 'webgpu', error: expect.stringMatching(/Vulkan|adapter/) },
      { name: 'tfjs-node', error: expect.stringMatching(/package not installed/) },
    ]);
  });
});
