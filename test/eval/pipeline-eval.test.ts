import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { MODELS_DIR, sharedDataDir } from '../../src/core/package-paths.js';
import { meanColourClassifier, tempDir, writeModel } from '../inference/tiny-models.js';

const data = sharedDataDir();
const voc = data ? join(data, 'kaggle-face-mask') : undefined;
/** The bundled detector, or another one for local checks (MASK_EDGE_TEST_DETECTOR). */
const detector = process.env.MASK_EDGE_TEST_DETECTOR ?? join(MODELS_DIR, 'face-detector.onnx');
const ready = voc !== undefined && existsSync(voc) && existsSync(detector);
if (!ready) {
  console.warn(
    `skipping eval --pipeline on real photos: needs ${detector} and ../shared/data/kaggle-face-mask`,
  );
}

describe.skipIf(!ready)('mask-edge eval --pipeline on real photos', () => {
  it('reports every key, counts faces, honours --min-face and writes annotated photos', async () => {
    const dir = tempDir('mask-edge-pipe-');
    const model = writeModel(dir, 'mean.onnx', meanColourClassifier({ size: 32 }));
    const annotate = join(dir, 'annotated');
    const run = async (extra: string[]) => {
      let stdout = '';
      const out = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
        stdout += c.toString();
        return true;
      });
      const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        const code = await main([
          'node',
          'mask-edge',
          'eval',
          '--pipeline',
          '--detector',
          detector,
          '--model',
          model,
          '--data',
          voc!,
          '--limit',
          '4',
          '--json',
          // the detector alone (its own threshold 0.3); the face verifier is checked at the end
          '--verifier',
          'none',
          ...extra,
        ]);
        expect(code).toBe(0);
      } finally {
        out.mockRestore();
        err.mockRestore();
      }
      return JSON.parse(stdout);
    };
    const all = await run(['--annotate', annotate]);
    for (const key of [
      'faces',
      'detected',
      'recall',
      'precision',
      'endToEndAccuracy',
      'mAP50',
      'recallBySize',
    ]) {
      expect(all).toHaveProperty(key);
    }
    expect(all.photos).toBe(4);
    expect(all.faces).toBeGreaterThan(4);
    expect(all.detected).toBeLessThanOrEqual(all.faces);
    expect(all.recall).toBeCloseTo(all.detected / all.faces, 10);
    expect(all.mAP50).toBeGreaterThanOrEqual(0);
    expect(all.mAP50).toBeLessThanOrEqual(1);
    expect(existsSync(annotate)).toBe(true);
    // large photos are tiled by default, as in the agent (Kaggle's 400 px photos are not large)
    expect(all.tiling).toMatchObject({ aboveScale: 1.5, grid: 2, overlap: 0.25, tiledPhotos: 0 });
    const big = await run(['--min-face', '24', '--tile-above-scale', '0']);
    expect(big.tiling).toEqual({ aboveScale: 0 });
    expect(big.faces + big.ignoredFaces).toBe(all.faces);
    expect(big.falsePositives).toBeLessThanOrEqual(all.falsePositives);
    // --correct-min decides the end-to-end labels as the agent would: the mean-colour model calls skin `correct`
    // (red dominates) but never with probability 0.999 (that needs red ahead of green by ~176/255)
    const correctColumn = (m: { endToEnd: { confusion: number[][] } }) =>
      m.endToEnd.confusion.reduce((n, row) => n + row[0]!, 0);
    expect(correctColumn(all)).toBeGreaterThan(0);
    const strict = await run(['--correct-min', '0.999']);
    expect(correctColumn(strict)).toBe(0);
    expect(strict.detected).toBe(all.detected);
    // issue 11: the detector's name, input size and thresholds; the score sweep from the same detections; the
    // agent's minFaceSize as --min-detection-size; a zoo name and a per-source box convention.
    expect(all.detector).toMatchObject({ minScore: all.minScore, maxFaces: 200 });
    expect(all.detector.inputSize).toBeGreaterThan(0);
    expect(all.detector.iou).toBeGreaterThan(0);
    const at = (m: { scoreSweep: { minScore: number; detected: number }[] }, t: number) =>
      m.scoreSweep.find((p) => p.minScore === t)!;
    expect(all.scoreSweep.map((p: { minScore: number }) => p.minScore)).toEqual([
      0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9,
    ]);
    expect(at(all, 0.3).detected).toBe(all.detected);
    expect(at(all, 0.9).detected).toBeLessThanOrEqual(at(all, 0.3).detected);
    const wide = await run(['--min-detection-size', '24']);
    expect(wide.minDetectionSize).toBe(24);
    expect(wide.detections).toBeLessThanOrEqual(all.detections);
    if (detector === join(MODELS_DIR, 'face-detector.onnx')) {
      const named = await run(['--detector', 'ssd-mobilenet-v1-512', '--box-convention', 'kaggle']);
      expect(named.detector).toMatchObject({
        name: 'ssd-mobilenet-v1-512',
        inputSize: 512,
        boxConvention: 'kaggle',
      });
      expect(named.recall).toBe(all.recall);
      // the default (auto): the bundled face verifier behind the detector it was trained on, its own threshold
      const verified = await run(['--verifier', 'auto']);
      expect(verified.verifier).toMatchObject({
        convention: 'kaggle',
        reason: expect.stringMatching(/^auto/),
      });
      expect(verified.verifier.path).toMatch(/face-verifier\.onnx$/);
      expect(verified.minScore).toBeGreaterThan(0.3);
      expect(verified.verifier.rejected).toBeGreaterThanOrEqual(0);
    }
  }, 180_000);
});
