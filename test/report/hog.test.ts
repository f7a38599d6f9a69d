import { describe, expect, it } from 'vitest';
import { FeatureQuantizer } from '../../src/train/baselines/feature-quantizer.js';
import { type GreyImage, hogFeatures, hogLength, rgbToGrey } from '../../src/train/baselines/hog.js';

/** 32x32 image with a step edge: vertical (dark left, bright right) or horizontal (dark top, bright bottom). */
function edgeImage(kind: 'vertical' | 'horizontal', size = 32): GreyImage {
  const data = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) data[y * size + x] = (kind === 'vertical' ? x : y) >= size / 2 ? 1 : 0;
  }
  return { width: size, height: size, data };
}

/** Sum of each orientation bin over all blocks and cells. */
function binEnergy(features: Float32Array, bins = 9): number[] {
  const out = new Array<number>(bins).fill(0);
  features.forEach((v, i) => {
    out[i % bins]! += v;
  });
  return out;
}

describe('HOG', () => {
  it('has the Dalal-Triggs length: 64x64, 8px cells, 2x2 blocks, 9 bins -> 7*7*36', () => {
    expect(hogLength(64, 64)).toBe(1764);
    const f = hogFeatures({ width: 64, height: 64, data: new Float32Array(64 * 64) });
    expect(f.length).toBe(1764);
    expect(f.every((v) => v === 0)).toBe(true); // flat image: no gradients
  });

  it('puts a vertical edge in the horizontal-gradient bins and a horizontal edge in the vertical ones', () => {
    const v = binEnergy(hogFeatures(edgeImage('vertical')));
    const h = binEnergy(hogFeatures(edgeImage('horizontal')));
    // unsigned orientation, 20-degree bins centred at 10, 30, ..., 170: a 0-degree gradient splits
    // between bins 0 and 8, a 90-degree gradient between bins 4 and 5.
    const argmax = (a: number[]) => a.indexOf(Math.max(...a));
    expect([0, 8]).toContain(argmax(v));
    expect([4, 5]).toContain(argmax(h));
    expect(v[0]! + v[8]!).toBeGreaterThan(0.95 * v.reduce((a, b) => a + b));
    expect(h[4]! + h[5]!).toBeGreaterThan(0.95 * h.reduce((a, b) => a + b));
    expect(h[0]! + h[8]!).toBeLessThan(0.05 * (v[0]! + v[8]!));
  });

  it('is invariant to brightness scaling thanks to block normalisation', () => {
    const a = edgeImage('vertical');
    const b = { ...a, data: a.data.map((x) => 0.1 + 0.5 * x) };
    const fa = hogFeatures(a);
    const fb = hogFeatures(b);
    for (let i = 0; i < fa.length; i++) expect(fb[i]).toBeCloseTo(fa[i]!, 2);
  });

  it('converts RGB to luma and rejects images smaller than one block', () => {
    const g = rgbToGrey({ width: 1, height: 1, data: new Uint8Array([255, 255, 255]) });
    expect(g.data[0]).toBeCloseTo(1, 5);
    expect(() => hogFeatures({ width: 8, height: 8, data: new Float32Array(64) })).toThrow(/too small/);
  });
});

describe('FeatureQuantizer', () => {
  it('maps values to quantile bins learnt on the training rows', () => {
    const rows = Array.from({ length: 100 }, (_, i) => Float32Array.from([i, i % 2]));
    const q = FeatureQuantizer.fit(rows, 4);
    // feature 0 (0..99): cuts at 25, 50, 75; feature 1 (half 0, half 1): cuts 0 and 1 (repeats dropped)
    expect(q.toJSON()).toEqual([
      [25, 50, 75],
      [0, 1],
    ]);
    expect(q.transform(Float32Array.from([0, -1]))).toEqual([0, 0]);
    expect(q.transform(Float32Array.from([30, 0]))).toEqual([1, 1]);
    expect(q.transform(Float32Array.from([99, 1]))).toEqual([3, 2]);
    expect(q.transform(Float32Array.from([1000, 5]))).toEqual([3, 2]);
    expect(FeatureQuantizer.fromJSON(q.toJSON()).transform(Float32Array.from([60, 1]))).toEqual([2, 2]);
    expect(() => q.transform(Float32Array.from([1]))).toThrow();
  });
});
