/**
 * `mask-edge bench`: throughput (images/s, median of repeats) and latency (p50/p95 per call) of the detector
 * and the classifier, fp32 and int8, batch 1 and 32, 1 and 2 threads, on each execution provider that starts
 * (default `auto`: every provider whose libraries or adapter are on this machine, each measured on its own).
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { MaskEdgeError } from '../../core/errors.js';
import { findProvider } from '../../core/execution-providers.js';
import { Logger } from '../../core/logger.js';
import { parseInputSize } from '../../core/onnx-contract.js';
import { loadedRuntime, loadOnnxRuntime } from '../../core/onnx-runtime-module.js';
import { buildBackends, openOnnxSession, readOnnxMetadata } from '../../core/onnx-session.js';
import { MODELS_DIR, packageDir } from '../../core/package-paths.js';
import { expandProviders, isAuto } from '../../core/provider-auto.js';
import type { PowerPreference } from '../../core/webgpu-adapter.js';
import { resolveDetector, zooDetectorNames } from '../inference/detector-zoo.js';

/** bench's default --detector: an fp32 model, measured beside its zoo INT8 entry. */
export const BENCH_DEFAULT_DETECTOR = 'ssd-mobilenet-v1-512';

import { formatBenchTable } from './bench-report.js';
import { benchSession } from './session-bench.js';

export interface BenchOptions {
  json?: boolean;
  classifier?: string;
  classifierInt8?: string;
  detector?: string;
  detectorInt8?: string;
  providers?: string[];
  threads?: number[];
  batches?: number[];
  repeats?: number;
  seconds?: number;
  /** Let idle onnxruntime threads spin (default off, as in the agent). */
  spinning?: boolean;
  /** Measure only this model (default both). */
  only?: 'detector' | 'classifier';
  /** GPU index for cuda/tensorrt. */
  deviceId?: number;
  /** WebGPU adapter choice. */
  powerPreference?: PowerPreference;
}

export interface BenchResult {
  model: 'classifier' | 'detector';
  /** Detector zoo name, or the file name (detector results only). */
  detector?: string;
  /** Input height when not square (detector results only). */
  inputHeight?: number;
  /** Square input side in pixels, the width if not square (detector results only). */
  inputSize?: number;
  precision: 'fp32' | 'int8';
  file: string;
  provider: string;
  threads: number;
  batch: number;
  imagesPerSec: number;
  repeatsImagesPerSec: number[];
  p50Ms: number;
  p95Ms: number;
  calls: number;
  imagesPerCpuSec: number;
}

export interface BenchSkip {
  what: string;
  reason: string;
}

export interface BenchReport {
  machine: { cpu: string; cores: number; node: string; onnxruntime: string };
  settings: { repeats: number; secondsPerRepeat: number; spinning: boolean };
  results: BenchResult[];
  skipped: BenchSkip[];
}

const quiet = new Logger({ level: 'error' });

