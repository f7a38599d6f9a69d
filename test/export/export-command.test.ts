import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMaskEdgeError, type MaskEdgeError } from '../../src/core/errors.js';
import { readOnnxMetadata } from '../../src/core/onnx-session.js';
import { sharedDataDir } from '../../src/core/package-paths.js';
import { run } from '../../src/export/export-command.js';
import { GraphBuilder } from '../../src/export/onnx/graph-builder.js';
import { saveCheckpoint, tf } from './tfjs-fixtures.js';
import { writeRunFolder } from './trained-student.js';

const SIZE = 16;
let root: string;
let runDir: string;
let dataDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mask-edge-export-'));
  runDir = join(root, 'run');
  dataDir = join(root, 'faces');
  await writeRunFolder(runDir, dataDir, SIZE, 30);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function expectError(p: Promise<unknown>, code: string, pattern: RegExp): Promise<MaskEdgeError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(isMaskEdgeError(caught), String(caught)).toBe(true);
  const err = caught as MaskEdgeError;
  expect(err.code).toBe(code);
  expect(`${err.message} ${JSON.stringify(err.detail)}`).toMatch(pattern);
  return err;
}

describe('mask-edge export', () => {
  it('writes verified fp32 and int8 models with the metadata contract, card and report', async () => {
    const out = join(root, 'out');
    const lines: string[] = [];
    // The test split here is 45 synthetic faces, so one face is 2.2 points: allow a couple of flips (the student's
    // initialisation is random); the 1-point guard itself is tested with --max-drop below.
    const report = await run({ model: runDir, out, int8: true, maxDrop: 5, print: (l) => lines.push(l) });
    const fp32 = join(out, 'mask-classifier.onnx');
    const int8 = join(out, 'mask-classifier.int8.onnx');
    expect(existsSync(fp32) && existsSync(int8)).toBe(true);
    expect(existsSync(join(out, 'mask-classifier.md')) && existsSync(join(out, 'mask-classifier.json'))).toBe(
      true,
    );
    expect(report.fp32.parity.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(report.fp32.parity.images).toBeGreaterThan(10);
    if (report.fp32.checker.status === 'skipped')
      console.warn(`onnx.checker skipped: ${report.fp32.checker.reason}`);
    else expect(report.int8?.checker?.status).toBe('passed');

    const meta = await readOnnxMetadata(fp32);
    expect(meta['mask_edge.kind']).toBe('classifier');
    expect(meta['mask_edge.layout']).toBe('NCHW');
    expect(JSON.parse(meta['mask_edge.labels']!)).toEqual(['correct', 'incorrect', 'no_mask']);
    expect(meta['mask_edge.input_size']).toBe(String(SIZE));
    expect(meta['mask_edge.precision']).toBe('fp32');
    expect((await readOnnxMetadata(int8))['mask_edge.precision']).toBe('int8');

    const q = report.int8!;
    expect(q.problems).toEqual([]);
    expect(q.sizeRatio).toBeLessThanOrEqual(0.3);
    expect((await readFile(int8)).length / (await readFile(fp32)).length).toBeCloseTo(q.sizeRatio, 5);
    expect(q.agreement).toBeGreaterThanOrEqual(0.95);
    expect(q.fp32Accuracy).toBeGreaterThan(0.8); // the student really learned the synthetic task
    expect(q.ortOptimizedOps.QLinearConv ?? 0).toBeGreaterThanOrEqual(3);
    expect((q.ortOptimizedOps.QGemm ?? 0) + (q.ortOptimizedOps.QLinearMatMul ?? 0)).toBeGreaterThanOrEqual(2);
    expect(q.trials.map((t) => t.method)).toEqual(['minmax', 'percentile', 'entropy']);
    const printed = lines.join('\n');
    expect(printed).toMatch(/top-1 agreement/);
    expect(printed).toMatch(/max probability difference/);
    expect(printed).toMatch(/KiB/);
    const onDisk = JSON.parse(await readFile(join(out, 'export-report.json'), 'utf8'));
    expect(onDisk.int8.int8Accuracy).toBe(q.int8Accuracy);

    const session = await ort.InferenceSession.create(int8);
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['logits']);
    const y = await session.run({
      input: new ort.Tensor('float32', new Float32Array(2 * 3 * SIZE * SIZE), [2, 3, SIZE, SIZE]),
    });
    expect(y.logits!.dims).toEqual([2, 3]);
    await session.release();
  });

  it('refuses an int8 model that misses the accuracy bound unless --force, saying why', async () => {
    const out = join(root, 'strict');
    await expectError(
      run({ model: runDir, out, int8: true, maxDrop: -1, method: 'minmax', print: () => {} }),
      'E_QUALITY',
      /--max-drop/,
    );
    expect(existsSync(join(out, 'mask-classifier.onnx'))).toBe(true);
    expect(existsSync(join(out, 'mask-classifier.int8.onnx'))).toBe(false);
    const forced = await run({
      model: runDir,
      out,
      int8: true,
      maxDrop: -1,
      method: 'minmax',
      force: true,
      print: () => {},
    });
    expect(forced.int8?.forced).toBe(true);
    expect(existsSync(join(out, 'mask-classifier.int8.onnx'))).toBe(true);
  });

  it('takes --calib folders and a bare checkpoint', async () => {
    const out = join(root, 'calib');
    const report = await run({
      model: join(runDir, 'student', 'model.json'),
      out,
      int8: true,
      calib: [dataDir],
      calibCount: 20,
      maxDrop: 5,
      print: () => {},
    });
    expect(report.int8?.calibration.images).toBe(20);
    expect(report.int8?.calibration.set).toContain('--calib');
  });

  it('a bare checkpoint with no data is verified against tfjs on real photos (face-api demo)', async () => {
    const report = await run({ model: join(runDir, 'student'), out: join(root, 'bare'), print: () => {} });
    expect(report.fp32.parity.images).toBeGreaterThanOrEqual(6);
    expect(report.fp32.parity.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(report.int8).toBeUndefined();
  });

  it('real faces: MaskedFace-Net as --calib, parity and int8 fusion (skips without shared data)', async (ctx) => {
    const data = sharedDataDir();
    if (!data || !existsSync(join(data, 'maskedface-net'))) {
      console.warn('skipped: ../shared/data/maskedface-net is absent');
      ctx.skip();
    }
    const mfn = join(data!, 'maskedface-net');
    const report = await run({
      model: join(runDir, 'student', 'model.json'),
      out: join(root, 'real'),
      int8: true,
      calib: [mfn],
      calibCount: 40,
      evalCount: 60,
      force: true,
      print: () => {},
    });
    expect(report.fp32.parity.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(report.fp32.parity.images).toBeGreaterThanOrEqual(40);
    expect(report.int8!.ortOptimizedOps.QLinearConv).toBe(3);
    expect(report.int8!.calibration.set).toContain('maskedface-net');
  });

  it('bad inputs: clear errors naming the file and what was expected', async () => {
    const out = join(root, 'bad');
    await expectError(run({ model: join(root, 'nope'), out, print: () => {} }), 'E_NOT_FOUND', /nope/);

    const truncated = join(root, 'truncated');
    await mkdir(truncated, { recursive: true });
    await copyFile(join(runDir, 'student', 'model.json'), join(truncated, 'model.json'));
    await copyFile(join(runDir, 'student', 'weights.bin'), join(truncated, 'weights.bin'));
    await truncate(join(truncated, 'weights.bin'), 1000);
    await expectError(run({ model: truncated, out, print: () => {} }), 'E_MODEL', /truncated.*weights\.bin/);

    const onnxFile = join(root, 'some-model.onnx');
    const g = new GraphBuilder();
    g.addInput('x', 'float32', ['N', 3]);
    g.addNode('Relu', ['x'], ['y']);
    g.addOutput('y', 'float32', ['N', 3]);
    await writeFile(onnxFile, g.serialize());
    const notJson = join(root, 'not-json');
    await mkdir(notJson, { recursive: true });
    await copyFile(onnxFile, join(notJson, 'model.json'));
    await expectError(
      run({ model: notJson, out, print: () => {} }),
      'E_MODEL',
      /not-json.*model\.json.*expected/,
    );
    await expectError(
      run({ model: onnxFile, out, print: () => {} }),
      'E_MODEL',
      /not a tfjs model\.json.*some-model\.onnx/,
    );

    const gray = tf.sequential();
    gray.add(tf.layers.conv2d({ inputShape: [SIZE, SIZE, 1], filters: 2, kernelSize: 3 }));
    gray.add(tf.layers.flatten());
    gray.add(tf.layers.dense({ units: 3 }));
    const grayPath = await saveCheckpoint(gray, join(root, 'gray'));
    await expectError(run({ model: grayPath, out, print: () => {} }), 'E_MODEL', /gray.*\[S, S, 3\]/);

    const empty = join(root, 'empty-calib');
    await mkdir(empty, { recursive: true });
    await writeFile(join(empty, 'README.txt'), 'no images here');
    await expectError(
      run({ model: runDir, out, int8: true, calib: [empty], print: () => {} }),
      'E_DATA',
      /empty-calib/,
    );
  });
});
