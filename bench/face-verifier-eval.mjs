#!/usr/bin/env node
// The face verifier on the held-out photos of both real sources, beside the detector alone: for each detector,
// `mask-edge eval --pipeline` with `--verifier none` and `--verifier auto` (the bundled verifier), each source with
// its own box convention, on the test split of the shipped classifier's run (kaggle + ilc + maskedface-net, seed 1),
// faces >= 24 px, detections >= 24 px wide, IoU 0.5. Writes docs/results/face-verifier.json, the chart
// docs/results/face-verifier.png (recall vs precision by threshold) and prints the markdown table.
//
//   npx tsc -p tsconfig.build.json && node bench/face-verifier-eval.mjs
//       [--detectors ssd-mobilenet-v1-512,ssd-mobilenet-v1-512-int8,ssd-mobilenet-v1-512x384-int8]
//       [--verifiers none,auto (or verifier ONNX files)] [--split test|val] [--out DIR (default docs/results)]
//       [--from DIR (reuse eval JSONs named DETECTOR-VERIFIER-SOURCE.json)] [--render (from the saved JSON only)]
//       [--tile-above-scale X (eval's: large photos also detected in tiles; 0: never; default eval's, 1.5)]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    detectors: {
      type: 'string',
      default: 'ssd-mobilenet-v1-512,ssd-mobilenet-v1-512-int8,ssd-mobilenet-v1-512x384-int8',
    },
    from: { type: 'string' },
    // 'none', 'auto' (the bundled verifier where it applies) or a verifier ONNX file
    verifiers: { type: 'string', default: 'none,auto' },
    // test (the held-out photos, what the tables report) or val (what a choice may be made on)
    split: { type: 'string', default: 'test' },
    render: { type: 'boolean', default: false },
    // eval's --tile-above-scale (default: eval's own, as the agent: large photos tiled; 0: never)
    'tile-above-scale': { type: 'string' },
    out: { type: 'string', default: join(root, 'docs', 'results') },
  },
});
const shared = join(root, '..', 'shared', 'data');
const data = ['kaggle-face-mask', 'ilc-face-mask', 'maskedface-net'].flatMap((d) => [
  '--data',
  join(shared, d),
]);
const sources = { kaggle: 'kaggle-face-mask', ilc: 'ilc-face-mask' };
const jsonPath = join(args.out, 'face-verifier.json');
const pct = (v) => `${(100 * v).toFixed(1)}%`;

let saved;
if (args.render) saved = JSON.parse(readFileSync(jsonPath, 'utf8'));
else {
  saved = {
    machine: `${cpus().length} x ${cpus()[0]?.model}`,
    loadavg: loadavg()
      .map((x) => x.toFixed(1))
      .join(' '),
    rows: [],
  };
  for (const detector of args.detectors.split(',')) {
    for (const verifier of args.verifiers.split(',')) {
      const row = { detector, verifier, sources: {} };
      for (const [conv, folder] of Object.entries(sources)) {
        const name = `${detector}-${verifier.replaceAll('/', '_')}-${conv}.json`;
        let text;
        if (args.from && existsSync(join(args.from, name)))
          text = readFileSync(join(args.from, name), 'utf8');
        else {
          process.stderr.write(`eval ${name}\n`);
          text = execFileSync(
            process.execPath,
            [
              join(root, 'bin', 'mask-edge.js'),
              'eval',
              '--pipeline',
              ...data,
              '--seed',
              '1',
              '--split',
              args.split,
              '--min-face',
              '24',
              '--min-detection-size',
              '24',
              '--detector',
              detector,
              '--verifier',
              verifier,
              '--box-convention',
              conv,
              ...(args['tile-above-scale'] !== undefined
                ? ['--tile-above-scale', args['tile-above-scale']]
                : []),
              '--json',
            ],
            { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 },
          );
        }
        const m = JSON.parse(text);
        const s = m.bySource[folder];
        row.threshold = m.minScore;
        row.tileAboveScale = m.tiling?.aboveScale ?? 0;
        row.verifierFile = m.verifier?.path ? relative(root, m.verifier.path) : null;
        row.sources[conv] = {
          photos: s.photos,
          faces: s.faces,
          recall: s.recall,
          precision: s.precision,
          falsePositives: s.falsePositives,
          endToEndAccuracy: s.endToEndAccuracy,
          endToEndBalancedAccuracy: s.endToEndBalancedAccuracy,
          scoreSweep: s.scoreSweep,
        };
      }
      saved.rows.push(row);
    }
  }
  saved.split = args.split;
  saved.command = `node bench/face-verifier-eval.mjs --detectors ${args.detectors} --verifiers ${args.verifiers} --split ${args.split}${args['tile-above-scale'] !== undefined ? ` --tile-above-scale ${args['tile-above-scale']}` : ''}`;
  writeFileSync(jsonPath, `${JSON.stringify(saved, null, 1)}\n`);
}

