/**
 * A reconnecting MQTT publisher over MQTT.js. Publishers are keyed by the broker URL's scheme (mqtt,
 * mqtts, ws, wss); every one honours the same contract (test/mqtt/publisher-contract.test.ts):
 * - `connect()` resolves on the first CONNACK; fails fast with E_TLS / E_BROKER(fatal) on a bad
 *   certificate or refused credentials; other failures (broker down) reject with E_BROKER after `waitMs`
 *   while the client keeps reconnecting in the background. A fatal failure of the first connection, even
 *   after `connect()` gave up waiting, ends the client and emits `fatal`. A reset before any CONNACK is
 *   probed once for a plain/TLS mismatch (tls-mismatch-probe.ts), which is fatal E_TLS with a hint.
 * - `publish()` resolves when the broker acknowledged a QoS 1 message (PUBACK) and rejects when the
 *   client is closed before that. QoS 1 messages in flight when a connection drops are re-sent by MQTT.js
 *   after reconnecting, in order.
 * - the last will is published by the broker when the connection is lost without DISCONNECT.
 */
import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { MaskEdgeError } from '../../core/errors.js';
import { log as defaultLog, type Logger } from '../../core/logger.js';
import type { MqttScheme } from '../config/mqtt-config.js';
import type { BrokerSecrets } from './mqtt-credentials.js';
import { isFatalConnectError, toBrokerError } from './mqtt-errors.js';
import { safeUrl, type Transport, transportFor } from './mqtt-transports.js';
import { mismatchError, probeProtocolMismatch } from './tls-mismatch-probe.js';

export interface WillMessage {
  topic: string;
  payload: string;
  retain: boolean;
  qos: 0 | 1;
}

export interface PublisherOptions {
  url: string;
  protocolVersion?: 5 | '3.1.1';
  clientId: string;
  secrets?: BrokerSecrets;
  rejectUnauthorized?: boolean;
  servername?: string;
  will?: WillMessage;
  keepaliveSeconds?: number;
  connectTimeoutSeconds?: number;
  reconnectSeconds?: number;
  log?: Logger;
}

export interface PublishOptions {
  qos: 0 | 1;
  retain?: boolean;
  /** MQTT 5 content type (ignored by 3.1.1). */
  contentType?: string;
  /** MQTT 5 user properties (ignored by 3.1.1). */
  userProperties?: Record<string, string>;
}

export interface Publisher {
  readonly url: string;
  readonly protocol: string;
  readonly connected: boolean;
  /** The last connection error (message and hint), while not connected. */
  readonly lastError?: string | undefined;
  on(event: 'connect' | 'disconnect', listener: () => void): this;
  /** The first connection failed for a reason retrying cannot fix (E_TLS, refused credentials). */
  on(event: 'fatal', listener: (err: MaskEdgeError) => void): this;
  connect(options?: { waitMs?: number }): Promise<void>;
  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void>;
  /** DISCONNECTs cleanly (no last will), waiting up to `timeoutMs` for in-flight messages. */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

export type PublisherFactory = (options: PublisherOptions, transport: Transport) => Publisher;

class MqttJsPublisher extends EventEmitter implements Publisher {
  private client: MqttClient | undefined;
  private closing = false;
  private lastErrorLogged = 0;
  private everConnected = false;
  private probed = false;
  private lastErr: MaskEdgeError | undefined;
  readonly url: string;
  readonly protocol: string;
  private readonly log: Logger;

