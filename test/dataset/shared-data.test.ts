import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countBySplitAndLabel, loadCrops, readDataset, splitDataset } from '../../src/core/dataset/index.js';
import { sharedDataDir } from '../../src/core/package-paths.js';

const shared = sharedDataDir();
if (!shared)
  console.warn(
    '[skip] shared data not found (../shared/data or MASK_EDGE_DATA): real-data dataset tests skipped',
  );

describe.skipIf(!shared)('readers on the shared data', () => {
  const kaggle = join(shared ?? '', 'kaggle-face-mask');
  const mfn = join(shared ?? '', 'maskedface-net');

  it('kaggle-face-mask (VOC): 673 photos, 3275 faces, 2586/108/581 correct/incorrect/no_mask', async () => {
    const { samples, problems } = await readDataset([kaggle]);
    expect(samples).toHaveLength(3275);
    expect(new Set(samples.map((s) => s.path)).size).toBe(673);
    const count = (l: string) => samples.filter((s) => s.label === l).length;
    expect([count('correct'), count('incorrect'), count('no_mask')]).toEqual([2586, 108, 581]);
    expect(problems).toEqual([]);
    // 5 byte-identical pairs plus near copies (re-encoded, watermarked, same shot): 673 photos in 660 groups.
    expect(new Set(samples.map((s) => s.group)).size).toBe(660);
    const groupOf = (n: number) => samples.find((s) => s.path.endsWith(`/maksssksksss${n}.jpg`))?.group;
    for (const [a, b] of [
      [451, 61],
      [514, 680],
      [327, 699], // one of the two carries a watermark
      [146, 219], // byte-identical
    ] as const) {
      expect(groupOf(a)).toBeDefined();
      expect(groupOf(a)).toBe(groupOf(b));
    }
    const bytesOnly = await readDataset([kaggle], { nearDuplicateDistance: false });
    expect(new Set(bytesOnly.samples.map((s) => s.group)).size).toBe(668);
  });

  it('maskedface-net: 264 correct, 239 incorrect', async () => {
    const { samples } = await readDataset([mfn]);
    const count = (l: string) => samples.filter((s) => s.label === l).length;
    expect([count('correct'), count('incorrect'), count('no_mask')]).toEqual([264, 239, 0]);
    expect(samples.every((s) => s.format === 'maskedface-net')).toBe(true);
  });

  it('splits both sets together by photo: duplicates on one side, every label in every split', async () => {
    const { samples } = await readDataset([kaggle, mfn]);
    const splits = splitDataset(samples, { seed: 42 });
    const where = new Map<string, string>();
    const pathsOfGroup = new Map<string, Set<string>>();
    for (const [name, list] of Object.entries(splits)) {
      for (const s of list) {
        expect(where.get(s.group) ?? name).toBe(name);
        where.set(s.group, name);
        pathsOfGroup.set(s.group, (pathsOfGroup.get(s.group) ?? new Set()).add(s.path));
      }
    }
    expect([...pathsOfGroup.values()].filter((p) => p.size > 1)).toHaveLength(13);
    const counts = countBySplitAndLabel(splits);
    for (const split of ['train', 'val', 'test'] as const) {
      for (const label of ['correct', 'incorrect', 'no_mask'] as const)
        expect(counts[split][label]).toBeGreaterThan(10);
    }
  });

  it('crops real faces at 128 px from a few photos', async () => {
    const { samples } = await readDataset([kaggle]);
    const some = samples.filter((s) => /maksssksksss(0|1|2)\.jpg$/.test(s.path));
    const { crops, problems } = await loadCrops(some, { size: 128 });
    expect(problems).toEqual([]);
    expect(crops.size).toBe(some.length);
    for (const c of crops.values()) expect(c.data.length).toBe(128 * 128 * 3);
  });
});
