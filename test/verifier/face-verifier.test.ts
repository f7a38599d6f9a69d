import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { applyBoxDeltas, VERIFIER_CONTEXT, VERIFIER_INPUT_SIZE } from '../../src/core/face-verifier-spec.js';
import { MODELS_DIR } from '../../src/core/package-paths.js';
import { AgentRuntime } from '../../src/edge/agent/agent-runtime.js';
import { pipelineConfigSchema } from '../../src/edge/config/pipeline-config.js';
import { RecordingEventSink } from '../../src/edge/events/recording-event-sink.js';
import { buildRegistry } from '../../src/edge/health/health-server.js';
import { FaceDetector } from '../../src/edge/inference/face-detector.js';
import {
  BUNDLED_VERIFIER,
  chooseVerifier,
  FaceVerifier,
  VerifiedFaceDetector,
  verifiedScore,
} from '../../src/edge/inference/face-verifier.js';
import { MaskClassifier } from '../../src/edge/inference/mask-classifier.js';
import { exportFaceVerifier } from '../../src/export/face-verifier-export.js';
import { saveModel } from '../../src/train/io/file-io-handler.js';
import { buildCnn } from '../../src/train/models/cnn.js';
import { FACE_API_DEMO, faceDetectorModel, writeMeanColourClassifier } from '../agent/agent-test-kit.js';
import { quietLogger } from '../sources/source-test-kit.js';

const run = promisify(execFile);

/**
 * A verifier whose output ignores the image: the last layer's kernel is zero and its bias is `out`
 * (face logit, then kaggle deltas, then ilc deltas), exported through the real converter (parity-checked).
 */
async function constantVerifier(dir: string, name: string, out: number[], minScore = 0.5): Promise<string> {
  const model = buildCnn({
    inputSize: VERIFIER_INPUT_SIZE,
    width: 4,
    blocks: 2,
    seed: 3,
    units: 9,
    name: 'face_verifier',
  });
  const dense = model.getLayer('logits');
  const [kernel] = dense.getWeights();
  dense.setWeights([tf.zerosLike(kernel!), tf.tensor1d(out)]);
  const ckpt = join(dir, `${name}-ckpt`);
  await saveModel(model, ckpt);
  const s = VERIFIER_INPUT_SIZE;
  const crops = Float32Array.from({ length: 4 * s * s * 3 }, (_, i) => Math.sin(i) * 2);
  const file = join(dir, `${name}.onnx`);
  const r = await exportFaceVerifier(
    ckpt,
    file,
    {
      inputSize: s,
      context: VERIFIER_CONTEXT,
      conventions: ['kaggle', 'ilc'],
      candidateMinScore: 0.1,
      minScore,
      iou: 0.4,
      training: { test: true },
    },
    crops,
  );
  expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-4);
  return file;
}

const frame = { width: 320, height: 240, data: new Uint8Array(320 * 240 * 3).fill(90) };

class FixedDetector {
  readonly provider = 'cpu';
  calls: { minScore?: number }[] = [];
  constructor(
    private readonly boxes: { box: { x: number; y: number; width: number; height: number }; score: number }[],
  ) {}
  async detect(_f: unknown, options: { minScore?: number } = {}) {
    this.calls.push(options);
    return this.boxes.filter((b) => b.score >= (options.minScore ?? 0));
  }
  async close() {}
}

