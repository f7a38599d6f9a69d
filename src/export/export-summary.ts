/** The export report (export-report.json) and its printed summary. */
import type { ClassMetrics } from '../core/metrics.js';
import type { MethodTrial } from './int8-export.js';
import type { CheckerResult } from './verify/onnx-checker.js';
import type { ParityResult } from './verify/tfjs-parity.js';

export interface ExportReport {
  command: string;
  source: {
    modelJson: string;
    runDir?: string;
    recordedAccuracy?: { accuracy: number; split?: string; model: string };
  };
  opset: number;
  irVersion: number;
  fp32: {
    path: string;
    bytes: number;
    parity: ParityResult;
    checker: CheckerResult;
    evaluation?: ClassMetrics;
    evaluatedOn?: string;
    foldedBatchNorms: string[];
    removedLayers: string[];
  };
  int8?: {
    /** Undefined when the model was refused. */
    path?: string;
    bytes: number;
    sizeRatio: number;
    method: string;
    activations: string;
    calibration: { images: number; set: string };
    trials: MethodTrial[];
    evaluatedOn: string;
    fp32Accuracy: number;
    int8Accuracy: number;
    accuracyDropPoints: number;
    agreement: number;
    maxProbDiff: number;
    meanProbDiff: number;
    evaluation: ClassMetrics;
    ortOptimizedOps: Record<string, number>;
    problems: string[];
    forced: boolean;
    checker?: CheckerResult;
  };
}

const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;
const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;

export function printSummary(r: ExportReport, print: (line: string) => void): void {
  const checker = (c?: CheckerResult): string =>
    !c ? 'not run' : c.status === 'passed' ? `passed (onnx ${c.onnxVersion})` : `SKIPPED: ${c.reason}`;
  print(`fp32  ${r.fp32.path}  ${kib(r.fp32.bytes)}  opset ${r.opset}, IR ${r.irVersion}`);
  print(
    `      tfjs parity: max |diff| ${r.fp32.parity.maxAbsDiff.toExponential(2)} on ${r.fp32.parity.images} images (tolerance ${r.fp32.parity.tolerance}, tfjs ${r.fp32.parity.tfjsBackend})`,
  );
  print(`      onnx.checker (full): ${checker(r.fp32.checker)}`);
  if (r.fp32.evaluation) {
    print(
      `      accuracy ${pct(r.fp32.evaluation.accuracy)} on ${r.fp32.evaluation.samples} faces (${r.fp32.evaluatedOn})`,
    );
  }
  const rec = r.source.recordedAccuracy;
  if (rec) {
    print(
      `      metrics.json: ${rec.model} ${pct(rec.accuracy)}${rec.split ? ` on ${rec.split}` : ''} (as trained, tfjs)`,
    );
  }
  const q = r.int8;
  if (!q) return;
  print(`int8  ${q.path ?? '(not written)'}  ${kib(q.bytes)} = ${pct(q.sizeRatio)} of fp32`);
  print(
    `      calibration: ${q.method} (${q.activations} activations) on ${q.calibration.images} faces (${q.calibration.set})`,
  );
  for (const t of q.trials) {
    print(
      `        ${t.method.padEnd(10)} agreement ${pct(t.agreement)}  mean |dp| ${t.meanProbDiff.toFixed(4)}  max |dp| ${t.maxProbDiff.toFixed(4)}`,
    );
  }
  print(
    `      fp32 ${pct(q.fp32Accuracy)} -> int8 ${pct(q.int8Accuracy)} (drop ${q.accuracyDropPoints.toFixed(2)} points) on ${q.evaluation.samples} faces (${q.evaluatedOn})`,
  );
  print(`      top-1 agreement ${pct(q.agreement)}, max probability difference ${q.maxProbDiff.toFixed(4)}`);
  const fused = Object.entries(q.ortOptimizedOps)
    .filter(([op]) => op.startsWith('Q') && op !== 'QuantizeLinear')
    .map(([op, n]) => `${n} ${op}`)
    .join(', ');
  print(`      ORT optimized graph: ${fused || 'no QLinear ops'}`);
  if (q.path) print(`      onnx.checker (full): ${checker(q.checker)}`);
  for (const p of q.problems) print(`      ${q.forced ? 'FORCED despite' : 'REFUSED'}: ${p}`);
}
