#!/usr/bin/env node
// Builds the face detectors of the zoo (src/edge/inference/detector-zoo.ts) from @vladmandic/face-api's weights
// (node_modules): SSD MobileNet v1 at 512 (models/face-detector.onnx, the default), 384 and 320 px, and the tiny
// face detector at 416 and 320 px, each with its score threshold, NMS IoU and the box adjustment that maps
// face-api's boxes onto the Kaggle VOC box convention (issue 5; zoo: issue 11).
//
// The adjustment (four numbers: dx, dy, sw, sh) is fitted here, leak-free, on the TRAIN split of exactly the
// default training run's split: the same data folders (kaggle-face-mask + maskedface-net) and seed
// (TRAIN_DEFAULTS.seed, 1) -> readDataset -> splitDataset -> the train split's Kaggle photos (MaskedFace-Net
// faces have no boxes and take no part). The detector runs on those photos without an adjustment, each
// annotated face >= 24 px is paired with the detection overlapping it most (score >= 0.3, IoU >= 0.3), and the
// adjustment is the median offset/size ratio (src/edge/eval/box-calibration.ts), rounded to 3 decimals.
// Where a training run's split.json is at hand (--split-file, default runs/default/split.json) the script
// refuses to write a model if any fitting photo is in that run's val or test split.
// A second source annotates faces its own way: --fit-source NAME=DIR (default ilc=../shared/data/ilc-face-mask
// where present) fits the same four numbers on the train split of DIR alone (seed --seed) and keeps them in the
// model as 'mask_edge.box_adjust_by_source' (select with `eval --pipeline --box-convention NAME`); the runtime
// default stays the Kaggle fit, the convention the classifier was trained on.
//
//   npm run build:models                      (tsc, then this script: fit on the shared data, build every detector)
//   node scripts/build-face-detector.mjs [--detector NAME[,NAME...]|all (default all)] [--out F.onnx] [--input-size N]
//       [--min-score P] [--iou P] [--max-faces 100]
//       [--data DIR ... (default: ../shared/data/{kaggle-face-mask,maskedface-net})] [--fit-source NAME=DIR ...]
//       [--seed 1] [--split-file runs/default/split.json]
//       [--box-adjust fit | recorded | dx,dy,sw,sh | none]
//   recorded: the numbers of the last fit, models/<detector>.box-adjust.json (what `npm ci` builds with, through
//   `prepare`: the models are generated, not committed); a fit to the default output path rewrites that file.
//   --out, --input-size, --min-score and --iou apply to one --detector only.
//
// INT8 entries (ssd-mobilenet-v1-<size>-int8): the fp32 SSD at that size, with the box adjustment of the fp32 entry
// (its recorded file; the fit of this run when the fp32 entry is built in the same run), statically quantized
// (src/export/detector/quantize-detector.ts) with activation ranges that are either
//   calibrate: measured here on --calibration-photos letterboxed photos of the TRAIN splits (as above: Kaggle's of
//              the default run's split, ILC's of its own seeded split; 60% Kaggle, 40% ILC, evenly spaced over
//              the photos sorted by path) and recorded in models/face-detector-ssd-<size>.int8-ranges.json, or
//   recorded:  read from that file (what `npm ci` builds with).
//   [--int8-ranges calibrate | recorded (default: calibrate with --box-adjust fit, else recorded)]
//   [--calibration-photos 80] [--int8-scope all | compute-inputs (default: the recorded one, else all)]
//
// Fine-tuned entries (a zoo `headsFile`, e.g. ssd-mobilenet-v1-512x384-tuned[-int8]): face-api's weights with the
// box predictors of models/<headsFile> (written by `mask-edge train-detector`) put in; their box adjustment is
// always the recorded one, the fit train-detector made on its own train split (--box-adjust fit does not refit it).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(root, 'dist', p);
const { TRAIN_DEFAULTS } = await import(dist('train/train-options.js'));
const { sharedDataDir } = await import(dist('core/package-paths.js'));
const { DETECTOR_ZOO, zooDetectorNames } = await import(dist('edge/inference/detector-zoo.js'));

