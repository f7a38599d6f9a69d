/**
 * The static INT8 SSD detectors of the zoo: built from face-api's weights and the recorded calibration ranges
 * (models/*.int8-ranges.json) deterministically, with the fp32 model's metadata plus its precision, fused by ONNX
 * Runtime into QLinearConv, and finding the faces the fp32 model finds: on the committed demo photos (always) and
 * on held-out photos of both real sources (when ../shared/data is present). Bounds from measurements
 * (docs/detectors.md): on 40 test photos per source every fp32 face (score >= 0.5) was found again at IoU >= 0.5,
 * median IoU 0.94, 84-92% of them at IoU >= 0.9, score differences median 0.02, max 0.17.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset, splitDataset } from '../../src/core/dataset/index.js';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { decodeImage, resizeRgb } from '../../src/core/image-io.js';
import { summariseOnnx } from '../../src/core/onnx-metadata.js';
import { MODELS_DIR, PACKAGE_ROOT, packageDir, sharedDataDir } from '../../src/core/package-paths.js';
import { pipelineConfigSchema } from '../../src/edge/config/pipeline-config.js';
import { boxIou } from '../../src/edge/eval/detection-matching.js';
import type { DetectorContract } from '../../src/edge/inference/detector-contract.js';
import { letterbox } from '../../src/edge/inference/detector-input.js';
import { DETECTOR_ZOO, openDetector, resolveDetector } from '../../src/edge/inference/detector-zoo.js';
import { FaceDetector } from '../../src/edge/inference/face-detector.js';
import { buildFaceDetector } from '../../src/export/detector/build-face-detector.js';
import { type DetectorQuantization, quantizeDetector } from '../../src/export/detector/quantize-detector.js';
import { inspectOptimizedGraph } from '../../src/export/quantize/fusion-check.js';

const INT8 = DETECTOR_ZOO.find((d) => d.name === 'ssd-mobilenet-v1-512-int8')!;
let dir: string;
let fp32Path: string;
let int8Path: string;
let ranges: DetectorQuantization;
let boxAdjust: { dx: number; dy: number; sw: number; sh: number };

async function recorded(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(MODELS_DIR, file), 'utf8')) as Record<string, unknown>;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mask-edge-int8-'));
  ranges = (await recorded(INT8.int8RangesFile!)) as unknown as DetectorQuantization;
  const adjust = await recorded(INT8.boxAdjustFile);
  boxAdjust = {
    dx: adjust.dx as number,
    dy: adjust.dy as number,
    sw: adjust.sw as number,
    sh: adjust.sh as number,
  };
  fp32Path = (await buildFaceDetector({ out: join(dir, 'fp32.onnx'), boxAdjust })).path;
  int8Path = (await buildFaceDetector({ out: join(dir, INT8.file), boxAdjust, int8: ranges })).path;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** For each fp32 face scoring >= 0.5: the best IoU of an INT8 face (score >= 0.3) and their score difference. */
async function compare(paths: string[], fp32: FaceDetector, int8: FaceDetector) {
  const ious: number[] = [];
  const scoreDiffs: number[] = [];
  let faces = 0;
  for (const path of paths) {
    const frame = await decodeImage(path);
    const reference = await fp32.detect(frame, { minScore: 0.5 });
    const found = await int8.detect(frame, { minScore: 0.3 });
    for (const r of reference) {
      faces += 1;
      let best = 0;
      let score = 0;
      for (const d of found) {
        const iou = boxIou(r.box, d.box);
        if (iou > best) [best, score] = [iou, d.score];
      }
      ious.push(best);
      if (best >= 0.5) scoreDiffs.push(Math.abs(score - r.score));
    }
  }
  const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
  const median = (a: number[]) => sorted(a)[Math.floor(a.length / 2)] ?? 0;
  return {
    faces,
    refound: ious.filter((v) => v >= 0.5).length,
    atIou90: ious.filter((v) => v >= 0.9).length,
    minIou: sorted(ious)[0] ?? 0,
    medianIou: median(ious),
    medianScoreDiff: median(scoreDiffs),
    maxScoreDiff: sorted(scoreDiffs).at(-1) ?? 0,
  };
}

