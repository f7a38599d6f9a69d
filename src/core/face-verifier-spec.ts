/**
 * The face verifier's contract, shared by its trainer (src/train/verifier), its ONNX export and its runtime
 * (src/edge/inference/face-verifier.ts): a small CNN that looks at each detector box with some context around
 * it and says whether it is a face (a `not_face` rejection for the detector's false faces) and where the
 * face's box is in each annotation convention it was trained on (a second-stage box refinement).
 */
import type { Box } from './image-io.js';

/** Square crop side, pixels. */
export const VERIFIER_INPUT_SIZE = 48;
/** Crop side = CONTEXT x the detection's longer side, centred on it (padded with black past the frame). */
export const VERIFIER_CONTEXT = 1.6;
/** Annotation conventions a verifier can refine boxes to, in output order. */
export const VERIFIER_CONVENTIONS = ['kaggle', 'ilc'] as const;
export type VerifierConvention = (typeof VERIFIER_CONVENTIONS)[number];
/** Outputs per crop: 1 face logit, then 4 box deltas (dx, dy, log sw, log sh) per convention. */
export const VERIFIER_OUTPUTS = 1 + 4 * VERIFIER_CONVENTIONS.length;
/** Deltas are predicted in these units (standard R-CNN scaling: small numbers -> larger targets). */
export const VERIFIER_DELTA_SCALE: readonly [number, number, number, number] = [10, 10, 5, 5];

/** The crop region of a detection box (square, centred, may extend past the frame). */
export function verifierCropBox(box: Box, context = VERIFIER_CONTEXT): Box {
  const side = context * Math.max(box.width, box.height);
  return {
    x: box.x + box.width / 2 - side / 2,
    y: box.y + box.height / 2 - side / 2,
    width: side,
    height: side,
  };
}

/** Box deltas from a detection to a target box, in VERIFIER_DELTA_SCALE units. */
export function boxDeltas(from: Box, to: Box): [number, number, number, number] {
  const [sx, sy, sw, sh] = VERIFIER_DELTA_SCALE;
  return [
    (sx * (to.x + to.width / 2 - (from.x + from.width / 2))) / from.width,
    (sy * (to.y + to.height / 2 - (from.y + from.height / 2))) / from.height,
    sw * Math.log(to.width / from.width),
    sh * Math.log(to.height / from.height),
  ];
}

/** Applies deltas (VERIFIER_DELTA_SCALE units) to a detection box. */
export function applyBoxDeltas(from: Box, d: readonly number[]): Box {
  const [sx, sy, sw, sh] = VERIFIER_DELTA_SCALE;
  const clamp = (v: number) => Math.max(-1, Math.min(1, v));
  const cx = from.x + from.width / 2 + ((d[0] ?? 0) / sx) * from.width;
  const cy = from.y + from.height / 2 + ((d[1] ?? 0) / sy) * from.height;
  const w = from.width * Math.exp(clamp((d[2] ?? 0) / sw));
  const h = from.height * Math.exp(clamp((d[3] ?? 0) / sh));
  return { x: cx - w / 2, y: cy - h / 2, width: w, height: h };
}

/** One annotated photo with the detector's boxes on it (written by the miner, read by the verifier's trainer). */
export interface MinedPhoto {
  path: string;
  width: number;
  height: number;
  /** Annotation convention of the photo's source. */
  convention: VerifierConvention;
  faces: { box: Box; label: string }[];
  /** Detector boxes (no box adjustment) down to the mining score. */
  detections: { box: Box; score: number }[];
}
