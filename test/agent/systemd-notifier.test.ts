import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifyArgs, SystemdNotifier, watchdogIntervalMs } from '../../src/edge/agent/systemd-notifier.js';
import { quietLogger, until } from '../sources/source-test-kit.js';

function hasBinary(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`]);
    return true;
  } catch {
    return false;
  }
}

describe('systemd notification messages', () => {
  it('builds the systemd-notify command line (no --pid: that would claim MAINPID)', () => {
    expect(notifyArgs({ READY: '1', STATUS: 'watching 2 cameras' })).toEqual([
      'READY=1',
      'STATUS=watching 2 cameras',
    ]);
    expect(notifyArgs({ STATUS: 'a\nb' })).toEqual(['STATUS=a b']);
    expect(() => notifyArgs({ 'bad key': 'x' })).toThrow(RangeError);
  });

  it('pings the watchdog at half its period, only when the watchdog is for this process', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '60000000' }, 10)).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '10' }, 10)).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '11' }, 10)).toBeUndefined();
    expect(watchdogIntervalMs({}, 10)).toBeUndefined();
  });

  it('is inert without NOTIFY_SOCKET', async () => {
    const calls: string[][] = [];
    const n = new SystemdNotifier({
      env: {},
      runner: async (_c, a) => {
        calls.push(a);
      },
      logger: quietLogger,
    });
    expect(n.enabled).toBe(false);
    expect(await n.ready('x')).toBe(false);
    expect(n.startWatchdog(() => true)).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('sends READY, WATCHDOG (only while healthy) and STOPPING through the runner', async () => {
    const calls: string[][] = [];
    let healthy = true;
    const n = new SystemdNotifier({
      env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '300000' },
      pid: 77,
      runner: async (cmd, args, env) => {
        expect(env.NOTIFY_SOCKET).toBe('/run/x');
        calls.push([cmd, ...args]);
      },
      logger: quietLogger,
    });
    await n.ready('watching 1 camera');
    expect(n.startWatchdog(() => healthy)).toBe(150);
    await until(() => calls.filter((c) => c.includes('WATCHDOG=1')).length >= 2, 'watchdog pings');
    healthy = false;
    const pings = calls.filter((c) => c.includes('WATCHDOG=1')).length;
    await new Promise((r) => setTimeout(r, 400));
    expect(calls.filter((c) => c.includes('WATCHDOG=1')).length).toBe(pings);
    await n.stopping('bye');
    expect(calls[0]).toEqual(['systemd-notify', 'READY=1', 'STATUS=watching 1 camera']);
    expect(calls.at(-1)).toEqual(['systemd-notify', 'STOPPING=1', 'STATUS=bye']);
  });

  it('reports a missing systemd-notify once and keeps going', async () => {
    const n = new SystemdNotifier({
      env: { NOTIFY_SOCKET: '/run/x' },
      binary: '/nonexistent/systemd-notify',
      logger: quietLogger,
    });
    expect(await n.ready('x')).toBe(false);
    expect(await n.status('y')).toBe(false);
  });
});

// The real thing: systemd-notify sending to a datagram socket, received by a python listener.
const real = hasBinary('systemd-notify') && hasBinary('python3');
describe.skipIf(!real)('systemd-notify to a real NOTIFY_SOCKET', () => {
  let dir: string;
  let listener: ChildProcess;
  const received: string[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sdnotify-'));
    const script = [
      'import socket, sys',
      `s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(${JSON.stringify(join(dir, 'notify'))})`,
      'print("ready", flush=True)',
      'while True:',
      '    print(s.recv(4096).decode().replace("\\n", "|"), flush=True)',
    ].join('\n');
    listener = spawn('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    createInterface({ input: listener.stdout! }).on('line', (l) => received.push(l));
    await until(() => received.includes('ready'), 'listener');
  });
  afterAll(async () => {
    listener?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers READY=1 and STATUS, then STOPPING=1', async () => {
    const n = new SystemdNotifier({ env: { NOTIFY_SOCKET: join(dir, 'notify') }, logger: quietLogger });
    expect(await n.ready('watching 1 camera')).toBe(true);
    await n.stopping('stopping');
    await until(() => received.some((l) => l.includes('STOPPING=1')), 'stopping message');
    expect(received).toContain('READY=1|STATUS=watching 1 camera');
    expect(received.some((l) => l.startsWith('STOPPING=1'))).toBe(true);
  });
});
