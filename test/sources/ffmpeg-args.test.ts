import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegSourceSchema } from '../../src/edge/config/source-config.js';
import {
  FrameAssembler,
  ffmpegArgs,
  inputKind,
  OutputSizeParser,
  parseFfmpegMajor,
} from '../../src/edge/sources/ffmpeg-args.js';
import { ffmpegMajorVersion } from '../../src/edge/sources/ffmpeg-source.js';
import { makePatternVideo } from './source-test-kit.js';

const config = (url: string, extra: Record<string, unknown> = {}) =>
  ffmpegSourceSchema.parse({ type: 'ffmpeg', url, ...extra });

describe('ffmpeg command line', () => {
  it('classifies inputs', () => {
    expect(inputKind('rtsp://cam/1')).toBe('rtsp');
    expect(inputKind('rtsps://cam/1')).toBe('rtsp');
    expect(inputKind('http://cam/mjpg')).toBe('http');
    expect(inputKind('/dev/video0')).toBe('device');
    expect(inputKind('/data/door.mp4')).toBe('file');
    expect(inputKind('file:///data/door.mp4')).toBe('file');
    expect(inputKind('srt://cam:9000')).toBe('other-url');
  });

  it('reads RTSP over TCP with a socket timeout in microseconds and writes rgb24 to stdout', () => {
    const args = ffmpegArgs(config('rtsp://cam/1', { timeoutSeconds: 5 }));
    expect(args.slice(args.indexOf('-rtsp_transport'), args.indexOf('-i'))).toEqual([
      '-rtsp_transport',
      'tcp',
      '-timeout',
      '5000000',
    ]);
    expect(args.slice(args.indexOf('-i'))).toEqual([
      '-i',
      'rtsp://cam/1',
      '-an',
      '-sn',
      '-dn',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ]);
    expect(args).not.toContain('-re');
  });

  it('uses -stimeout for RTSP on ffmpeg 4 (there -timeout means listen), -timeout on 5+ and unknown builds', () => {
    const at = (major?: number) => {
      const args = ffmpegArgs(config('rtsp://cam/1', { timeoutSeconds: 3 }), major);
      return args.slice(args.indexOf('-rtsp_transport') + 2, args.indexOf('-i'));
    };
    expect(at(4)).toEqual(['-stimeout', '3000000']);
    expect(at(5)).toEqual(['-timeout', '3000000']);
    expect(at(7)).toEqual(['-timeout', '3000000']);
    expect(at(undefined)).toEqual(['-timeout', '3000000']);
    expect(parseFfmpegMajor('ffmpeg version 4.2.7-0ubuntu0.1 Copyright (c) 2000-2022')).toBe(4);
    expect(parseFfmpegMajor('ffmpeg version n6.0 Copyright (c) 2000-2023')).toBe(6);
    expect(parseFfmpegMajor('ffmpeg version N-112233-gdeadbeef Copyright')).toBeUndefined();
  });

  it('asks the installed ffmpeg for its version', async () => {
    const major = await ffmpegMajorVersion('ffmpeg');
    expect(major).toBeGreaterThanOrEqual(4);
    expect(await ffmpegMajorVersion('/nonexistent/ffmpeg')).toBeUndefined();
  });

  it('reads files in real time (optionally looping), scales when a size is given', () => {
    const args = ffmpegArgs(config('/v/door.mp4', { loop: true, width: 640, height: 480 }));
    expect(args).toContain('-re');
    expect(args.slice(args.indexOf('-stream_loop'), args.indexOf('-stream_loop') + 2)).toEqual([
      '-stream_loop',
      '-1',
    ]);
    expect(args.slice(args.indexOf('-vf'), args.indexOf('-vf') + 2)).toEqual(['-vf', 'scale=640:480']);
    expect(ffmpegArgs(config('/v/door.mp4', { realtime: false }))).not.toContain('-re');
  });

  it('uses v4l2 for devices unless told otherwise, and passes extra input options before -i', () => {
    const dev = ffmpegArgs(config('/dev/video1', { inputOptions: ['-video_size', '1280x720'] }));
    const i = dev.indexOf('-i');
    expect(dev.slice(i - 4, i + 2)).toEqual(['-f', 'v4l2', '-video_size', '1280x720', '-i', '/dev/video1']);
    const mjpeg = ffmpegArgs(config('/dev/video1', { inputFormat: 'mjpeg' }));
    expect(mjpeg.filter((a) => a === 'v4l2')).toEqual([]);
    expect(mjpeg.slice(mjpeg.indexOf('-f'), mjpeg.indexOf('-f') + 2)).toEqual(['-f', 'mjpeg']);
  });

  it('sets a read timeout for HTTP streams', () => {
    const args = ffmpegArgs(config('http://cam.local/video.mjpg', { timeoutSeconds: 2.5 }));
    expect(args.slice(args.indexOf('-rw_timeout'), args.indexOf('-rw_timeout') + 2)).toEqual([
      '-rw_timeout',
      '2500000',
    ]);
  });
});

describe('output size from the real ffmpeg log', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ffargs-'));
    await makePatternVideo(join(dir, 'v.avi'), { width: 176, height: 144, frames: 3 });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds the rawvideo output size, not the input size', async () => {
    const args = ffmpegArgs(config(join(dir, 'v.avi'), { realtime: false, width: 64, height: 48 }));
    const { stderr, stdout } = await promisify(execFile)('ffmpeg', args, {
      encoding: 'buffer',
      maxBuffer: 1e8,
    });
    const parser = new OutputSizeParser();
    let size: { width: number; height: number } | undefined;
    for (const line of stderr.toString().split('\n')) size = parser.line(line) ?? size;
    expect(size).toEqual({ width: 64, height: 48 });
    expect(stdout.length).toBe(3 * 64 * 48 * 3);
  });
});

describe('FrameAssembler', () => {
  it('cuts an arbitrary chunking of the stream into whole frames in order', () => {
    const frameBytes = 12;
    const stream = Uint8Array.from({ length: 12 * 4 + 5 }, (_, i) => i % 251);
    const asm = new FrameAssembler(frameBytes);
    const frames: Uint8Array[] = [];
    for (const cut of [
      [0, 5],
      [5, 30],
      [30, 31],
      [31, 53],
    ] as const)
      frames.push(...asm.push(stream.subarray(cut[0], cut[1])));
    expect(frames.length).toBe(4);
    for (const [k, f] of frames.entries()) expect([...f]).toEqual([...stream.subarray(k * 12, k * 12 + 12)]);
    expect(asm.pending).toBe(5);
    // frames are independent buffers
    expect(new Set(frames.map((f) => f.buffer)).size).toBe(4);
  });
});
