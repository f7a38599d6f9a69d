import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Logger } from '../../src/core/logger.js';
import type { MaskEvent } from '../../src/edge/events/event-types.js';
import { openMqttEventSink } from '../../src/edge/mqtt/open-event-sink.js';
import { MOSQUITTO_BIN, MOSQUITTO_MISSING, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { compileChild } from '../helpers/ts-child.js';
import { collect, runChild, waitFor } from './mqtt-test-clients.js';
import { sampleDraft, sinkConfig } from './sink-config.js';

const quiet = new Logger({ level: 'error', json: true, sink: { write: () => undefined } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const brokers: Mosquitto[] = [];
afterAll(async () => {
  for (const b of brokers) await b.stop();
});

/** Distinct events by id, and the seq numbers missing between the first and the last. */
function deliveryReport(received: MaskEvent[]) {
  const byId = new Map(received.map((e) => [e.id, e]));
  const seqs = [...byId.values()].map((e) => e.seq).sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let s = seqs[0] ?? 0; s <= (seqs.at(-1) ?? -1); s++) if (!seqs.includes(s)) gaps.push(s);
  return { unique: byId.size, duplicates: received.length - byId.size, seqs, gaps };
}

describe.skipIf(!MOSQUITTO_BIN)('delivery across broker outages and agent kills (real mosquitto)', () => {
  it('broker stopped 20 s while events keep coming: every event arrives, by id, seq without gaps', async () => {
    const broker = (await startMosquitto({ persistence: true }))!;
    brokers.push(broker);
    // A consumer with a persistent session: the broker keeps its subscription and queue across the restart.
    const sub = await collect(broker.url, ['mask-edge/outage-dev/+/events'], {
      clientId: 'outage-consumer',
      persistent: true,
    });
    const sink = await openMqttEventSink(sinkConfig(broker.url, {}, 'outage-dev'), quiet);
    const published: MaskEvent[] = [];
    let producing = true;
    const producer = (async () => {
      for (let i = 0; producing; i++) {
        published.push(await sink.publishEvent(sampleDraft(i)));
        await sleep(100);
      }
    })();
    await sleep(3000);
    await broker.stop();
    const queuedDuringOutage: number[] = [];
    for (let t = 0; t < 20; t++) {
      await sleep(1000);
      queuedDuringOutage.push(sink.deliveryStats().queuedEvents);
    }
    await broker.start();
    await sleep(3000);
    producing = false;
    await producer;
    expect(await sink.drained(30_000)).toBe(true);
    await sub.waitFor(() => new Set(sub.events.map((e) => e.id)).size >= published.length, 30_000);
    const report = deliveryReport(sub.events);
    console.log(
      `outage: ${published.length} events published, ${report.unique} distinct received, ` +
        `${report.duplicates} duplicate deliveries (QoS 1 re-sends), max queued during outage ${Math.max(...queuedDuringOutage)}`,
    );
    expect(Math.max(...queuedDuringOutage)).toBeGreaterThan(100);
    expect(report.unique).toBe(published.length);
    expect(new Set(sub.events.map((e) => e.id))).toEqual(new Set(published.map((e) => e.id)));
    expect(report.gaps).toEqual([]);
    expect(report.seqs[0]).toBe(1);
    // Per device, the first delivery of each event comes in seq order.
    const firstSeen = [...new Map(sub.events.map((e) => [e.id, e.seq])).values()];
    expect(firstSeen).toEqual([...firstSeen].sort((a, b) => a - b));
    await sink.close();
    await sub.close();
  });

  it('agent killed with SIGKILL while the broker is down: the restarted agent delivers the queued events', async () => {
    const broker = (await startMosquitto({ persistence: true }))!;
    brokers.push(broker);
    const sub = await collect(broker.url, ['mask-edge/kill-dev/+/events'], {
      clientId: 'kill-consumer',
      persistent: true,
    });
    const script = compileChild(join(import.meta.dirname, 'sink-child.ts'));
    const config = JSON.stringify(sinkConfig(broker.url, {}, 'kill-dev'));
    const first = runChild(script, [config, '0', '50']);
    await waitFor(() => first.durable.length >= 10, 60_000);
    await broker.stop();
    const atStop = first.durable.length;
    await waitFor(() => first.durable.length >= atStop + 40, 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    await broker.start();
    const second = runChild(script, [config, '5', '20']);
    expect(await second.exited).toBe(0);
    const all = [...first.durable, ...second.durable];
    await sub.waitFor(() => new Set(sub.events.map((e) => e.id)).size >= all.length, 30_000);
    const report = deliveryReport(sub.events);
    const received = new Set(sub.events.map((e) => e.id));
    expect(all.filter((d) => !received.has(d.id))).toEqual([]);
    expect(second.durable[0]!.seq).toBeGreaterThan(Math.max(...first.durable.map((d) => d.seq)));
    expect(report.gaps).toEqual([]);
    console.log(
      `SIGKILL: ${first.durable.length} events before the kill (${first.durable.length - atStop} queued while the broker was down), ` +
        `${second.durable.length} after restart, ${report.unique} distinct received, ${report.duplicates} duplicates`,
    );
    await sub.close();
  });
});

if (!MOSQUITTO_BIN) console.warn(MOSQUITTO_MISSING);
