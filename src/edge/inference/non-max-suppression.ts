/** Greedy non-maximum suppression over scored boxes, plus the IoU it uses. */

export interface Corners {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A box as corners. */
export function toCorners(box: { x: number; y: number; width: number; height: number }): Corners {
  return { x0: box.x, y0: box.y, x1: box.x + box.width, y1: box.y + box.height };
}

/** Intersection over union of two corner boxes (0 when either is empty). */
export function iouCorners(a: Corners, b: Corners): number {
  const areaA = Math.max(0, a.x1 - a.x0) * Math.max(0, a.y1 - a.y0);
  const areaB = Math.max(0, b.x1 - b.x0) * Math.max(0, b.y1 - b.y0);
  if (areaA <= 0 || areaB <= 0) return 0;
  const iw = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const ih = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / (areaA + areaB - inter);
}

/**
 * Keeps the highest-scoring boxes, dropping any box whose IoU with an already kept box exceeds `iou`.
 * Returns the indices of the kept boxes, best first, at most `maxOutput`.
 */
export function nonMaxSuppression(
  boxes: readonly Corners[],
  scores: readonly number[],
  iou: number,
  maxOutput = Number.POSITIVE_INFINITY,
): number[] {
  const order = scores.map((_, i) => i).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || a - b);
  const kept: number[] = [];
  for (const i of order) {
    if (kept.length >= maxOutput) break;
    const box = boxes[i];
    if (!box) continue;
    if (kept.every((j) => iouCorners(box, boxes[j] as Corners) <= iou)) kept.push(i);
  }
  return kept;
}
