/**
 * `mask-edge alerts --broker URL [--device D] [--camera C] [--labels incorrect,no_mask] [--json] [--group G]`:
 * prints one line per alert until Ctrl-C (or `--count` alerts), reconnecting when the broker goes away.
 */
import { MaskEdgeError } from '../../core/errors.js';
import { isLabel, LABELS, type Label } from '../../core/labels.js';
import { Logger } from '../../core/logger.js';
import { stripControlCharacters } from '../../core/secret-text.js';
import { EVENT_TYPES, type EventType } from '../events/event-types.js';
import { resolveBrokerSecrets } from '../mqtt/mqtt-credentials.js';
import { formatAlert } from './alert-format.js';
import { AlertSubscriber } from './alert-subscriber.js';

export interface AlertsOptions {
  /** Broker URL or host[:port] (default mqtt://localhost:1883, as mosquitto_sub). */
  broker?: string;
  device?: string;
  camera?: string;
  labels?: string[];
  types?: string[];
  json?: boolean;
  group?: string;
  prefix?: string;
  protocol?: string;
  username?: string;
  ca?: string;
  count?: number;
}

export interface AlertsIo {
  out?: (line: string) => void;
  logger?: Logger;
  signals?: Pick<NodeJS.Process, 'once' | 'removeListener'>;
  colour?: boolean;
  /** Called once subscribed (tests, demo). */
  onReady?: (subscriber: AlertSubscriber) => void;
}

export const DEFAULT_BROKER = 'mqtt://localhost:1883';

/** `host`, `host:port` or a URL: a bare host gets mqtt:// (and MQTT.js's default port 1883). */
export function brokerUrl(value: string | undefined): string {
  const v = (value ?? '').trim();
  if (!v) return DEFAULT_BROKER;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `mqtt://${v}`;
}

export const DEFAULT_ALERT_LABELS: readonly Label[] = ['incorrect', 'no_mask'];

/** A topic level given on the command line: no wildcards (they would widen the subscription), no '/'. */
function checkTopicLevel(option: string, value: string | undefined, whole = value): void {
  if (value === undefined) return;
  const bad = value === '' || /[+#/]/.test(value) || stripControlCharacters(value) !== value;
  if (bad || (option !== '--prefix' && value.length > 64)) {
    throw new MaskEdgeError(
      'E_USAGE',
      `${option} must be one topic level without wildcards (+ #), '/' or control characters, got '${JSON.stringify(whole).slice(1, -1).slice(0, 80)}'`,
      { detail: { option, value: whole?.slice(0, 80) } },
    );
  }
}

export function parseLabels(values: string[] | undefined): Label[] {
  if (!values || values.length === 0) return [...DEFAULT_ALERT_LABELS];
  if (values.length === 1 && values[0] === 'all') return [...LABELS];
  const bad = values.filter((v) => !isLabel(v));
  if (bad.length) {
    throw new MaskEdgeError('E_USAGE', `unknown label(s) in --labels: ${bad.join(', ')}`, {
      detail: { labels: bad, allowed: [...LABELS, 'all'] },
    });
  }
  return values as Label[];
}

function parseTypes(values: string[] | undefined): EventType[] {
  if (!values || values.length === 0) return ['new', 'update'];
  const bad = values.filter((v) => !(EVENT_TYPES as readonly string[]).includes(v));
  if (bad.length) {
    throw new MaskEdgeError('E_USAGE', `unknown event type(s) in --types: ${bad.join(', ')}`, {
      detail: { types: bad, allowed: EVENT_TYPES },
    });
  }
  return values as EventType[];
}

export async function run(opts: AlertsOptions, io: AlertsIo = {}): Promise<void> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const logger = io.logger ?? new Logger({ level: 'warn' });
  const protocol = opts.protocol ?? 'auto';
  if (protocol !== 'auto' && protocol !== '5' && protocol !== '3.1.1') {
    throw new MaskEdgeError('E_USAGE', `--protocol must be auto, 5 or 3.1.1, got '${opts.protocol}'`, {
      detail: { protocol: opts.protocol },
    });
  }
  checkTopicLevel('--device', opts.device);
  checkTopicLevel('--camera', opts.camera);
  checkTopicLevel('--group', opts.group);
  if (opts.prefix !== undefined) {
    for (const level of opts.prefix.split('/')) checkTopicLevel('--prefix', level, opts.prefix);
  }
  const colour = io.colour ?? (process.stdout.isTTY === true && !opts.json);
  const secrets = resolveBrokerSecrets({
    ...(opts.username ? { username: opts.username } : {}),
    ...(opts.ca ? { tls: { ca: opts.ca, rejectUnauthorized: true } } : {}),
  });
  let stop: (reason: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => {
    stop = resolve;
  });
  let shown = 0;
  const subscriber = new AlertSubscriber({
    url: brokerUrl(opts.broker),
    protocolVersion: protocol === 'auto' ? 'auto' : protocol === '3.1.1' ? '3.1.1' : 5,
    filter: {
      prefix: opts.prefix ?? 'mask-edge',
      ...(opts.device ? { device: opts.device } : {}),
      ...(opts.camera ? { camera: opts.camera } : {}),
      ...(opts.group ? { group: opts.group } : {}),
      labels: parseLabels(opts.labels),
      types: parseTypes(opts.types),
    },
    secrets,
    log: logger,
    onAlert: (event, origin) => {
      out(formatAlert(event, { json: opts.json ?? false, colour, origin }));
      shown += 1;
      if (opts.count !== undefined && shown >= opts.count) stop('count reached');
    },
  });
  const signals = io.signals ?? process;
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  signals.once('SIGINT', onSignal);
  signals.once('SIGTERM', onSignal);
  try {
    // Ctrl-C while the first connection is still being tried stops at once, with exit 0.
    const starting = subscriber.start().then(() => true);
    const startedFirst = await Promise.race([starting, stopped.then(() => false)]);
    if (!startedFirst) {
      starting.catch(() => undefined);
      return;
    }
    logger.info('waiting for alerts', { topic: subscriber.topic });
    io.onReady?.(subscriber);
    await stopped;
  } finally {
    signals.removeListener('SIGINT', onSignal);
    signals.removeListener('SIGTERM', onSignal);
    await subscriber.stop();
  }
}
