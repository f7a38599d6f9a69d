/**
 * models/face-detector.onnx (built by `npm ci`'s prepare from node_modules and the recorded box adjustment in
 * models/face-detector.box-adjust.json; not committed): it carries the recorded numbers, a rebuild from its own
 * metadata is the same bytes (the build is deterministic), and on held-out real photos it finds at
 * least 85% of the faces of 24 px and larger (issue 5), masked ones included. Held out = the test split of the
 * default training run's split (kaggle-face-mask + maskedface-net, TRAIN_DEFAULTS.seed): the box adjustment is
 * fitted on that split's train photos (scripts/build-face-detector.mjs).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDataset, splitDataset } from '../../src/core/dataset/index.js';
import { decodeImage, type RgbImage } from '../../src/core/image-io.js';
import { readOnnxMetadata } from '../../src/core/onnx-session.js';
import { MODELS_DIR, sharedDataDir } from '../../src/core/package-paths.js';
import { summariseDetection } from '../../src/edge/eval/detection-matching.js';
import { detectPhotos, photosFromSamples } from '../../src/edge/eval/detection-recall.js';
import { FaceDetector } from '../../src/edge/inference/face-detector.js';
import { buildFaceDetector } from '../../src/export/detector/build-face-detector.js';
import { checkOnnxFile } from '../../src/export/verify/onnx-checker.js';
import { TRAIN_DEFAULTS } from '../../src/train/train-options.js';

const BUNDLED = join(MODELS_DIR, 'face-detector.onnx');
const sha = async (p: string) =>
  createHash('sha256')
    .update(await readFile(p))
    .digest('hex');

describe('bundled face detector', () => {
  it('is reproduced byte for byte by the build from node_modules', async () => {
    const meta = await readOnnxMetadata(BUNDLED);
    const dir = await mkdtemp(join(tmpdir(), 'mask-edge-bundled-'));
    try {
      const rebuilt = await buildFaceDetector({
        out: join(dir, 'face-detector.onnx'),
        architecture: meta['mask_edge.model_name'] === 'tiny-face-detector' ? 'tiny' : 'ssd',
        inputSize: JSON.parse(meta['mask_edge.input_size']!),
        defaults: JSON.parse(meta['mask_edge.defaults']!),
        boxAdjust: meta['mask_edge.box_adjust'] ? JSON.parse(meta['mask_edge.box_adjust']) : undefined,
        boxAdjustBySource: meta['mask_edge.box_adjust_by_source']
          ? JSON.parse(meta['mask_edge.box_adjust_by_source'])
          : undefined,
      });
      expect(await sha(rebuilt.path)).toBe(await sha(BUNDLED));
      const recorded = JSON.parse(await readFile(join(MODELS_DIR, 'face-detector.box-adjust.json'), 'utf8'));
      const { dx, dy, sw, sh } = recorded;
      expect(JSON.parse(meta['mask_edge.box_adjust']!)).toEqual({ dx, dy, sw, sh });
      // Per-source fits (issue 11): each source's recorded numbers are in the model, Kaggle's is the default.
      const bySource = JSON.parse(meta['mask_edge.box_adjust_by_source'] ?? '{}');
      for (const [source, fit] of Object.entries(recorded.bySource ?? {})) {
        const { dx: x, dy: y, sw: w, sh: h } = fit as Record<string, number>;
        expect(bySource[source], source).toEqual({ dx: x, dy: y, sw: w, sh: h });
      }
      expect(bySource.kaggle ?? { dx, dy, sw, sh }).toEqual({ dx, dy, sw, sh });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('passes onnx.checker (full check), as does the tiny detector', async (ctx) => {
    const dir = await mkdtemp(join(tmpdir(), 'mask-edge-checker-'));
    try {
      const tiny = await buildFaceDetector({ out: join(dir, 'tiny.onnx'), architecture: 'tiny' });
      for (const path of [BUNDLED, tiny.path]) {
        const result = await checkOnnxFile(path);
        if (result.status === 'skipped') ctx.skip(result.reason);
        expect(result.status).toBe('passed');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives each frame its own boxes when calls reuse input buffers or overlap (cameras sharing it)', async () => {
    const demo = join(MODELS_DIR, '..', 'samples', 'demo');
    const frames = await Promise.all(
      ['maksssksksss218.jpg', 'maksssksksss29.jpg', 'maksssksksss218.jpg'].map((f) =>
        decodeImage(join(demo, f)),
      ),
    );
    const fresh = async (frame: RgbImage) => {
      const d = await FaceDetector.open(BUNDLED, { providers: ['cpu'] });
      try {
        return await d.detect(frame);
      } finally {
        await d.close();
      }
    };
    const expected = [];
    for (const f of frames) expected.push(await fresh(f));
    expect(expected[0]).not.toEqual(expected[1]);
    const detector = await FaceDetector.open(BUNDLED, { providers: ['cpu'] });
    try {
      // one after another: the second and third frames are letterboxed into the first one's buffer
      for (const [i, f] of frames.entries()) expect(await detector.detect(f)).toEqual(expected[i]);
      // all at once: each call takes its own buffer while another's run is in flight
      expect(await Promise.all(frames.map((f) => detector.detect(f)))).toEqual(expected);
    } finally {
      await detector.close();
    }
  });

  const data = sharedDataDir();
  it("finds >= 85% of faces >= 24 px on the default training split's held-out test photos", async (ctx) => {
    if (!data) ctx.skip('../shared/data (kaggle-face-mask) is absent; set MASK_EDGE_DATA to run this');
    const dirs = ['kaggle-face-mask', 'maskedface-net'].map((d) => join(data as string, d));
    const { samples } = await readDataset(dirs);
    const test = splitDataset(samples, { seed: TRAIN_DEFAULTS.seed }).test;
    const photos = photosFromSamples(test);
    const detector = await FaceDetector.open(BUNDLED, { providers: ['cpu'] });
    try {
      const detected = await detectPhotos(detector, photos);
      const s = summariseDetection(detected, { iou: 0.5, minFace: 24 });
      console.log(
        `bundled detector, test split: recall ${s.recall.toFixed(3)} (${s.detected}/${s.faces}), precision ` +
          `${s.precision.toFixed(3)}, by label ${JSON.stringify(s.recallByLabel)}`,
      );
      expect(s.faces).toBeGreaterThan(150);
      expect(s.recall).toBeGreaterThanOrEqual(0.85);
      expect(s.recallByLabel.correct!.recall).toBeGreaterThanOrEqual(0.8);
    } finally {
      await detector.close();
    }
  });
});
