/** Test helpers: save real tfjs models in the on-disk checkpoint format, compare ORT with tfjs. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { predictTfjs, startTfjs, tf } from '../../src/export/tfjs/tfjs-reference.js';

export { tf };

/** Writes `model` as model.json + weights.bin in `dir` (the layout TRAIN writes, CONTRACTS §3). */
export async function saveCheckpoint(model: tf.LayersModel, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const parts = Array.isArray(data) ? data : data ? [data] : [];
      await writeFile(join(dir, 'weights.bin'), Buffer.concat(parts.map((b) => Buffer.from(b))));
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return join(dir, 'model.json');
}

/** Deterministic pseudo-random values in [-amp, amp]. */
export function wave(n: number, seed: number, amp = 1): Float32Array {
  return Float32Array.from(
    { length: n },
    (_, i) => amp * Math.sin(seed * 12.9898 + i * 78.233) * Math.cos(i * 0.37 + seed),
  );
}

/** Gives every BatchNormalization layer non-trivial gamma/beta/moving statistics. */
export function randomiseBatchNorms(model: tf.LayersModel, seed = 1): void {
  let k = seed;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const current = layer.getWeights();
    const values = layer.weights.map((variable, i) => {
      const w = current[i]!;
      const name = variable.name;
      const n = w.size;
      k += 1;
      if (name.includes('variance'))
        return tf.tensor(
          wave(n, k, 0.5).map((v) => 0.6 + v),
          w.shape,
        );
      if (name.includes('gamma'))
        return tf.tensor(
          wave(n, k, 0.4).map((v) => 1 + v),
          w.shape,
        );
      return tf.tensor(wave(n, k, 0.5), w.shape);
    });
    layer.setWeights(values);
  }
}

export function nhwcToNchw(x: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++)
        for (let ch = 0; ch < c; ch++)
          out[((b * c + ch) * h + y) * w + xx] = x[((b * h + y) * w + xx) * c + ch]!;
  return out;
}

/** Runs the ONNX bytes and the tfjs model on the same NHWC batch; returns both outputs and the max |diff|. */
export async function compareOrtWithTfjs(
  onnxBytes: Uint8Array,
  model: tf.LayersModel,
  nhwc: Float32Array,
  shape: [number, number, number, number],
): Promise<{ maxDiff: number; ort: Float32Array; tfjs: Float32Array }> {
  await startTfjs();
  const reference = predictTfjs(model, nhwc, shape);
  const session = await ort.InferenceSession.create(onnxBytes);
  const [n, h, w, c] = shape;
  const feeds = {
    [session.inputNames[0]!]: new ort.Tensor('float32', nhwcToNchw(nhwc, n, h, w, c), [n, c, h, w]),
  };
  const result = await session.run(feeds);
  const got = result[session.outputNames[0]!]!.data as Float32Array;
  await session.release();
  let maxDiff = got.length === reference.length ? 0 : Number.POSITIVE_INFINITY;
  for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - reference[i]!));
  return { maxDiff, ort: got, tfjs: reference };
}
