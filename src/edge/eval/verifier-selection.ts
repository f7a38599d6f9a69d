/**
 * Scores detector + face verifier settings on mined photos (each detector box already verified once), so the
 * candidate score and the face probability threshold can be chosen on validation photos and reported on test
 * photos without running the networks again.
 */
import type { MinedPhoto } from '../../core/face-verifier-spec.js';
import type { Box } from '../../core/image-io.js';
import { verifiedScore } from '../inference/face-verifier.js';
import { nonMaxSuppression, toCorners } from '../inference/non-max-suppression.js';
import { matchDetections } from './detection-matching.js';

/** A mined photo whose detector boxes carry the verifier's answer (refined to the photo's convention). */
export interface VerifiedPhoto {
  photo: MinedPhoto;
  /** Same order as photo.detections. */
  verified: { box: Box; faceProbability: number }[];
}

export interface VerifierSetting {
  candidateMinScore: number;
  /** Threshold on sqrt(detector score x face probability). */
  minScore: number;
}

export interface SettingScore extends VerifierSetting {
  recall: number;
  precision: number;
  faces: number;
  detections: number;
  falsePositives: number;
}

export interface ScoreOptions {
  /** Annotated faces under this (shorter side) are left out (default 24). */
  minFace?: number;
  /** Detections narrower than this are dropped (default 24, the agent's recommended detection.minFaceSize). */
  minDetectionSize?: number;
  iou?: number;
  nmsIou?: number;
}

/** Recall and precision of one setting over photos (IoU 0.5 by default). */
export function scoreVerifierSetting(
  photos: readonly VerifiedPhoto[],
  setting: VerifierSetting,
  options: ScoreOptions = {},
): SettingScore {
  const { minFace = 24, minDetectionSize = 24, iou = 0.5, nmsIou = 0.4 } = options;
  let faces = 0;
  let found = 0;
  let detections = 0;
  let falsePositives = 0;
  for (const { photo, verified } of photos) {
    // As the runtime (VerifiedFaceDetector): the threshold, NMS on the refined boxes; then the agent's width filter.
    const passing = verified
      .map((v, i) => ({ box: v.box, score: verifiedScore(photo.detections[i]!.score, v.faceProbability), i }))
      .filter(
        (d) => photo.detections[d.i]!.score >= setting.candidateMinScore && d.score >= setting.minScore,
      );
    const kept = nonMaxSuppression(
      passing.map((d) => toCorners(d.box)),
      passing.map((d) => d.score),
      nmsIou,
    )
      .map((k) => passing[k]!)
      .filter((d) => d.box.width >= minDetectionSize);
    const m = matchDetections(
      photo.faces.map((f) => ({ box: f.box })),
      kept,
      { iou, minFace },
    );
    faces += m.matches.length + m.missed.length;
    found += m.matches.length;
    falsePositives += m.falsePositives.length;
    detections += m.matches.length + m.falsePositives.length;
  }
  return {
    ...setting,
    recall: faces ? found / faces : 0,
    precision: detections ? (detections - falsePositives) / detections : 1,
    faces,
    detections,
    falsePositives,
  };
}

export const CANDIDATE_SCORES = [0.05, 0.1, 0.2] as const;
export const VERIFIED_SCORES = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8] as const;

/**
 * The setting for the product, from validation photos grouped by source: among settings whose precision is at
 * least `minPrecision` on every source, the one with the highest recall on its worst source; when none reaches
 * it, the highest worst-source F1.
 */
export function chooseVerifierSetting(
  bySource: ReadonlyMap<string, readonly VerifiedPhoto[]>,
  minPrecision = 0.85,
  options: ScoreOptions = {},
): { chosen: VerifierSetting; reason: string; grid: Record<string, SettingScore[]> } {
  const grid: Record<string, SettingScore[]> = {};
  const candidates: { s: VerifierSetting; worstRecall: number; worstPrecision: number; worstF1: number }[] =
    [];
  for (const candidateMinScore of CANDIDATE_SCORES) {
    for (const minScore of VERIFIED_SCORES) {
      const s = { candidateMinScore, minScore };
      const scores = [...bySource].map(([name, photos]) => {
        const r = scoreVerifierSetting(photos, s, options);
        grid[name] = [...(grid[name] ?? []), r];
        return r;
      });
      const f1 = (r: SettingScore) =>
        r.recall + r.precision ? (2 * r.recall * r.precision) / (r.recall + r.precision) : 0;
      candidates.push({
        s,
        worstRecall: Math.min(...scores.map((r) => r.recall)),
        worstPrecision: Math.min(...scores.map((r) => r.precision)),
        worstF1: Math.min(...scores.map(f1)),
      });
    }
  }
  const precise = candidates.filter((c) => c.worstPrecision >= minPrecision);
  if (precise.length > 0) {
    const best = precise.reduce((a, b) => (b.worstRecall > a.worstRecall ? b : a));
    return {
      chosen: best.s,
      reason: `highest worst-source recall (${(100 * best.worstRecall).toFixed(1)}%) with precision >= ${100 * minPrecision}% on every source (validation)`,
      grid,
    };
  }
  const best = candidates.reduce((a, b) => (b.worstF1 > a.worstF1 ? b : a));
  return {
    chosen: best.s,
    reason: `no setting reached ${100 * minPrecision}% precision on every source; highest worst-source F1 (${best.worstF1.toFixed(3)}) (validation)`,
    grid,
  };
}
