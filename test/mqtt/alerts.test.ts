import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger } from '../../src/core/logger.js';
import { formatAlert } from '../../src/edge/alerts/alert-format.js';
import type { AlertSubscriber } from '../../src/edge/alerts/alert-subscriber.js';
import { type AlertsOptions, run } from '../../src/edge/alerts/alerts-command.js';
import { createPublisher } from '../../src/edge/mqtt/mqtt-publisher.js';
import { openMqttEventSink } from '../../src/edge/mqtt/open-event-sink.js';
import { MOSQUITTO_MISSING, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { compileChild } from '../helpers/ts-child.js';
import { waitFor } from './mqtt-test-clients.js';
import { sampleDraft, sinkConfig } from './sink-config.js';

const quiet = new Logger({ level: 'error', json: true, sink: { write: () => undefined } });
let broker: Mosquitto | undefined;
beforeAll(async () => {
  broker = await startMosquitto();
  if (!broker) console.warn(MOSQUITTO_MISSING);
});
afterAll(async () => broker?.stop());

/** Runs `alerts` in-process until a fake Ctrl-C; returns its lines and a stop function. */
async function startAlerts(opts: Partial<AlertsOptions>) {
  const lines: string[] = [];
  const signals = new EventEmitter();
  let ready!: (s: AlertSubscriber) => void;
  const isReady = new Promise<AlertSubscriber>((r) => {
    ready = r;
  });
  const done = run({ broker: broker!.url, ...opts } as AlertsOptions, {
    out: (l) => lines.push(l),
    logger: quiet,
    signals: signals as unknown as NodeJS.Process,
    colour: false,
    onReady: ready,
  });
  const subscriber = await isReady;
  return { lines, subscriber, done, ctrlC: () => signals.emit('SIGINT', 'SIGINT') };
}

describe('mask-edge alerts (real mosquitto)', () => {
  it('prints one readable line per alert, honours --labels and --device, ignores junk, exits on Ctrl-C', async (ctx) => {
    if (!broker) return ctx.skip();
    const alerts = await startAlerts({ labels: ['no_mask'], device: 'alerts-dev' });
    const json = await startAlerts({
      labels: ['incorrect', 'no_mask', 'correct'],
      json: true,
      device: 'alerts-dev',
    });
    const sink = await openMqttEventSink(sinkConfig(broker.url, {}, 'alerts-dev'), quiet);
    const other = await openMqttEventSink(sinkConfig(broker.url, {}, 'other-dev'), quiet);
    await sink.publishEvent({ ...sampleDraft(1), label: 'no_mask' });
    await sink.publishEvent({ ...sampleDraft(2), label: 'incorrect' });
    await sink.publishEvent({ ...sampleDraft(3), label: 'correct' });
    await sink.publishEvent({ ...sampleDraft(1), label: 'no_mask', type: 'end' });
    await other.publishEvent({ ...sampleDraft(9), label: 'no_mask' });
    const junk = createPublisher({ url: broker.url, clientId: 'junk', log: quiet });
    await junk.connect();
    await junk.publish('mask-edge/alerts-dev/door/events', '{"not":"an event"}', { qos: 1 });
    await sink.publishEvent({ ...sampleDraft(4), label: 'no_mask', type: 'update' });
    await waitFor(() => alerts.lines.length >= 2 && json.lines.length >= 4);
    await new Promise((r) => setTimeout(r, 300));
    expect(alerts.lines).toHaveLength(2);
    expect(alerts.lines[0]).toMatch(
      /alerts-dev\/door {2}NO MASK {2}track 1 \(new person\) {2}score 0\.93 {2}box 12,34 56x78 {2}seq 1$/,
    );
    expect(alerts.lines[1]).toContain('track 4 (label changed)');
    expect(json.lines.map((l) => JSON.parse(l).label)).toEqual([
      'no_mask',
      'incorrect',
      'correct',
      'no_mask',
    ]);
    expect(json.subscriber.counts.invalid).toBe(1);
    alerts.ctrlC();
    json.ctrlC();
    await expect(alerts.done).resolves.toBeUndefined();
    await json.done;
    await Promise.all([sink.close(), other.close(), junk.close()]);
  });

  it('--group: consumers in one MQTT 5 shared subscription split the alerts between them', async (ctx) => {
    if (!broker) return ctx.skip();
    const a = await startAlerts({ group: 'desk', device: 'group-dev' });
    const b = await startAlerts({ group: 'desk', device: 'group-dev' });
    const sink = await openMqttEventSink(sinkConfig(broker.url, {}, 'group-dev'), quiet);
    for (let i = 0; i < 20; i++) await sink.publishEvent(sampleDraft(i));
    await waitFor(() => a.lines.length + b.lines.length >= 20);
    await new Promise((r) => setTimeout(r, 300));
    expect(a.lines.length + b.lines.length).toBe(20);
    expect(a.lines.length).toBeGreaterThan(0);
    expect(b.lines.length).toBeGreaterThan(0);
    a.ctrlC();
    b.ctrlC();
    await Promise.all([a.done, b.done, sink.close()]);
  });

  it('rejects unknown labels with E_USAGE naming them', async () => {
    await expect(run({ broker: 'mqtt://127.0.0.1:1', labels: ['nomask'] })).rejects.toMatchObject({
      code: 'E_USAGE',
      detail: { labels: ['nomask'] },
    });
  });

  it('formats colour only when asked', () => {
    const event = { ...sampleDraft(1), id: 'x', seq: 3, device: 'd', ts: '2026-01-02T03:04:05.678Z' };
    expect(formatAlert(event)).toBe(
      '2026-01-02 03:04:05Z  d/door  NO MASK  track 1 (new person)  score 0.93  box 12,34 56x78  seq 3',
    );
    expect(formatAlert(event, { colour: true })).toContain('\u001b[1;31mNO MASK\u001b[0m');
  });
});

describe('mask-edge alerts as a process', () => {
  it('prints alerts, and Ctrl-C (SIGINT) ends it cleanly with exit 0', async (ctx) => {
    if (!broker) return ctx.skip();
    const script = compileChild(join(import.meta.dirname, 'cli-child.ts'));
    const child = spawn(
      process.execPath,
      [script, 'alerts', '--broker', broker.url, '--device', 'cli-dev', '--labels', 'incorrect'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const sink = await openMqttEventSink(sinkConfig(broker.url, {}, 'cli-dev'), quiet);
    // Publish until the subscriber (which needs a moment to start) has printed one.
    for (let i = 0; i < 100 && !out.includes('INCORRECTLY'); i++) {
      await sink.publishEvent({ ...sampleDraft(i), label: i % 2 ? 'incorrect' : 'no_mask' });
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(out).toMatch(/cli-dev\/door {2}MASK WORN INCORRECTLY {2}track \d+/);
    expect(out).not.toContain('NO MASK');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await sink.close();
  });
});

describe('mask-edge alerts reconnects', () => {
  it('keeps printing after the broker restarts (re-subscribes by itself)', async (ctx) => {
    const own = await startMosquitto();
    if (!own) return ctx.skip();
    const lines: string[] = [];
    const signals = new EventEmitter();
    let ready!: () => void;
    const isReady = new Promise<void>((r) => {
      ready = r;
    });
    const done = run(
      { broker: own.url, device: 'reconnect-dev' },
      {
        out: (l) => lines.push(l),
        logger: quiet,
        signals: signals as unknown as NodeJS.Process,
        colour: false,
        onReady: () => ready(),
      },
    );
    await isReady;
    const sink = await openMqttEventSink(sinkConfig(own.url, {}, 'reconnect-dev'), quiet);
    await sink.publishEvent(sampleDraft(1));
    await waitFor(() => lines.length === 1);
    await own.stop();
    await sink.publishEvent(sampleDraft(2)); // waits in the outbox
    await own.start();
    // After the restart both clients reconnect; the outbox re-sends once the broker acknowledges again.
    for (let i = 3; lines.length < 2 && i < 200; i++) {
      await sink.publishEvent(sampleDraft(i));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(lines.length).toBeGreaterThanOrEqual(2);
    signals.emit('SIGINT', 'SIGINT');
    await done;
    await sink.close();
    await own.stop();
  });
});

describe('mask-edge alerts with no broker', () => {
  it('stops at once on Ctrl-C while the first connection is still being tried', async () => {
    const { createServer } = await import('node:net');
    // A closed loopback port: take a free one, then release it.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const signals = new EventEmitter();
    const started = Date.now();
    const done = run({ broker: `mqtt://127.0.0.1:${port}` } as AlertsOptions, {
      out: () => undefined,
      logger: quiet,
      signals: signals as unknown as NodeJS.Process,
      colour: false,
    });
    await new Promise((r) => setTimeout(r, 300));
    signals.emit('SIGINT', 'SIGINT');
    await expect(done).resolves.toBeUndefined();
    // The connect timeout is 15 s; stopping must not wait for it.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
