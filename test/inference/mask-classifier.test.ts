import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMaskEdgeError } from '../../src/core/errors.js';
import type { RgbImage } from '../../src/core/image-io.js';
import { Logger } from '../../src/core/logger.js';
import { type Classification, MaskClassifier } from '../../src/edge/inference/mask-classifier.js';
import { meanColourClassifier, tempDir, writeModel } from './tiny-models.js';

const quiet = new Logger({ level: 'error', sink: { write: () => {} } });
const dir = tempDir();

/** A w x h image filled with one colour, plus optional noise so crops differ. */
function solid(w: number, h: number, rgb: [number, number, number], noise = 0, seed = 1): RgbImage {
  const data = new Uint8Array(w * h * 3);
  let s = seed;
  for (let i = 0; i < w * h; i++) {
    for (let c = 0; c < 3; c++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      const jitter = noise ? Math.round(((s / 2147483648) * 2 - 1) * noise) : 0;
      data[i * 3 + c] = Math.max(0, Math.min(255, rgb[c]! + jitter));
    }
  }
  return { width: w, height: h, data };
}

describe('MaskClassifier', () => {
  let clf: MaskClassifier;
  beforeAll(async () => {
    const path = writeModel(dir, 'mean.onnx', meanColourClassifier({ size: 8, gain: 10 }));
    clf = await MaskClassifier.open(path, { providers: ['cpu'], intraOpNumThreads: 1, logger: quiet });
  });
  afterAll(async () => clf.close());

  it('reads size, labels and provider from the model', () => {
    expect(clf.inputSize).toBe(8);
    expect(clf.provider).toBe('cpu');
    expect(clf.labels).toEqual(['correct', 'incorrect', 'no_mask']);
  });

  it('predicts the dominant colour with softmax probabilities of the mean-colour logits', async () => {
    const [red, green, blue] = await clf.classifyCrops([
      solid(8, 8, [200, 50, 50]),
      solid(20, 12, [10, 240, 30]),
      solid(8, 8, [0, 0, 255]),
    ]);
    expect([red!.label, green!.label, blue!.label]).toEqual(['correct', 'incorrect', 'no_mask']);
    // logits = 10 * channel/255: softmax computed by hand for the red crop.
    const z = [200, 50, 50].map((v) => (10 * v) / 255);
    const e = z.map((v) => Math.exp(v - Math.max(...z)));
    const p = e.map((v) => v / e.reduce((a, b) => a + b, 0));
    for (const [i, v] of red!.probs.entries()) expect(v).toBeCloseTo(p[i]!, 5);
    expect(red!.score).toBeCloseTo(p[0]!, 5);
    for (const r of [red!, green!, blue!]) expect(r.probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('a batch gives the same results as one image at a time', async () => {
    const crops = Array.from({ length: 9 }, (_, i) =>
      solid(8 + i, 8 + 2 * i, [(i * 53) % 256, (i * 97) % 256, (i * 31) % 256], 40, i + 1),
    );
    const batched = await clf.classifyCrops(crops);
    const single: Classification[] = [];
    for (const c of crops) single.push(...(await clf.classifyCrops([c])));
    expect(batched.map((r) => r.label)).toEqual(single.map((r) => r.label));
    for (const [i, r] of batched.entries()) {
      for (const [j, v] of r.probs.entries()) expect(v).toBeCloseTo(single[i]!.probs[j]!, 6);
    }
    expect(await clf.classifyCrops([])).toEqual([]);
  });

  it('classifyFaces crops each box out of the frame (margin, square) and batches them', async () => {
    // Left half red, right half blue.
    const frame = solid(64, 32, [0, 0, 0]);
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 64; x++) {
        const o = (y * 64 + x) * 3;
        frame.data[o + (x < 32 ? 0 : 2)] = 220;
      }
    }
    const out = await clf.classifyFaces(frame, [
      { x: 8, y: 8, width: 12, height: 12 },
      { x: 44, y: 8, width: 12, height: 12 },
    ]);
    expect(out.map((r) => r.label)).toEqual(['correct', 'no_mask']);
  });
});

describe('MaskClassifier preprocessing follows the metadata', () => {
  it('BGR colour order swaps red and blue', async () => {
    const path = writeModel(dir, 'bgr.onnx', meanColourClassifier({ colorOrder: 'BGR' }));
    const clf = await MaskClassifier.open(path, { providers: ['cpu'], logger: quiet });
    const [r] = await clf.classifyCrops([solid(8, 8, [250, 0, 0])]);
    expect(r!.label).toBe('no_mask');
    await clf.close();
  });

  it('mean/std normalisation changes which channel wins', async () => {
    // Green is subtracted away entirely and red scaled down: a grey crop becomes "blue".
    const path = writeModel(dir, 'norm.onnx', meanColourClassifier({ mean: [0, 1, 0], std: [4, 1, 1] }));
    const clf = await MaskClassifier.open(path, { providers: ['cpu'], logger: quiet });
    const [r] = await clf.classifyCrops([solid(8, 8, [200, 200, 200])]);
    expect(r!.label).toBe('no_mask');
    await clf.close();
  });

  it('model label order is mapped back to the fixed LABELS order', async () => {
    const path = writeModel(
      dir,
      'order.onnx',
      meanColourClassifier({ labels: ['no_mask', 'correct', 'incorrect'] }),
    );
    const clf = await MaskClassifier.open(path, { providers: ['cpu'], logger: quiet });
    const [r] = await clf.classifyCrops([solid(8, 8, [250, 0, 0])]); // channel 0 wins -> model label 'no_mask'
    expect(r!.label).toBe('no_mask');
    expect(r!.probs[2]).toBeGreaterThan(0.9);
    await clf.close();
  });

  it('refuses a model whose labels metadata is not mask labels (E_MODEL)', async () => {
    const path = writeModel(dir, 'badlabels.onnx', meanColourClassifier({ labels: ['cat', 'dog', 'fish'] }));
    const err = await MaskClassifier.open(path, { providers: ['cpu'], logger: quiet }).catch((e) => e);
    expect(isMaskEdgeError(err, 'E_MODEL')).toBe(true);
    expect(err.message).toMatch(/mask_edge\.labels/);
    expect(err.message).toContain(path);
  });
});
