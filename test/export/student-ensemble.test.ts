import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { convertLayersModel } from '../../src/export/onnx/tfjs-to-onnx.js';
import { inspectOptimizedGraph } from '../../src/export/quantize/fusion-check.js';
import { calibrate, quantizeWithStats } from '../../src/export/quantize/quantize-model.js';
import { readTfjsCheckpoint } from '../../src/export/tfjs/checkpoint.js';
import { startTfjs } from '../../src/export/tfjs/tfjs-reference.js';
import { buildCnn } from '../../src/train/models/cnn.js';
import { averageModels } from '../../src/train/models/ensemble.js';
import {
  compareOrtWithTfjs,
  nhwcToNchw,
  randomiseBatchNorms,
  saveCheckpoint,
  tf,
  wave,
} from './tfjs-fixtures.js';

const SIZE = 12;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mask-edge-ens-'));
  await startTfjs();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function members(): tf.LayersModel[] {
  return [1, 2, 3].map((seed) => {
    const m = buildCnn({ inputSize: SIZE, width: 4, blocks: 2, seed, name: `student${seed}` });
    randomiseBatchNorms(m, seed);
    return m;
  });
}

describe('student ensemble: one flat model averaging the members logits', () => {
  it('predicts the mean of its members, holds their weights under prefixes, and has no nested models', () => {
    const parts = members();
    const ens = averageModels(parts);
    const x = tf.tensor4d(wave(4 * SIZE * SIZE * 3, 3, 2), [4, SIZE, SIZE, 3]);
    const each = parts.map((m) => (m.predict(x) as tf.Tensor).dataSync() as Float32Array);
    const got = (ens.predict(x) as tf.Tensor).dataSync() as Float32Array;
    const want = got.map((_, i) => each.reduce((sum, e) => sum + e[i]!, 0) / each.length);
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-5);
    // the members disagree, so a mean equal to one member would be a bug
    expect(Math.max(...each[0]!.map((v, i) => Math.abs(v - want[i]!)))).toBeGreaterThan(1e-3);
    expect(ens.layers.some((l) => l.getClassName() === 'Model' || l.getClassName() === 'Functional')).toBe(
      false,
    );
    expect(ens.getLayer('m2_block1_conv1').getWeights()[0]!.dataSync()).toEqual(
      parts[1]!.getLayer('block1_conv1').getWeights()[0]!.dataSync(),
    );
    x.dispose();
  });

  it('refuses fewer than two members', () => {
    let caught: unknown;
    try {
      averageModels(members().slice(0, 1));
    } catch (err) {
      caught = err;
    }
    expect(isMaskEdgeError(caught, 'E_USAGE')).toBe(true);
  });

  it('exports to ONNX (Average -> Add + Mul) matching tfjs, and quantizes to fused INT8 ops', async () => {
    const ens = averageModels(members());
    const path = await saveCheckpoint(ens, join(dir, 'ensemble'));
    const converted = convertLayersModel(await readTfjsCheckpoint(path), { outputName: 'logits' });
    const ops = (converted.model.graph?.node ?? []).map((n) => n.opType);
    expect(ops.filter((o) => o === 'Mul')).toHaveLength(1);
    expect(ops.filter((o) => o === 'Conv')).toHaveLength(6);
    const batch = 5;
    const x = wave(batch * SIZE * SIZE * 3, 11, 2);
    const { maxDiff } = await compareOrtWithTfjs(converted.bytes, ens, x, [batch, SIZE, SIZE, 3]);
    expect(maxDiff).toBeLessThan(1e-4);

    const stats = await calibrate(converted.model, [
      { data: nhwcToNchw(x, batch, SIZE, SIZE, 3), dims: [batch, 3, SIZE, SIZE] },
    ]);
    const q = quantizeWithStats(converted.model, stats, 'minmax', 'uint8');
    const report = await inspectOptimizedGraph(q.bytes);
    expect(report.opCounts.QLinearConv).toBe(6);
    expect(report.opCounts.QGemm).toBe(3);
  });
});
