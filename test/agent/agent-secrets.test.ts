/**
 * Secrets in the agent config: `${ENV}` and `${credential:NAME}` references in camera URLs resolve at load,
 * the password never appears in any log line (the "starting agent" settings included) nor in the source
 * stats; `--check-config` opens the model files for real (a folder or a JPEG named .onnx is E_MODEL) and
 * parses the TLS files (E_TLS).
 */
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatError, isMaskEdgeError, MaskEdgeError } from '../../src/core/errors.js';
import { Logger } from '../../src/core/logger.js';
import { type AgentWiring, runAgent } from '../../src/edge/agent/agent-command.js';
import { agentWiring } from '../../src/edge/agent/agent-wiring.js';
import { SystemdNotifier } from '../../src/edge/agent/systemd-notifier.js';
import { loadAgentConfig } from '../../src/edge/config/agent-config.js';
import { type PipelineConfig, pipelineConfigSchema } from '../../src/edge/config/pipeline-config.js';
import { RecordingEventSink } from '../../src/edge/events/recording-event-sink.js';
import { recordReliability } from '../helpers/reliability.js';
import { freePort, quietLogger, until } from '../sources/source-test-kit.js';
import { faceDetectorModel, writeMeanColourClassifier } from './agent-test-kit.js';

const PASSWORD = 'Pa55-from-env_93';
const CRED_PASSWORD = 'Cred-pass_77';

