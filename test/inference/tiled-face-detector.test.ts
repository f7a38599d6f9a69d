/**
 * Tiled detection of large frames (detection.tileAboveScale, eval --tile-above-scale): the tile grid, and the real
 * bundled detector on a 2 x 2 mosaic of a demo photo (800 x 590: 1.56 times the 512 x 384 input) against the same photo
 * alone, where each quadrant's faces must come back in place, once each; a 640x480 frame runs once, unchanged.
 */

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { type Box, boxIou, decodeImage, type RgbImage } from '../../src/core/image-io.js';
import { MODELS_DIR, PACKAGE_ROOT } from '../../src/core/package-paths.js';
import { AgentRuntime } from '../../src/edge/agent/agent-runtime.js';
import { parseAgentConfig } from '../../src/edge/config/agent-config.js';
import { pipelineConfigSchema } from '../../src/edge/config/pipeline-config.js';
import { RecordingEventSink } from '../../src/edge/events/recording-event-sink.js';
import { FaceDetector } from '../../src/edge/inference/face-detector.js';
import {
  BUNDLED_VERIFIER,
  FaceVerifier,
  VerifiedFaceDetector,
} from '../../src/edge/inference/face-verifier.js';
import { MaskClassifier } from '../../src/edge/inference/mask-classifier.js';
import {
  DEFAULT_TILE_ABOVE_SCALE,
  TiledFaceDetector,
  tileRects,
} from '../../src/edge/inference/tiled-face-detector.js';
import { quietLogger } from '../sources/source-test-kit.js';

const DETECTOR = join(MODELS_DIR, 'face-detector-ssd-512x384-tuned.int8.onnx');

describe('tile grid and tiling settings', () => {
  it('covers the frame exactly with equal tiles overlapping by the asked share', () => {
    for (const [w, h] of [
      [1000, 600],
      [1920, 1080],
      [801, 333],
    ] as const) {
      const rects = tileRects(w, h, 2, 0.25);
      expect(rects).toHaveLength(4);
      expect(new Set(rects.map((r) => `${r.width}x${r.height}`)).size).toBe(1);
      expect(Math.min(...rects.map((r) => r.x))).toBe(0);
      expect(Math.min(...rects.map((r) => r.y))).toBe(0);
      expect(Math.max(...rects.map((r) => r.x + r.width))).toBe(w);
      expect(Math.max(...rects.map((r) => r.y + r.height))).toBe(h);
      const [a, b] = rects as [(typeof rects)[0], (typeof rects)[0]];
      expect(a.x + a.width - b.x).toBeGreaterThanOrEqual(Math.floor(0.25 * a.width));
    }
    expect(tileRects(640, 480, 1, 0.25)).toEqual([{ x: 0, y: 0, width: 640, height: 480 }]);
  });

  it('refuses settings that cannot tile, with E_USAGE and the value', async () => {
    const detector = await FaceDetector.open(DETECTOR, { providers: ['cpu'] });
    try {
      for (const [options, text] of [
        [{ minScale: 0.8 }, /tileAboveScale must be above 1.*got 0.8/],
        [{ grid: 1.5 }, /grid must be a whole number >= 1, got 1.5/],
        [{ overlap: 1 }, /overlap must be in \[0, 1\), got 1/],
      ] as const) {
        expect(() => new TiledFaceDetector(detector, options)).toThrow(
          expect.objectContaining({ code: 'E_USAGE', message: expect.stringMatching(text) }),
        );
      }
    } finally {
      await detector.close();
    }
  });
});

function mosaic(photo: RgbImage): RgbImage {
  const width = photo.width * 2;
  const height = photo.height * 2;
  const data = new Uint8Array(width * height * 3);
  for (let qy = 0; qy < 2; qy++)
    for (let qx = 0; qx < 2; qx++)
      for (let y = 0; y < photo.height; y++) {
        const src = y * photo.width * 3;
        const dst = ((qy * photo.height + y) * width + qx * photo.width) * 3;
        data.set(photo.data.subarray(src, src + photo.width * 3), dst);
      }
  return { width, height, data };
}

