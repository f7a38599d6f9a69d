/** Text table for `mask-edge bench` without --json. */
import type { BenchReport } from './bench-command.js';

export function formatBenchTable(report: BenchReport): string {
  const head = `${'model'.padEnd(11)}${'prec'.padEnd(6)}${'provider'.padEnd(10)}${'thr'.padStart(4)}${'batch'.padStart(6)}${'img/s'.padStart(10)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'img/cpu-s'.padStart(11)}`;
  const rows = report.results.map(
    (r) =>
      `${r.model.padEnd(11)}${r.precision.padEnd(6)}${r.provider.padEnd(10)}${String(r.threads).padStart(4)}${String(r.batch).padStart(6)}${r.imagesPerSec.toFixed(1).padStart(10)}${r.p50Ms.toFixed(2).padStart(9)}${r.p95Ms.toFixed(2).padStart(9)}${r.imagesPerCpuSec.toFixed(1).padStart(11)}`,
  );
  const m = report.machine;
  const lines = [
    `${m.cpu} (${m.cores} cores), node ${m.node}, onnxruntime ${m.onnxruntime}; median of ${report.settings.repeats} repeats; img/cpu-s = images per second of process CPU time (robust to other load)`,
    head,
    ...rows,
    ...(report.skipped.length
      ? ['', 'skipped:', ...report.skipped.map((s) => `  ${s.what}: ${s.reason}`)]
      : []),
  ];
  return `${lines.join('\n')}\n`;
}
