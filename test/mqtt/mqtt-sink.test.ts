import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger } from '../../src/core/logger.js';
import { openMqttEventSink } from '../../src/edge/mqtt/open-event-sink.js';
import {
  MOSQUITTO_BIN,
  MOSQUITTO_MISSING,
  MOSQUITTO_SUB_BIN,
  type Mosquitto,
  startMosquitto,
} from '../helpers/mosquitto.js';
import { compileChild } from '../helpers/ts-child.js';
import { collect, mosquittoSub, runChild, waitFor } from './mqtt-test-clients.js';
import { sampleDraft, sinkConfig } from './sink-config.js';

const quiet = new Logger({ level: 'error', json: true, sink: { write: () => undefined } });
let broker: Mosquitto | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
  if (!broker) console.warn(MOSQUITTO_MISSING);
});
afterAll(async () => broker?.stop());

describe.each([5, '3.1.1'] as const)('MQTT sink against mosquitto (protocol %s)', (protocolVersion) => {
  it('publishes schema-valid events with increasing seq, retained state and online availability', async (ctx) => {
    if (!broker) return ctx.skip();
    const device = `dev-${protocolVersion}`.replace(/\./g, '');
    const sub = await collect(broker.url, [`mask-edge/${device}/#`]);
    const sink = await openMqttEventSink(sinkConfig(broker.url, { protocolVersion }, device), quiet);
    for (let i = 0; i < 5; i++) await sink.publishEvent(sampleDraft(i));
    await sink.publishState('door', { no_mask: 2, correct: 1 });
    await sink.publishStats({
      fps: 12,
      latencyMs: { p50: 5, p95: 9 },
      providers: { detector: 'cpu' },
      sources: {},
      droppedFrames: 0,
    });
    await sub.waitFor(() => sub.events.length === 5 && sub.messages.some((m) => m.topic.endsWith('/stats')));
    expect(sub.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(sub.events.map((e) => e.id)).size).toBe(5);
    expect(sub.events[0]).toMatchObject({ device, camera: 'door', label: 'no_mask', box: [12, 34, 56, 78] });
    const stats = JSON.parse(sub.messages.find((m) => m.topic.endsWith('/stats'))!.payload);
    expect(stats).toMatchObject({
      device,
      fps: 12,
      queuedEvents: 0,
      publishedEvents: 5,
      broker: 'connected',
    });
    if (MOSQUITTO_SUB_BIN) {
      // An outside client connecting now sees the retained messages.
      expect(await mosquittoSub(MOSQUITTO_SUB_BIN, broker.port, `mask-edge/${device}/availability`)).toEqual([
        'online',
      ]);
      const [state] = await mosquittoSub(MOSQUITTO_SUB_BIN, broker.port, `mask-edge/${device}/door/state`);
      expect(JSON.parse(state!)).toMatchObject({
        counts: { correct: 1, incorrect: 0, no_mask: 2 },
        total: 3,
      });
    }
    await sink.close();
    await sub.waitFor(() =>
      sub.messages.some((m) => m.topic.endsWith('/availability') && m.payload === 'offline'),
    );
    await sub.close();
  });
});

describe('MQTT sink process killed (mosquitto)', () => {
  it('the broker publishes the offline last will when the agent dies with SIGKILL', async (ctx) => {
    if (!broker || !MOSQUITTO_SUB_BIN) return ctx.skip();
    const script = compileChild(join(import.meta.dirname, 'sink-child.ts'));
    const run = runChild(script, [JSON.stringify(sinkConfig(broker.url, {}, 'killed-dev')), '0', '100']);
    await waitFor(() => run.durable.length >= 3);
    expect(await mosquittoSub(MOSQUITTO_SUB_BIN, broker.port, 'mask-edge/killed-dev/availability')).toEqual([
      'online',
    ]);
    run.child.kill('SIGKILL');
    await run.exited;
    // The broker sees the socket close and publishes the will; an outside client then reads it retained.
    let seen: string[] = [];
    for (let i = 0; i < 20 && seen[0] !== 'offline'; i++) {
      seen = await mosquittoSub(MOSQUITTO_SUB_BIN, broker.port, 'mask-edge/killed-dev/availability');
      if (seen[0] !== 'offline') await new Promise((r) => setTimeout(r, 250));
    }
    expect(seen).toEqual(['offline']);
  });
});

describe('MQTT sink outbox full (mosquitto)', () => {
  it('drops the oldest events when the outbox is full, reports the drops in stats, delivers the rest in order', async (ctx) => {
    const own = await startMosquitto();
    if (!own) return ctx.skip();
    try {
      const config = sinkConfig(own.url, {}, 'full-dev');
      config.outbox.maxEvents = 5;
      const sink = await openMqttEventSink(config, quiet);
      await own.stop();
      await waitFor(() => sink.deliveryStats().broker === 'disconnected', 10_000);
      for (let i = 0; i < 8; i++) await sink.publishEvent(sampleDraft(i));
      expect(sink.deliveryStats()).toMatchObject({ queuedEvents: 5, droppedEvents: 3 });
      await own.start();
      const sub = await collect(own.url, ['mask-edge/full-dev/#']);
      // Delivery resumes by itself; the consumer subscribed after the restart sees the stats and later events.
      await waitFor(() => sink.deliveryStats().queuedEvents === 0).catch((e) => {
        throw new Error(`${e.message}: ${JSON.stringify(sink.deliveryStats())}`);
      });
      await sink.publishEvent(sampleDraft(8));
      expect(await sink.drained(10_000)).toBe(true);
      await sink.publishStats({
        fps: 1,
        latencyMs: { p50: 1, p95: 1 },
        providers: {},
        sources: {},
        droppedFrames: 0,
      });
      await sub.waitFor(
        () => sub.messages.some((m) => m.topic.endsWith('/stats')) && sub.events.some((e) => e.seq === 9),
      );
      // Seq 1-3 were dropped; whatever part of the backlog reached this late subscriber came in order.
      const seqs = sub.events.map((e) => e.seq);
      expect(seqs.every((seq) => seq >= 4 && seq <= 9)).toBe(true);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const stats = JSON.parse(sub.messages.find((m) => m.topic.endsWith('/stats'))!.payload);
      expect(stats).toMatchObject({ droppedEvents: 3, publishedEvents: 6, queuedEvents: 0 });
      await sink.close();
      await sub.close();
    } finally {
      await own.stop();
    }
  });
});

describe.skipIf(!MOSQUITTO_BIN)('MQTT sink snapshots (mosquitto)', () => {
  it.each([true, false])('snapshots enabled=%s: JPEGs are published only when enabled', async (enabled) => {
    const device = `snap-${enabled}`;
    const sub = await collect(broker!.url, [
      `mask-edge/${device}/door/snapshot`,
      `mask-edge/${device}/door/events`,
    ]);
    const sink = await openMqttEventSink(
      { ...sinkConfig(broker!.url, {}, device), snapshots: { enabled } },
      quiet,
    );
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    await sink.publishSnapshot('door', jpeg, { kind: 'face', trackId: 1 });
    await sink.publishEvent(sampleDraft(1));
    await sub.waitFor(() => sub.events.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(sub.messages.filter((m) => m.topic.endsWith('/snapshot')).length).toBe(enabled ? 1 : 0);
    await sink.close();
    await sub.close();
  });
});
