/**
 * The production EventSink: every event goes to the on-disk outbox first (fsync), then to the broker with
 * QoS 1; it leaves the outbox only on PUBACK. Delivery is in seq order with at most `maxInflight` events
 * unacknowledged; after an outage or a restart the backlog drains in order. Availability is `online`
 * (retained) on every connect and `offline` as last will and on close; camera state is retained and
 * re-published after a reconnect; stats are QoS 0 and skipped while disconnected.
 */
import { randomUUID } from 'node:crypto';
import { MaskEdgeError } from '../../core/errors.js';
import { log as defaultLog, type Logger } from '../../core/logger.js';
import {
  type CameraState,
  type DeliveryStats,
  type EventDraft,
  type EventSink,
  eventDraftSchema,
  fullCounts,
  type LabelCounts,
  type MaskEvent,
  type RuntimeStats,
  type SnapshotMeta,
  type SourceStatus,
  type StatsMessage,
} from '../events/event-types.js';
import type { DiskOutbox } from '../outbox/disk-outbox.js';
import type { DiscoveryAnnouncer } from './ha-announcer.js';
import type { Publisher } from './mqtt-publisher.js';
import { type DeviceTopics, deviceTopics } from './mqtt-topics.js';

export interface MqttEventSinkOptions {
  device: string;
  topicPrefix: string;
  publisher: Publisher;
  outbox: DiskOutbox;
  maxInflight?: number;
  snapshots?: boolean;
  /** Home Assistant discovery, announced after `online` on every connect. */
  discovery?: DiscoveryAnnouncer;
  log?: Logger;
}

const JSON_TYPE = 'application/json';
const RETRY_MS = 1000;

export class MqttEventSink implements EventSink {
  readonly topics: DeviceTopics;
  readonly device: string;
  private readonly publisher: Publisher;
  private readonly outbox: DiskOutbox;
  private readonly maxInflight: number;
  private readonly log: Logger;
  private readonly inflight = new Set<number>();
  private cursor = 0;
  private published = 0;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly states = new Map<string, CameraState>();
  private readonly sources = new Map<string, SourceStatus>();
  private readonly startedAt = Date.now();
  private idleWaiters: (() => void)[] = [];
  private lastRefusalLogged = 0;
  private onFatal: (err: MaskEdgeError) => void = () => undefined;
  /** Settles with the error when the broker connection failed for good (E_TLS, refused credentials). */
  readonly fatal: Promise<MaskEdgeError> = new Promise((resolve) => {
    this.onFatal = resolve;
  });

  constructor(private readonly o: MqttEventSinkOptions) {
    this.device = o.device;
    this.publisher = o.publisher;
    this.outbox = o.outbox;
    this.maxInflight = o.maxInflight ?? 16;
    this.topics = deviceTopics(o.topicPrefix, o.device);
    this.log = (o.log ?? defaultLog).child({ component: 'event-sink' });
    this.publisher.on('connect', () => this.onConnect());
    this.publisher.on('fatal', (err) => this.onFatal(err));
    if (this.publisher.connected) this.onConnect();
  }

  /** Home Assistant discovery, when configured. */
  get discovery(): DiscoveryAnnouncer | undefined {
    return this.o.discovery;
  }