  constructor(
    private readonly options: PublisherOptions,
    private readonly transport: Transport,
  ) {
    super();
    this.url = safeUrl(options.url);
    this.protocol = options.protocolVersion === '3.1.1' ? 'MQTT 3.1.1' : 'MQTT 5';
    this.log = (options.log ?? defaultLog).child({ component: 'mqtt', broker: this.url });
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  get lastError(): string | undefined {
    if (this.connected || !this.lastErr) return undefined;
    const hint = this.lastErr.detail.hint;
    return `${this.lastErr.code}: ${this.lastErr.message}${typeof hint === 'string' ? ` (${hint})` : ''}`;
  }

  connect(options: { waitMs?: number } = {}): Promise<void> {
    if (this.client)
      throw new MaskEdgeError('E_INTERNAL', 'publisher already connected', { detail: { url: this.url } });
    const client = mqtt.connect(this.options.url, this.clientOptions());
    this.client = client;
    client.on('connect', () => {
      this.everConnected = true;
      this.lastErr = undefined;
      // Small QoS 1 messages: without TCP_NODELAY, Nagle + delayed ACK stall each burst ~40 ms.
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      this.log.info('connected', { protocol: this.protocol });
      this.emit('connect');
    });
    client.on('close', () => {
      if (!this.closing) this.emit('disconnect');
    });
    client.on('offline', () => this.log.warn('broker unreachable, reconnecting'));
    return new Promise<void>((resolve, reject) => {
      const waitMs = options.waitMs ?? (this.options.connectTimeoutSeconds ?? 15) * 1000;
      let lastError: MaskEdgeError | undefined;
      let settled = false;
      const timer = setTimeout(() => {
        done(
          lastError ??
            new MaskEdgeError('E_BROKER', `broker ${this.url} did not answer within ${waitMs} ms`, {
              detail: { url: this.url },
            }),
        );
      }, waitMs);
      const done = (err?: MaskEdgeError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.removeListener('connect', onConnect);
        if (err) reject(err);
        else resolve();
      };
      const onConnect = () => done();
      client.once('connect', onConnect);
      const giveUp = (err: MaskEdgeError) => {
        // First connection: give up now (retrying a bad certificate or password cannot help).
        this.lastErr = err;
        this.logError(err, true);
        this.closing = true;
        client.end(true);
        done(err);
        this.emit('fatal', err);
      };
      client.on('error', (raw) => {
        const err = toBrokerError(raw, { url: this.url });
        lastError = err;
        this.lastErr = err;
        if (this.closing) return;
        if (isFatalConnectError(err) && !client.connected && !this.everConnected) {
          giveUp(err);
          return;
        }
        this.logError(err);
        // A reset before any CONNACK is also what a plain/TLS mismatch looks like: ask the port once.
        if (!this.everConnected && !this.probed && err.detail.errno === 'ECONNRESET') {
          this.probed = true;
          void probeProtocolMismatch(this.options.url).then((answer) => {
            const mismatch = mismatchError(this.url, answer);
            if (mismatch && !this.everConnected && !this.closing) giveUp(mismatch);
          });
        }
      });
    });
  }

  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
    const client = this.client;
    if (!client || this.closing) {
      return Promise.reject(
        new MaskEdgeError('E_BROKER', 'publisher is closed', { detail: { url: this.url, topic } }),
      );
    }
    const v5 = this.options.protocolVersion !== '3.1.1';
    const properties =
      v5 && (options.contentType || options.userProperties)
        ? {
            ...(options.contentType
              ? {
                  contentType: options.contentType,
                  payloadFormatIndicator: !options.contentType.startsWith('image/'),
                }
              : {}),
            ...(options.userProperties && Object.keys(options.userProperties).length > 0
              ? { userProperties: options.userProperties }
              : {}),
          }
        : undefined;
    return new Promise<void>((resolve, reject) => {
      client.publish(
        topic,
        payload,
        { qos: options.qos, retain: options.retain ?? false, ...(properties ? { properties } : {}) },
        (err) => {
          if (err) reject(toBrokerError(err, { url: this.url }));
          else resolve();
        },
      );
    });
  }

  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    const client = this.client;
    if (!client || this.closing) return;
    this.closing = true;
    const timeoutMs = options.timeoutMs ?? 3000;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => client.end(true, {}, () => resolve()), timeoutMs);
      client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private clientOptions(): IClientOptions {
    const o = this.options;
    const s = o.secrets;
    const v5 = o.protocolVersion !== '3.1.1';
    const opts: IClientOptions = {
      protocolVersion: v5 ? 5 : 4,
      clientId: o.clientId,
      clean: true,
      keepalive: o.keepaliveSeconds ?? 30,
      connectTimeout: (o.connectTimeoutSeconds ?? 15) * 1000,
      reconnectPeriod: (o.reconnectSeconds ?? 2) * 1000,
      resubscribe: true,
      queueQoSZero: false,
      ...(s?.username !== undefined ? { username: s.username } : {}),
      ...(s?.password !== undefined ? { password: s.password } : {}),
    };
    if (o.will) {
      opts.will = {
        topic: o.will.topic,
        payload: Buffer.from(o.will.payload),
        retain: o.will.retain,
        qos: o.will.qos,
      };
    }
    if (this.transport.tls) {
      opts.rejectUnauthorized = o.rejectUnauthorized ?? true;
      if (s?.ca) opts.ca = s.ca;
      if (s?.cert) opts.cert = s.cert;
      if (s?.key) opts.key = s.key;
      if (o.servername) opts.servername = o.servername;
    }
    return opts;
  }

  /** At most one error line per 30 s while reconnecting, so a dead broker does not flood the journal. */
  private logError(err: MaskEdgeError, always = false): void {
    const now = Date.now();
    if (!always && now - this.lastErrorLogged < 30_000) return;
    this.lastErrorLogged = now;
    this.log.error(err.message, { code: err.code, ...err.detail });
  }
}

const mqttJs: PublisherFactory = (options, transport) => new MqttJsPublisher(options, transport);

/** One factory per URL scheme. All use MQTT.js today; a scheme can get its own implementation. */
export const PUBLISHERS: Readonly<Record<MqttScheme, PublisherFactory>> = {
  mqtt: mqttJs,
  mqtts: mqttJs,
  ws: mqttJs,
  wss: mqttJs,
};

export function createPublisher(options: PublisherOptions): Publisher {
  const transport = transportFor(options.url);
  return PUBLISHERS[transport.scheme](options, transport);
}
