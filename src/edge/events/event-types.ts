/**
 * The event contract between the agent runtime (which sees tracks) and whatever carries events out of the
 * device (MQTT with an on-disk outbox in production, a recorder in tests). The JSON published on
 * `<prefix>/<device>/<camera>/events` is exactly `MaskEvent`. Fields added later (Frigate's `start_time`,
 * `end_time`, `top_score`, `has_snapshot`) are optional so events stored by an older agent still parse.
 */
import { z } from 'zod';
import { LABELS, type Label } from '../../core/labels.js';

export const EVENT_TYPES = ['new', 'update', 'end'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const nonNegative = z.number().finite().nonnegative();

/** One published event: a track appeared (`new`), changed label (`update`) or left (`end`). */
export const maskEventSchema = z
  .object({
    id: z.string().min(1).describe('unique event id (UUID); consumers de-duplicate on it'),
    seq: z
      .number()
      .int()
      .nonnegative()
      .describe('per-device sequence number, strictly increasing, survives agent restarts'),
    device: z.string().min(1).describe('device id (config device.id, default hostname)'),
    camera: z.string().min(1).describe('camera id from the source config'),
    ts: z.iso.datetime({ offset: true }).describe('ISO 8601 time of the frame that produced the event'),
    type: z.enum(EVENT_TYPES).describe('new: track first reported; update: label changed; end: track left'),
    trackId: z.number().int().nonnegative().describe('tracker id, unique per camera while the agent runs'),
    label: z.enum(LABELS).describe('stable mask-usage label of the track'),
    score: z.number().min(0).max(1).describe('classifier probability of the label'),
    box: z
      .tuple([nonNegative, nonNegative, nonNegative, nonNegative])
      .describe('[x, y, width, height] of the face in frame pixels'),
    frame: z
      .object({ width: z.number().int().positive(), height: z.number().int().positive() })
      .strict()
      .describe('frame size in pixels'),
    model: z
      .object({ name: z.string().min(1), version: z.string().min(1) })
      .strict()
      .describe('classifier model that produced the label'),
    // Frigate-style fields (snake_case like Frigate's events). Optional: events stored by an older agent
    // (in an outbox) and consumers written before them still parse.
    start_time: z
      .number()
      .nonnegative()
      .optional()
      .describe('Unix time (seconds, fractional) the person was first seen on this track'),
    end_time: z
      .number()
      .nonnegative()
      .nullable()
      .optional()
      .describe('Unix time (seconds) the track ended; null while it is still live (new/update)'),
    top_score: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe("highest classifier probability of the event's label seen on this track so far"),
    has_snapshot: z
      .boolean()
      .optional()
      .describe(
        'a JPEG snapshot of this track was published (<camera>/snapshot and retained <camera>/<label>/snapshot, MQTT 5 user property event_id = id)',
      ),
  })
  .strict();

export type MaskEvent = z.infer<typeof maskEventSchema>;

/**
 * What the runtime hands the sink: everything but the fields the sink owns (`id`, `seq`, `device`).
 * `ts` may be given (frame capture time); the sink uses "now" when it is absent.
 */
export type EventDraft = Omit<MaskEvent, 'id' | 'seq' | 'device' | 'ts'> & { ts?: string };

export const eventDraftSchema = maskEventSchema
  .omit({ id: true, seq: true, device: true })
  .extend({ ts: maskEventSchema.shape.ts.optional() });

/** People currently seen per label on one camera; published retained on `<camera>/state`. */
export type LabelCounts = Record<Label, number>;

export interface CameraState {
  device: string;
  camera: string;
  ts: string;
  counts: LabelCounts;
  total: number;
  /** The camera source's state (online/offline/...) when the state was published. */
  source?: SourceState;
}

export const SOURCE_STATES = ['starting', 'online', 'offline', 'stopped'] as const;
export type SourceState = (typeof SOURCE_STATES)[number];

/** A frame source's health as the runtime sees it. */
export interface SourceStatus {
  state: SourceState;
  /** ISO time of the last state change. */
  since?: string;
  /** Last error text (never contains credentials: URLs are redacted by the runtime). */
  error?: string;
  restarts?: number;
  fps?: number;
  droppedFrames?: number;
}

/** What the runtime reports periodically; the sink adds device, time and outbox figures. */
export interface RuntimeStats {
  fps: number;
  latencyMs: { p50: number; p95: number };
  /** Execution provider(s) in use, e.g. { detector: 'cpu', classifier: 'cpu' }. */
  providers: Record<string, string>;
  sources: Record<string, SourceStatus>;
  droppedFrames: number;
  framesProcessed?: number;
  [extra: string]: unknown;
}

/** Outbox/broker figures the sink owns. */
export interface DeliveryStats {
  queuedEvents: number;
  /** Events dropped this run: the oldest when the outbox was full, or refused by the disk (ENOSPC). */
  droppedEvents: number;
  publishedEvents: number;
  broker: 'connected' | 'disconnected' | 'none';
  /** Unreadable outbox records found at start (damaged files): events counted as lost. */
  lostEvents?: number;
  /** 'ok', or why the outbox cannot write (e.g. "ENOSPC: ..."). */
  outbox?: string;
  /** Why the broker is not connected, when known (last connection error, with a hint). */
  brokerError?: string;
}

/** The message published on `<prefix>/<device>/stats`. */
export type StatsMessage = RuntimeStats & DeliveryStats & { device: string; ts: string; uptimeSec: number };

export interface SnapshotMeta {
  kind: 'face' | 'frame';
  eventId?: string;
  trackId?: number;
  /** The event's label: the snapshot is also kept (retained) per camera and label. */
  label?: Label;
}

/**
 * Where the agent runtime sends what it sees. Implementations: `MqttEventSink` (outbox + MQTT),
 * `RecordingEventSink` (tests). Every method may be called before the broker is reachable.
 */
export interface EventSink {
  /** Assigns id, seq, device (and ts when absent), stores the event durably, then publishes it. */
  publishEvent(draft: EventDraft): Promise<MaskEvent>;
  /** Counts of people currently seen per label on a camera (labels missing count as 0). */
  publishState(camera: string, counts: Partial<LabelCounts>): Promise<void>;
  publishStats(stats: RuntimeStats): Promise<void>;
  /** Records a source's state; included in the next stats message and logged on change. */
  setSourceState(camera: string, status: SourceStatus): void;
  /** Optional JPEG snapshot; sinks drop it unless snapshots are enabled in config. */
  publishSnapshot?(camera: string, jpeg: Buffer, meta: SnapshotMeta): Promise<void>;
  /** Flushes what it can and releases resources (publishes `offline` for MQTT). */
  close(): Promise<void>;
  /** Settles with the error when the sink failed for good (e.g. the broker refused TLS or credentials). */
  readonly fatal?: Promise<Error>;
}

export function fullCounts(counts: Partial<LabelCounts>): LabelCounts {
  const out = {} as LabelCounts;
  for (const label of LABELS) out[label] = counts[label] ?? 0;
  return out;
}
