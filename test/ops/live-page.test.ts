/**
 * The live page in a real browser: the real `mask-edge agent` process (real face detector and classifier,
 * a looping photo folder and a looping ffmpeg video, mosquitto) serves `/`; Debian's Chromium driven by
 * playwright-core loads it with the bearer token, sees both cameras' frames update, and lists events that
 * the agent also published over MQTT. The page's data never carries the broker password or source paths.
 * Skips with a message when chromium, mosquitto or ffmpeg is absent.
 * MASK_EDGE_WRITE_SCREENSHOT=1 also saves the screenshot to docs/results/live-page.png.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { PACKAGE_ROOT } from '../../src/core/package-paths.js';
import {
  FACE_API_DEMO,
  faceDetectorModel,
  makeBlobVideo,
  writeMeanColourClassifier,
} from '../agent/agent-test-kit.js';
import { compileCli } from '../agent/compile-cli.js';
import { MOSQUITTO_BIN, type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { type Collector, collect } from '../mqtt/mqtt-test-clients.js';
import { freePort, stopProcess, until } from '../sources/source-test-kit.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const FFMPEG = spawnSync('sh', ['-c', 'command -v ffmpeg']).status === 0;
const missing = [
  CHROMIUM ? '' : 'chromium (apt-get install chromium)',
  MOSQUITTO_BIN ? '' : 'mosquitto',
  FFMPEG ? '' : 'ffmpeg',
].filter(Boolean);
if (missing.length) console.warn(`live page browser test skipped: ${missing.join(', ')} not installed`);

/** The little of the browser's DOM the checks use (the project compiles without the DOM library). */
interface PageElement {
  dataset: Record<string, string | undefined>;
  complete: boolean;
  naturalWidth: number;
}
interface PageGlobals {
  document: {
    querySelector(s: string): PageElement | null;
    querySelectorAll(s: string): ArrayLike<PageElement>;
  };
}

const TOKEN = 'live-page-test-token-0123456789';
const PASSWORD = 'broker-secret-pw-do-not-show';

