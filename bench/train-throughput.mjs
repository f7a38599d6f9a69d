// Student training throughput (images/s) on mask-edge's chosen backend vs the same network in PyTorch CPU,
// run side by side (rounds alternate). Build first: npx tsc -p tsconfig.build.json
// Usage: node bench/train-throughput.mjs [--size 48] [--width 16] [--blocks 4] [--batch 64] [--steps 6] [--rounds 3]
// Data-parallel workers instead (mask-edge 1 worker vs N workers, interleaved rounds, load average recorded):
//        node bench/train-throughput.mjs --compare-workers 2 [--steps 8] [--rounds 4]
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { startTrainingBackend } from '../dist/train/backends/index.js';
import { train } from '../dist/train/loop/trainer.js';
import { buildCnn, countParameters } from '../dist/train/models/cnn.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '48' },
    width: { type: 'string', default: '16' },
    blocks: { type: 'string', default: '4' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '3' },
    backend: { type: 'string' },
    'compare-workers': { type: 'string' },
  },
});
const [size, width, blocks, batch, steps, rounds] = [
  'size',
  'width',
  'blocks',
  'batch',
  'steps',
  'rounds',
].map((k) => Number(values[k]));

const backend = await startTrainingBackend(values.backend);
console.log(
  `backend ${backend.name} — ${backend.device}; student ${blocks} blocks width ${width} at ${size}px, batch ${batch}`,
);

