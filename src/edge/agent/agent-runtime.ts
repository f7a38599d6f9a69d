/**
 * The agent runtime: one CameraPipeline per enabled camera, sharing the detector and classifier sessions,
 * plus the periodic stats and state messages. It does not open models or the sink (agent-command does),
 * so tests can run it with a RecordingEventSink and any detector/classifier.
 */
import { log as defaultLog, type Logger } from '../../core/logger.js';
import type { CameraConfig, PipelineConfig } from '../config/pipeline-config.js';
import type { EventSink, MaskEvent, RuntimeStats } from '../events/event-types.js';
import type { LiveSource } from '../health/live-contract.js';
import type { FrameSource } from '../sources/frame-source.js';
import { createFrameSource } from '../sources/source-registry.js';
import { CameraPipeline, type ClassifierPort, type DetectorPort } from './camera-pipeline.js';
import { toSourceStatus } from './event-drafts.js';
import { AnnotatedFrameWriter } from './frame-writer.js';
import { LatencyWindow, RateMeter, round1 } from './rolling-stats.js';

export interface AgentRuntimeOptions {
  detector: DetectorPort;
  classifier: ClassifierPort;
  sink: EventSink;
  /** Model name/version stamped on events (default: from classifier metadata, else 'unknown'). */
  model?: { name: string; version: string };
  logger?: Logger;
  /** Source factory (default: the registry); tests may inject sources. */
  createSource?: (camera: CameraConfig) => Promise<FrameSource>;
  /** Extra fields merged into every stats message (e.g. provider failures). */
  extraStats?: () => Record<string, unknown>;
}

const RECENT_EVENTS = 50;

export class AgentRuntime {
  readonly pipelines: CameraPipeline[] = [];
  private readonly log: Logger;
  private readonly latency = new LatencyWindow(1000);
  private statsTimer: NodeJS.Timeout | undefined;
  private stateTimer: NodeJS.Timeout | undefined;
  private running = false;
  private finishedAll: Promise<void> = Promise.resolve();
  private readonly frameRate = new RateMeter(10_000);
  private readonly recent: MaskEvent[] = [];

