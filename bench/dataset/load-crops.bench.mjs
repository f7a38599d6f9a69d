// Time to read + crop every face of the shared data at 128 px: loadCrops without cache, with a cold cache
// (writes it), with a warm cache, against Pillow doing the same crops (decode once per photo) side by side.
// Run: npm run build && node bench/dataset/load-crops.bench.mjs [--size 128]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCrops, readDataset } from '../../dist/core/dataset/index.js';
import { sharedDataDir } from '../../dist/core/package-paths.js';

const here = dirname(fileURLToPath(import.meta.url));
const sizeArg = process.argv.indexOf('--size');
const size = sizeArg > 0 ? Number(process.argv[sizeArg + 1]) : 128;
const shared = sharedDataDir();
if (!shared) {
  console.log('shared data not found (../shared/data or MASK_EDGE_DATA): nothing to measure');
  process.exit(0);
}
const dirs = [join(shared, 'kaggle-face-mask'), join(shared, 'maskedface-net')];
const seconds = (t0) => (performance.now() - t0) / 1000;

let t0 = performance.now();
const { samples } = await readDataset(dirs);
const readS = seconds(t0);
const cacheDir = mkdtempSync(join(tmpdir(), 'mask-edge-crop-cache-'));
const results = [];
try {
  for (const mode of ['no cache', 'cold cache', 'warm cache']) {
    t0 = performance.now();
    const { crops, problems } = await loadCrops(samples, {
      size,
      ...(mode === 'no cache' ? {} : { cacheDir }),
    });
    results.push({ mode, faces: crops.size, problems: problems.length, seconds: seconds(t0) });
  }
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
const peer = spawnSync('/usr/bin/python3', [join(here, 'pil_crops.py'), String(size), '0.15'], {
  input: JSON.stringify(samples.map((s) => ({ path: s.path, box: s.box ?? null }))),
  encoding: 'utf8',
});
const pil = peer.status === 0 ? JSON.parse(peer.stdout.trim()) : undefined;

console.log(
  `read ${samples.length} faces from ${new Set(samples.map((s) => s.path)).size} photos: ${readS.toFixed(2)} s (list, parse XML, SHA-1 every photo)`,
);
for (const r of results) {
  console.log(
    `loadCrops ${size}px ${r.mode.padEnd(10)}: ${r.seconds.toFixed(2)} s, ${(r.faces / r.seconds).toFixed(0)} faces/s (${r.faces} crops, ${r.problems} problems)`,
  );
}
if (pil) {
  const nodeS = results[0].seconds;
  console.log(
    `Pillow ${size}px (peer)     : ${pil.seconds.toFixed(2)} s, ${(pil.faces / pil.seconds).toFixed(0)} faces/s; loadCrops/Pillow speed ratio ${(pil.seconds / nodeS).toFixed(2)}`,
  );
} else {
  console.log(
    `Pillow peer not run: ${peer.stderr?.trim() || peer.error?.message} (apt-get install python3-pil)`,
  );
}
