/**
 * The frame-source contract. A source delivers decoded RGB frames from one camera (or file, or folder) and
 * keeps itself alive: frame-rate cap, watchdog, reconnect with backoff. Implementations ("drivers") only
 * know how to open one session of their input; `SupervisedSource` does the rest for all of them.
 */
import type { RgbImage } from '../../core/image-io.js';
import type { Logger } from '../../core/logger.js';
import { redactUrlCredentials } from '../../core/secret-text.js';
import type { SourceType } from '../config/source-config.js';

export type SourceState = 'starting' | 'online' | 'offline' | 'stopped';

export interface Frame {
  image: RgbImage;
  /** Capture time, ms since the epoch. */
  ts: number;
  /** Per-source number of the delivered frame (1, 2, ...; continues across reconnects). */
  index: number;
  /** The source knows this frame shows another scene than the previous one (an `images` camera's next photo). */
  newScene?: boolean;
}

/** Health and counters of one source, as shown in stats and over MQTT. */
export interface SourceStats {
  type: SourceType;
  /** What it reads (URL with credentials removed, folder or device). */
  input: string;
  state: SourceState;
  /** ISO time of the last state change. */
  since: string;
  /** Last error text and when it happened. */
  error?: string;
  errorAt?: string;
  /** Frames handed to the consumer. */
  frames: number;
  /** Frames skipped by the frame-rate cap. */
  capped: number;
  /** Frames that could not be decoded (counted, skipped). */
  badFrames: number;
  /** Sessions opened after the first one (reconnects and watchdog restarts). */
  restarts: number;
  watchdogRestarts: number;
  /** Delivered frames per second over the last few seconds. */
  fps: number;
  lastFrameAt?: string;
  /** Seconds until the next reconnect attempt while offline. */
  retryInSeconds?: number;
  /** Driver details, e.g. the ffmpeg child's pid. */
  detail?: Record<string, unknown>;
}

export type FrameListener = (frame: Frame) => void;
export type StateListener = (state: SourceState, stats: SourceStats) => void;

export interface FrameSource {
  readonly id: string;
  readonly type: SourceType;
  /** Starts delivering frames; never throws for input problems (they show up as state `offline`). */
  start(): void;
  /** Stops for good and releases the input (kills child processes). */
  stop(): Promise<void>;
  stats(): SourceStats;
  onFrame(listener: FrameListener): void;
  onState(listener: StateListener): void;
  /** Resolves once the source has stopped (stop() called, or a finite input ended). */
  readonly finished: Promise<void>;
}

/** What a driver session reports back to its supervisor. */
export interface DriverContext {
  readonly log: Logger;
  /** A decoded frame; `newScene` when the driver knows it starts another scene (a different photo). */
  frame(image: RgbImage, ts?: number, newScene?: boolean): void;
  /** A frame that could not be decoded: counted, skipped, the session stays up. */
  badFrame(error: unknown): void;
  /** Extra details for stats (merged). */
  detail(fields: Record<string, unknown>): void;
  /** The input is lost (process died, connection refused, folder gone): the supervisor reconnects. */
  failed(error: unknown): void;
  /** A finite input ended normally (file without loop, folder without loop): the source stops. */
  ended(reason: string): void;
}

export interface DriverSession {
  close(): Promise<void>;
}

/** Opens one session of an input. Throwing (or rejecting) is the same as calling `ctx.failed`. */
export interface SourceDriver {
  readonly type: SourceType;
  /** The input, safe to log. */
  readonly input: string;
  /** Nominal frame interval (ms) for pull-based drivers; the watchdog never fires before a few of them. */
  readonly nominalIntervalMs?: number;
  open(ctx: DriverContext): Promise<DriverSession>;
}

/** Removes user:password from a URL so it can be logged and published. */
export function redactUrl(url: string): string {
  return redactUrlCredentials(url);
}
