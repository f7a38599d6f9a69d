/** A small student CNN really trained (tfjs, cpu backend) on synthetic faces: a "trained-ish" export subject. */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../src/core/image-io.js';
import { LABELS } from '../../src/core/labels.js';
import { startTfjs } from '../../src/export/tfjs/tfjs-reference.js';
import { syntheticBatch, writeSyntheticDataset } from './synthetic-faces.js';
import { randomiseBatchNorms, saveCheckpoint, tf } from './tfjs-fixtures.js';

/**
 * Seeded initialisers, so the fixture trains to the same weights in every run (an unseeded one once left the
 * student at exactly the 80% accuracy the export test asks to beat).
 */
const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });

export function studentArchitecture(size: number): tf.Sequential {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [size, size, 3],
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
      kernelInitializer: seeded(1),
    }),
  );
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.reLU({ maxValue: 6 }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthwiseInitializer: seeded(2) }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.reLU());
  m.add(tf.layers.conv2d({ filters: 16, kernelSize: 1, activation: 'relu', kernelInitializer: seeded(3) }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dropout({ rate: 0.2, seed: 4 }));
  m.add(tf.layers.dense({ units: 96, activation: 'relu', kernelInitializer: seeded(5) }));
  m.add(tf.layers.dense({ units: LABELS.length, kernelInitializer: seeded(6) }));
  return m;
}

/**
 * Random (frozen) convolution features with a trained Dense head: enough to learn the synthetic task, and
 * quick on the wasm backend (no convolution gradients needed).
 */
export async function trainStudent(size: number, epochs = 15): Promise<tf.LayersModel> {
  await startTfjs();
  const m = studentArchitecture(size);
  randomiseBatchNorms(m, 3);
  for (const layer of m.layers) layer.trainable = layer.getClassName() === 'Dense';
  m.compile({ optimizer: tf.train.adam(0.005), loss: tf.losses.softmaxCrossEntropy });
  const { x, y, n } = syntheticBatch(40, size, 1000);
  const xs = tf.tensor4d(x, [n, size, size, 3]);
  const ys = tf.tensor2d(y, [n, LABELS.length]);
  // No shuffle: the synthetic batch is already in random order, and a fixed order keeps the run reproducible.
  await m.fit(xs, ys, { epochs, batchSize: 16, shuffle: false, verbose: 0 });
  xs.dispose();
  ys.dispose();
  return m;
}

/**
 * A training run folder as TRAIN writes it (CONTRACTS §3): run.json, student/, split.json, metrics.json,
 * with its dataset (synthetic PNG faces, ImageFolder) in `dataDir`.
 */
export async function writeRunFolder(
  runDir: string,
  dataDir: string,
  size: number,
  perLabel = 30,
): Promise<tf.LayersModel> {
  await writeSyntheticDataset(dataDir, perLabel, size);
  const model = await trainStudent(size);
  await saveCheckpoint(model, join(runDir, 'student'));
  const ids = (label: string, from: number, to: number): string[] =>
    Array.from(
      { length: to - from },
      (_, k) => `imagefolder:${basename(dataDir)}/${label}/${label}_${String(from + k).padStart(3, '0')}.png`,
    );
  const half = Math.floor(perLabel / 2);
  const split = {
    train: [] as string[],
    val: LABELS.flatMap((l) => ids(l, 0, half)),
    test: LABELS.flatMap((l) => ids(l, half, perLabel)),
  };
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, 'split.json'), JSON.stringify(split));
  await writeFile(
    join(runDir, 'run.json'),
    JSON.stringify({
      version: 1,
      labels: LABELS,
      inputSize: size,
      layout: 'NHWC',
      mean: IMAGENET_MEAN,
      std: IMAGENET_STD,
      colorOrder: 'RGB',
      seed: 1,
      data: [dataDir],
    }),
  );
  await writeFile(
    join(runDir, 'metrics.json'),
    JSON.stringify({
      version: 1,
      labels: LABELS,
      models: [{ name: 'student', role: 'student', accuracy: 0.9, evaluatedOn: 'test' }],
    }),
  );
  return model;
}
