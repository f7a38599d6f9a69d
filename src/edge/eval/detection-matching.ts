/**
 * Detection quality against annotated faces: per photo, detections are matched to ground-truth faces at an
 * IoU threshold (best score first, each face matched once), then recall and precision are tallied overall,
 * by face size and by label. Faces whose shorter side is under `minFace` are left out: they count neither as
 * found nor as missed, and a detection matched to one is not a false positive (PASCAL VOC "difficult").
 */
import { type Box, boxIou } from '../../core/image-io.js';

export { boxIou };

export interface TruthFace {
  box: Box;
  /** e.g. 'correct' | 'incorrect' | 'no_mask'; tallied separately when present. */
  label?: string;
}

export interface ScoredBox {
  box: Box;
  score: number;
}

export interface MatchOptions {
  /** IoU a detection needs with a face to count as finding it (default 0.5). */
  iou?: number;
  /** Faces with shorter side under this many pixels are ignored (default 0: none). */
  minFace?: number;
  /** Detections scoring below this are dropped before matching (default 0: keep all). */
  minScore?: number;
}

export interface PhotoMatch {
  /** Matched pairs: index into truth, index into detections, their IoU. */
  matches: { truth: number; detection: number; iou: number }[];
  /** Truth indices of counted faces nobody found. */
  missed: number[];
  /** Detection indices that match no face (counted ones or ignored ones). */
  falsePositives: number[];
  /** Truth indices left out by minFace. */
  ignoredFaces: number[];
  /** Detections that matched an ignored face. */
  ignoredDetections: number[];
}

export function faceSize(box: Box): number {
  return Math.min(box.width, box.height);
}

/** Greedy matching in score order; a detection prefers a counted face over an ignored one. */
export function matchDetections(
  truth: readonly TruthFace[],
  detections: readonly ScoredBox[],
  options: MatchOptions = {},
): PhotoMatch {
  const { iou: threshold = 0.5, minFace = 0, minScore = 0 } = options;
  const ignored = truth.map((t) => faceSize(t.box) < minFace);
  const taken = truth.map(() => false);
  const result: PhotoMatch = {
    matches: [],
    missed: [],
    falsePositives: [],
    ignoredFaces: truth.flatMap((_, i) => (ignored[i] ? [i] : [])),
    ignoredDetections: [],
  };
  const order = detections
    .map((d, i) => ({ d, i }))
    .filter(({ d }) => d.score >= minScore)
    .sort((a, b) => b.d.score - a.d.score || a.i - b.i);
  for (const { d, i } of order) {
    let best = -1;
    let bestIou = threshold;
    let bestIgnored = true;
    truth.forEach((t, j) => {
      if (taken[j]) return;
      const v = boxIou(d.box, t.box);
      if (v < threshold) return;
      const isIgnored = ignored[j] ?? false;
      // Counted faces win over ignored ones; among equals, the higher IoU wins.
      if (best < 0 || (bestIgnored && !isIgnored) || (bestIgnored === isIgnored && v > bestIou)) {
        best = j;
        bestIou = v;
        bestIgnored = isIgnored;
      }
    });
    if (best < 0) {
      result.falsePositives.push(i);
    } else if (bestIgnored) {
      taken[best] = true;
      result.ignoredDetections.push(i);
    } else {
      taken[best] = true;
      result.matches.push({ truth: best, detection: i, iou: bestIou });
    }
  }
  truth.forEach((_, j) => {
    if (!taken[j] && !ignored[j]) result.missed.push(j);
  });
  return result;
}

/** Size buckets by the face's shorter side, in pixels: [lower, upper). */
export const SIZE_BUCKETS: readonly { name: string; min: number; max: number }[] = [
  { name: '<16', min: 0, max: 16 },
  { name: '16-24', min: 16, max: 24 },
  { name: '24-32', min: 24, max: 32 },
  { name: '32-48', min: 32, max: 48 },
  { name: '48-96', min: 48, max: 96 },
  { name: '>=96', min: 96, max: Number.POSITIVE_INFINITY },
];

export function sizeBucket(box: Box): string {
  const s = faceSize(box);
  return (SIZE_BUCKETS.find((b) => s >= b.min && s < b.max) ?? SIZE_BUCKETS[SIZE_BUCKETS.length - 1])!.name;
}

export interface RecallCount {
  faces: number;
  detected: number;
  recall: number;
}

export interface DetectionSummary {
  photos: number;
  /** Counted faces (at least minFace). */
  faces: number;
  /** Counted faces found. */
  detected: number;
  /** Detections kept (score >= minScore), ignored ones excluded. */
  detections: number;
  falsePositives: number;
  recall: number;
  precision: number;
  recallBySize: Record<string, RecallCount>;
  recallByLabel: Record<string, RecallCount>;
}

function bump(map: Record<string, RecallCount>, key: string, found: boolean): void {
  const c = map[key] ?? { faces: 0, detected: 0, recall: 0 };
  c.faces += 1;
  if (found) c.detected += 1;
  c.recall = c.detected / c.faces;
  map[key] = c;
}

/** Matches every photo and tallies recall/precision overall, by size bucket and by label. */
export function summariseDetection(
  photos: readonly { faces: readonly TruthFace[]; detections: readonly ScoredBox[] }[],
  options: MatchOptions = {},
): DetectionSummary {
  const recallBySize: Record<string, RecallCount> = {};
  const recallByLabel: Record<string, RecallCount> = {};
  let faces = 0;
  let detected = 0;
  let detections = 0;
  let falsePositives = 0;
  for (const photo of photos) {
    const m = matchDetections(photo.faces, photo.detections, options);
    const found = new Set(m.matches.map((p) => p.truth));
    photo.faces.forEach((t, j) => {
      if (m.ignoredFaces.includes(j)) return;
      const hit = found.has(j);
      faces += 1;
      if (hit) detected += 1;
      bump(recallBySize, sizeBucket(t.box), hit);
      if (t.label !== undefined) bump(recallByLabel, t.label, hit);
    });
    detections += m.matches.length + m.falsePositives.length;
    falsePositives += m.falsePositives.length;
  }
  return {
    photos: photos.length,
    faces,
    detected,
    detections,
    falsePositives,
    recall: faces > 0 ? detected / faces : 0,
    precision: detections > 0 ? (detections - falsePositives) / detections : 0,
    recallBySize: Object.fromEntries(
      SIZE_BUCKETS.filter((b) => recallBySize[b.name]).map((b) => [b.name, recallBySize[b.name]!]),
    ),
    recallByLabel,
  };
}
