#!/usr/bin/env node
// What the face verifier costs per frame, side by side in one process on the same decoded photos: the detector
// alone at its threshold (box adjustment on), and the detector at the verifier's candidate score + the verifier
// on every candidate box (crop, resize, one batched ONNX call) + NMS. CPU ms per frame (process.cpuUsage) is the
// figure to read on a shared machine; wall ms beside it.
//
//   npx tsc -p tsconfig.build.json && node bench/face-verifier-cost.mjs [--verifier models/face-verifier.onnx]
//       [--photos demo|test] [--rounds 3] [--threads 1] [--json]
// --photos test: the held-out photos (seed 1) of ../shared/data kaggle-face-mask and ilc-face-mask, first 40 each.
import { existsSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(root, 'dist', p);
const { values: args } = parseArgs({
  options: {
    verifier: { type: 'string', default: join(root, 'models', 'face-verifier.onnx') },
    photos: { type: 'string', default: 'demo' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
});
const { decodeImage } = await import(dist('core/image-io.js'));
const { openDetector } = await import(dist('edge/inference/detector-zoo.js'));
const { FaceVerifier, VerifiedFaceDetector } = await import(dist('edge/inference/face-verifier.js'));

let paths;
if (args.photos === 'test') {
  const { readDataset } = await import(dist('core/dataset/index.js'));
  const { selectSamples } = await import(dist('edge/eval/sample-selection.js'));
  const shared = join(root, '..', 'shared', 'data');
  const dirs = ['kaggle-face-mask', 'ilc-face-mask', 'maskedface-net'].map((d) => join(shared, d));
  const { samples } = await readDataset(dirs, {});
  const test = (await selectSamples(samples, { seed: 1, split: 'test' })).samples.filter((s) => s.box);
  paths = ['kaggle-face-mask', 'ilc-face-mask'].flatMap((src) =>
    [...new Set(test.filter((s) => s.source.endsWith(src)).map((s) => s.path))].slice(0, 40),
  );
} else {
  const demo = join(root, 'samples', 'demo');
  paths = readdirSync(demo)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => join(demo, f));
}
if (!existsSync(args.verifier)) throw new Error(`no verifier at ${args.verifier} (mask-edge train-verifier)`);
const frames = [];
for (const p of paths) frames.push(await decodeImage(p));
const session = { providers: ['cpu'], threads: Number(args.threads) };
const plain = (await openDetector('ssd-mobilenet-v1-512', session)).detector;
const raw = (await openDetector('ssd-mobilenet-v1-512', { ...session, boxConvention: 'none' })).detector;
const verified = new VerifiedFaceDetector(raw, await FaceVerifier.open(args.verifier, session));

const rounds = Number(args.rounds);
async function measure(name, detector) {
  await detector.detect(frames[0]);
  let cpu = 0;
  let wall = 0;
  let boxes = 0;
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (const f of frames) boxes += (await detector.detect(f)).length;
    wall += performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1000;
  }
  const n = rounds * frames.length;
  return { name, cpuMsPerFrame: cpu / n, wallMsPerFrame: wall / n, facesPerFrame: boxes / n };
}
// interleaved: A B A B ... so load changes hit both alike
const rows = { alone: [], verified: [] };
for (let i = 0; i < 2; i++) {
  rows.alone.push(await measure('detector alone (score 0.3)', plain));
  rows.verified.push(await measure('detector + face verifier', verified));
}
const avg = (list) => ({
  name: list[0].name,
  cpuMsPerFrame: list.reduce((a, r) => a + r.cpuMsPerFrame, 0) / list.length,
  wallMsPerFrame: list.reduce((a, r) => a + r.wallMsPerFrame, 0) / list.length,
  facesPerFrame: list.reduce((a, r) => a + r.facesPerFrame, 0) / list.length,
});
const a = avg(rows.alone);
const v = avg(rows.verified);
const candidates = frames.length
  ? (verified.rejected + v.facesPerFrame * frames.length * rounds * 2) / (frames.length * rounds * 2)
  : 0;
const result = {
  machine: `${cpus().length} x ${cpus()[0]?.model}`,
  loadavg: loadavg()
    .map((x) => x.toFixed(1))
    .join(' '),
  photos: frames.length,
  source: args.photos,
  threads: Number(args.threads),
  rows: [a, v],
  verifierCpuMsPerFrame: v.cpuMsPerFrame - a.cpuMsPerFrame,
  verifiedBoxesPerFrame: candidates,
};
if (args.json) console.log(JSON.stringify(result));
else {
  console.log(
    `${result.photos} photos (${args.photos}), ${result.machine}, load ${result.loadavg}, ${args.threads} thread(s)`,
  );
  for (const r of result.rows)
    console.log(
      `${r.name.padEnd(28)} CPU ${r.cpuMsPerFrame.toFixed(1)} ms/frame  wall ${r.wallMsPerFrame.toFixed(1)} ms  faces/frame ${r.facesPerFrame.toFixed(2)}`,
    );
  console.log(
    `verifier adds ${result.verifierCpuMsPerFrame.toFixed(1)} CPU ms per frame (${candidates.toFixed(1)} candidate boxes per frame)`,
  );
}
await Promise.all([plain.close(), verified.close()]);
