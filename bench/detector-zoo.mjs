#!/usr/bin/env node
// Recall and precision vs speed of every detector in the zoo (issue 11), on held-out photos of both real sources:
//   kaggle: the test split of the default training run (--data kaggle-face-mask --data maskedface-net --seed 1,
//           exactly `mask-edge train`'s split; MaskedFace-Net has no boxes and only takes part in the split);
//   ilc:    the seeded test split of ilc-face-mask alone (--seed 1; no model was trained on ILC, its train split
//           only fitted the detectors' ILC box convention).
// For each detector and source: `mask-edge eval --pipeline --detector NAME --box-convention SOURCE --min-face 24
// --json` (faces >= 24 px, IoU 0.5, the score sweep in its JSON), and once per detector `mask-edge bench
// --detector NAME --only detector --providers cpu --threads 1,2 --batches 1 --json`. Writes
// docs/results/detector-zoo.json, docs/results/detector-zoo.png (recall vs precision by score threshold) and
// docs/results/detector-speed.png (recall vs ms per frame), and prints the markdown table.
//
//   npx tsc -p tsconfig.build.json && nice -n 10 node bench/detector-zoo.mjs [--detectors a,b] [--sources kaggle,ilc]
//       [--min-detection-size 24 (drop narrower detections, as the agent's detection.minFaceSize)]
//       [--speed-from saved.json (reuse its bench figures)] [--render]   (--render: table and charts from the saved JSON only)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(join(root, 'dist', p));
const { values: args } = parseArgs({
  options: {
    detectors: { type: 'string' },
    sources: { type: 'string', default: 'kaggle,ilc' },
    render: { type: 'boolean', default: false },
    'min-detection-size': { type: 'string', default: '0' },
    'speed-from': { type: 'string' },
    out: { type: 'string', default: join(root, 'docs', 'results') },
  },
});
const { zooDetectorNames } = await dist('edge/inference/detector-zoo.js');
const { renderLineChartPng } = await dist('core/charts/index.js');
const shared = join(root, '..', 'shared', 'data');
const SOURCES = {
  kaggle: {
    data: [join(shared, 'kaggle-face-mask'), join(shared, 'maskedface-net')],
    note: 'Kaggle, test split of the default training run (seed 1)',
  },
  ilc: { data: [join(shared, 'ilc-face-mask')], note: 'ILC, seeded test split (seed 1; never trained on)' },
};
const jsonPath = join(args.out, 'detector-zoo.json');
const cli = join(root, 'bin', 'mask-edge.js');
const run = (argv) =>
  JSON.parse(
    execFileSync(process.execPath, [cli, ...argv], {
      maxBuffer: 64 << 20,
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );

let saved;
if (args.render) {
  saved = JSON.parse(readFileSync(jsonPath, 'utf8'));
} else {
  const detectors = args.detectors ? args.detectors.split(',') : zooDetectorNames();
  const sources = args.sources.split(',');
  saved = {
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, loadAtStart: loadavg()[0] },
    command: `node bench/detector-zoo.mjs --min-detection-size ${args['min-detection-size']}`,
    minDetectionSize: Number(args['min-detection-size']),
    sources: Object.fromEntries(sources.map((s) => [s, SOURCES[s].note])),
    detectors: [],
  };
  for (const name of detectors) {
    const entry = { name, sources: {} };
    for (const source of sources) {
      const argv = ['eval', '--pipeline', '--detector', name, '--box-convention', source, '--min-face', '24'];
      for (const d of SOURCES[source].data) argv.push('--data', d);
      argv.push(
        '--seed',
        '1',
        '--threads',
        '1',
        '--min-detection-size',
        args['min-detection-size'],
        '--json',
      );
      if (SOURCES[source].data.some((d) => !existsSync(d))) throw new Error(`data missing for ${source}`);
      const started = performance.now();
      const r = run(argv);
      const seconds = (performance.now() - started) / 1000;
      entry.inputSize = r.detector.inputSize;
      entry.sources[source] = {
        command: `mask-edge ${argv.join(' ').replaceAll(`${shared}/`, '../shared/data/')}`,
        photos: r.photos,
        faces: r.faces,
        minScore: r.minScore,
        iou: r.detector.iou,
        boxAdjust: r.detector.boxAdjust,
        recall: r.recall,
        precision: r.precision,
        detected: r.detected,
        falsePositives: r.falsePositives,
        recallBySize: r.recallBySize,
        recallByLabel: r.recallByLabel,
        endToEndAccuracy: r.endToEndAccuracy,
        mAP50: r.mAP50,
        scoreSweep: r.scoreSweep,
        evalSeconds: seconds,
      };
      console.error(`${name} ${source}: recall ${r.recall.toFixed(3)} precision ${r.precision.toFixed(3)}`);
    }
    const reused = args['speed-from']
      ? JSON.parse(readFileSync(args['speed-from'], 'utf8')).detectors.find((d) => d.name === name)?.speed
      : undefined;
    const bench = reused
      ? { results: [] }
      : run([
          'bench',
          '--detector',
          name,
          '--only',
          'detector',
          '--providers',
          'cpu',
          '--threads',
          '1,2',
          '--batches',
          '1',
          '--repeats',
          '5',
          '--json',
        ]);
    entry.speed =
      reused ??
      bench.results
        .filter((r) => r.model === 'detector' && r.detector === name)
        .map((r) => ({
          threads: r.threads,
          imagesPerSec: r.imagesPerSec,
          p50Ms: r.p50Ms,
          imagesPerCpuSec: r.imagesPerCpuSec,
        }));
    console.error(
      `${name}: ${entry.speed.map((s) => `${s.threads} thr ${s.p50Ms.toFixed(1)} ms`).join(', ')}`,
    );
    saved.detectors.push(entry);
  }
  writeFileSync(jsonPath, `${JSON.stringify(saved, null, 1)}\n`);
}

const pct = (v) => `${(v * 100).toFixed(1)}%`;
const one = (d) => d.speed.find((s) => s.threads === 1) ?? d.speed[0];
const names = Object.keys(saved.sources);
const lines = [
  `| detector | input | CPU ms/frame (1 thread) | frames per CPU-second | wall ms/frame (p50, shared machine) | ${names.map((s) => `${s} recall | ${s} precision`).join(' | ')} | ${names.map((s) => `${s} masked recall`).join(' | ')} |`,
  `| --- | --- | --- | --- | --- | ${names.map(() => '--- | ---').join(' | ')} | ${names.map(() => '---').join(' | ')} |`,
];
for (const d of saved.detectors) {
  const s = one(d);
  const cells = names.map((n) => {
    const r = d.sources[n];
    return `${pct(r.recall)} (${r.detected}/${r.faces}) | ${pct(r.precision)}`;
  });
  const masked = names.map((n) => {
    const c = d.sources[n].recallByLabel.correct;
    return c ? pct(c.recall) : '-';
  });
  lines.push(
    `| ${d.name} | ${d.inputSize} | ${(1000 / s.imagesPerCpuSec).toFixed(1)} | ${s.imagesPerCpuSec.toFixed(1)} | ${s.p50Ms.toFixed(1)} | ${cells.join(' | ')} | ${masked.join(' | ')} |`,
  );
}
console.log(lines.join('\n'));

// Best precision reachable at recall >= 88% on every source, per detector, from the score sweep.
console.log('\nscore threshold sweep (recall / precision):');
for (const d of saved.detectors) {
  for (const n of names) {
    const pts = d.sources[n].scoreSweep.map((p) => `${p.minScore}: ${pct(p.recall)} / ${pct(p.precision)}`);
    console.log(`- ${d.name} ${n}: ${pts.join(', ')}`);
  }
}

const colors = ['#2563eb', '#16a34a', '#9333ea', '#dc2626', '#d97706', '#0891b2'];
const series = [];
saved.detectors.forEach((d, i) => {
  for (const [j, n] of names.entries()) {
    const pts = d.sources[n].scoreSweep;
    series.push({
      name: `${d.name} ${n} (${(1000 / one(d).imagesPerCpuSec).toFixed(0)} CPU ms)`,
      x: pts.map((p) => p.precision),
      values: pts.map((p) => p.recall),
      color: colors[i % colors.length],
      dashed: j > 0,
    });
  }
});
writeFileSync(
  join(args.out, 'detector-zoo.png'),
  await renderLineChartPng({
    title: `Detector zoo: recall vs precision by score 0.2-0.9; faces >= 24 px, IoU 0.5${saved.minDetectionSize ? `, detections >= ${saved.minDetectionSize} px wide` : ''}`,
    xLabel: 'precision (solid: Kaggle test split, dashed: ILC test split)',
    yLabel: 'recall',
    yMin: 0,
    yMax: 1,
    width: 960,
    height: 560,
    series,
  }),
);
const cpuMs = (d) => 1000 / one(d).imagesPerCpuSec;
const bySpeed = [...saved.detectors].sort((a, b) => cpuMs(a) - cpuMs(b));
writeFileSync(
  join(args.out, 'detector-speed.png'),
  await renderLineChartPng({
    title: 'Recall (score 0.3, faces >= 24 px) vs CPU ms per frame',
    width: 960,
    xLabel: 'CPU ms per frame (1000 / frames per CPU-second)',
    yLabel: 'recall, faces >= 24 px',
    yMin: 0,
    yMax: 1,
    markers: true,
    series: names.map((n, j) => ({
      name: `${n} (${bySpeed.map((d) => d.name.replace('ssd-mobilenet-v1', 'ssd')).join(', ')})`,
      x: bySpeed.map(cpuMs),
      values: bySpeed.map((d) => d.sources[n].recall),
      color: colors[j],
    })),
  }),
);
console.error(`wrote ${jsonPath}, detector-zoo.png, detector-speed.png`);
