import { stat } from 'node:fs/promises';
import { cropFace, decodeImage, type RgbImage, resizeRgb } from '../image-io.js';
import { cropCacheKey, readCachedCrops, writeCachedCrops } from './crop-cache.js';
import { mapWithConcurrency } from './dataset-files.js';
import type { DataProblem, FaceSample } from './types.js';

export interface LoadCropsOptions {
  /** Output side in pixels (square). */
  size: number;
  /** Context around each box, as a fraction of its size per side (default 0.15); the region is squared and clipped. */
  margin?: number;
  /** Folder for cached crops (raw RGB, one file per photo); repeated runs then skip decoding. */
  cacheDir?: string;
  onProgress?: (done: number, total: number) => void;
  /** Photos decoded at once (default 4: measured ~25% faster than 2 on 2 cores, as sharp calls are short). */
  concurrency?: number;
}

export interface LoadCropsResult {
  /** Crops by sample id; samples whose photo could not be read are absent. */
  crops: Map<string, RgbImage>;
  problems: DataProblem[];
}

/**
 * Crops every face to size x size RGB. Each photo is decoded once however many faces it holds; whole-image
 * samples are resized as they are. An unreadable or truncated photo is reported in `problems` (with its path)
 * and its faces skipped; it never throws for one bad file. A failure to write the cache is reported once.
 */
export async function loadCrops(samples: FaceSample[], options: LoadCropsOptions): Promise<LoadCropsResult> {
  const { size, margin = 0.15, cacheDir, onProgress, concurrency = 4 } = options;
  const byPath = new Map<string, FaceSample[]>();
  for (const s of samples) {
    const list = byPath.get(s.path) ?? [];
    list.push(s);
    byPath.set(s.path, list);
  }
  const crops = new Map<string, RgbImage>();
  const problems: DataProblem[] = [];
  let done = 0;
  let cacheWarned = false;
  const pendingWrites: Promise<void>[] = [];
  const finish = (n: number): void => {
    done += n;
    onProgress?.(done, samples.length);
  };
  await mapWithConcurrency([...byPath.entries()], concurrency, async ([path, members]) => {
    try {
      const info = await stat(path);
      const key = cacheDir
        ? cropCacheKey({
            path,
            mtimeMs: info.mtimeMs,
            fileSize: info.size,
            boxes: members.map((s) => s.box),
            size,
            margin,
          })
        : '';
      const cached = cacheDir ? await readCachedCrops(cacheDir, key, members.length, size) : undefined;
      const images = cached ?? (await cropPhoto(path, members, size, margin));
      members.forEach((s, i) => {
        crops.set(s.id, images[i] as RgbImage);
      });
      if (cacheDir && !cached) {
        // Written in the background so disk writes overlap the next decodes; awaited before returning.
        pendingWrites.push(
          writeCachedCrops(cacheDir, key, images).catch((err: Error) => {
            if (cacheWarned) return;
            cacheWarned = true;
            problems.push({
              kind: 'cache-write',
              path: cacheDir,
              message: `crop cache not writable: ${err.message}`,
            });
          }),
        );
      }
    } catch (err) {
      problems.push({
        kind: 'unreadable',
        path,
        message: `${(err as Error).message}; ${members.length} face(s) skipped`,
      });
    }
    finish(members.length);
  });
  await Promise.all(pendingWrites);
  return { crops, problems };
}

async function cropPhoto(
  path: string,
  members: FaceSample[],
  size: number,
  margin: number,
): Promise<RgbImage[]> {
  const image = await decodeImage(path);
  // Boxed faces: the agent's crop function; whole-image faces (MaskedFace-Net, ImageFolder): one sharp resize each.
  return Promise.all(
    members.map((s) => (s.box ? cropFace(image, s.box, size, margin) : resizeRgb(image, size, size))),
  );
}
