/**
 * `mask-edge train-detector` end to end on a few real photos of both sources (skipped without the shared data):
 * features from the frozen SSD, heads trained with tfjs, box fits per convention, an ONNX detector that ONNX
 * Runtime opens with the fine-tuned heads in it; and the build's guard against heads that do not fit the graph.
 * A detector built with its own heads put back answers exactly as the plain build does (the override is exact).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readDetectorHeads } from '../../src/core/detector-heads-file.js';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { decodeImage } from '../../src/core/image-io.js';
import { PACKAGE_ROOT, sharedDataDir } from '../../src/core/package-paths.js';
import { FaceDetector } from '../../src/edge/inference/face-detector.js';
import {
  buildFaceDetector,
  faceApiModelDir,
  SSD_MANIFEST,
} from '../../src/export/detector/build-face-detector.js';
import { ssdFeatureOutput, ssdHeadTensorNames } from '../../src/export/detector/ssd-mobilenet-graph.js';
import { readTfjsWeights } from '../../src/export/detector/tfjs-weights.js';
import { tempDir } from '../inference/tiny-models.js';

const data = sharedDataDir();
const DEMO_PHOTO = readdirSync(join(PACKAGE_ROOT, 'samples', 'demo')).find((f) => f.endsWith('.jpg'))!;
const kaggle = data ? join(data, 'kaggle-face-mask') : undefined;
const ilc = data ? join(data, 'ilc-face-mask') : undefined;
const ready = kaggle !== undefined && ilc !== undefined && existsSync(kaggle) && existsSync(ilc);
if (!ready)
  console.warn(
    'skipping mask-edge train-detector on real photos: needs ../shared/data/{kaggle,ilc}-face-mask',
  );

async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    stderr += c.toString();
    return true;
  });
  try {
    return { code: await main(['node', 'mask-edge', ...args]), stderr };
  } finally {
    err.mockRestore();
  }
}

describe('SSD build with fine-tuned heads', () => {
  it("gives the same boxes with face-api's own heads put back, and outputs the feature maps when asked", async () => {
    const dir = tempDir('mask-edge-heads-build-');
    const weights = await readTfjsWeights(join(faceApiModelDir(), SSD_MANIFEST));
    const names = Object.values(ssdHeadTensorNames(0));
    const heads = new Map(names.map((n) => [n, weights.get(n)!]));
    const common = { architecture: 'ssd' as const, inputSize: 256 };
    const plain = await buildFaceDetector({ ...common, out: join(dir, 'plain.onnx'), featureOutputs: true });
    const same = await buildFaceDetector({
      ...common,
      out: join(dir, 'same.onnx'),
      heads,
      headsNote: 'test',
    });
    expect(same.metadata['mask_edge.heads']).toContain('test');
    const image = await decodeImage(join(PACKAGE_ROOT, 'samples', 'demo', DEMO_PHOTO));
    const a = await FaceDetector.open(plain.path, { providers: ['cpu'] });
    const b = await FaceDetector.open(same.path, { providers: ['cpu'] });
    const ra = await a.infer(image);
    const rb = await b.infer(image);
    expect([...rb.scores]).toEqual([...ra.scores]);
    expect([...rb.encodings]).toEqual([...ra.encodings]);
    await Promise.all([a.close(), b.close()]);
    const { InferenceSession } = await import('onnxruntime-node');
    const session = await InferenceSession.create(plain.path);
    expect(session.outputNames).toEqual(expect.arrayContaining([0, 1, 2, 3, 4, 5].map(ssdFeatureOutput)));
    await session.release();
  });

  it('refuses a heads tensor of another shape with E_MODEL naming it', async () => {
    const dir = tempDir('mask-edge-heads-bad-');
    const name = ssdHeadTensorNames(2).classBiases;
    const heads = new Map([[name, { name, shape: [5], data: new Float32Array(5) }]]);
    await expect(
      buildFaceDetector({ architecture: 'ssd', inputSize: 256, out: join(dir, 'bad.onnx'), heads }),
    ).rejects.toSatisfy((e) => isMaskEdgeError(e) && e.code === 'E_MODEL' && e.message.includes(name));
  });
});

describe.skipIf(!ready)('mask-edge train-detector on real photos (two sources)', () => {
  it('trains the heads, fits the box conventions and writes a detector ONNX Runtime opens', async () => {
    const out = tempDir('mask-edge-train-detector-');
    const r = await cli([
      'train-detector',
      '--data',
      kaggle!,
      '--data',
      ilc!,
      '--limit',
      '6',
      '--epochs',
      '1',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/heads before fine-tuning: val loss/);
    expect(r.stderr).toMatch(/detector heads epoch 1: train loss/);
    const heads = await readDetectorHeads(join(out, 'detector-heads.json'));
    expect(heads.base).toBe('ssd-mobilenet-v1-512x384-int8');
    expect(heads.tensors).toHaveLength(24);
    const fits = JSON.parse(readFileSync(join(out, 'box-adjust.json'), 'utf8'));
    expect(Object.keys(fits.bySource).sort()).toEqual(['ilc', 'kaggle']);
    const detector = await FaceDetector.open(join(out, 'face-detector-tuned.onnx'), {
      providers: ['cpu'],
      boxConvention: 'ilc',
    });
    expect(detector.contract.inputHeight).toBe(384);
    await detector.close();
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report['tuned.val.kaggle']).toBeDefined();
    expect(report['base.test.ilc']).toBeDefined();
  });
});
