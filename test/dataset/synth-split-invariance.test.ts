// A `data synth` folder must leave the split of the real faces exactly as it is without the folder, even when one
// of its images is a near copy of a real photo (a masked face can look like a real close-up).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/core/dataset/read-dataset.js';
import { splitDataset } from '../../src/core/dataset/split-dataset.js';
import { SeededRandom } from '../../src/core/seeded-random.js';

let root: string;

/** A 64 px photo with its own large-scale pattern (distinct difference hashes). */
function photo(seed: number): Promise<Buffer> {
  const rng = new SeededRandom(seed);
  const cells = Array.from({ length: 16 }, () => rng.int(256));
  const data = Buffer.alloc(64 * 64 * 3);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const v = cells[Math.floor(y / 16) * 4 + Math.floor(x / 16)]!;
      for (let c = 0; c < 3; c++) data[(y * 64 + x) * 3 + c] = (v + 40 * c) % 256;
    }
  }
  return sharp(data, { raw: { width: 64, height: 64, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

describe('synthetic folders and the split of the real faces', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'synth-split-'));
    const real = join(root, 'real');
    const labels = ['correct', 'incorrect', 'no_mask'];
    for (const [li, label] of labels.entries()) {
      await mkdir(join(real, label), { recursive: true });
      for (let i = 0; i < 12; i++)
        await writeFile(join(real, label, `p${li}-${i}.jpg`), await photo(100 * li + i));
    }
    // the synthetic folder: near copies (re-encoded, slightly brighter) of several real photos, as data synth writes
    const synth = join(root, 'synth');
    await mkdir(join(synth, 'correct'), { recursive: true });
    const faces = [];
    for (const [li, i] of [
      [2, 0],
      [2, 5],
      [1, 3],
      [0, 7],
    ] as const) {
      const file = `correct/s${li}-${i}.jpg`;
      const src = join(real, labels[li]!, `p${li}-${i}.jpg`);
      await sharp(await photo(100 * li + i))
        .modulate({ brightness: 1.05 })
        .jpeg({ quality: 70 })
        .toFile(join(synth, file));
      faces.push({
        file,
        label: 'correct',
        variant: 'correct',
        template: 'surgical',
        source: { path: src, faceIndex: 0, dataDir: real, origin: 'data', split: 'train' },
      });
    }
    await writeFile(
      join(synth, 'synth.json'),
      JSON.stringify({ version: 1, kind: 'mask-edge-synth', trainOnly: true, faces, extraFiles: [] }),
    );
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('gives the real faces the same split with and without the folder; synthetic images keep their own group', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const alone = await readDataset([join(root, 'real')]);
      const withSynth = await readDataset([join(root, 'real'), join(root, 'synth')]);
      const realOnly = (ids: string[]) => ids.filter((id) => !id.includes(':synth/')).sort();
      const a = splitDataset(alone.samples, { seed });
      const b = splitDataset(withSynth.samples, { seed });
      for (const sp of ['train', 'val', 'test'] as const) {
        expect(realOnly(b[sp].map((s) => s.id))).toEqual(realOnly(a[sp].map((s) => s.id)));
      }
      const synthetic = withSynth.samples.filter((s) => s.id.includes(':synth/'));
      expect(synthetic).toHaveLength(4);
      expect(synthetic.every((s) => s.group.startsWith('sha1:') && s.split === 'train')).toBe(true);
      // the real photos themselves are still grouped like before (no group renamed)
      const groups = (r: typeof alone) =>
        r.samples
          .filter((s) => !s.id.includes(':synth/'))
          .map((s) => `${s.id}=${s.group}`)
          .sort();
      expect(groups(withSynth)).toEqual(groups(alone));
    }
  });
});