describe('static INT8 SSD detector', () => {
  it('is rebuilt byte for byte from the recorded ranges, with the fp32 metadata plus its precision', async () => {
    const again = await buildFaceDetector({
      out: join(dir, 'again.onnx'),
      int8: ranges,
      boxAdjust: await FaceDetector.open(int8Path, { providers: ['cpu'] }).then(async (d) => {
        const a = d.contract.boxAdjust;
        await d.close();
        return a;
      }),
    });
    expect(Buffer.compare(await readFile(again.path), await readFile(int8Path))).toBe(0);
    const fp32Meta = summariseOnnx(await readFile(fp32Path), fp32Path).metadata;
    const int8Meta = summariseOnnx(await readFile(int8Path), int8Path).metadata;
    const { 'mask_edge.precision': precision, 'mask_edge.quantization': scheme, ...rest } = int8Meta;
    expect(rest).toEqual(fp32Meta);
    expect(precision).toBe('int8');
    expect(JSON.parse(scheme!)).toMatchObject({ format: 'QDQ', scope: ranges.scope, method: ranges.method });
    expect((await readFile(int8Path)).length).toBeLessThan((await readFile(fp32Path)).length / 3);
  });

  it('runs as QLinearConv in ONNX Runtime: every convolution quantized, none left in float', async () => {
    const report = await inspectOptimizedGraph(new Uint8Array(await readFile(int8Path)));
    expect(report.opCounts.QLinearConv).toBe(47);
    expect(report.floatComputeOps).toBe(0);
  });

  it('refuses recorded ranges that do not name the graph (E_MODEL, recalibrate)', async () => {
    const stale = { ...ranges, ranges: { ...ranges.ranges, 'renamed/tensor': [0, 1] as [number, number] } };
    try {
      quantizeDetector(new Uint8Array(await readFile(fp32Path)), stale);
      expect.unreachable();
    } catch (err) {
      expect(isMaskEdgeError(err) && err.code).toBe('E_MODEL');
      expect((err as Error).message).toContain('npm run build:models');
    }
  });

  it('finds the faces the fp32 model finds on the committed demo photos and face-api demo photos', async () => {
    const demo = join(PACKAGE_ROOT, 'samples', 'demo');
    const paths = [
      ...(await readdir(demo)).filter((f) => f.endsWith('.jpg')).map((f) => join(demo, f)),
      ...[1, 2, 3, 4, 5, 6].map((i) => join(packageDir('@vladmandic/face-api'), 'demo', `sample${i}.jpg`)),
    ];
    const fp32 = await FaceDetector.open(fp32Path, { providers: ['cpu'], threads: 1 });
    const int8 = await FaceDetector.open(int8Path, { providers: ['cpu'], threads: 1 });
    try {
      const s = await compare(paths, fp32, int8);
      console.log(`INT8 vs fp32 SSD 512, demo photos: ${JSON.stringify(s)}`);
      // measured: 31/31 found again, min IoU 0.896, median 0.97, score differences median 0.005, max 0.09
      expect(s.faces).toBeGreaterThanOrEqual(25);
      expect(s.refound).toBe(s.faces);
      expect(s.minIou).toBeGreaterThanOrEqual(0.85);
      expect(s.medianIou).toBeGreaterThanOrEqual(0.93);
      expect(s.medianScoreDiff).toBeLessThanOrEqual(0.03);
      expect(s.maxScoreDiff).toBeLessThanOrEqual(0.15);
    } finally {
      await fp32.close();
      await int8.close();
    }
  });

  const data = sharedDataDir();
  it('finds the faces the fp32 model finds on held-out photos of both sources', async (ctx) => {
    if (!data) ctx.skip('../shared/data is absent; set MASK_EDGE_DATA to run this');
    const fp32 = await FaceDetector.open(fp32Path, { providers: ['cpu'], threads: 1 });
    const int8 = await FaceDetector.open(int8Path, { providers: ['cpu'], threads: 1 });
    try {
      for (const [source, folders] of [
        ['kaggle', ['kaggle-face-mask', 'maskedface-net']],
        ['ilc', ['ilc-face-mask']],
      ] as const) {
        const { samples } = await readDataset(folders.map((f) => join(data as string, f)));
        const test = splitDataset(samples, { seed: 1 }).test;
        const paths = [...new Set(test.filter((s) => s.box).map((s) => s.path))].sort().slice(0, 30);
        const s = await compare(paths, fp32, int8);
        console.log(`INT8 vs fp32 SSD 512, ${source} test photos: ${JSON.stringify(s)}`);
        expect(s.faces, source).toBeGreaterThanOrEqual(50);
        expect(s.refound, source).toBeGreaterThanOrEqual(s.faces - 1);
        expect(s.atIou90 / s.faces, source).toBeGreaterThanOrEqual(0.8);
        expect(s.medianIou, source).toBeGreaterThanOrEqual(0.92);
        expect(s.medianScoreDiff, source).toBeLessThanOrEqual(0.04);
        expect(s.maxScoreDiff, source).toBeLessThanOrEqual(0.25);
      }
    } finally {
      await fp32.close();
      await int8.close();
    }
  });
});

