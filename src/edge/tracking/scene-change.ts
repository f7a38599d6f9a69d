/**
 * Scene-change detection for the tracker: a camera cut, a new photo or a different frame size means the people
 * in view are not the ones tracked so far, so their tracks end instead of being linked to whoever stands at the
 * same place in the new scene. Three signals, any one suffices: the source says so (an `images` camera: each
 * photo is its own scene), the frame size changed, or the frame differs from the previous one by more than a
 * threshold (mean absolute difference of 16x16 grey thumbnails, in [0, 1]; people walking change it by a few
 * hundredths, a cut to another view by 0.15 or more).
 */
import type { RgbImage } from '../../core/image-io.js';

const SIDE = 16;

/** A 16x16 grey thumbnail (values 0..1) by sampling the centre pixel of each cell: cheap on any frame size. */
export function greyThumbnail(image: RgbImage): Float32Array {
  const out = new Float32Array(SIDE * SIDE);
  for (let ty = 0; ty < SIDE; ty++) {
    const y = Math.min(image.height - 1, Math.floor(((ty + 0.5) * image.height) / SIDE));
    for (let tx = 0; tx < SIDE; tx++) {
      const x = Math.min(image.width - 1, Math.floor(((tx + 0.5) * image.width) / SIDE));
      const i = (y * image.width + x) * 3;
      const d = image.data;
      out[ty * SIDE + tx] = (0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!) / 255;
    }
  }
  return out;
}

export function thumbnailDifference(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

export class SceneChangeDetector {
  private last: { width: number; height: number; thumb: Float32Array } | undefined;

  /** @param threshold mean thumbnail difference that counts as a cut; 0 turns the difference test off. */
  constructor(private readonly threshold: number) {}

  /** Why this frame starts a new scene, or undefined when it continues the current one. */
  check(image: RgbImage, sourceSaysNew = false): 'source' | 'size' | 'difference' | undefined {
    const previous = this.last;
    const thumb = greyThumbnail(image);
    this.last = { width: image.width, height: image.height, thumb };
    if (!previous) return undefined;
    if (sourceSaysNew) return 'source';
    if (previous.width !== image.width || previous.height !== image.height) return 'size';
    if (this.threshold > 0 && thumbnailDifference(previous.thumb, thumb) > this.threshold)
      return 'difference';
    return undefined;
  }
}
