import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentRuntime } from '../../src/edge/agent/agent-runtime.js';
import { pipelineConfigSchema } from '../../src/edge/config/pipeline-config.js';
import { maskEventSchema } from '../../src/edge/events/event-types.js';
import { RecordingEventSink } from '../../src/edge/events/recording-event-sink.js';
import { FaceDetector } from '../../src/edge/inference/face-detector.js';
import { MaskClassifier } from '../../src/edge/inference/mask-classifier.js';
import { freePort, quietLogger } from '../sources/source-test-kit.js';
import { FACE_API_DEMO, faceDetectorModel, writeMeanColourClassifier } from './agent-test-kit.js';

const run = promisify(execFile);

describe('agent on real photos (real detector, ONNX Runtime, image folder) next to a dead RTSP camera', () => {
  let dir: string;
  let frames: string;
  let detector: FaceDetector;
  let classifier: MaskClassifier;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-faces-'));
    frames = join(dir, 'frames');
    await mkdir(frames);
    // three group photos, each held for 4 frames (a camera watching people stand still), 640x480 letterboxed
    for (const n of [2, 3, 6]) {
      const first = join(frames, `s${n}-1.jpg`);
      await run('ffmpeg', [
        '-v',
        'error',
        '-i',
        join(FACE_API_DEMO, `sample${n}.jpg`),
        '-vf',
        'scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2',
        first,
      ]);
      for (const k of [2, 3, 4]) await copyFile(first, join(frames, `s${n}-${k}.jpg`));
    }
    detector = await FaceDetector.open(await faceDetectorModel(dir), {
      providers: ['cpu'],
      logger: quietLogger,
    });
    classifier = await MaskClassifier.open(writeMeanColourClassifier(dir), {
      providers: ['cpu'],
      logger: quietLogger,
    });
  });
  afterAll(async () => {
    await detector?.close();
    await classifier?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports each person once (new ... end), with the event schema, while the other camera is offline', async () => {
    const port = await freePort();
    const sink = new RecordingEventSink('site-1');
    const config = pipelineConfigSchema.parse({
      cameras: [
        { id: 'hall', source: { type: 'images', path: frames, fps: 4 } },
        {
          id: 'yard',
          source: {
            type: 'ffmpeg',
            url: `rtsp://127.0.0.1:${port}/live`,
            timeoutSeconds: 1,
            reconnect: { initialSeconds: 0.2 },
          },
        },
      ],
      tracking: { stableFrames: 3, maxAgeSeconds: 0.2 },
    });
    const runtime = new AgentRuntime(config, { detector, classifier, sink, logger: quietLogger });
    await runtime.start();
    // the photo folder is finite; the RTSP camera never comes up
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (runtime.stats().sources.hall!.state === 'stopped') {
          clearInterval(timer);
          resolve();
        }
      }, 50);
    });
    const stats = runtime.stats();
    await runtime.stop();

    expect(stats.sources.yard).toMatchObject({ state: 'offline' });
    expect(stats.sources.yard!.error).toMatch(/Connection refused/);
    expect((stats.sources.yard!.restarts as number) >= 1).toBe(true);
    expect(sink.events.every((e) => e.camera === 'hall')).toBe(true);
    for (const e of sink.events) expect(maskEventSchema.safeParse(e).success).toBe(true);

    const byTrack = new Map<number, string[]>();
    for (const e of sink.events) byTrack.set(e.trackId, [...(byTrack.get(e.trackId) ?? []), e.type]);
    // every reported person: exactly one new and one end (no per-frame repeats)
    for (const types of byTrack.values()) expect(types).toEqual(['new', 'end']);
    // the three photos show 3 + 3 + 4 people; the detector finds most of them
    expect(byTrack.size).toBeGreaterThanOrEqual(6);
    expect(byTrack.size).toBeLessThanOrEqual(10);
    const news = sink.events.filter((e) => e.type === 'new');
    expect(news.every((e) => e.frame.width === 640 && e.frame.height === 480)).toBe(true);
    expect(sink.states.filter((s) => s.camera === 'yard').every((s) => s.total === 0)).toBe(true);
  });
});