describe('INT8 detectors in the zoo', () => {
  it("are selectable by name everywhere the zoo is, with the fp32 entry's input and thresholds", async () => {
    const cameras = [{ id: 'door', source: '/tmp/photos' }];
    for (const size of [512, 384, 320]) {
      const entry = DETECTOR_ZOO.find((d) => d.name === `ssd-mobilenet-v1-${size}-int8`)!;
      const fp32 = DETECTOR_ZOO.find((d) => d.name === entry.fp32Name)!;
      expect(entry).toMatchObject({
        precision: 'int8',
        inputSize: size,
        minScore: fp32.minScore,
        iou: fp32.iou,
        boxAdjustFile: fp32.boxAdjustFile,
        file: `face-detector-ssd-${size}.int8.onnx`,
      });
      expect(fp32.precision).toBe('fp32');
      expect((await recorded(entry.int8RangesFile!)).inputSize).toBe(size);
      expect(resolveDetector(entry.name, dir).path).toBe(join(dir, entry.file));
      expect(pipelineConfigSchema.parse({ cameras, models: { detector: entry.name } }).models.detector).toBe(
        entry.name,
      );
    }
    const opened = await openDetector('ssd-mobilenet-v1-512-int8', { providers: ['cpu'] }, dir);
    expect(opened.path).toBe(int8Path);
    expect(opened.detector.contract.inputSize).toBe(512);
    await opened.detector.close();
  });
});

describe('non-square 512 x 384 input (4:3 frames without the letterbox band)', () => {
  it('pads a frame to 4:3 instead of a square: a 640x480 frame fills it, a portrait one is padded right', () => {
    const contract = {
      inputSize: 512,
      inputHeight: 384,
      scale: true,
      mean: [0, 0, 0] as [number, number, number],
      std: [1, 1, 1] as [number, number, number],
      colorOrder: 'RGB' as const,
      fill: 0,
    };
    const white = (width: number, height: number) => ({
      width,
      height,
      data: new Uint8Array(width * height * 3).fill(255),
    });
    const landscape = letterbox(white(640, 480), contract as DetectorContract);
    expect(landscape.tensor.length).toBe(3 * 512 * 384);
    expect([landscape.scaleX, landscape.scaleY]).toEqual([1.25, 1.25]);
    expect(landscape.tensor.every((v) => v === 1)).toBe(true);
    const portrait = letterbox(white(480, 640), contract as DetectorContract);
    expect(portrait.scaleY).toBeCloseTo(640 / 384, 6);
    expect(portrait.scaleX).toBeCloseTo(853 / 512, 6);
    // row 0: frame pixels up to x = 480 / scale = 288, black after
    expect(portrait.tensor[287]).toBe(1);
    expect(portrait.tensor[290]).toBe(0);
  });

  it('finds the faces of the square 512 px INT8 model on 640x480 frames', async () => {
    const entry = DETECTOR_ZOO.find((d) => d.name === 'ssd-mobilenet-v1-512x384-int8')!;
    expect(entry).toMatchObject({ inputSize: 512, inputHeight: 384, precision: 'int8' });
    const wide = await buildFaceDetector({
      out: join(dir, entry.file),
      inputHeight: 384,
      boxAdjust,
      int8: (await recorded(entry.int8RangesFile!)) as unknown as DetectorQuantization,
    });
    expect(wide.metadata['mask_edge.input_size']).toBe('[384,512]');
    const square = await FaceDetector.open(int8Path, { providers: ['cpu'], threads: 1 });
    const nonSquare = await FaceDetector.open(wide.path, { providers: ['cpu'], threads: 1 });
    try {
      expect([nonSquare.contract.inputSize, nonSquare.contract.inputHeight]).toEqual([512, 384]);
      const demo = join(PACKAGE_ROOT, 'samples', 'demo');
      const paths = [
        ...(await readdir(demo)).filter((f) => f.endsWith('.jpg')).map((f) => join(demo, f)),
        ...[1, 2, 3, 4, 5, 6].map((i) => join(packageDir('@vladmandic/face-api'), 'demo', `sample${i}.jpg`)),
      ];
      let faces = 0;
      const ious: number[] = [];
      for (const path of paths) {
        const frame = await resizeRgb(await decodeImage(path), 640, 480);
        const reference = await square.detect(frame, { minScore: 0.5 });
        const found = await nonSquare.detect(frame, { minScore: 0.3 });
        for (const r of reference) {
          faces += 1;
          ious.push(Math.max(0, ...found.map((d) => boxIou(d.box, r.box))));
        }
      }
      ious.sort((a, b) => a - b);
      console.log(
        `512x384 vs 512 INT8 on 640x480 frames: ${faces} faces, IoU min ${ious[0]}, median ${ious[Math.floor(ious.length / 2)]}`,
      );
      expect(faces).toBeGreaterThanOrEqual(20);
      expect(ious[0]).toBeGreaterThanOrEqual(0.85);
      expect(ious[Math.floor(ious.length / 2)]).toBeGreaterThanOrEqual(0.97);
    } finally {
      await square.close();
      await nonSquare.close();
    }
  });
});
