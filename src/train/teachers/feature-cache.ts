import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RgbImage } from '../../core/image-io.js';

/**
 * Frozen-backbone features on disk, one file per crop, keyed by the backbone, the tfjs backend that computed them
 * and the crop's pixels: a run with another seed (another split), another --data list or a resumed run reads the
 * features of every crop it has seen before instead of running the backbone again (about 7 of a default run's ~30
 * minutes on 2 cores). Anything unreadable or of the wrong size is computed again.
 */
export class FeatureCache {
  hits = 0;
  misses = 0;

  constructor(
    private readonly dir: string,
    /** Backbone name + tfjs backend, e.g. 'face-recognition@wasm'. */
    private readonly key: string,
    private readonly dim: number,
  ) {}

  private path(crop: RgbImage): string {
    const h = createHash('sha1');
    h.update(`${this.key}\n${crop.width}x${crop.height}\n`);
    h.update(crop.data);
    const hex = h.digest('hex');
    return join(this.dir, this.key, hex.slice(0, 2), `${hex}.f32`);
  }

  /** The cached feature row of each crop, or undefined where there is none. */
  async read(crops: readonly RgbImage[]): Promise<(Float32Array | undefined)[]> {
    const out = await Promise.all(
      crops.map(async (c) => {
        try {
          const buf = await readFile(this.path(c));
          if (buf.byteLength !== this.dim * 4) return undefined;
          return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
        } catch {
          return undefined;
        }
      }),
    );
    for (const row of out) row ? this.hits++ : this.misses++;
    return out;
  }

  /** Stores rows (written to a temporary name, then renamed, so a killed run leaves no half file). */
  async write(crops: readonly RgbImage[], rows: Float32Array): Promise<void> {
    await Promise.all(
      crops.map(async (c, i) => {
        const path = this.path(c);
        await mkdir(join(path, '..'), { recursive: true });
        const tmp = `${path}.${process.pid}.tmp`;
        await writeFile(tmp, rows.subarray(i * this.dim, (i + 1) * this.dim));
        await rename(tmp, path);
      }),
    );
  }
}
