/**
 * Detection in worker threads (src/edge/inference/detector-worker-pool.ts, models.detectorWorkers): real ONNX
 * Runtime sessions in real worker threads (the built dist/ worker script), against the same detector in the test's
 * own thread: the same boxes, rejections and tiling marks; calls spread over the workers; a bad frame fails alone;
 * a dead worker is replaced; an agent with two cameras runs on it.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { decodeImage, type RgbImage } from '../../src/core/image-io.js';
import { MODELS_DIR, PACKAGE_ROOT, packageDir } from '../../src/core/package-paths.js';
import { AgentRuntime } from '../../src/edge/agent/agent-runtime.js';
import { openDetectorWorkers, resolveDetectorWorkers } from '../../src/edge/agent/model-loader.js';
import { pipelineConfigSchema } from '../../src/edge/config/pipeline-config.js';
import { RecordingEventSink } from '../../src/edge/events/recording-event-sink.js';
import type { DetectorWorkerInit } from '../../src/edge/inference/detector-worker-contract.js';
import { DetectorWorkerPool } from '../../src/edge/inference/detector-worker-pool.js';
import { openDetector } from '../../src/edge/inference/detector-zoo.js';
import { withVerifier } from '../../src/edge/inference/face-verifier.js';
import { MaskClassifier } from '../../src/edge/inference/mask-classifier.js';
import { quietLogger } from '../sources/source-test-kit.js';

const INIT: DetectorWorkerInit = {
  detectors: ['ssd-mobilenet-v1-512x384-tuned-int8'],
  verifier: 'auto',
  tileAboveScale: 1.5,
  session: { providers: ['cpu'], threads: 1 },
};
let pool: DetectorWorkerPool;
let frames: RgbImage[];

beforeAll(async () => {
  pool = await DetectorWorkerPool.open(INIT, 2);
  const demo = join(PACKAGE_ROOT, 'samples', 'demo');
  const paths = [
    ...['maksssksksss29.jpg', 'maksssksksss218.jpg'].map((f) => join(demo, f)),
    join(packageDir('@vladmandic/face-api'), 'demo', 'sample6.jpg'), // large: tiled
  ];
  frames = await Promise.all(paths.map((p) => decodeImage(p)));
}, 60_000);
afterAll(() => pool.close());

describe('detector worker pool', () => {
  it('gives what the same detector gives in this thread: boxes, scores, rejections and the tiling mark', async () => {
    const common = { providers: ['cpu'], threads: 1 };
    const opened = await openDetector(INIT.detectors, common);
    const { detector } = await withVerifier(opened, 'auto', common, { minScale: 1.5 });
    try {
      expect(pool.provider).toBe('cpu');
      expect(pool.detectorName).toBe('ssd-mobilenet-v1-512x384-tuned-int8');
      let faces = 0;
      for (const frame of frames) {
        const here = await detector.detect(frame);
        const there = await pool.detect(frame);
        expect(there.map((f) => [f.box, f.score])).toEqual(here.map((f) => [f.box, f.score]));
        expect(there.rejected).toBe((here as { rejected?: number }).rejected);
        expect(there.tiled).toBe((here as { tiled?: boolean }).tiled);
        faces += there.length;
      }
      expect(faces).toBeGreaterThan(3);
      expect((await pool.detect(frames[2]!)).tiled).toBe(true);
    } finally {
      await detector.close();
    }
  });

  it('spreads concurrent calls over its workers and keeps each answer with its frame', async () => {
    const before = pool.workers.map((w) => w.served);
    const calls = [0, 1, 0, 1, 0, 1].map((i) => pool.detect(frames[i]!));
    const answers = await Promise.all(calls);
    const alone = [await pool.detect(frames[0]!), await pool.detect(frames[1]!)];
    answers.forEach((a, k) => {
      expect(a.map((f) => f.score)).toEqual(alone[k % 2]!.map((f) => f.score));
    });
    const served = pool.workers.map((w, i) => w.served - (before[i] ?? 0));
    expect(served.every((n) => n >= 1)).toBe(true);
  });

  it('fails a bad frame alone (E_IMAGE, with its size) and goes on', async () => {
    const err = await pool.detect({ width: 10, height: 10, data: new Uint8Array(5) }).catch((e) => e);
    expect(isMaskEdgeError(err, 'E_IMAGE')).toBe(true);
    expect((err as Error).message).toContain('10x10');
    expect((await pool.detect(frames[0]!)).length).toBeGreaterThan(0);
  });

  it('replaces a worker that died and still answers', async () => {
    const slots = (pool as unknown as { slots: { worker: Worker }[] }).slots;
    await slots[0]!.worker.terminate();
    await vi.waitUntil(() => pool.restarts === 1 && pool.workers.length === 2, {
      timeout: 30_000,
      interval: 50,
    });
    const answers = await Promise.all([pool.detect(frames[0]!), pool.detect(frames[1]!)]);
    expect(answers.every((a) => a.length > 0)).toBe(true);
  }, 60_000);

  it('refuses to open with a detector that does not exist, with the error of the worker', async () => {
    const err = await DetectorWorkerPool.open({ ...INIT, detectors: ['no-such-detector'] }, 1).catch(
      (e) => e,
    );
    expect(isMaskEdgeError(err)).toBe(true);
    expect((err as Error).message).toContain('no-such-detector');
  });
});

describe('models.detectorWorkers', () => {
  it('auto: one per camera up to the cores, none for one camera or one core; a number is taken as it is', () => {
    expect(resolveDetectorWorkers('auto', 1, 8).workers).toBe(0);
    expect(resolveDetectorWorkers('auto', 2, 2).workers).toBe(2);
    expect(resolveDetectorWorkers('auto', 4, 2).workers).toBe(2);
    expect(resolveDetectorWorkers('auto', 3, 1).workers).toBe(0);
    expect(resolveDetectorWorkers(3, 1, 1).workers).toBe(3);
    expect(resolveDetectorWorkers(0, 4, 4)).toEqual({ workers: 0, reason: 'models.detectorWorkers: 0' });
    const base = { cameras: [{ id: 'a', source: '/tmp/photos' }] };
    expect(pipelineConfigSchema.parse(base).models.detectorWorkers).toBe('auto');
    expect(() => pipelineConfigSchema.parse({ ...base, models: { detectorWorkers: -1 } })).toThrow();
    expect(() => pipelineConfigSchema.parse({ ...base, models: { detectorWorkers: 'many' } })).toThrow();
  });

  it('an agent with two cameras detects in two workers: both cameras processed, tiled frames counted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mask-edge-workers-'));
    const config = pipelineConfigSchema.parse({
      models: { providers: ['cpu'], threads: 1, detectorWorkers: 2 },
      cameras: ['hall', 'door'].map((id) => ({
        id,
        source: { type: 'images', path: join(dir, id), fps: 2 },
      })),
    });
    const workers = await openDetectorWorkers(config.models, 2, 1.5, quietLogger);
    const classifier = await MaskClassifier.open(join(MODELS_DIR, 'mask-classifier.int8.onnx'), {
      providers: ['cpu'],
    });
    try {
      expect(workers).toBeInstanceOf(DetectorWorkerPool);
      const raw = (image: RgbImage) =>
        sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
      for (const id of ['hall', 'door']) {
        await mkdir(join(dir, id));
        await raw(frames[0]!)
          .jpeg()
          .toFile(join(dir, id, 'a.jpg'));
        await raw(frames[2]!)
          .jpeg()
          .toFile(join(dir, id, 'b-large.jpg'));
      }
      const sink = new RecordingEventSink('site-1');
      const runtime = new AgentRuntime(config, { detector: workers!, classifier, sink, logger: quietLogger });
      await runtime.start();
      type Counters = {
        processed: number;
        dropped: number;
        tiledFrames: number;
        faces: number;
        detectErrors: number;
      };
      const counters = () => runtime.stats().cameras as Record<string, Counters>;
      // both folders read to the end, and their last frame processed (or dropped) too
      await vi.waitUntil(
        () =>
          ['hall', 'door'].every(
            (id) =>
              runtime.stats().sources[id]!.state === 'stopped' &&
              counters()[id]!.processed + counters()[id]!.dropped === 2,
          ),
        { timeout: 60_000, interval: 50 },
      );
      const cameras = counters();
      await runtime.stop();
      for (const id of ['hall', 'door']) {
        expect(cameras[id]!.processed + cameras[id]!.dropped).toBe(2);
        expect(cameras[id]!.tiledFrames).toBeLessThanOrEqual(1);
      }
      expect(cameras.hall!.tiledFrames + cameras.door!.tiledFrames).toBeGreaterThanOrEqual(1);
      for (const id of ['hall', 'door']) {
        expect(cameras[id]!.detectErrors).toBe(0);
        if (cameras[id]!.processed === 2) expect(cameras[id]!.faces).toBeGreaterThan(0);
      }
      const asked = await openDetectorWorkers(config.models, 1, 1.5, quietLogger); // a number is taken as it is
      expect(asked).toBeInstanceOf(DetectorWorkerPool);
      await asked?.close();
      const auto = pipelineConfigSchema.parse({
        ...config,
        models: { ...config.models, detectorWorkers: 'auto' },
      });
      expect(await openDetectorWorkers(auto.models, 1, 1.5, quietLogger)).toBeUndefined();
    } finally {
      await workers?.close();
      await classifier.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
