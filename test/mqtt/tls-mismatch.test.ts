/**
 * Issue 12, item 7: a plain/TLS mismatch is reported as such (E_TLS with a hint), fast, instead of being
 * retried forever as "unreachable" (both directions look like ECONNRESET to the MQTT client).
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MaskEdgeError } from '../../src/core/errors.js';
import { openMqttEventSink } from '../../src/edge/mqtt/open-event-sink.js';
import { probeProtocolMismatch } from '../../src/edge/mqtt/tls-mismatch-probe.js';
import {
  freePort,
  MOSQUITTO_BIN,
  MOSQUITTO_MISSING,
  type Mosquitto,
  makeTlsFiles,
  startMosquitto,
} from '../helpers/mosquitto.js';
import { captureLog, recordReliability } from '../helpers/reliability.js';
import { sinkConfig } from './sink-config.js';

const OPENSSL = ['/usr/bin/openssl', '/bin/openssl'].some((p) => existsSync(p));
const TEST = 'test/mqtt/tls-mismatch.test.ts';
let tlsBroker: Mosquitto | undefined;
let plainBroker: Mosquitto | undefined;

beforeAll(async () => {
  if (!MOSQUITTO_BIN) return console.warn(MOSQUITTO_MISSING);
  if (!OPENSSL) return console.warn('openssl is not installed: TLS mismatch tests skipped');
  const tls = makeTlsFiles();
  tlsBroker = await startMosquitto({ tls: { ca: tls.ca, cert: tls.cert, key: tls.key } });
  plainBroker = await startMosquitto();
});
afterAll(async () => {
  await tlsBroker?.stop();
  await plainBroker?.stop();
});

async function startFailure(url: string): Promise<{ err: MaskEdgeError; ms: number; logged: string }> {
  const log = captureLog('error');
  const started = Date.now();
  // connectTimeoutSeconds 30: without the probe, this would wait 30 s and then retry for ever.
  const err = await openMqttEventSink(
    sinkConfig(url, { connectTimeoutSeconds: 30 }, 'mismatch-dev'),
    log.logger,
  ).then(
    () => {
      throw new Error('expected the start to fail');
    },
    (e: MaskEdgeError) => e,
  );
  return { err, ms: Date.now() - started, logged: JSON.stringify(log.lines) };
}

describe('plain/TLS mismatch (real mosquitto)', () => {
  it('mqtt:// to a TLS port: E_TLS, "expects TLS", hint mqtts://, within seconds', async (ctx) => {
    if (!tlsBroker) return ctx.skip();
    const url = `mqtt://127.0.0.1:${tlsBroker.port}`;
    const { err, ms, logged } = await startFailure(url);
    expect(err.code).toBe('E_TLS');
    expect(err.message).toContain('expects TLS');
    expect(String(err.detail.hint)).toContain('mqtts://');
    expect(logged).toContain('E_TLS');
    expect(ms).toBeLessThan(10_000);
    recordReliability('broker-protocol', {
      scenario: 'Broker URL mqtt:// pointed at a TLS port',
      promise: 'E_TLS with a hint (use mqtts://), not retried forever as "unreachable"',
      measured: `E_TLS "${err.message.replace(/127\.0\.0\.1:\d+/, 'HOST:PORT')}" after ${ms} ms`,
      test: TEST,
    });
  });

  it('mqtts:// to a plain port: E_TLS, "speaks plain MQTT", hint mqtt://', async (ctx) => {
    if (!plainBroker) return ctx.skip();
    const url = `mqtts://127.0.0.1:${plainBroker.port}`;
    const { err, ms } = await startFailure(url);
    expect(err.code).toBe('E_TLS');
    expect(String(err.detail.hint)).toContain('mqtt://');
    expect(ms).toBeLessThan(10_000);
    recordReliability('broker-protocol', {
      scenario: 'Broker URL mqtts:// pointed at a plain MQTT port',
      promise: 'E_TLS with a hint (use mqtt:// or the TLS port)',
      measured: `E_TLS "${err.message.replace(/127\.0\.0\.1:\d+/, 'HOST:PORT')}" after ${ms} ms`,
      test: TEST,
    });
  });

  it('the probe finds no mismatch on a matching port or a closed one', async (ctx) => {
    if (!plainBroker || !tlsBroker) return ctx.skip();
    expect(await probeProtocolMismatch(`mqtt://127.0.0.1:${plainBroker.port}`)).toBe('no-mismatch');
    expect(await probeProtocolMismatch(`mqtts://127.0.0.1:${tlsBroker.port}`)).toBe('no-mismatch');
    expect(await probeProtocolMismatch(`mqtt://127.0.0.1:${await freePort()}`)).toBe('no-mismatch');
  });
});
