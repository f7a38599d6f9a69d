import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  differenceHash,
  groupNearDuplicates,
  hammingDistance,
  MIN_STRUCTURE_BITS,
  NEAR_DUPLICATE_MAX_DISTANCE,
  readDataset,
  splitDataset,
  structureBits,
} from '../../src/core/dataset/index.js';
import { run as inspect } from '../../src/train/data/data-inspect-command.js';
import { tempDir, writeVocXml } from './dataset-fixtures.js';

/** A "scene": smooth random blobs on a gradient, different for every seed, with real structure to hash. */
async function scene(seed: number, width = 320, height = 240): Promise<Buffer> {
  let s = seed * 7919 + 17;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const blobs = Array.from({ length: 12 }, () => ({
    x: rnd() * width,
    y: rnd() * height,
    r: 15 + rnd() * 60,
    c: [rnd() * 255, rnd() * 255, rnd() * 255],
  }));
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const px = [(x / width) * 120, (y / height) * 120, 60];
      for (const b of blobs) {
        const d = Math.hypot(x - b.x, y - b.y);
        if (d < b.r) for (let k = 0; k < 3; k++) px[k] = b.c[k] as number;
      }
      data.set(
        px.map((v) => Math.round(v as number)),
        (y * width + x) * 3,
      );
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 92 })
    .toBuffer();
}

/** The same picture re-encoded smaller at another quality (as when a photo is re-uploaded). */
function reencoded(jpeg: Buffer): Promise<Buffer> {
  return sharp(jpeg).resize(256).jpeg({ quality: 60 }).toBuffer();
}

/** The same picture with a white watermark bar and text-like marks in a corner. */
async function watermarked(jpeg: Buffer): Promise<Buffer> {
  const mark = Buffer.from(
    `<svg width="320" height="240"><rect x="200" y="205" width="115" height="28" fill="white" opacity="0.8"/>` +
      `<rect x="206" y="212" width="8" height="14" fill="black"/><rect x="220" y="212" width="30" height="4" fill="black"/>` +
      `<rect x="256" y="218" width="50" height="4" fill="black"/></svg>`,
  );
  return sharp(jpeg)
    .composite([{ input: mark }])
    .jpeg({ quality: 88 })
    .toBuffer();
}

describe('near-duplicate photos (difference hash)', () => {
  const { dir, cleanup } = tempDir('mask-edge-neardup-');
  afterAll(cleanup);
  const originals: Buffer[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 24; i++) originals.push(await scene(i + 1));
  });

  it('puts a re-encoded and a watermarked copy within the threshold, different scenes far beyond it', async () => {
    const a = await differenceHash(originals[0] as Buffer);
    const copy = await differenceHash(await reencoded(originals[0] as Buffer));
    const marked = await differenceHash(await watermarked(originals[0] as Buffer));
    expect(structureBits(a)).toBeGreaterThanOrEqual(MIN_STRUCTURE_BITS);
    expect(hammingDistance(a, copy)).toBeLessThanOrEqual(8);
    expect(hammingDistance(a, marked)).toBeLessThanOrEqual(NEAR_DUPLICATE_MAX_DISTANCE);
    for (let i = 1; i < originals.length; i++) {
      const other = await differenceHash(originals[i] as Buffer);
      expect(hammingDistance(a, other)).toBeGreaterThan(NEAR_DUPLICATE_MAX_DISTANCE);
    }
  });

  it('groups transitively and leaves flat pictures to byte identity', async () => {
    const h = (bits: number[]) => {
      const out = new Uint32Array(8);
      for (const b of bits) out[b >>> 5] = ((out[b >>> 5] ?? 0) | (1 << (b & 31))) >>> 0;
      return out;
    };
    const base = Array.from({ length: 100 }, (_, i) => i * 2);
    const groups = groupNearDuplicates(
      new Map([
        ['a', h(base)],
        ['b', h([...base.slice(0, 80), ...Array.from({ length: 20 }, (_, i) => 201 + i)])], // 40 bits from a
        ['c', h([...base.slice(0, 90), ...Array.from({ length: 10 }, (_, i) => 201 + i)])], // 20 from a, 20 from b
        ['d', h(Array.from({ length: 100 }, (_, i) => i * 2 + 1))], // far from all
        ['flat1', h([])],
        ['flat2', h([3])],
      ]),
      24,
    );
    expect(groups).toEqual([{ members: ['a', 'b', 'c'], maxDistance: 20 }]);
  });

  it('keeps a photo and its re-encoded, watermarked copies on one side of every seeded split', async () => {
    const images = join(dir, 'voc', 'images');
    const annotations = join(dir, 'voc', 'annotations');
    mkdirSync(images, { recursive: true });
    const write = (name: string, bytes: Buffer) => {
      writeFileSync(join(images, name), bytes);
      writeVocXml(join(annotations, name.replace('.jpg', '.xml')), name, { width: 320, height: 240 }, [
        { name: 'with_mask', box: { x: 40, y: 40, width: 60, height: 60 } },
      ]);
    };
    originals.forEach((bytes, i) => {
      write(`p${i}.jpg`, bytes);
    });
    write('p0-copy.jpg', await reencoded(originals[0] as Buffer));
    write('p0-marked.jpg', await watermarked(originals[0] as Buffer));
    const { samples, nearDuplicates } = await readDataset([join(dir, 'voc')]);
    expect(nearDuplicates).toHaveLength(1);
    expect(nearDuplicates[0]?.paths.map((p) => p.split('/').pop())).toEqual([
      'p0-copy.jpg',
      'p0-marked.jpg',
      'p0.jpg',
    ]);
    const copies = samples.filter((s) => s.path.includes('/p0'));
    expect(new Set(copies.map((s) => s.group)).size).toBe(1);
    expect(new Set(samples.map((s) => s.group)).size).toBe(24);
    for (const seed of [1, 2, 3, 4, 5]) {
      const splits = splitDataset(samples, { seed });
      const where = copies.map((c) => Object.entries(splits).find(([, list]) => list.includes(c))?.[0]);
      expect(new Set(where).size).toBe(1);
    }
    // Off: the three files are three photos again.
    const off = await readDataset([join(dir, 'voc')], { nearDuplicateDistance: false });
    expect(new Set(off.samples.map((s) => s.group)).size).toBe(26);
    expect(off.nearDuplicates).toEqual([]);

    let text = '';
    await inspect({ dirs: [join(dir, 'voc')], decode: false, out: { write: (t: string) => (text += t) } });
    expect(text).toMatch(/near copies: 1\), across splits: 0/);
    expect(text).toMatch(
      /near copies \(hash distance <= \d+\/256, (train|val|test)\): .*p0-copy\.jpg, .*p0-marked\.jpg, .*p0\.jpg/,
    );
    expect(readFileSync(join(images, 'p0.jpg')).length).toBeGreaterThan(0);
  });
});
