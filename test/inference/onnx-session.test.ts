import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMaskEdgeError, type MaskEdgeError } from '../../src/core/errors.js';
import { findProvider, PROVIDER_REGISTRY, unavailableReason } from '../../src/core/execution-providers.js';
import { Logger } from '../../src/core/logger.js';
import { openOnnxSession, readOnnxMetadata, sessionOptionsFor } from '../../src/core/onnx-session.js';
import { meanColourClassifier, reluModel, tempDir, writeModel } from './tiny-models.js';

const dir = tempDir();
const relu = writeModel(dir, 'relu.onnx', reluModel({ 'mask_edge.kind': 'test', 'x.json': '[1,2]' }));

function capture(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const logger = new Logger({ json: true, level: 'debug', sink: { write: (l) => out.push(l) } });
  return { logger, lines: () => out.map((l) => JSON.parse(l)) };
}

async function codeOf(p: Promise<unknown>): Promise<MaskEdgeError> {
  try {
    await p;
  } catch (err) {
    if (isMaskEdgeError(err)) return err;
    throw err;
  }
  throw new Error('expected a MaskEdgeError');
}

describe('openOnnxSession', () => {
  it('default auto: skips GPU providers whose libraries/adapter are absent, warns about none, names cpu once', async () => {
    const { logger, lines } = capture();
    const opened = await openOnnxSession(relu, { logger });
    expect(opened.provider).toBe('cpu');
    expect(opened.failures).toEqual([]);
    // this machine: no CUDA/TensorRT provider libraries next to the binding, no Vulkan driver for WebGPU
    expect(opened.skipped.map((s) => s.provider)).toEqual(['tensorrt', 'cuda', 'webgpu']);
    expect(opened.skipped[0]!.reason).toMatch(/libonnxruntime_providers_tensorrt\.so/);
    expect(opened.metadata['mask_edge.kind']).toBe('test');
    const again = await openOnnxSession(relu, { logger });
    const visible = lines().filter((l) => l.level !== 'debug');
    expect(visible.filter((l) => l.level === 'warn')).toEqual([]);
    expect(visible.map((l) => l.msg)).toEqual(['execution provider: cpu']);
    expect(visible[0]!.skipped).toMatch(/tensorrt, cuda: libraries not installed; webgpu: no GPU adapter/);
    const x = new opened.runtime.Tensor('float32', Float32Array.from([-1, 2, -3, 4, -5, 6]), [2, 3]);
    const y = (await opened.session.run({ x })).y!;
    expect(Array.from(y.data as Float32Array)).toEqual([0, 2, 0, 4, 0, 6]);
    await opened.session.release();
    await again.session.release();
  });

  it('an explicit --providers cuda is still tried and its failure explained (E_BACKEND, exit 7)', async () => {
    const { logger, lines } = capture();
    const err = await codeOf(openOnnxSession(relu, { providers: ['cuda'], logger }));
    expect(err.code).toBe('E_BACKEND');
    expect(err.message).toMatch(
      /cuda: cuda is in this onnxruntime-node build but its libraries are not installed/,
    );
    expect(err.message).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
    expect(
      lines()
        .filter((l) => l.level === 'warn')
        .map((l) => l.provider),
    ).toEqual(['cuda']);
    const webgpu = await codeOf(openOnnxSession(relu, { providers: ['webgpu'], logger }));
    expect(webgpu.message).toMatch(/webgpu found no GPU adapter.*Vulkan/);
  });

  it('auto keeps cuda, tensorrt and webgpu when the machine checks find them, in the default order', async () => {
    const { logger, lines } = capture();
    const tried: string[] = [];
    const opened = await openOnnxSession(relu, {
      logger,
      autoChecks: {
        libraries: (provider) => {
          tried.push(provider);
          return provider === 'cuda'
            ? { present: true, reason: '' }
            : { present: false, reason: 'no libnvinfer' };
        },
        adapter: async () => ({ found: true, description: 'test adapter' }),
      },
    });
    expect(tried).toEqual(['tensorrt', 'cuda']);
    expect(opened.skipped).toEqual([{ provider: 'tensorrt', reason: 'no libnvinfer' }]);
    // cuda and webgpu were tried for real and failed here (no libraries, no adapter): warned, then cpu ran
    expect(opened.failures.map((f) => f.provider)).toEqual(['cuda', 'webgpu']);
    expect(opened.provider).toBe('cpu');
    expect(lines().filter((l) => l.level === 'warn')).toHaveLength(2);
    await opened.session.release();
  });

  it('passes tensorrt/cuda their device id and TensorRT its FP16 / engine cache settings', () => {
    const trt = findProvider('TensorrtExecutionProvider')!;
    const cuda = findProvider('CUDA')!;
    expect(sessionOptionsFor(trt, { deviceId: 1, threads: 2 })).toMatchObject({
      executionProviders: [{ name: 'tensorrt', deviceId: 1 }],
      intraOpNumThreads: 2,
    });
    expect(sessionOptionsFor(cuda).executionProviders).toEqual([{ name: 'cuda', deviceId: 0 }]);
    expect(trt.environment({ trtEngineCacheDir: '/var/lib/mask-edge/trt' })).toEqual({
      ORT_TENSORRT_FP16_ENABLE: '1',
      ORT_TENSORRT_ENGINE_CACHE_ENABLE: '1',
      ORT_TENSORRT_CACHE_PATH: '/var/lib/mask-edge/trt',
    });
    expect(sessionOptionsFor(findProvider('cpu')!).intraOpNumThreads).toBeUndefined();
    // WebGPU: the adapter choice goes in as onnxruntime session config (ep.webgpuexecutionprovider.*)
    const webgpu = findProvider('WebGpuExecutionProvider')!;
    expect(sessionOptionsFor(webgpu, { powerPreference: 'low-power' })).toMatchObject({
      executionProviders: [{ name: 'webgpu' }],
      extra: { ep: { webgpuexecutionprovider: { powerPreference: 'LowPower' } } },
    });
    expect(sessionOptionsFor(webgpu).extra?.ep).toEqual({
      webgpuexecutionprovider: { powerPreference: 'HighPerformance' },
    });
    expect(webgpu.optionProblem?.({ deviceId: 1 })).toMatch(/webgpu takes no device index.*power preference/);
    expect(webgpu.optionProblem?.({ deviceId: 0 })).toBeUndefined();
    // Idle worker threads sleep unless spinning is asked for.
    expect(sessionOptionsFor(findProvider('cpu')!).extra).toEqual({
      session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } },
    });
    expect(sessionOptionsFor(findProvider('cpu')!, { spinning: true }).extra?.session).toMatchObject({
      intra_op: { allow_spinning: '1' },
    });
  });

  it('accepts aliases and says plainly when a provider is not in this onnxruntime-node build', async () => {
    const opened = await openOnnxSession(relu, {
      providers: ['trt', 'coreml', 'nonsense', 'CPUExecutionProvider'],
    });
    expect(opened.provider).toBe('cpu');
    expect(opened.failures.map((f) => f.provider)).toEqual(['tensorrt', 'coreml', 'nonsense']);
    expect(opened.failures[1]!.error).toMatch(/not in this onnxruntime-node build/);
    expect(opened.failures[2]!.error).toMatch(/unknown execution provider 'nonsense'/);
    expect(unavailableReason('tensorrt', [{ name: 'cpu', bundled: true }], 'linux/arm64')).toMatch(
      /linux\/arm64 has: cpu.*MASK_EDGE_ONNXRUNTIME/,
    );
    expect(PROVIDER_REGISTRY.map((p) => p.name)).toContain('cpu');
    await opened.session.release();
  });

  it('reports every failure together when no provider can start (E_BACKEND)', async () => {
    const err = await codeOf(openOnnxSession(relu, { providers: ['tensorrt', 'cuda'] }));
    expect(err.code).toBe('E_BACKEND');
    expect(err.message).toMatch(/tensorrt: .*; cuda: /);
    expect((err.detail.failures as unknown[]).length).toBe(2);
  });

  it('applies the thread count and runs with one thread', async () => {
    const opened = await openOnnxSession(relu, { providers: ['cpu'], threads: 1 });
    expect(opened.failures).toEqual([]);
    await opened.session.release();
  });
});

