/**
 * `mask-edge agent --config FILE [--check-config]`: validate the config (every problem listed with its
 * path), open the models, open the event sink, start the cameras, tell systemd we are ready, run until
 * SIGINT/SIGTERM (or until every finite source has ended), then shut down cleanly: end tracks, store their
 * events, publish `offline`, flush, release the models.
 */
import type { z } from 'zod';
import { loadConfigFile } from '../../core/config-loader.js';
import { log as defaultLog, type Logger, redact } from '../../core/logger.js';
import type { PipelineConfig } from '../config/pipeline-config.js';
import type { EventSink, RuntimeStats } from '../events/event-types.js';
import type { LiveSource } from '../health/live-contract.js';
import { AgentRuntime } from './agent-runtime.js';
import { verifyModels } from './config-check.js';
import { checkModelFiles, openDetectorWorkers, openModels } from './model-loader.js';
import { SystemdNotifier } from './systemd-notifier.js';

export interface AgentCommandOptions {
  config: string;
  checkConfig?: boolean;
}

/** The parts of the agent that belong to the MQTT side (config schema, sink, health endpoint). */
export interface AgentWiring<C extends PipelineConfig> {
  schema: z.ZodType<C>;
  /** Extra `--check-config` checks of the wiring's own sections (e.g. TLS files); returns what it checked. */
  checkConfig?(config: C): Promise<string[]> | string[];
  /** The logger the config asks for (level, JSON); default: the process logger. */
  logger?(config: C): Logger;
  openSink(config: C, logger: Logger): Promise<EventSink>;
  startHealth?(
    config: C,
    probes: { stats: () => RuntimeStats; healthy: () => boolean; live?: LiveSource; logger: Logger },
  ): Promise<{ close(): Promise<void> }>;
}

export interface AgentIo {
  logger?: Logger;
  /** Where signals come from (default: process). */
  signals?: Pick<NodeJS.Process, 'once' | 'removeListener'>;
  notifier?: SystemdNotifier;
  /** Where --check-config prints its summary (default stdout). */
  out?: (line: string) => void;
}

export async function runAgent<C extends PipelineConfig>(
  opts: AgentCommandOptions,
  wiring: AgentWiring<C>,
  io: AgentIo = {},
): Promise<void> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const config = loadConfigFile(wiring.schema, opts.config);
  const logger = io.logger ?? wiring.logger?.(config) ?? defaultLog;
  const cameras = config.cameras.filter((c) => c.enabled);
  if (opts.checkConfig) {
    await checkModelFiles(config.models);
    await verifyModels(config.models);
    const extra = (await wiring.checkConfig?.(config)) ?? [];
    out(
      `config OK: ${opts.config} (${cameras.length} camera(s): ${cameras.map((c) => `${c.id}=${c.source.type}`).join(', ')}; models open in ONNX Runtime${extra.length ? `; ${extra.join(', ')} read` : ''})`,
    );
    return;
  }
  logger.info('starting agent', { config: opts.config, settings: redact(config) });

  const tileAbove = config.detection.tileAboveScale;
  const models = await openModels(config.models, logger, tileAbove > 0 ? { minScale: tileAbove } : undefined);
  logger.info('large frames', {
    tiling:
      tileAbove > 0
        ? `frames at least ${tileAbove}x the detector's input are also detected in 2 x 2 overlapping tiles`
        : 'off (detection.tileAboveScale: 0)',
  });
  const workers = await openDetectorWorkers(config.models, cameras.length, tileAbove, logger);
  // The workers hold their own sessions: the main thread's copy of the detector is not needed (about 115 MB).
  if (workers) await models.releaseDetector();
  let sink: EventSink | undefined;
  let runtime: AgentRuntime | undefined;
  let health: { close(): Promise<void> } | undefined;
  const notifier = io.notifier ?? new SystemdNotifier({ logger });
  const signals = io.signals ?? process;
  let stopRequested: (signal: string) => void = () => undefined;
  const stopSignal = new Promise<string>((resolve) => {
    stopRequested = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => stopRequested(signal);
  signals.once('SIGINT', onSignal);
  signals.once('SIGTERM', onSignal);
  try {
    sink = await wiring.openSink(config, logger);
    runtime = new AgentRuntime(config, {
      detector: workers ?? models.detector,
      classifier: models.classifier,
      sink,
      model: models.model,
      logger,
      extraStats: () => ({
        providerFailures: models.providerFailures,
        detector: {
          name: models.detectorName,
          path: models.detectorPath,
          failures: models.detectorFailures,
          verifier: { path: models.verifierPath ?? null, reason: models.verifierReason },
        },
      }),
    });
    await runtime.start();
    const rt = runtime;
    health = await wiring.startHealth?.(config, {
      stats: () => rt.stats(),
      healthy: () => rt.isRunning,
      live: rt.live(),
      logger,
    });
    const provider = (workers ?? models.detector).provider;
    await notifier.ready(`watching ${cameras.length} camera(s), detector on ${provider}`);
    notifier.startWatchdog(() => rt.isRunning);
    let failure: Error | undefined;
    const reason = await Promise.race([
      stopSignal.then((s) => `signal ${s}`),
      runtime.finished.then(() => 'every source ended'),
      ...(sink.fatal
        ? [
            sink.fatal.then((err) => {
              failure = err;
              return `event sink failed: ${err.message}`;
            }),
          ]
        : []),
    ]);
    logger.info('stopping agent', { reason });
    if (failure) throw failure;
  } finally {
    signals.removeListener('SIGINT', onSignal);
    signals.removeListener('SIGTERM', onSignal);
    await notifier.stopping().catch(() => undefined);
    await runtime?.stop().catch((err) => logger.error('stopping cameras failed', { error: err as Error }));
    await health?.close().catch(() => undefined);
    await sink
      ?.close()
      .catch((err) => logger.error('closing the event sink failed', { error: err as Error }));
    await workers?.close();
    await models.close();
  }
}

/** The CLI entry (`mask-edge agent`): the production wiring (MQTT sink, outbox). */
export async function run(opts: AgentCommandOptions): Promise<void> {
  const { agentWiring } = await import('./agent-wiring.js');
  await runAgent(opts, agentWiring());
}
