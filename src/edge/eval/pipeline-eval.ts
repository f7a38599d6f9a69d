/**
 * The whole device pipeline on annotated photos: detector -> classifier, scored against Pascal VOC faces.
 * Detection recall/precision at IoU 0.5 (overall, by face size, by label), end-to-end accuracy on the matched
 * faces, and mAP@0.5 over the three labels with detections scored det score x class probability.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { annotateImage, type FaceAnnotation } from '../../core/annotate-image.js';
import type { DataProblem, FaceSample } from '../../core/dataset/index.js';
import { isMaskEdgeError, MaskEdgeError } from '../../core/errors.js';
import { type Box, decodeImage } from '../../core/image-io.js';
import { LABELS, type Label, labelIndex } from '../../core/labels.js';
import { type ClassMetrics, computeClassMetrics } from '../../core/metrics.js';
import type { FaceDetector } from '../inference/face-detector.js';
import { decideLabel } from '../inference/label-decision.js';
import type { Classification, MaskClassifier } from '../inference/mask-classifier.js';
import { averagePrecision, type ScoredBox, type TruthBox } from './average-precision.js';
import { matchDetections, type RecallCount, sizeBucket, summariseDetection } from './detection-matching.js';

export interface PipelineEvalOptions {
  /** Leave out annotated faces whose shorter side is under this (and detections matched to them). */
  minFace?: number;
  /** Operating detector threshold for recall/precision/accuracy (default: the detector's own). */
  minScore?: number;
  /** Lowest detector score kept for the mAP ranking (default 0.05). */
  apMinScore?: number;
  iouThreshold?: number;
  annotateDir?: string;
  /** The agent's `detection.minFaceSize`: detections narrower than this many pixels are dropped (default 0). */
  minDetectionSize?: number;
  /** The agent's `detection.correctMinProbability`: the labels decided as the agent would (default: argmax). */
  correctMin?: number;
  /** The source (e.g. --data folder name) of a photo: with more than one, `bySource` scores each apart. */
  sourceOf?: (path: string) => string | undefined;
  onProgress?: (done: number, total: number) => void;
}

/** One source's share of a pipeline evaluation (same thresholds). */
export type SourceMetrics = Pick<
  PipelineMetrics,
  | 'photos'
  | 'faces'
  | 'detected'
  | 'detections'
  | 'falsePositives'
  | 'recall'
  | 'precision'
  | 'endToEndAccuracy'
  | 'endToEndBalancedAccuracy'
  | 'recallBySize'
> & {
  /** Recall and precision at the thresholds of SCORE_SWEEP (as the top-level scoreSweep). */
  scoreSweep: { minScore: number; recall: number; precision: number }[];
};

export interface PipelineMetrics {
  photos: number;
  faces: number;
  ignoredFaces: number;
  detected: number;
  detections: number;
  falsePositives: number;
  recall: number;
  precision: number;
  endToEndAccuracy: number;
  endToEndBalancedAccuracy: number;
  mAP50: number;
  ap50: Record<Label, number | null>;
  recallBySize: Record<string, RecallCount>;
  recallByLabel: Record<string, RecallCount>;
  endToEnd: ClassMetrics | null;
  minFace: number;
  minScore: number;
  /** Detections narrower than this were dropped before scoring (the agent's detection.minFaceSize). */
  minDetectionSize: number;
  iouThreshold: number;
  /** Detection recall/precision at the thresholds of SCORE_SWEEP at or above the mAP floor. */
  scoreSweep: ScoreSweepPoint[];
  problems: DataProblem[];
  /** Per source, when the photos come from more than one (PipelineEvalOptions.sourceOf). */
  bySource?: Record<string, SourceMetrics>;
}

/** Most detections per photo kept for scoring (the NMS IoU is the detector's own default). */
export const PIPELINE_MAX_FACES = 200;

/** Score thresholds of the recall/precision sweep in the report (from the same detections). */
export const SCORE_SWEEP = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] as const;

/** Detection recall and precision at one score threshold; false positives by the detection's size. */
export interface ScoreSweepPoint {
  minScore: number;
  recall: number;
  precision: number;
  detected: number;
  detections: number;
  falsePositives: number;
  recallBySize: Record<string, RecallCount>;
  falsePositivesBySize: Record<string, number>;
}

export interface PhotoResult {
  truths: { box: Box; label: Label; ignore: boolean }[];
  detections: { box: Box; score: number; cls: Pick<Classification, 'label' | 'probs' | 'score'> }[];
}

/** The FaceDetector, or any wrapper with the same detect() and default threshold (e.g. a tiled detector). */
export type PipelineDetector = Pick<FaceDetector, 'detect'> & {
  contract: { defaults: { minScore: number } };
};

