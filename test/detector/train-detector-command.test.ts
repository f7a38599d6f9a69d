/**
 * `mask-edge train-detector` end to end on a few real photos of both sources (skipped without the shared data):
 * features from the frozen SSD, heads trained with tfjs, box fits per convention, an ONNX detector that ONNX
 * Runtime opens with the fine-tuned heads in it; and the build's guard against heads that do not fit the graph.
 * A detector built with its own heads put back answers exactly as the plain build does (the override is exact).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDetectorHeads } from '../../src/core/detector-heads-file.js';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { decodeImage } from '../../src/core/image-io.js';
import { MODELS_DIR, PACKAGE_ROOT, sharedDataDir } from '../../src/core/package-paths.js';
import { boxIou } from '../../src/edge/eval/detection-matching.js';
import { DETECTOR_ZOO } from '../../src/edge/inference/detector-zoo.js';
import { FaceDetector } from '../../src/edge/inference/face-detector.js';
import {
  buildFaceDetector,
  faceApiModelDir,
  SSD_MANIFEST,
} from '../../src/export/detector/build-face-detector.js';
import { ssdFeatureOutput, ssdHeadTensorNames } from '../../src/export/detector/ssd-mobilenet-graph.js';
import { readTfjsWeights } from '../../src/export/detector/tfjs-weights.js';
import { runCli } from '../helpers/run-cli.js';
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
    const r = await runCli([
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

describe('the shipped fine-tuned SSD (models/face-detector-ssd-512x384-tuned.*)', () => {
  it('builds from the committed heads, box fits and ranges; its INT8 finds the faces of its fp32 on the demo photos', async () => {
    const dir = tempDir('mask-edge-tuned-');
    const fp32Entry = DETECTOR_ZOO.find((d) => d.name === 'ssd-mobilenet-v1-512x384-tuned')!;
    const int8Entry = DETECTOR_ZOO.find((d) => d.name === 'ssd-mobilenet-v1-512x384-tuned-int8')!;
    expect(int8Entry).toMatchObject({
      fp32Name: fp32Entry.name,
      headsFile: fp32Entry.headsFile,
      precision: 'int8',
    });
    const heads = await readDetectorHeads(join(MODELS_DIR, fp32Entry.headsFile!));
    expect(heads.tensors).toHaveLength(24);
    const fits = JSON.parse(readFileSync(join(MODELS_DIR, fp32Entry.boxAdjustFile), 'utf8'));
    const ranges = JSON.parse(readFileSync(join(MODELS_DIR, int8Entry.int8RangesFile!), 'utf8'));
    const pick = ({ dx, dy, sw, sh }: Record<string, number>) => ({ dx: dx!, dy: dy!, sw: sw!, sh: sh! });
    const common = {
      architecture: 'ssd' as const,
      inputSize: 512,
      inputHeight: 384,
      heads: new Map(heads.tensors.map((t) => [t.name, t])),
      boxAdjust: pick(fits),
    };
    const fp32 = await buildFaceDetector({ ...common, out: join(dir, 'fp32.onnx') });
    const int8 = await buildFaceDetector({ ...common, out: join(dir, 'int8.onnx'), int8: ranges });
    // Fine-tuned heads differ from face-api's: the same photo scores differently than under the base build.
    const base = await buildFaceDetector({ ...common, heads: undefined, out: join(dir, 'base.onnx') });
    const a = await FaceDetector.open(fp32.path, { providers: ['cpu'], threads: 1 });
    const b = await FaceDetector.open(int8.path, { providers: ['cpu'], threads: 1 });
    const c = await FaceDetector.open(base.path, { providers: ['cpu'], threads: 1 });
    try {
      const demo = join(PACKAGE_ROOT, 'samples', 'demo');
      let faces = 0;
      let refound = 0;
      let scoreChange = 0;
      for (const f of readdirSync(demo).filter((n) => n.endsWith('.jpg'))) {
        const frame = await decodeImage(join(demo, f));
        const reference = await a.detect(frame, { minScore: 0.5 });
        const found = await b.detect(frame, { minScore: 0.3 });
        for (const r of reference) {
          faces += 1;
          if (found.some((d) => boxIou(d.box, r.box) >= 0.5)) refound += 1;
        }
        const [ta, tc] = [await a.infer(frame), await c.infer(frame)];
        scoreChange = Math.max(scoreChange, ...ta.scores.map((s, i) => Math.abs(s - tc.scores[i]!)));
      }
      expect(faces).toBeGreaterThanOrEqual(10);
      expect(refound).toBe(faces);
      expect(scoreChange).toBeGreaterThan(0.05);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});
