/**
 * Times one ONNX Runtime session: warm-up, then several timed repeats. Throughput is images/s per repeat
 * (median reported); latency is per call (one batch), p50/p95 over every timed call.
 */
import type { InferenceSession } from 'onnxruntime-common';
import { MaskEdgeError } from '../../core/errors.js';
import type { OrtModule } from '../../core/onnx-runtime-module.js';

export interface BenchTiming {
  batch: number;
  /** Median over repeats of images per second. */
  imagesPerSec: number;
  /** Every repeat's images/s (to show the spread). */
  repeatsImagesPerSec: number[];
  p50Ms: number;
  p95Ms: number;
  calls: number;
  /**
   * Images per second of this process's CPU time (user + system, all threads), median over repeats. On a
   * shared machine this stays near the uncontended single-thread rate while wall-clock rates drop.
   */
  imagesPerCpuSec: number;
}

export interface BenchRunOptions {
  batch: number;
  /** Timed repeats (default 5). */
  repeats?: number;
  /** Seconds per repeat (default 0.4). */
  repeatSeconds?: number;
  /** Untimed calls first (default 3). */
  warmup?: number;
  /** Minimum calls per repeat (default 1: a slow model, e.g. the detector at batch 32, gets one call). */
  minCalls?: number;
}

/** Nearest-rank percentile of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The input dims for a batch size, or a reason why the graph cannot take it. */
export function inputDims(session: InferenceSession, batch: number): number[] | string {
  const meta = session.inputMetadata?.[0];
  if (!meta?.isTensor) return 'the model input is not a tensor';
  const dims = meta.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? batch : Number.NaN));
  if (dims.some(Number.isNaN)) return `input shape [${meta.shape.join(', ')}] has free non-batch dims`;
  if (dims[0] !== batch) return `the graph's batch dimension is fixed at ${dims[0]}`;
  return dims;
}

/** Deterministic pseudo-random inputs in [-2, 2) (speed does not depend on values for these models). */
export function benchInput(size: number, seed = 1): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296) * 4 - 2;
  }
  return out;
}

export async function benchSession(
  session: InferenceSession,
  runtime: OrtModule,
  options: BenchRunOptions,
): Promise<BenchTiming> {
  const { batch, repeats = 5, repeatSeconds = 0.4, warmup = 2, minCalls = 1 } = options;
  const dims = inputDims(session, batch);
  if (typeof dims === 'string') {
    throw new MaskEdgeError('E_UNSUPPORTED', `cannot run batch ${batch}: ${dims}`, { detail: { batch } });
  }
  const input = new runtime.Tensor('float32', benchInput(dims.reduce((a, b) => a * b, 1)), dims);
  const feeds = { [session.inputNames[0]!]: input };
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const latencies: number[] = [];
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    let calls = 0;
    while (calls < minCalls || performance.now() - start < repeatSeconds * 1000) {
      const t0 = performance.now();
      await session.run(feeds);
      latencies.push(performance.now() - t0);
      calls++;
    }
    rates.push((calls * batch) / ((performance.now() - start) / 1000));
    const cpu = process.cpuUsage(cpu0);
    cpuRates.push((calls * batch) / ((cpu.user + cpu.system) / 1e6));
  }
  return {
    batch,
    imagesPerSec: median(rates),
    repeatsImagesPerSec: rates,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    calls: latencies.length,
    imagesPerCpuSec: median(cpuRates),
  };
}