/** Pairing rules of the fit (see src/edge/eval/box-calibration.ts). */
const FIT = { minScore: 0.3, minIou: 0.3, minFace: 24 };
const MAX_FACES = 100;

const shared = sharedDataDir();
const { values: args } = parseArgs({
  options: {
    detector: { type: 'string', default: 'all' },
    out: { type: 'string' },
    'input-size': { type: 'string' },
    'min-score': { type: 'string' },
    iou: { type: 'string' },
    'max-faces': { type: 'string', default: String(MAX_FACES) },
    'box-adjust': { type: 'string', default: 'fit' },
    data: { type: 'string', multiple: true },
    'fit-source': { type: 'string', multiple: true },
    seed: { type: 'string', default: String(TRAIN_DEFAULTS.seed) },
    'split-file': { type: 'string', default: join(root, 'runs', 'default', 'split.json') },
    'int8-ranges': { type: 'string' },
    'int8-scope': { type: 'string' },
    'calibration-photos': { type: 'string', default: '80' },
  },
});

function fail(message) {
  console.error(message);
  process.exit(2);
}

const wanted = args.detector === 'all' ? zooDetectorNames() : args.detector.split(',').map((n) => n.trim());
const unknown = wanted.filter((n) => !DETECTOR_ZOO.some((d) => d.name === n));
if (unknown.length > 0 || wanted.length === 0)
  fail(
    `unknown --detector ${unknown.join(',') || args.detector}; known: all, ${zooDetectorNames().join(', ')}`,
  );
const chosen = DETECTOR_ZOO.filter((d) => wanted.includes(d.name));
if (chosen.length > 1 && (args.out || args['input-size'] || args['min-score'] || args.iou)) {
  fail('--out, --input-size, --min-score and --iou need one --detector NAME');
}

const recordedPath = (entry) => join(root, 'models', entry.boxAdjustFile);
const rangesPath = (entry) => join(root, 'models', entry.int8RangesFile);
const int8Ranges = args['int8-ranges'] ?? (args['box-adjust'] === 'fit' ? 'calibrate' : 'recorded');
if (!['calibrate', 'recorded'].includes(int8Ranges))
  fail(`--int8-ranges expects calibrate or recorded, got ${int8Ranges}`);
if (args['int8-scope'] && !['all', 'compute-inputs'].includes(args['int8-scope']))
  fail(`--int8-scope expects all or compute-inputs, got ${args['int8-scope']}`);
const pick = ({ dx, dy, sw, sh }) => ({ dx, dy, sw, sh });

function parseAdjust(raw, entry) {
  if (raw === 'none') return {};
  if (raw === 'recorded') {
    const file = recordedPath(entry);
    if (!existsSync(file))
      fail(`no recorded box adjustment for ${entry.name}: ${file}; run with --box-adjust fit`);
    const rec = JSON.parse(readFileSync(file, 'utf8'));
    const bySource = rec.bySource
      ? Object.fromEntries(Object.entries(rec.bySource).map(([k, v]) => [k, pick(v)]))
      : undefined;
    return { boxAdjust: pick(rec), bySource };
  }
  const v = raw.split(',').map(Number);
  if (v.length !== 4 || v.some((x) => !Number.isFinite(x))) {
    fail(`--box-adjust expects fit, recorded, dx,dy,sw,sh or none, got ${raw}`);
  }
  return { boxAdjust: { dx: v[0], dy: v[1], sw: v[2], sh: v[3] } };
}

