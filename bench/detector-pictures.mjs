#!/usr/bin/env node
// Pictures of the face detector on held-out Kaggle photos (test split, seed 0), for the model card:
// each row is one photo, left = before (face-api's settings: score 0.5, its own boxes), right = after (the bundled
// models/face-detector.onnx). Annotated faces >= --min-face px are drawn in their label colour, solid when found,
// dashed when missed; detections in blue with their score (a blue box alone = no annotated face there).
// Rows: the photos where the change found the most faces, then the photos the bundled detector still misses most in.
//
//   npx tsc -p tsconfig.build.json && node bench/detector-pictures.mjs [--out DIR] [--rows 4] [--min-face 24]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(root, 'dist', p);
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: join(root, '..', 'shared', 'data', 'kaggle-face-mask') },
    out: { type: 'string', default: join(tmpdir(), 'mask-edge-detector-pictures') },
    rows: { type: 'string', default: '4' },
    'min-face': { type: 'string', default: '24' },
  },
});
const { readDataset, splitDataset } = await import(dist('core/dataset/index.js'));
const { decodeImage, resizeRgb } = await import(dist('core/image-io.js'));
const { annotateImage } = await import(dist('core/annotate-image.js'));
const { MODELS_DIR } = await import(dist('core/package-paths.js'));
const { buildFaceDetector } = await import(dist('export/detector/build-face-detector.js'));
const { FaceDetector } = await import(dist('edge/inference/face-detector.js'));
const { detectPhotos, photosFromSamples } = await import(dist('edge/eval/detection-recall.js'));
const { matchDetections } = await import(dist('edge/eval/detection-matching.js'));

const minFace = Number(args['min-face']);
const rows = Number(args.rows);
const { samples } = await readDataset([args.data]);
const photos = photosFromSamples(splitDataset(samples, { seed: 0 }).test);
const tmp = mkdtempSync(join(tmpdir(), 'mask-edge-pictures-'));
const before = await FaceDetector.open((await buildFaceDetector({ out: join(tmp, 'before.onnx') })).path, {
  providers: ['cpu'],
});
const after = await FaceDetector.open(join(MODELS_DIR, 'face-detector.onnx'), { providers: ['cpu'] });
const runs = { before: await detectPhotos(before, photos), after: await detectPhotos(after, photos) };
await before.close();
await after.close();
rmSync(tmp, { recursive: true, force: true });

const matched = photos.map((p, i) => ({
  photo: p,
  before: runs.before[i],
  after: runs.after[i],
  mb: matchDetections(p.faces, runs.before[i].detections, { iou: 0.5, minFace }),
  ma: matchDetections(p.faces, runs.after[i].detections, { iou: 0.5, minFace }),
}));
const gain = [...matched].sort(
  (a, b) => b.ma.matches.length - b.mb.matches.length - (a.ma.matches.length - a.mb.matches.length),
);
const misses = [...matched].sort((a, b) => b.ma.missed.length - a.ma.missed.length);
const chosen = [...new Set([...gain.slice(0, Math.ceil(rows / 2)), ...misses])].slice(0, rows);

async function panel(photo, run, match, caption) {
  const frame = await decodeImage(photo.path);
  const found = new Set(match.matches.map((m) => m.truth));
  const faces = photo.faces.flatMap((f, j) =>
    match.ignoredFaces.includes(j) ? [] : [{ box: f.box, label: f.label, text: '', dashed: !found.has(j) }],
  );
  const dets = run.detections.map((d) => ({
    box: d.box,
    label: 'face',
    text: d.score.toFixed(2),
    color: '#2c7bb6',
  }));
  const scale = 480 / frame.width;
  const resized = await resizeRgb(frame, 480, Math.round(frame.height * scale));
  const s = (b) => ({ x: b.x * scale, y: b.y * scale, width: b.width * scale, height: b.height * scale });
  const all = [...faces, ...dets].map((a) => ({ ...a, box: s(a.box) }));
  return { jpeg: await annotateImage(resized, all, { caption }), width: 480, height: resized.height };
}

mkdirSync(args.out, { recursive: true });
const tiles = [];
for (const c of chosen) {
  const counted = c.photo.faces.length - c.ma.ignoredFaces.length;
  const left = await panel(
    c.photo,
    c.before,
    c.mb,
    `before: ${c.mb.matches.length}/${counted} faces, score 0.5`,
  );
  const right = await panel(
    c.photo,
    c.after,
    c.ma,
    `after: ${c.ma.matches.length}/${counted} faces, bundled`,
  );
  tiles.push({ left, right, height: Math.max(left.height, right.height) });
}
const gap = 8;
const width = 480 * 2 + gap;
const height = tiles.reduce((h, t) => h + t.height + gap, 0);
const composites = [];
let y = 0;
for (const t of tiles) {
  composites.push({ input: t.left.jpeg, left: 0, top: y }, { input: t.right.jpeg, left: 480 + gap, top: y });
  y += t.height + gap;
}
const sheet = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
  .composite(composites)
  .png()
  .toBuffer();
const file = join(args.out, 'detector-before-after.png');
writeFileSync(file, sheet);
console.log(`wrote ${file} (${tiles.length} photos from the held-out test split)`);
