/**
 * The real `mask-edge agent` process (real detector, ONNX classifier, folder camera) publishing to a real
 * mosquitto: the broker goes down, events pile up in the outbox, the agent is killed with SIGKILL; after the
 * broker and the agent are back, every event reaches the consumer and seq has no gap.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { FACE_API_DEMO, faceDetectorModel, writeMeanColourClassifier } from '../agent/agent-test-kit.js';
import {
  freePort,
  MOSQUITTO_BIN,
  MOSQUITTO_MISSING,
  type Mosquitto,
  startMosquitto,
} from '../helpers/mosquitto.js';
import { compileChild } from '../helpers/ts-child.js';
import { collect, waitFor } from './mqtt-test-clients.js';

if (!MOSQUITTO_BIN) console.warn(MOSQUITTO_MISSING);
let broker: Mosquitto | undefined;
afterAll(async () => broker?.stop());

async function queuedEvents(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^mask_edge_events_queued (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

describe.skipIf(!MOSQUITTO_BIN)(
  'mask-edge agent killed during a broker outage (real process, real mosquitto)',
  () => {
    it('delivers the events queued before SIGKILL once restarted, seq without gaps', async () => {
      broker = (await startMosquitto({ persistence: true }))!;
      const dir = mkdtempSync(join(tmpdir(), 'agent-kill-'));
      mkdirSync(join(dir, 'photos'));
      for (const n of [1, 2, 3, 4, 5, 6])
        copyFileSync(join(FACE_API_DEMO, `sample${n}.jpg`), join(dir, 'photos', `${n}.jpg`));
      const healthPort = await freePort();
      writeFileSync(
        join(dir, 'agent.yaml'),
        stringify({
          device: { id: 'kill-agent' },
          mqtt: { url: broker.url, reconnectSeconds: 0.5 },
          outbox: { dir: join(dir, 'outbox') },
          health: { port: healthPort },
          logging: { level: 'warn' },
          models: {
            detector: await faceDetectorModel(dir),
            classifier: writeMeanColourClassifier(dir),
            providers: ['cpu'],
          },
          tracking: { stableFrames: 1, maxAgeSeconds: 0.5 },
          cameras: [
            { id: 'door', source: { type: 'images', path: join(dir, 'photos'), fps: 4, loop: true } },
          ],
        }),
      );
      const script = compileChild(join(import.meta.dirname, 'cli-child.ts'));
      const sub = await collect(broker.url, ['mask-edge/kill-agent/+/events'], {
        clientId: 'agent-kill-consumer',
        persistent: true,
      });
      const start = (): ChildProcess =>
        spawn(process.execPath, [script, 'agent', '--config', join(dir, 'agent.yaml')], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });

      let agent = start();
      await waitFor(() => sub.events.length >= 3, 90_000);
      await broker.stop();
      let queued = 0;
      for (let i = 0; i < 120 && queued < 5; i++) {
        queued = await queuedEvents(healthPort).catch(() => 0);
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(queued).toBeGreaterThanOrEqual(5);
      agent.kill('SIGKILL');
      await new Promise((r) => agent.once('exit', r));
      const beforeKill = new Set(sub.events.map((e) => e.id)).size;

      await broker.start();
      agent = start();
      // Everything queued before the kill, plus new events, arrives; seq continues without gaps.
      await waitFor(() => new Set(sub.events.map((e) => e.id)).size >= beforeKill + queued + 2, 90_000);
      agent.kill('SIGTERM');
      expect(await new Promise((r) => agent.once('exit', (code) => r(code)))).toBe(0);
      const seqs = [...new Set(sub.events.map((e) => e.seq))].sort((a, b) => a - b);
      expect(seqs[0]).toBe(1);
      expect(seqs.at(-1)! - seqs[0]! + 1).toBe(seqs.length);
      console.log(
        `agent SIGKILL: ${beforeKill} events before the outage, ${queued} queued at the kill, ` +
          `${seqs.length} distinct seq delivered in the end (1..${seqs.at(-1)}), ${sub.events.length - new Set(sub.events.map((e) => e.id)).size} duplicates`,
      );
      await sub.close();
    });
  },
);
