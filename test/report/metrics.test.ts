import { describe, expect, it } from 'vitest';
import { MaskEdgeError } from '../../src/core/errors.js';
import { argmax, argmaxRows, computeClassMetrics, softmax } from '../../src/core/metrics.js';

describe('computeClassMetrics', () => {
  it('matches a hand-computed 3-label confusion matrix', () => {
    // truth: 4x correct, 2x incorrect, 3x no_mask
    const truth = [0, 0, 0, 0, 1, 1, 2, 2, 2];
    const pred = [0, 0, 0, 1, 1, 0, 2, 2, 0];
    const m = computeClassMetrics(truth, pred);
    expect(m.labels).toEqual(['correct', 'incorrect', 'no_mask']);
    expect(m.confusion).toEqual([
      [3, 1, 0],
      [1, 1, 0],
      [1, 0, 2],
    ]);
    expect(m.samples).toBe(9);
    expect(m.accuracy).toBeCloseTo(6 / 9, 12);
    // recalls 3/4, 1/2, 2/3
    expect(m.balancedAccuracy).toBeCloseTo((3 / 4 + 1 / 2 + 2 / 3) / 3, 12);
    expect(m.perLabel.correct).toEqual({ precision: 3 / 5, recall: 3 / 4, support: 4 });
    expect(m.perLabel.incorrect).toEqual({ precision: 1 / 2, recall: 1 / 2, support: 2 });
    expect(m.perLabel.no_mask).toEqual({ precision: 1, recall: 2 / 3, support: 3 });
  });

  it('leaves a label without support out of balanced accuracy and gives 0 precision when never predicted', () => {
    // no 'incorrect' in truth; 'no_mask' never predicted
    const truth = [0, 0, 2, 2];
    const pred = [0, 1, 0, 0];
    const m = computeClassMetrics(truth, pred);
    expect(m.confusion).toEqual([
      [1, 1, 0],
      [0, 0, 0],
      [2, 0, 0],
    ]);
    expect(m.accuracy).toBeCloseTo(0.25, 12);
    expect(m.balancedAccuracy).toBeCloseTo((0.5 + 0) / 2, 12);
    expect(m.perLabel.incorrect).toEqual({ precision: 0, recall: 0, support: 0 });
    expect(m.perLabel.no_mask).toEqual({ precision: 0, recall: 0, support: 2 });
    expect(m.perLabel.correct?.precision).toBeCloseTo(1 / 3, 12);
  });

  it('supports custom labels and an empty set', () => {
    const m = computeClassMetrics([], [], ['a', 'b']);
    expect(m).toMatchObject({
      samples: 0,
      accuracy: 0,
      balancedAccuracy: 0,
      confusion: [
        [0, 0],
        [0, 0],
      ],
    });
  });

  it('rejects mismatched lengths and out-of-range indices with E_DATA', () => {
    expect(() => computeClassMetrics([0], [])).toThrow(MaskEdgeError);
    try {
      computeClassMetrics([0, 3], [0, 0]);
      expect.unreachable();
    } catch (err) {
      expect((err as MaskEdgeError).code).toBe('E_DATA');
      expect((err as MaskEdgeError).detail).toMatchObject({ index: 1, value: 3 });
    }
  });
});

describe('argmax / softmax', () => {
  it('finds the largest entry per row', () => {
    const rows = new Float32Array([0.1, 2, -1, 5, 4, 3]);
    expect(argmax(rows, 3, 0)).toBe(1);
    expect(argmax(rows, 3, 1)).toBe(0);
    expect(argmaxRows(rows, 3)).toEqual([1, 0]);
  });

  it('computes a stable softmax per row, with temperature', () => {
    const p = softmax(new Float32Array([0, Math.log(3), 1000, 1000]), 2);
    expect(p[0]).toBeCloseTo(0.25, 6);
    expect(p[1]).toBeCloseTo(0.75, 6);
    expect(p[2]).toBeCloseTo(0.5, 6);
    expect(p[3]).toBeCloseTo(0.5, 6);
    const t = softmax([0, 2 * Math.log(3)], 2, 2);
    expect(t[1]).toBeCloseTo(0.75, 6);
  });
});
