import { describe, expect, it } from 'vitest';
import {
  applySplitIds,
  countBySplitAndLabel,
  type FaceSample,
  splitDataset,
  splitIds,
} from '../../src/core/dataset/index.js';
import type { Label } from '../../src/core/labels.js';

/** Synthetic samples: `photos` photos, each with 1-3 faces; labels skewed like real data (few incorrect). */
function samples(photos: number): FaceSample[] {
  const out: FaceSample[] = [];
  for (let p = 0; p < photos; p++) {
    for (let f = 0; f < 1 + (p % 3); f++) {
      const r = (p * 7 + f * 3) % 20;
      const label: Label = r < 14 ? 'correct' : r < 18 ? 'no_mask' : 'incorrect';
      out.push({
        id: `t:p${p}#${f}`,
        path: `/x/p${p}.jpg`,
        label,
        group: `g${p}`,
        format: 'voc',
        source: '/x',
      });
    }
  }
  return out;
}

describe('splitDataset', () => {
  it('is repeatable with a seed, independent of input order, and changes with the seed', () => {
    const data = samples(200);
    const a = splitIds(splitDataset(data, { seed: 7 }));
    const b = splitIds(splitDataset([...data].reverse(), { seed: 7 }));
    expect(new Set(b.test)).toEqual(new Set(a.test));
    expect(new Set(b.val)).toEqual(new Set(a.val));
    const c = splitIds(splitDataset(data, { seed: 8 }));
    expect(new Set(c.test)).not.toEqual(new Set(a.test));
  });

  it('never puts two faces of one group in different splits', () => {
    const data = samples(150);
    for (const seed of [1, 2, 3]) {
      const splits = splitDataset(data, { seed });
      const seen = new Map<string, string>();
      for (const [name, list] of Object.entries(splits)) {
        for (const s of list) {
          expect(seen.get(s.group) ?? name).toBe(name);
          seen.set(s.group, name);
        }
      }
      expect(splits.train.length + splits.val.length + splits.test.length).toBe(data.length);
    }
  });

  it('stratifies by label near 70/15/15 (and honours other fractions)', () => {
    const data = samples(400);
    const counts = countBySplitAndLabel(splitDataset(data, { seed: 3 }));
    for (const label of ['correct', 'incorrect', 'no_mask'] as const) {
      const total = counts.train[label] + counts.val[label] + counts.test[label];
      expect(Math.abs(counts.val[label] - total * 0.15)).toBeLessThanOrEqual(3);
      expect(Math.abs(counts.test[label] - total * 0.15)).toBeLessThanOrEqual(3);
    }
    const noVal = countBySplitAndLabel(splitDataset(data, { seed: 3, valFraction: 0, testFraction: 0.5 }));
    expect(noVal.val).toEqual({ correct: 0, incorrect: 0, no_mask: 0 });
    const all = data.length;
    const testN = noVal.test.correct + noVal.test.incorrect + noVal.test.no_mask;
    expect(Math.abs(testN - all / 2)).toBeLessThanOrEqual(6);
  });

  it('keeps preset splits and sends unsplit faces of a preset photo with it', () => {
    const data = samples(30);
    const preset = data.map((s, i) => (i % 2 === 0 ? { ...s, split: 'val' as const } : s));
    const splits = splitDataset(preset, { seed: 1 });
    for (const s of preset) {
      if (s.split) expect(splits[s.split]).toContain(s);
    }
    // p1 has faces #0 (preset val) and #1 (unsplit): both in val.
    const p1 = preset.filter((s) => s.group === 'g1');
    expect(p1.some((s) => s.split === undefined)).toBe(true);
    for (const s of p1) expect(splits.val).toContain(s);
  });

  it('rejects fractions that leave nothing to train on', () => {
    expect(() => splitDataset(samples(5), { seed: 1, valFraction: 0.5, testFraction: 0.5 })).toThrow(
      expect.objectContaining({ code: 'E_USAGE' }),
    );
  });

  it('rebuilds a split from saved ids and lists the ids that are gone', () => {
    const data = samples(40);
    const ids = splitIds(splitDataset(data, { seed: 5 }));
    const { splits, missing } = applySplitIds(data.slice(1), ids);
    expect(missing).toEqual([data[0]?.id]);
    expect(splits.test.map((s) => s.id)).toEqual(ids.test.filter((id) => id !== data[0]?.id));
  });
});
