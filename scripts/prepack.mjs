#!/usr/bin/env node
// `npm pack` / `npm publish` hooks (prepack, postpack). npm runs them around `prepare`, which builds dist/ and
// models/face-detector.onnx, so the tarball holds everything a device needs.
//
//   prepack: writes npm-shrinkwrap.json, a copy of package-lock.json. A published or packed package keeps its
//            shrinkwrap, so `npm install -g mask-edge-X.tgz` installs exactly the dependency versions this
//            project is tested with, and can do it offline from an npm cache that `npm ci` filled (every
//            tarball the lockfile names is in it, by integrity). Without it npm resolves version ranges, which
//            needs the registry's package lists (not in that cache) and may pick untested versions.
//   postpack (--clean): removes it again, so the working tree keeps package-lock.json as its only lockfile.
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shrinkwrap = join(root, 'npm-shrinkwrap.json');
if (process.argv.includes('--clean')) {
  rmSync(shrinkwrap, { force: true });
} else {
  const lock = join(root, 'package-lock.json');
  if (!existsSync(lock)) {
    console.error(`prepack: ${lock} not found; run npm install first`);
    process.exit(1);
  }
  copyFileSync(lock, shrinkwrap);
}
