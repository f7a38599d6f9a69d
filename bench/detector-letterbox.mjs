#!/usr/bin/env node
// Detector preprocessing per frame, side by side in one process: FaceDetector's pure-JS pad-to-square + bilinear
// resize + normalisation into the NCHW tensor (face-api's exact resize), vs the sharp resize + extend + normalise
// it replaced. Demo photos (1920 px wide) and the first Kaggle photos (~400 px, upscaled). Median of rounds.
//
//   npx tsc -p tsconfig.build.json && node bench/detector-letterbox.mjs [--rounds 7]
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(root, 'dist', p);
const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } });
const sharp = createRequire(join(root, 'package.json'))('sharp');
const { decodeImage, normalise } = await import(dist('core/image-io.js'));
const { packageDir } = await import(dist('core/package-paths.js'));
const { letterbox } = await import(dist('edge/inference/detector-input.js'));

const contract = {
  inputSize: 512,
  scale: true,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
  colorOrder: 'RGB',
  fill: 0,
};
const sets = { 'demo 1920 px': [], 'kaggle ~400 px': [] };
for (let i = 1; i <= 6; i++) {
  sets['demo 1920 px'].push(
    await decodeImage(join(packageDir('@vladmandic/face-api'), 'demo', `sample${i}.jpg`)),
  );
}
const kaggle = join(root, '..', 'shared', 'data', 'kaggle-face-mask', 'images');
try {
  for (const f of readdirSync(kaggle).sort().slice(0, 20))
    sets['kaggle ~400 px'].push(await decodeImage(join(kaggle, f)));
} catch {
  delete sets['kaggle ~400 px'];
}

/** The replaced path: sharp linear resize to fit, extend bottom/right, then normalise. */
async function viaSharp(img) {
  const fit = 512 / Math.max(img.width, img.height);
  const w = Math.round(img.width * fit);
  const h = Math.round(img.height * fit);
  const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(w, h, { fit: 'fill', kernel: 'linear' })
    .extend({ right: 512 - w, bottom: 512 - h, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer();
  return normalise({ width: 512, height: 512, data }, { mean: contract.mean, std: contract.std });
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
async function time(frames, fn) {
  await fn(frames[0]);
  const per = [];
  for (let r = 0; r < Number(args.rounds); r++) {
    const t = performance.now();
    for (const f of frames) await fn(f);
    per.push((performance.now() - t) / frames.length);
  }
  return median(per);
}

console.log(`median of ${args.rounds} rounds, load ${loadavg()[0].toFixed(1)}`);
console.log('| photos | pure-JS bilinear (face-api exact) ms/frame | sharp + normalise ms/frame | ratio |');
console.log('| --- | --- | --- | --- |');
for (const [name, frames] of Object.entries(sets)) {
  const ours = await time(frames, (f) => letterbox(f, contract));
  const peer = await time(frames, viaSharp);
  console.log(
    `| ${name} (${frames.length}) | ${ours.toFixed(1)} | ${peer.toFixed(1)} | ${(peer / ours).toFixed(2)}x |`,
  );
}
