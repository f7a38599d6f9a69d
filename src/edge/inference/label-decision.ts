/**
 * The operating point of the alert decision. By default a face gets its most likely label. With a minimum
 * probability for `correct`, a face is `correct` only when the classifier gives `correct` at least that much, and
 * otherwise the likelier of `incorrect` / `no_mask`: both of those alert, so raising the minimum trades false
 * alerts for fewer missed ones. Used by the agent (`detection.correctMinProbability`) and `mask-edge eval
 * --correct-min`, so what is measured is what runs.
 */
import { LABELS, labelIndex } from '../../core/labels.js';
import type { Classification } from './mask-classifier.js';

const CORRECT = labelIndex('correct');
const INCORRECT = labelIndex('incorrect');
const NO_MASK = labelIndex('no_mask');

/** The label for `probs` (LABELS order) under `correctMin`; undefined = the most likely label. */
export function decideLabelIndex(probs: readonly number[], correctMin?: number): number {
  if (correctMin === undefined) {
    let best = 0;
    for (let i = 1; i < probs.length; i++) if (probs[i]! > probs[best]!) best = i;
    return best;
  }
  if (probs[CORRECT]! >= correctMin) return CORRECT;
  return probs[NO_MASK]! > probs[INCORRECT]! ? NO_MASK : INCORRECT;
}

/** The classification with its label (and score) decided under `correctMin`; unchanged when it is undefined. */
export function decideLabel(c: Classification, correctMin?: number): Classification {
  if (correctMin === undefined) return c;
  const i = decideLabelIndex(c.probs, correctMin);
  return { label: LABELS[i]!, score: c.probs[i]!, probs: c.probs };
}

/** Correct-probability minimums the eval reports the alert trade-off at (besides the most likely label). */
export const CORRECT_MIN_POINTS = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95] as const;