describe('bad model files', () => {
  it('missing file: E_NOT_FOUND with the path', async () => {
    const missing = join(dir, 'nope.onnx');
    // made one at a time: a rejection created before it is awaited is reported as unhandled
    for (const make of [() => openOnnxSession(missing), () => readOnnxMetadata(missing)]) {
      const err = await codeOf(make());
      expect(err.code).toBe('E_NOT_FOUND');
      expect(err.detail.path).toBe(missing);
    }
  });

  it('truncated and non-ONNX files: E_MODEL naming the file', async () => {
    const bytes = meanColourClassifier();
    const truncated = join(dir, 'truncated.onnx');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const text = join(dir, 'text.onnx');
    writeFileSync(text, 'this is not a model, just some text\n'.repeat(20));
    const empty = join(dir, 'empty.onnx');
    writeFileSync(empty, '');
    for (const path of [truncated, text, empty]) {
      // Started one at a time, so no rejection is left unobserved while the other is awaited.
      for (const open of [
        () => openOnnxSession(path, { providers: ['cpu'] }),
        () => readOnnxMetadata(path),
      ]) {
        const err = await codeOf(open());
        expect(err.code).toBe('E_MODEL');
        expect(err.message).toContain(path);
      }
    }
  });

  it('graph input shape contradicting the metadata contract: E_MODEL saying what was expected', async () => {
    const path = writeModel(dir, 'wrong-shape.onnx', meanColourClassifier({ size: 8, graphSize: 16 }));
    const err = await codeOf(openOnnxSession(path, { providers: ['cpu'] }));
    expect(err.code).toBe('E_MODEL');
    expect(err.message).toMatch(/\[N, 3, 16, 16\].*expects \[N, 3, 8, 8\]/);
    expect(err.detail.expected).toEqual(['N', 3, 8, 8]);
  });
});

