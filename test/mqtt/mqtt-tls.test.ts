import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Logger } from '../../src/core/logger.js';
import { resolveBrokerSecrets } from '../../src/edge/mqtt/mqtt-credentials.js';
import { openMqttEventSink } from '../../src/edge/mqtt/open-event-sink.js';
import {
  MOSQUITTO_BIN,
  MOSQUITTO_MISSING,
  type Mosquitto,
  makeTlsFiles,
  startMosquitto,
} from '../helpers/mosquitto.js';
import { compileChild } from '../helpers/ts-child.js';
import { sampleDraft, sinkConfig } from './sink-config.js';

const lines: string[] = [];
const captured = new Logger({ level: 'debug', json: true, sink: { write: (l) => lines.push(l) } });
let broker: Mosquitto | undefined;
let tls: ReturnType<typeof makeTlsFiles>;

const OPENSSL = ['/usr/bin/openssl', '/bin/openssl'].some((p) => existsSync(p));

beforeAll(async () => {
  if (!MOSQUITTO_BIN) return console.warn(MOSQUITTO_MISSING);
  if (!OPENSSL) return console.warn('openssl is not installed: TLS tests against mosquitto skipped');
  tls = makeTlsFiles();
  broker = await startMosquitto({ tls: { ca: tls.ca, cert: tls.cert, key: tls.key } });
});
afterAll(async () => broker?.stop());

describe('MQTT over TLS (mosquitto with a test CA)', () => {
  it('the right CA connects and delivers; secrets from the environment are used and never logged', async (ctx) => {
    if (!broker) return ctx.skip();
    const config = sinkConfig(broker.url, { tls: { ca: tls.ca }, password: 'config-password' }, 'tls-dev');
    const sink = await openMqttEventSink(config, captured, {
      MASK_EDGE_MQTT_USERNAME: 'edge',
      MASK_EDGE_MQTT_PASSWORD: 's3cr3t-env',
    });
    await sink.publishEvent(sampleDraft(1));
    expect(await sink.drained(10_000)).toBe(true);
    await sink.close();
    const log = lines.join('');
    expect(log).toContain('"password":"env"');
    expect(log).not.toContain('s3cr3t-env');
    expect(log).not.toContain('config-password');
  });

  it('a wrong CA stops the start with E_TLS naming the broker', async (ctx) => {
    if (!broker) return ctx.skip();
    const config = sinkConfig(broker.url, { tls: { ca: tls.otherCa } }, 'tls-bad');
    await expect(openMqttEventSink(config, captured)).rejects.toMatchObject({
      code: 'E_TLS',
      detail: { url: broker.url, tlsCode: expect.any(String) },
    });
  });

  it('a CA file that is missing or not PEM is E_TLS with its path', () => {
    expect(() =>
      resolveBrokerSecrets({ tls: { ca: '/nonexistent/ca.pem', rejectUnauthorized: true } }),
    ).toThrow(
      expect.objectContaining({
        code: 'E_TLS',
        detail: expect.objectContaining({ path: '/nonexistent/ca.pem' }),
      }),
    );
    const junk = join(mkdtempSync(join(tmpdir(), 'tls-')), 'ca.pem');
    writeFileSync(junk, 'hello');
    expect(() => resolveBrokerSecrets({ tls: { ca: junk, rejectUnauthorized: true } })).toThrow(
      expect.objectContaining({ code: 'E_TLS', detail: expect.objectContaining({ path: junk }) }),
    );
  });

  it('systemd credentials supply the password when config and environment do not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'creds-'));
    writeFileSync(join(dir, 'mqtt-password'), 'from-credential\n');
    writeFileSync(join(dir, 'mqtt-username'), 'edge-user');
    const secrets = resolveBrokerSecrets({}, { CREDENTIALS_DIRECTORY: dir });
    expect(secrets).toMatchObject({
      username: 'edge-user',
      password: 'from-credential',
      sources: { password: 'credential' },
    });
    expect(
      resolveBrokerSecrets(
        { password: 'cfg' },
        { CREDENTIALS_DIRECTORY: dir, MASK_EDGE_MQTT_PASSWORD: 'env' },
      ).password,
    ).toBe('env');
  });
});

describe('mask-edge agent with a wrong CA (real process)', () => {
  it('cannot start: exit code 11 and an E_TLS line naming the broker', async (ctx) => {
    if (!broker) return ctx.skip();
    const { faceDetectorModel, writeMeanColourClassifier, FACE_API_DEMO } = await import(
      '../agent/agent-test-kit.js'
    );
    const dir = mkdtempSync(join(tmpdir(), 'agent-tls-'));
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      stringify({
        device: { id: 'tls-agent' },
        mqtt: { url: broker.url, tls: { ca: tls.otherCa } },
        outbox: { dir: join(dir, 'outbox') },
        health: { enabled: false },
        models: {
          detector: await faceDetectorModel(dir),
          classifier: writeMeanColourClassifier(dir),
          providers: ['cpu'],
        },
        cameras: [{ id: 'door', source: { type: 'images', path: FACE_API_DEMO } }],
      }),
    );
    const script = compileChild(join(import.meta.dirname, 'cli-child.ts'));
    const result = spawnSync(process.execPath, [script, 'agent', '--config', config], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.status).toBe(11);
    expect(result.stderr).toContain('error E_TLS');
    expect(result.stderr).toContain(broker.url);
  });
});
