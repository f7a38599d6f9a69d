/**
 * `ffmpeg` source: RTSP, HTTP(S) MJPEG, video files and V4L2 devices, decoded by a system ffmpeg child
 * process to raw rgb24 frames on its stdout. One child per session; the supervisor restarts it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { MaskEdgeError } from '../../core/errors.js';
import type { FfmpegSourceConfig } from '../config/source-config.js';
import {
  FrameAssembler,
  ffmpegInvocation,
  inputKind,
  isDecodeErrorLine,
  OutputSizeParser,
  parseFfmpegMajor,
} from './ffmpeg-args.js';
import { type DriverContext, type DriverSession, redactUrl, type SourceDriver } from './frame-source.js';

const STDERR_TAIL = 12;
/** Bytes buffered while ffmpeg has not yet told us the frame size (a few 4K frames). */
const MAX_UNSIZED_BYTES = 64 * 1024 * 1024;
const KILL_GRACE_MS = 2000;

const versions = new Map<string, Promise<number | undefined>>();

/** The ffmpeg binary's major version (asked once per binary; undefined when unknown or not runnable). */
export function ffmpegMajorVersion(ffmpegPath: string): Promise<number | undefined> {
  let version = versions.get(ffmpegPath);
  if (!version) {
    version = new Promise((resolve) => {
      execFile(ffmpegPath, ['-hide_banner', '-version'], { timeout: 10_000 }, (err, stdout) => {
        if (err) versions.delete(ffmpegPath);
        resolve(err ? undefined : parseFfmpegMajor(String(stdout)));
      });
    });
    versions.set(ffmpegPath, version);
  }
  return version;
}

export function createFfmpegDriver(config: FfmpegSourceConfig): SourceDriver {
  const kind = inputKind(config.url);
  const input = redactUrl(config.url);
  let warned = false;
  return {
    type: 'ffmpeg',
    input,
    async open(ctx: DriverContext): Promise<DriverSession> {
      const secret = input !== config.url;
      const { args, hiddenInput, credentialsInArgv } = ffmpegInvocation(
        config,
        kind === 'rtsp' || secret ? await ffmpegMajorVersion(config.ffmpegPath) : undefined,
      );
      if (credentialsInArgv && !warned) {
        warned = true;
        ctx.log.warn('camera credentials are visible in the ffmpeg command line (ps) of this camera', {
          input,
          why: credentialsInArgv,
        });
      }
      ctx.log.debug('starting ffmpeg', {
        args: args.map((a) => (a === config.url ? input : a)),
        urlVia: hiddenInput ? 'pipe:3 (ffconcat list)' : 'argv',
      });
      const child = spawn(config.ffmpegPath, args, {
        stdio: hiddenInput ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
      });
      if (hiddenInput) {
        const list = child.stdio[3] as NodeJS.WritableStream & {
          on(e: 'error', f: (e: Error) => void): void;
        };
        list.on('error', (err: Error) => ctx.log.debug('ffmpeg input list pipe error', { error: err }));
        list.end(hiddenInput);
      }
      ctx.detail({ pid: child.pid, credentialsInArgv: !hiddenInput && secret });
      let closing = false;
      const tail: string[] = [];
      const sizeParser = new OutputSizeParser();
      let assembler: FrameAssembler | undefined;
      let unsized: Buffer[] = [];
      let unsizedBytes = 0;

      const describeExit = (code: number | null, signal: NodeJS.Signals | null): string => {
        const why = signal ? `killed by ${signal}` : `exited with code ${code}`;
        const lines = tail.filter((l) => l.trim()).slice(-3);
        return `ffmpeg ${why} reading ${input}${lines.length ? `: ${lines.join(' | ')}` : ''}`;
      };

      const startFrames = (size: { width: number; height: number }) => {
        assembler = new FrameAssembler(size.width * size.height * 3);
        ctx.detail({ width: size.width, height: size.height });
        const buffered = unsized;
        unsized = [];
        for (const chunk of buffered) onData(chunk);
      };

      const onData = (chunk: Buffer) => {
        if (!assembler) {
          unsized.push(chunk);
          unsizedBytes += chunk.length;
          if (unsizedBytes > MAX_UNSIZED_BYTES) {
            ctx.failed(new MaskEdgeError('E_SOURCE', `ffmpeg sent frames but no frame size: ${input}`));
          }
          return;
        }
        const { width, height } = sizeParser.size ?? { width: config.width!, height: config.height! };
        for (const data of assembler.push(chunk)) ctx.frame({ width, height, data });
      };

      if (config.width !== undefined && config.height !== undefined) {
        sizeParser.size = { width: config.width, height: config.height };
        startFrames(sizeParser.size);
      }
      child.stdout!.on('data', onData);
      // Pipe errors (EPIPE when ffmpeg dies) surface as the process exit; never as an unhandled 'error'.
      child.stdout!.on('error', (err) => ctx.log.debug('ffmpeg stdout error', { error: err }));
      child.stderr!.on('error', (err) => ctx.log.debug('ffmpeg stderr error', { error: err }));
      createInterface({ input: child.stderr! }).on('line', (line) => {
        const safe = redactUrl(line.split(config.url).join(input));
        tail.push(safe);
        if (tail.length > STDERR_TAIL) tail.shift();
        if (!assembler) {
          const size = sizeParser.line(line);
          if (size) startFrames(size);
        } else if (isDecodeErrorLine(line)) {
          ctx.badFrame(new MaskEdgeError('E_SOURCE', `ffmpeg reported a damaged frame: ${safe.trim()}`));
        }
      });

      const exited = new Promise<void>((resolve) => {
        child.on('error', (err) => {
          const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
          ctx.failed(
            new MaskEdgeError(
              'E_SOURCE',
              missing
                ? `ffmpeg not found (${config.ffmpegPath}); install ffmpeg or set ffmpegPath`
                : `ffmpeg could not start: ${err.message}`,
              { detail: { ffmpegPath: config.ffmpegPath }, cause: err },
            ),
          );
          resolve();
        });
        child.on('close', (code, signal) => {
          resolve();
          if (closing) return;
          if (assembler && assembler.pending > 0) {
            ctx.badFrame(
              new MaskEdgeError(
                'E_SOURCE',
                `truncated last frame (${assembler.pending} bytes) from ${input}`,
              ),
            );
          }
          if (code === 0 && kind === 'file' && !config.loop) ctx.ended(`end of file ${input}`);
          else ctx.failed(new MaskEdgeError('E_SOURCE', describeExit(code, signal), { detail: { input } }));
        });
      });

      return {
        async close() {
          closing = true;
          if (child.exitCode !== null || child.signalCode !== null) return;
          await stopChild(child, exited);
        },
      };
    },
  };
}

/** SIGTERM, then SIGKILL if the child is still there after a grace period. */
async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  child.stdout?.destroy();
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), KILL_GRACE_MS);
  });
  const result = await Promise.race([exited.then(() => 'exited' as const), grace]);
  if (timer) clearTimeout(timer);
  if (result === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}