const { renderLineChartPng } = await import(join(root, 'dist', 'core', 'charts', 'index.js'));
const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
// One detector: its rows (alone, with each verifier). Several detectors with one verifier setting each: a line per
// detector (the first solid, the others dashed).
const detectorsSaved = [...new Set(saved.rows.map((r) => r.detector))];
const byDetector = detectorsSaved.length > 1 && saved.rows.length === detectorsSaved.length;
const first = byDetector ? saved.rows : saved.rows.filter((r) => r.detector === saved.rows[0].detector);
const series = [];
first.forEach((row, i) => {
  for (const [j, conv] of Object.keys(sources).entries()) {
    const pts = row.sources[conv].scoreSweep;
    series.push({
      name: byDetector
        ? `${conv}, ${row.detector}`
        : `${conv}, ${row.verifier === 'none' ? 'detector alone' : 'detector + face verifier'}`,
      x: pts.map((p) => p.precision),
      values: pts.map((p) => p.recall),
      color: colors[j],
      dashed: byDetector ? i > 0 : i === 0,
    });
  }
});
const title = byDetector
  ? `${saved.split === 'val' ? 'validation' : 'held-out test'} photos: recall vs precision, thresholds 0.2-0.9`
  : `${first[0].detector}: recall vs precision, thresholds 0.2-0.9 (dashed: alone; solid: + verifier)`;
writeFileSync(
  join(args.out, 'face-verifier.png'),
  await renderLineChartPng({
    title,
    xLabel: `precision (${saved.split === 'val' ? 'validation' : 'held-out'} photos, faces >= 24 px, IoU 0.5)`,
    yLabel: 'recall',
    yMin: 0,
    yMax: 1,
    width: byDetector ? 1100 : 960,
    height: 560,
    markers: true,
    series,
  }),
);
const lines = [
  '| detector | verifier | threshold | Kaggle recall / precision | ILC recall / precision | Kaggle / ILC end-to-end balanced accuracy | at 0.4: Kaggle | at 0.4: ILC |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
];
for (const r of saved.rows) {
  const k = r.sources.kaggle;
  const c = r.sources.ilc;
  const at = (s, t) => s.scoreSweep.find((p) => Math.abs(p.minScore - t) < 1e-9);
  const f = (p) => (p ? `${pct(p.recall)} / ${pct(p.precision)}` : '-');
  lines.push(
    `| ${r.detector} | ${r.verifier === 'none' ? 'none' : (r.verifierFile ?? 'off')} | ${r.threshold} | ${pct(k.recall)} / ${pct(k.precision)} | ${pct(c.recall)} / ${pct(c.precision)} | ${pct(k.endToEndBalancedAccuracy)} / ${pct(c.endToEndBalancedAccuracy)} | ${f(at(k, 0.4))} | ${f(at(c, 0.4))} |`,
  );
}
console.log(lines.join('\n'));
console.error(`wrote ${jsonPath} and face-verifier.png`);
