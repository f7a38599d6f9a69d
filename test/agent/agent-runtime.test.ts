import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/core/image-io.js';
import { AgentRuntime } from '../../src/edge/agent/agent-runtime.js';
import type { ClassifierPort } from '../../src/edge/agent/camera-pipeline.js';
import { type PipelineConfig, pipelineConfigSchema } from '../../src/edge/config/pipeline-config.js';
import { RecordingEventSink } from '../../src/edge/events/recording-event-sink.js';
import { MaskClassifier } from '../../src/edge/inference/mask-classifier.js';
import { quietLogger, until } from '../sources/source-test-kit.js';
import { ColourBlobDetector, makeBlobVideo, writeMeanColourClassifier } from './agent-test-kit.js';

const run = promisify(execFile);

function config(cameras: unknown[], extra: Record<string, unknown> = {}): PipelineConfig {
  return pipelineConfigSchema.parse({
    cameras,
    tracking: { stableFrames: 3, maxAgeSeconds: 1, cooldownSeconds: 30 },
    stats: { intervalSeconds: 0.5 },
    ...extra,
  });
}

describe('agent runtime (real ffmpeg, real ONNX Runtime classifier, colour-blob detector)', () => {
  let dir: string;
  let twoBlobs: string;
  let classifier: MaskClassifier;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-rt-'));
    twoBlobs = join(dir, 'two-blobs.avi');
    await makeBlobVideo(twoBlobs, [
      { colour: 'blue', size: 60, x: 10, y: 20, speed: 50 },
      { colour: 'red', size: 50, x: 220, y: 150, speed: -40 },
    ]);
    classifier = await MaskClassifier.open(writeMeanColourClassifier(dir), {
      providers: ['cpu'],
      logger: quietLogger,
    });
  });
  afterAll(async () => {
    await classifier?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('two people crossing a video give one new and one end event each, with the event schema', async () => {
    const sink = new RecordingEventSink('dev1');
    const detector = new ColourBlobDetector();
    const runtime = new AgentRuntime(
      config([{ id: 'door', source: { type: 'ffmpeg', url: twoBlobs, maxFps: 30 } }]),
      { detector, classifier, sink, logger: quietLogger },
    );
    await runtime.start();
    await runtime.finished;
    await runtime.stop();

    const summary = sink.events.map((e) => `${e.type}:${e.label}`).sort();
    expect(summary).toEqual(['end:correct', 'end:no_mask', 'new:correct', 'new:no_mask']);
    const blue = sink.events.find((e) => e.type === 'new' && e.label === 'no_mask')!;
    expect(blue).toMatchObject({ device: 'dev1', camera: 'door', frame: { width: 320, height: 240 } });
    expect(blue.model).toEqual({ name: 'mean-colour-test', version: '1' });
    // the blue square is 60 px; detector boxes are on a 4 px grid
    expect(blue.box[2]).toBeGreaterThanOrEqual(56);
    expect(blue.box[2]).toBeLessThanOrEqual(64);
    expect(new Set(sink.events.map((e) => e.trackId)).size).toBe(2);
    expect(sink.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);

    // state: both people counted while present, nobody after the end
    expect(sink.states.some((s) => s.counts.correct === 1 && s.counts.no_mask === 1)).toBe(true);
    expect(sink.lastState('door')!.total).toBe(0);
    // stats: providers, source state, frames
    const stats = sink.stats.at(-1)!;
    expect(stats.providers).toEqual({ detector: 'test-blob', classifier: 'cpu' });
    expect(stats.sources.door!.state).toBe('stopped');
    expect(stats.framesProcessed).toBeGreaterThan(20);
    expect(sink.sourceStates.map((s) => s.status.state)).toContain('online');
  });

  it('detection.correctMinProbability turns a doubtful correct into an alert (what eval --correct-min measures)', async () => {
    // An orange square over grey: with the crop margin the mean-colour classifier gives correct about 0.9 --
    // the most likely label, but below a 0.97 minimum, so the face is reported incorrect (green > blue).
    const orange = join(dir, 'orange.avi');
    await makeBlobVideo(orange, [{ colour: 'orange', size: 60, x: 20, y: 60, speed: 60 }], { seconds: 2 });
    const labels = async (detection: Record<string, unknown>) => {
      const sink = new RecordingEventSink();
      const runtime = new AgentRuntime(
        config([{ id: 'door', source: { type: 'ffmpeg', url: orange, maxFps: 30 } }], { detection }),
        { detector: new ColourBlobDetector(), classifier, sink, logger: quietLogger },
      );
      await runtime.start();
      await runtime.finished;
      await runtime.stop();
      return sink.events.map((e) => `${e.type}:${e.label}`).sort();
    };
    expect(await labels({})).toEqual(['end:correct', 'new:correct']);
    expect(await labels({ correctMinProbability: 0.97 })).toEqual(['end:incorrect', 'new:incorrect']);
  });

  it('with detection.everyFrames = 3 runs the detector on a third of the frames and reports the same people', async () => {
    const sink = new RecordingEventSink();
    const detector = new ColourBlobDetector();
    const runtime = new AgentRuntime(
      config([{ id: 'door', source: { type: 'ffmpeg', url: twoBlobs, maxFps: 30 } }], {
        detection: { everyFrames: 3 },
      }),
      { detector, classifier, sink, logger: quietLogger },
    );
    await runtime.start();
    await runtime.finished;
    await runtime.stop();
    const { processed, detections } = runtime.pipelines[0]!.counters;
    expect(detections).toBe(detector.calls);
    expect(detections).toBe(Math.ceil(processed / 3));
    expect(sink.events.map((e) => `${e.type}:${e.label}`).sort()).toEqual([
      'end:correct',
      'end:no_mask',
      'new:correct',
      'new:no_mask',
    ]);
  });

  it('with tracking.reclassifyEvery = 5 classifies settled people on one frame in five, same events', async () => {
    const sink = new RecordingEventSink();
    let calls = 0;
    const counting: ClassifierPort = {
      provider: 'cpu',
      classifyFaces: async (frame, boxes) => {
        calls += boxes.length;
        return classifier.classifyFaces(frame, boxes);
      },
    };
    const runtime = new AgentRuntime(
      config([{ id: 'door', source: { type: 'ffmpeg', url: twoBlobs, maxFps: 30 } }], {
        tracking: { stableFrames: 3, maxAgeSeconds: 1, reclassifyEvery: 5 },
      }),
      { detector: new ColourBlobDetector(), classifier: counting, sink, logger: quietLogger },
    );
    await runtime.start();
    await runtime.finished;
    await runtime.stop();
    const { faces, classified } = runtime.pipelines[0]!.counters;
    expect(classified).toBe(calls);
    // two people: 3 frames each to settle, then one classification in five
    expect(classified).toBeLessThan(faces / 3);
    expect(classified).toBeGreaterThanOrEqual(Math.floor((faces - 6) / 5));
    expect(sink.events.map((e) => `${e.type}:${e.label}`).sort()).toEqual([
      'end:correct',
      'end:no_mask',
      'new:correct',
      'new:no_mask',
    ]);
  });

  it('drops frames that arrive while busy (counted) instead of queueing them', async () => {
    const sink = new RecordingEventSink();
    const detector = new ColourBlobDetector();
    const slow = {
      provider: 'slow',
      detect: async (f: RgbImage) => {
        await new Promise((r) => setTimeout(r, 150));
        return detector.detect(f);
      },
    };
    const runtime = new AgentRuntime(
      config([{ id: 'cam', source: { type: 'ffmpeg', url: twoBlobs, maxFps: 30 } }]),
      {
        detector: slow,
        classifier,
        sink,
        logger: quietLogger,
      },
    );
    await runtime.start();
    await runtime.finished;
    await runtime.stop();
    const pipeline = runtime.pipelines[0]!;
    const delivered = pipeline.sourceStats().frames;
    const { processed, dropped } = pipeline.counters;
    expect(dropped).toBeGreaterThan(20);
    // every delivered frame is either processed or dropped (the one waiting when the source stopped is discarded)
    expect(delivered - processed - dropped).toBeGreaterThanOrEqual(0);
    expect(delivered - processed - dropped).toBeLessThanOrEqual(1);
    expect(sink.stats.at(-1)!.droppedFrames).toBe(dropped);
  });

  it('a failing detector or classifier call and a broken frame are counted, never fatal', async () => {
    const sink = new RecordingEventSink();
    const detector = new ColourBlobDetector();
    detector.failNext = 5;
    let classifyCalls = 0;
    const flaky: ClassifierPort = {
      provider: 'cpu',
      classifyFaces: async (frame, boxes) => {
        classifyCalls += 1;
        if (classifyCalls % 4 === 0) throw new Error('classifier failed (injected)');
        return classifier.classifyFaces(frame, boxes);
      },
    };
    const runtime = new AgentRuntime(
      config([{ id: 'cam', source: { type: 'ffmpeg', url: twoBlobs, maxFps: 30 } }]),
      {
        detector,
        classifier: flaky,
        sink,
        logger: quietLogger,
        model: { name: 'm', version: '2' },
      },
    );
    await runtime.start();
    const pipeline = runtime.pipelines[0]!;
    pipeline.offer({ image: { width: 10, height: 10, data: new Uint8Array(7) }, ts: Date.now(), index: 0 });
    await runtime.finished;
    await runtime.stop();
    expect(pipeline.counters).toMatchObject({ detectErrors: 5, badFrames: 1 });
    expect(pipeline.counters.classifyErrors).toBeGreaterThan(0);
    expect(
      sink.events
        .filter((e) => e.type === 'new')
        .map((e) => e.label)
        .sort(),
    ).toEqual(['correct', 'no_mask']);
    expect(sink.events[0]!.model).toEqual({ name: 'm', version: '2' });
    expect(sink.stats.at(-1)!.errors).toBe(5 + pipeline.counters.classifyErrors);
  });

  it('frames from an image folder (one corrupt) give events; annotated frames and snapshots are written when enabled', async () => {
    const frames = join(dir, 'frames');
    await mkdir(frames);
    await run('ffmpeg', ['-v', 'error', '-i', twoBlobs, '-vf', 'fps=10', join(frames, 'f%03d.jpg')]);
    await writeFile(join(frames, 'f015b.jpg'), Buffer.from('not a jpeg at all'));
    const annotated = join(dir, 'annotated');
    const sink = new RecordingEventSink();
    const runtime = new AgentRuntime(
      config([{ id: 'lobby', source: { type: 'images', path: frames, fps: 20, maxFps: 30 } }], {
        annotate: { enabled: true, dir: annotated, everySeconds: 0, keep: 5 },
        snapshots: { enabled: true, kind: 'face' },
      }),
      { detector: new ColourBlobDetector(), classifier, sink, logger: quietLogger },
    );
    await runtime.start();
    await runtime.finished;
    await runtime.stop();
    expect(
      sink.events
        .filter((e) => e.type === 'new')
        .map((e) => e.label)
        .sort(),
    ).toEqual(['correct', 'no_mask']);
    expect(runtime.stats().sources.lobby).toMatchObject({ state: 'stopped', badFrames: 1 });
    const written = await readdir(join(annotated, 'lobby'));
    expect(written.length).toBe(5);
    expect(written.every((n) => n.endsWith('.jpg'))).toBe(true);
    const newEvents = sink.events.filter((e) => e.type === 'new');
    expect(sink.snapshots.map((s) => s.meta.eventId).sort()).toEqual(newEvents.map((e) => e.id).sort());
    expect(sink.snapshots.every((s) => s.bytes > 100 && s.meta.kind === 'face')).toBe(true);
  });

  it('a camera lost mid-stream is reported offline, its tracks end, and it comes back', async () => {
    const sink = new RecordingEventSink();
    const runtime = new AgentRuntime(
      config([
        {
          id: 'gate',
          source: { type: 'ffmpeg', url: twoBlobs, loop: true, reconnect: { initialSeconds: 0.2 } },
        },
      ]),
      { detector: new ColourBlobDetector(), classifier, sink, logger: quietLogger },
    );
    await runtime.start();
    try {
      await until(() => sink.events.filter((e) => e.type === 'new').length === 2, 'two people seen');
      const pid = runtime.pipelines[0]!.sourceStats().detail!.pid as number;
      process.kill(pid, 'SIGKILL');
      await until(() => sink.sourceStates.some((s) => s.status.state === 'offline'), 'offline reported');
      await until(() => sink.events.filter((e) => e.type === 'end').length === 2, 'tracks ended');
      expect(sink.lastState('gate')!.total).toBe(0);
      await until(() => runtime.stats().sources.gate!.state === 'online', 'back online');
      await until(() => sink.events.filter((e) => e.type === 'new').length >= 4, 'people seen again');
      const offline = sink.sourceStates.find((s) => s.status.state === 'offline')!;
      expect(offline.status.error).toMatch(/killed by SIGKILL/);
    } finally {
      await runtime.stop();
    }
  });
});
