import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { sourceConfigSchema } from '../../src/edge/config/source-config.js';
import type { Frame, FrameSource, SourceState } from '../../src/edge/sources/frame-source.js';
import { listImages } from '../../src/edge/sources/image-folder-source.js';
import { createFrameSource } from '../../src/edge/sources/source-registry.js';
import { quietLogger, until } from './source-test-kit.js';

/** Writes a solid-colour photo whose red channel encodes its number, so the frame order is checkable. */
async function photo(path: string, n: number): Promise<void> {
  await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: n * 20, g: 100, b: 50 } } })
    .png()
    .toFile(path);
}

describe('images source', () => {
  let dir: string;
  let source: FrameSource | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'images-src-'));
  });
  afterEach(async () => {
    await source?.stop();
    source = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('lists photos in natural order and rejects an empty or missing folder with E_SOURCE', async () => {
    for (const n of [10, 2, 1]) await photo(join(dir, `frame${n}.png`), n);
    await writeFile(join(dir, 'notes.txt'), 'not a photo');
    expect((await listImages(dir)).map((p) => p.slice(dir.length + 1))).toEqual([
      'frame1.png',
      'frame2.png',
      'frame10.png',
    ]);
    const empty = join(dir, 'empty');
    await mkdir(empty);
    await expect(listImages(empty)).rejects.toSatisfy((e) => isMaskEdgeError(e, 'E_SOURCE'));
    await expect(listImages(join(dir, 'nope'))).rejects.toSatisfy(
      (e) => isMaskEdgeError(e, 'E_SOURCE') && e.detail.path === join(dir, 'nope'),
    );
  });

  it('reads every photo once in order, skips and counts a corrupt one, then stops', async () => {
    for (const n of [1, 2, 3]) await photo(join(dir, `p${n}.png`), n);
    await writeFile(join(dir, 'p2b.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    source = await createFrameSource(
      'cam',
      sourceConfigSchema.parse({ type: 'images', path: dir, fps: 50, maxFps: 100 }),
      {
        logger: quietLogger,
      },
    );
    const frames: Frame[] = [];
    source.onFrame((f) => frames.push(f));
    source.start();
    await source.finished;
    expect(frames.map((f) => f.image.data[0])).toEqual([20, 40, 60]);
    expect(frames.map((f) => f.index)).toEqual([1, 2, 3]);
    expect(frames[0]!.image).toMatchObject({ width: 32, height: 24 });
    expect(source.stats()).toMatchObject({ state: 'stopped', frames: 3, badFrames: 1 });
    expect(source.stats().error).toMatch(/p2b\.jpg/);
  });

  it('loops, goes offline when the folder disappears and comes back online when it returns', async () => {
    const folder = join(dir, 'cam');
    await mkdir(folder);
    for (const n of [1, 2]) await photo(join(folder, `p${n}.png`), n);
    source = await createFrameSource(
      'cam',
      sourceConfigSchema.parse({
        type: 'images',
        path: folder,
        fps: 40,
        maxFps: 100,
        loop: true,
        reconnect: { initialSeconds: 0.1, maxSeconds: 0.3 },
      }),
      { logger: quietLogger },
    );
    const states: SourceState[] = [];
    source.onState((s) => states.push(s));
    source.start();
    await until(() => source!.stats().frames >= 5, 'looping past the end');
    await rename(folder, `${folder}.away`);
    await until(() => source!.stats().state === 'offline', 'offline');
    expect(source.stats().error).toMatch(/not readable|no photos/);
    await until(() => source!.stats().restarts >= 2, 'a few reconnect attempts');
    expect(source.stats().state).toBe('offline');
    const before = source.stats().frames;
    await rename(`${folder}.away`, folder);
    await until(
      () => source!.stats().state === 'online' && source!.stats().frames > before + 2,
      'back online',
    );
    expect(states).toEqual(['online', 'offline', 'online']);
  });
});
