import { MaskEdgeError } from '../errors.js';
import { LABELS, type Label } from '../labels.js';
import { SeededRandom } from '../seeded-random.js';
import { type FaceSample, SPLITS, type Split } from './types.js';

export interface SplitOptions {
  seed: number;
  /** Fraction of faces for validation (default 0.15). */
  valFraction?: number;
  /** Fraction of faces for test (default 0.15). */
  testFraction?: number;
}

type LabelCounts = Record<Label, number>;
const zeroCounts = (): LabelCounts => ({ correct: 0, incorrect: 0, no_mask: 0 });

/**
 * Splits faces into train/val/test (default 70/15/15), seeded, stratified by label, and by `group` (photo
 * identity): all faces of one photo, and all exact copies of it, land in the same split. Samples with a
 * preset `split` (ImageFolder train/val/test) keep it; unsplit faces of a photo that also has preset faces
 * follow them. The result does not depend on the input order.
 *
 * Method: iterative stratification over groups. Groups are shuffled by the seed, then placed rarest label
 * first, each into the split that still lacks the most faces of that group's rarest label.
 */
export function splitDataset(samples: FaceSample[], options: SplitOptions): Record<Split, FaceSample[]> {
  const val = options.valFraction ?? 0.15;
  const test = options.testFraction ?? 0.15;
  if (!(val >= 0 && test >= 0 && val + test < 1)) {
    throw new MaskEdgeError(
      'E_USAGE',
      `split fractions must be >= 0 and sum below 1, got val ${val}, test ${test}`,
      {
        detail: { valFraction: val, testFraction: test },
      },
    );
  }
  const fractions: Record<Split, number> = { train: 1 - val - test, val, test };
  const splitOf = new Map<FaceSample, Split>();
  const groups = new Map<string, FaceSample[]>();
  for (const s of samples) {
    const list = groups.get(s.group) ?? [];
    list.push(s);
    groups.set(s.group, list);
  }
  const free: string[] = [];
  for (const [key, members] of groups) {
    const preset = members.map((s) => s.split).filter((x): x is Split => x !== undefined);
    if (preset.length === 0) {
      free.push(key);
      continue;
    }
    const fallback = mostCommon(preset);
    for (const s of members) splitOf.set(s, s.split ?? fallback);
  }

  const totals = zeroCounts();
  for (const key of free) for (const s of groups.get(key) ?? []) totals[s.label]++;
  const current: Record<Split, LabelCounts> = { train: zeroCounts(), val: zeroCounts(), test: zeroCounts() };
  const used: Record<Split, number> = { train: 0, val: 0, test: 0 };
  const grandTotal = LABELS.reduce((n, l) => n + totals[l], 0);
  const rng = new SeededRandom(options.seed);
  const order = rng.shuffle([...free].sort());
  const rarest = (members: FaceSample[]): Label =>
    members.map((s) => s.label).reduce((a, b) => (totals[b] < totals[a] ? b : a));
  const ranked = order
    .map((key, i) => ({ key, i, label: rarest(groups.get(key) ?? []) }))
    .sort((a, b) => totals[a.label] - totals[b.label] || a.i - b.i);
  const open = SPLITS.filter((sp) => fractions[sp] > 0);
  for (const { key, label } of ranked) {
    const members = groups.get(key) ?? [];
    let best = open[0] as Split;
    let bestScore = Number.NEGATIVE_INFINITY;
    let bestOverall = Number.NEGATIVE_INFINITY;
    for (const sp of open) {
      const score = totals[label] * fractions[sp] - current[sp][label];
      const overall = grandTotal * fractions[sp] - used[sp];
      if (score > bestScore || (score === bestScore && overall > bestOverall)) {
        best = sp;
        bestScore = score;
        bestOverall = overall;
      }
    }
    for (const s of members) {
      splitOf.set(s, best);
      current[best][s.label]++;
      used[best]++;
    }
  }
  const out: Record<Split, FaceSample[]> = { train: [], val: [], test: [] };
  for (const s of samples) out[splitOf.get(s) as Split].push(s);
  return out;
}

function mostCommon(values: Split[]): Split {
  const counts = new Map<Split, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] as Split;
}

/** Faces per split and label (for tables, run.json and reports). */
export function countBySplitAndLabel(splits: Record<Split, FaceSample[]>): Record<Split, LabelCounts> {
  const out: Record<Split, LabelCounts> = { train: zeroCounts(), val: zeroCounts(), test: zeroCounts() };
  for (const sp of SPLITS) for (const s of splits[sp]) out[sp][s.label]++;
  return out;
}

/** Sample ids per split, as written to RUN/split.json. */
export function splitIds(splits: Record<Split, FaceSample[]>): Record<Split, string[]> {
  return {
    train: splits.train.map((s) => s.id),
    val: splits.val.map((s) => s.id),
    test: splits.test.map((s) => s.id),
  };
}

/** Rebuilds a split from saved ids (RUN/split.json); ids no longer present are returned in `missing`. */
export function applySplitIds(
  samples: FaceSample[],
  ids: Partial<Record<Split, string[]>>,
): { splits: Record<Split, FaceSample[]>; missing: string[] } {
  const byId = new Map(samples.map((s) => [s.id, s]));
  const splits: Record<Split, FaceSample[]> = { train: [], val: [], test: [] };
  const missing: string[] = [];
  for (const sp of SPLITS) {
    for (const id of ids[sp] ?? []) {
      const s = byId.get(id);
      if (s) splits[sp].push(s);
      else missing.push(id);
    }
  }
  return { splits, missing };
}
