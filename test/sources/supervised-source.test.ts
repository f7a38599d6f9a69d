import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/core/image-io.js';
import { Logger } from '../../src/core/logger.js';
import type { DriverContext, SourceDriver, SourceState } from '../../src/edge/sources/frame-source.js';
import { redactUrl } from '../../src/edge/sources/frame-source.js';
import { SupervisedSource } from '../../src/edge/sources/supervised-source.js';

const quiet = new Logger({ level: 'error', sink: { write: () => undefined } });
const image: RgbImage = { width: 2, height: 1, data: new Uint8Array(6) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A driver the test drives by hand: every open() hands the test a context; `failOpens` opens throw. */
class ManualDriver implements SourceDriver {
  readonly type = 'images' as const;
  readonly input = 'manual';
  contexts: DriverContext[] = [];
  closes = 0;
  failOpens = 0;
  async open(ctx: DriverContext) {
    if (this.failOpens > 0) {
      this.failOpens -= 1;
      throw new Error('connection refused');
    }
    this.contexts.push(ctx);
    return {
      close: async () => {
        this.closes += 1;
      },
    };
  }
  get ctx(): DriverContext {
    return this.contexts.at(-1)!;
  }
}

function supervised(
  driver: SourceDriver,
  overrides: Partial<ConstructorParameters<typeof SupervisedSource>[2]> = {},
) {
  return new SupervisedSource('cam1', driver, {
    maxFps: Number.POSITIVE_INFINITY,
    watchdogSeconds: 60,
    reconnect: { initialSeconds: 0.05, maxSeconds: 0.4, factor: 2 },
    logger: quiet,
    ...overrides,
  });
}

describe('SupervisedSource', () => {
  it('a stream of damaged frames is counted in full but warned about once per 10 s', async () => {
    const lines: string[] = [];
    const logger = new Logger({ level: 'warn', json: true, sink: { write: (l: string) => lines.push(l) } });
    const driver = new ManualDriver();
    const source = supervised(driver, { logger });
    source.start();
    await until(() => driver.contexts.length > 0, 'open');
    for (let i = 0; i < 500; i++) driver.ctx.badFrame(new Error(`damaged frame ${i}`));
    expect(source.stats().badFrames).toBe(500);
    expect(lines.filter((l) => l.includes('bad frame skipped'))).toHaveLength(1);
    await source.stop();
  });

  it('goes starting -> online on the first frame and delivers numbered frames', async () => {
    const driver = new ManualDriver();
    const source = supervised(driver);
    const states: SourceState[] = [];
    const indexes: number[] = [];
    source.onState((s) => states.push(s));
    source.onFrame((f) => indexes.push(f.index));
    expect(source.stats().state).toBe('starting');
    source.start();
    await until(() => driver.contexts.length === 1, 'open');
    driver.ctx.frame(image);
    driver.ctx.frame(image);
    expect(states).toEqual(['online']);
    expect(indexes).toEqual([1, 2]);
    expect(source.stats()).toMatchObject({ state: 'online', frames: 2, capped: 0, restarts: 0 });
    await source.stop();
    expect(source.stats().state).toBe('stopped');
    expect(driver.closes).toBe(1);
  });

  it('caps the frame rate, counting the frames it skips', async () => {
    const driver = new ManualDriver();
    const source = supervised(driver, { maxFps: 2 });
    let delivered = 0;
    source.onFrame(() => delivered++);
    source.start();
    await until(() => driver.contexts.length === 1, 'open');
    for (let i = 0; i < 20; i++) driver.ctx.frame(image);
    expect(delivered).toBe(1);
    expect(source.stats().capped).toBe(19);
    await sleep(520);
    driver.ctx.frame(image);
    expect(delivered).toBe(2);
    await source.stop();
  });

  it('does not cap a self-paced driver whose own rate is within the cap (a burst after a slow decode)', async () => {
    const paced = Object.assign(new ManualDriver(), { nominalIntervalMs: 500 }); // 2 fps
    const source = supervised(paced, { maxFps: 4 });
    let delivered = 0;
    source.onFrame(() => delivered++);
    source.start();
    await until(() => paced.contexts.length === 1, 'open');
    for (let i = 0; i < 3; i++) paced.ctx.frame(image);
    expect(delivered).toBe(3);
    expect(source.stats().capped).toBe(0);
    await source.stop();
    // the same driver configured faster than the cap (10 fps against 4) is capped
    const fast = Object.assign(new ManualDriver(), { nominalIntervalMs: 100 });
    const capped = supervised(fast, { maxFps: 4 });
    let fastDelivered = 0;
    capped.onFrame(() => fastDelivered++);
    capped.start();
    await until(() => fast.contexts.length === 1, 'open');
    for (let i = 0; i < 3; i++) fast.ctx.frame(image);
    expect(fastDelivered).toBe(1);
    expect(capped.stats().capped).toBe(2);
    await capped.stop();
  });

  it('reconnects with growing backoff after failures, then resets it once frames flow', async () => {
    const driver = new ManualDriver();
    driver.failOpens = 3;
    const source = supervised(driver);
    const states: SourceState[] = [];
    source.onState((s) => states.push(s));
    source.start();
    await until(() => driver.contexts.length === 1, 'fourth open succeeds');
    const stats = source.stats();
    expect(stats.restarts).toBe(3);
    expect(stats.error).toBe('connection refused');
    expect(states).toEqual(['offline']);
    driver.ctx.frame(image);
    expect(states).toEqual(['offline', 'online']);
    // a later loss waits the initial backoff again, not the grown one
    driver.ctx.failed(new Error('stream ended'));
    expect(source.stats()).toMatchObject({ state: 'offline', error: 'stream ended' });
    expect(source.stats().retryInSeconds).toBeLessThanOrEqual(0.1);
    await until(() => driver.contexts.length === 2, 'reopen');
    await source.stop();
  });

  it('ignores frames and errors from a session it has replaced', async () => {
    const driver = new ManualDriver();
    const source = supervised(driver);
    let delivered = 0;
    source.onFrame(() => delivered++);
    source.start();
    await until(() => driver.contexts.length === 1, 'open');
    const old = driver.ctx;
    old.failed(new Error('lost'));
    await until(() => driver.contexts.length === 2, 'reopen');
    old.frame(image);
    old.failed(new Error('late error from the dead session'));
    expect(delivered).toBe(0);
    expect(source.stats().error).toBe('lost');
    driver.ctx.frame(image);
    expect(delivered).toBe(1);
    await source.stop();
  });

  it('restarts a session that stops producing frames (watchdog)', async () => {
    const driver = new ManualDriver();
    const source = supervised(driver, { watchdogSeconds: 0.2 });
    source.start();
    await until(() => driver.contexts.length === 1, 'open');
    driver.ctx.frame(image);
    await until(() => source.stats().watchdogRestarts === 1, 'watchdog');
    expect(source.stats().error).toMatch(/watchdog: no frame for 0.2 s/);
    await until(() => driver.contexts.length === 2, 'reopen after watchdog');
    expect(driver.closes).toBeGreaterThanOrEqual(1);
    await source.stop();
  });

  it('counts bad frames without going offline, and stops for good when a finite input ends', async () => {
    const driver = new ManualDriver();
    const source = supervised(driver);
    source.start();
    await until(() => driver.contexts.length === 1, 'open');
    driver.ctx.frame(image);
    driver.ctx.badFrame(new Error('corrupt JPEG'));
    expect(source.stats()).toMatchObject({ state: 'online', badFrames: 1, error: 'corrupt JPEG' });
    driver.ctx.ended('all photos read');
    await source.finished;
    expect(source.stats().state).toBe('stopped');
    expect(driver.contexts.length).toBe(1);
  });

  it('keeps delivering when a frame listener throws', async () => {
    const driver = new ManualDriver();
    const source = supervised(driver);
    let second = 0;
    source.onFrame(() => {
      throw new Error('consumer bug');
    });
    source.onFrame(() => second++);
    source.start();
    await until(() => driver.contexts.length === 1, 'open');
    driver.ctx.frame(image);
    driver.ctx.frame(image);
    expect(second).toBe(2);
    await source.stop();
  });
});

describe('redactUrl', () => {
  it('removes credentials from URLs and leaves other inputs alone', () => {
    expect(redactUrl('rtsp://admin:s3cret@10.0.0.5:554/stream1')).toBe('rtsp://***@10.0.0.5:554/stream1');
    expect(redactUrl('http://cam.local/mjpeg')).toBe('http://cam.local/mjpeg');
    expect(redactUrl('/dev/video0')).toBe('/dev/video0');
  });
});
