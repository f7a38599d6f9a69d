/**
 * Camera credentials never reach a place another local user or a log reader can see: the real ffmpeg
 * child's /proc/PID/cmdline, the source's stats, the log lines. The camera here is a real HTTP MJPEG
 * server on loopback that demands Basic auth, so frames arriving prove ffmpeg got the password anyway.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Logger } from '../../src/core/logger.js';
import { sourceConfigSchema } from '../../src/edge/config/source-config.js';
import { ffmpegInvocation } from '../../src/edge/sources/ffmpeg-args.js';
import type { FrameSource } from '../../src/edge/sources/frame-source.js';
import { createFrameSource } from '../../src/edge/sources/source-registry.js';
import { recordReliability } from '../helpers/reliability.js';
import { freePort, until } from './source-test-kit.js';

const run = promisify(execFile);
const USER = 'viewer';
const PASSWORD = 'S3cr3t-pw_41';
const fastReconnect = { initialSeconds: 0.1, maxSeconds: 0.5 };

/** An MJPEG camera that answers 401 without the right Basic credentials; records what it was sent. */
function authCamera(
  parts: Buffer[],
  port: number,
): Promise<{ server: Server; auth: (string | undefined)[] }> {
  const auth: (string | undefined)[] = [];
  const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const server = createServer((req, res) => {
    auth.push(req.headers.authorization);
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="cam"' }).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'multipart/x-mixed-replace;boundary=ffmpeg' });
    let i = 0;
    const timer = setInterval(() => res.write(parts[i++ % parts.length]!), 100);
    res.on('close', () => clearInterval(timer));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, auth })));
}