const { buildFaceDetector } = await import(dist('export/detector/build-face-detector.js'));
const { readDetectorHeads } = await import(dist('core/detector-heads-file.js'));
/** Fine-tuned box predictors of an entry (models/<headsFile>, written by `mask-edge train-detector`). */
async function headsOf(entry) {
  if (!entry.headsFile) return {};
  const file = join(root, 'models', entry.headsFile);
  if (!existsSync(file)) fail(`${entry.name} needs its fine-tuned heads ${file} (mask-edge train-detector)`);
  const heads = await readDetectorHeads(file);
  return {
    heads: new Map(heads.tensors.map((t) => [t.name, t])),
    headsNote: `box predictors fine-tuned by mask-edge train-detector: ${heads.trainedOn.split ?? entry.headsFile}`,
  };
}
const build = async (entry, out, adjust, int8) =>
  buildFaceDetector({
    ...(await headsOf(entry)),
    ...(int8 ? { int8 } : {}),
    out,
    architecture: entry.architecture,
    inputSize: Number(args['input-size'] ?? entry.inputSize),
    ...(entry.inputHeight && !args['input-size'] ? { inputHeight: entry.inputHeight } : {}),
    defaults: {
      minScore: Number(args['min-score'] ?? entry.minScore),
      iou: Number(args.iou ?? entry.iou),
      maxFaces: Number(args['max-faces']),
    },
    boxAdjust: adjust.boxAdjust,
    boxAdjustBySource: adjust.bySource,
  });

const seed = Number(args.seed);
const { readDataset, splitDataset } = await import(dist('core/dataset/index.js'));
const { photosFromSamples, detectPhotos } = await import(dist('edge/eval/detection-recall.js'));
const { fitBoxAdjust } = await import(dist('edge/eval/box-calibration.js'));
const { FaceDetector } = await import(dist('edge/inference/face-detector.js'));

/** The train split's annotated photos of some data folders (read once per folder list). */
const trainCache = new Map();
async function trainPhotos(dirs) {
  const key = dirs.join('\n');
  if (!trainCache.has(key)) {
    const { samples } = await readDataset(dirs);
    const train = splitDataset(samples, { seed }).train;
    trainCache.set(key, {
      photos: photosFromSamples(train),
      fitIds: train.filter((s) => s.box).map((s) => s.id),
    });
  }
  return trainCache.get(key);
}

function checkSplitFile(fitIds) {
  if (!existsSync(args['split-file'])) return;
  const split = JSON.parse(readFileSync(args['split-file'], 'utf8'));
  const heldOut = new Set([...(split.val ?? []), ...(split.test ?? [])]);
  const leaked = fitIds.filter((id) => heldOut.has(id));
  if (leaked.length > 0) {
    fail(
      `${leaked.length} fitting faces are held out in ${args['split-file']} (e.g. ${leaked[0]}); refusing`,
    );
  }
  const inTrain = new Set(split.train ?? []);
  console.log(
    `checked against ${args['split-file']} (seed ${split.seed}): 0 fitting faces in its val/test, ` +
      `${fitIds.filter((id) => inTrain.has(id)).length}/${fitIds.length} in its train split`,
  );
}

/** Fits the adjustment of an unadjusted detector on the train photos of `dirs`. */
async function fitOn(detector, dirs, label) {
  const { photos, fitIds } = await trainPhotos(dirs);
  console.log(
    `${label}: fitting on the train split (seed ${seed}, data ${dirs.join(', ')}): ` +
      `${photos.length} photos with boxes, ${fitIds.length} faces`,
  );
  if (label === 'kaggle') checkSplitFile(fitIds);
  const detected = await detectPhotos(detector, photos, {
    minScore: FIT.minScore,
    onProgress: (done, total) => {
      if (done % 100 === 0 || done === total) process.stderr.write(`  detect ${done}/${total}\n`);
    },
  });
  const fitted = fitBoxAdjust(detected, FIT);
  const adjust = Object.fromEntries(['dx', 'dy', 'sw', 'sh'].map((k) => [k, Number(fitted[k].toFixed(3))]));
  const fittedOn = `train split of ${dirs.map((d) => d.split('/').pop()).join(' + ')}, seed ${seed}: ${fitted.pairs} detected faces in ${photos.length} photos`;
  console.log(`${label} box adjustment from ${fitted.pairs} detected faces: ${JSON.stringify(adjust)}`);
  return { adjust, fittedOn };
}

