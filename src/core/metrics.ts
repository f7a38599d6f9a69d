import { MaskEdgeError } from './errors.js';
import { LABELS } from './labels.js';

/** Precision, recall and support of one label. Precision is 0 when the label was never predicted. */
export interface LabelMetrics {
  precision: number;
  recall: number;
  /** Number of samples whose truth is this label. */
  support: number;
}

/**
 * Classifier quality on one set of samples. This exact shape is `metrics.json`'s per-model core and
 * `mask-edge eval --json`'s classifier output.
 */
export interface ClassMetrics {
  samples: number;
  accuracy: number;
  /** Mean recall over the labels that have support (labels absent from the truth are left out). */
  balancedAccuracy: number;
  perLabel: Record<string, LabelMetrics>;
  /** confusion[truth][pred] counts, in `labels` order. */
  confusion: number[][];
  labels: string[];
}

/** Builds the confusion matrix (rows = truth, columns = prediction) and derives all metrics from it. */
export function computeClassMetrics(
  truth: readonly number[],
  pred: readonly number[],
  labels: readonly string[] = LABELS,
): ClassMetrics {
  if (truth.length !== pred.length) {
    throw new MaskEdgeError('E_DATA', 'truth and prediction lists differ in length', {
      detail: { truth: truth.length, pred: pred.length },
    });
  }
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    const p = pred[i]!;
    for (const [name, v] of [
      ['truth', t],
      ['pred', p],
    ] as const) {
      if (!Number.isInteger(v) || v < 0 || v >= k) {
        throw new MaskEdgeError('E_DATA', `${name} label index out of range at position ${i}`, {
          detail: { index: i, value: v, labels: [...labels] },
        });
      }
    }
    confusion[t]![p]!++;
  }
  return metricsFromConfusion(confusion, labels);
}

/** Derives accuracy, balanced accuracy and per-label precision/recall from a confusion matrix. */
export function metricsFromConfusion(
  confusion: number[][],
  labels: readonly string[] = LABELS,
): ClassMetrics {
  const k = labels.length;
  if (confusion.length !== k || confusion.some((row) => row.length !== k)) {
    throw new MaskEdgeError('E_DATA', 'confusion matrix does not match the label count', {
      detail: { labels: [...labels], rows: confusion.length },
    });
  }
  let samples = 0;
  let correct = 0;
  const perLabel: Record<string, LabelMetrics> = {};
  const recalls: number[] = [];
  for (let c = 0; c < k; c++) {
    const support = sum(confusion[c]!);
    let predicted = 0;
    for (let r = 0; r < k; r++) predicted += confusion[r]![c]!;
    const tp = confusion[c]![c]!;
    samples += support;
    correct += tp;
    const recall = support > 0 ? tp / support : 0;
    if (support > 0) recalls.push(recall);
    perLabel[labels[c]!] = { precision: predicted > 0 ? tp / predicted : 0, recall, support };
  }
  return {
    samples,
    accuracy: samples > 0 ? correct / samples : 0,
    balancedAccuracy: recalls.length > 0 ? sum(recalls) / recalls.length : 0,
    perLabel,
    confusion: confusion.map((row) => [...row]),
    labels: [...labels],
  };
}

/** Index of the largest value in row `row` of a row-major [rows, cols] matrix (first one on ties). */
export function argmax(values: ArrayLike<number>, cols = values.length, row = 0): number {
  const start = row * cols;
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < cols; j++) {
    const v = values[start + j]!;
    if (v > bestValue) {
      bestValue = v;
      best = j;
    }
  }
  return best;
}

/** argmax of every row of a row-major [rows, cols] matrix. */
export function argmaxRows(values: ArrayLike<number>, cols: number): number[] {
  const rows = Math.floor(values.length / cols);
  const out = new Array<number>(rows);
  for (let r = 0; r < rows; r++) out[r] = argmax(values, cols, r);
  return out;
}

/**
 * Numerically stable softmax of each row of a row-major [rows, cols] matrix of logits
 * (optionally divided by a temperature). Returns a new Float32Array.
 */
export function softmax(logits: ArrayLike<number>, cols = logits.length, temperature = 1): Float32Array {
  const rows = Math.floor(logits.length / cols);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < cols; j++) max = Math.max(max, logits[start + j]! / temperature);
    let total = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(logits[start + j]! / temperature - max);
      out[start + j] = e;
      total += e;
    }
    for (let j = 0; j < cols; j++) out[start + j] = out[start + j]! / total;
  }
  return out;
}

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
