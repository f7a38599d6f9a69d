import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { cpuCandidate, wasmCandidate } from '../backends/candidates.js';
import { argmax3 } from '../loop/trainer.js';
import { trainingForward } from '../loop/training-forward.js';
import type { FromWorker, InitMessage, StepMessage, ToWorker } from './protocol.js';
import { shardLoss } from './shard-loss.js';
import { SharedAllReduce } from './shared-all-reduce.js';

/**
 * Gradient worker (a worker_threads entry): holds a replica of the model on its own tfjs backend (wasm is
 * single-threaded per thread, so each worker is one more core). Per step it reads the current weights from the
 * shared buffer, runs the training forward + backward on its shard with BatchNorm synchronised over all shards
 * (shared-all-reduce.ts), and returns loss, accuracy count, flat gradients (its share of the whole batch's) and
 * the BatchNorm statistics (the whole batch's). It never updates weights itself: AdamW runs once, on the
 * main thread, so replicas cannot drift.
 */
const port = parentPort;
if (!port) throw new Error('gradient-worker must run in a worker thread');

let model: tf.LayersModel | undefined;
let variables: tf.Variable[] = [];
let weights: Float32Array | undefined;
let reducer: SharedAllReduce | undefined;

function reply(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

async function init(message: InitMessage): Promise<void> {
  const started = await (message.backend === 'wasm' ? wasmCandidate : cpuCandidate).start();
  model = await tf.models.modelFromJSON({ modelTopology: JSON.parse(message.modelTopology) });
  variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  weights = new Float32Array(message.weights);
  reducer = new SharedAllReduce(message.reduce, message.workers, message.slotFloats);
  reply({ type: 'ready', device: started.device });
}

function loadWeights(): void {
  let offset = 0;
  for (const v of variables) {
    v.assign(tf.tensor(weights!.subarray(offset, offset + v.size), v.shape));
    offset += v.size;
  }
}

function flatten(tensors: tf.Tensor[], total: number): Float32Array {
  const out = new Float32Array(total);
  let offset = 0;
  for (const t of tensors) {
    out.set(t.dataSync() as Float32Array, offset);
    offset += t.size;
  }
  return out;
}

function step(message: StepMessage): void {
  if (!model || !reducer) throw new Error('step before init');
  reducer.beginStep(message.participants, message.rank);
  const sync = { allReduce: reducer.allReduce, totalRows: message.totalRows };
  tf.tidy(() => loadWeights());
  const x = tf.tensor(message.x, message.shape);
  const stash: Parameters<typeof trainingForward>[2] = [];
  let correct = 0;
  const { value, grads } = tf.variableGrads(() => {
    const logits = trainingForward(model!, x, stash, sync) as tf.Tensor2D;
    const predictions = argmax3(logits.dataSync() as Float32Array);
    correct = predictions.filter((p, i) => p === message.labels[i]).length;
    return shardLoss(logits, message.spec, message.labels, message.teacherLogits, message.norm);
  }, variables);
  const gradList = variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
  const flat = flatten(
    gradList,
    variables.reduce((s, v) => s + v.size, 0),
  );
  const stats = stash.flatMap((s) => [s.mean, s.variance]);
  const bnStats = flatten(
    stats,
    stats.reduce((s, t) => s + t.size, 0),
  );
  const loss = value.dataSync()[0]!;
  tf.dispose([x, value, ...Object.values(grads), ...gradList, ...stats]);
  reply({ type: 'step', id: message.id, loss, correct, rows: message.labels.length, grads: flat, bnStats }, [
    flat.buffer as ArrayBuffer,
    bnStats.buffer as ArrayBuffer,
  ]);
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'close') {
    port.close();
    return;
  }
  if (message.type === 'init') {
    init(message).catch((err: unknown) =>
      reply({ type: 'error', message: String((err as Error)?.message ?? err) }),
    );
    return;
  }
  try {
    step(message);
  } catch (err) {
    reply({ type: 'error', id: message.id, message: String((err as Error)?.message ?? err) });
  }
});
