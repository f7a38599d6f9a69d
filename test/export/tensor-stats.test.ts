import { describe, expect, it } from 'vitest';
import { TensorStats } from '../../src/export/quantize/tensor-stats.js';

/** Box-Muller normal samples from a fixed LCG. */
function normals(n: number, seed = 1): Float32Array {
  let s = seed;
  const u = (): number => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s + 1) / 2 ** 32;
  };
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

function statsOf(values: Float32Array): TensorStats {
  const s = new TensorStats();
  s.observeRange(values);
  s.observeHistogram(values);
  return s;
}

describe('calibration ranges', () => {
  const gauss = normals(200_000);
  gauss[0] = 40; // one outlier
  gauss[1] = -35;

  it('minmax covers everything, percentile and entropy clip the lone outliers', () => {
    const s = statsOf(gauss);
    expect(s.range('minmax')).toEqual([-35, 40]);
    const [plo, phi] = s.range('percentile', 99.99);
    expect(phi).toBeGreaterThan(3);
    expect(phi).toBeLessThan(5);
    expect(plo).toBeLessThan(-3);
    expect(plo).toBeGreaterThan(-5);
    const [elo, ehi] = s.range('entropy');
    console.log('entropy', elo, ehi);
    expect(ehi).toBeGreaterThan(2.5);
    expect(ehi).toBeLessThan(15);
    expect(elo).toBeCloseTo(-ehi, 5);
  });

  it('non-negative (ReLU) tensors keep 0 as their lower bound', () => {
    const relu = gauss.map((v) => Math.max(0, v));
    const s = statsOf(relu);
    expect(s.range('percentile')[0]).toBe(0);
    const [lo, hi] = s.range('entropy');
    console.log('entropy relu', lo, hi);
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(2.5);
    expect(hi).toBeLessThan(15);
  });
});