describe('TiledFaceDetector (real bundled detector)', () => {
  it('finds each quadrant of a large frame in place, once, and leaves a 640x480 frame alone', async () => {
    const photo = await decodeImage(join(PACKAGE_ROOT, 'samples', 'demo', 'maksssksksss29.jpg'));
    const detector = await FaceDetector.open(DETECTOR, { providers: ['cpu'] });
    const tiled = new TiledFaceDetector(detector);
    try {
      const alone = await detector.detect(photo);
      expect(alone.length).toBeGreaterThanOrEqual(4);
      const frame = mosaic(photo);
      expect(tiled.scaleOf(frame)).toBeGreaterThan(DEFAULT_TILE_ABOVE_SCALE);
      const plain = await detector.detect(frame);
      const found = await tiled.detect(frame);
      expect(tiled.tiledFrames).toBe(1);
      expect(tiled.tilesRun).toBe(4);
      // each face of the photo alone, in each quadrant: how many a detector pass finds in place
      const inPlace = (dets: { box: Box }[]) => {
        let n = 0;
        for (let q = 0; q < 4; q++) {
          const dx = (q % 2) * photo.width;
          const dy = Math.floor(q / 2) * photo.height;
          for (const a of alone) {
            const moved = { ...a.box, x: a.box.x + dx, y: a.box.y + dy };
            if (dets.some((d) => boxIou(d.box, moved) >= 0.5)) n += 1;
          }
        }
        return n;
      };
      const total = 4 * alone.length;
      console.log(
        `2x2 mosaic: photo alone ${alone.length} faces; whole frame finds ${inPlace(plain)}/${total} in place, tiled ${inPlace(found)}/${total}`,
      );
      expect(inPlace(found)).toBeGreaterThanOrEqual(Math.ceil(0.9 * total));
      expect(inPlace(found)).toBeGreaterThan(inPlace(plain));
      // overlapping tiles and the whole frame find a face more than once: NMS keeps one
      for (const [i, a] of found.entries())
        for (const b of found.slice(i + 1)) expect(boxIou(a.box, b.box)).toBeLessThanOrEqual(0.5);
      // a camera frame under 1.5x the input runs once, exactly as the detector alone
      const camera: RgbImage = { width: 640, height: 480, data: new Uint8Array(640 * 480 * 3) };
      for (let y = 0; y < photo.height; y++)
        camera.data.set(photo.data.subarray(y * photo.width * 3, (y + 1) * photo.width * 3), y * 640 * 3);
      expect(await tiled.detect(camera)).toEqual(await detector.detect(camera));
      expect(tiled.tilesRun).toBe(4);
    } finally {
      await tiled.close();
    }
  });

  it('in the agent: the bundled verifier behind it, a large frame is counted as tiled per camera, a small one not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mask-edge-tiled-'));
    try {
      const frames = join(dir, 'frames');
      await mkdir(frames);
      const photo = await decodeImage(join(PACKAGE_ROOT, 'samples', 'demo', 'maksssksksss29.jpg'));
      const big = mosaic(photo);
      const raw = (image: RgbImage) =>
        sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
      await raw(big).jpeg().toFile(join(frames, 'a-large.jpg'));
      await raw(photo).jpeg().toFile(join(frames, 'b-small.jpg'));
      const detector = await FaceDetector.open(DETECTOR, { providers: ['cpu'], boxConvention: 'none' });
      const verified = new VerifiedFaceDetector(
        new TiledFaceDetector(detector),
        await FaceVerifier.open(BUNDLED_VERIFIER, { providers: ['cpu'] }),
      );
      const classifier = await MaskClassifier.open(join(MODELS_DIR, 'mask-classifier.int8.onnx'), {
        providers: ['cpu'],
      });
      const config = pipelineConfigSchema.parse({
        cameras: [{ id: 'hall', source: { type: 'images', path: frames, fps: 1 } }],
      });
      const runtime = new AgentRuntime(config, {
        detector: verified,
        classifier,
        sink: new RecordingEventSink('site-1'),
        logger: quietLogger,
      });
      await runtime.start();
      await vi.waitUntil(() => runtime.stats().sources.hall!.state === 'stopped', {
        timeout: 30_000,
        interval: 50,
      });
      type Counters = { processed: number; dropped: number; tiledFrames: number };
      const hall = (runtime.stats().cameras as Record<string, Counters>).hall!;
      await runtime.stop();
      await verified.close();
      await classifier.close();
      expect(hall.processed + hall.dropped).toBe(2);
      expect(hall.tiledFrames).toBe(1); // the first (large) frame; the small one runs once
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('is on by default in the agent config at the same scale, and takes 0 (never) or a scale above 1', () => {
    const base = { cameras: [{ id: 'a', source: '/tmp/photos' }] };
    expect(parseAgentConfig(base).detection.tileAboveScale).toBe(DEFAULT_TILE_ABOVE_SCALE);
    expect(parseAgentConfig({ ...base, detection: { tileAboveScale: 0 } }).detection.tileAboveScale).toBe(0);
    expect(() => parseAgentConfig({ ...base, detection: { tileAboveScale: 0.8 } })).toThrow(
      /tileAboveScale.*must be 0 \(never\) or above 1/,
    );
  });
});
