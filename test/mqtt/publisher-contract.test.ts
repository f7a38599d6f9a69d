/**
 * The contract every publisher implementation honours, run against each broker we support:
 * MQTT 5 and 3.1.1 against mosquitto, 3.1.1 against the embedded aedes broker (used by the demo).
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger } from '../../src/core/logger.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../src/edge/demo/embedded-broker.js';
import { createPublisher, PUBLISHERS, type Publisher } from '../../src/edge/mqtt/mqtt-publisher.js';
import { TRANSPORTS } from '../../src/edge/mqtt/mqtt-transports.js';
import { freePort, MOSQUITTO_MISSING, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { collect } from './mqtt-test-clients.js';

const quiet = new Logger({ level: 'error', json: true, sink: { write: () => undefined } });
let mosquitto: Mosquitto | undefined;
let aedes: EmbeddedBroker;
let aedesWs: EmbeddedBroker;

/** aedes behind a WebSocket server (the `ws` package MQTT.js itself depends on): exercises ws:// URLs. */
async function startWebSocketAedes(): Promise<EmbeddedBroker> {
  const { WebSocketServer, createWebSocketStream } = createRequire(import.meta.url)('ws') as {
    WebSocketServer: new (
      o: object,
    ) => {
      on(e: 'connection', f: (ws: unknown) => void): void;
      clients: Set<{ terminate(): void }>;
      close(): void;
    };
    createWebSocketStream: (ws: unknown) => import('node:stream').Duplex;
  };
  const broker = await Aedes.createBroker();
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => broker.handle(createWebSocketStream(ws) as never));
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}

beforeAll(async () => {
  mosquitto = await startMosquitto();
  if (!mosquitto) console.warn(MOSQUITTO_MISSING);
  aedes = await startEmbeddedBroker();
  aedesWs = await startWebSocketAedes();
});
afterAll(async () => {
  await mosquitto?.stop();
  await aedes.close();
  await aedesWs.close();
});

const targets = [
  { name: 'mosquitto, MQTT 5', url: () => mosquitto?.url, protocolVersion: 5 as const },
  { name: 'mosquitto, MQTT 3.1.1', url: () => mosquitto?.url, protocolVersion: '3.1.1' as const },
  { name: 'aedes (embedded), MQTT 3.1.1', url: () => aedes.url, protocolVersion: '3.1.1' as const },
  {
    name: 'aedes over WebSocket (ws://), MQTT 3.1.1',
    url: () => aedesWs.url,
    protocolVersion: '3.1.1' as const,
  },
];

describe.each(targets)('publisher contract: $name', ({ url, protocolVersion }) => {
  const open = (brokerUrl: string, clientId: string): Publisher =>
    createPublisher({ url: brokerUrl, protocolVersion, clientId, reconnectSeconds: 0.2, log: quiet });

  it('QoS 1 publish resolves after the broker acknowledged it and a subscriber receives it; retained stays', async (ctx) => {
    const brokerUrl = url();
    if (!brokerUrl) return ctx.skip();
    const topic = `contract/${Math.random().toString(16).slice(2)}`;
    const sub = await collect(brokerUrl, [`${topic}/#`]);
    const publisher = open(brokerUrl, `contract-${protocolVersion}`);
    await publisher.connect();
    expect(publisher.connected).toBe(true);
    for (let i = 0; i < 20; i++)
      await publisher.publish(`${topic}/seq`, String(i), { qos: 1, contentType: 'text/plain' });
    await publisher.publish(`${topic}/kept`, 'retained-value', { qos: 1, retain: true });
    await sub.waitFor(() => sub.messages.filter((m) => m.topic.endsWith('/seq')).length === 20);
    expect(sub.messages.filter((m) => m.topic.endsWith('/seq')).map((m) => m.payload)).toEqual(
      Array.from({ length: 20 }, (_, i) => String(i)),
    );
    const late = await collect(brokerUrl, [`${topic}/kept`]);
    await late.waitFor(() => late.messages.length === 1);
    expect(late.messages[0]).toMatchObject({ payload: 'retained-value', retain: true });
    await publisher.close();
    await expect(publisher.publish(`${topic}/seq`, 'x', { qos: 1 })).rejects.toMatchObject({
      code: 'E_BROKER',
    });
    await sub.close();
    await late.close();
  });

  it('the last will is published when the connection is lost without DISCONNECT', async (ctx) => {
    const brokerUrl = url();
    if (!brokerUrl) return ctx.skip();
    const topic = `contract/will-${Math.random().toString(16).slice(2)}`;
    const sub = await collect(brokerUrl, [topic]);
    const publisher = createPublisher({
      url: brokerUrl,
      protocolVersion,
      clientId: `will-${Math.random().toString(16).slice(2)}`,
      will: { topic, payload: 'offline', retain: true, qos: 1 },
      reconnectSeconds: 60,
      log: quiet,
    });
    await publisher.connect();
    // Drop the TCP connection the way a crash would: no DISCONNECT packet.
    (publisher as unknown as { client: { stream: { destroy(): void } } }).client.stream.destroy();
    await sub.waitFor(() => sub.messages.some((m) => m.payload === 'offline'));
    await publisher.close({ timeoutMs: 200 });
    await sub.close();
  });
});

describe('publisher registry', () => {
  it('has one publisher per URL scheme and refuses unknown schemes with a code', () => {
    expect(Object.keys(PUBLISHERS).sort()).toEqual(Object.keys(TRANSPORTS).sort());
    expect(() => createPublisher({ url: 'http://127.0.0.1:80', clientId: 'x' })).toThrow(
      expect.objectContaining({ code: 'E_UNSUPPORTED' }),
    );
  });

  it('a broker that is not there gives E_BROKER (not fatal) after the wait', async () => {
    const port = await freePort();
    const publisher = createPublisher({
      url: `mqtt://127.0.0.1:${port}`,
      clientId: 'nobody',
      reconnectSeconds: 0.2,
      log: quiet,
    });
    await expect(publisher.connect({ waitMs: 800 })).rejects.toMatchObject({
      code: 'E_BROKER',
      detail: { url: `mqtt://127.0.0.1:${port}` },
    });
    await publisher.close({ timeoutMs: 200 });
  });
});
