import { resolve } from 'node:path';
import {
  countBySplitAndLabel,
  type DataProblem,
  dropLeakedSynthetic,
  type FaceSample,
  type NearDuplicatePhotos,
  SPLITS,
  type Split,
  splitDataset,
} from '../../core/dataset/index.js';
import { LABELS, type Label } from '../../core/labels.js';

export interface SourceSummary {
  path: string;
  formats: string[];
  photos: number;
  faces: number;
  presetSplit: boolean;
  /** Faces made by `data synth` (train only). */
  synthetic: number;
}

export interface DuplicateSet {
  paths: string[];
  splits: Split[];
}

/** A near-duplicate photo set (see readDataset) and the splits its faces landed in. */
export interface NearDuplicateSet extends DuplicateSet {
  /** Largest difference-hash distance (bits of 256) of a link that joined the set. */
  maxDistance: number;
}

export interface DatasetSummary {
  sources: SourceSummary[];
  /** 'preset' where every face came with a split folder, 'seeded' where splitDataset made it, else 'mixed'. */
  split: 'preset' | 'seeded' | 'mixed';
  seed: number;
  counts: Record<Split, Record<Label, number>>;
  totals: Record<Label, number> & { all: number };
  /**
   * Sets of byte-identical or near-identical photos (one split group each): those in more than one split
   * (only possible with preset split folders) leak between train and test. `near` lists the near-copy sets.
   */
  duplicates: { sets: number; crossSplit: DuplicateSet[]; near: NearDuplicateSet[] };
  problemCounts: Record<string, number>;
  problems: DataProblem[];
  /** Synthetic faces (data synth) left out because their real photo is in val/test or its source is not read. */
  syntheticDropped: number;
}

/** Counts per source, split and label, duplicate photo sets and problem tallies for `data inspect` / `data prepare`. */
export function summariseDataset(
  dirs: string[],
  samples: FaceSample[],
  problems: DataProblem[],
  seed: number,
  nearDuplicates: readonly NearDuplicatePhotos[] = [],
): { summary: DatasetSummary; splits: Record<Split, FaceSample[]> } {
  // Synthetic faces whose real photo is in val/test (or whose source is not read) are left out, and counted.
  const leakCheck = dropLeakedSynthetic(splitDataset(samples, { seed }), dirs);
  const splits = leakCheck.splits;
  const syntheticDropped = leakCheck.dropped.length;
  const splitOf = new Map<FaceSample, Split>();
  for (const sp of SPLITS) for (const s of splits[sp]) splitOf.set(s, sp);
  const sources = dirs.map((d): SourceSummary => {
    const root = resolve(d);
    const mine = samples.filter((s) => s.source === root);
    return {
      path: root,
      formats: [...new Set(mine.map((s) => s.format))],
      photos: new Set(mine.map((s) => s.path)).size,
      faces: mine.length,
      presetSplit: mine.length > 0 && mine.every((s) => s.split !== undefined),
      synthetic: mine.filter((s) => s.derivedFrom !== undefined).length,
    };
  });
  const preset = samples.filter((s) => s.split !== undefined).length;
  const counts = countBySplitAndLabel(splits);
  const kept = SPLITS.flatMap((sp) => splits[sp]);
  const totals = { correct: 0, incorrect: 0, no_mask: 0, all: kept.length };
  for (const s of kept) totals[s.label]++;
  const byGroup = new Map<string, { paths: Set<string>; splits: Set<Split> }>();
  for (const s of samples) {
    const g = byGroup.get(s.group) ?? { paths: new Set(), splits: new Set() };
    g.paths.add(s.path);
    g.splits.add(splitOf.get(s) as Split);
    byGroup.set(s.group, g);
  }
  const dupSets = [...byGroup.values()].filter((g) => g.paths.size > 1);
  const crossSplit = dupSets
    .filter((g) => g.splits.size > 1)
    .map((g) => ({ paths: [...g.paths], splits: [...g.splits] }));
  const near = nearDuplicates.map((n) => ({
    paths: n.paths,
    splits: [...(byGroup.get(n.group)?.splits ?? [])],
    maxDistance: n.maxDistance,
  }));
  const problemCounts: Record<string, number> = {};
  for (const p of problems) problemCounts[p.kind] = (problemCounts[p.kind] ?? 0) + 1;
  return {
    splits,
    summary: {
      sources,
      split: preset === samples.length ? 'preset' : preset === 0 ? 'seeded' : 'mixed',
      seed,
      counts,
      totals,
      duplicates: { sets: dupSets.length, crossSplit, near },
      problemCounts,
      problems,
      syntheticDropped,
    },
  };
}

/** The counts as an aligned text table: one row per split, one column per label, with totals. */
export function formatCountsTable(summary: DatasetSummary): string {
  const header = ['split', ...LABELS, 'total'];
  const rows: string[][] = [header];
  for (const sp of SPLITS) {
    const c = summary.counts[sp];
    rows.push([sp, ...LABELS.map((l) => String(c[l])), String(LABELS.reduce((n, l) => n + c[l], 0))]);
  }
  rows.push(['total', ...LABELS.map((l) => String(summary.totals[l])), String(summary.totals.all)]);
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}
