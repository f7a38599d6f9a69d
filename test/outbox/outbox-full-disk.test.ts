/**
 * Issue 12, item 1: the outbox on a real 32 KB tmpfs with a real mosquitto. The broker goes away while
 * events keep coming, the disk fills, the broker comes back: every event is delivered or counted in
 * mask_edge_events_dropped (with an ENOSPC log line), no seq is reused, delivery frees the space and
 * appends resume; a restart on the full disk opens, serves /healthz and reports degraded.
 * Needs root (mount); skipped with a message otherwise.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { outboxConfigSchema } from '../../src/edge/config/agent-config.js';
import { healthConfigSchema } from '../../src/edge/config/health-config.js';
import { mqttConfigSchema } from '../../src/edge/config/mqtt-config.js';
import type { MaskEvent, RuntimeStats } from '../../src/edge/events/event-types.js';
import { type HealthServer, startHealthServer } from '../../src/edge/health/health-server.js';
import type { MqttEventSink } from '../../src/edge/mqtt/mqtt-event-sink.js';
import { openMqttEventSink, type SinkConfig } from '../../src/edge/mqtt/open-event-sink.js';
import { MOSQUITTO_BIN, MOSQUITTO_MISSING, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { captureLog, deliveryReport, recordReliability, sleep } from '../helpers/reliability.js';
import { collect } from '../mqtt/mqtt-test-clients.js';
import { sampleDraft } from '../mqtt/sink-config.js';

const TEST = 'test/outbox/outbox-full-disk.test.ts';
let mountDir: string | undefined;
let skipReason: string | undefined = MOSQUITTO_BIN ? undefined : MOSQUITTO_MISSING;

beforeAll(() => {
  if (skipReason) return;
  if (process.getuid?.() !== 0) {
    skipReason = 'not root: cannot mount a small tmpfs; full-disk tests skipped';
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32k', 'tmpfs', dir], { stdio: 'pipe' });
    mountDir = dir;
  } catch (err) {
    skipReason = `mount -t tmpfs failed (${(err as Error).message.split('\n')[0]}): full-disk tests skipped`;
  }
});
afterAll(() => {
  if (mountDir) execFileSync('umount', ['-l', mountDir], { stdio: 'pipe' });
});

const stubStats = (): RuntimeStats => ({
  fps: 1,
  latencyMs: { p50: 1, p95: 1 },
  providers: { detector: 'cpu', classifier: 'cpu' },
  sources: { door: { state: 'online' } },
  droppedFrames: 0,
});

function config(url: string, dir: string): SinkConfig {
  return {
    device: { id: 'full-dev' },
    mqtt: mqttConfigSchema.parse({ url, reconnectSeconds: 0.3, connectTimeoutSeconds: 5 }),
    outbox: outboxConfigSchema.parse({ dir, segmentBytes: 4096 }),
  };
}

/** Publishes an event every `everyMs` until stopped; counts what was stored and what the disk refused. */
function producer(sink: MqttEventSink, everyMs = 10) {
  const state = { produced: 0, stored: [] as MaskEvent[], refused: 0, lastStoredAt: 0, running: true };
  const done = (async () => {
    for (let i = 0; state.running; i++) {
      state.produced += 1;
      try {
        state.stored.push(await sink.publishEvent(sampleDraft(i)));
        state.lastStoredAt = Date.now();
      } catch (err) {
        if (!isMaskEdgeError(err, 'E_DISK')) throw err;
        state.refused += 1;
      }
      await sleep(everyMs);
    }
  })();
  const stop = async () => {
    state.running = false;
    await done;
  };
  return { state, stop };
}

async function until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) return false;
    await sleep(20);
  }
  return true;
}

