/**
 * The detector zoo: names resolve to files in a models folder, unknown names and missing files are clear coded
 * errors, a list of detectors is tried in order with every failure reported, the per-source box adjustments are
 * chosen by name, and each zoo SSD size finds the faces the 512 px model finds on face-api's demo photos.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { decodeImage } from '../../src/core/image-io.js';
import { packageDir } from '../../src/core/package-paths.js';
import { pipelineConfigSchema } from '../../src/edge/config/pipeline-config.js';
import { boxIou } from '../../src/edge/eval/detection-matching.js';
import {
  DEFAULT_DETECTOR_NAME,
  DETECTOR_ZOO,
  openDetector,
  resolveDetector,
  zooDetectorNames,
} from '../../src/edge/inference/detector-zoo.js';
import { FaceDetector } from '../../src/edge/inference/face-detector.js';
import { buildFaceDetector } from '../../src/export/detector/build-face-detector.js';

let dir: string;
const tinyEntry = DETECTOR_ZOO.find((d) => d.name === 'tiny-face-320')!;
const kaggle = { dx: 0.03, dy: 0.05, sw: 0.75, sh: 0.9 };
const ilc = { dx: 0.01, dy: -0.04, sw: 0.7, sh: 0.95 };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mask-edge-zoo-'));
  // A models folder holding only the tiny 320 entry (0.8 MB, built in a second).
  await buildFaceDetector({
    out: join(dir, tinyEntry.file),
    architecture: 'tiny',
    inputSize: 320,
    boxAdjust: kaggle,
    boxAdjustBySource: { kaggle, ilc },
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string; detail: unknown }> {
  try {
    await p;
  } catch (err) {
    if (isMaskEdgeError(err)) return { code: err.code, message: err.message, detail: err.detail };
    throw err;
  }
  throw new Error('expected an error');
}

describe('detector zoo', () => {
  it('lists the default first and resolves names to files in the models folder, paths as they are', () => {
    expect(zooDetectorNames()[0]).toBe(DEFAULT_DETECTOR_NAME);
    expect(zooDetectorNames()).toEqual([
      'ssd-mobilenet-v1-512x384-tuned-int8',
      'ssd-mobilenet-v1-512x384-int8',
      'ssd-mobilenet-v1-512',
      'ssd-mobilenet-v1-384',
      'ssd-mobilenet-v1-320',
      'ssd-mobilenet-v1-512-int8',
      'ssd-mobilenet-v1-384-int8',
      'ssd-mobilenet-v1-320-int8',
      'ssd-mobilenet-v1-512x384-tuned',
      'tiny-face-416',
      'tiny-face-320',
    ]);
    expect(resolveDetector('tiny-face-320', dir)).toMatchObject({
      name: 'tiny-face-320',
      path: join(dir, 'face-detector-tiny-320.onnx'),
    });
    expect(resolveDetector('/x/my-detector.onnx', dir)).toEqual({
      name: 'my-detector.onnx',
      path: '/x/my-detector.onnx',
    });
    expect(resolveDetector('local.onnx', dir).path).toBe('local.onnx');
  });

  it('refuses an unknown name, listing the known ones', async () => {
    const err = await errorOf(openDetector('blazeface', {}, dir));
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toContain("unknown face detector 'blazeface'");
    for (const name of zooDetectorNames()) expect(err.message).toContain(name);
  });

  it('names a zoo detector whose file was not built, with the command that builds it', async () => {
    const err = await errorOf(openDetector('ssd-mobilenet-v1-384', {}, dir));
    expect(err.code).toBe('E_MODEL');
    expect(err.message).toContain(join(dir, 'face-detector-ssd-384.onnx'));
    expect(err.message).toContain('--detector ssd-mobilenet-v1-384');
    expect((await errorOf(openDetector(join(dir, 'gone.onnx'), {}, dir))).code).toBe('E_NOT_FOUND');
  });

  it('tries a list in order, keeps every failure, and opens the first that loads', async () => {
    const opened = await openDetector(
      ['nope', 'ssd-mobilenet-v1-320', 'tiny-face-320', 'ssd-mobilenet-v1-512'],
      { providers: ['cpu'] },
      dir,
    );
    try {
      expect(opened.name).toBe('tiny-face-320');
      expect(opened.detector.inputSize).toBe(320);
      expect(opened.failures.map((f) => [f.detector, f.code])).toEqual([
        ['nope', 'E_USAGE'],
        ['ssd-mobilenet-v1-320', 'E_MODEL'],
      ]);
    } finally {
      await opened.detector.close();
    }
    const none = await errorOf(openDetector(['nope', 'ssd-mobilenet-v1-320'], {}, dir));
    expect(none.code).toBe('E_MODEL');
    expect(none.message).toMatch(/no face detector could be opened: nope: .*; ssd-mobilenet-v1-320: /);
    expect((none.detail as { failures: unknown[] }).failures).toHaveLength(2);
  });

  it('builds nothing from a folder without the weights (missing weights file)', async () => {
    const err = await errorOf(
      buildFaceDetector({
        out: join(dir, 'x.onnx'),
        architecture: 'tiny',
        weightsDir: join(dir, 'no-weights'),
      }),
    );
    expect(err.code).toBe('E_NOT_FOUND');
    expect(err.message).toContain(join(dir, 'no-weights', 'tiny_face_detector_model-weights_manifest.json'));
  });

  it('chooses the box adjustment fitted on a source by name, and refuses an unknown one', async () => {
    const path = join(dir, tinyEntry.file);
    const byDefault = await FaceDetector.open(path, { providers: ['cpu'] });
    const forIlc = await FaceDetector.open(path, { providers: ['cpu'], boxConvention: 'ilc' });
    const off = await FaceDetector.open(path, { providers: ['cpu'], boxConvention: 'none' });
    try {
      expect(byDefault.contract.boxAdjust).toEqual(kaggle);
      expect(forIlc.contract.boxAdjust).toEqual(ilc);
      expect(off.contract.boxAdjust).toEqual({ dx: 0, dy: 0, sw: 1, sh: 1 });
      const photo = await decodeImage(join(packageDir('@vladmandic/face-api'), 'demo', 'sample1.jpg'));
      const a = await byDefault.detect(photo);
      const b = await forIlc.detect(photo);
      expect(a.length).toBeGreaterThan(0);
      expect(b).toHaveLength(a.length);
      expect(boxIou(a[0]!.box, b[0]!.box)).toBeLessThan(0.99);
    } finally {
      await Promise.all([byDefault.close(), forIlc.close(), off.close()]);
    }
    const err = await errorOf(FaceDetector.open(path, { providers: ['cpu'], boxConvention: 'wider' }));
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toContain('none, kaggle, ilc');
  });

  it('accepts zoo names, paths and lists in models.detector and refuses unknown names in config', () => {
    const base = { cameras: [{ id: 'door', source: '/tmp/photos' }] };
    const parsed = pipelineConfigSchema.parse(base);
    expect(parsed.models.detector).toBe(DEFAULT_DETECTOR_NAME);
    expect(
      pipelineConfigSchema.parse({ ...base, models: { detector: ['tiny-face-416', '/opt/d.onnx'] } }).models
        .detector,
    ).toEqual(['tiny-face-416', '/opt/d.onnx']);
    const bad = pipelineConfigSchema.safeParse({ ...base, models: { detector: 'yolo' } });
    expect(bad.success).toBe(false);
    const message = bad.error!.issues.map((i) => i.message).join('; ');
    expect(message).toContain("unknown face detector 'yolo'");
    expect(message).toContain('tiny-face-320');
  });
});

describe('zoo SSD sizes below 512', () => {
  it('find the faces the 512 px SSD finds that are at least 20 input pixels at their size', async () => {
    const reference = await FaceDetector.open(
      (await buildFaceDetector({ out: join(dir, 'ssd512.onnx') })).path,
      { providers: ['cpu'] },
    );
    const photos = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((i) =>
        decodeImage(join(packageDir('@vladmandic/face-api'), 'demo', `sample${i}.jpg`)),
      ),
    );
    const references = await Promise.all(photos.map((p) => reference.detect(p, { minScore: 0.5 })));
    await reference.close();
    for (const entry of DETECTOR_ZOO.filter(
      (d) => d.architecture === 'ssd' && d.precision === 'fp32' && d.inputSize !== 512,
    )) {
      const built = await buildFaceDetector({ out: join(dir, entry.file), inputSize: entry.inputSize });
      const small = await FaceDetector.open(built.path, { providers: ['cpu'] });
      try {
        let faces = 0;
        let refound = 0;
        for (const [i, photo] of photos.entries()) {
          const side = Math.max(photo.width, photo.height);
          const big = references[i]!.filter(
            (d) => (Math.min(d.box.width, d.box.height) * entry.inputSize) / side >= 20,
          );
          const found = await small.detect(photo, { minScore: 0.3 });
          faces += big.length;
          refound += big.filter((r) => found.some((d) => boxIou(d.box, r.box) >= 0.6)).length;
        }
        console.log(`${entry.name}: ${refound}/${faces} of the 512 px faces found again`);
        expect(faces, entry.name).toBeGreaterThanOrEqual(5);
        expect(refound, entry.name).toBeGreaterThanOrEqual(faces - 1);
      } finally {
        await small.close();
      }
    }
  });
});