function fitSources() {
  if (args['fit-source']) {
    return args['fit-source'].map((raw) => {
      const at = raw.indexOf('=');
      if (at < 1) fail(`--fit-source expects NAME=DIR, got ${raw}`);
      return { name: raw.slice(0, at), dir: raw.slice(at + 1) };
    });
  }
  const ilc = shared ? join(shared, 'ilc-face-mask') : undefined;
  return ilc && existsSync(ilc) ? [{ name: 'ilc', dir: ilc }] : [];
}

/** Fits the Kaggle adjustment (and one per --fit-source) for one zoo entry (see the header). */
async function fitAdjust(entry, isDefaultOut) {
  const dirs =
    args.data ?? (shared ? [join(shared, 'kaggle-face-mask'), join(shared, 'maskedface-net')] : undefined);
  if (!dirs || dirs.some((d) => !existsSync(d))) {
    fail(
      `box adjustment fit needs the training data (${dirs?.join(', ') ?? '../shared/data or MASK_EDGE_DATA'} ` +
        'not found); pass --data DIR..., or --box-adjust recorded to reuse the recorded numbers',
    );
  }
  const tmp = mkdtempSync(join(tmpdir(), 'mask-edge-fit-'));
  try {
    const plain = await build(entry, join(tmp, 'unadjusted.onnx'), {});
    const detector = await FaceDetector.open(plain.path, { providers: ['cpu'] });
    try {
      const kaggle = await fitOn(detector, dirs, 'kaggle');
      const bySource = {};
      const record = { ...kaggle.adjust, fittedOn: kaggle.fittedOn, bySource: {} };
      for (const source of fitSources()) {
        const fit = await fitOn(detector, [source.dir], source.name);
        bySource[source.name] = fit.adjust;
        record.bySource[source.name] = { ...fit.adjust, fittedOn: fit.fittedOn };
      }
      bySource.kaggle = kaggle.adjust;
      record.bySource.kaggle = { ...kaggle.adjust, fittedOn: kaggle.fittedOn };
      if (isDefaultOut) {
        writeFileSync(recordedPath(entry), `${JSON.stringify(record, null, 1)}\n`);
        console.log(`recorded in ${recordedPath(entry)}`);
      }
      return { boxAdjust: kaggle.adjust, bySource };
    } finally {
      await detector.close();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Train-split photos for INT8 calibration: 60% Kaggle (default run's split), 40% of the first --fit-source. */
async function calibrationPhotos() {
  const count = Number(args['calibration-photos']);
  if (!(Number.isInteger(count) && count > 0)) fail(`--calibration-photos expects a count, got ${count}`);
  const kaggleDirs =
    args.data ?? (shared ? [join(shared, 'kaggle-face-mask'), join(shared, 'maskedface-net')] : undefined);
  if (!kaggleDirs || kaggleDirs.some((d) => !existsSync(d))) {
    fail(
      `INT8 calibration needs the training data (${kaggleDirs?.join(', ') ?? '../shared/data or MASK_EDGE_DATA'} ` +
        'not found); pass --data DIR..., or --int8-ranges recorded to reuse the recorded ranges',
    );
  }
  const sets = [
    { name: 'kaggle', dirs: kaggleDirs },
    ...fitSources()
      .slice(0, 1)
      .map((s) => ({ name: s.name, dirs: [s.dir] })),
  ];
  const picked = [];
  const notes = [];
  for (const [i, set] of sets.entries()) {
    const want =
      sets.length === 1 ? count : i === 0 ? Math.round(count * 0.6) : count - Math.round(count * 0.6);
    const paths = (await trainPhotos(set.dirs)).photos.map((p) => p.path).sort();
    const step = paths.length / Math.min(want, paths.length);
    const take = Array.from({ length: Math.min(want, paths.length) }, (_, k) => paths[Math.floor(k * step)]);
    picked.push(...take);
    notes.push(`${take.length} of ${set.dirs.map((d) => d.split('/').pop()).join(' + ')}`);
  }
  return {
    paths: picked,
    note: `${picked.length} train-split photos (seed ${seed}, evenly spaced by path): ${notes.join(', ')}`,
  };
}

/** Calibrates the activation ranges of the fp32 graph of an int8 entry and records them (default outputs). */
async function calibrateInt8(entry, isDefaultOut) {
  const { decodeImage } = await import(dist('core/image-io.js'));
  const { letterbox } = await import(dist('edge/inference/detector-input.js'));
  const { calibrateDetectorRanges } = await import(dist('export/detector/quantize-detector.js'));
  const { paths, note } = await calibrationPhotos();
  console.log(`${entry.name}: calibrating INT8 ranges on ${note}`);
  const tmp = mkdtempSync(join(tmpdir(), 'mask-edge-calib-'));
  try {
    const plain = await build(entry, join(tmp, 'fp32.onnx'), {});
    const detector = await FaceDetector.open(plain.path, { providers: ['cpu'] });
    const { inputSize: size, inputHeight: height } = detector.contract;
    const batches = [];
    for (const path of paths) {
      batches.push({
        data: letterbox(await decodeImage(path), detector.contract).tensor,
        dims: [1, 3, height, size],
      });
    }
    await detector.close();
    const method = 'percentile';
    const percentile = 99.99;
    const ranges = await calibrateDetectorRanges(
      readFileSync(plain.path),
      batches,
      { method, percentile },
      (done, total) => {
        if (done % 40 === 0 || done === total) process.stderr.write(`  calibrate ${done}/${total}\n`);
      },
    );
    const scope = args['int8-scope'] ?? 'all';
    const record = {
      detector: entry.name,
      inputSize: size,
      ...(height !== size ? { inputHeight: height } : {}),
      method,
      percentile,
      scope,
      calibratedOn: note,
      ranges,
    };
    if (isDefaultOut) {
      writeFileSync(rangesPath(entry), `${JSON.stringify(record)}\n`);
      console.log(`recorded in ${rangesPath(entry)}`);
    }
    return record;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function recordedInt8(entry) {
  const file = rangesPath(entry);
  if (!existsSync(file))
    fail(`no recorded INT8 ranges for ${entry.name}: ${file}; run with --int8-ranges calibrate`);
  const rec = JSON.parse(readFileSync(file, 'utf8'));
  return args['int8-scope'] ? { ...rec, scope: args['int8-scope'] } : rec;
}

/** Box adjustments fitted in this run, by detector name (an int8 entry reuses its fp32 entry's). */
const fittedAdjust = new Map();

for (const entry of chosen) {
  const defaultOut = join(root, 'models', entry.file);
  const out = args.out ?? defaultOut;
  const int8 = entry.precision === 'int8';
  let adjust;
  // A fine-tuned entry keeps the box fits train-detector made on its own train split (see the zoo).
  if (entry.headsFile && args['box-adjust'] === 'fit') adjust = parseAdjust('recorded', entry);
  else if (int8 && args['box-adjust'] === 'fit')
    adjust = fittedAdjust.get(entry.fp32Name) ?? parseAdjust('recorded', entry);
  else if (args['box-adjust'] === 'fit') adjust = await fitAdjust(entry, out === defaultOut);
  else adjust = parseAdjust(args['box-adjust'], entry);
  fittedAdjust.set(entry.name, adjust);
  const quantization = !int8
    ? undefined
    : int8Ranges === 'calibrate'
      ? await calibrateInt8(entry, out === defaultOut)
      : recordedInt8(entry);
  const built = await build(entry, out, adjust, quantization);
  console.log(
    `${entry.name}: wrote ${built.path}: ${(built.bytes / 1e6).toFixed(1)} MB, input ${built.inputSize}` +
      `${built.inputHeight !== built.inputSize ? `x${built.inputHeight}` : ''}, ` +
      `${built.anchors} anchors, defaults ${built.metadata['mask_edge.defaults']}, box adjust ` +
      `${built.metadata['mask_edge.box_adjust'] ?? 'none'}` +
      (quantization ? `, INT8 (${quantization.scope}, ${quantization.method} ranges)` : ''),
  );
}
