/**
 * Keeps one driver alive: frame-rate cap, watchdog, reconnect with exponential backoff, state and counters.
 * Every callback of an old session is ignored once it has been replaced (generation counter), so a dying
 * ffmpeg can't report frames or errors into the next session.
 */
import type { RgbImage } from '../../core/image-io.js';
import { log as defaultLog, type Logger } from '../../core/logger.js';
import { redactUrlCredentials } from '../../core/secret-text.js';
import type { ReconnectConfig, SourceType } from '../config/source-config.js';
import type {
  DriverContext,
  DriverSession,
  FrameListener,
  FrameSource,
  SourceDriver,
  SourceState,
  SourceStats,
  StateListener,
} from './frame-source.js';

export interface SupervisorOptions {
  maxFps: number;
  watchdogSeconds: number;
  reconnect: ReconnectConfig;
  logger?: Logger;
}

const FPS_WINDOW_MS = 5000;

export class SupervisedSource implements FrameSource {
  readonly type: SourceType;
  readonly finished: Promise<void>;
  private readonly log: Logger;
  private readonly frameListeners: FrameListener[] = [];
  private readonly stateListeners: StateListener[] = [];
  private readonly minIntervalMs: number;
  /** False for a self-paced driver whose own rate is within the cap: a late frame followed at once by the next
   * one (a slow decode under load) is not a camera running too fast, and skipping it would lose a photo. */
  private readonly capping: boolean;
  private readonly watchdogMs: number;
  private resolveFinished!: () => void;
  private generation = 0;
  private session: DriverSession | undefined;
  private started = false;
  private stopped = false;
  private state: SourceState = 'starting';
  private since = new Date().toISOString();
  private lastAlive = Date.now();
  private lastDelivered = Number.NEGATIVE_INFINITY;
  private backoffMs: number;
  private retryAt: number | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private readonly recent: number[] = [];
  private lastBadFrameLog = 0;
  private readonly counters = { frames: 0, capped: 0, badFrames: 0, restarts: 0, watchdogRestarts: 0 };
  private error: { text: string; at: string } | undefined;
  private lastFrameAt: string | undefined;
  private detailFields: Record<string, unknown> = {};

  constructor(
    readonly id: string,
    private readonly driver: SourceDriver,
    private readonly options: SupervisorOptions,
  ) {
    this.type = driver.type;
    this.log = (options.logger ?? defaultLog).child({ camera: id, source: driver.type });
    this.minIntervalMs = 1000 / options.maxFps;
    this.capping =
      driver.nominalIntervalMs === undefined || driver.nominalIntervalMs < this.minIntervalMs * 0.9;
    // A pull-based source that reads every 2 s must not be restarted by a 1 s watchdog.
    this.watchdogMs = Math.max(options.watchdogSeconds * 1000, 3 * (driver.nominalIntervalMs ?? 0));
    this.backoffMs = options.reconnect.initialSeconds * 1000;
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
  }

  onFrame(listener: FrameListener): void {
    this.frameListeners.push(listener);
  }

  onState(listener: StateListener): void {
    this.stateListeners.push(listener);
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    const tick = Math.max(100, Math.min(1000, this.watchdogMs / 4));
    this.watchdogTimer = setInterval(() => this.checkWatchdog(), tick);
    this.watchdogTimer.unref();
    void this.openSession();
  }

  async stop(): Promise<void> {
    if (this.stopped) return this.finished;
    this.stopped = true;
    this.generation += 1;
    this.clearTimers();
    await this.closeSession();
    this.setState('stopped');
    this.resolveFinished();
    return this.finished;
  }

  stats(): SourceStats {
    const now = Date.now();
    while (this.recent.length && now - this.recent[0]! > FPS_WINDOW_MS) this.recent.shift();
    const span = this.recent.length > 1 ? Math.max(1000, now - this.recent[0]!) : FPS_WINDOW_MS;
    const stats: SourceStats = {
      type: this.type,
      input: this.driver.input,
      state: this.state,
      since: this.since,
      ...this.counters,
      fps: Math.round((this.recent.length / span) * 1000 * 10) / 10,
    };
    if (this.error) {
      stats.error = this.error.text;
      stats.errorAt = this.error.at;
    }
    if (this.lastFrameAt) stats.lastFrameAt = this.lastFrameAt;
    if (this.retryAt !== undefined && this.state === 'offline') {
      stats.retryInSeconds = Math.max(0, Math.round((this.retryAt - now) / 100) / 10);
    }
    if (Object.keys(this.detailFields).length) stats.detail = { ...this.detailFields };
    return stats;
  }

