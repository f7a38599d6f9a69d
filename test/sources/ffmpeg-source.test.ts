import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sourceConfigSchema } from '../../src/edge/config/source-config.js';
import type { Frame, FrameSource, SourceState } from '../../src/edge/sources/frame-source.js';
import { createFrameSource } from '../../src/edge/sources/source-registry.js';
import {
  freePort,
  makePatternVideo,
  quietLogger,
  serveMjpeg,
  stopProcess,
  until,
} from './source-test-kit.js';

const fastReconnect = { initialSeconds: 0.1, maxSeconds: 0.5 };

describe('ffmpeg source (real ffmpeg)', () => {
  let dir: string;
  let video: string;
  let source: FrameSource | undefined;
  const children: ReturnType<typeof serveMjpeg>[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ffmpeg-src-'));
    video = join(dir, 'pattern.avi');
    await makePatternVideo(video, { width: 160, height: 120, frames: 20, fps: 10 });
  });
  afterEach(async () => {
    await source?.stop();
    source = undefined;
    for (const c of children.splice(0)) await stopProcess(c);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const open = async (raw: Record<string, unknown>) => {
    source = await createFrameSource('cam', sourceConfigSchema.parse({ type: 'ffmpeg', ...raw }), {
      logger: quietLogger,
    });
    return source;
  };

  it('decodes every frame of a file at its size, then stops at the end', async () => {
    const s = await open({ url: video, realtime: false, maxFps: 240 });
    const frames: Frame[] = [];
    s.onFrame((f) => frames.push(f));
    s.start();
    await s.finished;
    // the frame-rate cap may skip a few of the frames decoded faster than real time; none are lost otherwise
    expect(frames.length + s.stats().capped).toBe(20);
    expect(frames[0]!.image.width).toBe(160);
    expect(frames[0]!.image.data.length).toBe(160 * 120 * 3);
    expect(s.stats()).toMatchObject({
      state: 'stopped',
      badFrames: 0,
      restarts: 0,
      detail: { width: 160, height: 120 },
    });
    // pixels are real: testsrc2 is colourful, not a blank buffer
    expect(new Set(frames[0]!.image.data).size).toBeGreaterThan(20);
  });

  it('scales to the configured size', async () => {
    const s = await open({ url: video, realtime: false, width: 64, height: 32, maxFps: 240 });
    const sizes = new Set<string>();
    s.onFrame((f) => sizes.add(`${f.image.width}x${f.image.height}:${f.image.data.length}`));
    s.start();
    await s.finished;
    expect([...sizes]).toEqual([`64x32:${64 * 32 * 3}`]);
  });

  it('restarts ffmpeg when it is killed, and reconnects after the file was removed and put back', async () => {
    const s = await open({ url: video, loop: true, reconnect: fastReconnect });
    const states: SourceState[] = [];
    s.onState((st) => states.push(st));
    s.start();
    await until(() => s.stats().state === 'online' && s.stats().frames >= 3, 'first frames');
    const pid = s.stats().detail!.pid as number;
    process.kill(pid, 'SIGKILL');
    await until(() => s.stats().state === 'offline', 'offline after kill');
    expect(s.stats().error).toMatch(/killed by SIGKILL/);
    await until(() => s.stats().state === 'online' && (s.stats().detail?.pid as number) !== pid, 'restarted');

    // now the file goes away while ffmpeg is running: the running process keeps its open file,
    // so kill it too; restarts then fail until the file is back
    await rename(video, `${video}.away`);
    process.kill(s.stats().detail!.pid as number, 'SIGKILL');
    await until(() => s.stats().restarts >= 4 && s.stats().state === 'offline', 'failing restarts');
    expect(s.stats().error).toMatch(/No such file/);
    await rename(`${video}.away`, video);
    const before = s.stats().frames;
    await until(() => s.stats().state === 'online' && s.stats().frames > before, 'recovered');
    expect(states.filter((x) => x === 'offline').length).toBe(2);
  });

  it('reports an unreachable RTSP camera offline and keeps retrying', async () => {
    const port = await freePort();
    const s = await open({
      url: `rtsp://user:secret@127.0.0.1:${port}/stream`,
      timeoutSeconds: 1,
      reconnect: fastReconnect,
    });
    s.start();
    await until(() => s.stats().restarts >= 3, 'several attempts');
    const stats = s.stats();
    expect(stats.state).toBe('offline');
    expect(stats.error).toMatch(/Connection refused/);
    expect(stats.input).toBe(`rtsp://***@127.0.0.1:${port}/stream`);
    expect(JSON.stringify(stats)).not.toContain('secret');
  });

  it('connects to an HTTP MJPEG camera once it comes up', async () => {
    const port = await freePort();
    const s = await open({
      url: `http://127.0.0.1:${port}/cam.mjpg`,
      timeoutSeconds: 2,
      reconnect: fastReconnect,
    });
    s.start();
    await until(
      () => s.stats().state === 'offline' && s.stats().restarts >= 1,
      'offline while camera is down',
    );
    children.push(serveMjpeg(video, port));
    await until(() => s.stats().state === 'online' && s.stats().frames >= 3, 'online after camera came up');
    expect(s.stats().detail).toMatchObject({ width: 160, height: 120 });
  });

  it('counts frames the decoder reports damaged and keeps going', async () => {
    const bytes = new Uint8Array(await readFile(video));
    for (let i = bytes.length >> 1; i < (bytes.length >> 1) + 3000; i++)
      bytes[i] = (bytes[i]! * 7 + 13) & 255;
    const corrupt = join(dir, 'corrupt.avi');
    await writeFile(corrupt, bytes);
    const s = await open({ url: corrupt, realtime: false, maxFps: 240 });
    s.start();
    await s.finished;
    expect(s.stats().badFrames).toBeGreaterThan(0);
    expect(s.stats().frames + s.stats().capped).toBeGreaterThan(10);
    expect(s.stats().state).toBe('stopped');
  });

  it('says plainly when ffmpeg itself is missing', async () => {
    const s = await open({ url: video, ffmpegPath: join(dir, 'no-ffmpeg-here'), reconnect: fastReconnect });
    s.start();
    await until(() => s.stats().state === 'offline', 'offline');
    expect(s.stats().error).toMatch(/ffmpeg not found/);
  });
});
