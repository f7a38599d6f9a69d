/**
 * Subscribes to agents' event topics and hands each valid, not-yet-seen alert to a callback.
 * QoS 1 is at-least-once, so events are de-duplicated by id (the last 10,000 ids are remembered).
 * Reconnects by itself (MQTT.js re-subscribes after a reconnect); MQTT 5 shared subscriptions
 * (`$share/<group>/...`) let several consumers split the stream.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Label } from '../../core/labels.js';
import { log as defaultLog, type Logger } from '../../core/logger.js';
import { type EventType, type MaskEvent, maskEventSchema } from '../events/event-types.js';
import type { BrokerSecrets } from '../mqtt/mqtt-credentials.js';
import { toBrokerError } from '../mqtt/mqtt-errors.js';
import { eventsFilter, parseEventsTopic } from '../mqtt/mqtt-topics.js';
import { safeUrl, transportFor } from '../mqtt/mqtt-transports.js';
import type { AlertOrigin } from './alert-format.js';

export interface AlertFilter {
  prefix: string;
  device?: string;
  camera?: string;
  labels: readonly Label[];
  types: readonly EventType[];
  group?: string;
}

export interface AlertSubscriberOptions {
  url: string;
  /** 'auto' (default): MQTT 5, or 3.1.1 where the broker refuses 5. */
  protocolVersion?: 'auto' | 5 | '3.1.1';
  filter: AlertFilter;
  secrets?: BrokerSecrets;
  clientId?: string;
  log?: Logger;
  /** A new alert, with where it really came from (the topic) and what its payload claimed if different. */
  onAlert: (event: MaskEvent, origin: AlertOrigin) => void;
  onConnect?: () => void;
}

const REMEMBERED_IDS = 10_000;
/** An event is a few hundred bytes; anything far larger is not one (and is not parsed). */
export const MAX_EVENT_BYTES = 64 * 1024;

/** The broker refused MQTT 5's protocol version: try 3.1.1. */
class ProtocolRefused extends Error {}

export class AlertSubscriber {
  private client: MqttClient | undefined;
  private readonly seen = new Set<string>();
  private readonly log: Logger;
  readonly topic: string;
  counts = { received: 0, shown: 0, duplicates: 0, invalid: 0, mismatched: 0 };

  constructor(private readonly o: AlertSubscriberOptions) {
    this.log = (o.log ?? defaultLog).child({ component: 'alerts', broker: safeUrl(o.url) });
    this.topic = eventsFilter(o.filter);
  }

  /** The protocol the connection uses (after negotiation), e.g. 'MQTT 5' or 'MQTT 3.1.1'. */
  protocol: 'MQTT 5' | 'MQTT 3.1.1' | undefined;

  /**
   * Connects and subscribes; resolves on the first SUBACK. Fails with E_TLS/E_BROKER when it cannot.
   * `protocolVersion: 'auto'` (the default) tries MQTT 5 and, when the broker refuses that protocol version
   * (CONNACK 1 in 3.1.1, 0x84 in 5: e.g. the demo's embedded aedes broker), connects again with MQTT 3.1.1.
   */
  async start(waitMs = 15_000): Promise<void> {
    const wanted = this.o.protocolVersion ?? 'auto';
    if (wanted !== 'auto') return this.connect(wanted === '3.1.1' ? 4 : 5, waitMs, false);
    try {
      await this.connect(5, waitMs, true);
    } catch (err) {
      if (!(err instanceof ProtocolRefused)) throw err;
      this.log.info('broker refused MQTT 5, using MQTT 3.1.1');
      await this.connect(4, waitMs, false);
    }
  }

  private async connect(version: 4 | 5, waitMs: number, mayFallBack: boolean): Promise<void> {
    const transport = transportFor(this.o.url);
    const s = this.o.secrets;
    const client = mqtt.connect(this.o.url, {
      protocolVersion: version,
      clientId: this.o.clientId ?? `mask-edge-alerts-${Math.random().toString(16).slice(2, 10)}`,
      clean: true,
      reconnectPeriod: 2000,
      connectTimeout: waitMs,
      ...(s?.username !== undefined ? { username: s.username } : {}),
      ...(s?.password !== undefined ? { password: s.password } : {}),
      ...(transport.tls && s?.ca ? { ca: s.ca } : {}),
      ...(transport.tls && s?.cert ? { cert: s.cert } : {}),
      ...(transport.tls && s?.key ? { key: s.key } : {}),
    });
    this.client = client;
    this.protocol = version === 5 ? 'MQTT 5' : 'MQTT 3.1.1';
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('offline', () => this.log.warn('broker unreachable, reconnecting'));
    client.on('connect', () => {
      this.log.info('subscribed', { topic: this.topic, protocol: this.protocol });
      this.o.onConnect?.();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.end(true);
        reject(toBrokerError(new Error(`no answer within ${waitMs} ms`), { url: safeUrl(this.o.url) }));
      }, waitMs);
      let connected = false;
      client.on('error', (raw) => {
        const code = (raw as { code?: unknown }).code;
        if (mayFallBack && !connected && (code === 1 || code === 132)) {
          clearTimeout(timer);
          client.end(true);
          reject(new ProtocolRefused());
          return;
        }
        const err = toBrokerError(raw, { url: safeUrl(this.o.url) });
        this.log.error(err.message, { code: err.code });
        if (err.code === 'E_TLS' || err.detail.fatal) {
          clearTimeout(timer);
          client.end(true);
          reject(err);
        }
      });
      client.once('connect', () => {
        connected = true;
        client.subscribe(this.topic, { qos: 1 }, (err) => {
          clearTimeout(timer);
          if (err) reject(toBrokerError(err, { url: safeUrl(this.o.url) }));
          else resolve();
        });
      });
    });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync().catch(() => undefined);
  }

  private onMessage(topic: string, payload: Buffer): void {
    this.counts.received += 1;
    const where = parseEventsTopic(this.o.filter.prefix, topic);
    let event: MaskEvent;
    try {
      if (payload.length > MAX_EVENT_BYTES) throw new Error('too large');
      event = maskEventSchema.parse(JSON.parse(payload.toString('utf8')));
    } catch {
      this.counts.invalid += 1;
      this.log.warn('ignored a message that is not a mask-edge event', {
        topic: topic.slice(0, 256),
        bytes: payload.length,
      });
      return;
    }
    // The topic is what the broker's ACLs vouch for; the payload is whatever the publisher wrote.
    const origin: AlertOrigin = where ?? { device: event.device, camera: event.camera };
    if (where && (where.device !== event.device || where.camera !== event.camera)) {
      origin.claimed = { device: event.device, camera: event.camera };
      this.counts.mismatched += 1;
    }
    if (this.seen.has(event.id)) {
      this.counts.duplicates += 1;
      return;
    }
    this.seen.add(event.id);
    if (this.seen.size > REMEMBERED_IDS) this.seen.delete(this.seen.values().next().value!);
    if (!this.o.filter.labels.includes(event.label) || !this.o.filter.types.includes(event.type)) return;
    this.counts.shown += 1;
    this.o.onAlert(event, origin);
  }
}
