/**
 * A real mosquitto broker on a free loopback port, for integration tests. `startMosquitto()` returns
 * undefined when the binary is absent (tests then skip with a message). The broker can be stopped and
 * restarted on the same port (outage tests) and optionally keeps persistent sessions across restarts.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MOSQUITTO_BIN = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));
export const MOSQUITTO_SUB_BIN = ['/usr/bin/mosquitto_sub'].find((p) => existsSync(p));
export const MOSQUITTO_MISSING =
  'mosquitto is not installed (apt-get install -y mosquitto mosquitto-clients): MQTT integration tests skipped';

export interface MosquittoOptions {
  /** Keep sessions and queued QoS 1 messages across restarts (persistence to a temp folder). */
  persistence?: boolean;
  /** TLS listener with these PEM files instead of plain TCP. */
  tls?: { ca: string; cert: string; key: string };
  /** Require these user names and passwords (mosquitto_passwd); anonymous clients are refused. */
  users?: Record<string, string>;
}

export interface Mosquitto {
  port: number;
  url: string;
  dir: string;
  stop(): Promise<void>;
  /** SIGKILL: no clean shutdown (no persistence save). */
  kill(): Promise<void>;
  start(): Promise<void>;
  readonly log: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto | undefined> {
  if (!MOSQUITTO_BIN) return undefined;
  const bin = MOSQUITTO_BIN;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-'));
  // Run as root, mosquitto drops to the 'mosquitto' user: it must be able to write its persistence file.
  chmodSync(dir, 0o777);
  const conf = join(dir, 'mosquitto.conf');
  const lines = [
    `listener ${port} 127.0.0.1`,
    `allow_anonymous ${options.users ? 'false' : 'true'}`,
    `persistence ${options.persistence ? 'true' : 'false'}`,
    `persistence_location ${dir}/`,
    'autosave_interval 1',
    'log_dest stdout',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'max_queued_messages 100000',
    // Without it, Nagle + delayed ACK hold each small QoS 1 burst ~40 ms (see bench/outbox-throughput.mjs).
    'set_tcp_nodelay true',
  ];
  if (options.tls) {
    lines.push(`cafile ${options.tls.ca}`, `certfile ${options.tls.cert}`, `keyfile ${options.tls.key}`);
  }
  if (options.users) {
    const passwd = join(dir, 'passwd');
    for (const [user, password] of Object.entries(options.users)) {
      const create = existsSync(passwd) ? [] : ['-c'];
      execFileSync('mosquitto_passwd', [...create, '-b', passwd, user, password], { stdio: 'pipe' });
    }
    chmodSync(passwd, 0o644);
    lines.push(`password_file ${passwd}`);
  }
  writeFileSync(conf, `${lines.join('\n')}\n`);
  let child: ChildProcess | undefined;
  let output = '';
  const broker: Mosquitto = {
    port,
    url: `${options.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    dir,
    get log() {
      return output;
    },
    async start() {
      child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (d: Buffer) => {
        output += d.toString();
      });
      child.stderr?.on('data', (d: Buffer) => {
        output += d.toString();
      });
      await waitForPort(
        port,
        () => child?.exitCode !== null,
        () => output,
      );
    },
    async stop() {
      await end('SIGTERM');
    },
    async kill() {
      await end('SIGKILL');
    },
  };
  async function end(signal: NodeJS.Signals): Promise<void> {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill(signal);
    await exited;
  }
  await broker.start();
  return broker;
}

async function waitForPort(port: number, died: () => boolean, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (died()) throw new Error(`mosquitto exited:\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`mosquitto did not listen on ${port}:\n${log()}`);
}

/** A self-signed CA, a server certificate for 127.0.0.1 signed by it, and an unrelated second CA. */
export function makeTlsFiles(): { dir: string; ca: string; cert: string; key: string; otherCa: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-tls-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) =>
    run([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
    ]);
  ca('test-ca');
  ca('other-ca');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  ]);
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'test-ca.pem',
    '-CAkey',
    'test-ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'server.pem',
  ]);
  // Readable by the unprivileged user mosquitto switches to (test material only).
  chmodSync(dir, 0o755);
  for (const name of readdirSync(dir)) chmodSync(join(dir, name), 0o644);
  return {
    dir,
    ca: join(dir, 'test-ca.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
    otherCa: join(dir, 'other-ca.pem'),
  };
}
