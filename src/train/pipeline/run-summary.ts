import type { MetricsFile, ModelMetrics } from '../report/index.js';

/** Goal notes (student vs teacher, per test subset) and the end-of-run summary printed by `mask-edge train`. */
export function goalNotes(models: ModelMetrics[], teacher: string, student?: string): string[] {
  const t = models.find((m) => m.name === teacher);
  const s = models.find((m) => m.name === student);
  if (!t || !s) return [];
  const ratio = (s.parameters ?? 0) / Math.max(1, t.parameters ?? 1);
  const gap = (t.accuracy - s.accuracy) * 100;
  return [
    `student ${s.name}: parameters ${s.parameters} = ${(ratio * 100).toFixed(1)}% of the teacher's ${t.parameters} (goal <= 15%)`,
    `student test accuracy ${(s.accuracy * 100).toFixed(2)}% vs teacher ${(t.accuracy * 100).toFixed(2)}%: ${gap > 0 ? `${gap.toFixed(2)} points below` : `${(-gap).toFixed(2)} points above`} (goal: within 2)`,
    ...subsetNote('held-out real photos', 'testReal', s, t),
    ...subsetNote('held-out MaskedFace-Net faces', 'testMaskedFaceNet', s, t),
  ];
}

function subsetNote(what: string, key: string, s: ModelMetrics, t: ModelMetrics): string[] {
  const n = s.extra?.[`${key}Samples`];
  if (n === undefined) return [];
  const pct = (m: ModelMetrics, k: string) => `${(Number(m.extra?.[`${key}${k}`] ?? 0) * 100).toFixed(2)}%`;
  return [
    `${what} (${n} faces): student accuracy ${pct(s, 'Accuracy')}, balanced ${pct(s, 'BalancedAccuracy')}; teacher ${pct(t, 'Accuracy')}, balanced ${pct(t, 'BalancedAccuracy')}`,
  ];
}

export function summary(models: ModelMetrics[], metrics: MetricsFile): string {
  const rows = models.map(
    (m) =>
      `  ${m.name.padEnd(28)} acc ${m.accuracy.toFixed(4)}  bal ${m.balancedAccuracy.toFixed(4)}  params ${m.parameters ?? '-'}  ${m.wallTimeSec.toFixed(0)}s`,
  );
  const sources = Object.keys(models.find((m) => m.bySource)?.bySource ?? {});
  const sourceRows = sources.length
    ? [
        `test split by source (accuracy / balanced accuracy, faces): ${sources.join(', ')}`,
        ...models.map(
          (m) =>
            `  ${m.name.padEnd(28)} ${sources
              .map((k) => {
                const f = m.bySource?.[k];
                return f
                  ? `${(f.accuracy * 100).toFixed(1)} / ${(f.balancedAccuracy * 100).toFixed(1)} (${f.samples})`
                  : '-';
              })
              .join('  ')}`,
        ),
      ]
    : [];
  return [
    `test split (${metrics.splitCounts?.test} faces):`,
    ...rows,
    ...sourceRows,
    ...(metrics.notes ?? []),
    `total ${metrics.totalWallTimeSec?.toFixed(0)}s`,
  ].join('\n');
}