describe('readOnnxMetadata', () => {
  it('decodes metadata_props written by the graph builder', async () => {
    const path = writeModel(dir, 'meta.onnx', meanColourClassifier({ size: 12, mean: [0.5, 0.4, 0.3] }));
    const meta = await readOnnxMetadata(path);
    expect(meta['mask_edge.kind']).toBe('classifier');
    expect(JSON.parse(meta['mask_edge.input_size']!)).toBe(12);
    expect(JSON.parse(meta['mask_edge.mean']!)).toEqual([0.5, 0.4, 0.3]);
    expect(JSON.parse(meta['mask_edge.labels']!)).toEqual(['correct', 'incorrect', 'no_mask']);
  });
});

describe('custom onnxruntime (MASK_EDGE_ONNXRUNTIME / runtimePath)', () => {
  it('accepts the path of the runtime already in use and refuses a folder without an onnxruntime package', async () => {
    const { packageDir } = await import('../../src/core/package-paths.js');
    const same = await openOnnxSession(relu, {
      providers: ['cpu'],
      runtimePath: packageDir('onnxruntime-node'),
    });
    expect(same.provider).toBe('cpu');
    await same.session.release();
    const err = await codeOf(openOnnxSession(relu, { runtimePath: join(dir, 'no-such-onnxruntime') }));
    expect(err.code).toBe('E_BACKEND');
    expect(err.detail.path).toBe(join(dir, 'no-such-onnxruntime'));
  });
});
