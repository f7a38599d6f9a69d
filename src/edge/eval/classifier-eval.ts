/**
 * Classifier accuracy on labelled faces: crops loaded in chunks (bounded memory), classified in batches with the
 * ONNX classifier, scored with the shared computeClassMetrics (the `eval --json` shape).
 */
import { type DataProblem, type FaceSample, loadCrops } from '../../core/dataset/index.js';
import { MaskEdgeError } from '../../core/errors.js';
import { LABELS, type Label, labelIndex } from '../../core/labels.js';
import { type ClassMetrics, computeClassMetrics } from '../../core/metrics.js';
import { CORRECT_MIN_POINTS, decideLabel, decideLabelIndex } from '../inference/label-decision.js';
import type { MaskClassifier } from '../inference/mask-classifier.js';
import { SIZE_BUCKETS, sizeBucket } from './detection-matching.js';

export interface ClassifierPrediction {
  id: string;
  truth: Label;
  pred: Label;
  score: number;
  /** Probabilities in LABELS order. */
  probs: number[];
}

/**
 * The alert decision (`correct` = no alert; `incorrect`, `no_mask` = alert) at one minimum probability for
 * `correct` (null: the most likely label).
 */
export interface AlertOperatingPoint {
  correctMin: number | null;
  alerts: number;
  falseAlerts: number;
  missedAlerts: number;
  accuracy: number;
}

/** Faces of one size bucket (shorter side of the annotated box, px) and how many the classifier got right. */
export interface SizeAccuracy {
  faces: number;
  right: number;
  accuracy: number;
}

export interface ClassifierEvalResult {
  /** accuracyBySize: only for faces with a box in a photo (VOC); whole-image faces have no size of their own. */
  metrics: ClassMetrics & {
    accuracyBySize?: Record<string, SizeAccuracy>;
    /** The --correct-min the labels were decided with, when given. */
    correctMin?: number;
    alertOperatingPoints: AlertOperatingPoint[];
  };
  predictions: ClassifierPrediction[];
  problems: DataProblem[];
}

export interface ClassifierEvalOptions {
  batch?: number;
  /** The agent's `detection.correctMinProbability` (default: the most likely label). */
  correctMin?: number;
  onProgress?: (done: number, total: number) => void;
}

export async function evaluateClassifier(
  classifier: MaskClassifier,
  samples: readonly FaceSample[],
  options: ClassifierEvalOptions = {},
): Promise<ClassifierEvalResult> {
  const batch = options.batch ?? 64;
  const chunk = Math.max(batch, 256);
  const predictions: ClassifierPrediction[] = [];
  const problems: DataProblem[] = [];
  const bySize: Record<string, SizeAccuracy> = {};
  for (let start = 0; start < samples.length; start += chunk) {
    const part = samples.slice(start, start + chunk);
    const loaded = await loadCrops(part, { size: classifier.inputSize, margin: classifier.margin });
    problems.push(...loaded.problems);
    const present = part.filter((s) => loaded.crops.has(s.id));
    for (let b = 0; b < present.length; b += batch) {
      const group = present.slice(b, b + batch);
      const results = await classifier.classifyCrops(group.map((s) => loaded.crops.get(s.id)!));
      group.forEach((s, i) => {
        const r = decideLabel(results[i]!, options.correctMin);
        predictions.push({ id: s.id, truth: s.label, pred: r.label, score: r.score, probs: r.probs });
        if (s.box) {
          const key = sizeBucket(s.box);
          const c = bySize[key] ?? { faces: 0, right: 0, accuracy: 0 };
          bySize[key] = c;
          c.faces += 1;
          if (r.label === s.label) c.right += 1;
          c.accuracy = c.right / c.faces;
        }
      });
    }
    options.onProgress?.(Math.min(start + chunk, samples.length), samples.length);
  }
  if (predictions.length === 0) {
    throw new MaskEdgeError('E_DATA', 'no face could be loaded for evaluation', {
      detail: { samples: samples.length, problems: problems.slice(0, 5) },
    });
  }
  const metrics = computeClassMetrics(
    predictions.map((p) => labelIndex(p.truth)),
    predictions.map((p) => labelIndex(p.pred)),
    LABELS,
  );
  const sized = SIZE_BUCKETS.filter((b) => bySize[b.name]).map((b) => [b.name, bySize[b.name]!] as const);
  const extra = {
    ...(sized.length ? { accuracyBySize: Object.fromEntries(sized) } : {}),
    ...(options.correctMin !== undefined ? { correctMin: options.correctMin } : {}),
    alertOperatingPoints: [undefined, ...CORRECT_MIN_POINTS].map((t) => alertPoint(predictions, t)),
  };
  return {
    metrics: { ...metrics, ...extra },
    predictions,
    problems,
  };
}

function alertPoint(
  predictions: readonly ClassifierPrediction[],
  correctMin: number | undefined,
): AlertOperatingPoint {
  const correct = labelIndex('correct');
  let alerts = 0;
  let falseAlerts = 0;
  let missedAlerts = 0;
  for (const p of predictions) {
    const alert = decideLabelIndex(p.probs, correctMin) !== correct;
    const should = p.truth !== 'correct';
    if (alert) alerts += 1;
    if (alert && !should) falseAlerts += 1;
    if (!alert && should) missedAlerts += 1;
  }
  const n = predictions.length;
  return {
    correctMin: correctMin ?? null,
    alerts,
    falseAlerts,
    missedAlerts,
    accuracy: n ? (n - falseAlerts - missedAlerts) / n : Number.NaN,
  };
}
