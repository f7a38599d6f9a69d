import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FaceSample, loadCrops } from '../../src/core/dataset/index.js';
import type { RgbImage } from '../../src/core/image-io.js';
import { tempDir, writePhoto } from './dataset-fixtures.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function temp(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

function sample(id: string, path: string, box?: FaceSample['box']): FaceSample {
  return {
    id,
    path,
    label: 'correct',
    group: id,
    format: box ? 'voc' : 'imagefolder',
    source: '/',
    ...(box ? { box } : {}),
  };
}

function meanColor(img: RgbImage): [number, number, number] {
  const sum = [0, 0, 0];
  for (let i = 0; i < img.data.length; i++) sum[i % 3]! += img.data[i]!;
  const n = img.data.length / 3;
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}

const RED = [230, 20, 20] as [number, number, number];
const GREEN = [20, 220, 30] as [number, number, number];

async function twoFacePhoto(dir: string): Promise<string> {
  const path = join(dir, 'photo.png');
  await writePhoto(path, {
    width: 120,
    height: 80,
    background: [10, 10, 240],
    rects: [
      { box: { x: 10, y: 10, width: 30, height: 30 }, color: RED },
      { box: { x: 70, y: 30, width: 40, height: 40 }, color: GREEN },
    ],
  });
  return path;
}

describe('loadCrops', () => {
  it('crops each box of a photo (margin squared and clipped) and resizes whole images', async () => {
    const dir = temp();
    const photo = await twoFacePhoto(dir);
    const whole = join(dir, 'whole.jpg');
    await writePhoto(whole, { width: 50, height: 30, background: GREEN });
    const samples = [
      sample('red', photo, { x: 10, y: 10, width: 30, height: 30 }),
      sample('green', photo, { x: 70, y: 30, width: 40, height: 40 }),
      sample('whole', whole),
    ];
    const progress: number[] = [];
    const { crops, problems } = await loadCrops(samples, {
      size: 24,
      margin: 0,
      onProgress: (d, t) => progress.push(d / t),
    });
    expect(problems).toEqual([]);
    expect([...crops.keys()].sort()).toEqual(['green', 'red', 'whole']);
    for (const c of crops.values()) expect([c.width, c.height, c.data.length]).toEqual([24, 24, 24 * 24 * 3]);
    const red = meanColor(crops.get('red')!);
    expect(red[0]).toBeGreaterThan(200);
    expect(red[2]).toBeLessThan(40);
    expect(meanColor(crops.get('green')!)[1]).toBeGreaterThan(190);
    expect(progress.at(-1)).toBe(1);
    // With a margin the crop takes in background: blue rises, red falls.
    const wide = await loadCrops([samples[0]!], { size: 24, margin: 0.3 });
    const withMargin = meanColor(wide.crops.get('red')!);
    expect(withMargin[2]).toBeGreaterThan(red[2] + 30);
    expect(withMargin[0]).toBeLessThan(red[0] - 30);
  });

  it('reports unreadable and truncated photos with their path, skips their faces, keeps the rest', async () => {
    const dir = temp();
    const good = await twoFacePhoto(dir);
    const jpeg = await writePhoto(join(dir, 'full.jpg'), { width: 200, height: 200 });
    const truncated = join(dir, 'truncated.jpg');
    writeFileSync(truncated, jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    const garbage = join(dir, 'garbage.jpg');
    writeFileSync(garbage, 'this is not a jpeg');
    const missing = join(dir, 'missing.jpg');
    const samples = [
      sample('ok', good, { x: 10, y: 10, width: 30, height: 30 }),
      sample('t1', truncated, { x: 0, y: 0, width: 50, height: 50 }),
      sample('t2', truncated, { x: 60, y: 60, width: 50, height: 50 }),
      sample('g', garbage),
      sample('m', missing),
    ];
    const { crops, problems } = await loadCrops(samples, { size: 16 });
    expect([...crops.keys()]).toEqual(['ok']);
    expect(problems.map((p) => [p.kind, p.path]).sort()).toEqual(
      [
        ['unreadable', garbage],
        ['unreadable', missing],
        ['unreadable', truncated],
      ].sort(),
    );
  });

  it('caches crops on disk: a second run reads the cache, and a changed photo is decoded again', async () => {
    const dir = temp();
    const cacheDir = join(dir, 'cache');
    const photo = await twoFacePhoto(dir);
    const samples = [
      sample('red', photo, { x: 10, y: 10, width: 30, height: 30 }),
      sample('green', photo, { x: 70, y: 30, width: 40, height: 40 }),
    ];
    const first = await loadCrops(samples, { size: 8, cacheDir });
    const entries = readdirSync(cacheDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(entries).toHaveLength(1); // one entry per photo, both faces in it
    const entry = join(entries[0]!.parentPath, entries[0]!.name);
    expect(readFileSync(entry).length).toBe(2 * 8 * 8 * 3);
    // Overwrite the entry with a marker: a cache hit must return it instead of decoding.
    writeFileSync(entry, Buffer.alloc(2 * 8 * 8 * 3, 77));
    const second = await loadCrops(samples, { size: 8, cacheDir });
    expect([...second.crops.get('green')!.data.subarray(0, 6)]).toEqual([77, 77, 77, 77, 77, 77]);
    // A different size is a different key.
    const other = await loadCrops(samples, { size: 10, cacheDir });
    expect(other.crops.get('red')!.data).not.toContain(77);
    // Touching the photo (new mtime) invalidates the entry: real pixels again.
    const later = new Date(Date.now() + 5000);
    utimesSync(photo, later, later);
    const third = await loadCrops(samples, { size: 8, cacheDir });
    expect(third.crops.get('red')!.data).toEqual(first.crops.get('red')!.data);
  });
});
