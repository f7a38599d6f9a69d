#!/usr/bin/env node
// The README results table, generated from `mask-edge eval --json` outputs (issue 5), never typed by hand.
//
//   node scripts/results-table.mjs measure [options]   run the evals, save their JSON under docs/results/, render
//   node scripts/results-table.mjs render  [options]   rewrite README.md's results block from the saved JSON
//
// measure runs, with the run's held-out split (RUN/split.json, split `test`):
//   real        eval --model INT8 --data KAGGLE --split-file RUN --split test --json        (held-out real faces)
//   real-fp32   the same with the fp32 model (when it exists)
//   mfn         eval --model INT8 --data MFN --split-file RUN --split test --json           (held-out MaskedFace-Net)
//   ilc         eval --model INT8 --data ILC --split-file RUN --split test --json           (held-out ILC real faces)
//   pipeline    eval --pipeline --min-face 24 --model INT8 --data KAGGLE --split-file RUN --split test --json
//   ilc-pipeline  the same on ILC photos
//   bench       bench --classifier FP32 --classifier-int8 INT8 --providers cpu --threads 1 --batch 1,32 --json
// copies the teacher/student summary of RUN/metrics.json to docs/results/run-metrics.json, records the commands and
// model file sizes in docs/results/manifest.json, then renders. render rewrites the block between
// <!-- results:begin --> and <!-- results:end --> in README.md, and the same block in models/README.md (--card)
// when it has the markers; nothing outside the markers changes.
// Options: --run DIR (runs/default) --model F (models/mask-classifier.int8.onnx) --fp32 F (models/mask-classifier.onnx)
//   --detector F (bundled) --kaggle DIR --mfn DIR --ilc DIR (../shared/data/...) --results DIR (docs/results)
//   --readme F (README.md) --card F (models/README.md) --min-face PX (24) --only real,mfn,... (measure a subset, keep the other saved files)
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { maskEdgeJson } from './mask-edge-json.mjs';
import { forModelCard, formatResultsBlock, replaceResultsBlock } from './results-table-format.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    run: { type: 'string', default: 'runs/default' },
    model: { type: 'string', default: 'models/mask-classifier.int8.onnx' },
    fp32: { type: 'string', default: 'models/mask-classifier.onnx' },
    detector: { type: 'string' },
    kaggle: { type: 'string', default: '../shared/data/kaggle-face-mask' },
    mfn: { type: 'string', default: '../shared/data/maskedface-net' },
    ilc: { type: 'string', default: '../shared/data/ilc-face-mask' },
    results: { type: 'string', default: 'docs/results' },
    readme: { type: 'string', default: 'README.md' },
    card: { type: 'string', default: 'models/README.md' },
    'min-face': { type: 'string', default: '24' },
    only: { type: 'string' },
    note: { type: 'string' },
  },
});

const KEYS = {
  real: 'held-out-real.json',
  'real-fp32': 'held-out-real-fp32.json',
  mfn: 'held-out-mfn.json',
  ilc: 'held-out-ilc.json',
  pipeline: 'pipeline-24px.json',
  'ilc-pipeline': 'pipeline-24px-ilc.json',
  bench: 'bench.json',
};
const RESULT_KEY = { 'real-fp32': 'realFp32', 'ilc-pipeline': 'ilcPipeline' };

function fail(message) {
  process.stderr.write(`results-table: ${message}\n`);
  process.exit(1);
}

async function readJson(path) {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    if (e.code === 'ENOENT') return undefined;
    throw new Error(`${path}: ${e.message}`);
  }
}

function evalCommands() {
  const split = ['--split-file', args.run, '--split', 'test'];
  const det = args.detector ? ['--detector', args.detector] : [];
  const pipelineArgv = (data) => [
    'eval',
    '--pipeline',
    '--min-face',
    args['min-face'],
    ...det,
    '--model',
    args.model,
    '--data',
    data,
    ...split,
    '--json',
  ];
  const list = [
    { key: 'real', argv: ['eval', '--model', args.model, '--data', args.kaggle, ...split, '--json'] },
    { key: 'mfn', argv: ['eval', '--model', args.model, '--data', args.mfn, ...split, '--json'] },
    { key: 'ilc', argv: ['eval', '--model', args.model, '--data', args.ilc, ...split, '--json'] },
    { key: 'pipeline', argv: pipelineArgv(args.kaggle) },
    { key: 'ilc-pipeline', argv: pipelineArgv(args.ilc) },
  ];
  const bench = [
    'bench',
    '--classifier-int8',
    args.model,
    '--providers',
    'cpu',
    '--threads',
    '1',
    '--batch',
    '1,32',
    '--repeats',
    '3',
  ];
  if (existsSync(resolve(args.fp32))) {
    list.splice(1, 0, {
      key: 'real-fp32',
      argv: ['eval', '--model', args.fp32, '--data', args.kaggle, ...split, '--json'],
    });
    bench.splice(1, 0, '--classifier', args.fp32);
  }
  if (args.detector) bench.push('--detector', args.detector);
  list.push({ key: 'bench', argv: [...bench, '--json'] });
  return list.map((c) => ({ ...c, file: KEYS[c.key], command: `npx mask-edge ${c.argv.join(' ')}` }));
}

