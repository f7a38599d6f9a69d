#!/usr/bin/env node
// Builds models/face-detector.onnx from @vladmandic/face-api's SSD MobileNet v1 weights (node_modules), with the
// settings chosen for real photos (issue 5): input 512 (as trained), score threshold 0.3, NMS IoU 0.5, and the
// box adjustment that maps face-api's forehead-to-chin boxes onto the Kaggle VOC box convention.
//
// The adjustment (four numbers: dx, dy, sw, sh) is fitted here, leak-free, on the TRAIN split of exactly the
// default training run's split: the same data folders (kaggle-face-mask + maskedface-net) and seed
// (TRAIN_DEFAULTS.seed, 1) -> readDataset -> splitDataset -> the train split's Kaggle photos (MaskedFace-Net
// faces have no boxes and take no part). The detector runs on those photos without an adjustment, each
// annotated face >= 24 px is paired with the detection overlapping it most (score >= 0.3, IoU >= 0.3), and the
// adjustment is the median offset/size ratio (src/edge/eval/box-calibration.ts), rounded to 3 decimals.
// Where a training run's split.json is at hand (--split-file, default runs/default/split.json) the script
// refuses to write a model if any fitting photo is in that run's val or test split.
//
//   npm run build:models                      (tsc, then this script: fit on the shared data, build)
//   node scripts/build-face-detector.mjs [--out F.onnx] [--input-size 512] [--min-score 0.3] [--iou 0.5]
//       [--max-faces 100] [--data DIR ... (default: ../shared/data/{kaggle-face-mask,maskedface-net})]
//       [--seed 1] [--split-file runs/default/split.json]
//       [--box-adjust fit | recorded | dx,dy,sw,sh | none]
//   recorded: the numbers of the last fit, models/face-detector.box-adjust.json (what `npm ci` builds with, through
//   `prepare`: the 22 MB model is generated, not committed); a fit to the default output path rewrites that file.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(root, 'dist', p);
const { TRAIN_DEFAULTS } = await import(dist('train/train-options.js'));
const { sharedDataDir } = await import(dist('core/package-paths.js'));

export const SHIPPED = { inputSize: 512, minScore: 0.3, iou: 0.5, maxFaces: 100 };
/** Pairing rules of the fit (see src/edge/eval/box-calibration.ts). */
const FIT = { minScore: SHIPPED.minScore, minIou: 0.3, minFace: 24 };

const shared = sharedDataDir();
const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'models', 'face-detector.onnx') },
    'input-size': { type: 'string', default: String(SHIPPED.inputSize) },
    'min-score': { type: 'string', default: String(SHIPPED.minScore) },
    iou: { type: 'string', default: String(SHIPPED.iou) },
    'max-faces': { type: 'string', default: String(SHIPPED.maxFaces) },
    'box-adjust': { type: 'string', default: 'fit' },
    data: { type: 'string', multiple: true },
    seed: { type: 'string', default: String(TRAIN_DEFAULTS.seed) },
    'split-file': { type: 'string', default: join(root, 'runs', 'default', 'split.json') },
  },
});

function fail(message) {
  console.error(message);
  process.exit(2);
}

const RECORDED = join(root, 'models', 'face-detector.box-adjust.json');

function parseAdjust(raw) {
  if (raw === 'none') return undefined;
  if (raw === 'recorded') {
    const { dx, dy, sw, sh } = JSON.parse(readFileSync(RECORDED, 'utf8'));
    return { dx, dy, sw, sh };
  }
  const v = raw.split(',').map(Number);
  if (v.length !== 4 || v.some((x) => !Number.isFinite(x))) {
    fail(`--box-adjust expects fit, recorded, dx,dy,sw,sh or none, got ${raw}`);
  }
  return { dx: v[0], dy: v[1], sw: v[2], sh: v[3] };
}

const { buildFaceDetector } = await import(dist('export/detector/build-face-detector.js'));
const build = (out, boxAdjust) =>
  buildFaceDetector({
    out,
    inputSize: Number(args['input-size']),
    defaults: {
      minScore: Number(args['min-score']),
      iou: Number(args.iou),
      maxFaces: Number(args['max-faces']),
    },
    boxAdjust,
  });

/** Fits the box adjustment on the default training split's train photos (see the header). */
async function fitAdjust() {
  const dirs =
    args.data ?? (shared ? [join(shared, 'kaggle-face-mask'), join(shared, 'maskedface-net')] : undefined);
  if (!dirs || dirs.some((d) => !existsSync(d))) {
    fail(
      `box adjustment fit needs the training data (${dirs?.join(', ') ?? '../shared/data or MASK_EDGE_DATA'} ` +
        'not found); pass --data DIR..., or --box-adjust dx,dy,sw,sh to reuse recorded numbers ' +
        "(models/face-detector.onnx metadata 'mask_edge.box_adjust')",
    );
  }
  const seed = Number(args.seed);
  const { readDataset, splitDataset } = await import(dist('core/dataset/index.js'));
  const { photosFromSamples, detectPhotos } = await import(dist('edge/eval/detection-recall.js'));
  const { fitBoxAdjust } = await import(dist('edge/eval/box-calibration.js'));
  const { FaceDetector } = await import(dist('edge/inference/face-detector.js'));
  const { samples } = await readDataset(dirs);
  const train = splitDataset(samples, { seed }).train;
  const photos = photosFromSamples(train);
  const fitIds = train.filter((s) => s.box).map((s) => s.id);
  console.log(
    `fitting the box adjustment on the train split (seed ${seed}, data ${dirs.join(', ')}): ` +
      `${photos.length} photos with boxes, ${fitIds.length} faces`,
  );
  if (existsSync(args['split-file'])) {
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
  const tmp = mkdtempSync(join(tmpdir(), 'mask-edge-fit-'));
  try {
    const plain = await build(join(tmp, 'unadjusted.onnx'), undefined);
    const detector = await FaceDetector.open(plain.path, { providers: ['cpu'] });
    try {
      const detected = await detectPhotos(detector, photos, {
        minScore: FIT.minScore,
        onProgress: (done, total) => {
          if (done % 50 === 0 || done === total) process.stderr.write(`  detect ${done}/${total}\n`);
        },
      });
      const fitted = fitBoxAdjust(detected, FIT);
      const adjust = Object.fromEntries(
        ['dx', 'dy', 'sw', 'sh'].map((k) => [k, Number(fitted[k].toFixed(3))]),
      );
      console.log(`box adjustment from ${fitted.pairs} detected faces: ${JSON.stringify(adjust)}`);
      if (args.out === join(root, 'models', 'face-detector.onnx')) {
        const fittedOn = `train split of ${dirs.map((d) => d.split('/').pop()).join(' + ')}, seed ${seed}: ${fitted.pairs} detected faces in ${photos.length} photos`;
        writeFileSync(RECORDED, `${JSON.stringify({ ...adjust, fittedOn }, null, 1)}\n`);
        console.log(`recorded in ${RECORDED}`);
      }
      return adjust;
    } finally {
      await detector.close();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const boxAdjust = args['box-adjust'] === 'fit' ? await fitAdjust() : parseAdjust(args['box-adjust']);
const built = await build(args.out, boxAdjust);
console.log(
  `wrote ${built.path}: ${(built.bytes / 1e6).toFixed(1)} MB, input ${built.inputSize}, ${built.anchors} anchors, ` +
    `defaults ${built.metadata['mask_edge.defaults']}, box adjust ${built.metadata['mask_edge.box_adjust'] ?? 'none'}`,
);
