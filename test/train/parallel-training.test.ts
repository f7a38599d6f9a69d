import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/core/image-io.js';
import { SeededRandom } from '../../src/core/seeded-random.js';
import { startTrainingBackend } from '../../src/train/backends/index.js';
import { DEFAULT_KD_PARAMS, kdRounds } from '../../src/train/kd/index.js';
import { train } from '../../src/train/loop/trainer.js';
import { trainingForward } from '../../src/train/loop/training-forward.js';
import { buildCnn } from '../../src/train/models/cnn.js';
import { DataParallelStep } from '../../src/train/parallel/data-parallel-step.js';
import { kdStepLoss } from '../../src/train/parallel/shard-loss.js';
import { resolveWorkerCount } from '../../src/train/parallel/worker-count.js';
import { imageTask } from '../../src/train/pipeline/tasks.js';
import { compileChild } from '../helpers/ts-child.js';

/** Synthetic faces: label 0 = lower half light, 1 = middle band light, 2 = uncovered; noisy. */
function syntheticSet(n: number, size: number, seed: number) {
  const rng = new SeededRandom(seed);
  const images: RgbImage[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    const data = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const covered =
          (label === 0 && y >= size / 2) || (label === 1 && y >= size / 3 && y < (2 * size) / 3);
        for (let c = 0; c < 3; c++)
          data[(y * size + x) * 3 + c] = Math.max(
            0,
            Math.min(255, (covered ? 220 : 120 + 40 * c) + rng.normal() * 25),
          );
      }
    images.push({ width: size, height: size, data });
    labels.push(label);
  }
  return { images, labels, ids: labels.map((_, i) => `s${i}`) };
}

let entry: string;
let crashDir: string;

