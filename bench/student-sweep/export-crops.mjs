#!/usr/bin/env node
// Writes a training run's face crops (train/val/test of RUN/split.json, from the crop cache or decoded anew) as
// JPEG mosaics (60 crops per row, q95, no chroma subsampling) + index.json, the input of sweep.py.
//   npm run build && node bench/student-sweep/export-crops.mjs RUN OUT_DIR [SIZE ...]   (default sizes: 64 96)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadCrops, readDataset } from '../../dist/core/dataset/index.js';

const [run, outDir, ...sizeArgs] = process.argv.slice(2);
if (!run || !outDir) {
  process.stderr.write('usage: export-crops.mjs RUN OUT_DIR [SIZE ...]\n');
  process.exit(2);
}
const sizes = sizeArgs.length ? sizeArgs.map(Number) : [64, 96];
const split = JSON.parse(readFileSync(join(run, 'split.json'), 'utf8'));
const runJson = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
const { samples } = await readDataset(runJson.data);
const byId = new Map(samples.map((s) => [s.id, s]));
const order = ['train', 'val', 'test'].flatMap((sp) =>
  split[sp].map((id) => ({ split: sp, sample: byId.get(id) })),
);
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'index.json'),
  JSON.stringify(
    order.map(({ split: sp, sample: s }) => ({ split: sp, label: s.label, format: s.format, id: s.id })),
  ),
);
const COLS = 60;
for (const size of sizes) {
  const { crops } = await loadCrops(
    order.map((o) => o.sample),
    { size, cacheDir: join(homedir(), '.cache', 'mask-edge', 'crops') },
  );
  const rows = Math.ceil(order.length / COLS);
  const W = COLS * size;
  const img = Buffer.alloc(W * rows * size * 3);
  order.forEach(({ sample }, i) => {
    const c = crops.get(sample.id).data;
    const x0 = (i % COLS) * size;
    const y0 = Math.floor(i / COLS) * size;
    for (let y = 0; y < size; y++)
      img.set(c.subarray(y * size * 3, (y + 1) * size * 3), ((y0 + y) * W + x0) * 3);
  });
  const file = join(outDir, `crops${size}.jpg`);
  await sharp(img, { raw: { width: W, height: rows * size, channels: 3 } })
    .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
    .toFile(file);
  process.stdout.write(`${file}: ${order.length} crops at ${size} px\n`);
}
