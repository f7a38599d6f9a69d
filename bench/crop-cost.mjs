#!/usr/bin/env node
// What the agent's per-face crops cost, side by side in one process on the same decoded frames: the classifier's
// crop (box + 15% margin, squared, to 48 px) and the face verifier's (1.6 x the box, 48 px), each made by
// `cropFace`/`cropResizeLinear` of this build and, as peers, by sharp (cropRgb + a linear-kernel resize, the
// classifier's crop before this bench) and by the same functions of another build (--peer-dist, e.g. the previous
// commit's dist/). CPU microseconds per crop (process.cpuUsage: sharp's worker threads included), interleaved
// rounds so load changes hit every row alike.
//
//   npx tsc -p tsconfig.build.json && node bench/crop-cost.mjs [--rounds 5] [--peer-dist DIR] [--json]
import { readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    'peer-dist': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const io = await import(join(root, 'dist', 'core', 'image-io.js'));
const peer = args['peer-dist'] ? await import(join(args['peer-dist'], 'core', 'image-io.js')) : undefined;
const { verifierCropBox, VERIFIER_CONTEXT } = await import(
  join(root, 'dist', 'core', 'face-verifier-spec.js')
);

// The demo photos, each with face-sized boxes over a grid (40-160 px: the sizes a 640x480 camera sees).
const demo = join(root, 'samples', 'demo');
const frames = [];
for (const f of readdirSync(demo)
  .filter((n) => n.endsWith('.jpg'))
  .sort()) {
  const image = await io.decodeImage(join(demo, f));
  const boxes = [];
  for (const side of [40, 80, 160])
    for (let y = 0; y + side <= image.height; y += 97)
      for (let x = 0; x + side <= image.width; x += 131)
        boxes.push({ x: x + 0.5, y: y + 0.25, width: side, height: side * 1.2 });
  frames.push({ image, boxes });
}
const crops = frames.reduce((n, f) => n + f.boxes.length, 0);
const SIZE = 48;
const MARGIN = 0.15;
const sharpCrop = (image, box) =>
  io.resizeRgb(io.cropRgb(image, io.expandBox(box, image.width, image.height, MARGIN, true)), SIZE, SIZE);
const rows = [
  {
    name: 'classifier crop: cropFace (pure JS, this build)',
    run: (im, b) => io.cropFace(im, b, SIZE, MARGIN),
  },
  { name: 'classifier crop: sharp (crop + linear resize)', run: sharpCrop },
  {
    name: 'verifier crop: cropResizeLinear (this build)',
    run: (im, b) => io.cropResizeLinear(im, verifierCropBox(b, VERIFIER_CONTEXT), SIZE),
  },
];
if (peer)
  rows.push({
    name: `verifier crop: cropResizeLinear (${args['peer-dist']})`,
    run: (im, b) => peer.cropResizeLinear(im, verifierCropBox(b, VERIFIER_CONTEXT), SIZE),
  });
for (const r of rows) r.cpuUs = [];
for (let round = 0; round < Number(args.rounds); round++) {
  for (const r of rows) {
    const c0 = process.cpuUsage();
    for (const f of frames) await Promise.all(f.boxes.map((b) => r.run(f.image, b)));
    const c = process.cpuUsage(c0);
    if (round > 0) r.cpuUs.push((c.user + c.system) / crops); // round 0 warms up
  }
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const result = {
  machine: `${cpus().length} x ${cpus()[0]?.model}`,
  loadavg: loadavg()
    .map((x) => x.toFixed(1))
    .join(' '),
  crops,
  rows: rows.map((r) => ({ name: r.name, cpuUsPerCrop: median(r.cpuUs) })),
};
if (args.json) console.log(JSON.stringify(result));
else {
  console.log(
    `${crops} crops per round over ${frames.length} photos, ${result.machine}, load ${result.loadavg}`,
  );
  for (const r of result.rows)
    console.log(`${r.name.padEnd(60)} ${r.cpuUsPerCrop.toFixed(0).padStart(6)} CPU us/crop`);
}
