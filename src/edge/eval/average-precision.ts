/**
 * Average precision at an IoU threshold, Pascal VOC style: detections in score order are matched greedily to
 * the best-overlapping unmatched ground truth of the same image; AP is the area under the precision envelope
 * (all-point interpolation, VOC 2010+). Ground truth marked `ignore` (e.g. faces under --min-face) is neither
 * counted as a positive nor lets a detection matched to it count as a false positive.
 */
import type { Box } from '../../core/image-io.js';
import { iou } from '../tracking/box-iou.js';

export interface ScoredBox {
  image: string;
  box: Box;
  score: number;
}

export interface TruthBox {
  image: string;
  box: Box;
  ignore?: boolean;
}

export type MatchOutcome =
  | { kind: 'tp'; truth: number }
  | { kind: 'fp' }
  | { kind: 'ignored'; truth: number };

/**
 * Score-ordered greedy matching. Returns one outcome per detection (in the input order): a true positive with
 * the index of its ground truth, a false positive, or ignored (best match is an ignored ground truth).
 */
export function matchByScore(
  detections: readonly ScoredBox[],
  truths: readonly TruthBox[],
  threshold = 0.5,
): MatchOutcome[] {
  const byImage = new Map<string, number[]>();
  truths.forEach((t, i) => {
    const list = byImage.get(t.image) ?? [];
    list.push(i);
    byImage.set(t.image, list);
  });
  const order = detections
    .map((_, i) => i)
    .sort((a, b) => detections[b]!.score - detections[a]!.score || a - b);
  const used = new Set<number>();
  const out: MatchOutcome[] = new Array(detections.length);
  for (const d of order) {
    const det = detections[d]!;
    let best = -1;
    let bestIou = threshold;
    // Prefer an unmatched real face; fall back to an ignored one (a matched real face does not absorb repeats).
    let ignoredBest = -1;
    let ignoredIou = threshold;
    for (const t of byImage.get(det.image) ?? []) {
      const overlap = iou(det.box, truths[t]!.box);
      if (truths[t]!.ignore) {
        if (overlap >= ignoredIou) {
          ignoredIou = overlap;
          ignoredBest = t;
        }
      } else if (!used.has(t) && overlap >= bestIou) {
        bestIou = overlap;
        best = t;
      }
    }
    if (best >= 0) {
      used.add(best);
      out[d] = { kind: 'tp', truth: best };
    } else if (ignoredBest >= 0) {
      out[d] = { kind: 'ignored', truth: ignoredBest };
    } else {
      out[d] = { kind: 'fp' };
    }
  }
  return out;
}

/** All-point interpolated AP from true/false-positive flags in descending score order. */
export function averagePrecisionFromFlags(flags: readonly boolean[], positives: number): number {
  if (positives === 0) return Number.NaN;
  const recall: number[] = [0];
  const precision: number[] = [1];
  let tp = 0;
  for (let i = 0; i < flags.length; i++) {
    if (flags[i]) tp++;
    recall.push(tp / positives);
    precision.push(tp / (i + 1));
  }
  // Precision envelope: make precision monotonically non-increasing from the right.
  for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i]!, precision[i + 1]!);
  let ap = 0;
  for (let i = 1; i < recall.length; i++) ap += (recall[i]! - recall[i - 1]!) * precision[i]!;
  return ap;
}

export interface ApResult {
  ap: number;
  positives: number;
  detections: number;
}

/** AP of one class: detections and ground truth of that class only (ignored truth may be of any class). */
export function averagePrecision(
  detections: readonly ScoredBox[],
  truths: readonly TruthBox[],
  threshold = 0.5,
): ApResult {
  const outcomes = matchByScore(detections, truths, threshold);
  const order = detections
    .map((_, i) => i)
    .sort((a, b) => detections[b]!.score - detections[a]!.score || a - b);
  const flags = order.filter((i) => outcomes[i]!.kind !== 'ignored').map((i) => outcomes[i]!.kind === 'tp');
  const positives = truths.filter((t) => !t.ignore).length;
  return { ap: averagePrecisionFromFlags(flags, positives), positives, detections: flags.length };
}
