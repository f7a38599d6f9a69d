import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { AdamW, AdamWState } from '../optim/adamw.js';
import type { EpochRecord } from './trainer.js';

/**
 * Resumable checkpoint of one training task: `state.json` (epoch, next step, history, best score, optimizer
 * moments) + `weights.bin` (current weights, model.getWeights() order) + `best.bin` (best-on-validation weights).
 * Randomness needs no saved state: it is derived from (seed, epoch, step).
 */
export interface TrainerState {
  epoch: number;
  step: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestScore: number;
  elapsedSec: number;
  images: number;
  epochLoss: number;
  epochCorrect: number;
  epochSeen: number;
}

interface SavedState extends TrainerState {
  optimizer: AdamWState;
  shapes: number[][];
}

async function writeTensors(path: string, tensors: tf.Tensor[]): Promise<void> {
  const parts = await Promise.all(tensors.map(async (t) => new Float32Array(await t.data())));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const all = new Float32Array(total);
  let off = 0;
  for (const p of parts) {
    all.set(p, off);
    off += p.length;
  }
  await writeFile(`${path}.tmp`, Buffer.from(all.buffer));
  await rename(`${path}.tmp`, path);
}

async function readTensors(path: string, shapes: number[][]): Promise<tf.Tensor[]> {
  const buf = await readFile(path);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  let off = 0;
  return shapes.map((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(all.slice(off, off + size), shape);
    off += size;
    return t;
  });
}

export async function saveCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: AdamW,
  variables: tf.Variable[],
  state: TrainerState,
  best: tf.Tensor[] | undefined,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const weights = model.getWeights();
  await writeTensors(join(dir, 'weights.bin'), weights);
  if (best) await writeTensors(join(dir, 'best.bin'), best);
  const saved: SavedState = {
    ...state,
    optimizer: await optimizer.getState(variables),
    shapes: weights.map((w) => w.shape),
  };
  await writeFile(join(dir, 'state.json.tmp'), JSON.stringify(saved));
  await rename(join(dir, 'state.json.tmp'), join(dir, 'state.json'));
}

export async function loadCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: AdamW,
  variables: tf.Variable[],
): Promise<{ state: TrainerState; best?: tf.Tensor[] } | undefined> {
  const statePath = join(dir, 'state.json');
  if (!existsSync(statePath)) return undefined;
  const saved = JSON.parse(await readFile(statePath, 'utf8')) as SavedState;
  const weights = await readTensors(join(dir, 'weights.bin'), saved.shapes);
  model.setWeights(weights);
  tf.dispose(weights);
  optimizer.setState(saved.optimizer, variables);
  const best = existsSync(join(dir, 'best.bin'))
    ? await readTensors(join(dir, 'best.bin'), saved.shapes)
    : undefined;
  const { optimizer: _o, shapes: _s, ...state } = saved;
  return best ? { state, best } : { state };
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'state.json'));
}