describe('outbox on a full disk (32 KB tmpfs, real mosquitto)', () => {
  let broker: Mosquitto | undefined;
  afterAll(async () => broker?.stop());

  it('every event is delivered or counted as dropped, no seq reused, delivery frees the space; a restart on the full disk reports degraded', async (ctx) => {
    if (skipReason || !mountDir) {
      console.warn(skipReason);
      return ctx.skip();
    }
    broker = (await startMosquitto({ persistence: true }))!;
    const sub = await collect(broker.url, ['mask-edge/full-dev/+/events'], {
      clientId: 'full-consumer',
      persistent: true,
    });
    const outboxDir = join(mountDir, 'outbox');
    const log = captureLog('info');
    const sink = await openMqttEventSink(config(broker.url, outboxDir), log.logger);
    const health: HealthServer = await startHealthServer(healthConfigSchema.parse({ port: 0 }), {
      stats: stubStats,
      healthy: () => true,
      delivery: () => sink.deliveryStats(),
    });
    const p = producer(sink);
    await sleep(500);
    await broker.stop();
    // The backlog fills the 32 KB disk; later events are refused and counted.
    expect(await until(() => p.state.refused >= 30, 20_000)).toBe(true);
    const full = (await (await fetch(`${health.url}/healthz`)).json()) as Record<string, unknown>;
    expect(full.status).toBe('degraded');
    expect(JSON.stringify(full.degraded)).toContain('outbox cannot write (ENOSPC');
    const storedBeforeReturn = p.state.stored.length;
    const brokerBack = Date.now();
    await broker.start();
    expect(await until(() => p.state.stored.length > storedBeforeReturn, 20_000)).toBe(true);
    const resumeMs = p.state.lastStoredAt - brokerBack;
    await sleep(800);
    await p.stop();
    expect(await sink.drained(20_000)).toBe(true);
    const stored = p.state.stored;
    await sub.waitFor(() => deliveryReport(sub.events).unique >= stored.length, 20_000);
    const report = deliveryReport(sub.events);
    const delivery = sink.deliveryStats();
    const metrics = await (await fetch(`${health.url}/metrics`)).text();
    const droppedMetric = Number(/^mask_edge_events_dropped (\d+)$/m.exec(metrics)?.[1]);

    expect(droppedMetric).toBe(delivery.droppedEvents);
    expect(delivery.droppedEvents).toBe(p.state.refused);
    expect(report.unique + delivery.droppedEvents).toBe(p.state.produced);
    expect(stored.every((e) => report.ids.has(e.id))).toBe(true);
    expect(report.reusedSeqs).toEqual([]);
    expect(new Set(stored.map((e) => e.seq)).size).toBe(stored.length);
    expect(log.find(/ENOSPC/).length).toBeGreaterThan(0);
    expect(delivery.outbox).toBe('ok');
    const firstRun = {
      produced: p.state.produced,
      delivered: report.unique,
      dropped: delivery.droppedEvents,
      duplicates: report.duplicates,
      resumeMs,
    };

    // Restart on a full disk: fill the outbox again, fill what is left, stop, open anew.
    await broker.stop();
    const q = producer(sink);
    expect(await until(() => q.state.refused >= 5, 20_000)).toBe(true);
    await q.stop();
    const queued = sink.deliveryStats().queuedEvents;
    const lastSeq = Math.max(...[...stored, ...q.state.stored].map((e) => e.seq));
    await sink.close();
    await health.close();
    fillUp(join(mountDir, 'filler'));
    const restartLog = captureLog('info');
    const openedAt = Date.now();
    const again = await openMqttEventSink(config(broker.url, outboxDir), restartLog.logger, process.env, {
      waitMs: 0,
    });
    const health2 = await startHealthServer(healthConfigSchema.parse({ port: 0 }), {
      stats: stubStats,
      healthy: () => true,
      delivery: () => again.deliveryStats(),
    });
    const openMs = Date.now() - openedAt;
    const res = await fetch(`${health2.url}/healthz`);
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(body.status).toBe('degraded');
    expect(JSON.stringify(body.degraded)).toContain('outbox cannot write');
    expect(body.queuedEvents).toBe(queued);
    // The broker comes back: the queued events are delivered, the space is freed, appends work again.
    await broker.start();
    expect(await again.drained(20_000)).toBe(true);
    const next = await again.publishEvent(sampleDraft(9999));
    expect(next.seq).toBeGreaterThan(lastSeq);
    expect(again.deliveryStats().outbox).toBe('ok');
    await again.close();
    await health2.close();
    await sub.close();

    console.log(`full disk: ${JSON.stringify(firstRun)}; restart on full disk: opened in ${openMs} ms`);
    recordReliability('outbox', {
      scenario: 'Full disk: 32 KB tmpfs outbox, broker down while events keep coming, then back',
      promise:
        'agent stays up; every event delivered or counted in mask_edge_events_dropped (ENOSPC logged); no seq reused; space freed, appends resume',
      measured: `${firstRun.produced} produced = ${firstRun.delivered} delivered + ${firstRun.dropped} dropped (counted); 0 seq reused; ${firstRun.duplicates} duplicate deliveries; appends resumed ${firstRun.resumeMs} ms after the broker returned`,
      test: TEST,
    });
    recordReliability('outbox', {
      scenario: 'Restart with the outbox disk 100% full',
      promise:
        'starts, serves /healthz (degraded: outbox cannot write), delivers the backlog, then writes again',
      measured: `opened in ${openMs} ms; /healthz 200 degraded; ${queued} queued events delivered; next seq ${next.seq} > ${lastSeq}`,
      test: TEST,
    });
  }, 120_000);
});

/** Writes zeros until the disk refuses (ENOSPC). */
function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch {
    // full
  } finally {
    closeSync(fd);
  }
}
