import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  averagePrecisionFromFlags,
  matchByScore,
} from '../../src/edge/eval/average-precision.js';

const box = (x: number, y: number, s = 10) => ({ x, y, width: s, height: s });

describe('average precision (VOC all-point interpolation)', () => {
  // Image A has face g1; image B has faces g2 and g3.
  const truths = [
    { image: 'A', box: box(0, 0) },
    { image: 'B', box: box(0, 0) },
    { image: 'B', box: box(50, 50) },
  ];
  // Ranked: 0.9 hits g1 (TP), 0.8 hits nothing (FP), 0.7 hits g2 (TP), 0.6 repeats g1 (FP). g3 is never found.
  const dets = [
    { image: 'A', box: box(1, 1), score: 0.6 },
    { image: 'B', box: box(100, 100), score: 0.8 },
    { image: 'A', box: box(0, 0), score: 0.9 },
    { image: 'B', box: box(0, 1), score: 0.7 },
  ];

  it('matches the hand-computed example: AP = 1/3 * 1 + 1/3 * 2/3 = 5/9', () => {
    // precision after each detection 1, 1/2, 2/3, 1/2; recall 1/3, 1/3, 2/3, 2/3.
    // Envelope at recall 1/3 is 1, at 2/3 is 2/3; recall 1 is never reached.
    const r = averagePrecision(dets, truths, 0.5);
    expect(r.ap).toBeCloseTo(5 / 9, 10);
    expect(r.positives).toBe(3);
    expect(matchByScore(dets, truths, 0.5).map((m) => m.kind)).toEqual(['fp', 'fp', 'tp', 'tp']);
  });

  it('interpolates: a later higher precision lifts earlier points', () => {
    // F T T with 2 positives: precision 0, 1/2, 2/3; envelope 2/3 for both recall steps -> AP 2/3.
    expect(averagePrecisionFromFlags([false, true, true], 2)).toBeCloseTo(2 / 3, 10);
    expect(averagePrecisionFromFlags([true, true], 2)).toBe(1);
    expect(averagePrecisionFromFlags([], 2)).toBe(0);
    expect(Number.isNaN(averagePrecisionFromFlags([true], 0))).toBe(true);
  });

  it('ignored faces count neither as positives nor make their detections false positives', () => {
    const withIgnored = [...truths, { image: 'B', box: box(100, 100), ignore: true }];
    // The 0.8 detection now lands on an ignored face and drops out: ranking T T F over 3 positives.
    const r = averagePrecision(dets, withIgnored, 0.5);
    expect(r.ap).toBeCloseTo(2 / 3, 10);
    expect(r.positives).toBe(3);
    expect(r.detections).toBe(3);
    // Without the ignore flag the same face is a positive found at rank 2.
    const counted = averagePrecision(dets, [...truths, { image: 'B', box: box(100, 100) }], 0.5);
    // T T T F over 4 positives: AP = 3/4.
    expect(counted.ap).toBeCloseTo(3 / 4, 10);
  });

  it('respects the IoU threshold', () => {
    // box(0,1) vs box(0,0): IoU = 90/110 = 0.818
    expect(averagePrecision([{ image: 'B', box: box(0, 1), score: 1 }], [truths[1]!], 0.85).ap).toBe(0);
    expect(averagePrecision([{ image: 'B', box: box(0, 1), score: 1 }], [truths[1]!], 0.8).ap).toBe(1);
  });
});
