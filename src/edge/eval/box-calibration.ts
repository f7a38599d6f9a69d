/**
 * Fits the four numbers that move a detector's boxes to a dataset's box convention (face-api's SSD draws
 * forehead-to-chin boxes; the Kaggle VOC boxes are tighter and lower). Each annotated face is paired with the
 * detection overlapping it most (IoU >= minIou); the adjustment is the median offset and size ratio, measured
 * in units of the detection's size, so it is resolution independent. Medians keep stray pairs from pulling it.
 */

import { MaskEdgeError } from '../../core/errors.js';
import type { Box } from '../../core/image-io.js';
import type { BoxAdjust } from '../inference/detector-contract.js';
import { boxIou, faceSize, type ScoredBox, type TruthFace } from './detection-matching.js';

export interface CalibrationOptions {
  /** Only detections scoring at least this pair up (default 0.3). */
  minScore?: number;
  /** A pair needs at least this IoU (default 0.3: near misses are what the adjustment rescues). */
  minIou?: number;
  /** Faces with shorter side under this are skipped (default 24). */
  minFace?: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function fitBoxAdjust(
  photos: readonly { faces: readonly TruthFace[]; detections: readonly ScoredBox[] }[],
  options: CalibrationOptions = {},
): BoxAdjust & { pairs: number } {
  const { minScore = 0.3, minIou = 0.3, minFace = 24 } = options;
  const dx: number[] = [];
  const dy: number[] = [];
  const sw: number[] = [];
  const sh: number[] = [];
  for (const photo of photos) {
    const dets = photo.detections.filter((d) => d.score >= minScore);
    for (const face of photo.faces) {
      if (faceSize(face.box) < minFace) continue;
      let best: Box | undefined;
      let bestIou = minIou;
      for (const d of dets) {
        const v = boxIou(d.box, face.box);
        if (v >= bestIou) {
          best = d.box;
          bestIou = v;
        }
      }
      if (!best) continue;
      dx.push((face.box.x + face.box.width / 2 - (best.x + best.width / 2)) / best.width);
      dy.push((face.box.y + face.box.height / 2 - (best.y + best.height / 2)) / best.height);
      sw.push(face.box.width / best.width);
      sh.push(face.box.height / best.height);
    }
  }
  if (dx.length < 10) {
    throw new MaskEdgeError('E_DATA', `too few detected faces to fit a box adjustment: ${dx.length}`, {
      detail: { pairs: dx.length, needed: 10, minScore, minIou, minFace },
    });
  }
  return { dx: median(dx), dy: median(dy), sw: median(sw), sh: median(sh), pairs: dx.length };
}

/** Applies an adjustment to frame-pixel boxes (for measuring a fitted adjustment without rebuilding a model). */
export function adjustDetections<T extends ScoredBox>(detections: readonly T[], adjust: BoxAdjust): T[] {
  return detections.map((d) => {
    const { x, y, width, height } = d.box;
    const w = width * adjust.sw;
    const h = height * adjust.sh;
    const cx = x + width / 2 + adjust.dx * width;
    const cy = y + height / 2 + adjust.dy * height;
    return { ...d, box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h } };
  });
}
