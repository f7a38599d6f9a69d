import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { isMaskEdgeError, type MaskEdgeError } from '../../src/core/errors.js';
import { Logger } from '../../src/core/logger.js';
import { type AgentWiring, runAgent } from '../../src/edge/agent/agent-command.js';
import { SystemdNotifier } from '../../src/edge/agent/systemd-notifier.js';
import { type PipelineConfig, pipelineConfigSchema } from '../../src/edge/config/pipeline-config.js';
import { RecordingEventSink } from '../../src/edge/events/recording-event-sink.js';
import { quietLogger, until } from '../sources/source-test-kit.js';
import { faceDetectorModel, makeWalkingFaceVideo, writeMeanColourClassifier } from './agent-test-kit.js';

async function rejection(p: Promise<unknown>): Promise<MaskEdgeError> {
  try {
    await p;
  } catch (err) {
    if (isMaskEdgeError(err)) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('agent command (pipeline wiring with a recording sink)', () => {
  let dir: string;
  let detector: string;
  let classifier: string;
  let video: string;
  let sink: RecordingEventSink;
  const wiring: AgentWiring<PipelineConfig> = {
    schema: pipelineConfigSchema,
    openSink: async () => {
      sink = new RecordingEventSink('agent-test');
      return sink;
    },
  };
  const writeConfig = async (name: string, raw: unknown) => {
    const file = join(dir, name);
    await writeFile(file, stringify(raw));
    return file;
  };
  const quietIo = (extra: Record<string, unknown> = {}) => ({
    logger: quietLogger,
    notifier: new SystemdNotifier({ env: {}, logger: quietLogger }),
    ...extra,
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-cmd-'));
    detector = await faceDetectorModel(dir);
    classifier = writeMeanColourClassifier(dir);
    video = join(dir, 'walk.avi');
    await makeWalkingFaceVideo(video, { seconds: 4, fps: 10 });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('lists every config problem with its path and exits with E_CONFIG', async () => {
    const file = await writeConfig('bad.yaml', {
      cameras: [
        { id: 'front door', source: { type: 'ffmpeg', url: 'rtsp://x', fps: 3 } },
        { id: 'back', source: { type: 'images' } },
      ],
      tracking: { stableFrames: 0 },
      surprise: true,
    });
    const err = await rejection(runAgent({ config: file, checkConfig: true }, wiring, quietIo()));
    expect(err.code).toBe('E_CONFIG');
    expect(err.exitCode).toBe(3);
    const paths = (err.detail.issues as { path: string }[]).map((i) => i.path).sort();
    expect(paths).toEqual([
      'cameras.0.id',
      'cameras.0.source.fps',
      'cameras.1.source.path',
      'surprise',
      'tracking.stableFrames',
    ]);
    expect(err.message).toContain('cameras.1.source.path');
  });

  it('names a missing model file (E_MODEL) in --check-config and at start', async () => {
    const file = await writeConfig('nomodel.yaml', {
      models: { detector, classifier: join(dir, 'missing.onnx') },
      cameras: [{ id: 'door', source: video }],
    });
    for (const checkConfig of [true, false]) {
      const err = await rejection(runAgent({ config: file, checkConfig }, wiring, quietIo()));
      expect(err.code).toBe('E_MODEL');
      expect(err.exitCode).toBe(6);
      expect(err.detail.missing).toEqual([{ field: 'models.classifier', path: join(dir, 'missing.onnx') }]);
    }
  });

  it('--check-config prints a summary and starts nothing', async () => {
    const file = await writeConfig('ok.yaml', {
      models: { detector, classifier, providers: ['cpu'] },
      cameras: [
        { id: 'door', source: video },
        { id: 'lobby', source: { type: 'images', path: dir } },
      ],
    });
    const lines: string[] = [];
    await runAgent(
      { config: file, checkConfig: true },
      wiring,
      quietIo({ out: (l: string) => lines.push(l) }),
    );
    expect(lines).toEqual([
      `config OK: ${file} (2 camera(s): door=ffmpeg, lobby=images; models open in ONNX Runtime)`,
    ]);
  });

  it('one person walking through a video (real detector) gives exactly one new and one end event', async () => {
    const file = await writeConfig('run.yaml', {
      models: { detector, classifier, providers: ['cpu'] },
      cameras: [{ id: 'door', source: { type: 'ffmpeg', url: video, maxFps: 10 } }],
      // maxAgeSeconds well above a stall of a loaded 2-core machine (frames dropped while the detector is busy)
      tracking: { stableFrames: 3, maxAgeSeconds: 4 },
    });
    // a finite file: the agent stops by itself when the source ends
    await runAgent({ config: file }, wiring, quietIo());
    expect(sink.events.map((e) => `${e.type}:${e.trackId}`)).toEqual(['new:1', 'end:1']);
    const first = sink.events[0]!;
    expect(first).toMatchObject({
      camera: 'door',
      frame: { width: 640, height: 480 },
      model: { name: 'mean-colour-test' },
    });
    // the face picture is 180x210 px; the detector's box is the face inside it, left of centre at first
    expect(first.box[2]).toBeGreaterThan(40);
    expect(first.box[2]).toBeLessThan(220);
    expect(first.box[0]).toBeLessThan(320);
    expect(sink.events[1]!.box[0]).toBeGreaterThan(first.box[0] + 100);
    expect(sink.closed).toBe(true);
    const stats = sink.stats.at(-1)!;
    expect(stats.providers).toEqual({ detector: 'cpu', classifier: 'cpu' });
    expect(stats.framesProcessed).toBeGreaterThan(10);
  });

  it('two cameras detect in two worker threads (models.detectorWorkers): each camera gives its person once', async () => {
    const file = await writeConfig('workers.yaml', {
      models: { detector, classifier, providers: ['cpu'], detectorWorkers: 2 },
      cameras: ['door', 'hall'].map((id) => ({ id, source: { type: 'ffmpeg', url: video, maxFps: 10 } })),
      tracking: { stableFrames: 3, maxAgeSeconds: 4 },
    });
    const lines: string[] = [];
    const logger = new Logger({ level: 'info', json: true, sink: { write: (line) => lines.push(line) } });
    await runAgent({ config: file }, wiring, { ...quietIo(), logger });
    const started = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'detector workers');
    expect(started).toMatchObject({ workers: 2, provider: 'cpu' });
    for (const camera of ['door', 'hall']) {
      expect(sink.events.filter((e) => e.camera === camera).map((e) => e.type)).toEqual(['new', 'end']);
    }
    expect(sink.stats.at(-1)!.providers).toEqual({ detector: 'cpu', classifier: 'cpu' });
  });

  it('stops cleanly on SIGTERM: tracks end, events are stored, the sink is closed', async () => {
    const file = await writeConfig('loop.yaml', {
      models: { detector, classifier, providers: ['cpu'] },
      cameras: [{ id: 'door', source: { type: 'ffmpeg', url: video, loop: true, maxFps: 10 } }],
    });
    const signals = new EventEmitter();
    const running = runAgent({ config: file }, wiring, quietIo({ signals }));
    await until(() => (sink?.events.length ?? 0) > 0 && !sink.closed, 'first event', 60_000);
    signals.emit('SIGTERM', 'SIGTERM');
    await running;
    expect(sink.events.at(-1)!.type).toBe('end');
    expect(sink.closed).toBe(true);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('notifies systemd READY after start and STOPPING at the end', async () => {
    const file = await writeConfig('notify.yaml', {
      models: { detector, classifier, providers: ['cpu'] },
      cameras: [{ id: 'door', source: { type: 'ffmpeg', url: video, realtime: false, maxFps: 240 } }],
    });
    const sent: string[][] = [];
    const notifier = new SystemdNotifier({
      env: { NOTIFY_SOCKET: '/run/test' },
      runner: async (_c, args) => {
        sent.push(args);
      },
      logger: quietLogger,
    });
    // a finite file: the agent stops by itself when the source ends
    await runAgent({ config: file }, wiring, { logger: quietLogger, notifier });
    expect(sent[0]).toEqual(['READY=1', 'STATUS=watching 1 camera(s), detector on cpu']);
    expect(sent.at(-1)).toEqual(['STOPPING=1', 'STATUS=stopping']);
  });
});