  private async openSession(): Promise<void> {
    if (this.stopped) return;
    const generation = ++this.generation;
    if (generation > 1) this.counters.restarts += 1;
    this.retryAt = undefined;
    this.lastAlive = Date.now();
    this.detailFields = {};
    const ctx = this.contextFor(generation);
    try {
      const session = await this.driver.open(ctx);
      if (generation !== this.generation || this.stopped) {
        await session.close().catch(() => undefined);
        return;
      }
      this.session = session;
    } catch (err) {
      ctx.failed(err);
    }
  }

  private contextFor(generation: number): DriverContext {
    const current = () => generation === this.generation && !this.stopped;
    return {
      log: this.log,
      frame: (image: RgbImage, ts?: number, newScene?: boolean) => {
        if (current()) this.deliver(image, ts ?? Date.now(), newScene === true);
      },
      badFrame: (error: unknown) => {
        if (!current()) return;
        this.counters.badFrames += 1;
        this.lastAlive = Date.now();
        this.recordError(error);
        // A damaged stream can report many bad frames a second: the first, then one line per 10 s.
        const now = Date.now();
        if (now - this.lastBadFrameLog < 10_000) return;
        this.lastBadFrameLog = now;
        this.log.warn('bad frame skipped', { error: this.error?.text, badFrames: this.counters.badFrames });
      },
      detail: (fields) => {
        if (current()) Object.assign(this.detailFields, fields);
      },
      failed: (error: unknown) => {
        if (!current()) return;
        this.recordError(error);
        void this.lose(`source lost: ${this.error?.text}`);
      },
      ended: (reason: string) => {
        if (!current()) return;
        this.log.info('source ended', { reason });
        void this.stop();
      },
    };
  }

  private deliver(image: RgbImage, ts: number, newScene: boolean): void {
    const now = Date.now();
    this.lastAlive = now;
    if (this.state !== 'online') {
      this.backoffMs = this.options.reconnect.initialSeconds * 1000;
      this.setState('online');
    }
    if (this.capping && now - this.lastDelivered < this.minIntervalMs * 0.9) {
      this.counters.capped += 1;
      return;
    }
    this.lastDelivered = now;
    this.counters.frames += 1;
    this.recent.push(now);
    if (this.recent.length > 1000) this.recent.shift();
    this.lastFrameAt = new Date(ts).toISOString();
    const frame = { image, ts, index: this.counters.frames, ...(newScene ? { newScene } : {}) };
    for (const listener of this.frameListeners) {
      try {
        listener(frame);
      } catch (err) {
        this.log.error('frame listener threw', { error: err as Error });
      }
    }
  }

  private checkWatchdog(): void {
    if (this.stopped || this.retryAt !== undefined) return;
    if (Date.now() - this.lastAlive <= this.watchdogMs) return;
    this.counters.watchdogRestarts += 1;
    this.recordError(new Error(`watchdog: no frame for ${Math.round(this.watchdogMs / 100) / 10} s`));
    void this.lose('watchdog restart');
  }

  /** Closes the current session, goes offline and schedules the next attempt with backoff. */
  private async lose(message: string): Promise<void> {
    this.generation += 1;
    const delay = this.backoffMs * (0.9 + Math.random() * 0.2);
    this.backoffMs = Math.min(
      this.options.reconnect.maxSeconds * 1000,
      this.backoffMs * this.options.reconnect.factor,
    );
    this.retryAt = Date.now() + delay;
    this.setState('offline');
    this.log.warn(message, { error: this.error?.text, retryInMs: Math.round(delay) });
    await this.closeSession();
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.openSession();
    }, delay);
  }

  private async closeSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    try {
      await session.close();
    } catch (err) {
      this.log.warn('closing source session failed', { error: err as Error });
    }
  }

  private recordError(error: unknown): void {
    const text = redactUrlCredentials(error instanceof Error ? error.message : String(error));
    this.error = { text: text.slice(0, 500), at: new Date().toISOString() };
  }

  private setState(state: SourceState): void {
    if (state === this.state) return;
    this.state = state;
    this.since = new Date().toISOString();
    if (state === 'online') this.log.info('source online');
    const stats = this.stats();
    for (const listener of this.stateListeners) {
      try {
        listener(state, stats);
      } catch (err) {
        this.log.error('state listener threw', { error: err as Error });
      }
    }
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.retryTimer = undefined;
    this.watchdogTimer = undefined;
  }
}
