/**
 * Builds the production sink from the agent config: resolves device id, secrets and outbox folder,
 * opens the outbox, connects with the `offline` last will. A bad certificate, refused credentials or a
 * plain/TLS mismatch stop the start (E_TLS / E_BROKER, non-zero exit, systemd retries with backoff); an
 * unreachable broker does not: events wait in the outbox and the client keeps reconnecting.
 *
 * `waitMs` is how long to wait for the first connection before returning (default: the connect timeout).
 * The agent passes 0 so cameras, /healthz and the ready notification never wait for the broker; a fatal
 * failure that comes later settles `sink.fatal` and the agent stops with it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MaskEdgeError } from '../../core/errors.js';
import { log as defaultLog, type Logger } from '../../core/logger.js';
import { PACKAGE_ROOT } from '../../core/package-paths.js';
import { type AgentConfig, resolveDeviceId, resolveOutboxDir } from '../config/agent-config.js';
import { DiskOutbox } from '../outbox/disk-outbox.js';
import { DISCOVERY_STATE_FILE, DiscoveryAnnouncer } from './ha-announcer.js';
import { discoveryMessages } from './ha-discovery.js';
import { resolveBrokerSecrets } from './mqtt-credentials.js';
import { isFatalConnectError } from './mqtt-errors.js';
import { MqttEventSink } from './mqtt-event-sink.js';
import { createPublisher } from './mqtt-publisher.js';
import { deviceTopics } from './mqtt-topics.js';

export type SinkConfig = Pick<AgentConfig, 'device' | 'mqtt' | 'outbox'> & {
  snapshots?: { enabled: boolean };
  /** Home Assistant discovery; absent: nothing announced or removed (tests of the sink alone). */
  homeAssistant?: AgentConfig['homeAssistant'];
  /** Cameras announced to Home Assistant (the enabled ones). */
  cameras?: readonly { id: string; enabled: boolean }[];
};

export async function openMqttEventSink(
  config: SinkConfig,
  logger: Logger = defaultLog,
  env: NodeJS.ProcessEnv = process.env,
  options: { waitMs?: number } = {},
): Promise<MqttEventSink> {
  const device = resolveDeviceId(config);
  const secrets = resolveBrokerSecrets(config.mqtt, env);
  const topics = deviceTopics(config.mqtt.topicPrefix, device);
  const outbox = await DiskOutbox.open({
    dir: resolveOutboxDir(config, env),
    maxEvents: config.outbox.maxEvents,
    segmentBytes: config.outbox.segmentBytes,
    log: logger.child({ component: 'outbox' }),
  });
  const publisher = createPublisher({
    url: config.mqtt.url,
    protocolVersion: config.mqtt.protocolVersion,
    clientId: config.mqtt.clientId ?? `mask-edge-${device}`,
    secrets,
    rejectUnauthorized: config.mqtt.tls?.rejectUnauthorized ?? true,
    ...(config.mqtt.tls?.servername ? { servername: config.mqtt.tls.servername } : {}),
    will: { topic: topics.availability, payload: 'offline', retain: true, qos: 1 },
    keepaliveSeconds: config.mqtt.keepaliveSeconds,
    connectTimeoutSeconds: config.mqtt.connectTimeoutSeconds,
    reconnectSeconds: config.mqtt.reconnectSeconds,
    log: logger,
  });
  logger.info('event sink', {
    device,
    broker: publisher.url,
    protocol: publisher.protocol,
    outbox: outbox.dir,
    queued: outbox.size,
    lastSeq: outbox.lastSeq,
    secrets: secrets.sources,
  });
  const ha = config.homeAssistant;
  const discovery = ha
    ? new DiscoveryAnnouncer({
        publisher,
        messages: ha.discovery
          ? discoveryMessages({
              discoveryPrefix: ha.discoveryPrefix,
              topicPrefix: config.mqtt.topicPrefix,
              device,
              cameras: (config.cameras ?? []).filter((c) => c.enabled).map((c) => c.id),
              version: packageVersion(),
            })
          : [],
        stateFile: join(outbox.dir, DISCOVERY_STATE_FILE),
        log: logger.child({ component: 'home-assistant' }),
      })
    : undefined;
  const sink = new MqttEventSink({
    device,
    topicPrefix: config.mqtt.topicPrefix,
    publisher,
    outbox,
    maxInflight: config.mqtt.maxInflight,
    snapshots: config.snapshots?.enabled ?? false,
    ...(discovery ? { discovery } : {}),
    log: logger,
  });
  const connecting = publisher.connect();
  const warn = (err: unknown) =>
    logger.warn('broker not reachable yet; events wait in the outbox', {
      broker: publisher.url,
      error: err as Error,
    });
  if (options.waitMs === 0) {
    connecting.catch((err) => {
      if (!(err instanceof MaskEdgeError && isFatalConnectError(err))) warn(err);
    });
    return sink;
  }
  try {
    await withDeadline(connecting, options.waitMs);
  } catch (err) {
    if (err instanceof MaskEdgeError && isFatalConnectError(err)) {
      await sink.close().catch(() => undefined);
      throw err;
    }
    warn(err);
  }
  return sink;
}

function packageVersion(): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string })
      .version;
  } catch {
    return undefined;
  }
}

/** `promise`, or a rejection after `ms` (no deadline when undefined). */
function withDeadline(promise: Promise<void>, ms: number | undefined): Promise<void> {
  if (ms === undefined) return promise;
  return Promise.race([
    promise,
    new Promise<void>((_, reject) => {
      setTimeout(() => reject(new Error(`no connection within ${ms} ms`)), ms).unref();
    }),
  ]);
}