  constructor(
    private readonly config: PipelineConfig,
    private readonly o: AgentRuntimeOptions,
  ) {
    this.log = (o.logger ?? defaultLog).child({ component: 'agent' });
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Resolves when every camera's source has stopped by itself (finite inputs) or stop() was called. */
  get finished(): Promise<void> {
    return this.finishedAll;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const logger = this.o.logger ?? defaultLog;
    const model = this.o.model ?? modelOf(this.o.classifier);
    const sources: FrameSource[] = [];
    for (const camera of this.config.cameras.filter((c) => c.enabled)) {
      const source = this.o.createSource
        ? await this.o.createSource(camera)
        : await createFrameSource(camera.id, camera.source, { logger });
      sources.push(source);
      const pipeline = new CameraPipeline({
        camera: camera.id,
        source,
        detector: this.o.detector,
        classifier: this.o.classifier,
        sink: this.o.sink,
        logger,
        model,
        detection: { ...this.config.detection, ...definedOnly(camera.detection) },
        tracking: { ...this.config.tracking, ...definedOnly(camera.tracking) },
        snapshots: this.config.snapshots,
        ...(this.config.annotate.enabled
          ? { annotator: new AnnotatedFrameWriter(camera.id, this.config.annotate, camera.zone) }
          : {}),
        ...(camera.zone ? { zone: camera.zone } : {}),
        onEvent: (event) => this.remember(event),
        latency: this.latency,
      });
      source.onFrame(() => this.frameRate.mark());
      this.pipelines.push(pipeline);
    }
    this.running = true;
    for (const p of this.pipelines) p.start();
    this.finishedAll = Promise.all(sources.map((s) => s.finished)).then(() => undefined);
    this.statsTimer = setInterval(() => void this.publishStats(), this.config.stats.intervalSeconds * 1000);
    this.stateTimer = setInterval(() => {
      for (const p of this.pipelines) void p.republishState();
    }, this.config.stats.stateIntervalSeconds * 1000);
    this.log.info('agent started', {
      cameras: this.pipelines.map((p) => p.camera),
      detector: this.o.detector.provider,
      classifier: this.o.classifier.provider,
      model,
    });
  }

  /** Stops every camera (ending tracks, storing their end events) and publishes final stats. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.statsTimer);
    clearInterval(this.stateTimer);
    await Promise.all(this.pipelines.map((p) => p.stop()));
    await this.publishStats();
    this.log.info('agent stopped', { framesProcessed: this.totals().processed });
  }

  /** The newest events the sink accepted, newest first (at most RECENT_EVENTS; for the live page). */
  recentEvents(): MaskEvent[] {
    return [...this.recent].reverse();
  }

  /** What the live page shows (no source URLs). */
  live(): LiveSource {
    return {
      view: () => {
        const stats = this.stats();
        // Source inputs (paths, stream URLs) stay off the page; only state and figures are shown.
        const sources = Object.fromEntries(
          Object.entries(stats.sources).map(([id, status]) => {
            const { input: _input, ...rest } = status as typeof status & { input?: unknown };
            return [id, rest];
          }),
        );
        return {
          stats: { ...stats, sources },
          events: this.recentEvents(),
          cameras: this.pipelines.map((p) => {
            const camera = this.config.cameras.find((c) => c.id === p.camera);
            return {
              id: p.camera,
              sourceType: camera?.source.type ?? 'unknown',
              state: p.sourceStats().state,
              fps: p.fps(),
              counts: p.tracker.counts(),
              framesProcessed: p.counters.processed,
              events: p.counters.events,
              outsideZone: p.counters.outsideZone,
              hasZone: camera?.zone !== undefined,
            };
          }),
        };
      },
      frame: async (camera) => this.pipelines.find((p) => p.camera === camera)?.liveFrame.jpeg(),
    };
  }

  private remember(event: MaskEvent): void {
    this.recent.push(event);
    if (this.recent.length > RECENT_EVENTS) this.recent.shift();
  }

  /** Totals over all cameras. */
  totals(): { processed: number; dropped: number; badFrames: number; events: number; errors: number } {
    const t = { processed: 0, dropped: 0, badFrames: 0, events: 0, errors: 0 };
    for (const p of this.pipelines) {
      const c = p.counters;
      t.processed += c.processed;
      t.dropped += c.dropped;
      t.badFrames += c.badFrames;
      t.events += c.events;
      t.errors += c.detectErrors + c.classifyErrors + c.publishErrors;
    }
    return t;
  }

  stats(): RuntimeStats {
    const totals = this.totals();
    const cameras: Record<string, unknown> = {};
    const sources: RuntimeStats['sources'] = {};
    let sourceBadFrames = 0;
    for (const p of this.pipelines) {
      const source = p.sourceStats();
      sources[p.camera] = toSourceStatus(source);
      sourceBadFrames += source.badFrames;
      cameras[p.camera] = {
        fps: p.fps(),
        latencyMs: p.latency.summary(),
        stageMs: { detect: p.stages.detect.summary(), classify: p.stages.classify.summary() },
        ...p.counters,
        tracks: p.tracker.tracks().length,
        counts: p.tracker.counts(),
        queuedEvents: p.eventsQueued,
      };
    }
    return {
      fps: round1(this.pipelines.reduce((sum, p) => sum + p.fps(), 0)),
      latencyMs: this.latency.summary(),
      providers: { detector: this.o.detector.provider, classifier: this.o.classifier.provider },
      sources,
      droppedFrames: totals.dropped,
      framesProcessed: totals.processed,
      framesReceivedFps: this.frameRate.rate(),
      badFrames: totals.badFrames + sourceBadFrames,
      errors: totals.errors,
      runtimeQueuedEvents: this.pipelines.reduce((sum, p) => sum + p.eventsQueued, 0),
      cameras,
      ...(this.o.extraStats?.() ?? {}),
    };
  }

  async publishStats(): Promise<void> {
    try {
      await this.o.sink.publishStats(this.stats());
    } catch (err) {
      this.log.warn('publishing stats failed', { error: err as Error });
    }
  }
}

function modelOf(classifier: ClassifierPort): { name: string; version: string } {
  const metadata = (classifier as { metadata?: Record<string, string> }).metadata ?? {};
  return {
    name: metadata['mask_edge.model_name'] || 'unknown',
    version: metadata['mask_edge.model_version'] || 'unknown',
  };
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
