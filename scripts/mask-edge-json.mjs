// Runs this checkout's CLI (`bin/mask-edge.js`) and parses what it prints with --json; stderr (progress) passes
// through. Shared by the scripts that generate the README and model-card tables from `mask-edge eval --json`.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'mask-edge.js');

export function maskEdgeJson(argv) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`mask-edge ${argv.join(' ')} exited with ${code}`));
      else resolvePromise(JSON.parse(out));
    });
  });
}
