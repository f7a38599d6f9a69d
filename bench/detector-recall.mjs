#!/usr/bin/env node
// Face detection recall of the ONNX SSD MobileNet v1 on real photos (issue 5): masked vs unmasked, by face size,
// at IoU 0.5, faces >= --min-face px. Before = face-api's own settings (input 512, score 0.5, its box shape);
// after = the box adjustment fitted on the TRAIN split and a lower score threshold, reported on the held-out
// TEST split (and on all photos for reference). The split is the default training run's (whole photos per
// split): the --data folders (default kaggle-face-mask + maskedface-net) and --seed (default
// TRAIN_DEFAULTS.seed) through splitDataset, as `mask-edge train` and `npm run build:models` do; only photos
// with face boxes (Kaggle) are detected. `--data ../shared/data/kaggle-face-mask --seed 0` gives the older
// kaggle-only seed-0 split.
//
//   npx tsc -p tsconfig.build.json && node bench/detector-recall.mjs [--data DIR ...] [--seed 1]
//       [--arch ssd|tiny] [--sizes 512] [--min-face 24] [--thresholds 0.3,0.4,0.5] [--model F.onnx] [--json]
// --model evaluates an existing detector file at its own metadata defaults instead of building variants.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(root, 'dist', p);
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', multiple: true },
    seed: { type: 'string' },
    arch: { type: 'string', default: 'ssd' },
    sizes: { type: 'string' },
    'min-face': { type: 'string', default: '24' },
    thresholds: { type: 'string', default: '0.3,0.4,0.5' },
    model: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const { readDataset, splitDataset } = await import(dist('core/dataset/index.js'));
const { buildFaceDetector } = await import(dist('export/detector/build-face-detector.js'));
const { FaceDetector } = await import(dist('edge/inference/face-detector.js'));
const { detectPhotos, photosFromSamples } = await import(dist('edge/eval/detection-recall.js'));
const { summariseDetection } = await import(dist('edge/eval/detection-matching.js'));
const { fitBoxAdjust, adjustDetections } = await import(dist('edge/eval/box-calibration.js'));
const { TRAIN_DEFAULTS } = await import(dist('train/train-options.js'));
const sharedData = join(root, '..', 'shared', 'data');
const dataDirs = args.data ?? ['kaggle-face-mask', 'maskedface-net'].map((d) => join(sharedData, d));
const seed = args.seed === undefined ? TRAIN_DEFAULTS.seed : Number(args.seed);

const minFace = Number(args['min-face']);
const thresholds = args.thresholds.split(',').map(Number);
const out = (s) => {
  if (!args.json) console.log(s);
};

const { samples } = await readDataset(dataDirs);
const splits = splitDataset(samples, { seed });
const all = photosFromSamples(samples);
const inSplit = Object.fromEntries(
  Object.entries(splits).map(([k, list]) => [k, new Set(list.map((s) => s.path))]),
);
out(
  `${all.length} photos with boxes, ${all.reduce((n, p) => n + p.faces.length, 0)} faces; split (seed ${seed}, ` +
    `${dataDirs.length} data dirs) photos with boxes: ` +
    Object.entries(inSplit)
      .map(([k, v]) => `${k} ${all.filter((p) => v.has(p.path)).length}`)
      .join(', '),
);

const pct = (v) => `${(v * 100).toFixed(1)}%`;
function row(name, s) {
  const lab = (k) =>
    s.recallByLabel[k] ? `${pct(s.recallByLabel[k].recall)} of ${s.recallByLabel[k].faces}` : '-';
  const size = Object.entries(s.recallBySize)
    .map(([k, v]) => `${k}: ${pct(v.recall)}`)
    .join(', ');
  out(
    `| ${name} | ${pct(s.recall)} (${s.detected}/${s.faces}) | ${pct(s.precision)} | ${lab('correct')} | ${lab('incorrect')} | ${lab('no_mask')} | ${size} |`,
  );
}
const header = () => {
  out(
    '| setting | recall | precision | masked (correct) | incorrect | unmasked (no_mask) | recall by face size (shorter side px) |',
  );
  out('| --- | --- | --- | --- | --- | --- | --- |');
};

const results = [];
const tmp = mkdtempSync(join(tmpdir(), 'mask-edge-det-recall-'));
try {
  const variants = args.model ? [{ path: args.model, label: args.model }] : [];
  if (!args.model) {
    const sizes = args.sizes ?? (args.arch === 'tiny' ? '416' : '512');
    for (const size of sizes.split(',').map(Number)) {
      const built = await buildFaceDetector({
        out: join(tmp, `${args.arch}${size}.onnx`),
        architecture: args.arch,
        inputSize: size,
      });
      variants.push({ path: built.path, label: `${args.arch} input ${size}`, size });
    }
  }
  for (const v of variants) {
    const detector = await FaceDetector.open(v.path, { providers: ['cpu'] });
    const started = performance.now();
    const minScore = args.model ? undefined : 0.05;
    const detected = await detectPhotos(detector, all, {
      ...(minScore === undefined ? {} : { minScore }),
      onProgress: (done, total) => {
        if (!args.json && (done % 100 === 0 || done === total))
          process.stderr.write(`  ${v.label}: ${done}/${total}\r`);
      },
    });
    const msPerPhoto = (performance.now() - started) / all.length;
    await detector.close();
    const part = (name) => detected.filter((p) => inSplit[name].has(p.path));
    out(
      `\n### ${v.label} — ${msPerPhoto.toFixed(0)} ms/photo (ORT CPU, load ${loadavg()[0].toFixed(1)}), faces >= ${minFace} px, IoU 0.5`,
    );
    if (args.model) {
      header();
      const s = {
        test: summariseDetection(part('test'), { iou: 0.5, minFace }),
        all: summariseDetection(detected, { iou: 0.5, minFace }),
      };
      row('model defaults, test split', s.test);
      row('model defaults, all photos', s.all);
      results.push({ model: v.path, msPerPhoto, ...s });
      continue;
    }
    const adjust = fitBoxAdjust(part('train'), { minScore: 0.3, minIou: 0.3, minFace: 24 });
    const rounded = Object.fromEntries(
      ['dx', 'dy', 'sw', 'sh'].map((k) => [k, Number(adjust[k].toFixed(3))]),
    );
    out(`box adjustment fitted on the train split (${adjust.pairs} faces): ${JSON.stringify(rounded)}`);
    header();
    const adjusted = (photos) =>
      photos.map((p) => ({ ...p, detections: adjustDetections(p.detections, rounded) }));
    const entry = { size: v.size, msPerPhoto, adjust: rounded, rows: [] };
    for (const [splitName, photos] of [
      ['test', part('test')],
      ['all', detected],
    ]) {
      for (const t of thresholds) {
        const before = summariseDetection(photos, { iou: 0.5, minFace, minScore: t });
        row(`${splitName}: score ${t}, face-api boxes`, before);
        const after = summariseDetection(adjusted(photos), { iou: 0.5, minFace, minScore: t });
        row(`${splitName}: score ${t}, adjusted boxes`, after);
        entry.rows.push({ split: splitName, minScore: t, before, after });
      }
    }
    results.push(entry);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (args.json) console.log(JSON.stringify(results));