describe('face verifier (real ONNX Runtime, exported by the project converter)', () => {
  let dir: string;
  let accepting: string;
  let rejecting: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verifier-'));
    accepting = await constantVerifier(dir, 'accept', [3, 1, -1, 0.5, 0, 0, 2, 0, 0]);
    rejecting = await constantVerifier(dir, 'reject', [-6, 0, 0, 0, 0, 0, 0, 0, 0]);
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the face probability and the box refined to the chosen convention', async () => {
    const box = { x: 100, y: 60, width: 50, height: 60 };
    for (const [convention, deltas] of [
      ['kaggle', [1, -1, 0.5, 0]],
      ['ilc', [0, 2, 0, 0]],
    ] as const) {
      const v = await FaceVerifier.open(accepting, { providers: ['cpu'], convention });
      const [r] = await v.verify(frame, [box]);
      await v.close();
      expect(r!.faceProbability).toBeCloseTo(1 / (1 + Math.exp(-3)), 4);
      const want = applyBoxDeltas(box, deltas);
      expect(r!.box.x).toBeCloseTo(want.x, 3);
      expect(r!.box.y).toBeCloseTo(want.y, 3);
      expect(r!.box.width).toBeCloseTo(want.width, 3);
      expect(r!.box.height).toBeCloseTo(want.height, 3);
    }
  });

  it('behind the detector contract: scores sqrt(detector x face), rejects and counts the boxes under the threshold', async () => {
    const det = new FixedDetector([
      { box: { x: 10, y: 10, width: 40, height: 40 }, score: 0.9 },
      { box: { x: 200, y: 100, width: 40, height: 40 }, score: 0.26 },
      { box: { x: 100, y: 150, width: 40, height: 40 }, score: 0.2 },
    ]);
    const verified = new VerifiedFaceDetector(
      det,
      await FaceVerifier.open(accepting, { providers: ['cpu'] }),
    );
    const p = 1 / (1 + Math.exp(-3));
    const faces = await verified.detect(frame);
    // the detector ran at the verifier's candidate score or t^2 (no box under it can reach t), not at t itself
    expect(det.calls[0]!.minScore).toBeCloseTo(0.25);
    expect(faces.map((f) => f.score)).toEqual([expect.closeTo(verifiedScore(0.9, p), 4)]);
    expect(faces[0]!.detectorScore).toBe(0.9);
    expect(faces.rejected).toBe(1);
    expect(verified.rejected).toBe(1);
    const all = await verified.detect(frame, { minScore: 0.3 });
    expect(det.calls[1]!.minScore).toBeCloseTo(0.1);
    expect(all).toHaveLength(3);
    expect(verified.rejected).toBe(1);
    await verified.close();
  });

  it('auto picks the bundled verifier only behind the detector it was trained on', async () => {
    const ssd = { name: 'ssd-mobilenet-v1-512', path: join(MODELS_DIR, 'face-detector.onnx') };
    if (existsSync(BUNDLED_VERIFIER)) {
      expect((await chooseVerifier('auto', ssd)).path).toBe(BUNDLED_VERIFIER);
      // the same file given as a path, and an INT8 variant of the same network
      expect((await chooseVerifier('auto', { name: 'face-detector.onnx', path: ssd.path })).path).toBe(
        BUNDLED_VERIFIER,
      );
      expect((await chooseVerifier('auto', { name: 'ssd-mobilenet-v1-512-int8', path: 'x.onnx' })).path).toBe(
        BUNDLED_VERIFIER,
      );
      const tiny = await chooseVerifier('auto', {
        name: 'tiny-face-416',
        path: join(MODELS_DIR, 'face-detector-tiny-416.onnx'),
      });
      expect(tiny.path).toBeUndefined();
      expect(tiny.reason).toMatch(/trained on ssd-mobilenet-v1-512 boxes, the detector is tiny-face-416/);
    }
    expect(await chooseVerifier('none', ssd)).toEqual({ reason: 'off (none)' });
    expect((await chooseVerifier(accepting, { name: 'tiny-face-416', path: 'x' })).path).toBe(accepting);
  });

  it.skipIf(!existsSync(BUNDLED_VERIFIER))(
    'the bundled verifier keeps a real face in front of a plain grey wall (no scene context around it)',
    async () => {
      const still = join(dir, 'plain-wall.jpg');
      await run('ffmpeg', [
        '-v',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'color=c=0x707070:s=640x480',
        '-i',
        join(FACE_API_DEMO, 'sample1.jpg'),
        '-filter_complex',
        '[1:v]crop=360:420:730:270,scale=180:210[f];[0:v][f]overlay=x=200:y=130',
        '-frames:v',
        '1',
        still,
      ]);
      const { decodeImage } = await import('../../src/core/image-io.js');
      const photo = await decodeImage(still);
      const detector = await FaceDetector.open(await faceDetectorModel(dir), {
        providers: ['cpu'],
        logger: quietLogger,
      });
      const verified = new VerifiedFaceDetector(
        detector.withoutBoxAdjust(),
        await FaceVerifier.open(BUNDLED_VERIFIER, { providers: ['cpu'] }),
      );
      const faces = await verified.detect(photo);
      await verified.close();
      expect(faces).toHaveLength(1);
      expect(faces[0]!.box.x).toBeGreaterThan(200);
      expect(faces[0]!.box.x + faces[0]!.box.width).toBeLessThan(380);
    },
    60_000,
  );

  it('refuses a model that is not a verifier, and an unknown convention, with codes', async () => {
    const classifier = writeMeanColourClassifier(dir);
    await expect(FaceVerifier.open(classifier, { providers: ['cpu'] })).rejects.toSatisfy((e) =>
      isMaskEdgeError(e, 'E_MODEL'),
    );
    await expect(
      FaceVerifier.open(accepting, { providers: ['cpu'], convention: 'coco' as never }),
    ).rejects.toSatisfy((e) => isMaskEdgeError(e, 'E_USAGE'));
  });

  it('in the agent: every face the verifier rejects is dropped before tracking and counted per camera and in /metrics', async () => {
    const frames = join(dir, 'frames');
    await mkdir(frames);
    for (const n of [2, 3]) {
      await run('ffmpeg', [
        '-v',
        'error',
        '-i',
        join(FACE_API_DEMO, `sample${n}.jpg`),
        '-vf',
        'scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2',
        join(frames, `s${n}.jpg`),
      ]);
    }
    const outcome = async (verifierFile: string) => {
      const detector = await FaceDetector.open(await faceDetectorModel(dir), {
        providers: ['cpu'],
        logger: quietLogger,
        boxConvention: 'none',
      });
      const verified = new VerifiedFaceDetector(
        detector,
        await FaceVerifier.open(verifierFile, { providers: ['cpu'] }),
      );
      const classifier = await MaskClassifier.open(writeMeanColourClassifier(dir), {
        providers: ['cpu'],
        logger: quietLogger,
      });
      const sink = new RecordingEventSink('site-1');
      const config = pipelineConfigSchema.parse({
        cameras: [{ id: 'hall', source: { type: 'images', path: frames, fps: 4 } }],
        tracking: { stableFrames: 1, maxAgeSeconds: 0.2 },
      });
      const runtime = new AgentRuntime(config, { detector: verified, classifier, sink, logger: quietLogger });
      await runtime.start();
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (runtime.stats().sources.hall!.state === 'stopped') {
            clearInterval(timer);
            resolve();
          }
        }, 50);
      });
      const stats = runtime.stats();
      const metrics = await buildRegistry({ stats: () => stats, healthy: () => true }).metrics();
      await runtime.stop();
      await verified.close();
      await classifier.close();
      const hall = (stats.cameras as Record<string, { rejectedFaces: number; faces: number }>).hall!;
      return { hall, events: sink.events.length, metrics };
    };
    const kept = await outcome(accepting);
    expect(kept.hall.rejectedFaces).toBe(0);
    expect(kept.hall.faces).toBeGreaterThan(0); // how many frames get processed depends on the machine's load
    expect(kept.events).toBeGreaterThan(0);
    const dropped = await outcome(rejecting);
    expect(dropped.hall.faces).toBe(0);
    expect(dropped.events).toBe(0);
    expect(dropped.hall.rejectedFaces).toBeGreaterThan(0);
    expect(dropped.metrics).toMatch(
      new RegExp(`mask_edge_faces_rejected\\{camera="hall"\\} ${dropped.hall.rejectedFaces}`),
    );
  }, 60_000);
});
