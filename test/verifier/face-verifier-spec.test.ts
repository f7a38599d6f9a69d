import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyBoxDeltas,
  boxDeltas,
  type MinedPhoto,
  VERIFIER_CONTEXT,
  verifierCropBox,
} from '../../src/core/face-verifier-spec.js';
import { boxIou, cropResizeLinear, cropRgb, decodeImage, resizeRgb } from '../../src/core/image-io.js';
import { PACKAGE_ROOT } from '../../src/core/package-paths.js';
import { buildExamples, NEGATIVE_IOU, POSITIVE_IOU } from '../../src/train/verifier/verifier-samples.js';

describe('face verifier contract', () => {
  it('box deltas and their application are inverse (refining a detection lands on the face)', () => {
    const det = { x: 100, y: 80, width: 60, height: 70 };
    const face = { x: 104, y: 95, width: 55, height: 62 };
    const d = boxDeltas(det, face);
    const back = applyBoxDeltas(det, d);
    expect(back.x).toBeCloseTo(face.x, 6);
    expect(back.y).toBeCloseTo(face.y, 6);
    expect(back.width).toBeCloseTo(face.width, 6);
    expect(back.height).toBeCloseTo(face.height, 6);
    // the scale change is capped (e^+-1) so a wild output cannot blow a box up
    expect(applyBoxDeltas(det, [0, 0, 50, -50]).width).toBeCloseTo(60 * Math.E, 6);
  });

  it('the crop is a square of CONTEXT x the longer side, centred on the box', () => {
    const c = verifierCropBox({ x: 10, y: 20, width: 40, height: 50 });
    expect(c.width).toBeCloseTo(VERIFIER_CONTEXT * 50);
    expect(c.height).toBeCloseTo(c.width);
    expect(c.x + c.width / 2).toBeCloseTo(30);
    expect(c.y + c.height / 2).toBeCloseTo(45);
  });
});

describe('cropResizeLinear (the verifier crops, pure JS)', () => {
  it('keeps flat colour flat, fills past the frame with black and averages when it shrinks', () => {
    const image = { width: 100, height: 80, data: new Uint8Array(100 * 80 * 3).fill(120) };
    const inside = cropResizeLinear(image, { x: 10, y: 10, width: 60, height: 60 }, 12);
    expect(new Set(inside.data)).toEqual(new Set([120]));
    const past = cropResizeLinear(image, { x: -50, y: 0, width: 100, height: 50 }, 10);
    expect(past.data[0]).toBe(0); // left half is outside the frame
    expect(past.data[(5 * 10 + 9) * 3]).toBe(120);
    // a one-pixel checkerboard shrunk 4x averages to grey instead of aliasing to black or white
    const checker = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3) };
    for (let i = 0; i < 64 * 64; i++)
      checker.data.fill(((i % 64) + Math.floor(i / 64)) % 2 ? 255 : 0, i * 3, i * 3 + 3);
    const grey = cropResizeLinear(checker, { x: 0, y: 0, width: 64, height: 64 }, 16);
    for (const v of grey.data) expect(Math.abs(v - 127.5)).toBeLessThan(40);
  });

  it('matches sharp (crop + linear resize) on a real photo within about one grey level', async () => {
    const photo = await decodeImage(join(PACKAGE_ROOT, 'samples', 'demo', 'maksssksksss218.jpg'));
    for (const box of [
      { x: 40, y: 30, width: 160, height: 170 },
      { x: 100, y: 80, width: 90, height: 90 },
    ]) {
      const ours = cropResizeLinear(photo, box, 48);
      const ref = await resizeRgb(cropRgb(photo, box), 48, 48);
      let sum = 0;
      for (let i = 0; i < ours.data.length; i++) sum += Math.abs(ours.data[i]! - ref.data[i]!);
      expect(sum / ours.data.length).toBeLessThan(1.5);
    }
  });
});

describe('verifier training examples', () => {
  const photo: MinedPhoto = {
    path: 'p.jpg',
    width: 400,
    height: 300,
    convention: 'ilc',
    faces: [{ box: { x: 100, y: 100, width: 50, height: 60 }, label: 'correct' }],
    detections: [
      { box: { x: 102, y: 98, width: 50, height: 58 }, score: 0.9 }, // the face
      { box: { x: 300, y: 40, width: 40, height: 40 }, score: 0.4 }, // nothing there: a false face
      { box: { x: 120, y: 120, width: 50, height: 60 }, score: 0.3 }, // half on the face: left out
      { box: { x: 10, y: 10, width: 30, height: 30 }, score: 0.02 }, // under the mining score
    ],
  };

  it('labels detections by overlap: faces with deltas to the face, hard negatives, ambiguous ones left out', () => {
    const { examples, counts } = buildExamples([photo], { jitter: 0, minScore: 0.05 });
    expect(counts).toEqual({ faces: 1, notFaces: 1, ignored: 1, jittered: 0 });
    const face = examples.find((e) => e.isFace)!;
    expect(face.convention).toBe(1); // ilc
    const refined = applyBoxDeltas(photo.detections[0]!.box, face.deltas!);
    expect(boxIou(refined, photo.faces[0]!.box)).toBeGreaterThan(0.999);
    expect(boxIou(photo.detections[2]!.box, photo.faces[0]!.box)).toBeGreaterThanOrEqual(NEGATIVE_IOU);
    expect(boxIou(photo.detections[2]!.box, photo.faces[0]!.box)).toBeLessThan(POSITIVE_IOU);
  });

  it('jittered copies of each face box are faces whose deltas lead back to the face, reproducibly', () => {
    const a = buildExamples([photo], { jitter: 20, seed: 7 });
    const b = buildExamples([photo], { jitter: 20, seed: 7 });
    expect(a.examples).toEqual(b.examples);
    const jittered = a.examples.filter((e) => e.origin === 'jitter');
    expect(jittered.length).toBeGreaterThan(10);
    for (const e of jittered) {
      expect(e.isFace).toBe(true);
      // crop centre = jittered box centre; its deltas undo the jitter
      const side = e.crop.width / VERIFIER_CONTEXT;
      expect(side).toBeGreaterThan(0);
    }
    const boxes = new Set(jittered.map((e) => `${e.crop.x.toFixed(2)},${e.crop.y.toFixed(2)}`));
    expect(boxes.size).toBe(jittered.length);
  });
});
