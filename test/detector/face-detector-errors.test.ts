import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { readOnnxMetadata } from '../../src/core/onnx-session.js';
import { FaceDetector } from '../../src/edge/inference/face-detector.js';
import { buildFaceDetector } from '../../src/export/detector/build-face-detector.js';
import { readTfjsWeights } from '../../src/export/detector/tfjs-weights.js';
import { GraphBuilder } from '../../src/export/onnx/graph-builder.js';

let dir: string;
let modelPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mask-edge-det-err-'));
  modelPath = join(dir, 'det.onnx');
  await buildFaceDetector({
    out: modelPath,
    inputSize: 256,
    defaults: { minScore: 0.4 },
    boxAdjust: { dx: 0, dy: 0.1, sw: 1, sh: 0.9 },
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isMaskEdgeError(err)) return `${err.code} ${JSON.stringify(err.detail)}`;
    throw err;
  }
  return 'no error';
}

describe('FaceDetector contract and bad input', () => {
  it('writes what the decoder needs into metadata_props', async () => {
    const meta = await readOnnxMetadata(modelPath);
    expect(meta['mask_edge.kind']).toBe('detector');
    expect(JSON.parse(meta['mask_edge.input_size']!)).toBe(256);
    expect(JSON.parse(meta['mask_edge.defaults']!)).toEqual({ minScore: 0.4, iou: 0.5, maxFaces: 100 });
    expect(JSON.parse(meta['mask_edge.box_adjust']!)).toEqual({ dx: 0, dy: 0.1, sw: 1, sh: 0.9 });
    const anchors = JSON.parse(meta['mask_edge.anchors']!) as { featureMap: number[] }[];
    expect(anchors.map((a) => a.featureMap[0])).toEqual([16, 8, 4, 2, 1, 1]);
  });

  it('names a missing file, a truncated file and a non-ONNX file', async () => {
    expect(await codeOf(FaceDetector.open(join(dir, 'nope.onnx')))).toMatch(/^E_NOT_FOUND .*nope\.onnx/);
    const bytes = await readFile(modelPath);
    await writeFile(join(dir, 'half.onnx'), bytes.subarray(0, bytes.length >> 1));
    expect(await codeOf(FaceDetector.open(join(dir, 'half.onnx'), { providers: ['cpu'] }))).toMatch(
      /^E_MODEL .*half\.onnx/,
    );
    await writeFile(join(dir, 'text.onnx'), 'hello, not a model');
    expect(await codeOf(FaceDetector.open(join(dir, 'text.onnx'), { providers: ['cpu'] }))).toMatch(
      /^E_MODEL .*text\.onnx/,
    );
  });

  it('refuses an ONNX model that is not a mask-edge detector, naming the metadata it lacks', async () => {
    const g = new GraphBuilder('identity');
    g.addInput('input', 'float32', ['N', 3, 8, 8]);
    g.addNode('Identity', ['input'], ['logits']);
    g.addOutput('logits', 'float32', ['N', 3, 8, 8]);
    g.setMetadata('mask_edge.kind', 'classifier');
    await writeFile(join(dir, 'classifier.onnx'), g.serialize());
    const message = await codeOf(FaceDetector.open(join(dir, 'classifier.onnx'), { providers: ['cpu'] }));
    expect(message).toMatch(/^E_MODEL /);
    expect(message).toContain('mask_edge.kind');
    expect(message).toContain('mask_edge.box_coding');
  });

  it('rejects a malformed frame and out-of-range options with codes, and finds nothing in a blank frame', async () => {
    const det = await FaceDetector.open(modelPath, { providers: ['cpu'] });
    try {
      const frame = { width: 40, height: 30, data: new Uint8Array(40 * 30 * 3).fill(128) };
      expect(await codeOf(det.detect({ ...frame, data: new Uint8Array(10) }))).toMatch(/^E_IMAGE/);
      expect(await codeOf(det.detect(frame, { minScore: 1.5 }))).toMatch(/^E_USAGE .*minScore/);
      expect(await codeOf(det.detect(frame, { iou: 0 }))).toMatch(/^E_USAGE .*iou/);
      expect(await det.detect(frame)).toEqual([]);
    } finally {
      await det.close();
    }
  });

  it('reports a weights manifest that does not match its .bin', async () => {
    const manifest = [{ paths: ['w.bin'], weights: [{ name: 'a', shape: [4], dtype: 'float32' }] }];
    await writeFile(join(dir, 'm.json'), JSON.stringify(manifest));
    await writeFile(join(dir, 'w.bin'), new Uint8Array(8));
    expect(await codeOf(readTfjsWeights(join(dir, 'm.json')))).toMatch(/^E_MODEL .*"tensor":"a"/);
    expect(await codeOf(readTfjsWeights(join(dir, 'missing.json')))).toMatch(/^E_NOT_FOUND/);
  });
});
