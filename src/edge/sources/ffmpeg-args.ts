/**
 * Pure parts of the ffmpeg source: the command line for an input, the output size from ffmpeg's log, and
 * splitting the raw RGB byte stream into frames. Tested without running ffmpeg.
 */
import { hasUrlCredentials } from '../../core/secret-text.js';
import type { FfmpegSourceConfig } from '../config/source-config.js';

export type FfmpegInputKind = 'rtsp' | 'http' | 'device' | 'file' | 'other-url';

export function inputKind(url: string): FfmpegInputKind {
  if (/^rtsps?:\/\//i.test(url)) return 'rtsp';
  if (/^https?:\/\//i.test(url)) return 'http';
  if (url.startsWith('/dev/')) return 'device';
  if (/^file:/i.test(url) || !/^[a-z][a-z0-9+.-]*:/i.test(url)) return 'file';
  return 'other-url';
}

/**
 * The major version from `ffmpeg -version`'s first line ("ffmpeg version 5.1.9-0+deb12u1", "ffmpeg version
 * n6.0", "ffmpeg version 4.2.7-0ubuntu0.1"); undefined for git builds ("N-112233-g...") and anything else.
 */
export function parseFfmpegMajor(versionOutput: string): number | undefined {
  const m = /^ffmpeg version n?(\d+)\.\d+/m.exec(versionOutput);
  return m ? Number(m[1]) : undefined;
}

/**
 * ffmpeg arguments that decode `config.url` to rgb24 frames on stdout. `ffmpegMajor` picks the RTSP socket
 * timeout option: `-timeout` since ffmpeg 5, `-stimeout` before (in 4.x `-timeout` made RTSP *listen* —
 * JetPack 5's Ubuntu 20.04 ships ffmpeg 4.2). Unknown versions are treated as current.
 */
export function ffmpegArgs(config: FfmpegSourceConfig, ffmpegMajor?: number): string[] {
  const kind = inputKind(config.url);
  const timeoutUs = String(Math.round(config.timeoutSeconds * 1_000_000));
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info'];
  switch (kind) {
    case 'rtsp': {
      const timeoutOption = ffmpegMajor !== undefined && ffmpegMajor < 5 ? '-stimeout' : '-timeout';
      args.push('-rtsp_transport', config.rtspTransport, timeoutOption, timeoutUs);
      break;
    }
    case 'http':
      args.push('-rw_timeout', timeoutUs);
      break;
    case 'device':
      if (!config.inputFormat) args.push('-f', 'v4l2');
      break;
    case 'file':
      if (config.realtime ?? true) args.push('-re');
      if (config.loop) args.push('-stream_loop', '-1');
      break;
    case 'other-url':
      break;
  }
  if (config.inputFormat) args.push('-f', config.inputFormat);
  args.push(...config.inputOptions, '-i', config.url, '-an', '-sn', '-dn');
  if (config.width !== undefined && config.height !== undefined) {
    args.push('-vf', `scale=${config.width}:${config.height}`);
  }
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  return args;
}

/** How ffmpeg is started: its argv, and the ffconcat list it reads on fd 3 when the URL is kept out of argv. */
export interface FfmpegInvocation {
  args: string[];
  /** The ffconcat list holding the URL, written to the child's fd 3 (`-i pipe:3`); absent: URL in argv. */
  hiddenInput?: string;
  /** Why a URL with credentials still had to go on the command line (shown as a warning). */
  credentialsInArgv?: string;
}

/** Protocols the concat demuxer may open for the one camera URL it is given. */
const CONCAT_PROTOCOLS = [
  'pipe',
  'file',
  'http',
  'https',
  'httpproxy',
  'tcp',
  'tls',
  'udp',
  'rtp',
  'srtp',
  'rtsp',
  'rtsps',
  'crypto',
];

/** A value quoted for an ffconcat directive (single quotes; a quote inside is written '\''). */
function ffconcatQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * The ffmpeg invocation for a source. A URL holding credentials (`rtsp://user:pass@cam/...`) is not put on
 * the command line, where every local user can read it (`ps`, /proc/PID/cmdline): ffmpeg has no credentials
 * option for RTSP or HTTP and reads no URL from the environment, so the URL goes into a one-entry ffconcat
 * list that ffmpeg reads from a pipe on fd 3 (`-f concat -safe 0 -i pipe:3`; no file touches the disk), and
 * the input options become `option` lines of that list (ffmpeg >= 5). Where that cannot carry the input
 * (ffmpeg 4, whose concat demuxer has no `option` directive, or an `inputFormat`, which the list cannot
 * name) the URL stays in argv and `credentialsInArgv` says why, for a warning at start.
 */
export function ffmpegInvocation(config: FfmpegSourceConfig, ffmpegMajor?: number): FfmpegInvocation {
  const plain = { args: ffmpegArgs(config, ffmpegMajor) };
  const kind = inputKind(config.url);
  if (!hasUrlCredentials(config.url) || kind === 'file' || kind === 'device') return plain;
  if (ffmpegMajor !== undefined && ffmpegMajor < 5) {
    return {
      ...plain,
      credentialsInArgv: `ffmpeg ${ffmpegMajor}.x cannot read input options from a list (needs ffmpeg >= 5)`,
    };
  }
  if (config.inputFormat) {
    return {
      ...plain,
      credentialsInArgv: 'inputFormat is set (an ffconcat list cannot name the input format)',
    };
  }
  const options: [string, string][] = [];
  const timeoutUs = String(Math.round(config.timeoutSeconds * 1_000_000));
  if (kind === 'rtsp') options.push(['rtsp_transport', config.rtspTransport], ['timeout', timeoutUs]);
  if (kind === 'http') options.push(['rw_timeout', timeoutUs]);
  const extra = config.inputOptions;
  for (let i = 0; i < extra.length; i += 2) {
    const key = extra[i]!;
    const value = extra[i + 1];
    if (!/^-[A-Za-z0-9_]+$/.test(key) || value === undefined || value.startsWith('-')) {
      return {
        ...plain,
        credentialsInArgv: `inputOptions ${JSON.stringify(extra)} are not "-name value" pairs`,
      };
    }
    options.push([key.slice(1), value]);
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(config.url)![1]!.toLowerCase();
  const protocols = CONCAT_PROTOCOLS.includes(scheme) ? CONCAT_PROTOCOLS : [...CONCAT_PROTOCOLS, scheme];
  const list = [
    'ffconcat version 1.0',
    `file ${ffconcatQuote(config.url)}`,
    ...options.map(([k, v]) => `option ${k} ${ffconcatQuote(v)}`),
    '',
  ].join('\n');
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info'];
  args.push('-f', 'concat', '-safe', '0', '-protocol_whitelist', protocols.join(','), '-i', 'pipe:3');
  args.push('-an', '-sn', '-dn');
  if (config.width !== undefined && config.height !== undefined) {
    args.push('-vf', `scale=${config.width}:${config.height}`);
  }
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  return { args, hiddenInput: list };
}

/**
 * The frame size of ffmpeg's rawvideo output, read from its stream summary, e.g.
 * `  Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, progressive), 640x480 [SAR 1:1], ...`.
 * Only lines after `Output #0` count (the input stream line has the input's size).
 */
export class OutputSizeParser {
  private inOutput = false;
  size: { width: number; height: number } | undefined;

  /** Feeds one stderr line; returns the size once known. */
  line(text: string): { width: number; height: number } | undefined {
    if (this.size) return this.size;
    if (/^Output #0\b/.test(text.trim())) this.inOutput = true;
    if (!this.inOutput) return undefined;
    const m = /Stream #\d+:\d+.*Video: rawvideo\b.*?,\s*(\d+)x(\d+)\b/.exec(text);
    if (m) this.size = { width: Number(m[1]), height: Number(m[2]) };
    return this.size;
  }
}

/** Cuts a byte stream into fixed-size frames; each frame gets its own buffer (consumers may keep it). */
export class FrameAssembler {
  private current: Uint8Array;
  private filled = 0;

  constructor(readonly frameBytes: number) {
    if (!(frameBytes > 0)) throw new RangeError('frameBytes must be positive');
    this.current = new Uint8Array(frameBytes);
  }

  /** Bytes received towards the next (incomplete) frame. */
  get pending(): number {
    return this.filled;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      this.current.set(chunk.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.frameBytes) {
        frames.push(this.current);
        this.current = new Uint8Array(this.frameBytes);
        this.filled = 0;
      }
    }
    return frames;
  }
}

/** ffmpeg log lines that mean a frame was damaged or dropped by the decoder. */
export function isDecodeErrorLine(line: string): boolean {
  return /error while decoding|corrupt (input|frame|packet|decoded frame)|concealing \d+ .*errors/i.test(
    line,
  );
}
