import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import { stringify } from 'yaml';
import { makeTlsFiles, startMosquitto } from './helpers/mosquitto.js';
import { compileChild } from './helpers/ts-child.js';
import { FACE_API_DEMO, faceDetectorModel, writeMeanColourClassifier } from './agent/agent-test-kit.js';
it('x', async () => {
  const tls = makeTlsFiles();
  const broker = (await startMosquitto({ tls }))!;
  const dir = mkdtempSync(join(tmpdir(), 'agent-tls-'));
  const config = join(dir, 'agent.yaml');
  writeFileSync(config, stringify({
    device: { id: 'tls-agent' }, mqtt: { url: broker.url, tls: { ca: tls.otherCa } },
    outbox: { dir: join(dir, 'outbox') }, health: { enabled: false }, logging: { level: 'debug' },
    models: { detector: await faceDetectorModel(dir), classifier: writeMeanColourClassifier(dir), providers: ['cpu'] },
    cameras: [{ id: 'door', source: { type: 'images', path: FACE_API_DEMO } }],
  }));
  const script = compileChild(join(import.meta.dirname, 'mqtt/cli-child.ts'));
  const child = spawn(process.execPath, [script, 'agent', '--config', config]);
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const code = await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(() => r("timeout"), 150000))]);
  child.kill('SIGKILL');
  console.log('CODE', code, err.split('\n').map((l) => l.slice(0, 300)).join('\n'));
  await broker.stop();
}, 300000);
