#!/usr/bin/env node
// Builds models/face-detector.onnx from @vladmandic/face-api's SSD MobileNet v1 weights (node_modules), with the
// settings chosen for real photos (issue 5): input 512 (as trained), score threshold 0.3, NMS IoU 0.5, and the
// box adjustment that maps face-api's forehead-to-chin boxes onto the Kaggle VOC box convention. The adjustment
// was fitted on the train split (seed 0) of ../shared/data/kaggle-face-mask by
//   npx tsc -p tsconfig.build.json && node bench/detector-recall.mjs
// (see bench/RESULTS.md); recall is reported on the held-out test split.
//
//   npm run build:models                      (tsc, then this script with the defaults below)
//   node scripts/build-face-detector.mjs [--out F.onnx] [--input-size 512] [--min-score 0.3] [--iou 0.5]
//       [--max-faces 100] [--box-adjust dx,dy,sw,sh | --box-adjust none]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const SHIPPED = {
  inputSize: 512,
  minScore: 0.3,
  iou: 0.5,
  maxFaces: 100,
  boxAdjust: { dx: 0.023, dy: 0.138, sw: 1.078, sh: 0.873 },
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'models', 'face-detector.onnx') },
    'input-size': { type: 'string', default: String(SHIPPED.inputSize) },
    'min-score': { type: 'string', default: String(SHIPPED.minScore) },
    iou: { type: 'string', default: String(SHIPPED.iou) },
    'max-faces': { type: 'string', default: String(SHIPPED.maxFaces) },
    'box-adjust': { type: 'string' },
  },
});

function parseAdjust(raw) {
  if (raw === undefined) return SHIPPED.boxAdjust;
  if (raw === 'none') return undefined;
  const v = raw.split(',').map(Number);
  if (v.length !== 4 || v.some((x) => !Number.isFinite(x))) {
    console.error(`--box-adjust expects dx,dy,sw,sh or none, got ${raw}`);
    process.exit(2);
  }
  return { dx: v[0], dy: v[1], sw: v[2], sh: v[3] };
}

const { buildFaceDetector } = await import(join(root, 'dist', 'export', 'detector', 'build-face-detector.js'));
const built = await buildFaceDetector({
  out: args.out,
  inputSize: Number(args['input-size']),
  defaults: { minScore: Number(args['min-score']), iou: Number(args.iou), maxFaces: Number(args['max-faces']) },
  boxAdjust: parseAdjust(args['box-adjust']),
});
console.log(
  `wrote ${built.path}: ${(built.bytes / 1e6).toFixed(1)} MB, input ${built.inputSize}, ${built.anchors} anchors, ` +
    `defaults ${built.metadata['mask_edge.defaults']}, box adjust ${built.metadata['mask_edge.box_adjust'] ?? 'none'}`,
);
