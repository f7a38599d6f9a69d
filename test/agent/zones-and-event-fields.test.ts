/**
 * Zones (faces whose centre is outside a camera's polygon are ignored, the polygon is drawn on annotated
 * frames) and the Frigate-style event fields (start_time, end_time, top_score, has_snapshot), with real
 * ffmpeg frames, the real ONNX Runtime classifier and the colour-blob detector.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentRuntime } from '../../src/edge/agent/agent-runtime.js';
import { boxInZone, pointInPolygon } from '../../src/edge/agent/camera-zone.js';
import { pipelineConfigSchema } from '../../src/edge/config/pipeline-config.js';
import { RecordingEventSink } from '../../src/edge/events/recording-event-sink.js';
import { MaskClassifier } from '../../src/edge/inference/mask-classifier.js';
import { quietLogger } from '../sources/source-test-kit.js';
import { ColourBlobDetector, makeBlobVideo, writeMeanColourClassifier } from './agent-test-kit.js';

const RIGHT_HALF = [
  [0.5, 0],
  [1, 0],
  [1, 1],
  [0.5, 1],
] as [number, number][];

describe('zones', () => {
  it('point in polygon (convex and concave)', () => {
    expect(pointInPolygon(0.75, 0.5, RIGHT_HALF)).toBe(true);
    expect(pointInPolygon(0.25, 0.5, RIGHT_HALF)).toBe(false);
    // an L shape: the notch at the top right is outside
    const ell = [
      [0, 0],
      [0.5, 0],
      [0.5, 0.5],
      [1, 0.5],
      [1, 1],
      [0, 1],
    ] as [number, number][];
    expect(pointInPolygon(0.75, 0.25, ell)).toBe(false);
    expect(pointInPolygon(0.75, 0.75, ell)).toBe(true);
    expect(pointInPolygon(0.25, 0.25, ell)).toBe(true);
    // the box centre decides, not the box's extent
    expect(boxInZone({ x: 130, y: 10, width: 80, height: 20 }, { width: 320, height: 240 }, RIGHT_HALF)).toBe(
      true,
    );
    expect(
      boxInZone({ x: 100, y: 10, width: 100, height: 20 }, { width: 320, height: 240 }, RIGHT_HALF),
    ).toBe(false);
  });

  it('config: at least 3 points, fractions only', () => {
    const parse = (zone: unknown) =>
      pipelineConfigSchema.safeParse({ cameras: [{ id: 'c', source: { type: 'images', path: '.' }, zone }] });
    expect(parse(RIGHT_HALF).success).toBe(true);
    expect(
      parse([
        [0, 0],
        [1, 1],
      ]).success,
    ).toBe(false);
    expect(
      parse([
        [0, 0],
        [1.5, 0],
        [1, 1],
      ]).success,
    ).toBe(false);
  });
});

describe('zones and event fields on real frames', () => {
  let dir: string;
  let video: string;
  let classifier: MaskClassifier;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zones-'));
    video = join(dir, 'two-still-blobs.avi');
    // blue (no_mask) stays in the left half, red (correct) in the right half
    await makeBlobVideo(
      video,
      [
        { colour: 'blue', size: 50, x: 30, y: 90, speed: 0 },
        { colour: 'red', size: 50, x: 230, y: 90, speed: 0 },
      ],
      { seconds: 2 },
    );
    classifier = await MaskClassifier.open(writeMeanColourClassifier(dir), {
      providers: ['cpu'],
      logger: quietLogger,
    });
  });
  afterAll(async () => {
    await classifier?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('faces outside the zone are ignored and counted; the zone is drawn on annotated frames', async () => {
    const sink = new RecordingEventSink();
    const annotated = join(dir, 'annotated');
    const runtime = new AgentRuntime(
      pipelineConfigSchema.parse({
        cameras: [{ id: 'door', source: { type: 'ffmpeg', url: video, maxFps: 30 }, zone: RIGHT_HALF }],
        tracking: { stableFrames: 3, maxAgeSeconds: 1 },
        annotate: { enabled: true, dir: annotated, everySeconds: 0, keep: 5 },
      }),
      { detector: new ColourBlobDetector(), classifier, sink, logger: quietLogger },
    );
    await runtime.start();
    await runtime.finished;
    await runtime.stop();
    expect(sink.events.map((e) => `${e.type}:${e.label}`).sort()).toEqual(['end:correct', 'new:correct']);
    const counters = runtime.pipelines[0]!.counters;
    expect(counters.outsideZone).toBe(counters.detections);
    // the dashed yellow outline runs down x = 160 (half of 320): some pixels on it are yellow
    const files = (await readdir(join(annotated, 'door'))).sort();
    expect(files.length).toBeGreaterThan(0);
    const { data, info } = await sharp(join(annotated, 'door', files.at(-1)!))
      .raw()
      .toBuffer({ resolveWithObject: true });
    const yellow = (x: number, y: number) => {
      const i = (y * info.width + x) * info.channels;
      return data[i]! > 180 && data[i + 1]! > 160 && data[i + 2]! < 110;
    };
    let onLine = 0;
    let offLine = 0;
    for (let y = 0; y < 200; y++) {
      if (yellow(160, y)) onLine++;
      if (yellow(80, y)) offLine++;
    }
    expect(onLine).toBeGreaterThan(40);
    expect(offLine).toBe(0);
    // the live frame (for the page) carries the same drawing
    const live = await runtime.pipelines[0]!.liveFrame.jpeg();
    expect(live!.jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });

  it('events carry start_time, end_time, top_score and has_snapshot; snapshots name their event and label', async () => {
    const sink = new RecordingEventSink();
    const before = Date.now() / 1000;
    const runtime = new AgentRuntime(
      pipelineConfigSchema.parse({
        cameras: [{ id: 'door', source: { type: 'ffmpeg', url: video, maxFps: 30 } }],
        tracking: { stableFrames: 3, maxAgeSeconds: 1 },
        snapshots: { enabled: true, kind: 'face' },
      }),
      { detector: new ColourBlobDetector(), classifier, sink, logger: quietLogger },
    );
    await runtime.start();
    await runtime.finished;
    await runtime.stop();
    const after = Date.now() / 1000;
    expect(sink.events).toHaveLength(4);
    for (const e of sink.events) {
      expect(e.start_time).toBeGreaterThanOrEqual(before - 1);
      expect(e.start_time).toBeLessThanOrEqual(Date.parse(e.ts) / 1000);
      expect(e.top_score).toBeGreaterThanOrEqual(e.score);
      expect(e.top_score).toBeLessThanOrEqual(1);
      expect(e.has_snapshot).toBe(true);
    }
    for (const news of sink.events.filter((e) => e.type === 'new')) {
      expect(news.end_time).toBeNull();
      const end = sink.events.find((e) => e.type === 'end' && e.trackId === news.trackId)!;
      expect(end.start_time).toBe(news.start_time);
      expect(end.end_time).toBeGreaterThan(end.start_time!);
      expect(end.end_time).toBeLessThanOrEqual(after);
      const snapshot = sink.snapshots.find((s) => s.meta.trackId === news.trackId)!;
      expect(snapshot.meta).toMatchObject({ eventId: news.id, label: news.label, kind: 'face' });
    }
    // runtime keeps the newest events for the live page, newest first
    expect(runtime.recentEvents().map((e) => e.seq)).toEqual([4, 3, 2, 1]);
  });

  it('without snapshots has_snapshot is false', async () => {
    const sink = new RecordingEventSink();
    const runtime = new AgentRuntime(
      pipelineConfigSchema.parse({
        cameras: [{ id: 'door', source: { type: 'ffmpeg', url: video, maxFps: 30 } }],
        tracking: { stableFrames: 3, maxAgeSeconds: 1 },
      }),
      { detector: new ColourBlobDetector(), classifier, sink, logger: quietLogger },
    );
    await runtime.start();
    await runtime.finished;
    await runtime.stop();
    expect(sink.events.length).toBe(4);
    expect(sink.events.every((e) => e.has_snapshot === false)).toBe(true);
  });
});