export async function runBench(
  opts: BenchOptions,
  log: (line: string) => void = () => {},
): Promise<BenchReport> {
  // fp32 beside its INT8 entry: by default the fp32 512 px SSD (the agent's default is its 512 x 384 INT8 variant)
  const detector = resolveDetector(opts.detector ?? BENCH_DEFAULT_DETECTOR);
  // int8 detector: --detector-int8 (zoo name or file), else the zoo's INT8 entry of --detector, else the old path
  const int8Name = `${detector.name}-int8`;
  const detectorInt8 = opts.detectorInt8
    ? resolveDetector(opts.detectorInt8)
    : zooDetectorNames().includes(int8Name)
      ? resolveDetector(int8Name)
      : undefined;
  const all: {
    model: 'classifier' | 'detector';
    precision: 'fp32' | 'int8';
    file: string;
    detector?: string;
  }[] = [
    {
      model: 'classifier',
      precision: 'fp32',
      file: opts.classifier ?? join(MODELS_DIR, 'mask-classifier.onnx'),
    },
    {
      model: 'classifier',
      precision: 'int8',
      file: opts.classifierInt8 ?? join(MODELS_DIR, 'mask-classifier.int8.onnx'),
    },
    {
      model: 'detector',
      precision: detector.zoo?.precision ?? (await filePrecision(detector.path)),
      file: detector.path,
      detector: detector.name,
    },
    {
      model: 'detector',
      precision: 'int8',
      file: detectorInt8?.path ?? join(MODELS_DIR, 'face-detector.int8.onnx'),
      ...(detectorInt8 ? { detector: detectorInt8.name } : {}),
    },
  ];
  const models = all.filter((m) => !opts.only || m.model === opts.only);
  let providers = opts.providers?.length ? opts.providers : ['auto'];
  for (const p of providers) {
    if (!findProvider(p) && !isAuto(p))
      throw new MaskEdgeError('E_USAGE', `unknown execution provider '${p}'`, { detail: { provider: p } });
  }
  const gpuOptions = {
    ...(opts.deviceId !== undefined ? { deviceId: opts.deviceId } : {}),
    ...(opts.powerPreference ? { powerPreference: opts.powerPreference } : {}),
  };
  const skipped: BenchSkip[] = [];
  if (providers.some(isAuto)) {
    // auto: measure each provider that can run here; the others are listed as skipped with the reason
    const ort = await loadOnnxRuntime();
    const expanded = await expandProviders(providers, {
      build: buildBackends(ort),
      runtimeDir: loadedRuntime() ?? packageDir('onnxruntime-node'),
      options: gpuOptions,
    });
    providers = expanded.providers;
    for (const s of expanded.skipped)
      skipped.push({ what: `provider ${s.provider}`, reason: `${s.reason} (auto)` });
  }
  const threads = opts.threads?.length ? opts.threads : [1, 2];
  const batches = opts.batches?.length ? opts.batches : [1, 32];
  const repeats = opts.repeats ?? 5;
  const seconds = opts.seconds ?? 0.4;
  const results: BenchResult[] = [];
  const deadProviders = new Set<string>();
  let ortVersion = 'unknown';

  for (const m of models) {
    if (!existsSync(m.file)) {
      skipped.push({ what: `${m.model} ${m.precision}`, reason: `no model file at ${m.file}` });
      continue;
    }
    for (const provider of providers) {
      if (deadProviders.has(provider)) continue;
      for (const t of threads) {
        let opened: Awaited<ReturnType<typeof openOnnxSession>>;
        try {
          opened = await openOnnxSession(m.file, {
            providers: [provider],
            threads: t,
            spinning: opts.spinning,
            ...gpuOptions,
            logger: quiet,
          });
        } catch (err) {
          if (err instanceof MaskEdgeError && err.code === 'E_BACKEND') {
            deadProviders.add(provider);
            const reason =
              ((err.detail.failures as { error: string }[] | undefined) ?? [])[0]?.error ?? err.message;
            skipped.push({ what: `provider ${provider}`, reason });
            break;
          }
          throw err;
        }
        ortVersion = opened.runtime.env.versions?.common ?? ortVersion;
        try {
          for (const batch of batches) {
            try {
              const timing = await benchSession(opened.session, opened.runtime, {
                batch,
                repeats,
                repeatSeconds: seconds,
              });
              const r: BenchResult = { ...m, provider: opened.provider, threads: t, ...timing };
              if (m.model === 'detector') {
                const size = parseInputSize(opened.metadata['mask_edge.input_size']);
                if (size) r.inputSize = size[1];
                if (size && size[0] !== size[1]) r.inputHeight = size[0];
              }
              results.push(r);
              log(
                `${m.model} ${m.precision} ${opened.provider} threads ${t} batch ${batch}: ${r.imagesPerSec.toFixed(1)} img/s, p50 ${r.p50Ms.toFixed(2)} ms, p95 ${r.p95Ms.toFixed(2)} ms`,
              );
            } catch (err) {
              if (!(err instanceof MaskEdgeError && err.code === 'E_UNSUPPORTED')) throw err;
              const what = `${m.model} ${m.precision} batch ${batch}`;
              if (!skipped.some((s) => s.what === what)) skipped.push({ what, reason: err.message });
            }
          }
        } finally {
          await opened.session.release();
        }
      }
    }
  }
  const cpu = cpus();
  return {
    machine: {
      cpu: cpu[0]?.model ?? 'unknown',
      cores: cpu.length,
      node: process.version,
      onnxruntime: ortVersion,
    },
    settings: { repeats, secondsPerRepeat: seconds, spinning: opts.spinning === true },
    results,
    skipped,
  };
}

export async function run(opts: BenchOptions): Promise<void> {
  const report = await runBench(opts, (line) => process.stderr.write(`${line}\n`));
  if (report.results.length === 0) {
    throw new MaskEdgeError('E_MODEL', 'nothing to benchmark: no model file found', {
      detail: { skipped: report.skipped },
    });
  }
  process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatBenchTable(report));
}

/** A model file's `mask_edge.precision` (a detector given by path); fp32 when it says none or cannot be read. */
async function filePrecision(path: string): Promise<'fp32' | 'int8'> {
  try {
    return (await readOnnxMetadata(path))['mask_edge.precision'] === 'int8' ? 'int8' : 'fp32';
  } catch {
    return 'fp32';
  }
}
