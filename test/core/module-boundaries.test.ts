import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/core/package-paths.js';

const SRC = join(PACKAGE_ROOT, 'src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)];
  return specs.map((m) => m[1]!);
}

function topFolder(file: string): string {
  return relative(SRC, file).split('/')[0]!;
}

describe('module boundaries', () => {
  const files = filesUnder(SRC);

  it('core imports from no other folder; train, export and edge import only core', () => {
    const violations: string[] = [];
    for (const file of files) {
      const own = topFolder(file);
      if (own === 'cli') continue;
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = topFolder(join(file, '..', spec));
        if (target !== own && target !== 'core') violations.push(`${relative(SRC, file)} -> ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('edge and core never load TensorFlow.js', () => {
    const violations = files
      .filter((f) => ['edge', 'core'].includes(topFolder(f)))
      .flatMap((f) =>
        importsOf(f)
          .filter((s) => s.includes('tensorflow') || s.includes('face-api'))
          .map((s) => `${relative(SRC, f)} -> ${s}`),
      );
    expect(violations).toEqual([]);
  });

  it('cli loads command implementations lazily (no static import of train/export/edge)', () => {
    const violations: string[] = [];
    for (const file of files.filter((f) => topFolder(f) === 'cli')) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^import\s[^;]*?from\s+['"]([^'"]+)['"]/gms)) {
        if (/\/(train|export|edge)\//.test(m[1]!)) violations.push(`${relative(SRC, file)} -> ${m[1]}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('no source file grows past 450 lines', () => {
    const long = files
      .filter((f) => readFileSync(f, 'utf8').split('\n').length > 450)
      .map((f) => relative(SRC, f));
    expect(long).toEqual([]);
  });
});