describe('camera credentials stay out of ffmpeg argv, stats and logs (real ffmpeg, real HTTP camera)', () => {
  let dir: string;
  let parts: Buffer[];
  let source: FrameSource | undefined;
  let server: Server | undefined;
  const lines: string[] = [];
  const logger = new Logger({ level: 'debug', json: true, sink: { write: (l) => lines.push(l) } });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ffmpeg-cred-'));
    const file = join(dir, 'cam.mpjpeg');
    await run(
      'ffmpeg',
      ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10'].concat([
        '-frames:v',
        '10',
        '-q:v',
        '5',
        '-f',
        'mpjpeg',
        file,
      ]),
    );
    const bytes = await readFile(file);
    const text = bytes.toString('latin1');
    parts = text
      .split('--ffmpeg')
      .filter((p) => p.length > 4)
      .map((p) => Buffer.from(`--ffmpeg${p}`, 'latin1'));
  });
  afterEach(async () => {
    await source?.stop();
    source = undefined;
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
    lines.length = 0;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const open = async (raw: Record<string, unknown>) => {
    source = await createFrameSource('cam', sourceConfigSchema.parse({ type: 'ffmpeg', ...raw }), { logger });
    return source;
  };

  it('HTTP MJPEG with user:password: frames flow, the password is not in /proc/PID/cmdline, stats or logs', async () => {
    const port = await freePort();
    const camera = await authCamera(parts, port);
    server = camera.server;
    const s = await open({
      url: `http://${USER}:${PASSWORD}@127.0.0.1:${port}/cam.mjpg`,
      reconnect: fastReconnect,
    });
    s.start();
    await until(() => s.stats().frames >= 3, 'frames from the camera that demands a password');
    const pid = s.stats().detail?.pid as number;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    // Measured: what `ps` shows of the real ffmpeg child (reported by the lead's reliability table).
    console.log(`[measure] ffmpeg argv (${cmdline.length} args): ${cmdline.join(' ')}`);
    recordReliability('secrets', {
      scenario: 'RTSP/HTTP camera with credentials decoded by a real ffmpeg child',
      promise:
        'the password never appears in the ffmpeg command line (ps, /proc/PID/cmdline), its environment or the logs',
      measured: `${cmdline.length} args ending in -i pipe:3; password in cmdline ${count(cmdline.join(' '), PASSWORD)} times, environ ${count(environ, PASSWORD)}, log lines ${count(lines.join(''), PASSWORD)}`,
      test: 'test/sources/ffmpeg-credentials.test.ts',
    });
    expect(cmdline.join(' ')).not.toContain(PASSWORD);
    expect(cmdline.join(' ')).not.toContain(USER);
    expect(cmdline).toContain('pipe:3');
    expect(environ).not.toContain(PASSWORD);
    expect(camera.auth).toContain(`Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`);
    expect(s.stats().input).toBe(`http://***@127.0.0.1:${port}/cam.mjpg`);
    expect(s.stats().detail).toMatchObject({ width: 160, height: 120, credentialsInArgv: false });
    expect(JSON.stringify(s.stats())).not.toContain(PASSWORD);
    expect(lines.join('')).toContain('pipe:3 (ffconcat list)');
    expect(lines.join('')).not.toContain(PASSWORD);
  });

  it('a wrong password is reported offline with the URL redacted', async () => {
    const port = await freePort();
    server = (await authCamera(parts, port)).server;
    const s = await open({
      url: `http://${USER}:wrong-${PASSWORD}@127.0.0.1:${port}/cam.mjpg`,
      reconnect: fastReconnect,
    });
    s.start();
    await until(() => s.stats().restarts >= 2, 'retries after 401');
    expect(s.stats().state).toBe('offline');
    expect(s.stats().error).toMatch(/401|Unauthorized/);
    expect(JSON.stringify(s.stats())).not.toContain(PASSWORD);
    expect(lines.join('')).not.toContain(PASSWORD);
  });

  it('RTSP with user:password: not in argv (option lines carry transport and timeout), error redacted', async () => {
    const port = await freePort();
    const s = await open({
      url: `rtsp://${USER}:${PASSWORD}@127.0.0.1:${port}/stream`,
      timeoutSeconds: 1,
      reconnect: fastReconnect,
    });
    const seen: string[] = [];
    s.onState(() => {
      const pid = s.stats().detail?.pid as number | undefined;
      if (pid) {
        try {
          seen.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
        } catch {
          // already gone
        }
      }
    });
    s.start();
    await until(() => s.stats().restarts >= 2, 'several attempts');
    expect(s.stats().error).toMatch(/Connection refused/);
    expect(JSON.stringify(s.stats())).not.toContain(PASSWORD);
    expect(lines.join('')).not.toContain(PASSWORD);
    for (const c of seen) expect(c).not.toContain(PASSWORD);
    const inv = ffmpegInvocation(sourceConfigSchema.parse(`rtsp://${USER}:${PASSWORD}@cam/x`) as never, 5);
    expect(inv.args.join(' ')).not.toContain(PASSWORD);
    expect(inv.hiddenInput).toContain("option rtsp_transport 'tcp'");
    expect(inv.hiddenInput).toContain("option timeout '10000000'");
  });

  it('falls back to argv, saying why, where ffmpeg cannot take the list (ffmpeg 4, inputFormat)', () => {
    const url = `rtsp://${USER}:${PASSWORD}@cam/x`;
    const old = ffmpegInvocation(sourceConfigSchema.parse(url) as never, 4);
    expect(old.hiddenInput).toBeUndefined();
    expect(old.credentialsInArgv).toMatch(/ffmpeg 4\.x/);
    const fmt = ffmpegInvocation(
      sourceConfigSchema.parse({ type: 'ffmpeg', url, inputFormat: 'rtsp' }) as never,
      6,
    );
    expect(fmt.credentialsInArgv).toMatch(/inputFormat/);
    const plain = ffmpegInvocation(sourceConfigSchema.parse('rtsp://cam/x') as never, 6);
    expect(plain.hiddenInput).toBeUndefined();
    expect(plain.credentialsInArgv).toBeUndefined();
    const quote = ffmpegInvocation(sourceConfigSchema.parse(`http://u:it's@cam/x`) as never, 6);
    expect(quote.hiddenInput).toContain(`file 'http://u:it'\\''s@cam/x'`);
  });
});

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}
