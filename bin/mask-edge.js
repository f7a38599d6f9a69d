#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` / `npm pack` through the prepare script).
// It first checks the Node.js version against package.json's `engines` (node:zlib crc32 needs 20.15, the
// development tools 20.19), so an old Node stops with one clear line instead of a missing-export error.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const floor = /(\d+)\.(\d+)/.exec(pkg.engines?.node ?? '') ?? ['', '0', '0'];
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < Number(floor[1]) || (major === Number(floor[1]) && minor < Number(floor[2]))) {
  process.stderr.write(
    `error E_USAGE: mask-edge needs Node.js ${pkg.engines.node} (package.json engines); this is ${process.version} at ${process.execPath}\n`,
  );
  process.exit(2);
}

const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv);