async function rejection(p: Promise<unknown>): Promise<MaskEdgeError> {
  try {
    await p;
  } catch (err) {
    if (isMaskEdgeError(err)) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('agent secrets and --check-config depth', () => {
  let dir: string;
  let detector: string;
  let classifier: string;
  const saved = { ...process.env };
  const wiring: AgentWiring<PipelineConfig> = {
    schema: pipelineConfigSchema,
    openSink: async () => new RecordingEventSink('secrets-test'),
  };
  const writeConfig = async (name: string, raw: unknown) => {
    const file = join(dir, name);
    await writeFile(file, stringify(raw));
    return file;
  };
  const io = (logger: Logger, extra: Record<string, unknown> = {}) => ({
    logger,
    notifier: new SystemdNotifier({ env: {}, logger: quietLogger }),
    ...extra,
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-secrets-'));
    detector = await faceDetectorModel(dir);
    classifier = writeMeanColourClassifier(dir);
    await mkdir(join(dir, 'creds'));
    await writeFile(join(dir, 'creds', 'cam2-password'), `${CRED_PASSWORD}\n`, { mode: 0o600 });
  });
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('resolves $ENV and credential:NAME references in camera URLs; no log line or stat holds either password', async () => {
    process.env.CAM_PASSWORD = PASSWORD;
    process.env.CREDENTIALS_DIRECTORY = join(dir, 'creds');
    const [p1, p2] = [await freePort(), await freePort()];
    const file = await writeConfig('cams.yaml', {
      models: { detector, classifier, providers: ['cpu'] },
      cameras: [
        {
          id: 'door',
          source: {
            type: 'ffmpeg',
            url: `rtsp://admin:\${CAM_PASSWORD}@127.0.0.1:${p1}/s`,
            timeoutSeconds: 1,
          },
        },
        { id: 'yard', source: `http://viewer:\${credential:cam2-password}@127.0.0.1:${p2}/cam.mjpg` },
      ],
    });
    const resolved = loadAgentConfig(file).cameras.map((c) => (c.source as { url: string }).url);
    expect(resolved).toEqual([
      `rtsp://admin:${PASSWORD}@127.0.0.1:${p1}/s`,
      `http://viewer:${CRED_PASSWORD}@127.0.0.1:${p2}/cam.mjpg`,
    ]);
    const lines: string[] = [];
    const logger = new Logger({ level: 'debug', json: true, sink: { write: (l) => lines.push(l) } });
    const signals = new EventEmitter();
    const running = runAgent({ config: file }, wiring, io(logger, { signals }));
    await until(
      () => lines.filter((l) => l.includes('source lost')).length >= 2,
      'both cameras tried',
      30_000,
    );
    signals.emit('SIGTERM', 'SIGTERM');
    await running;
    const all = lines.join('');
    const starting = lines.find((l) => l.includes('"starting agent"'))!;
    expect(starting).toContain(`rtsp://***@127.0.0.1:${p1}/s`);
    expect(starting).toContain(`http://***@127.0.0.1:${p2}/cam.mjpg`);
    recordReliability('secrets', {
      scenario: 'Camera URLs with passwords from ${ENV} and ${credential:NAME} references',
      promise: 'no password in any log line, stat or error (scheme://***@host)',
      measured: `${lines.length} agent log lines: env password ${all.split(PASSWORD).length - 1} times, credential password ${all.split(CRED_PASSWORD).length - 1} times`,
      test: 'test/agent/agent-secrets.test.ts',
    });
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(CRED_PASSWORD);
  }, 60_000);

  it('printed errors and log lines (JSON and text) lose URL user info wherever it appears', () => {
    const err = new MaskEdgeError('E_SOURCE', `ffmpeg exited reading rtsp://admin:${PASSWORD}@cam/s`, {
      detail: { input: `http://u:${PASSWORD}@cam/x` },
    });
    expect(formatError(err)).toBe(
      'error E_SOURCE: ffmpeg exited reading rtsp://***@cam/s\n  input: http://***@cam/x',
    );
    for (const json of [true, false]) {
      const lines: string[] = [];
      const logger = new Logger({ level: 'info', json, sink: { write: (l) => lines.push(l) } });
      logger.warn(`open 'rtsp://a:${PASSWORD}@h/x' failed`, {
        url: `rtsps://a:${PASSWORD}@h:322/x`,
        error: err,
      });
      expect(lines.join(''), `json=${json}`).not.toContain(PASSWORD);
      expect(lines.join('')).toContain('rtsps://***@h:322/x');
    }
  });

  it('an unresolved reference is E_CONFIG naming the field and the variable, never a value', async () => {
    process.env.OTHER_SECRET = PASSWORD;
    const file = await writeConfig('missing-ref.yaml', {
      cameras: [{ id: 'door', source: `rtsp://admin:\${NOT_SET_ANYWHERE}@cam/s` }],
      mqtt: { password: `\${credential:mqtt-password}` },
    });
    const err = await rejection(
      runAgent({ config: file, checkConfig: true }, agentWiring(), io(quietLogger)),
    );
    expect(err.code).toBe('E_CONFIG');
    expect(err.message).toContain('cameras.0.source: environment variable NOT_SET_ANYWHERE is not set');
    expect(err.message).toMatch(
      /mqtt\.password: systemd credential 'mqtt-password' referenced but \$CREDENTIALS_DIRECTORY is not set/,
    );
    expect(err.message).not.toContain(PASSWORD);
  });

  it('--check-config refuses a folder and a JPEG as models (E_MODEL) and garbage TLS files (E_TLS)', async () => {
    const jpeg = join(dir, 'photo.onnx');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .jpeg()
      .toFile(jpeg);
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['folder', { models: { detector: dir, classifier } }, 'E_MODEL', /models\.detector is not a file/],
      ['jpeg', { models: { detector, classifier: jpeg } }, 'E_MODEL', /models\.classifier: .*photo\.onnx/],
    ];
    for (const [name, extra, code, message] of cases) {
      const file = await writeConfig(`${name}.yaml`, { ...extra, cameras: [{ id: 'a', source: dir }] });
      const err = await rejection(
        runAgent({ config: file, checkConfig: true }, agentWiring(), io(quietLogger)),
      );
      expect(err.code, name).toBe(code);
      expect(err.exitCode).toBe(6);
      expect(err.message).toMatch(message);
    }
    const fakePem = join(dir, 'fake.pem');
    await writeFile(fakePem, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
    const tls = await writeConfig('tls.yaml', {
      models: { detector, classifier },
      mqtt: { url: 'mqtts://127.0.0.1:8883', tls: { ca: fakePem } },
      cameras: [{ id: 'a', source: dir }],
    });
    const err = await rejection(runAgent({ config: tls, checkConfig: true }, agentWiring(), io(quietLogger)));
    expect(err.code).toBe('E_TLS');
    expect(err.message).toMatch(/TLS ca \(mqtt\.tls\.ca\) does not parse/);
  });
});
