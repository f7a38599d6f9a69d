import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Box, RgbImage } from '../image-io.js';

/** Bump when the crop pixels change for the same inputs (crop or resize method). */
const CACHE_VERSION = 'crops-v2'; // v2: face crops by cropResizeLinear (v1: sharp)

export interface CropCacheKeyParts {
  path: string;
  mtimeMs: number;
  fileSize: number;
  boxes: (Box | undefined)[];
  size: number;
  margin: number;
}

/** One cache entry per photo: all its face crops at one size and margin, keyed by everything that shapes them. */
export function cropCacheKey(parts: CropCacheKeyParts): string {
  const text = JSON.stringify([
    CACHE_VERSION,
    parts.path,
    Math.round(parts.mtimeMs),
    parts.fileSize,
    parts.boxes.map((b) => (b ? [b.x, b.y, b.width, b.height] : null)),
    parts.size,
    parts.margin,
  ]);
  return createHash('sha1').update(text).digest('hex');
}

function entryPath(cacheDir: string, key: string): string {
  return join(cacheDir, key.slice(0, 2), `${key}.rgb`);
}

/** The cached crops (raw RGB, size x size each, concatenated), or undefined on a miss or a short file. */
export async function readCachedCrops(
  cacheDir: string,
  key: string,
  count: number,
  size: number,
): Promise<RgbImage[] | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(entryPath(cacheDir, key));
  } catch {
    return undefined;
  }
  const each = size * size * 3;
  if (bytes.length !== each * count) return undefined;
  const out: RgbImage[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      width: size,
      height: size,
      data: new Uint8Array(bytes.buffer, bytes.byteOffset + i * each, each),
    });
  }
  return out;
}

/** Writes crops atomically (temp file + rename), so an interrupted run never leaves a half entry. */
export async function writeCachedCrops(cacheDir: string, key: string, crops: RgbImage[]): Promise<void> {
  const path = entryPath(cacheDir, key);
  await mkdir(join(cacheDir, key.slice(0, 2)), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(
    tmp,
    Buffer.concat(crops.map((c) => Buffer.from(c.data.buffer, c.data.byteOffset, c.data.length))),
  );
  await rename(tmp, path);
}
