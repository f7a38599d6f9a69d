/**
 * Issue 12, items 6 and 7, with the real agent wiring (MQTT sink, outbox, /healthz), real models and a
 * real mosquitto behind a front that can play dead (accepts, never answers: the client would wait its
 * whole connect timeout). Cameras, /healthz and READY must not wait for the broker; the outbox queues;
 * /healthz says degraded, and why, while the broker is away or a camera is offline; the retained state
 * topic carries each camera's online/offline status.
 */
import { EventEmitter } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runAgent } from '../../src/edge/agent/agent-command.js';
import { agentWiring } from '../../src/edge/agent/agent-wiring.js';
import { SystemdNotifier } from '../../src/edge/agent/systemd-notifier.js';
import { FACE_API_DEMO, faceDetectorModel, writeMeanColourClassifier } from '../agent/agent-test-kit.js';
import { type BlackholeProxy, startBlackholeProxy } from '../helpers/blackhole-proxy.js';
import {
  freePort,
  MOSQUITTO_BIN,
  MOSQUITTO_MISSING,
  type Mosquitto,
  startMosquitto,
} from '../helpers/mosquitto.js';
import { captureLog, recordReliability } from '../helpers/reliability.js';
import { collect, waitFor } from './mqtt-test-clients.js';

if (!MOSQUITTO_BIN) console.warn(MOSQUITTO_MISSING);
const TEST = 'test/mqtt/agent-startup-health.test.ts';
const CONNECT_TIMEOUT_S = 60;
let broker: Mosquitto | undefined;
let proxy: BlackholeProxy | undefined;
afterAll(async () => {
  await proxy?.close();
  await broker?.stop();
});

async function healthz(port: number): Promise<{ code: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { code: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function queued(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^mask_edge_events_queued (\d+)/m.exec(text)?.[1] ?? 0);
}

describe.skipIf(!MOSQUITTO_BIN)('agent start-up with the broker down; /healthz tells the truth', () => {
  it('READY, /healthz and cameras come at once, the outbox queues, degraded reasons, camera status retained', async () => {
    broker = (await startMosquitto())!;
    proxy = await startBlackholeProxy();
    const dir = mkdtempSync(join(tmpdir(), 'agent-startup-'));
    mkdirSync(join(dir, 'photos'));
    for (const n of [1, 2, 3, 4, 5, 6]) {
      copyFileSync(join(FACE_API_DEMO, `sample${n}.jpg`), join(dir, 'photos', `${n}.jpg`));
    }
    const healthPort = await freePort();
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      stringify({
        device: { id: 'startup-dev' },
        mqtt: { url: proxy.url, connectTimeoutSeconds: CONNECT_TIMEOUT_S, reconnectSeconds: 0.3 },
        outbox: { dir: join(dir, 'outbox') },
        health: { port: healthPort },
        models: {
          detector: await faceDetectorModel(dir),
          classifier: writeMeanColourClassifier(dir),
          providers: ['cpu'],
        },
        tracking: { stableFrames: 1, maxAgeSeconds: 0.5 },
        cameras: [
          { id: 'door', source: { type: 'images', path: join(dir, 'photos'), fps: 4, loop: true } },
          { id: 'yard', source: { type: 'ffmpeg', url: join(dir, 'no-such-camera.mp4') } },
        ],
      }),
    );
    const sent: { fields: string[]; at: number }[] = [];
    const log = captureLog('info');
    const notifier = new SystemdNotifier({
      env: { NOTIFY_SOCKET: '/run/test' },
      runner: async (_c, args) => {
        sent.push({ fields: args, at: Date.now() });
      },
      logger: log.logger,
    });
    const signals = new EventEmitter() as unknown as NodeJS.Process;
    const running = runAgent({ config }, agentWiring(), { logger: log.logger, signals, notifier });

    await waitFor(() => sent.some((s) => s.fields.includes('READY=1')), 120_000);
    const readyAt = sent.find((s) => s.fields.includes('READY=1'))!.at;
    const sinkAt = Date.parse(String(log.find(/^event sink$/)[0]?.ts));
    const readyMs = readyAt - sinkAt;
    expect(readyMs).toBeLessThan(5000);
    // /healthz answers at once: up (a camera delivers frames) but degraded, with the reasons.
    let h = await healthz(healthPort);
    for (let i = 0; i < 100 && !JSON.stringify(h.body.degraded).includes('camera yard offline'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      h = await healthz(healthPort);
    }
    expect(h.code).toBe(200);
    expect(h.body.status).toBe('degraded');
    expect(JSON.stringify(h.body.degraded)).toContain('broker disconnected');
    expect(JSON.stringify(h.body.degraded)).toContain('camera yard offline');
    // Events wait in the outbox.
    let waiting = 0;
    for (let i = 0; i < 300 && waiting < 3; i++) {
      waiting = await queued(healthPort);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(waiting).toBeGreaterThanOrEqual(3);

    // The broker answers again: the queue drains, the broker reason goes, the camera reason stays.
    const sub = await collect(broker.url, [
      'mask-edge/startup-dev/+/events',
      'mask-edge/startup-dev/+/state',
    ]);
    const backAt = Date.now();
    proxy.forwardTo(broker.port);
    await sub.waitFor(() => sub.events.length >= waiting, 30_000);
    const deliveredMs = Date.now() - backAt;
    await waitFor(() => sub.messages.some((m) => m.topic.endsWith('/yard/state')), 20_000);
    const yard = JSON.parse(sub.messages.filter((m) => m.topic.endsWith('/yard/state')).at(-1)!.payload);
    const door = JSON.parse(sub.messages.filter((m) => m.topic.endsWith('/door/state')).at(-1)!.payload);
    expect(yard.source).toBe('offline');
    expect(door.source).toBe('online');
    h = await healthz(healthPort);
    expect(JSON.stringify(h.body.degraded)).not.toContain('broker disconnected');
    expect(JSON.stringify(h.body.degraded)).toContain('camera yard offline');
    (signals as unknown as EventEmitter).emit('SIGTERM', 'SIGTERM');
    await running;
    await sub.close();

    console.log(
      `start-up: READY ${readyMs} ms after the sink opened; ${waiting} queued; delivered ${deliveredMs} ms after the broker answered`,
    );
    recordReliability('startup-health', {
      scenario: `Start with the broker not answering (connect timeout ${CONNECT_TIMEOUT_S} s)`,
      promise:
        'cameras, /healthz and systemd READY at once; events queue in the outbox; delivered once the broker answers',
      measured: `READY ${readyMs} ms after the sink opened (timeout ${CONNECT_TIMEOUT_S} s not waited); ${waiting} events queued; delivered ${deliveredMs} ms after the broker answered`,
      test: TEST,
    });
    recordReliability('startup-health', {
      scenario: 'Broker away, one of two cameras offline',
      promise:
        '/healthz 200 "degraded" naming each reason; the retained camera state topic carries source online/offline',
      measured: `/healthz degraded: broker disconnected + camera yard offline; after reconnect only the camera; state yard=${yard.source}, door=${door.source}`,
      test: TEST,
    });
  }, 240_000);
});