describe.skipIf(missing.length > 0)('live page (real agent process, Chromium)', () => {
  let dir: string;
  let compiled: string | undefined;
  let broker: Mosquitto | undefined;
  let agent: ChildProcess | undefined;
  let sub: Collector | undefined;
  let stderr = '';
  let base = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'live-page-'));
    broker = await startMosquitto();
    const photos = join(dir, 'entrance-photos');
    await mkdir(photos);
    await copyFile(join(FACE_API_DEMO, 'sample2.jpg'), join(photos, 'a.jpg'));
    await copyFile(join(FACE_API_DEMO, 'sample4.jpg'), join(photos, 'b.jpg'));
    const video = join(dir, 'yard.avi');
    await makeBlobVideo(video, [{ colour: 'orange', size: 50, x: 20, y: 90, speed: 60 }], { seconds: 3 });
    const bundled = join(PACKAGE_ROOT, 'models', 'mask-classifier.int8.onnx');
    const models = {
      detector: await faceDetectorModel(dir),
      classifier: existsSync(bundled) ? bundled : writeMeanColourClassifier(dir),
      providers: ['cpu'],
    };
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = join(dir, 'agent.yaml');
    await writeFile(
      config,
      stringify({
        device: { id: 'live-test' },
        mqtt: { url: broker!.url, username: 'agent', password: PASSWORD, reconnectSeconds: 0.5 },
        outbox: { dir: join(dir, 'outbox') },
        health: { host: '127.0.0.1', port, token: TOKEN },
        logging: { level: 'info', json: true },
        models,
        tracking: { stableFrames: 2, maxAgeSeconds: 3 },
        snapshots: { enabled: true },
        cameras: [
          { id: 'entrance', source: { type: 'images', path: photos, loop: true, fps: 2 } },
          {
            id: 'yard',
            source: { type: 'ffmpeg', url: video, loop: true, maxFps: 5 },
            zone: [
              [0, 0],
              [0.6, 0],
              [0.6, 1],
              [0, 1],
            ],
          },
        ],
      }),
    );
    sub = await collect(broker!.url, ['mask-edge/live-test/+/events']);
    const built = compileCli(join(import.meta.dirname, '..', 'agent', 'agent-cli-child.ts'));
    compiled = built.dir;
    agent = spawn(process.execPath, [built.script, 'agent', '--config', config], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    agent.stderr!.on('data', (d) => (stderr += d));
    await until(() => stderr.includes('"livePage"'), 'live page served', 120_000);
    await until(() => sub!.events.length > 0, `a first event (agent log:\n${stderr.slice(-3000)})`, 120_000);
  }, 300_000);

  afterAll(async () => {
    await stopProcess(agent);
    await sub?.close();
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
    if (compiled) await rm(compiled, { recursive: true, force: true });
  });

  it('the data needs the token and carries no secrets or source paths', async () => {
    expect((await fetch(`${base}/api/live`)).status).toBe(401);
    expect((await fetch(`${base}/frames/entrance.jpg`)).status).toBe(401);
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
    const api = await (await fetch(`${base}/api/live`, auth)).text();
    const page = await (await fetch(`${base}/`)).text();
    for (const body of [api, page]) {
      expect(body).not.toContain(PASSWORD);
      expect(body).not.toContain(TOKEN);
      expect(body).not.toContain(dir);
    }
    expect(page).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[a-z]/i); // no CDN or outside resource
    const view = JSON.parse(api) as { cameras: { id: string; sourceType: string; hasZone: boolean }[] };
    expect(view.cameras.map((c) => [c.id, c.sourceType, c.hasZone])).toEqual([
      ['entrance', 'images', false],
      ['yard', 'ffmpeg', true],
    ]);
    const frame = await fetch(`${base}/frames/entrance.jpg`, auth);
    expect(frame.headers.get('content-type')).toBe('image/jpeg');
    expect(Number(frame.headers.get('x-frame-index'))).toBeGreaterThanOrEqual(0);
  });

  it('Chromium shows both cameras updating and lists the events the agent published', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      await page.goto(`${base}/#token=${TOKEN}`);
      expect(page.url()).not.toContain(TOKEN); // the token leaves the address bar
      // Functions run in the page (its CSP forbids evaluating strings as code).
      await page.waitForFunction(
        () => (globalThis as unknown as PageGlobals).document.querySelectorAll('section.camera').length === 2,
        null,
        { timeout: 30_000 },
      );
      for (const camera of ['entrance', 'yard']) {
        const sel = `section.camera[data-camera="${camera}"] img`;
        await page.waitForFunction(
          (s) =>
            Number((globalThis as unknown as PageGlobals).document.querySelector(s)?.dataset.updates) >= 1,
          sel,
          { timeout: 30_000 },
        );
        const first = await page.$eval(sel, (e) => (e as unknown as PageElement).dataset.frameIndex);
        // the frame changes: a newer frame index arrives and is drawn
        await page.waitForFunction(
          ([s, before]) => {
            const img = (globalThis as unknown as PageGlobals).document.querySelector(s);
            return !!img && img.dataset.frameIndex !== before && img.complete && img.naturalWidth > 0;
          },
          [sel, first] as const,
          { timeout: 30_000 },
        );
        const state = await page.textContent(`section.camera[data-camera="${camera}"] .state`);
        expect(state).toBe('online');
      }
      await page.waitForSelector('#events tbody tr', { timeout: 30_000 });
      const shownIds = await page.$$eval('#events tbody tr', (rows) =>
        rows.map((r) => (r as unknown as PageElement).dataset.eventId),
      );
      const published = new Set(sub!.events.map((e) => e.id));
      expect(shownIds.some((id) => id !== undefined && published.has(id))).toBe(true);
      expect(await page.textContent('#s-providers')).toContain('cpu');
      expect(errors).toEqual([]);
      const shot = await page.screenshot({ fullPage: true });
      expect(shot.length).toBeGreaterThan(10_000);
      if (process.env.MASK_EDGE_WRITE_SCREENSHOT === '1') {
        await mkdir(join(PACKAGE_ROOT, 'docs', 'results'), { recursive: true });
        await writeFile(join(PACKAGE_ROOT, 'docs', 'results', 'live-page.png'), shot);
      }
    } finally {
      await browser.close();
    }
  }, 120_000);
});
