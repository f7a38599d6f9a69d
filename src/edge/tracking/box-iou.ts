import type { Box } from '../../core/image-io.js';

/** Intersection over union of two boxes (0 when either is empty). */
export function iou(a: Box, b: Box): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

export interface Match {
  track: number;
  detection: number;
  iou: number;
}

/**
 * Greedy assignment on IoU ("Hungarian-lite"): every (track, detection) pair at or above `threshold` is
 * considered, best overlap first; each track and each detection is used at most once. For the handful of
 * faces a door camera sees this gives the same answer as the Hungarian algorithm in all but contrived cases,
 * at a fraction of the code.
 */
export function greedyMatch(tracks: readonly Box[], detections: readonly Box[], threshold: number): Match[] {
  const pairs: Match[] = [];
  for (let t = 0; t < tracks.length; t++) {
    for (let d = 0; d < detections.length; d++) {
      const overlap = iou(tracks[t]!, detections[d]!);
      if (overlap >= threshold && overlap > 0) pairs.push({ track: t, detection: d, iou: overlap });
    }
  }
  pairs.sort((a, b) => b.iou - a.iou || a.track - b.track || a.detection - b.detection);
  const usedTracks = new Set<number>();
  const usedDetections = new Set<number>();
  const matches: Match[] = [];
  for (const pair of pairs) {
    if (usedTracks.has(pair.track) || usedDetections.has(pair.detection)) continue;
    usedTracks.add(pair.track);
    usedDetections.add(pair.detection);
    matches.push(pair);
  }
  return matches;
}
