/**
 * Writes annotated frames (boxes, labels, track ids) of one camera to disk, at most one per `everySeconds`,
 * keeping only the newest `keep` files. Off by default; used by the demo and for on-site checks.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { annotateImage, type FaceAnnotation } from '../../core/annotate-image.js';
import type { RgbImage } from '../../core/image-io.js';
import type { AnnotateConfig } from '../config/pipeline-config.js';
import { type ZonePolygon, zoneInPixels } from './camera-zone.js';

export class AnnotatedFrameWriter {
  private readonly dir: string;
  private lastWrite = Number.NEGATIVE_INFINITY;
  private readonly written: string[] = [];
  private ready: Promise<void> | undefined;
  count = 0;

  constructor(
    private readonly camera: string,
    private readonly config: AnnotateConfig,
    private readonly zone?: ZonePolygon,
  ) {
    this.dir = join(config.dir, camera);
  }

  /** Whether a frame taken now would be written (checked before paying for annotation). */
  due(now: number, faces: number): boolean {
    if (this.config.onlyWithFaces && faces === 0) return false;
    return now - this.lastWrite >= this.config.everySeconds * 1000;
  }

  async write(image: RgbImage, faces: readonly FaceAnnotation[], ts: number, index: number): Promise<string> {
    this.lastWrite = Date.now();
    this.ready ??= this.prepare();
    await this.ready;
    const stamp = new Date(ts).toISOString().replace(/[:.]/g, '-');
    const file = join(this.dir, `${stamp}-${String(index).padStart(6, '0')}.jpg`);
    const jpeg = await annotateImage(image, faces, {
      caption: `${this.camera} ${new Date(ts).toISOString()}`,
      ...(this.zone ? { zone: zoneInPixels(this.zone, image) } : {}),
    });
    await writeFile(file, jpeg);
    this.count += 1;
    this.written.push(file);
    while (this.written.length > this.config.keep) await rm(this.written.shift()!, { force: true });
    return file;
  }

  /** Creates the folder and adopts files left by a previous run so `keep` holds across restarts. */
  private async prepare(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const old = (await readdir(this.dir)).filter((n) => n.endsWith('.jpg')).sort();
    this.written.push(...old.map((n) => join(this.dir, n)));
  }
}
