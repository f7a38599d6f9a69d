/** Readable text for `mask-edge eval` without --json. */
import type { ClassMetrics } from '../../core/metrics.js';
import type { AlertOperatingPoint, SizeAccuracy } from './classifier-eval.js';
import type { PipelineMetrics } from './pipeline-eval.js';

/** Faces left out for their label name (--skip-unknown-labels or --label-map NAME=skip). */
interface SkippedLabelsNote {
  skippedLabels?: { total: number; byName: Record<string, number> };
}

const skippedLine = (s: SkippedLabelsNote['skippedLabels']): string[] =>
  s && s.total > 0
    ? [
        `faces left out for their label name: ${s.total} (${Object.entries(s.byName)
          .map(([n, c]) => `${n} ${c}`)
          .join(', ')})`,
      ]
    : [];

const pct = (v: number | null | undefined): string =>
  v === null || v === undefined || Number.isNaN(v) ? '   -  ' : `${(100 * v).toFixed(1).padStart(5)}%`;

export function formatClassifierReport(
  m: ClassMetrics & {
    model: { path: string; provider: string };
    accuracyBySize?: Record<string, SizeAccuracy>;
    correctMin?: number;
    alertOperatingPoints?: AlertOperatingPoint[];
  } & SkippedLabelsNote,
): string {
  const lines = [
    `model ${m.model.path} (${m.model.provider})`,
    ...skippedLine(m.skippedLabels),
    `samples ${m.samples}   accuracy ${pct(m.accuracy)}   balanced accuracy ${pct(m.balancedAccuracy)}${m.correctMin !== undefined ? `   (labels decided with --correct-min ${m.correctMin})` : ''}`,
    '',
    `${'label'.padEnd(10)} precision  recall  support`,
    ...m.labels.map((l) => {
      const p = m.perLabel[l]!;
      return `${l.padEnd(10)} ${pct(p.precision).padStart(9)} ${pct(p.recall).padStart(7)} ${String(p.support).padStart(8)}`;
    }),
    '',
    `confusion (rows truth, columns prediction): ${m.labels.join(', ')}`,
    ...m.confusion.map(
      (row, i) => `${m.labels[i]!.padEnd(10)} ${row.map((v) => String(v).padStart(6)).join('')}`,
    ),
  ];
  if (m.accuracyBySize) {
    lines.push(
      '',
      'accuracy by face size (shorter side of the box, px):',
      ...Object.entries(m.accuracyBySize).map(
        ([k, b]) => `  ${k.padEnd(7)} ${pct(b.accuracy)} (${b.right}/${b.faces})`,
      ),
    );
  }
  if (m.alertOperatingPoints) {
    lines.push(
      '',
      'alert decision by correct minimum (detection.correctMinProbability; correct = no alert):',
      `  ${'minimum'.padEnd(16)} ${'alerts'.padStart(7)} ${'false'.padStart(7)} ${'missed'.padStart(7)}  accuracy`,
      ...m.alertOperatingPoints.map(
        (p) =>
          `  ${(p.correctMin === null ? 'most likely' : String(p.correctMin)).padEnd(16)} ${String(p.alerts).padStart(7)} ${String(p.falseAlerts).padStart(7)} ${String(p.missedAlerts).padStart(7)}  ${pct(p.accuracy)}`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function formatPipelineReport(
  m: Omit<PipelineMetrics, 'problems'> & {
    model: { path: string };
    detector: { path: string; provider: string; name?: string; inputSize?: number; iou?: number };
    verifier?:
      | { path: string; convention: string; candidateMinScore: number; rejected: number }
      | { path: null; reason: string };
    tiling?: { aboveScale: number; tiledPhotos?: number; tilesRun?: number };
  } & SkippedLabelsNote,
): string {
  const d = m.detector;
  const lines = [
    `detector ${d.name ? `${d.name} ` : ''}${d.path} (${d.provider}${d.inputSize ? `, input ${d.inputSize}` : ''}${d.iou !== undefined ? `, NMS IoU ${d.iou}` : ''}), classifier ${m.model.path}`,
    ...(m.verifier && 'convention' in m.verifier
      ? [
          `face verifier ${m.verifier.path} (boxes from detector score ${m.verifier.candidateMinScore}, refined to ${m.verifier.convention}; threshold on sqrt(detector score x face probability); ${m.verifier.rejected} boxes rejected)`,
        ]
      : []),
    ...(m.tiling && m.tiling.aboveScale > 0
      ? [
          `large photos tiled: ${m.tiling.tiledPhotos ?? 0} photos at least ${m.tiling.aboveScale}x the detector's input also detected in ${m.tiling.tilesRun ?? 0} tiles`,
        ]
      : []),
    ...skippedLine(m.skippedLabels),
    `photos ${m.photos}   faces ${m.faces}${m.ignoredFaces ? ` (+${m.ignoredFaces} under ${m.minFace}px left out)` : ''}   detector threshold ${m.minScore}`,
    `detection recall ${pct(m.recall)} (${m.detected}/${m.faces})   precision ${pct(m.precision)}   false positives ${m.falsePositives}`,
    `end-to-end accuracy on matched faces ${pct(m.endToEndAccuracy)}   balanced ${pct(m.endToEndBalancedAccuracy)}`,
    `mAP@0.5 ${pct(m.mAP50)}   AP: ${Object.entries(m.ap50)
      .map(([l, v]) => `${l} ${pct(v).trim()}`)
      .join(', ')}`,
    '',
    ...(m.scoreSweep?.length
      ? [
          'detection by score threshold: ' +
            m.scoreSweep
              .map(
                (p) => `${p.minScore}: recall ${pct(p.recall).trim()} precision ${pct(p.precision).trim()}`,
              )
              .join(', '),
        ]
      : []),
    '',
    'recall by face size (shorter side, px):',
    ...Object.entries(m.recallBySize).map(
      ([k, b]) => `  ${k.padEnd(7)} ${pct(b.recall)} (${b.detected}/${b.faces})`,
    ),
    'recall by label:',
    ...Object.entries(m.recallByLabel).map(
      ([k, b]) => `  ${k.padEnd(9)} ${pct(b.recall)} (${b.detected}/${b.faces})`,
    ),
    ...(m.bySource
      ? [
          'by source:',
          ...Object.entries(m.bySource).map(
            ([k, s]) =>
              `  ${k}: ${s.photos} photos, recall ${pct(s.recall).trim()} (${s.detected}/${s.faces}), precision ${pct(s.precision).trim()}, end-to-end accuracy ${pct(s.endToEndAccuracy).trim()} balanced ${pct(s.endToEndBalancedAccuracy).trim()}`,
          ),
        ]
      : []),
  ];
  return `${lines.join('\n')}\n`;
}
