import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { convertLayersModel } from '../../src/export/onnx/tfjs-to-onnx.js';
import { readTfjsCheckpoint } from '../../src/export/tfjs/checkpoint.js';
import { startTfjs } from '../../src/export/tfjs/tfjs-reference.js';
import { compareOrtWithTfjs, randomiseBatchNorms, saveCheckpoint, tf, wave } from './tfjs-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mask-edge-conv-'));
  await startTfjs();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function roundTrip(name: string, model: tf.LayersModel, batch = 3) {
  const path = await saveCheckpoint(model, join(dir, name));
  const converted = convertLayersModel(await readTfjsCheckpoint(path), { outputName: 'logits' });
  const [h, w, c] = converted.tfInputShape as [number, number, number];
  const x = wave(batch * h * w * c, 7, 2);
  const cmp = await compareOrtWithTfjs(converted.bytes, model, x, [batch, h, w, c]);
  return { converted, ...cmp };
}

function opTypes(bytes: {
  model: { graph?: { node?: { opType?: string | null }[] | null } | null };
}): string[] {
  return (bytes.model.graph?.node ?? []).map((n) => n.opType ?? '');
}

describe('tfjs layers -> ONNX converter (ORT vs tfjs to 1e-4)', () => {
  it('Sequential: Conv2D+BN (folded), ReLU6, DepthwiseConv2D+BN, pooling, Flatten before Dense, Dropout', async () => {
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [10, 10, 3],
        filters: 6,
        kernelSize: 3,
        padding: 'same',
        useBias: false,
      }),
    );
    m.add(tf.layers.batchNormalization());
    m.add(tf.layers.reLU({ maxValue: 6 }));
    m.add(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2 }));
    m.add(tf.layers.batchNormalization({ epsilon: 0.01 }));
    m.add(tf.layers.activation({ activation: 'relu6' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'valid' }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dropout({ rate: 0.5 }));
    m.add(tf.layers.dense({ units: 8, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 3 }));
    randomiseBatchNorms(m);
    const { converted, maxDiff, ort } = await roundTrip('seq', m);
    expect(maxDiff).toBeLessThan(1e-4);
    expect(ort.length).toBe(9);
    expect(converted.foldedBatchNorms).toHaveLength(2);
    expect(converted.removedLayers).toHaveLength(1);
    const ops = opTypes(converted);
    expect(ops).not.toContain('BatchNormalization');
    expect(ops).not.toContain('Transpose'); // flatten handled by permuting Dense weights
    expect(ops).not.toContain('Gather');
    expect(converted.onnxInputShape).toEqual(['N', 3, 10, 10]);
  });

  it('functional: Add, Concatenate, odd-size same padding, AveragePooling, LeakyReLU, GlobalMaxPool, softmax', async () => {
    const input = tf.input({ shape: [9, 9, 4] });
    const a = tf.layers
      .conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'sigmoid' })
      .apply(input);
    const b = tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'tanh' }).apply(input);
    const sum = tf.layers.add().apply([a, b] as tf.SymbolicTensor[]);
    const cat = tf.layers.concatenate().apply([sum, input] as tf.SymbolicTensor[]);
    const pooled = tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(cat);
    const leaky = tf.layers.leakyReLU({ alpha: 0.2 }).apply(pooled);
    const strided = tf.layers.conv2d({ filters: 5, kernelSize: 2, strides: 2, padding: 'same' }).apply(leaky);
    const gmp = tf.layers.globalMaxPooling2d({}).apply(strided);
    const out = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(gmp) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out });
    const { converted, maxDiff } = await roundTrip('functional', m);
    expect(maxDiff).toBeLessThan(1e-4);
    expect(converted.finalActivation).toBe('softmax');
    expect(opTypes(converted)).toEqual(expect.arrayContaining(['Add', 'Concat', 'AveragePool', 'LeakyRelu']));
  });

  it('Reshape, Dense on a rank-2 tensor, standalone BN, GlobalAveragePooling, ReLU layer, Softmax layer', async () => {
    const input = tf.input({ shape: [6, 6, 2] });
    const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(input); // 4x4x4
    const r = tf.layers.reshape({ targetShape: [16, 4] }).apply(c1);
    const d = tf.layers.dense({ units: 5 }).apply(r); // [16, 5]
    const r2 = tf.layers.reshape({ targetShape: [4, 4, 5] }).apply(d);
    const c2 = tf.layers.conv2d({ filters: 3, kernelSize: 1 }).apply(r2);
    const skip = tf.layers.conv2d({ filters: 3, kernelSize: 1 }).apply(r2);
    const sum = tf.layers.add().apply([c2, skip] as tf.SymbolicTensor[]);
    const bn = tf.layers.batchNormalization().apply(sum); // after Add: not foldable
    const relu = tf.layers.reLU().apply(bn);
    const gap = tf.layers.globalAveragePooling2d({}).apply(relu);
    const dd = tf.layers.dense({ units: 4 }).apply(gap);
    const bn2 = tf.layers.batchNormalization().apply(dd); // folded into the Dense
    const out = tf.layers.softmax().apply(bn2) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out });
    randomiseBatchNorms(m, 5);
    const { converted, maxDiff } = await roundTrip('reshape', m);
    expect(maxDiff).toBeLessThan(1e-4);
    expect(converted.foldedBatchNorms).toHaveLength(1);
    expect(opTypes(converted)).toContain('MatMul');
  });

  it('a flattened tensor feeding something other than Dense is put back into tfjs order', async () => {
    const input = tf.input({ shape: [3, 3, 2] });
    const f = tf.layers.flatten().apply(input);
    const bn = tf.layers.batchNormalization().apply(f);
    const f2 = tf.layers.flatten().apply(tf.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(input));
    const cat = tf.layers.concatenate().apply([bn, f2] as tf.SymbolicTensor[]);
    const out = tf.layers.dense({ units: 3 }).apply(cat) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out });
    randomiseBatchNorms(m, 9);
    const { maxDiff } = await roundTrip('flat-order', m);
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('an unsupported layer fails with E_UNSUPPORTED naming the layer and its type', async () => {
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3 }));
    m.add(tf.layers.upSampling2d({ size: [2, 2], name: 'grow_up' }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 3 }));
    const path = await saveCheckpoint(m, join(dir, 'unsupported'));
    const ckpt = await readTfjsCheckpoint(path);
    let caught: unknown;
    try {
      convertLayersModel(ckpt);
    } catch (err) {
      caught = err;
    }
    expect(isMaskEdgeError(caught, 'E_UNSUPPORTED')).toBe(true);
    expect((caught as Error).message).toMatch(/'grow_up'.*UpSampling2D/);
  });
});
