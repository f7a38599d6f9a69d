#!/usr/bin/env node
// Face detector speed, side by side in one process: the ONNX SSD MobileNet v1 (FaceDetector on ONNX Runtime CPU,
// letterbox + inference + decoding + NMS) vs face-api's own SSD MobileNet v1 on tfjs-wasm (the reference), on the
// same decoded photos. Median ms per photo over rounds; the ratio is what to read on a shared machine.
//
//   npx tsc -p tsconfig.build.json && node bench/detector-speed.mjs [--rounds 3] [--threads 1,2] [--arch ssd,tiny]
//       [--photos demo|kaggle] [--json]
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(root, 'dist', p);
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1,2' },
    arch: { type: 'string', default: 'ssd,tiny' },
    photos: { type: 'string', default: 'demo' },
    json: { type: 'boolean', default: false },
  },
});
const require = createRequire(join(root, 'package.json'));
const { decodeImage } = await import(dist('core/image-io.js'));
const { packageDir } = await import(dist('core/package-paths.js'));
const { buildFaceDetector } = await import(dist('export/detector/build-face-detector.js'));
const { FaceDetector } = await import(dist('edge/inference/face-detector.js'));

const faceApiDir = packageDir('@vladmandic/face-api');
const paths =
  args.photos === 'demo'
    ? [1, 2, 3, 4, 5, 6].map((i) => join(faceApiDir, 'demo', `sample${i}.jpg`))
    : readdirSync(join(root, '..', 'shared', 'data', 'kaggle-face-mask', 'images'))
        .sort()
        .slice(0, 20)
        .map((f) => join(root, '..', 'shared', 'data', 'kaggle-face-mask', 'images', f));
const frames = [];
for (const p of paths) frames.push(await decodeImage(p));
const rounds = Number(args.rounds);
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function timeIt(fn) {
  await fn(frames[0]); // warm-up
  const perRound = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (const f of frames) await fn(f);
    perRound.push((performance.now() - t) / frames.length);
  }
  return median(perRound);
}

const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm').setWasmPaths(`${packageDir('@tensorflow/tfjs-backend-wasm')}/dist/`);
await tf.setBackend('wasm');
await tf.ready();
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
await faceapi.nets.ssdMobilenetv1.loadFromDisk(join(faceApiDir, 'model'));
await faceapi.nets.tinyFaceDetector.loadFromDisk(join(faceApiDir, 'model'));
const ARCH = {
  ssd: { size: 512, faceApi: new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 }) },
  tiny: { size: 416, faceApi: new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 }) },
};

const rows = [];
for (const arch of args.arch.split(',')) {
  const { size, faceApi } = ARCH[arch];
  const faceApiMs = await timeIt(async (f) => {
    const t = tf.tensor3d(f.data, [f.height, f.width, 3], 'int32');
    await faceapi.detectAllFaces(t, faceApi);
    t.dispose();
  });
  rows.push({ arch, engine: 'face-api tfjs-wasm', size, threads: 1, ms: faceApiMs, ref: faceApiMs });
  const built = await buildFaceDetector({
    out: join(tmpdir(), `mask-edge-speed-${arch}.onnx`),
    architecture: arch,
  });
  for (const threads of args.threads.split(',').map(Number)) {
    const det = await FaceDetector.open(built.path, { providers: ['cpu'], threads });
    const ms = await timeIt((f) => det.detect(f, { minScore: 0.5 }));
    await det.close();
    rows.push({ arch, engine: 'mask-edge ONNX Runtime CPU', size, threads, ms, ref: faceApiMs });
  }
}
if (args.json) {
  console.log(
    JSON.stringify({ photos: args.photos, frames: frames.length, rounds, loadavg: loadavg()[0], rows }),
  );
} else {
  console.log(
    `${frames.length} ${args.photos} photos (${frames[0].width}x${frames[0].height}...), median of ${rounds} rounds, load ${loadavg()[0].toFixed(1)}`,
  );
  console.log('| detector | engine | input | threads | ms/photo | speed-up vs face-api |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.arch} | ${r.engine} | ${r.size} | ${r.threads} | ${r.ms.toFixed(0)} | ${(r.ref / r.ms).toFixed(2)}x |`,
    );
  }
}
