#!/usr/bin/env node
// Pictures for the README results and the model card (issue 5), from the built package (npm run build first):
//   docs/results/failures.png            every misclassified held-out real face (up to --max), truth -> prediction
//   docs/results/failures-mfn.png        the same for the held-out MaskedFace-Net faces, when held-out-mfn.json is saved
//   docs/results/confusion-int8-real.png the confusion matrix of docs/results/held-out-real.json (eval --json)
//   docs/results/confusion-mfn.png       the same for docs/results/held-out-mfn.json, when saved
//   docs/results/confusion-ilc.png       the same for docs/results/held-out-ilc.json, when saved
//   docs/results/alert-tradeoff.png      false and missed alerts by detection.correctMinProbability (the eval
//                                        JSON's alertOperatingPoints), when saved
//   docs/results/pipeline-failures.png   the held-out photos where detector + classifier did worst (faces >= 24 px
//                                        missed or mislabelled), as `eval --pipeline --annotate` draws them
//
//   npx tsc -p tsconfig.build.json && node scripts/results-pictures.mjs [--run runs/default]
//       [--model models/mask-classifier.int8.onnx] [--kaggle ../shared/data/kaggle-face-mask]
//       [--results docs/results] [--max 60] [--cols 10] [--tile 112] [--photos 6] [--min-face 24] [--detector F]
// The gallery re-runs the same classification as `mask-edge eval` (same crops, same model) to know which faces
// failed, and stops if its accuracy differs from the saved eval JSON (so the picture always matches the table).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(join(root, 'dist', p));
const { values: args } = parseArgs({
  options: {
    run: { type: 'string', default: 'runs/default' },
    model: { type: 'string', default: 'models/mask-classifier.int8.onnx' },
    kaggle: { type: 'string', default: '../shared/data/kaggle-face-mask' },
    mfn: { type: 'string', default: '../shared/data/maskedface-net' },
    results: { type: 'string', default: 'docs/results' },
    max: { type: 'string', default: '60' },
    cols: { type: 'string', default: '10' },
    tile: { type: 'string', default: '112' },
    photos: { type: 'string', default: '6' },
    detector: { type: 'string' },
    'min-face': { type: 'string', default: '24' },
  },
});

const { readDataset, loadCrops } = await dist('core/dataset/index.js');
const { selectSamples } = await dist('edge/eval/sample-selection.js');
const { evaluateClassifier } = await dist('edge/eval/classifier-eval.js');
const { MaskClassifier } = await dist('edge/inference/mask-classifier.js');
const { evaluatePipeline } = await dist('edge/eval/pipeline-eval.js');
const { renderConfusionMatrixPng, renderLineChartPng, FONT_FAMILY } = await dist('core/charts/index.js');
const { escapeXml } = await dist('core/charts/svg.js');
const { LABEL_COLOURS } = await dist('core/annotate-image.js');
const { LABELS } = await dist('core/labels.js');

const text = (x, y, s, { size = 12, color = '#222', weight = 'normal', anchor = 'start' } = {}) =>
  `<text x="${x}" y="${y}" font-family="${FONT_FAMILY}" font-size="${size}" font-weight="${weight}" fill="${color}" text-anchor="${anchor}">${escapeXml(s)}</text>`;
const resultsDir = resolve(args.results);
const readJson = async (name) => {
  try {
    return JSON.parse(await readFile(join(resultsDir, name), 'utf8'));
  } catch (e) {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  }
};

// Confusion matrices straight from the saved eval JSON.
const real = await readJson('held-out-real.json');
if (!real)
  throw new Error(`no ${join(args.results, 'held-out-real.json')}: run scripts/results-table.mjs measure`);
const version = real.model?.version ? ` ${real.model.version}` : '';
const precision = real.model?.precision ?? '';
await writeFile(
  join(resultsDir, 'confusion-int8-real.png'),
  await renderConfusionMatrixPng({
    confusion: real.confusion,
    labels: real.labels,
    title: `${precision} classifier, held-out real faces (${real.samples})`,
  }),
);
const mfn = await readJson('held-out-mfn.json');
if (mfn) {
  // MaskedFace-Net has no no_mask faces: show the 2 truth rows it has, all 3 prediction columns kept as a
  // 3x3 matrix so a no_mask prediction stays visible.
  await writeFile(
    join(resultsDir, 'confusion-mfn.png'),
    await renderConfusionMatrixPng({
      confusion: mfn.confusion,
      labels: mfn.labels,
      title: `${precision} classifier, held-out MaskedFace-Net (${mfn.samples})`,
    }),
  );
}

