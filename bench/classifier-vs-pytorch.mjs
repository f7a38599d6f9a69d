#!/usr/bin/env node
// Side by side in one run: the student classifier in ONNX Runtime (INT8 and fp32) and the same network in
// PyTorch CPU (rebuilt from the fp32 ONNX weights by bench/classifier_pytorch.py, parity-checked), at 128x128.
// Rounds alternate engines so machine load hits all of them alike; medians of rounds are reported with ratios.
//
//   npx tsc -p tsconfig.build.json && node bench/classifier-vs-pytorch.mjs [--fp32 F.onnx --int8 F.int8.onnx]
//       [--spinning] [--size 128 --width 16 --blocks 4 --activation leaky|relu] [--rounds 7] [--seconds 0.5] [--threads 1,2] [--batches 1,32] [--json] [--png FILE]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderBarChartPng } from '../dist/core/charts/bar-chart.js';
import { Logger } from '../dist/core/logger.js';
import { openOnnxSession } from '../dist/core/onnx-session.js';
import { benchInput, median, percentile } from '../dist/edge/bench/session-bench.js';
import { buildStudentModel, encodeModel, quantizeStudent } from './classifier-student-model.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    fp32: { type: 'string' },
    int8: { type: 'string' },
    size: { type: 'string', default: '128' },
    width: { type: 'string', default: '16' },
    blocks: { type: 'string', default: '4' },
    activation: { type: 'string', default: 'leaky' },
    rounds: { type: 'string', default: '7' },
    seconds: { type: 'string', default: '0.5' },
    threads: { type: 'string', default: '1,2' },
    batches: { type: 'string', default: '1,32' },
    python: { type: 'string', default: '/usr/bin/python3' },
    json: { type: 'boolean', default: false },
    spinning: { type: 'boolean', default: false },
    png: { type: 'string' },
  },
});
const size = Number(args.size);
const rounds = Number(args.rounds);
const seconds = Number(args.seconds);
const threadList = args.threads.split(',').map(Number);
const batchList = args.batches.split(',').map(Number);
const say = (line) => process.stderr.write(`${line}\n`);

// 1. Models: given files, or the student architecture with random weights (speed does not depend on values).
const work = mkdtempSync(join(tmpdir(), 'mask-edge-bench-'));
let fp32Path = args.fp32;
let int8Path = args.int8;
let modelNote;
if (!fp32Path || !int8Path) {
  const model = buildStudentModel({
    size,
    width: Number(args.width),
    blocks: Number(args.blocks),
    activation: args.activation,
  });
  fp32Path = join(work, 'student.onnx');
  int8Path = join(work, 'student.int8.onnx');
  writeFileSync(fp32Path, encodeModel(model));
  writeFileSync(int8Path, await quantizeStudent(model, { size }));
  modelNote = `student architecture, random weights: width ${args.width}, ${args.blocks} blocks, ${args.activation === 'relu' ? 'ReLU' : 'LeakyReLU(0.1)'}, ${size}x${size}`;
} else {
  modelNote = `${fp32Path} / ${int8Path}`;
}
const sizes = { fp32: readFileSync(fp32Path).length, int8: readFileSync(int8Path).length };

// 2. ORT sessions per precision and thread count.
const quiet = new Logger({ level: 'error' });
const ort = {};
for (const precision of ['int8', 'fp32']) {
  for (const t of threadList) {
    ort[`${precision}/${t}`] = await openOnnxSession(precision === 'int8' ? int8Path : fp32Path, {
      providers: ['cpu'],
      threads: t,
      spinning: args.spinning,
      logger: quiet,
    });
  }
}

// 3. PyTorch twin, with a parity check against ORT fp32 on 4 inputs.
const parityX = benchInput(4 * 3 * size * size, 5);
const ref = ort[`fp32/${threadList[0]}`];
const refOut = await ref.session.run({
  input: new ref.runtime.Tensor('float32', parityX, [4, 3, size, size]),
});
writeFileSync(join(work, 'x.f32'), Buffer.from(parityX.buffer));
writeFileSync(join(work, 'y.f32'), Buffer.from(refOut.logits.data.buffer));
const py = spawn(
  args.python,
  [join(here, 'classifier_pytorch.py'), fp32Path, String(size), join(work, 'x.f32'), join(work, 'y.f32')],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
    // Same courtesy as ORT without spinning: OpenMP workers sleep when idle (unless --spinning).
    env: { ...process.env, OMP_WAIT_POLICY: args.spinning ? 'ACTIVE' : 'PASSIVE' },
  },
);
const lines = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
const next = async () => JSON.parse((await lines.next()).value);
const torchInfo = await next();
say(
  `pytorch ${torchInfo.torch}: ${torchInfo.layers} layers, ${torchInfo.params} parameters, max |torch - ort fp32| = ${torchInfo.maxAbsDiff}`,
);

async function ortRound(key, batch) {
  const { session, runtime } = ort[key];
  const feeds = {
    input: new runtime.Tensor('float32', benchInput(batch * 3 * size * size, batch), [batch, 3, size, size]),
  };
  for (let i = 0; i < 2; i++) await session.run(feeds);
  const latencies = [];
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  while (latencies.length < 3 || performance.now() - start < seconds * 1000) {
    const t0 = performance.now();
    await session.run(feeds);
    latencies.push(performance.now() - t0);
  }
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const images = latencies.length * batch;
  return {
    imagesPerSec: images / elapsed,
    imagesPerCpuSec: images / ((cpu.user + cpu.system) / 1e6),
    latenciesMs: latencies,
  };
}

async function torchRound(threads, batch) {
  py.stdin.write(`${JSON.stringify({ cmd: 'bench', threads, batch, seconds })}\n`);
  return next();
}

