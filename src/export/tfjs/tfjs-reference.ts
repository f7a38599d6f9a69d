/**
 * TensorFlow.js as the reference the exported ONNX models are verified against (export only; edge never
 * loads tfjs). Uses the wasm backend (exact float32 kernels, faster than plain JS) and falls back to cpu.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MaskEdgeError } from '../../core/errors.js';
import { packageDir } from '../../core/package-paths.js';

let started: Promise<string> | undefined;

/** Starts a tfjs backend once per process; returns its name. */
export function startTfjs(preferred: 'wasm' | 'cpu' = 'wasm'): Promise<string> {
  started ??= (async () => {
    if (preferred === 'wasm') {
      try {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        wasm.setWasmPaths(`${join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist')}/`);
        if (await tf.setBackend('wasm')) {
          await tf.ready();
          return 'wasm';
        }
      } catch {
        // fall through to cpu
      }
    }
    await import('@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend('cpu'))) {
      throw new MaskEdgeError('E_BACKEND', 'no TensorFlow.js backend (wasm, cpu) could start', {});
    }
    await tf.ready();
    return 'cpu';
  })();
  return started;
}

/** Loads the checkpoint at `modelJsonPath` as a tfjs LayersModel (weights read from the listed files). */
export async function loadTfjsModel(modelJsonPath: string): Promise<tf.LayersModel> {
  await startTfjs();
  const json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const buffers: Buffer[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) buffers.push(await readFile(join(dirname(modelJsonPath), p)));
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }),
  );
}

/** Runs the tfjs model on an NHWC float batch; returns the flat output. */
export function predictTfjs(model: tf.LayersModel, nhwc: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => {
    const y = model.predict(tf.tensor(nhwc, shape, 'float32')) as tf.Tensor;
    return y.dataSync() as Float32Array;
  });
}

export { tf };
