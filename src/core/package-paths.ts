import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The mask-edge package root (works from src/ under vitest and from dist/ when installed). */
export const PACKAGE_ROOT = findRoot(here);

function findRoot(start: string): string {
  let dir = start;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'core'))) return dir;
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'dist', 'core'))) return dir;
    dir = dirname(dir);
  }
  return resolve(start, '..', '..');
}

/** Bundled models the agent and demo load by default. */
export const MODELS_DIR = join(PACKAGE_ROOT, 'models');

export const requireFromPackage = createRequire(join(PACKAGE_ROOT, 'package.json'));

/** Folder of an installed npm package (its package.json's directory). */
export function packageDir(name: string): string {
  return dirname(requireFromPackage.resolve(`${name}/package.json`));
}

/** The shared data folder beside a checkout (`../shared/data`), or MASK_EDGE_DATA; undefined when absent. */
export function sharedDataDir(): string | undefined {
  const candidates = [process.env.MASK_EDGE_DATA, join(PACKAGE_ROOT, '..', 'shared', 'data')].filter(
    (p): p is string => typeof p === 'string' && p.length > 0,
  );
  return candidates.find((p) => existsSync(p));
}
