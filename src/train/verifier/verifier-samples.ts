/**
 * Training examples of the face verifier, from photos the detector has run on (train split only):
 * - detector boxes that overlap an annotated face (IoU >= POSITIVE_IOU) are faces, with box deltas to it;
 * - detector boxes that overlap none (IoU < NEGATIVE_IOU) are `not_face`: the hard negatives, the detector's own
 *   false faces on these photos (texture, hands, backs of heads, faces the annotators left out are not among
 *   them: a detection on an unannotated real face is rare and is learnt as noise);
 * - boxes in between are left out (neither clearly a face nor clearly not);
 * - each annotated face also gives `jitter` shifted and rescaled copies of its own box as faces, so the box
 *   refinement sees more offsets than the detector happens to make.
 */

import {
  boxDeltas,
  type MinedPhoto,
  VERIFIER_CONVENTIONS,
  verifierCropBox,
} from '../../core/face-verifier-spec.js';
import { type Box, boxIou } from '../../core/image-io.js';
import { SeededRandom } from '../../core/seeded-random.js';

export const POSITIVE_IOU = 0.45;
export const NEGATIVE_IOU = 0.25;

export interface VerifierExample {
  photo: number;
  /** Region to crop (verifierCropBox of the detection). */
  crop: Box;
  isFace: boolean;
  /** Deltas to the face in the photo's convention (faces only). */
  deltas?: [number, number, number, number];
  /** Index of the photo's convention in VERIFIER_CONVENTIONS. */
  convention: number;
  /** 'detection' or 'jitter'. */
  origin: 'detection' | 'jitter';
  /** The box's width and height as fractions of the crop (it sits in the crop's centre). */
  inner: [number, number];
}

export interface ExampleOptions {
  /** Lowest detector score used (default 0.05). */
  minScore?: number;
  /** Detections narrower than this are not used (default 12 px). */
  minWidth?: number;
  /** Jittered copies per annotated face (default 2). */
  jitter?: number;
  seed?: number;
}

export interface ExampleCounts {
  faces: number;
  notFaces: number;
  ignored: number;
  jittered: number;
}

export function buildExamples(
  photos: readonly MinedPhoto[],
  options: ExampleOptions = {},
): { examples: VerifierExample[]; counts: ExampleCounts } {
  const { minScore = 0.05, minWidth = 12, jitter = 2, seed = 1 } = options;
  const rng = new SeededRandom(seed);
  const examples: VerifierExample[] = [];
  const counts: ExampleCounts = { faces: 0, notFaces: 0, ignored: 0, jittered: 0 };
  photos.forEach((photo, p) => {
    const convention = VERIFIER_CONVENTIONS.indexOf(photo.convention);
    for (const det of photo.detections) {
      if (det.score < minScore || det.box.width < minWidth) continue;
      let best = 0;
      let face: Box | undefined;
      for (const f of photo.faces) {
        const v = boxIou(det.box, f.box);
        if (v > best) [best, face] = [v, f.box];
      }
      const crop = verifierCropBox(det.box);
      const inner: [number, number] = [det.box.width / crop.width, det.box.height / crop.height];
      if (best >= POSITIVE_IOU && face) {
        examples.push({
          photo: p,
          crop,
          isFace: true,
          deltas: boxDeltas(det.box, face),
          convention,
          origin: 'detection',
          inner,
        });
        counts.faces++;
      } else if (best < NEGATIVE_IOU) {
        examples.push({ photo: p, crop, isFace: false, convention, origin: 'detection', inner });
        counts.notFaces++;
      } else counts.ignored++;
    }
    for (const f of photo.faces) {
      if (Math.min(f.box.width, f.box.height) < minWidth) continue;
      for (let j = 0; j < jitter; j++) {
        const w = f.box.width * Math.exp(0.15 * rng.normal());
        const h = f.box.height * Math.exp(0.15 * rng.normal());
        const cx = f.box.x + f.box.width / 2 + 0.1 * f.box.width * rng.normal();
        const cy = f.box.y + f.box.height / 2 + 0.1 * f.box.height * rng.normal();
        const box = { x: cx - w / 2, y: cy - h / 2, width: w, height: h };
        if (boxIou(box, f.box) < POSITIVE_IOU) continue;
        const crop = verifierCropBox(box);
        examples.push({
          photo: p,
          crop,
          isFace: true,
          deltas: boxDeltas(box, f.box),
          convention,
          origin: 'jitter',
          inner: [box.width / crop.width, box.height / crop.height],
        });
        counts.jittered++;
      }
    }
  });
  return { examples, counts };
}