export async function evaluatePipeline(
  detector: PipelineDetector,
  classifier: MaskClassifier,
  samples: readonly FaceSample[],
  options: PipelineEvalOptions = {},
): Promise<PipelineMetrics> {
  const minFace = options.minFace ?? 0;
  const minScore = options.minScore ?? detector.contract.defaults.minScore;
  const apMinScore = Math.min(options.apMinScore ?? 0.05, minScore);
  const thr = options.iouThreshold ?? 0.5;
  const byPhoto = new Map<string, FaceSample[]>();
  for (const s of samples) {
    if (!s.box) {
      throw new MaskEdgeError(
        'E_DATA',
        `--pipeline needs annotated photos (Pascal VOC); ${s.path} has no face box`,
        {
          detail: { path: s.path, format: s.format },
        },
      );
    }
    byPhoto.set(s.path, [...(byPhoto.get(s.path) ?? []), s]);
  }
  if (options.annotateDir) await mkdir(options.annotateDir, { recursive: true });

  const photos = new Map<string, PhotoResult>();
  const problems: DataProblem[] = [];
  const entries = [...byPhoto];
  // Decoding the next photo overlaps detection of the current one.
  const decode = (i: number) =>
    entries[i] ? decodeImage(entries[i]![0]).catch((err: unknown) => err as Error) : undefined;
  let next = decode(0);
  for (let i = 0; i < entries.length; i++) {
    const [path, faces] = entries[i]!;
    const frame = await next!;
    next = decode(i + 1);
    if (frame instanceof Error) {
      // One unreadable photo is reported and skipped; anything else (model trouble) stops the evaluation.
      if (!isMaskEdgeError(frame, 'E_IMAGE') && !isMaskEdgeError(frame, 'E_NOT_FOUND')) throw frame;
      problems.push({
        kind: 'unreadable',
        path,
        message: `${frame.message}; ${faces.length} face(s) skipped`,
      });
      options.onProgress?.(i + 1, entries.length);
      continue;
    }
    const minWidth = options.minDetectionSize ?? 0;
    const found = (
      await detector.detect(frame, { minScore: apMinScore, maxFaces: PIPELINE_MAX_FACES })
    ).filter((d) => d.box.width >= minWidth);
    const classes = await classifier.classifyFaces(
      frame,
      found.map((d) => d.box),
    );
    const result: PhotoResult = {
      truths: faces.map((sample) => ({
        box: sample.box!,
        label: sample.label,
        ignore: Math.min(sample.box!.width, sample.box!.height) < minFace,
      })),
      detections: found.map((d, j) => ({
        box: d.box,
        score: d.score,
        cls: decideLabel(classes[j]!, options.correctMin),
      })),
    };
    photos.set(path, result);
    if (options.annotateDir)
      await writeAnnotated(options.annotateDir, path, frame, result, minScore, thr, minFace);
    options.onProgress?.(i + 1, entries.length);
  }
  if (photos.size === 0) {
    throw new MaskEdgeError('E_DATA', 'no photo could be evaluated', {
      detail: { problems: problems.slice(0, 5) },
    });
  }
  const scoring = { minFace, minScore, thr, problems, sweepFloor: apMinScore };
  return {
    ...scorePipeline(photos, scoring),
    minDetectionSize: options.minDetectionSize ?? 0,
    ...(options.sourceOf ? bySourceOf(photos, options.sourceOf, scoring) : {}),
  };
}

function bySourceOf(
  photos: Map<string, PhotoResult>,
  sourceOf: (path: string) => string | undefined,
  scoring: Parameters<typeof scorePipeline>[1],
): { bySource?: Record<string, SourceMetrics> } {
  const groups = new Map<string, Map<string, PhotoResult>>();
  for (const [path, p] of photos) {
    const source = sourceOf(path) ?? 'unknown';
    groups.set(source, (groups.get(source) ?? new Map()).set(path, p));
  }
  if (groups.size < 2) return {};
  const bySource: Record<string, SourceMetrics> = {};
  for (const [source, group] of groups) {
    const m = scorePipeline(group, scoring);
    bySource[source] = {
      photos: m.photos,
      faces: m.faces,
      detected: m.detected,
      detections: m.detections,
      falsePositives: m.falsePositives,
      recall: m.recall,
      precision: m.precision,
      endToEndAccuracy: m.endToEndAccuracy,
      endToEndBalancedAccuracy: m.endToEndBalancedAccuracy,
      recallBySize: m.recallBySize,
      scoreSweep: m.scoreSweep.map(({ minScore, recall, precision }) => ({ minScore, recall, precision })),
    };
  }
  return { bySource };
}

