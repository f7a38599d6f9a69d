import { basename } from 'node:path';
import { LABELS } from '../../core/labels.js';
import { type ClassMetrics, computeClassMetrics } from '../../core/metrics.js';
import { argmax3, selectionScore } from '../loop/trainer.js';
import type { ModelMetrics, ModelRole } from '../report/index.js';
import type { ModelOutcome, RunContext } from './context.js';

export function valScore(outcome: ModelOutcome, ctx: RunContext): number {
  const m = computeClassMetrics(ctx.labels.val, argmax3(outcome.logits.val));
  return selectionScore(m.accuracy, m.balancedAccuracy);
}

/**
 * Test-split subsets reported separately: figures such as held-out real photos vs MaskedFace-Net faces (flattened
 * into ModelMetrics.extra), and each `--data` source (`source` set: full ClassMetrics in ModelMetrics.bySource).
 */
export interface TestSubset {
  key: string;
  indices: number[];
  /** The source folder's name: this subset is one source's test faces, reported in bySource. */
  source?: string;
}

/** One subset per source folder (its base name) of the test split, in order of first appearance. */
export function sourceSubsets(test: readonly { source: string }[]): TestSubset[] {
  const bySource = new Map<string, number[]>();
  test.forEach((x, i) => {
    const name = basename(x.source);
    bySource.set(name, [...(bySource.get(name) ?? []), i]);
  });
  return [...bySource].map(([source, indices]) => ({ key: `test:${source}`, indices, source }));
}

/** ClassMetrics of the test faces of each non-empty subset that `pick` keeps. */
function subsetMetrics(
  outcome: ModelOutcome,
  ctx: RunContext,
  subsets: TestSubset[],
  pick: (s: TestSubset) => boolean,
): [TestSubset, ClassMetrics][] {
  const pred = argmax3(outcome.logits.test);
  return subsets
    .filter((s) => s.indices.length > 0 && pick(s))
    .map((s) => [
      s,
      computeClassMetrics(
        s.indices.map((i) => ctx.labels.test[i]!),
        s.indices.map((i) => pred[i]!),
        LABELS,
      ),
    ]);
}

/** Full test-split ClassMetrics per source subset. */
export function sourceFigures(
  outcome: ModelOutcome,
  ctx: RunContext,
  subsets: TestSubset[],
): Record<string, ClassMetrics> {
  const picked = subsetMetrics(outcome, ctx, subsets, (s) => s.source !== undefined);
  return Object.fromEntries(picked.map(([s, m]) => [s.source!, m]));
}

/** Accuracy/balanced accuracy/sample count per subset, flattened for ModelMetrics.extra. */
export function subsetFigures(
  outcome: ModelOutcome,
  ctx: RunContext,
  subsets: TestSubset[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [{ key, indices }, m] of subsetMetrics(outcome, ctx, subsets, (s) => s.source === undefined)) {
    out[`${key}Samples`] = indices.length;
    out[`${key}Accuracy`] = Number(m.accuracy.toFixed(4));
    out[`${key}BalancedAccuracy`] = Number(m.balancedAccuracy.toFixed(4));
  }
  return out;
}

export function modelMetrics(
  outcome: ModelOutcome,
  role: ModelRole,
  ctx: RunContext,
  backend: string,
  extra: Partial<ModelMetrics> = {},
  subsets: TestSubset[] = [],
): ModelMetrics {
  const test = computeClassMetrics(ctx.labels.test, argmax3(outcome.logits.test), LABELS);
  const figures = subsetFigures(outcome, ctx, subsets);
  const bySource = sourceFigures(outcome, ctx, subsets);
  const validation = computeClassMetrics(ctx.labels.val, argmax3(outcome.logits.val), LABELS);
  return {
    ...test,
    name: outcome.name,
    role,
    description: outcome.description,
    parameters: outcome.parameters,
    backend,
    wallTimeSec: outcome.wallTimeSec,
    imagesPerSec: outcome.imagesPerSec,
    ...(outcome.trainImagesPerSec !== undefined ? { trainImagesPerSec: outcome.trainImagesPerSec } : {}),
    evaluatedOn: 'test',
    ...(outcome.bestEpoch !== undefined && outcome.bestEpoch > 0 ? { bestEpoch: outcome.bestEpoch } : {}),
    validation,
    history: outcome.history,
    ...(Object.keys(figures).length > 0 ? { extra: figures } : {}),
    ...(Object.keys(bySource).length > 0 ? { bySource } : {}),
    ...extra,
  };
}

/** One aligned text table of the teachers (accuracy, balanced accuracy, parameters, images/s). */
export function teacherTable(rows: ModelMetrics[]): string {
  const head = ['teacher', 'val acc', 'val bal', 'test acc', 'test bal', 'params', 'img/s'];
  const body = rows.map((m) => [
    m.name,
    (m.validation?.accuracy ?? 0).toFixed(3),
    (m.validation?.balancedAccuracy ?? 0).toFixed(3),
    m.accuracy.toFixed(3),
    m.balancedAccuracy.toFixed(3),
    String(m.parameters ?? ''),
    (m.imagesPerSec ?? 0).toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  return [head, ...body].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}
