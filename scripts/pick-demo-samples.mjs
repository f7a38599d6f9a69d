#!/usr/bin/env node
// Lists Kaggle face-mask photos (CC0) that suit the demo: every annotated face at least --min-face px, found by
// the agent's default detector behind the bundled face verifier, as the agent runs them (IoU >= 0.4, no extra
// detections) and labelled right by the bundled int8 classifier with
// probability >= --min-prob. The chosen ones are copied by hand into samples/demo/ (see docs/demo.md).
//   npx tsc -p tsconfig.build.json && node scripts/pick-demo-samples.mjs [--data DIR] [--min-face 40] [--min-prob 0.8]
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: join(root, '..', 'shared', 'data', 'kaggle-face-mask') },
    'min-face': { type: 'string', default: '40' },
    'min-prob': { type: 'string', default: '0.8' },
  },
});
const { DEFAULT_DETECTOR_NAME, openDetector } = await import(
  join(root, 'dist/edge/inference/detector-zoo.js')
);
const { withVerifier } = await import(join(root, 'dist/edge/inference/face-verifier.js'));
const { MaskClassifier } = await import(join(root, 'dist/edge/inference/mask-classifier.js'));
const { decodeImage } = await import(join(root, 'dist/core/image-io.js'));
const { labelFromAlias } = await import(join(root, 'dist/core/labels.js'));
const opened = await openDetector(DEFAULT_DETECTOR_NAME, { providers: ['cpu'] });
const { detector } = await withVerifier(opened, 'auto', { providers: ['cpu'] });
const classifier = await MaskClassifier.open(join(root, 'models/mask-classifier.int8.onnx'), {
  providers: ['cpu'],
});
const minFace = Number(args['min-face']);
const minProb = Number(args['min-prob']);

const iou = (a, b) => {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  return inter / (a.width * a.height + b.width * b.height - inter);
};
const num = (xml, tag) => Number(new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(xml)[1]);

for (const file of readdirSync(join(args.data, 'annotations')).sort()) {
  const xml = readFileSync(join(args.data, 'annotations', file), 'utf8');
  const faces = [...xml.matchAll(/<object>([\s\S]*?)<\/object>/g)].map(([, o]) => {
    const x = num(o, 'xmin');
    const y = num(o, 'ymin');
    return {
      label: labelFromAlias(/<name>([^<]+)<\/name>/.exec(o)[1]),
      box: { x, y, width: num(o, 'xmax') - x, height: num(o, 'ymax') - y },
    };
  });
  if (faces.length === 0 || faces.length > 4) continue;
  if (faces.some((f) => Math.min(f.box.width, f.box.height) < minFace)) continue;
  const image = await decodeImage(join(args.data, 'images', file.replace(/\.xml$/, '.jpg')));
  const found = await detector.detect(image);
  if (found.length !== faces.length) continue;
  const matched = faces.map((f) =>
    found.reduce((best, d) => (iou(d.box, f.box) > iou(best.box, f.box) ? d : best)),
  );
  if (matched.some((d, i) => iou(d.box, faces[i].box) < 0.4) || new Set(matched).size !== faces.length)
    continue;
  const labels = await classifier.classifyFaces(
    image,
    matched.map((d) => d.box),
  );
  if (labels.some((c, i) => c.label !== faces[i].label || c.score < minProb)) continue;
  console.log(
    `${file.replace(/\.xml$/, '.jpg')}\t${image.width}x${image.height}\t${faces.map((f, i) => `${f.label}:${labels[i].score.toFixed(2)}:${Math.min(f.box.width, f.box.height)}px`).join(' ')}`,
  );
}
await detector.close?.();
