/**
 * Opens ONNX Runtime sessions on the best available execution provider. Providers are tried in priority order
 * (default `auto`: tensorrt, cuda, webgpu, cpu, each GPU one only where its libraries or adapter are present);
 * every failure is collected, logged and returned with the provider in use, and the provider that runs is named
 * once per logger. Shared by export (verification) and edge (detector, classifier). onnxruntime only, never tfjs.
 */
import type { InferenceSession } from 'onnxruntime-common';
import { MaskEdgeError } from './errors.js';
import {
  type BuildBackend,
  DEFAULT_PROVIDERS,
  describeBuild,
  explainFailure,
  findProvider,
  type ProviderEntry,
  type ProviderOptions,
  unavailableReason,
} from './execution-providers.js';
import { log as defaultLog, type Logger } from './logger.js';
import { checkInputContract } from './onnx-contract.js';
import { readModelBytes, summariseOnnx } from './onnx-metadata.js';
import { loadedRuntime, loadOnnxRuntime, type OrtModule } from './onnx-runtime-module.js';
import { packageDir } from './package-paths.js';
import { type AutoChecks, expandProviders, type SkippedProvider, summariseSkipped } from './provider-auto.js';

export { DEFAULT_PROVIDERS } from './execution-providers.js';
export { readOnnxMetadata } from './onnx-metadata.js';

export interface OpenSessionOptions extends ProviderOptions {
  /**
   * Priority list; names or aliases ('trt', 'CUDAExecutionProvider', ...) and `auto`. Default `auto`: tensorrt,
   * cuda, webgpu, cpu, skipping quietly the GPU providers whose libraries or adapter are not on this machine.
   */
  providers?: string[];
  /** Test hook: the machine checks `auto` makes (default: library files and a Dawn adapter probe). */
  autoChecks?: AutoChecks;
  /** intra-op threads (default: onnxruntime's choice, one per core). */
  threads?: number;
  /**
   * Let idle onnxruntime worker threads spin (default false). Spinning shaves microseconds on an idle machine but
   * burns CPU the detector, ffmpeg and MQTT need on a busy device: measured on the shared 2-core machine, 2 threads
   * without spinning ran 2-3x faster (bench/RESULTS.md).
   */
  spinning?: boolean;
  /** A custom onnxruntime build's js/node folder (default: $MASK_EDGE_ONNXRUNTIME, else onnxruntime-node). */
  runtimePath?: string;
  /** Check the input tensor against the metadata contract (default true). */
  checkContract?: boolean;
  logger?: Logger;
}

export interface ProviderFailure {
  provider: string;
  error: string;
}

export interface OpenedSession {
  session: InferenceSession;
  /** The provider the session runs on (canonical name). */
  provider: string;
  /** Providers tried before it, with the reason each failed, in priority order. */
  failures: ProviderFailure[];
  /** Providers `auto` left out without trying them, with the reason. */
  skipped: SkippedProvider[];
  metadata: Record<string, string>;
  /** The onnxruntime module the session belongs to (create its input Tensors with `runtime.Tensor`). */
  runtime: OrtModule;
}

/** The session options handed to onnxruntime-node for one provider attempt (pure: tested directly). */
export function sessionOptionsFor(
  entry: ProviderEntry,
  options: OpenSessionOptions = {},
): InferenceSession.SessionOptions {
  const providerConfig = entry.sessionConfig?.(options);
  return {
    executionProviders: [entry.sessionProvider(options)],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
    extra: {
      session: {
        intra_op: { allow_spinning: options.spinning ? '1' : '0' },
        inter_op: { allow_spinning: options.spinning ? '1' : '0' },
      },
      // read by onnxruntime as `ep.<provider>executionprovider.<key>` (the binding joins nested keys with '.')
      ...(providerConfig ? { ep: { [`${entry.name}executionprovider`]: providerConfig } } : {}),
    },
  };
}

const announced = new WeakMap<Logger, Set<string>>();

