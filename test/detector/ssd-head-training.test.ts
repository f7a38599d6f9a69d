/**
 * Fine-tuning the SSD's box predictors: anchor matching and box targets against hand-computed values, hard
 * negative mining picking the background anchors the heads score highest, the trainer learning a face it was
 * shown (real tfjs on small made-up feature maps), and the heads file round trip with its errors.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDetectorHeads, writeDetectorHeads } from '../../src/core/detector-heads-file.js';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { anchorTargets } from '../../src/train/detector/ssd-anchor-targets.js';
import {
  type HeadLayer,
  type HeadView,
  mineAnchors,
  NEGATIVES_PER_FACE,
  trainSsdHeads,
} from '../../src/train/detector/ssd-head-trainer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mask-edge-heads-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Four anchors (cy, cx, h, w), normalised; input 100 x 100 px.
const anchors = Float32Array.from([
  0.25,
  0.25,
  0.2,
  0.2, // a face sits exactly here
  0.75,
  0.75,
  0.2,
  0.2, // nowhere near a face
  0.3,
  0.25,
  0.2,
  0.2, // half-overlapping the first face
  0.5,
  0.5,
  0.8,
  0.8, // huge: overlaps the first face a little
]);
const size = { inputWidth: 100, inputHeight: 100 };

describe('anchorTargets', () => {
  it('labels face, background and left-out anchors and encodes the face against its anchor', () => {
    const face = { ymin: 0.15, xmin: 0.15, ymax: 0.35, xmax: 0.35 };
    const t = anchorTargets(anchors, [face], size);
    // anchor 2: intersection 0.15 x 0.2 over union 0.04 + 0.04 - 0.03 -> IoU 0.6: a face anchor too
    expect([...t.labels]).toEqual([1, 0, 1, 0]);
    for (const v of t.boxes.slice(0, 4)) expect(v).toBeCloseTo(0, 5);
    // anchor 2: ty = 10 * (0.25 - 0.3) / 0.2 = -2.5, tx = 0, th = tw = 5 log(1) = 0
    expect(t.boxes[8]).toBeCloseTo(-2.5, 5);
    expect(t.boxes[9]).toBeCloseTo(0, 5);
    expect(t.positives).toBe(2);
  });

  it('encodes size as 5 log(size / anchor) and leaves IoU 0.4-0.5 anchors out', () => {
    // 0.3 x 0.2 face centred on anchor 0: IoU 0.04 / 0.06 = 0.667; on anchor 2 (cy 0.3): overlap 0.2 tall
    const face = { ymin: 0.1, xmin: 0.15, ymax: 0.4, xmax: 0.35 };
    const t = anchorTargets(anchors, [face], size);
    expect(t.labels[0]).toBe(1);
    expect(t.boxes[2]).toBeCloseTo(5 * Math.log(0.3 / 0.2), 5);
    expect(t.boxes[3]).toBeCloseTo(0, 5);
    // anchor 2 (rows 0.2-0.4) inside the face: IoU 0.04 / 0.06 = 0.667 as well; a 0.45 IoU case:
    const between = anchorTargets(
      anchors,
      [{ ymin: 0.15, xmin: 0.15, ymax: 0.35, xmax: 0.35 + 0.2 * 0.55 }],
      size,
    );
    // anchor 0: 0.04 / (0.04 + 0.04 * 1.55 - 0.04) = 0.645 -> face; anchor 2: 0.03 / (0.04 + 0.062 - 0.03) = 0.417
    expect(between.labels[2]).toBe(-1);
  });

  it('gives a face smaller than every anchor its best anchor, and leaves faces under minFaceInput out', () => {
    const small = { ymin: 0.7, xmin: 0.7, ymax: 0.82, xmax: 0.82 }; // 12 px, IoU with anchor 1 = 0.36
    const t = anchorTargets(anchors, [small], size);
    expect(t.labels[1]).toBe(1);
    const tiny = { ymin: 0.72, xmin: 0.72, ymax: 0.78, xmax: 0.78 }; // 6 px
    const left = anchorTargets(anchors, [tiny], size);
    expect(left.labels[1]).toBe(-1);
    expect(left.positives).toBe(0);
  });
});

describe('mineAnchors', () => {
  it('keeps every face anchor and the background anchors scored highest, NEGATIVES_PER_FACE per face', () => {
    const count = 12;
    const labels = new Int8Array(count);
    labels[0] = 1;
    labels[1] = -1;
    const view = { features: [], targets: { labels, boxes: new Float32Array(count * 4), positives: 1 } };
    const logits = Float32Array.from([0, 9, 5, -1, 4, -3, 3, 8, -2, 1, 0.5, 2]);
    const { weights, positives } = mineAnchors(logits, [view], count);
    expect(positives).toBe(1);
    // the left-out anchor 1 (logit 9) is never mined; the hardest backgrounds are 7 (8), 2 (5), 4 (4) ...
    const picked = [...weights.keys()].filter((i) => weights[i] === 1);
    expect(NEGATIVES_PER_FACE).toBe(3);
    // ... but an image mines at least MIN_NEGATIVES (8)
    expect(picked).toEqual([0, 2, 3, 4, 6, 7, 9, 10, 11]);
  });
});

describe('trainSsdHeads', () => {
  it('learns to score the anchors whose features carry a face above the rest, and keeps the background column', async () => {
    // One layer, 16 cells, 1 anchor per cell, 4 channels; channel 0 is high where a face is.
    const channels = 4;
    const cells = 16;
    const layer: HeadLayer = {
      cells,
      channels,
      perCell: 1,
      boxWeights: new Float32Array(channels * 4),
      boxBiases: new Float32Array(4),
      classWeights: new Float32Array(channels * 3).fill(0.01),
      classBiases: Float32Array.from([0.5, 0, -0.5]),
    };
    let state = 7;
    const rand = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const views: HeadView[] = Array.from({ length: 24 }, (_, v) => {
      const faceCell = v % cells;
      const features = new Float32Array(cells * channels);
      const labels = new Int8Array(cells);
      const boxes = new Float32Array(cells * 4);
      for (let c = 0; c < cells; c++) {
        for (let k = 1; k < channels; k++) features[c * channels + k] = rand();
        features[c * channels] = c === faceCell ? 3 : rand() * 0.5;
      }
      labels[faceCell] = 1;
      boxes[faceCell * 4] = 0.5; // every face sits half a unit lower than its anchor
      return { features: [features], targets: { labels, boxes, positives: 1 } };
    });
    const logs: string[] = [];
    const trained = await trainSsdHeads([layer], views.slice(0, 16), views.slice(16), {
      epochs: 30,
      batchSize: 8,
      learningRate: 0.05,
      onLog: (l) => logs.push(l),
    });
    expect(trained.bestEpoch).toBeGreaterThan(0);
    expect(trained.history.at(-1)!.valLoss).toBeLessThan(trained.history[0]!.valLoss);
    const out = trained.layers[0]!;
    // The face column now weighs channel 0 most; background (column 0) and column 2 are untouched.
    const faceWeights = [0, 1, 2, 3].map((k) => out.classWeights[k * 3 + 1]!);
    expect(faceWeights[0]).toBeGreaterThan(Math.max(...faceWeights.slice(1)));
    expect([0, 1, 2, 3].map((k) => out.classWeights[k * 3])).toEqual(
      [0.01, 0.01, 0.01, 0.01].map(Math.fround),
    );
    expect(out.classBiases[0]).toBeCloseTo(0.5, 6);
    // The box head learnt the offset: ty of a face cell is near 0.5.
    const held = views[16]!;
    const cell = held.targets.labels.indexOf(1);
    const x = held.features[0]!.subarray(cell * channels, (cell + 1) * channels);
    const ty = [0, 1, 2, 3].reduce((s, k) => s + x[k]! * out.boxWeights[k * 4]!, 0) + out.boxBiases[0]!;
    expect(ty).toBeGreaterThan(0.2);
  });
});

describe('detector heads file', () => {
  it('round-trips tensors bit for bit', async () => {
    const file = join(dir, 'heads.json');
    const data = Float32Array.from([1.5, -2.25, 3e-8, 7]);
    await writeDetectorHeads(file, {
      format: 'mask-edge-ssd-heads',
      version: 1,
      base: 'ssd-mobilenet-v1-512x384-int8',
      inputSize: [384, 512],
      trainedOn: { seed: 1 },
      tensors: [{ name: 'Prediction/BoxPredictor_0/ClassPredictor/biases', shape: [2, 2], data }],
    });
    const back = await readDetectorHeads(file);
    expect(back.base).toBe('ssd-mobilenet-v1-512x384-int8');
    expect([...back.tensors[0]!.data]).toEqual([...data]);
  });

  it('refuses a file of another format and a tensor whose bytes do not fit its shape', async () => {
    const other = join(dir, 'other.json');
    await writeFile(other, JSON.stringify({ format: 'something', version: 1, tensors: [] }));
    await expect(readDetectorHeads(other)).rejects.toSatisfy(
      (e) => isMaskEdgeError(e) && e.code === 'E_MODEL' && e.message.includes(other),
    );
    const bad = join(dir, 'bad.json');
    await writeFile(
      bad,
      JSON.stringify({
        format: 'mask-edge-ssd-heads',
        version: 1,
        tensors: [{ name: 'w', shape: [3], base64: Buffer.alloc(8).toString('base64') }],
      }),
    );
    await expect(readDetectorHeads(bad)).rejects.toSatisfy(
      (e) => isMaskEdgeError(e) && e.code === 'E_MODEL' && e.message.includes('tensor w'),
    );
    await expect(readDetectorHeads(join(dir, 'missing.json'))).rejects.toSatisfy(
      (e) => isMaskEdgeError(e) && e.code === 'E_NOT_FOUND',
    );
  });
});
