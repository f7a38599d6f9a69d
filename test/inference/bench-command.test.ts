import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { MODELS_DIR } from '../../src/core/package-paths.js';
import { runBench } from '../../src/edge/bench/bench-command.js';
import { median, percentile } from '../../src/edge/bench/session-bench.js';
import { meanColourClassifier, tempDir, writeModel } from './tiny-models.js';

describe('bench statistics', () => {
  it('median and nearest-rank percentiles', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
  });
});

describe('runBench', () => {
  const dir = tempDir('mask-edge-bench-');
  const fp32 = writeModel(dir, 'c.onnx', meanColourClassifier({ size: 16 }));
  const int8 = writeModel(dir, 'c8.onnx', meanColourClassifier({ size: 16, precision: 'int8' }));

  it('measures every precision x provider x threads x batch that can run and lists what it skipped', async () => {
    const report = await runBench({
      classifier: fp32,
      classifierInt8: int8,
      detector: join(dir, 'no-detector.onnx'),
      detectorInt8: join(dir, 'no-detector.int8.onnx'),
      providers: ['cuda', 'cpu'],
      threads: [1, 2],
      batches: [1, 4],
      repeats: 2,
      seconds: 0.02,
    });
    const keys = report.results.map((r) => `${r.precision}/${r.provider}/${r.threads}/${r.batch}`);
    expect(keys).toEqual([
      'fp32/cpu/1/1',
      'fp32/cpu/1/4',
      'fp32/cpu/2/1',
      'fp32/cpu/2/4',
      'int8/cpu/1/1',
      'int8/cpu/1/4',
      'int8/cpu/2/1',
      'int8/cpu/2/4',
    ]);
    for (const r of report.results) {
      expect(r.imagesPerSec).toBeGreaterThan(0);
      expect(r.repeatsImagesPerSec).toHaveLength(2);
      expect(r.p95Ms).toBeGreaterThanOrEqual(r.p50Ms);
      expect(r.calls).toBeGreaterThanOrEqual(2);
    }
    const skipped = report.skipped.map((s) => s.what);
    expect(skipped).toEqual(expect.arrayContaining(['detector fp32', 'detector int8', 'provider cuda']));
    expect(report.skipped.find((s) => s.what === 'provider cuda')!.reason).toMatch(/cuda/);
  });

  it('default auto: measures cpu, lists tensorrt, cuda and webgpu as skipped with why, without trying them', async () => {
    const report = await runBench({
      classifier: fp32,
      classifierInt8: join(dir, 'none.onnx'),
      detector: join(dir, 'none.onnx'),
      detectorInt8: join(dir, 'none.onnx'),
      threads: [1],
      batches: [1],
      repeats: 1,
      seconds: 0.02,
    });
    expect(report.results.map((r) => r.provider)).toEqual(['cpu']);
    const skipped = Object.fromEntries(report.skipped.map((s) => [s.what, s.reason]));
    expect(skipped['provider tensorrt']).toMatch(/libonnxruntime_providers_tensorrt\.so.*\(auto\)/);
    expect(skipped['provider cuda']).toMatch(/libonnxruntime_providers_cuda\.so/);
    expect(skipped['provider webgpu']).toMatch(/Vulkan|adapter/);
  });

  it('labels a detector given by path with the precision its metadata records', async () => {
    const report = await runBench({
      detector: join(MODELS_DIR, 'face-detector-ssd-320.int8.onnx'),
      detectorInt8: join(dir, 'none.onnx'),
      only: 'detector',
      providers: ['cpu'],
      threads: [1],
      batches: [1],
      repeats: 1,
      seconds: 0.02,
    });
    expect(report.results.map((r) => `${r.model} ${r.precision}`)).toEqual(['detector int8']);
  });

  it('rejects an unknown provider name', async () => {
    const err = await runBench({ classifier: fp32, providers: ['quantum'] }).catch((e) => e);
    expect(isMaskEdgeError(err, 'E_USAGE')).toBe(true);
  });
});