  async publishEvent(draft: EventDraft): Promise<MaskEvent> {
    if (this.closed)
      throw new MaskEdgeError('E_INTERNAL', 'event sink is closed', { detail: { camera: draft.camera } });
    const parsed = eventDraftSchema.safeParse(draft);
    if (!parsed.success) {
      throw new MaskEdgeError('E_INTERNAL', 'runtime produced an event that breaks the schema', {
        detail: { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
      });
    }
    const { ts, ...rest } = parsed.data;
    const event = await this.outbox.append<MaskEvent>((seq) => ({
      id: randomUUID(),
      seq,
      device: this.device,
      ts: ts ?? new Date().toISOString(),
      ...rest,
    }));
    this.pump();
    return event;
  }

  async publishState(camera: string, counts: Partial<LabelCounts>): Promise<void> {
    const full = fullCounts(counts);
    const source = this.sources.get(camera)?.state;
    const state: CameraState = {
      device: this.device,
      camera,
      ts: new Date().toISOString(),
      counts: full,
      total: Object.values(full).reduce((a, b) => a + b, 0),
      ...(source ? { source } : {}),
    };
    this.states.set(camera, state);
    if (this.publisher.connected) await this.sendState(state);
  }

  async publishStats(stats: RuntimeStats): Promise<void> {
    if (!this.publisher.connected) return;
    const message: StatsMessage = {
      ...stats,
      sources: { ...Object.fromEntries(this.sources), ...stats.sources },
      ...this.deliveryStats(),
      device: this.device,
      ts: new Date().toISOString(),
      uptimeSec: Math.round((Date.now() - this.startedAt) / 1000),
    };
    await this.publisher
      .publish(this.topics.stats, JSON.stringify(message), { qos: 0, contentType: JSON_TYPE })
      .catch((err) => this.log.debug('stats not published', { error: err }));
  }

  setSourceState(camera: string, status: SourceStatus): void {
    const before = this.sources.get(camera);
    this.sources.set(camera, status);
    if (before?.state !== status.state) {
      const fields = { camera, state: status.state, ...(status.error ? { error: status.error } : {}) };
      if (status.state === 'offline') this.log.warn('source offline', fields);
      else this.log.info('source state', fields);
      // The retained state topic says whether the camera is watching: re-publish it with the new status.
      const last = this.states.get(camera);
      void this.publishState(camera, last?.counts ?? {});
    }
  }

  /**
   * The JPEG goes to `<camera>/snapshot` (QoS 0, not retained, as before) and, when the label is known,
   * retained to `<camera>/<label>/snapshot` (QoS 1) so a dashboard shows the latest face per label. With
   * MQTT 5 both carry the event id, track id and label as user properties (the link to the event).
   */
  async publishSnapshot(camera: string, jpeg: Buffer, meta: SnapshotMeta): Promise<void> {
    if (!this.o.snapshots || !this.publisher.connected) return;
    const userProperties = Object.fromEntries(
      Object.entries({ event_id: meta.eventId, track_id: meta.trackId, label: meta.label, kind: meta.kind })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    );
    const sent = [
      this.publisher.publish(this.topics.snapshot(camera), jpeg, {
        qos: 0,
        contentType: 'image/jpeg',
        userProperties,
      }),
    ];
    if (meta.label) {
      sent.push(
        this.publisher.publish(this.topics.labelSnapshot(camera, meta.label), jpeg, {
          qos: 1,
          retain: true,
          contentType: 'image/jpeg',
          userProperties,
        }),
      );
    }
    await Promise.all(sent).catch((err) => this.log.debug('snapshot not published', { error: err, ...meta }));
  }

  deliveryStats(): DeliveryStats {
    const s = this.outbox.stats();
    const brokerError = this.publisher.lastError;
    return {
      queuedEvents: s.queued,
      droppedEvents: s.dropped,
      publishedEvents: this.published,
      broker: this.publisher.connected ? 'connected' : 'disconnected',
      lostEvents: s.lostEvents,
      outbox: s.writable ? 'ok' : (s.writeError ?? 'not writable'),
      ...(brokerError ? { brokerError } : {}),
    };
  }

  /** Resolves when every stored event was acknowledged (or after `timeoutMs`); false on timeout. */
  async drained(timeoutMs: number): Promise<boolean> {
    if (this.outbox.size === 0) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(this.outbox.size === 0), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.publisher.connected) await this.drained(3000);
    this.closed = true;
    clearTimeout(this.retryTimer);
    if (this.publisher.connected) {
      await withTimeout(
        this.publisher.publish(this.topics.availability, 'offline', { qos: 1, retain: true }),
        2000,
      ).catch((err) => this.log.warn('offline not published', { error: err }));
    }
    await this.publisher.close();
    await this.outbox.close();
    this.log.info('event sink closed', { ...this.deliveryStats(), lastSeq: this.outbox.lastSeq });
  }

  private onConnect(): void {
    if (this.closed) return;
    this.publisher
      .publish(this.topics.availability, 'online', { qos: 1, retain: true })
      .catch((err) => this.log.warn('online not published', { error: err }));
    for (const state of this.states.values()) void this.sendState(state);
    void this.o.discovery?.announce();
    // Events in flight when the connection dropped are re-sent by the client; continue after them.
    this.pump();
  }

  private async sendState(state: CameraState): Promise<void> {
    await this.publisher
      .publish(this.topics.state(state.camera), JSON.stringify(state), {
        qos: 1,
        retain: true,
        contentType: JSON_TYPE,
      })
      .catch((err) => this.log.debug('state not published', { camera: state.camera, error: err }));
  }

  /** Sends pending events in seq order while connected and under the in-flight limit. */
  private pump(): void {
    if (this.closed || !this.publisher.connected) return;
    while (this.inflight.size < this.maxInflight) {
      const next = this.outbox.pendingFrom(this.cursor, 1)[0];
      if (!next) break;
      this.cursor = next.seq + 1;
      if (this.inflight.has(next.seq)) continue;
      this.send(next.seq, next.event as MaskEvent);
    }
  }

  private send(seq: number, event: MaskEvent): void {
    this.inflight.add(seq);
    this.publisher
      .publish(this.topics.events(event.camera), JSON.stringify(event), { qos: 1, contentType: JSON_TYPE })
      .then(
        () => {
          this.inflight.delete(seq);
          this.outbox.resolve(seq);
          this.published += 1;
          if (this.outbox.size === 0) this.notifyIdle();
          this.pump();
        },
        (err) => {
          this.inflight.delete(seq);
          if (this.closed) return;
          // Not acknowledged: send it again (from this seq on, keeping order) once we can.
          this.cursor = Math.min(this.cursor, seq);
          // Usually a dropped connection (debug); a refusal (MQTT 5 PUBACK reason >= 0x80, e.g. not
          // authorized) keeps the event in the outbox and is worth a warning, at most every 30 s.
          const now = Date.now();
          if (this.publisher.connected && now - this.lastRefusalLogged > 30_000) {
            this.lastRefusalLogged = now;
            this.log.warn('broker refused an event; it stays in the outbox and is retried', {
              seq,
              error: err,
            });
          } else {
            this.log.debug('event not acknowledged, will retry', { seq, error: err });
          }
          clearTimeout(this.retryTimer);
          this.retryTimer = setTimeout(() => this.pump(), RETRY_MS);
        },
      );
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
