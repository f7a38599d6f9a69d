/**
 * The ONNX tiny face detector (YOLO v2 style) against face-api's own on its demo photos, given the same
 * letterboxed pixels, and straight from the JPEG (same decoded RGB to both, each resizing itself), at each input
 * size of the detector zoo (416 as trained, 320).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/core/image-io.js';
import { packageDir } from '../../src/core/package-paths.js';
import { boxIou } from '../../src/edge/eval/detection-matching.js';
import { letterboxImage } from '../../src/edge/inference/detector-input.js';
import { FaceDetector } from '../../src/edge/inference/face-detector.js';
import { buildFaceDetector } from '../../src/export/detector/build-face-detector.js';
import { faceApiDetectTiny } from './face-api-reference.js';

describe.each([416, 320])('tiny face detector (ONNX) at %i vs face-api', (size) => {
  let dir: string;
  let detector: FaceDetector;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mask-edge-tiny-'));
    const built = await buildFaceDetector({
      out: join(dir, 'tiny.onnx'),
      architecture: 'tiny',
      inputSize: size,
    });
    expect(built.inputSize).toBe(size);
    expect(built.anchors).toBe((size / 32) ** 2 * 5);
    detector = await FaceDetector.open(built.path, { providers: ['cpu'] });
  });
  afterAll(async () => {
    await detector?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the same faces with IoU >= 0.9 and scores within 0.02 given the same letterboxed pixels', async () => {
    let faces = 0;
    let worstIou = 1;
    let worstScore = 0;
    for (let i = 1; i <= 6; i++) {
      const photo = await decodeImage(join(packageDir('@vladmandic/face-api'), 'demo', `sample${i}.jpg`));
      const { image } = await letterboxImage(photo, size, 0);
      const ours = await detector.detect(image, { minScore: 0.5, iou: 0.4 });
      const theirs = await faceApiDetectTiny(image, { inputSize: size, scoreThreshold: 0.5 });
      expect(ours.length, `sample${i}`).toBe(theirs.length);
      for (const ref of theirs) {
        const best = ours.reduce((a, d) => (boxIou(d.box, ref.box) > boxIou(a.box, ref.box) ? d : a));
        worstIou = Math.min(worstIou, boxIou(best.box, ref.box));
        worstScore = Math.max(worstScore, Math.abs(best.score - ref.score));
        faces += 1;
      }
    }
    console.log(
      `tiny ${size} same-input parity over ${faces} faces: worst IoU ${worstIou.toFixed(4)}, worst |dscore| ${worstScore.toFixed(4)}`,
    );
    expect(faces).toBeGreaterThanOrEqual(15);
    expect(worstIou).toBeGreaterThanOrEqual(0.9);
    expect(worstScore).toBeLessThanOrEqual(0.02);
  });

  it('from the JPEG (same decoded RGB to both): same faces, IoU >= 0.9, scores within 0.02', async () => {
    let faces = 0;
    let worstIou = 1;
    let worstScore = 0;
    for (let i = 1; i <= 6; i++) {
      const photo = await decodeImage(join(packageDir('@vladmandic/face-api'), 'demo', `sample${i}.jpg`));
      const ours = await detector.detect(photo, { minScore: 0.5, iou: 0.4 });
      const theirs = await faceApiDetectTiny(photo, { inputSize: size, scoreThreshold: 0.5 });
      expect(ours.length, `sample${i}`).toBe(theirs.length);
      for (const ref of theirs) {
        const best = ours.reduce((a, d) => (boxIou(d.box, ref.box) > boxIou(a.box, ref.box) ? d : a));
        worstIou = Math.min(worstIou, boxIou(best.box, ref.box));
        worstScore = Math.max(worstScore, Math.abs(best.score - ref.score));
        faces += 1;
      }
    }
    console.log(
      `tiny ${size} from-JPEG parity over ${faces} faces: worst IoU ${worstIou.toFixed(4)}, worst |dscore| ${worstScore.toFixed(4)}`,
    );
    expect(faces).toBeGreaterThanOrEqual(15);
    expect(worstIou).toBeGreaterThanOrEqual(0.9);
    expect(worstScore).toBeLessThanOrEqual(0.02);
  });
});