const ilc = await readJson('held-out-ilc.json');
if (ilc) {
  await writeFile(
    join(resultsDir, 'confusion-ilc.png'),
    await renderConfusionMatrixPng({
      confusion: ilc.confusion,
      labels: ilc.labels,
      title: `${precision} classifier, held-out ILC real faces (${ilc.samples})`,
    }),
  );
}

const points = (real.alertOperatingPoints ?? []).filter((p) => p.correctMin !== null);
if (points.length > 0) {
  const unset = real.alertOperatingPoints.find((p) => p.correctMin === null);
  const x = points.map((p) => p.correctMin);
  const flat = (v) => x.map(() => v);
  await writeFile(
    join(resultsDir, 'alert-tradeoff.png'),
    await renderLineChartPng({
      title: `Alerts by correctMinProbability: ${real.samples} held-out real faces, ${precision}`,
      xLabel: 'minimum probability for correct (no alert)',
      yLabel: 'faces',
      yMin: 0,
      series: [
        {
          name: 'false alerts (truth correct)',
          x,
          values: points.map((p) => p.falseAlerts),
          color: '#d97706',
        },
        {
          name: 'missed alerts (truth incorrect / no_mask)',
          x,
          values: points.map((p) => p.missedAlerts),
          color: '#dc2626',
        },
        ...(unset
          ? [
              {
                name: 'false, unset (most likely label)',
                x,
                values: flat(unset.falseAlerts),
                color: '#d97706',
                dashed: true,
              },
              { name: 'missed, unset', x, values: flat(unset.missedAlerts), color: '#dc2626', dashed: true },
            ]
          : []),
      ],
    }),
  );
}

// Failure gallery: classify the held-out real faces again and keep the wrong ones.
const classifier = await MaskClassifier.open(resolve(args.model), { providers: ['cpu'] });
let result;
let mfnResult;
/** Classifies the run's test faces of `data` again; stops when the figures differ from the saved eval JSON. */
async function evaluateAgainst(cls, data, saved, file) {
  const { samples: found } = await readDataset(data);
  const { samples: test } = await selectSamples(found, { split: 'test', splitFile: args.run });
  const r = await evaluateClassifier(cls, test, {});
  const diff = Math.abs(r.metrics.accuracy - saved.accuracy);
  if (r.metrics.samples !== saved.samples || diff > 1e-9) {
    throw new Error(
      `gallery eval (${r.metrics.samples} faces, accuracy ${r.metrics.accuracy}) differs from ${file} (${saved.samples}, ${saved.accuracy}): re-run measure with the same model/run`,
    );
  }
  return { ...r, samples: test };
}
try {
  result = await evaluateAgainst(classifier, [args.kaggle], real, 'held-out-real.json');
  if (mfn) mfnResult = await evaluateAgainst(classifier, [args.mfn], mfn, 'held-out-mfn.json');
  if (Number(args.photos) > 0) await pipelineFailures(classifier);
} finally {
  await classifier.close();
}

