#!/usr/bin/env node
// A picture of the detections that overlap no annotated face at all (IoU < 0.1 with every box) on the held-out
// test photos of one source: what "false faces" are there. Runs a zoo detector (its own box fit for --convention)
// over the test split of --data (split with --seed as `train` does) and writes a mosaic of the crops (1.8 x the box,
// 128 px), highest score first, with the count. Evidence for docs/detectors.md ("What a head fine-tune cannot fix").
// The picture is made of the source's photos, so it goes under runs/ (not committed): ILC states no licence.
//
//   npx tsc -p tsconfig.build.json && node scripts/unannotated-detections.mjs
//       [--data DIR ... (default: kaggle-face-mask, ilc-face-mask, maskedface-net: the shipped classifier's split)]
//       [--source ilc-face-mask] [--convention ilc] [--detector ssd-mobilenet-v1-512x384-int8] [--seed 1]
//       [--min-score 0.4] [--tiles 32] [--out runs/unannotated-detections-ilc.png]
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(root, 'dist', p);
const { sharedDataDir } = await import(dist('core/package-paths.js'));
const shared = sharedDataDir() ?? join(root, '..', 'shared', 'data');
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', multiple: true },
    source: { type: 'string', default: 'ilc-face-mask' },
    convention: { type: 'string', default: 'ilc' },
    detector: { type: 'string', default: 'ssd-mobilenet-v1-512x384-int8' },
    seed: { type: 'string', default: '1' },
    'min-score': { type: 'string', default: '0.4' },
    tiles: { type: 'string', default: '32' },
    out: { type: 'string', default: join(root, 'runs', 'unannotated-detections-ilc.png') },
  },
});
const data = args.data ?? ['kaggle-face-mask', 'ilc-face-mask', 'maskedface-net'].map((d) => join(shared, d));
const { readDataset, splitDataset } = await import(dist('core/dataset/index.js'));
const { photosFromSamples, detectPhotos } = await import(dist('edge/eval/detection-recall.js'));
const { boxIou } = await import(dist('edge/eval/detection-matching.js'));
const { openDetector } = await import(dist('edge/inference/detector-zoo.js'));

const { samples } = await readDataset(data);
const test = splitDataset(samples, { seed: Number(args.seed) }).test.filter((s) =>
  resolve(s.source).endsWith(args.source),
);
const photos = photosFromSamples(test);
const { detector } = await openDetector(args.detector, {
  boxConvention: args.convention,
  providers: ['cpu'],
});
const minScore = Number(args['min-score']);
const detected = await detectPhotos(detector, photos, { minScore });
await detector.close();
let kept = 0;
const lonely = [];
for (const p of detected) {
  for (const d of p.detections) {
    if (Math.min(d.box.width, d.box.height) < 24) continue;
    kept += 1;
    if (p.faces.every((f) => boxIou(f.box, d.box) < 0.1)) lonely.push({ path: p.path, ...d });
  }
}
lonely.sort((a, b) => b.score - a.score);
const n = Math.min(Number(args.tiles), lonely.length);
const cols = 8;
const tiles = [];
for (const [i, t] of lonely.slice(0, n).entries()) {
  const image = sharp(t.path).rotate();
  const { width, height } = await image.metadata();
  const r = Math.max(t.box.width, t.box.height) * 0.9;
  const left = Math.max(0, Math.round(t.box.x + t.box.width / 2 - r));
  const top = Math.max(0, Math.round(t.box.y + t.box.height / 2 - r));
  const w = Math.min((width ?? 0) - left, Math.round(2 * r));
  const h = Math.min((height ?? 0) - top, Math.round(2 * r));
  const input = await image.extract({ left, top, width: w, height: h }).resize(128, 128).png().toBuffer();
  tiles.push({ input, left: (i % cols) * 128, top: Math.floor(i / cols) * 128 });
}
mkdirSync(dirname(resolve(args.out)), { recursive: true });
await sharp({
  create: {
    width: cols * 128,
    height: Math.max(1, Math.ceil(n / cols)) * 128,
    channels: 3,
    background: '#000',
  },
})
  .composite(tiles)
  .png()
  .toFile(args.out);
console.log(
  `${args.detector} on the ${photos.length} test photos of ${args.source} (seed ${args.seed}), score >= ${minScore}, ` +
    `>= 24 px: ${kept} detections, ${lonely.length} overlap no annotated face (IoU < 0.1); the first ${n} in ${args.out}`,
);
