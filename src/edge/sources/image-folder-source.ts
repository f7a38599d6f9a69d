/**
 * `images` source: the photos of a folder, in name order, at a fixed rate, optionally looping.
 * Used by the demo and tests. A photo that can't be decoded is a bad frame (counted, skipped); a folder
 * that is missing, empty or removed while running is a lost source (reconnect with backoff).
 */
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { MaskEdgeError } from '../../core/errors.js';
import { decodeImage } from '../../core/image-io.js';
import type { ImagesSourceConfig } from '../config/source-config.js';
import type { DriverContext, DriverSession, SourceDriver } from './frame-source.js';
import { startPacedLoop } from './paced-loop.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff']);

/** The photos of a folder in natural name order (frame2 before frame10). */
export async function listImages(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (cause) {
    throw new MaskEdgeError('E_SOURCE', `image folder not readable: ${folder}`, {
      detail: { path: folder },
      cause,
    });
  }
  const images = names
    .filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase()) && !n.startsWith('.'))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (images.length === 0) {
    throw new MaskEdgeError('E_SOURCE', `image folder has no photos: ${folder}`, {
      detail: { path: folder },
    });
  }
  return images.map((n) => join(folder, n));
}

export function createImageFolderDriver(config: ImagesSourceConfig): SourceDriver {
  const intervalMs = 1000 / config.fps;
  return {
    type: 'images',
    input: config.path,
    nominalIntervalMs: intervalMs,
    async open(ctx: DriverContext): Promise<DriverSession> {
      let files = await listImages(config.path);
      let next = 0;
      let lastFile: string | undefined;
      ctx.detail({ photos: files.length });

      const step = async (): Promise<boolean> => {
        if (next >= files.length) {
          if (!config.loop) {
            ctx.ended(`all ${files.length} photos read`);
            return false;
          }
          try {
            files = await listImages(config.path);
          } catch (err) {
            ctx.failed(err);
            return false;
          }
          next = 0;
          ctx.detail({ photos: files.length });
        }
        const file = files[next++]!;
        try {
          const image = await decodeImage(file);
          // scenePerPhoto: each photo is its own scene, so the tracker ends the previous photo's tracks
          const newScene = config.scenePerPhoto === true && lastFile !== undefined && file !== lastFile;
          if (!loop.stopped) ctx.frame(image, undefined, newScene);
          lastFile = file;
        } catch (err) {
          if ((err as MaskEdgeError).code === 'E_NOT_FOUND') {
            // The photo vanished: the folder may be gone; listing tells.
            try {
              files = await listImages(config.path);
              next = 0;
            } catch (listErr) {
              ctx.failed(listErr);
              return false;
            }
          } else {
            ctx.badFrame(err);
          }
        }
        return true;
      };
      const loop = startPacedLoop(intervalMs, step, (err) => ctx.failed(err));
      return {
        async close() {
          loop.stop();
        },
      };
    },
  };
}
