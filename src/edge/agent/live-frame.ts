/**
 * The newest processed frame of a camera with what to draw on it, kept for the live page. Encoding to JPEG
 * happens only when someone asks (and once per frame), so a device nobody watches pays nothing.
 */
import { annotateImage, type FaceAnnotation } from '../../core/annotate-image.js';
import type { RgbImage } from '../../core/image-io.js';
import type { LiveFrameJpeg } from '../health/live-contract.js';
import { type ZonePolygon, zoneInPixels } from './camera-zone.js';

export class LiveFrame {
  private latest:
    | { image: RgbImage; faces: readonly FaceAnnotation[]; ts: number; index: number }
    | undefined;
  private encoded: Promise<LiveFrameJpeg | undefined> | undefined;

  constructor(
    private readonly camera: string,
    private readonly zone?: ZonePolygon,
  ) {}

  set(image: RgbImage, faces: readonly FaceAnnotation[], ts: number, index: number): void {
    this.latest = { image, faces, ts, index };
    this.encoded = undefined;
  }

  /** The newest frame annotated as JPEG (undefined before the first frame). */
  jpeg(): Promise<LiveFrameJpeg | undefined> {
    const latest = this.latest;
    if (!latest) return Promise.resolve(undefined);
    this.encoded ??= annotateImage(latest.image, latest.faces, {
      caption: `${this.camera} ${new Date(latest.ts).toISOString()}`,
      quality: 75,
      ...(this.zone ? { zone: zoneInPixels(this.zone, latest.image) } : {}),
    }).then(
      (jpeg) => ({ jpeg, ts: latest.ts, index: latest.index }),
      () => undefined,
    );
    return this.encoded;
  }
}