/** Runs the pipeline photo by photo (annotating each), keeps the worst --photos and tiles their annotations. */
async function pipelineFailures(cls) {
  // the agent's default pipeline, as eval --pipeline runs it: the default zoo detector behind the face verifier
  // (auto: when it was trained on this detector's boxes)
  const { DEFAULT_DETECTOR_NAME, openDetector } = await dist('edge/inference/detector-zoo.js');
  const { withVerifier } = await dist('edge/inference/face-verifier.js');
  const opened = await openDetector(args.detector ? resolve(args.detector) : DEFAULT_DETECTOR_NAME, {
    providers: ['cpu'],
  });
  const { detector } = await withVerifier(opened, 'auto', { providers: ['cpu'] });
  const tmp = await mkdtemp(join(tmpdir(), 'results-pictures-'));
  try {
    const byPhoto = new Map();
    for (const s of result.samples) {
      if (!byPhoto.has(s.path)) byPhoto.set(s.path, []);
      byPhoto.get(s.path).push(s);
    }
    const scored = [];
    let done = 0;
    for (const [path, faces] of byPhoto) {
      const m = await evaluatePipeline(detector, cls, faces, {
        minFace: Number(args['min-face']),
        annotateDir: tmp,
      });
      const wrongLabels = m.endToEnd
        ? m.endToEnd.samples - m.endToEnd.confusion.reduce((a, row, i) => a + row[i], 0)
        : 0;
      const missed = m.faces - m.detected;
      scored.push({ path, faces: m.faces, missed, wrongLabels, falsePositives: m.falsePositives });
      if (++done % 20 === 0)
        process.stderr.write(`results-pictures: pipeline ${done}/${byPhoto.size} photos\n`);
    }
    const worst = scored
      .filter((p) => p.missed + p.wrongLabels > 0)
      .sort((a, b) => b.missed + b.wrongLabels - (a.missed + a.wrongLabels) || b.faces - a.faces)
      .slice(0, Number(args.photos));
    const totals = scored.reduce(
      (t, p) => ({ faces: t.faces + p.faces, missed: t.missed + p.missed, wrong: t.wrong + p.wrongLabels }),
      { faces: 0, missed: 0, wrong: 0 },
    );
    const w = 420;
    const h = 320;
    const cap = 22;
    const cols = 2;
    const rowsN = Math.max(1, Math.ceil(worst.length / cols));
    const top = 62;
    const W = cols * (w + 8) + 8;
    const H = top + rowsN * (h + cap + 8) + 8;
    const comps = [];
    const parts = [
      text(
        8,
        22,
        `Pipeline failures on held-out photos (faces ≥ ${args['min-face']} px): the ${worst.length} worst of ${scored.length}`,
        { size: 16, weight: 'bold' },
      ),
      text(
        8,
        38,
        `In all ${scored.length} photos: ${totals.missed} of ${totals.faces} faces missed, ${totals.wrong} detected faces mislabelled.`,
        { size: 11, color: '#444' },
      ),
      text(
        8,
        52,
        'Dashed blue = missed face (its truth label); boxes = detections, coloured by predicted label.',
        { size: 11, color: '#444' },
      ),
    ];
    for (const [i, p] of worst.entries()) {
      const x = 8 + (i % cols) * (w + 8);
      const y = top + Math.floor(i / cols) * (h + cap + 8);
      const stem = p.path
        .split('/')
        .pop()
        .replace(/\.[^.]+$/, '');
      const img = await sharp(join(tmp, `${stem}.jpg`))
        .resize(w, h, { fit: 'contain', background: '#ffffff' })
        .png()
        .toBuffer();
      comps.push({ input: img, left: x, top: y });
      parts.push(
        text(
          x,
          y + h + 16,
          `${stem}: ${p.missed} of ${p.faces} faces missed, ${p.wrongLabels} mislabelled, ${p.falsePositives} extra detections`,
          { size: 11 },
        ),
      );
    }
    const overlay = Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${parts.join('')}</svg>`,
    );
    const png = await sharp({ create: { width: W, height: H, channels: 3, background: '#ffffff' } })
      .composite([...comps, { input: overlay, left: 0, top: 0 }])
      .png({ palette: true, quality: 90, effort: 8 })
      .toBuffer();
    await writeFile(join(resultsDir, 'pipeline-failures.png'), png);
    process.stderr.write(
      `results-pictures: pipeline: ${totals.missed} of ${totals.faces} faces missed, ${totals.wrong} mislabelled; worst ${worst.length} photos -> ${join(args.results, 'pipeline-failures.png')}\n`,
    );
  } finally {
    await detector.close();
    await rm(tmp, { recursive: true, force: true });
  }
}
/** A tiled picture of the misclassified faces of one eval (every kind of error represented), written to `file`. */
async function gallery({ faces, result, what, source, file }) {
  const byId = new Map(faces.map((s) => [s.id, s]));
  const order = (l) => LABELS.indexOf(l);
  const wrong = result.predictions
    .filter((p) => p.truth !== p.pred)
    .sort((a, b) => order(a.truth) - order(b.truth) || order(a.pred) - order(b.pred) || b.score - a.score);
  // Every kind of error gets a share of the tiles: take the most confident of each truth -> prediction pair in turn.
  const pairs = new Map();
  for (const p of wrong) {
    const key = `${p.truth}>${p.pred}`;
    if (!pairs.has(key)) pairs.set(key, []);
    pairs.get(key).push(p);
  }
  const picked = new Set();
  for (let round = 0; picked.size < Math.min(Number(args.max), wrong.length); round++) {
    for (const list of pairs.values()) {
      if (list[round] && picked.size < Number(args.max)) picked.add(list[round]);
    }
  }
  const shown = wrong.filter((p) => picked.has(p));
  const tile = Number(args.tile);
  const { crops } = await loadCrops(
    shown.map((p) => byId.get(p.id)),
    { size: tile, margin: classifier.margin },
  );

  const cols = Math.max(1, Math.min(Number(args.cols), shown.length || 1));
  const rows = Math.max(1, Math.ceil(shown.length / cols));
  const pad = 8;
  const captionH = 46;
  const headerH = 78;
  const cellW = tile + pad;
  const cellH = tile + captionH + pad;
  const width = Math.max(640, pad + cols * cellW);
  const height = headerH + rows * cellH + pad + 22;
  const svg = [];
  const counts = {};
  for (const p of wrong) counts[`${p.truth} → ${p.pred}`] = (counts[`${p.truth} → ${p.pred}`] ?? 0) + 1;
  svg.push(
    text(
      pad,
      22,
      `Misclassified ${what}: ${wrong.length} of ${result.metrics.samples}${wrong.length > shown.length ? ` (${shown.length} shown, every kind of error represented)` : ''}`,
      {
        size: 16,
        weight: 'bold',
      },
    ),
  );
  svg.push(
    text(
      pad,
      44,
      `${precision} classifier${version}. Each tile: truth →, prediction and its probability, face size in the photo.`,
      { size: 11, color: '#444' },
    ),
  );
  svg.push(
    text(
      pad,
      62,
      `Errors: ${Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(' · ')}`,
      { size: 11, color: '#444' },
    ),
  );
  const composites = [];
  shown.forEach((p, i) => {
    const x = pad + (i % cols) * cellW;
    const y = headerH + Math.floor(i / cols) * cellH;
    const crop = crops.get(p.id);
    if (crop) {
      composites.push({
        input: Buffer.from(crop.data),
        raw: { width: crop.width, height: crop.height, channels: 3 },
        left: x,
        top: y,
      });
    }
    const s = byId.get(p.id);
    const face = s?.box ? Math.round(Math.min(s.box.width, s.box.height)) : undefined;
    svg.push(
      `<rect x="${x - 1.5}" y="${y - 1.5}" width="${tile + 3}" height="${tile + 3}" fill="none" stroke="${LABEL_COLOURS[p.pred]}" stroke-width="3"/>`,
    );
    svg.push(
      text(x, y + tile + 14, `${p.truth} →`, { size: 11, color: LABEL_COLOURS[p.truth], weight: 'bold' }),
    );
    svg.push(
      text(x, y + tile + 28, `${p.pred} ${p.score.toFixed(2)}`, {
        size: 11,
        color: LABEL_COLOURS[p.pred],
        weight: 'bold',
      }),
    );
    if (face) svg.push(text(x, y + tile + 41, `${face} px face`, { size: 10, color: '#666' }));
  });
  svg.push(
    text(pad, height - 10, `frame colour = prediction; ${source}, run ${args.run} test split`, {
      size: 10,
      color: '#666',
    }),
  );
  const overlay = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${svg.join('')}</svg>`,
  );
  const png = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite([...composites, { input: overlay, left: 0, top: 0 }])
    .png({ palette: true, quality: 90, effort: 8 })
    .toBuffer();
  await writeFile(join(resultsDir, file), png);
  return { wrong: wrong.length, shown: shown.length };
}
const realGallery = await gallery({
  faces: result.samples,
  result,
  what: 'held-out real faces',
  source: `photos: ${args.kaggle} (CC0)`,
  file: 'failures.png',
});
const mfnGallery = mfnResult
  ? await gallery({
      faces: mfnResult.samples,
      result: mfnResult,
      what: 'held-out MaskedFace-Net faces',
      source: `faces: ${args.mfn} (CC BY-NC-SA 4.0)`,
      file: 'failures-mfn.png',
    })
  : undefined;
process.stderr.write(
  `results-pictures: ${realGallery.wrong} misclassified of ${result.metrics.samples} (${realGallery.shown} shown) -> ${join(args.results, 'failures.png')}, confusion-int8-real.png${mfn ? `, confusion-mfn.png, failures-mfn.png (${mfnGallery?.wrong} misclassified)` : ''}\n`,
);