/** Teacher and student of a run (RUN/metrics.json 'best'), without the per-epoch history. */
async function runSummary(runDir) {
  const metrics = await readJson(join(runDir, 'metrics.json'));
  if (!metrics) return undefined;
  const slim = (m) => {
    if (!m) return undefined;
    const { history, validation, ...rest } = m;
    return {
      ...rest,
      validation: validation && {
        accuracy: validation.accuracy,
        balancedAccuracy: validation.balancedAccuracy,
        samples: validation.samples,
      },
    };
  };
  const byName = (n) => metrics.models.find((m) => m.name === n);
  return {
    runDir: relative(root, resolve(runDir)) || runDir,
    createdAt: metrics.createdAt,
    splitCounts: metrics.splitCounts,
    data: (await readJson(join(runDir, 'run.json')))?.options?.data ?? metrics.data,
    totalWallTimeSec: metrics.totalWallTimeSec,
    backend: metrics.backend,
    best: metrics.best,
    teacher: slim(byName(metrics.best?.teacher)),
    student: slim(byName(metrics.best?.student)),
    // the goal "distilled student within 1 point of its teacher" is about the best distilled student, which is not
    // the kept one when a no-teacher student scored higher on validation (runs before best.distilledStudent: the
    // role-'student' model with the best validation mean of accuracy and balanced accuracy)
    distilled: slim(byName(metrics.best?.distilledStudent) ?? bestDistilled(metrics.models)),
    models: metrics.models.map(slim),
    notes: metrics.notes,
  };
}

function bestDistilled(models) {
  const score = (m) => (m.validation ? (m.validation.accuracy + m.validation.balancedAccuracy) / 2 : -1);
  return models
    .filter((m) => m.role === 'student')
    .reduce((a, b) => (a && score(a) >= score(b) ? a : b), undefined);
}

async function measure() {
  const dir = resolve(args.results);
  await mkdir(dir, { recursive: true });
  const only = args.only ? new Set(args.only.split(',')) : undefined;
  const old = (await readJson(join(dir, 'manifest.json'))) ?? { entries: [] };
  const entries = [];
  for (const c of evalCommands()) {
    if (only && !only.has(c.key)) {
      const kept = old.entries.find((e) => e.key === c.key);
      if (kept) entries.push(kept);
      continue;
    }
    process.stderr.write(`results-table: ${c.command}\n`);
    const t0 = Date.now();
    const result = await maskEdgeJson(c.argv);
    await writeFile(join(dir, c.file), `${JSON.stringify(result, null, 1)}\n`);
    entries.push({
      key: c.key,
      file: c.file,
      command: c.command,
      seconds: Math.round((Date.now() - t0) / 100) / 10,
    });
  }
  const run = await runSummary(resolve(args.run));
  if (run) await writeFile(join(dir, 'run-metrics.json'), `${JSON.stringify(run, null, 1)}\n`);
  const files = [];
  for (const f of [args.model, args.fp32, args.detector ?? 'models/face-detector.onnx']) {
    if (existsSync(resolve(f))) files.push({ path: f, bytes: (await stat(resolve(f))).size });
  }
  const manifest = {
    generatedAt: new Date().toISOString(),
    run: args.run,
    note: args.note ?? old.note,
    files,
    entries,
  };
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
}

async function render() {
  const dir = resolve(args.results);
  const manifest = await readJson(join(dir, 'manifest.json'));
  if (!manifest)
    fail(`no ${join(args.results, 'manifest.json')}: run 'node scripts/results-table.mjs measure' first`);
  const results = { manifest, run: await readJson(join(dir, 'run-metrics.json')) };
  for (const e of manifest.entries) {
    const data = await readJson(join(dir, e.file));
    if (!data) fail(`${join(args.results, e.file)} (listed in manifest.json) is missing`);
    results[RESULT_KEY[e.key] ?? e.key] = data;
  }
  const block = formatResultsBlock(results);
  await rewrite(args.readme, block);
  // The model card carries the same block (links relative to models/) when it has the markers.
  const card = resolve(args.card);
  if (existsSync(card) && (await readFile(card, 'utf8')).includes('<!-- results:begin -->')) {
    await rewrite(args.card, forModelCard(block));
  }
}

async function rewrite(file, block) {
  const path = resolve(file);
  const text = await readFile(path, 'utf8');
  const next = replaceResultsBlock(text, block);
  if (next !== text) await writeFile(path, next);
  process.stderr.write(`results-table: ${file} ${next === text ? 'already up to date' : 'updated'}\n`);
}

const command = positionals[0] ?? 'render';
try {
  if (command === 'measure') {
    await measure();
    await render();
  } else if (command === 'render') {
    await render();
  } else {
    fail(`unknown command '${command}' (measure or render)`);
  }
} catch (e) {
  fail(e.message);
}
