/**
 * Issue 12, item 2: a damaged outbox (truncated mid-record, random bytes mid-file, a whole segment
 * replaced with garbage) with a real mosquitto. Across the restart seq never goes backwards, every lost
 * event is counted (stats + one summary log line), and delivered + lost = produced.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/core/seeded-random.js';
import { outboxConfigSchema } from '../../src/edge/config/agent-config.js';
import { mqttConfigSchema } from '../../src/edge/config/mqtt-config.js';
import type { MaskEvent } from '../../src/edge/events/event-types.js';
import { openMqttEventSink, type SinkConfig } from '../../src/edge/mqtt/open-event-sink.js';
import { MOSQUITTO_BIN, MOSQUITTO_MISSING, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { captureLog, deliveryReport, recordReliability } from '../helpers/reliability.js';
import { collect } from '../mqtt/mqtt-test-clients.js';
import { sampleDraft } from '../mqtt/sink-config.js';

if (!MOSQUITTO_BIN) console.warn(MOSQUITTO_MISSING);
const TEST = 'test/outbox/outbox-damage.test.ts';

type Damage = (segments: string[], random: SeededRandom) => void;

const DAMAGES: { name: string; scenario: string; damage: Damage }[] = [
  {
    name: 'truncated mid-record',
    scenario: 'Outbox segment truncated mid-record (power cut), agent restarted',
    damage: (segments) => {
      const file = segments.at(-1)!;
      const text = readFileSync(file, 'utf8');
      const lines = text.split('\n');
      const keep = lines.slice(0, Math.floor(lines.length / 2)).join('\n').length + 20;
      truncateSync(file, keep);
    },
  },
  {
    name: 'random bytes mid-file',
    scenario: 'Random bytes written over the middle of an outbox segment, agent restarted',
    damage: (segments, random) => {
      const file = segments[Math.floor(segments.length / 2)]!;
      const buf = readFileSync(file);
      const at = Math.floor(buf.length / 2);
      for (let i = 0; i < 300 && at + i < buf.length; i++) buf[at + i] = Math.floor(random.next() * 256);
      writeFileSync(file, buf);
    },
  },
  {
    name: 'whole segment garbage',
    scenario: 'A whole outbox segment (the newest) replaced by garbage, agent restarted',
    damage: (segments, random) => {
      const file = segments.at(-1)!;
      const size = statSync(file).size;
      writeFileSync(file, Buffer.from(Array.from({ length: size }, () => Math.floor(random.next() * 256))));
    },
  },
];

function config(url: string, dir: string): SinkConfig {
  return {
    device: { id: 'damage-dev' },
    mqtt: mqttConfigSchema.parse({ url, reconnectSeconds: 0.3, connectTimeoutSeconds: 5 }),
    outbox: outboxConfigSchema.parse({ dir, segmentBytes: 4096 }),
  };
}

describe.skipIf(!MOSQUITTO_BIN)('damaged outbox across a restart (real mosquitto)', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = (await startMosquitto({ persistence: true }))!;
  });
  afterAll(async () => broker?.stop());

  it.each(DAMAGES)(
    '$name: seq never goes backwards, lost events counted, delivered + lost = produced',
    async ({ name, scenario, damage }) => {
      const device = 'damage-dev';
      const sub = await collect(broker.url, [`mask-edge/${device}/+/events`], {
        clientId: `damage-${name.replace(/\W/g, '-')}`,
        persistent: true,
      });
      const dir = join(mkdtempSync(join(tmpdir(), 'damage-')), 'outbox');
      const first = await openMqttEventSink(config(broker.url, dir), captureLog('error').logger);
      const produced: MaskEvent[] = [];
      for (let i = 0; i < 5; i++) produced.push(await first.publishEvent(sampleDraft(i)));
      expect(await first.drained(10_000)).toBe(true);
      await broker.stop();
      for (let i = 5; i < 45; i++) produced.push(await first.publishEvent(sampleDraft(i)));
      await first.close();
      const highest = Math.max(...produced.map((e) => e.seq));
      const segments = readdirSync(dir)
        .filter((n) => n.endsWith('.seg'))
        .sort()
        .map((n) => join(dir, n));
      expect(segments.length).toBeGreaterThan(2);
      damage(segments, new SeededRandom(12));

      await broker.start();
      const log = captureLog('info');
      const second = await openMqttEventSink(config(broker.url, dir), log.logger);
      const after: MaskEvent[] = [];
      for (let i = 45; i < 50; i++) after.push(await second.publishEvent(sampleDraft(i)));
      expect(await second.drained(20_000)).toBe(true);
      const stats = second.deliveryStats();
      const lost = stats.lostEvents ?? 0;
      const all = [...produced, ...after];
      await sub.waitFor(() => deliveryReport(sub.events).unique + lost >= all.length, 20_000);
      const report = deliveryReport(sub.events);
      const summary = log.find(/damaged records skipped/);

      expect(Math.min(...after.map((e) => e.seq))).toBeGreaterThan(highest);
      expect(lost).toBeGreaterThan(0);
      expect(summary).toHaveLength(1);
      expect(summary[0]).toMatchObject({ lostEvents: lost });
      expect(report.unique + lost).toBe(all.length);
      expect(report.reusedSeqs).toEqual([]);
      await second.close();
      // Counted once: a further restart reports nothing new.
      const third = await openMqttEventSink(config(broker.url, dir), captureLog('error').logger);
      expect(third.deliveryStats().lostEvents).toBe(0);
      await third.close();
      await sub.close();
      recordReliability('outbox-damage', {
        scenario,
        promise:
          'seq never goes backwards; every lost event counted (mask_edge_events_lost) and named in one summary log line',
        measured: `${all.length} produced = ${report.unique} delivered + ${lost} counted lost (${String(summary[0]?.lostRecords)} unreadable records); next seq ${after[0]!.seq} > ${highest}; 0 seq reused`,
        test: TEST,
      });
    },
    60_000,
  );
});