describe('data-parallel training over worker threads (wasm)', () => {
  beforeAll(async () => {
    await startTrainingBackend('wasm');
    // Tests run TypeScript sources; a worker needs JavaScript: compile the worker entry (and its imports).
    entry = compileChild(join(import.meta.dirname, '../../src/train/parallel/gradient-worker.ts'));
    crashDir = mkdtempSync(join(tmpdir(), 'mask-edge-crash-worker-'));
  });
  afterAll(() => {
    rmSync(dirname(dirname(dirname(dirname(entry)))), { recursive: true, force: true });
    rmSync(crashDir, { recursive: true, force: true });
  });

  it('2 workers on a split batch give the single-thread gradients, loss and BatchNorm statistics (KD loss, class weights)', async () => {
    const model = buildCnn({ inputSize: 16, width: 4, blocks: 2, seed: 3 });
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const rows = 11; // odd: shards of 6 and 5
    const x = tf.randomNormal([rows, 16, 16, 3], 0, 1, 'float32', 4);
    const labels = Array.from({ length: rows }, (_, i) => (i * 7) % 3);
    const teacher = Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i * 1.7) * 3);
    const [vanilla] = kdRounds(['vanilla']);
    const params = { ...DEFAULT_KD_PARAMS, alpha: 0.5, classWeights: [1, 4, 0.5] };

    const stash: Parameters<typeof trainingForward>[2] = [];
    const ref = tf.variableGrads(
      () =>
        vanilla!.loss(
          {
            studentLogits: trainingForward(model, x, stash) as tf.Tensor2D,
            teacherLogits: tf.tensor2d(teacher, [rows, 3]),
            labels,
          },
          params,
          new SeededRandom(1),
        ),
      variables,
    );

    const parallel = await DataParallelStep.start(model, variables, 2, entry);
    try {
      expect(parallel.workers).toBe(2);
      const got = await parallel.step(x, kdStepLoss(vanilla, params, labels, teacher, new SeededRandom(1)));
      expect(got.loss).toBeCloseTo(ref.value.dataSync()[0]!, 4);
      for (const v of variables) {
        const a = got.grads[v.name]!.dataSync();
        const b = ref.grads[v.name]!.dataSync();
        expect(a.length).toBe(b.length);
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
        expect(worst, v.name).toBeLessThan(1e-4);
      }
      expect(got.stash.length).toBe(stash.length);
      for (const [i, s] of stash.entries()) {
        for (const key of ['mean', 'variance'] as const) {
          const a = got.stash[i]![key].dataSync();
          const b = s[key].dataSync();
          for (let k = 0; k < a.length; k++) expect(Math.abs(a[k]! - b[k]!)).toBeLessThan(1e-4);
        }
      }
    } finally {
      await parallel.close();
    }
  });

  it('noisy-teacher and messy-collab draw the same randomness as their single-thread loss', () => {
    const rows = 9;
    const logits = tf.randomNormal([rows, 3], 0, 2, 'float32', 8) as tf.Tensor2D;
    const labels = Array.from({ length: rows }, (_, i) => i % 3);
    const teacher = Float32Array.from({ length: rows * 3 }, (_, i) => Math.cos(i) * 2);
    const params = { ...DEFAULT_KD_PARAMS, labelNoiseFraction: 0.5, classWeights: [1, 3, 1] };
    for (const method of kdRounds(['noisy-teacher', 'messy-collab'])) {
      const single = method.loss(
        { studentLogits: logits, teacherLogits: tf.tensor2d(teacher, [rows, 3]), labels },
        params,
        new SeededRandom(21),
      );
      const step = kdStepLoss(method, params, labels, teacher, new SeededRandom(21));
      // One shard holding the whole batch must give the method's own loss.
      const spec = step.spec;
      const again = vanillaOf(logits, step.labels, step.teacherLogits!, spec);
      expect(again, method.name).toBeCloseTo(single.dataSync()[0]!, 5);
    }
  });

  it('a short 2-worker training run lowers the loss', async () => {
    const trainSet = syntheticSet(96, 16, 1);
    const valSet = syntheticSet(30, 16, 2);
    const model = buildCnn({ inputSize: 16, width: 8, blocks: 2, seed: 3 });
    const task = imageTask('p', model, trainSet, valSet);
    task.stepLoss = (labels) =>
      kdStepLoss(undefined, DEFAULT_KD_PARAMS, labels, undefined, new SeededRandom(0));
    const result = await train(task, {
      epochs: 5,
      batchSize: 16,
      learningRate: 0.01,
      weightDecay: 0.01,
      seed: 5,
      workers: 2,
      workerEntry: entry,
    });
    const losses = result.history.map((h) => h.trainLoss);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.7);
    expect(Math.max(...result.history.map((h) => h.valAccuracy))).toBeGreaterThan(0.6);
  });

  it('with a fixed worker count, an interrupted + resumed 2-worker run ends with the uninterrupted weights', async () => {
    const trainSet = syntheticSet(48, 12, 4);
    const valSet = syntheticSet(12, 12, 6);
    const options = {
      epochs: 2,
      batchSize: 8,
      learningRate: 0.01,
      weightDecay: 0.01,
      seed: 7,
      workers: 2,
      workerEntry: entry,
    };
    const withStepLoss = (model: tf.LayersModel, name: string) => {
      const task = imageTask(name, model, trainSet, valSet);
      task.stepLoss = (labels) =>
        kdStepLoss(undefined, DEFAULT_KD_PARAMS, labels, undefined, new SeededRandom(0));
      return task;
    };
    const straight = buildCnn({ inputSize: 12, width: 4, blocks: 2, seed: 2 });
    await train(withStepLoss(straight, 'a'), options);
    const ckpt = join(crashDir, 'resume');
    let steps = 0;
    const part = await train(withStepLoss(buildCnn({ inputSize: 12, width: 4, blocks: 2, seed: 2 }), 'b'), {
      ...options,
      checkpointDir: ckpt,
      shouldStop: () => steps++ >= 8,
    });
    expect(part.interrupted).toBe(true);
    const second = buildCnn({ inputSize: 12, width: 4, blocks: 2, seed: 99 });
    await train(withStepLoss(second, 'c'), { ...options, checkpointDir: ckpt, resume: true });
    const a = straight.getWeights().map((w) => Array.from(w.dataSync()));
    const b = second.getWeights().map((w) => Array.from(w.dataSync()));
    expect(b).toEqual(a);
  });

  it('a worker that crashes mid-step rejects the step with E_BACKEND instead of hanging', async () => {
    const crashing = join(crashDir, 'crash-worker.mjs');
    writeFileSync(
      crashing,
      [
        "import { parentPort } from 'node:worker_threads';",
        'parentPort.on("message", (m) => {',
        '  if (m.type === "init") parentPort.postMessage({ type: "ready", device: "test" });',
        '  else setTimeout(() => { throw new Error("worker blew up"); }, 10);',
        '});',
      ].join('\n'),
    );
    const model = buildCnn({ inputSize: 8, width: 2, blocks: 1, seed: 1 });
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const parallel = await DataParallelStep.start(model, variables, 2, crashing);
    const x = tf.zeros([4, 8, 8, 3]);
    const loss = kdStepLoss(undefined, DEFAULT_KD_PARAMS, [0, 1, 2, 0], undefined, new SeededRandom(0));
    await expect(parallel.step(x, loss)).rejects.toMatchObject({
      code: 'E_BACKEND',
      detail: { error: 'worker blew up' },
    });
    // The pool is dead: the next step fails at once with the same coded error.
    await expect(parallel.step(x, loss)).rejects.toMatchObject({ code: 'E_BACKEND' });
  });

  it('a real worker killed mid-step (its peer waiting in the BatchNorm all-reduce) fails the step and the pool closes', async () => {
    const model = buildCnn({ inputSize: 32, width: 8, blocks: 3, seed: 1 });
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const parallel = await DataParallelStep.start(model, variables, 2, entry);
    const x = tf.randomNormal([64, 32, 32, 3]);
    const loss = kdStepLoss(
      undefined,
      DEFAULT_KD_PARAMS,
      Array.from({ length: 64 }, (_, i) => i % 3),
      undefined,
      new SeededRandom(0),
    );
    await parallel.step(x, loss); // both workers are up and have run a step
    const pending = parallel.step(x, loss);
    // Kill worker 0 while the step runs: worker 1 blocks at the next all-reduce until the pool aborts it.
    const workers = (parallel as unknown as { pool: { workers: { terminate(): Promise<number> }[] } }).pool
      .workers;
    await workers[0]!.terminate();
    await expect(pending).rejects.toMatchObject({ code: 'E_BACKEND', detail: { worker: 0 } });
    await parallel.close(); // resolves: the peer blocked in the all-reduce is released, nothing hangs
  });

  it('a worker entry that cannot start is a coded error naming it', async () => {
    const model = buildCnn({ inputSize: 8, width: 2, blocks: 1, seed: 1 });
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const missing = join(crashDir, 'no-such-worker.mjs');
    await expect(DataParallelStep.start(model, variables, 2, missing)).rejects.toMatchObject({
      code: 'E_BACKEND',
    });
  });

  it('auto picks workers only for wasm/cpu, batch >= 32, 2+ cores with a core free', () => {
    const base = {
      requested: 'auto' as const,
      backend: 'wasm',
      batchSize: 64,
      cores: 2,
      load: 0.3,
      entryBuilt: true,
    };
    expect(resolveWorkerCount(base).workers).toBe(2);
    expect(resolveWorkerCount({ ...base, load: 1.6 }).workers).toBe(1);
    expect(resolveWorkerCount({ ...base, batchSize: 16 }).workers).toBe(1);
    expect(resolveWorkerCount({ ...base, cores: 1 }).workers).toBe(1);
    expect(resolveWorkerCount({ ...base, backend: 'tfjs-node' }).workers).toBe(1);
    expect(resolveWorkerCount({ ...base, entryBuilt: false }).workers).toBe(1);
    expect(resolveWorkerCount({ ...base, cores: 16, load: 0 }).workers).toBe(2);
    expect(resolveWorkerCount({ ...base, requested: 3, load: 9 }).workers).toBe(3);
    expect(resolveWorkerCount({ ...base, requested: 3, backend: 'tfjs-node' }).workers).toBe(1);
    expect(() => resolveWorkerCount({ ...base, requested: 2, entryBuilt: false })).toThrow(
      expect.objectContaining({ code: 'E_BACKEND' }),
    );
    expect(resolveWorkerCount({ ...base, requested: 1, entryBuilt: false }).workers).toBe(1);
  });
});

function vanillaOf(
  logits: tf.Tensor2D,
  labels: number[],
  teacher: Float32Array,
  spec: ReturnType<typeof kdStepLoss>['spec'],
): number {
  const [vanilla] = kdRounds(['vanilla']);
  if (spec.kind !== 'hinton') throw new Error('expected hinton');
  return vanilla!
    .loss(
      { studentLogits: logits, teacherLogits: tf.tensor2d(teacher, [labels.length, 3]), labels },
      { ...DEFAULT_KD_PARAMS, ...spec },
      new SeededRandom(0),
    )
    .dataSync()[0]!;
}
