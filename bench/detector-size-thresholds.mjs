#!/usr/bin/env node
// Score thresholds per detection size vs one threshold (issue 11, precision): detects the held-out photos of both
// real sources once (Kaggle: the default training run's test split, kaggle-face-mask + maskedface-net, seed 1;
// ILC: ilc-face-mask's own seeded test split), each with its source's box convention, then scores every rule
// "detections narrower (shorter side) than CUT px need score > SMALL, the others > LARGE" on the same detections:
// faces >= 24 px, IoU 0.5. Prints the rules with the best worst-source precision at >= 70% recall, the uniform
// thresholds, and the false positives by detection size at 0.3.
//
//   npx tsc -p tsconfig.build.json && nice -n 10 node bench/detector-size-thresholds.mjs [--detector NAME]
//       [--min-detection-size 24 (drop detections narrower than this first, as the agent's detection.minFaceSize)]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(join(root, 'dist', p));
const { values: args } = parseArgs({
  options: {
    detector: { type: 'string', default: 'ssd-mobilenet-v1-512' },
    'min-detection-size': { type: 'string', default: '0' },
  },
});
const { readDataset, splitDataset } = await dist('core/dataset/index.js');
const { photosFromSamples, detectPhotos } = await dist('edge/eval/detection-recall.js');
const { summariseDetection, faceSize, matchDetections, sizeBucket } = await dist(
  'edge/eval/detection-matching.js',
);
const { openDetector } = await dist('edge/inference/detector-zoo.js');
const shared = join(root, '..', 'shared', 'data');
const minWidth = Number(args['min-detection-size']);
const sources = {
  kaggle: [join(shared, 'kaggle-face-mask'), join(shared, 'maskedface-net')],
  ilc: [join(shared, 'ilc-face-mask')],
};
const detected = {};
for (const [source, dirs] of Object.entries(sources)) {
  const { samples } = await readDataset(dirs);
  const test = splitDataset(samples, { seed: 1 }).test.filter((s) => s.box);
  const { detector } = await openDetector(args.detector, {
    providers: ['cpu'],
    threads: 1,
    boxConvention: source,
  });
  const photos = await detectPhotos(detector, photosFromSamples(test), { minScore: 0.05 });
  await detector.close();
  detected[source] = photos.map((p) => ({
    ...p,
    detections: p.detections.filter((d) => d.box.width >= minWidth),
  }));
}
const pct = (v) => (v * 100).toFixed(1);
const rows = [];
for (const cut of [0, 32, 48, 64, 96]) {
  for (const small of [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]) {
    for (const large of [0.2, 0.3, 0.4, 0.5, 0.6]) {
      if (cut === 0 && small !== large) continue;
      const r = { cut, small, large };
      for (const [source, photos] of Object.entries(detected)) {
        const kept = photos.map((p) => ({
          ...p,
          detections: p.detections.filter((d) => d.score > (faceSize(d.box) < cut ? small : large)),
        }));
        r[source] = summariseDetection(kept, { iou: 0.5, minFace: 24 });
      }
      rows.push(r);
    }
  }
}
const line = (r) =>
  Object.keys(sources)
    .map((s) => `${s} ${pct(r[s].recall)}% / ${pct(r[s].precision)}%`)
    .join(', ');
const worst = (r, k) => Math.min(...Object.keys(sources).map((s) => r[s][k]));
console.log(
  `${args.detector}, detections >= ${minWidth} px wide; recall / precision, faces >= 24 px, IoU 0.5`,
);
console.log('best worst-source precision at >= 70% recall on both sources:');
for (const r of rows
  .filter((r) => worst(r, 'recall') >= 0.7)
  .sort((a, b) => worst(b, 'precision') - worst(a, 'precision'))
  .slice(0, 12)) {
  console.log(`  under ${r.cut} px > ${r.small}, others > ${r.large}: ${line(r)}`);
}
console.log('one threshold:');
for (const r of rows.filter((r) => r.cut === 0)) console.log(`  > ${r.large}: ${line(r)}`);
for (const [source, photos] of Object.entries(detected)) {
  const fp = {};
  for (const p of photos) {
    const shown = p.detections.filter((d) => d.score > 0.3);
    for (const i of matchDetections(p.faces, shown, { iou: 0.5, minFace: 24 }).falsePositives) {
      const b = sizeBucket(shown[i].box);
      fp[b] = (fp[b] ?? 0) + 1;
    }
  }
  console.log(`${source} false positives at 0.3 by detection size: ${JSON.stringify(fp)}`);
}
