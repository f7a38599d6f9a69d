import { describe, expect, it } from 'vitest';
import { boxIou, matchDetections, summariseDetection } from '../../src/edge/eval/detection-matching.js';
import { adjustBox, decodeBox, generateAnchors, unadjustBox } from '../../src/edge/inference/box-decoding.js';
import { iouCorners, nonMaxSuppression } from '../../src/edge/inference/non-max-suppression.js';
import { samePadding } from '../../src/export/detector/conv-nodes.js';
import { ssdAnchorShapes } from '../../src/export/detector/ssd-mobilenet-graph.js';

const box = (x: number, y: number, width: number, height: number) => ({ x, y, width, height });

describe('TensorFlow same padding', () => {
  it('puts the odd pixel at the end and gives ceil(size / stride)', () => {
    expect(samePadding(512, 3, 2)).toEqual({ begin: 0, end: 1, out: 256 });
    expect(samePadding(3, 3, 2)).toEqual({ begin: 1, end: 1, out: 2 });
    expect(samePadding(16, 3, 1)).toEqual({ begin: 1, end: 1, out: 16 });
    expect(samePadding(16, 1, 1)).toEqual({ begin: 0, end: 0, out: 16 });
  });
});

describe('SSD anchors and box decoding', () => {
  it('lays anchors out row by row, cell by cell, shape by shape, centred in their cells', () => {
    const a = generateAnchors(
      [
        {
          featureMap: [2, 2],
          stride: 50,
          boxes: [
            [20, 10],
            [40, 40],
          ],
        },
        { featureMap: [1, 1], stride: 100, boxes: [[80, 80]] },
      ],
      100,
    );
    expect(a.length).toBe((2 * 2 * 2 + 1) * 4);
    expect([...a.slice(0, 8)]).toEqual([0.25, 0.25, 0.2, 0.1, 0.25, 0.25, 0.4, 0.4].map(Math.fround));
    // third anchor: cell (y 0, x 1)
    expect([...a.slice(8, 12)]).toEqual([0.25, 0.75, 0.2, 0.1].map(Math.fround));
    expect([...a.slice(32, 36)]).toEqual([0.5, 0.5, 0.8, 0.8].map(Math.fround));
  });

  it('decodes a zero encoding to the anchor and scales offsets by the coding factors', () => {
    const anchors = Float32Array.from([0.5, 0.5, 0.2, 0.4]);
    const zero = decodeBox(new Float32Array(4), anchors, 0, [10, 10, 5, 5]);
    expect(zero.ymin).toBeCloseTo(0.4, 6);
    expect(zero.xmin).toBeCloseTo(0.3, 6);
    expect(zero.ymax).toBeCloseTo(0.6, 6);
    expect(zero.xmax).toBeCloseTo(0.7, 6);
    // ty = 1 moves the centre by h / 10; th = 5 * ln 2 doubles the height.
    const moved = decodeBox(Float32Array.from([1, 0, 5 * Math.LN2, 0]), anchors, 0, [10, 10, 5, 5]);
    expect((moved.ymin + moved.ymax) / 2).toBeCloseTo(0.52, 6);
    expect(moved.ymax - moved.ymin).toBeCloseTo(0.4, 6);
    expect(moved.xmax - moved.xmin).toBeCloseTo(0.4, 6);
  });

  it('has the TF OD API shapes: 3 on the lowest layer, 6 above, scales 0.1 .. 0.95 of 512', () => {
    const shapes = ssdAnchorShapes();
    expect(shapes.map((s) => s.length)).toEqual([3, 6, 6, 6, 6, 6]);
    expect(shapes[0]![0]![0]).toBeCloseTo(51.2, 6);
    expect(shapes[5]![0]![0]).toBeCloseTo(0.95 * 512, 6);
    expect(shapes[5]![1]![0]).toBeCloseTo(Math.sqrt(0.95) * 512, 6);
  });
});