/** Names the provider that runs, once per logger and provider (not once per model). */
function announceProvider(logger: Logger, provider: string, skipped: readonly SkippedProvider[]): void {
  const seen = announced.get(logger) ?? new Set<string>();
  announced.set(logger, seen);
  if (seen.has(provider)) return;
  seen.add(provider);
  const fields = skipped.length > 0 ? { skipped: summariseSkipped(skipped) } : {};
  logger.info(`execution provider: ${provider}`, fields);
}

/** The providers this onnxruntime build knows (`listSupportedBackends()`; cpu only where it is missing). */
export function buildBackends(ort: OrtModule): BuildBackend[] {
  const list = (ort as { listSupportedBackends?: () => BuildBackend[] }).listSupportedBackends;
  return typeof list === 'function' ? list() : [{ name: 'cpu', bundled: true }];
}

/** Sets provider environment variables for the duration of one session creation. */
async function withEnvironment<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.keys(vars).map((k) => [k, process.env[k]] as const);
  for (const [k, v] of Object.entries(vars)) if (process.env[k] === undefined) process.env[k] = v;
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

export async function openOnnxSession(
  path: string,
  options: OpenSessionOptions = {},
): Promise<OpenedSession> {
  const logger = options.logger ?? defaultLog;
  const bytes = await readModelBytes(path);
  const { metadata } = summariseOnnx(bytes, path);
  const ort = await loadOnnxRuntime(options.runtimePath);
  // onnxruntime prints its own error lines for every provider it cannot load; we report them ourselves.
  if (!process.env.MASK_EDGE_ORT_LOG_LEVEL) ort.env.logLevel = 'fatal';
  else ort.env.logLevel = process.env.MASK_EDGE_ORT_LOG_LEVEL as typeof ort.env.logLevel;
  const build = buildBackends(ort);
  const requested = options.providers && options.providers.length > 0 ? options.providers : DEFAULT_PROVIDERS;
  const { providers: expanded, skipped } = await expandProviders(requested, {
    build,
    runtimeDir: loadedRuntime() ?? packageDir('onnxruntime-node'),
    options,
    ...(options.autoChecks ? { checks: options.autoChecks } : {}),
  });
  for (const s of skipped) logger.debug('execution provider skipped', { model: path, ...s });
  const failures: ProviderFailure[] = [];
  let modelError: string | undefined;

  for (const name of expanded) {
    const entry = findProvider(name);
    const reason = unavailableReason(name, build) ?? entry?.optionProblem?.(options);
    if (!entry || reason) {
      failures.push({ provider: entry?.name ?? name, error: reason ?? `unknown provider '${name}'` });
      continue;
    }
    try {
      const session = await withEnvironment(entry.environment(options), () =>
        ort.InferenceSession.create(bytes, sessionOptionsFor(entry, options)),
      );
      if (options.checkContract !== false) {
        try {
          checkInputContract(session, metadata, path);
        } catch (err) {
          await session.release();
          throw err;
        }
      }
      for (const f of failures) logger.warn('execution provider unavailable', { model: path, ...f });
      logger.debug('onnx session opened', { model: path, provider: entry.name, tried: failures.length + 1 });
      announceProvider(logger, entry.name, skipped);
      return { session, provider: entry.name, failures, skipped, metadata, runtime: ort };
    } catch (err) {
      if (err instanceof MaskEdgeError) throw err;
      const message = (err as Error).message ?? String(err);
      if (entry.name === 'cpu') modelError = message;
      failures.push({ provider: entry.name, error: explainFailure(entry.name, message, build) });
    }
  }

  if (modelError !== undefined) {
    throw new MaskEdgeError('E_MODEL', `onnxruntime cannot load ${path}: ${modelError.split('\n')[0]}`, {
      detail: { path, failures },
    });
  }
  for (const f of failures) logger.warn('execution provider unavailable', { model: path, ...f });
  throw new MaskEdgeError(
    'E_BACKEND',
    `no execution provider could run ${path}: ${failures.map((f) => `${f.provider}: ${f.error}`).join('; ')}`,
    { detail: { path, requested: [...requested], build: describeBuild(build), failures, skipped } },
  );
}