/** Scores detector + classifier outputs of every photo against its annotated faces (pure; tested directly). */
export function scorePipeline(
  photos: Map<string, PhotoResult>,
  o: { minFace: number; minScore: number; thr: number; problems: DataProblem[]; sweepFloor?: number },
): Omit<PipelineMetrics, 'minDetectionSize'> {
  const match = { iou: o.thr, minFace: o.minFace, minScore: o.minScore };
  const entries = [...photos.entries()];
  // Detection, class-agnostic, at the operating threshold (DETECTOR's matching: VOC "difficult" for small faces).
  const detection = summariseDetection(
    entries.map(([, p]) => ({
      faces: p.truths.map((t) => ({ box: t.box, label: t.label })),
      detections: p.detections.filter((d) => d.score > o.minScore),
    })),
    match,
  );
  // End to end: the classifier's label on each matched face.
  const e2eTruth: number[] = [];
  const e2ePred: number[] = [];
  const truths: (TruthBox & { label: Label })[] = [];
  const all: (ScoredBox & { probs: number[] })[] = [];
  for (const [image, p] of entries) {
    const shown = p.detections.filter((d) => d.score > o.minScore);
    const m = matchDetections(
      p.truths.map((t) => ({ box: t.box })),
      shown,
      match,
    );
    for (const pair of m.matches) {
      e2eTruth.push(labelIndex(p.truths[pair.truth]!.label));
      e2ePred.push(labelIndex(shown[pair.detection]!.cls.label));
    }
    for (const t of p.truths) truths.push({ image, box: t.box, ignore: t.ignore, label: t.label });
    for (const d of p.detections) all.push({ image, box: d.box, score: d.score, probs: d.cls.probs });
  }
  const endToEnd = e2eTruth.length > 0 ? computeClassMetrics(e2eTruth, e2ePred, LABELS) : null;

  // mAP@0.5: every detection is a candidate for each label, scored det score x class probability.
  const ap50 = {} as Record<Label, number | null>;
  for (const [c, label] of LABELS.entries()) {
    const dets = all.map((d) => ({ image: d.image, box: d.box, score: d.score * d.probs[c]! }));
    const gts = truths.filter((t) => t.ignore || t.label === label);
    const r = averagePrecision(dets, gts, o.thr);
    ap50[label] = Number.isNaN(r.ap) ? null : r.ap;
  }
  const aps = Object.values(ap50).filter((v): v is number => v !== null);
  return {
    photos: photos.size,
    faces: detection.faces,
    ignoredFaces: truths.filter((t) => t.ignore).length,
    detected: detection.detected,
    detections: detection.detections,
    falsePositives: detection.falsePositives,
    recall: detection.recall,
    precision: detection.precision,
    endToEndAccuracy: endToEnd?.accuracy ?? 0,
    endToEndBalancedAccuracy: endToEnd?.balancedAccuracy ?? 0,
    mAP50: aps.length > 0 ? aps.reduce((a, b) => a + b, 0) / aps.length : 0,
    ap50,
    recallBySize: detection.recallBySize,
    recallByLabel: detection.recallByLabel,
    endToEnd,
    minFace: o.minFace,
    minScore: o.minScore,
    iouThreshold: o.thr,
    scoreSweep: SCORE_SWEEP.filter((t) => t >= (o.sweepFloor ?? 0)).map((t) =>
      sweepPoint(entries, { iou: o.thr, minFace: o.minFace }, t),
    ),
    problems: o.problems,
  };
}

function sweepPoint(
  entries: [string, PhotoResult][],
  match: { iou: number; minFace: number },
  minScore: number,
): ScoreSweepPoint {
  const photos = entries.map(([, p]) => ({
    faces: p.truths.map((t) => ({ box: t.box, label: t.label })),
    detections: p.detections.filter((d) => d.score > minScore),
  }));
  const s = summariseDetection(photos, { ...match, minScore });
  const falsePositivesBySize: Record<string, number> = {};
  for (const photo of photos) {
    const m = matchDetections(photo.faces, photo.detections, { ...match, minScore });
    for (const i of m.falsePositives) {
      const bucket = sizeBucket(photo.detections[i]!.box);
      falsePositivesBySize[bucket] = (falsePositivesBySize[bucket] ?? 0) + 1;
    }
  }
  return {
    minScore,
    recall: s.recall,
    precision: s.precision,
    detected: s.detected,
    detections: s.detections,
    falsePositives: s.falsePositives,
    recallBySize: s.recallBySize,
    falsePositivesBySize,
  };
}

async function writeAnnotated(
  dir: string,
  path: string,
  frame: Awaited<ReturnType<typeof decodeImage>>,
  result: PhotoResult,
  minScore: number,
  thr: number,
  minFace: number,
): Promise<void> {
  const shown = result.detections.filter((d) => d.score > minScore);
  const m = matchDetections(
    result.truths.map((t) => ({ box: t.box })),
    shown,
    { iou: thr, minFace, minScore },
  );
  const hit = new Set(m.matches.map((p) => p.truth));
  const faces: FaceAnnotation[] = shown.map((d) => ({ box: d.box, label: d.cls.label, score: d.cls.score }));
  result.truths.forEach((t, i) => {
    if (!hit.has(i) && !t.ignore)
      faces.push({ box: t.box, label: 'missed', text: `missed ${t.label}`, dashed: true });
  });
  const jpeg = await annotateImage(frame, faces, {
    caption: `${basename(path)}: ${shown.length} detections`,
  });
  await writeFile(join(dir, `${basename(path, extname(path))}.jpg`), jpeg);
}