async function ours() {
  const model = buildCnn({ inputSize: size, width, blocks, seed: 1 });
  const labels = Array.from({ length: batch * (steps + 1) }, (_, i) => i % 3);
  const x = tf.randomNormal([batch, size, size, 3]);
  const task = {
    name: 'bench',
    model,
    labels,
    batch: (ix) => ({ x: x.clone(), flipped: ix.map(() => false) }),
    valInput: (s, e) => x.slice(0, e - s),
    valLabels: [0],
  };
  // one warm-up epoch of 1 step, then the timed epoch
  await train(
    { ...task, labels: labels.slice(0, batch) },
    { epochs: 1, batchSize: batch, learningRate: 3e-3, weightDecay: 0.01, seed: 1 },
  );
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await train(
    { ...task, labels: labels.slice(0, batch * steps) },
    { epochs: 1, batchSize: batch, learningRate: 3e-3, weightDecay: 0.01, seed: 1 },
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  x.dispose();
  return { params: countParameters(model), images: batch * steps, wall, cpu: (cpu.user + cpu.system) / 1e6 };
}

/**
 * Steady-state training steps with `workers` gradient workers (1 = the single-thread path): the clock and the
 * process CPU time (all threads, workers included) start after the first step (pool start, wasm start and
 * first-step compilation excluded on both sides) and stop after the last.
 */
async function withWorkers(workers) {
  const model = buildCnn({ inputSize: size, width, blocks, seed: 1 });
  const labels = Array.from({ length: batch * steps }, (_, i) => i % 3);
  const x = tf.randomNormal([batch, size, size, 3]);
  const task = {
    name: 'bench',
    model,
    labels,
    batch: (ix) => ({ x: x.clone(), flipped: ix.map(() => false) }),
    valInput: (s, e) => x.slice(0, e - s),
    valLabels: [0],
    stepLoss: (l) => ({ spec: { kind: 'ce' }, labels: l }),
  };
  let t0 = 0;
  let cpu0;
  let t1 = 0;
  let cpu1;
  const load = loadavg()[0];
  await train(task, {
    epochs: 1,
    batchSize: batch,
    learningRate: 3e-3,
    weightDecay: 0.01,
    seed: 1,
    workers,
    onStep: ({ step }) => {
      if (step === 0) {
        t0 = performance.now();
        cpu0 = process.cpuUsage();
      }
      t1 = performance.now();
      cpu1 = process.cpuUsage(cpu0);
    },
  });
  x.dispose();
  model.dispose();
  return {
    images: batch * (steps - 1),
    wall: (t1 - t0) / 1000,
    cpu: (cpu1.user + cpu1.system) / 1e6,
    load: (load + loadavg()[0]) / 2,
  };
}

if (values['compare-workers']) {
  const n = Number(values['compare-workers']);
  const rowsBy = { 1: [], [n]: [] };
  console.log(`workers 1 vs ${n}; ${rounds} interleaved rounds of ${steps - 1} timed steps`);
  console.log('round workers  img/s (wall)  img per CPU-s  load avg (1 min)');
  for (let i = 0; i < rounds; i++) {
    for (const w of i % 2 === 0 ? [1, n] : [n, 1]) {
      const r = await withWorkers(w);
      rowsBy[w].push(r);
      console.log(
        `${String(i + 1).padStart(5)}${String(w).padStart(8)}${(r.images / r.wall).toFixed(1).padStart(14)}${(r.images / r.cpu).toFixed(1).padStart(15)}${r.load.toFixed(2).padStart(18)}`,
      );
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const one = med(rowsBy[1].map((r) => r.images / r.wall));
  const many = med(rowsBy[n].map((r) => r.images / r.wall));
  const oneCpu = med(rowsBy[1].map((r) => r.images / r.cpu));
  const manyCpu = med(rowsBy[n].map((r) => r.images / r.cpu));
  console.log(
    `medians: 1 worker ${one.toFixed(1)} img/s (${oneCpu.toFixed(1)} per CPU-s); ${n} workers ${many.toFixed(1)} img/s (${manyCpu.toFixed(1)} per CPU-s); wall speed-up ${(many / one).toFixed(2)}x, CPU efficiency ${(manyCpu / oneCpu).toFixed(2)}x`,
  );
  process.exit(0);
}

function torchPeer(threads) {
  const r = spawnSync(
    '/usr/bin/python3',
    [join(here, 'train_throughput_pytorch.py'), size, width, blocks, batch, steps, threads].map(String),
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`pytorch peer failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout.trim().split('\n').pop());
  return { images: j.images, wall: j.wall_s, cpu: j.cpu_s };
}

const rows = { ours: [], torch1: [], torch2: [] };
for (let i = 0; i < rounds; i++) {
  rows.ours.push(await ours());
  rows.torch1.push(torchPeer(1));
  rows.torch2.push(torchPeer(2));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (list) => ({
  imgPerSec: median(list.map((r) => r.images / r.wall)),
  imgPerCpuSec: median(list.map((r) => r.images / r.cpu)),
});
const o = fmt(rows.ours);
const t1 = fmt(rows.torch1);
const t2 = fmt(rows.torch2);
console.log(`parameters ${rows.ours[0].params}; ${rounds} rounds of ${steps} steps; medians`);
console.log('engine                         img/s (wall)   img per CPU-s');
console.log(
  `mask-edge ${backend.name.padEnd(21)}${o.imgPerSec.toFixed(1).padStart(12)}${o.imgPerCpuSec.toFixed(1).padStart(16)}`,
);
console.log(
  `pytorch 1 thread              ${t1.imgPerSec.toFixed(1).padStart(12)}${t1.imgPerCpuSec.toFixed(1).padStart(16)}`,
);
console.log(
  `pytorch 2 threads             ${t2.imgPerSec.toFixed(1).padStart(12)}${t2.imgPerCpuSec.toFixed(1).padStart(16)}`,
);
console.log(
  `ratio mask-edge / pytorch(1 thread): wall ${(o.imgPerSec / t1.imgPerSec).toFixed(2)}, per CPU-s ${(o.imgPerCpuSec / t1.imgPerCpuSec).toFixed(2)}`,
);
console.log(`ratio mask-edge / pytorch(2 threads): wall ${(o.imgPerSec / t2.imgPerSec).toFixed(2)}`);
