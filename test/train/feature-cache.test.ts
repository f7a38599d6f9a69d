import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureCache } from '../../src/train/teachers/feature-cache.js';

let dir: string;
const crop = (seed: number) => ({
  width: 4,
  height: 4,
  data: Uint8Array.from({ length: 48 }, (_, i) => (i * seed) % 256),
});

describe('FeatureCache (frozen-backbone features per crop on disk)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mask-edge-features-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns stored rows by crop pixels, misses new crops, other backbones/backends and damaged files', async () => {
    const cache = new FeatureCache(dir, 'face-recognition@wasm', 3);
    const [a, b] = [crop(3), crop(5)];
    expect(await cache.read([a, b])).toEqual([undefined, undefined]);
    await cache.write([a, b], Float32Array.from([1, 2, 3, 4, 5, 6]));
    const again = new FeatureCache(dir, 'face-recognition@wasm', 3);
    const rows = await again.read([b, crop(7), { ...a, data: Uint8Array.from(a.data) }]);
    expect(rows.map((r) => (r ? Array.from(r) : r))).toEqual([[4, 5, 6], undefined, [1, 2, 3]]);
    expect([again.hits, again.misses]).toEqual([2, 1]);
    // the same pixels under another key (backbone or tfjs backend) are not the same features
    expect(await new FeatureCache(dir, 'face-recognition@webgpu', 3).read([a])).toEqual([undefined]);
    // a truncated file (killed writer, full disk) is a miss, computed again
    const keyDir = join(dir, 'face-recognition@wasm');
    const sub = (await readdir(keyDir))[0]!;
    const file = (await readdir(join(keyDir, sub)))[0]!;
    await writeFile(join(keyDir, sub, file), Buffer.alloc(5));
    const damaged = await new FeatureCache(dir, 'face-recognition@wasm', 3).read([a, b]);
    expect(damaged.filter((r) => r === undefined)).toHaveLength(1);
  });
});
