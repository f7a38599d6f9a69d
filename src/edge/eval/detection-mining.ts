/**
 * Runs a detector over annotated photos and keeps every box down to a low score, beside the photo's annotated
 * faces: the material the face verifier learns from (its hard negatives are the detector's own false faces).
 */
import type { FaceSample } from '../../core/dataset/index.js';
import type { MinedPhoto, VerifierConvention } from '../../core/face-verifier-spec.js';
import { decodeImage } from '../../core/image-io.js';
import type { DetectorLike } from '../inference/face-verifier.js';

export interface MineOptions {
  /** Lowest detector score kept (default 0.05). */
  minScore?: number;
  /** Annotation convention of a sample's photo (by its --data folder). */
  conventionOf: (sample: FaceSample) => VerifierConvention;
  onProgress?: (done: number, total: number) => void;
}

/** One MinedPhoto per annotated photo (samples without a box are left out); unreadable photos are skipped. */
export async function mineDetections(
  detector: DetectorLike,
  samples: readonly FaceSample[],
  options: MineOptions,
): Promise<{ photos: MinedPhoto[]; unreadable: string[] }> {
  const byPhoto = new Map<string, FaceSample[]>();
  for (const s of samples) if (s.box) byPhoto.set(s.path, [...(byPhoto.get(s.path) ?? []), s]);
  const photos: MinedPhoto[] = [];
  const unreadable: string[] = [];
  let done = 0;
  for (const [path, faces] of byPhoto) {
    const frame = await decodeImage(path).catch(() => undefined);
    if (!frame) unreadable.push(path);
    else {
      const found = await detector.detect(frame, { minScore: options.minScore ?? 0.05, maxFaces: 200 });
      photos.push({
        path,
        width: frame.width,
        height: frame.height,
        convention: options.conventionOf(faces[0]!),
        faces: faces.map((f) => ({ box: f.box!, label: f.label })),
        detections: found.map((d) => ({ box: d.box, score: d.score })),
      });
    }
    options.onProgress?.(++done, byPhoto.size);
  }
  return { photos, unreadable };
}
