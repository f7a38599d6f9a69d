/**
 * SSD training targets (Liu et al. 2016, as the TF Object Detection API trains this model): every anchor is
 * matched to the annotated face it overlaps most. IoU >= POSITIVE_IOU makes it a face anchor, IoU < NEGATIVE_IOU
 * background, anything between is left out; each face also claims its single best anchor (so a face smaller than
 * every anchor still has one). A face anchor's box target is the centre-size encoding of its face:
 * ty = sy (cy - acy) / ah, tx = sx (cx - acx) / aw, th = sh log(h / ah), tw = sw log(w / aw).
 * Faces too small to learn from (under `minFaceInput` input pixels) neither teach a face nor count as background.
 */

export const POSITIVE_IOU = 0.5;
export const NEGATIVE_IOU = 0.4;

/** A face in normalised input coordinates (x by the input width, y by its height). */
export interface NormalisedFace {
  ymin: number;
  xmin: number;
  ymax: number;
  xmax: number;
}

export interface AnchorTargets {
  /** Per anchor: 1 face, 0 background, -1 left out. */
  labels: Int8Array;
  /** Per anchor 4 encodings (face anchors only; zeros elsewhere). */
  boxes: Float32Array;
  positives: number;
}

export interface TargetOptions {
  /** Box coder scale (ty, tx, th, tw), as in the model's metadata; default [10, 10, 5, 5]. */
  scale?: readonly [number, number, number, number];
  /** Input width and height in pixels (for `minFaceInput`). */
  inputWidth: number;
  inputHeight: number;
  /** Faces whose shorter side is under this many input pixels are left out (default 10). */
  minFaceInput?: number;
}

/**
 * Targets of one image. `anchors`: (cy, cx, h, w) rows, normalised as the faces are (box-decoding.ts
 * generateAnchors).
 */
export function anchorTargets(
  anchors: Float32Array,
  faces: readonly NormalisedFace[],
  options: TargetOptions,
): AnchorTargets {
  const { scale = [10, 10, 5, 5], inputWidth, inputHeight, minFaceInput = 10 } = options;
  const count = anchors.length / 4;
  const labels = new Int8Array(count);
  const boxes = new Float32Array(count * 4);
  const bestIou = new Float32Array(count);
  const bestFace = new Int32Array(count).fill(-1);
  const faceBest = faces.map(() => ({ anchor: -1, iou: 0 }));
  for (let a = 0; a < count; a++) {
    const cy = anchors[4 * a] as number;
    const cx = anchors[4 * a + 1] as number;
    const h = anchors[4 * a + 2] as number;
    const w = anchors[4 * a + 3] as number;
    const [ay0, ax0, ay1, ax1] = [cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2];
    const anchorArea = h * w;
    faces.forEach((f, i) => {
      const ih = Math.min(ay1, f.ymax) - Math.max(ay0, f.ymin);
      const iw = Math.min(ax1, f.xmax) - Math.max(ax0, f.xmin);
      if (ih <= 0 || iw <= 0) return;
      const inter = ih * iw;
      const iou = inter / (anchorArea + (f.ymax - f.ymin) * (f.xmax - f.xmin) - inter);
      if (iou > (bestIou[a] as number)) {
        bestIou[a] = iou;
        bestFace[a] = i;
      }
      const fb = faceBest[i] as { anchor: number; iou: number };
      if (iou > fb.iou) {
        fb.anchor = a;
        fb.iou = iou;
      }
    });
  }
  const tooSmall = faces.map(
    (f) => Math.min((f.ymax - f.ymin) * inputHeight, (f.xmax - f.xmin) * inputWidth) < minFaceInput,
  );
  for (let a = 0; a < count; a++) {
    const iou = bestIou[a] as number;
    labels[a] = iou >= POSITIVE_IOU ? 1 : iou < NEGATIVE_IOU ? 0 : -1;
  }
  faceBest.forEach((fb, i) => {
    if (fb.anchor >= 0) {
      labels[fb.anchor] = 1;
      bestFace[fb.anchor] = i;
    }
  });
  let positives = 0;
  for (let a = 0; a < count; a++) {
    if (labels[a] !== 1) continue;
    const i = bestFace[a] as number;
    if (tooSmall[i]) {
      labels[a] = -1;
      continue;
    }
    const f = faces[i] as NormalisedFace;
    const o = 4 * a;
    const [cy, cx, h, w] = [anchors[o], anchors[o + 1], anchors[o + 2], anchors[o + 3]] as number[] as [
      number,
      number,
      number,
      number,
    ];
    boxes[o] = (scale[0] * ((f.ymin + f.ymax) / 2 - cy)) / h;
    boxes[o + 1] = (scale[1] * ((f.xmin + f.xmax) / 2 - cx)) / w;
    boxes[o + 2] = scale[2] * Math.log((f.ymax - f.ymin) / h);
    boxes[o + 3] = scale[3] * Math.log((f.xmax - f.xmin) / w);
    positives++;
  }
  return { labels, boxes, positives };
}
