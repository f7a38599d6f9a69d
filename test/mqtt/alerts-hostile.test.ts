/**
 * `mask-edge alerts` against hostile payloads published on a real mosquitto: terminal escapes (clear
 * screen, window title, clipboard write), a newline that forges a second alert line, a huge name, and a
 * device posing as another. Each printed line must be one safe line, with the topic's device and camera.
 */
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger } from '../../src/core/logger.js';
import type { AlertSubscriber } from '../../src/edge/alerts/alert-subscriber.js';
import { type AlertsOptions, run } from '../../src/edge/alerts/alerts-command.js';
import { createPublisher } from '../../src/edge/mqtt/mqtt-publisher.js';
import { MOSQUITTO_MISSING, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { recordReliability } from '../helpers/reliability.js';
import { waitFor } from './mqtt-test-clients.js';
import { sampleDraft } from './sink-config.js';

const quiet = new Logger({ level: 'error', json: true, sink: { write: () => undefined } });
const ESC = '\u001b';
const BEL = '\u0007';
// Clear screen, set the window title, write the clipboard (OSC 52), then a forged second alert line.
const HOSTILE = `door${ESC}[2J${ESC}]0;pwned${BEL}${ESC}]52;c;ZWNobyBvd25lZA==${BEL}\r\n2026-01-01 00:00:00Z  ceo-laptop/vault  NO MASK  track 1 (new person)\u009b31m\u202e`;
let broker: Mosquitto | undefined;
beforeAll(async () => {
  broker = await startMosquitto();
  if (!broker) console.warn(MOSQUITTO_MISSING);
});
afterAll(async () => broker?.stop());

async function startAlerts(opts: Partial<AlertsOptions>) {
  const lines: string[] = [];
  const signals = new EventEmitter();
  let ready!: (s: AlertSubscriber) => void;
  const isReady = new Promise<AlertSubscriber>((r) => {
    ready = r;
  });
  const done = run({ broker: broker!.url, labels: ['all'], ...opts } as AlertsOptions, {
    out: (l) => lines.push(l),
    logger: quiet,
    signals: signals as unknown as NodeJS.Process,
    colour: false,
    onReady: ready,
  });
  const subscriber = await isReady;
  return { lines, subscriber, done, stop: () => signals.emit('SIGINT', 'SIGINT') };
}

let seq = 0;
const event = (device: string, camera: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    ...sampleDraft(++seq),
    id: `id-${seq}-${Math.random()}`,
    seq,
    device,
    camera,
    ts: '2026-01-02T03:04:05.000Z',
    ...extra,
  });

/** Printable ASCII, spaces, the ellipsis and nothing else (no control, C1 or bidi characters). */
const SAFE_LINE = /^[\u0020-\u007e…]+$/;

describe('mask-edge alerts with hostile payloads (real mosquitto)', () => {
  it('strips escapes and newlines, caps lengths, prints the topic device and flags a payload that claims another', async (ctx) => {
    if (!broker) return ctx.skip();
    const text = await startAlerts({ device: 'hostile-dev' });
    const json = await startAlerts({ device: 'hostile-dev', json: true });
    const pub = createPublisher({ url: broker.url, clientId: 'hostile-publisher', log: quiet });
    await pub.connect();
    const topic = (camera: string) => `mask-edge/hostile-dev/${camera}/events`;
    // 1. escapes and a forged line in the payload's camera, the topic's camera is plain
    await pub.publish(topic('door'), event('hostile-dev', HOSTILE), { qos: 1 });
    // 2. a right-to-left override in the topic level itself (mosquitto refuses control characters in
    //    topics and drops the client, other brokers may not; bidi overrides it lets through), payload agrees
    const evilLevel = 'lobby\u202eevil';
    await pub.publish(topic(evilLevel), event('hostile-dev', evilLevel), { qos: 1 });
    // 3. a 30,000-character name and model name (under the 64 KiB limit: printed, cut)
    const long = 'n'.repeat(30_000);
    await pub.publish(topic('door'), event('hostile-dev', long, { model: { name: long, version: '1' } }), {
      qos: 1,
    });
    // 4. a 5 MB payload: not an event, counted, not printed
    await pub.publish(topic('door'), event('hostile-dev', 'x'.repeat(5 * 1024 * 1024)), { qos: 1 });
    // 5. a device posing as another one
    await pub.publish(topic('door'), event('ceo-laptop', 'vault'), { qos: 1 });
    await waitFor(
      () => text.lines.length >= 4 && json.lines.length >= 4 && text.subscriber.counts.invalid >= 1,
    );
    await new Promise((r) => setTimeout(r, 300));

    const printed = text.lines;
    recordReliability('alerts', {
      scenario:
        'Hostile event payloads to `mask-edge alerts` (escape sequences, a forged newline, a 5 MB name, a device posing as another)',
      promise:
        'control characters stripped, fields capped, device and camera taken from the topic (a mismatch flagged)',
      measured: `${printed.length} lines printed for 5 hostile messages, longest ${Math.max(...printed.map((l) => l.length))} chars, invalid ${text.subscriber.counts.invalid}, mismatched ${text.subscriber.counts.mismatched}`,
      test: 'test/mqtt/alerts-hostile.test.ts',
    });
    expect(printed).toHaveLength(4);
    for (const line of [...printed, ...json.lines]) {
      expect(line).toMatch(SAFE_LINE);
      expect(line).not.toContain('\n');
      expect(line.length).toBeLessThan(600);
    }
    // 1: one line, the topic's camera, the forged text only inside the flagged claim
    expect(printed[0]).toMatch(/^2026-01-02 03:04:05Z {2}hostile-dev\/door {2}NO MASK/);
    expect(printed[0]).toContain('[payload claims hostile-dev/door?[2J?]0;pwned??]52;');
    expect(printed[0]).toContain('…: topic and payload disagree]');
    // 2: the topic level is made safe too
    expect(printed[1]).toContain('hostile-dev/lobby?evil  NO MASK');
    expect(printed[1]).not.toContain('payload claims');
    // 3: cut to 64 characters in the claim, 128 in JSON
    expect(printed[2]).toContain(`claims hostile-dev/${'n'.repeat(63)}…:`);
    const third = JSON.parse(json.lines[2]!);
    expect(third.camera).toBe('door');
    expect(third.model.name).toHaveLength(128);
    // 5: the topic says hostile-dev/door, whatever the payload claims
    expect(printed[3]).toMatch(
      /hostile-dev\/door {2}NO MASK .*\[payload claims ceo-laptop\/vault: topic and payload disagree\]$/,
    );
    const fifth = JSON.parse(json.lines[3]!);
    expect(fifth).toMatchObject({
      device: 'hostile-dev',
      camera: 'door',
      claimed: { device: 'ceo-laptop', camera: 'vault' },
    });
    expect(text.subscriber.counts).toMatchObject({ invalid: 1, mismatched: 3 });
    text.stop();
    json.stop();
    await Promise.all([text.done, json.done, pub.close()]);
  }, 60_000);

  it("--device '#', --camera '+' and a '/' in a level are usage errors (exit 2), before any connection", async () => {
    for (const opts of [
      { device: '#' },
      { camera: '+' },
      { device: 'a/b' },
      { group: '' },
      { device: `x${ESC}` },
    ]) {
      await expect(run({ broker: 'mqtt://127.0.0.1:1', ...opts })).rejects.toMatchObject({
        code: 'E_USAGE',
        exitCode: 2,
      });
    }
  });
});
