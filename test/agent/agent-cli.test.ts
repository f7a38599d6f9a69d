import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort, until } from '../sources/source-test-kit.js';
import { faceDetectorModel, writeMeanColourClassifier } from './agent-test-kit.js';
import { compileCli } from './compile-cli.js';

function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `mask-edge agent` as a real process: exit codes, signals, systemd notification. */
describe('mask-edge agent (real process)', () => {
  let dir: string;
  let cli: string;
  let compiled: string | undefined;
  let models: { detector: string; classifier: string };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-cli-'));
    const built = compileCli(join(import.meta.dirname, 'agent-cli-child.ts'));
    cli = built.script;
    compiled = built.dir;
    models = { detector: await faceDetectorModel(dir), classifier: writeMeanColourClassifier(dir) };
    await mkdir(join(dir, 'photos'));
    // one photo is enough for a looping folder camera
    const { copyFile } = await import('node:fs/promises');
    const { FACE_API_DEMO } = await import('./agent-test-kit.js');
    await copyFile(join(FACE_API_DEMO, 'sample2.jpg'), join(dir, 'photos', 'a.jpg'));
  }, 300_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    if (compiled) await rm(compiled, { recursive: true, force: true });
  });

  const start = (args: string[], env: Record<string, string> = {}): ChildProcess =>
    spawn(process.execPath, [cli, 'agent', ...args], {
      env: { ...process.env, MASK_EDGE_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const finish = (child: ChildProcess): Promise<Ran> =>
    new Promise((resolve) => {
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d) => (stdout += d));
      child.stderr!.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  const config = async (name: string, raw: Record<string, unknown>) => {
    const file = join(dir, name);
    await writeFile(file, stringify(raw));
    return file;
  };
  const runnable = async (name: string, health: Record<string, unknown> = { enabled: false }) =>
    config(name, {
      device: { id: 'cli-test' },
      mqtt: { url: `mqtt://127.0.0.1:${await freePort()}` },
      outbox: { dir: join(dir, `${name}.outbox`) },
      health,
      models: { ...models, providers: ['cpu'] },
      cameras: [{ id: 'door', source: { type: 'images', path: join(dir, 'photos'), loop: true, fps: 2 } }],
    });

  it('exits 3 listing every config problem with its path', async () => {
    const file = await config('bad.yaml', { cameras: [{ id: 'a b', source: { type: 'images' } }], bogus: 1 });
    const ran = await finish(start(['--config', file, '--check-config']));
    expect(ran.code).toBe(3);
    expect(ran.stderr).toContain('E_CONFIG');
    expect(ran.stderr).toContain('cameras.0.id');
    expect(ran.stderr).toContain('cameras.0.source.path');
    expect(ran.stderr).toContain('bogus');
  });

  it('exits 6 naming a missing model, and 4 for a missing config file', async () => {
    const file = await config('nomodel.yaml', {
      models: { detector: join(dir, 'nope.onnx') },
      cameras: [{ id: 'door', source: join(dir, 'photos') }],
    });
    const ran = await finish(start(['--config', file]));
    expect(ran.code).toBe(6);
    expect(ran.stderr).toContain(join(dir, 'nope.onnx'));
    const missing = await finish(start(['--config', join(dir, 'absent.yaml')]));
    expect(missing.code).toBe(4);
  });

  it('--check-config exits 0 with a summary', async () => {
    const ran = await finish(start(['--config', await runnable('check.yaml'), '--check-config']));
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/config OK: .*\(1 camera\(s\): door=images; models open in ONNX Runtime\)/);
    // The short form names the file on --check-config itself.
    const short = await finish(start(['--check-config', await runnable('check-short.yaml')]));
    expect(short.code).toBe(0);
    expect(short.stdout).toMatch(/config OK: .*check-short\.yaml/);
  });

  const canNotify = hasBinary('systemd-notify') && hasBinary('python3');

  it('runs with the broker down, serves /metrics, and exits 0 on SIGTERM, ending its tracks', async () => {
    const port = await freePort();
    const child = start([
      '--config',
      await runnable('plain.yaml', { enabled: true, host: '127.0.0.1', port }),
    ]);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const done = finish(child);
    await until(() => /"msg":"event".*"type":"new"/.test(stderr), 'first event', 60_000);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^mask_edge_fps \d/m);
    child.kill('SIGTERM');
    const ran = await done;
    expect(ran.code).toBe(0);
    expect(stderr).toMatch(/stopping agent.*signal SIGTERM/);
    expect(stderr).toMatch(/"msg":"event".*"type":"end"/);
  });

  it.skipIf(!canNotify)(
    'tells systemd it is ready (real systemd-notify) and notifies STOPPING on SIGTERM',
    async () => {
      const socket = join(dir, 'notify.sock');
      const received: string[] = [];
      const listener = spawn(
        'python3',
        [
          '-c',
          [
            'import socket',
            `s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(${JSON.stringify(socket)})`,
            'print("listening", flush=True)',
            'while True:',
            '    print(s.recv(4096).decode().replace("\\n", "|"), flush=True)',
          ].join('\n'),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      createInterface({ input: listener.stdout! }).on('line', (l) => received.push(l));
      try {
        await until(() => received.includes('listening'), 'notify listener');
        const child = start(['--config', await runnable('run.yaml')], { NOTIFY_SOCKET: socket });
        const done = finish(child);
        await until(() => received.some((l) => l.startsWith('READY=1')), 'READY=1', 60_000);
        child.kill('SIGTERM');
        const ran = await done;
        expect(ran.code).toBe(0);
        expect(received.find((l) => l.startsWith('READY=1'))).toMatch(
          /STATUS=watching 1 camera\(s\), detector on cpu/,
        );
        expect(received.some((l) => l.startsWith('STOPPING=1'))).toBe(true);
        expect(ran.stderr).toMatch(/stopping agent.*signal SIGTERM/);
      } finally {
        listener.kill('SIGKILL');
      }
    },
  );
});
