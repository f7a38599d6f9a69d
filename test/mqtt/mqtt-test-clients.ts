/** Test-side MQTT clients: a collecting subscriber (MQTT.js) and `mosquitto_sub` as an outside client. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';
import { type MaskEvent, maskEventSchema } from '../../src/edge/events/event-types.js';

export interface Collector {
  client: MqttClient;
  events: MaskEvent[];
  messages: { topic: string; payload: string; retain: boolean }[];
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function collect(
  url: string,
  topics: string[],
  options: { clientId?: string; persistent?: boolean; protocolVersion?: 4 | 5 } = {},
): Promise<Collector> {
  const client = mqtt.connect(url, {
    protocolVersion: options.protocolVersion ?? 4,
    clientId: options.clientId ?? `collector-${Math.random().toString(16).slice(2)}`,
    clean: !options.persistent,
    reconnectPeriod: 300,
  });
  const events: MaskEvent[] = [];
  const messages: Collector['messages'] = [];
  client.on('message', (topic, payload, packet) => {
    const text = payload.toString();
    messages.push({ topic, payload: text, retain: packet.retain });
    if (topic.endsWith('/events')) events.push(maskEventSchema.parse(JSON.parse(text)));
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(topics, { qos: 1 });
  return {
    client,
    events,
    messages,
    waitFor: (predicate, timeoutMs = 30_000) => waitFor(predicate, timeoutMs),
    close: () => client.endAsync(),
  };
}

export async function waitFor(predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads retained messages with the real mosquitto_sub: `-C n` messages, `-W` seconds at most. */
export function mosquittoSub(bin: string, port: number, topic: string, count = 1): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-C', String(count), '-W', '10', '-V', 'mqttv5'],
      (err, stdout) => (err ? reject(err) : resolve(stdout.trim().split('\n'))),
    );
  });
}

/** Runs a compiled child script, collecting `durable <seq> <id>` lines. */
export function runChild(script: string, args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const durable: { seq: number; id: string }[] = [];
  let out = '';
  let err = '';
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      const m = /^durable (\d+) (\S+)$/.exec(line);
      if (m) durable.push({ seq: Number(m[1]), id: m[2]! });
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    durable,
    exited,
    get stdout() {
      return out;
    },
    get stderr() {
      return err;
    },
  };
}