describe('non-maximum suppression', () => {
  const c = (x0: number, y0: number, x1: number, y1: number) => ({ x0, y0, x1, y1 });

  it('computes IoU of corner boxes', () => {
    expect(iouCorners(c(0, 0, 2, 2), c(1, 0, 3, 2))).toBeCloseTo(2 / 6, 9);
    expect(iouCorners(c(0, 0, 1, 1), c(2, 2, 3, 3))).toBe(0);
    expect(iouCorners(c(0, 0, 0, 1), c(0, 0, 1, 1))).toBe(0);
  });

  it('keeps the best box of each overlapping group, best first, up to maxOutput', () => {
    const boxes = [c(0, 0, 10, 10), c(1, 1, 11, 11), c(20, 20, 30, 30), c(0, 0, 10, 9), c(21, 20, 31, 30)];
    const scores = [0.8, 0.9, 0.7, 0.95, 0.6];
    // 3 (0.95) suppresses 0 (IoU 0.9) and 1? IoU(3,1) = 72/(90+100-72) = 0.61 > 0.5 -> suppressed.
    expect(nonMaxSuppression(boxes, scores, 0.5)).toEqual([3, 2]);
    // With a looser IoU 0.65 box 1 survives box 3 (IoU 0.61); box 0 still goes (IoU 0.9 with box 3).
    expect(nonMaxSuppression(boxes, scores, 0.65)).toEqual([3, 1, 2]);
    expect(nonMaxSuppression(boxes, scores, 0.65, 2)).toEqual([3, 1]);
  });
});

describe('detection matching', () => {
  const truth = [
    { box: box(0, 0, 40, 40), label: 'correct' },
    { box: box(100, 0, 30, 30), label: 'no_mask' },
    { box: box(200, 0, 10, 12), label: 'correct' }, // shorter side 10: ignored at minFace 24
  ];

  it('matches best score first, one detection per face; unmatched detections are false positives', () => {
    const detections = [
      { box: box(2, 2, 40, 40), score: 0.9 }, // IoU with face 0 = 38*38/(1600+1600-1444) = 0.822
      { box: box(0, 0, 40, 40), score: 0.5 }, // duplicate on face 0: false positive
      { box: box(300, 0, 30, 30), score: 0.7 }, // nothing there
      { box: box(200, 0, 10, 12), score: 0.6 }, // the tiny face
    ];
    const m = matchDetections(truth, detections, { iou: 0.5, minFace: 24 });
    expect(m.matches).toEqual([{ truth: 0, detection: 0, iou: expect.closeTo(1444 / 1756, 6) }]);
    expect(m.missed).toEqual([1]);
    expect(m.falsePositives).toEqual([2, 1]);
    expect(m.ignoredFaces).toEqual([2]);
    expect(m.ignoredDetections).toEqual([3]);
    expect(boxIou(box(0, 0, 2, 2), box(1, 0, 2, 2))).toBeCloseTo(1 / 3, 9);
  });

  it('summarises recall and precision overall, by size bucket and by label, at a score threshold', () => {
    const photos = [
      {
        faces: truth,
        detections: [
          { box: box(0, 0, 40, 40), score: 0.9 },
          { box: box(101, 0, 30, 30), score: 0.3 },
        ],
      },
      {
        faces: [{ box: box(0, 0, 100, 120), label: 'correct' }],
        detections: [{ box: box(500, 0, 9, 9), score: 0.8 }],
      },
    ];
    const all = summariseDetection(photos, { iou: 0.5 });
    expect(all).toMatchObject({ photos: 2, faces: 4, detected: 2, detections: 3, falsePositives: 1 });
    expect(all.recall).toBe(0.5);
    expect(all.recallBySize['<16']).toEqual({ faces: 1, detected: 0, recall: 0 });
    expect(all.recallBySize['24-32']).toEqual({ faces: 1, detected: 1, recall: 1 });
    expect(all.recallByLabel.correct).toEqual({ faces: 3, detected: 1, recall: 1 / 3 });
    const strict = summariseDetection(photos, { iou: 0.5, minFace: 24, minScore: 0.5 });
    expect(strict).toMatchObject({ faces: 3, detected: 1, detections: 2, falsePositives: 1 });
    expect(strict.precision).toBe(0.5);
    expect(Object.keys(strict.recallBySize)).toEqual(['24-32', '32-48', '>=96']);
  });
});

describe('unadjustBox', () => {
  it('undoes adjustBox: the box a detector must give so that the box fit yields the annotation', () => {
    const adjust = { dx: 0.032, dy: 0.144, sw: 1.079, sh: 0.874 };
    const annotated = { ymin: 0.2, xmin: 0.3, ymax: 0.5, xmax: 0.45 };
    const raw = unadjustBox(annotated, adjust);
    // hand-computed: w = 0.15 / 1.079, h = 0.3 / 0.874, centre moved back by dx * w, dy * h
    expect(raw.xmax - raw.xmin).toBeCloseTo(0.15 / 1.079, 12);
    expect((raw.ymin + raw.ymax) / 2).toBeCloseTo(0.35 - 0.144 * (0.3 / 0.874), 12);
    const back = adjustBox(raw, adjust);
    for (const k of ['ymin', 'xmin', 'ymax', 'xmax'] as const) expect(back[k]).toBeCloseTo(annotated[k], 12);
  });
});