// 4. Interleaved rounds.
const rows = [];
const load = [loadavg()[0]];
for (const batch of batchList) {
  for (const t of threadList) {
    const engines = { 'ort-int8': [], 'ort-fp32': [], 'pytorch-fp32': [] };
    const cpuRates = { 'ort-int8': [], 'ort-fp32': [], 'pytorch-fp32': [] };
    const lat = { 'ort-int8': [], 'ort-fp32': [], 'pytorch-fp32': [] };
    for (let r = 0; r < rounds; r++) {
      for (const [name, fn] of [
        ['ort-int8', () => ortRound(`int8/${t}`, batch)],
        ['ort-fp32', () => ortRound(`fp32/${t}`, batch)],
        ['pytorch-fp32', () => torchRound(t, batch)],
      ]) {
        const res = await fn();
        engines[name].push(res.imagesPerSec);
        cpuRates[name].push(res.imagesPerCpuSec);
        lat[name].push(...res.latenciesMs);
      }
    }
    for (const name of Object.keys(engines)) {
      rows.push({
        engine: name,
        batch,
        threads: t,
        imagesPerSec: median(engines[name]),
        imagesPerCpuSec: median(cpuRates[name]),
        rounds: engines[name],
        p50Ms: percentile(lat[name], 50),
        p95Ms: percentile(lat[name], 95),
      });
    }
    const get = (e) => rows.find((x) => x.engine === e && x.batch === batch && x.threads === t).imagesPerSec;
    say(
      `batch ${batch} threads ${t}: int8 ${get('ort-int8').toFixed(0)}/s, fp32 ${get('ort-fp32').toFixed(0)}/s, pytorch ${get('pytorch-fp32').toFixed(0)}/s, int8/pytorch ${(get('ort-int8') / get('pytorch-fp32')).toFixed(2)}x`,
    );
  }
}
load.push(loadavg()[0]);
py.stdin.write('{"cmd":"quit"}\n');
for (const s of Object.values(ort)) await s.session.release();

const ratios = [];
for (const batch of batchList) {
  for (const t of threadList) {
    const row = (e) => rows.find((x) => x.engine === e && x.batch === batch && x.threads === t);
    const get = (e) => row(e).imagesPerSec;
    const cpuGet = (e) => row(e).imagesPerCpuSec;
    ratios.push({
      batch,
      threads: t,
      int8VsPytorch: get('ort-int8') / get('pytorch-fp32'),
      fp32VsPytorch: get('ort-fp32') / get('pytorch-fp32'),
      int8VsFp32: get('ort-int8') / get('ort-fp32'),
      cpuTime: {
        int8VsPytorch: cpuGet('ort-int8') / cpuGet('pytorch-fp32'),
        fp32VsPytorch: cpuGet('ort-fp32') / cpuGet('pytorch-fp32'),
      },
    });
  }
}
const report = {
  model: modelNote,
  fileBytes: sizes,
  parityMaxAbsDiff: torchInfo.maxAbsDiff,
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, loadAverage1m: load, torch: torchInfo.torch },
  settings: { rounds, secondsPerRound: seconds, spinning: args.spinning },
  results: rows,
  ratios,
};
if (args.png) {
  const combos = batchList.flatMap((batch) => threadList.map((threads) => ({ batch, threads })));
  const png = await renderBarChartPng({
    title: `Student classifier ${size}x${size}: images per CPU-second (median of ${rounds} rounds)`,
    categories: combos.map((c) => `batch ${c.batch}, ${c.threads} thr`),
    series: ['ort-int8', 'ort-fp32', 'pytorch-fp32'].map((engine) => ({
      name: engine,
      values: combos.map(
        (c) =>
          rows.find((r) => r.engine === engine && r.batch === c.batch && r.threads === c.threads)
            .imagesPerCpuSec,
      ),
    })),
    yLabel: 'images / CPU-second',
    formatValue: (v) => v.toFixed(0),
  });
  writeFileSync(args.png, png);
  say(`wrote ${args.png}`);
}
if (args.json) {
  process.stdout.write(`${JSON.stringify(report)}\n`);
} else {
  const out = [
    `model: ${modelNote}; files fp32 ${(sizes.fp32 / 1024).toFixed(0)} KiB, int8 ${(sizes.int8 / 1024).toFixed(0)} KiB; torch-vs-ort max |diff| ${torchInfo.maxAbsDiff.toExponential(1)}`,
    `machine: ${report.machine.cpu}, ${report.machine.cores} cores, load average ${load.map((l) => l.toFixed(1)).join(' -> ')}; median of ${rounds} interleaved rounds; idle threads ${args.spinning ? 'spin' : 'sleep'}`,
    '',
    '| engine | batch | threads | images/s (wall) | images per CPU-second | p50 ms | p95 ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.engine} | ${r.batch} | ${r.threads} | ${r.imagesPerSec.toFixed(0)} | ${r.imagesPerCpuSec.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ${r.p95Ms.toFixed(2)} |`,
    ),
    '',
    '| batch | threads | INT8 / PyTorch (wall) | fp32 / PyTorch (wall) | INT8 / fp32 (wall) | INT8 / PyTorch (CPU time) | fp32 / PyTorch (CPU time) |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...ratios.map(
      (r) =>
        `| ${r.batch} | ${r.threads} | ${r.int8VsPytorch.toFixed(2)}x | ${r.fp32VsPytorch.toFixed(2)}x | ${r.int8VsFp32.toFixed(2)}x | ${r.cpuTime.int8VsPytorch.toFixed(2)}x | ${r.cpuTime.fp32VsPytorch.toFixed(2)}x |`,
    ),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
