/** Helpers for source tests: real media made with ffmpeg, free loopback ports, polling. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { Logger } from '../../src/core/logger.js';

const run = promisify(execFile);

export const quietLogger = new Logger({ level: 'error', sink: { write: () => undefined } });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A synthetic test-pattern video (ffmpeg's testsrc2), MJPEG in AVI: fast to make and to decode. */
export async function makePatternVideo(
  path: string,
  options: { width?: number; height?: number; frames?: number; fps?: number } = {},
): Promise<void> {
  const { width = 160, height = 120, frames = 20, fps = 10 } = options;
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${width}x${height}:rate=${fps}`,
    '-frames:v',
    String(frames),
    '-c:v',
    'mjpeg',
    '-q:v',
    '5',
    path,
  ]);
}

/** A TCP port nothing listens on right now (bound then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** An ffmpeg serving a looping video as an HTTP MJPEG stream (one client), like an IP camera. */
export function serveMjpeg(video: string, port: number): ChildProcess {
  return spawn(
    'ffmpeg',
    [
      '-v',
      'error',
      '-re',
      '-stream_loop',
      '-1',
      '-i',
      video,
      '-c:v',
      'mjpeg',
      '-q:v',
      '5',
      '-f',
      'mpjpeg',
      '-listen',
      '1',
      `http://127.0.0.1:${port}/cam.mjpg`,
    ],
    { stdio: 'ignore' },
  );
}

export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
