import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT } from '../../src/core/package-paths.js';

/**
 * Compiles a TypeScript entry (and everything it imports, dynamic imports included) with the project's own
 * tsconfig into a temp folder, so a test can run the real CLI as a child process and signal it. Type errors
 * elsewhere in the tree don't block the test (JavaScript is still emitted); a missing output does.
 */
export function compileCli(entry: string): { script: string; dir: string } {
  const out = mkdtempSync(join(tmpdir(), 'mask-edge-cli-'));
  // the compiled tree finds its package root (version, models/) by its package.json
  copyFileSync(join(PACKAGE_ROOT, 'package.json'), join(out, 'package.json'));
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(out, 'node_modules'));
  const project = join(out, 'tsconfig.json');
  writeFileSync(
    project,
    JSON.stringify({
      extends: join(PACKAGE_ROOT, 'tsconfig.json'),
      compilerOptions: { rootDir: PACKAGE_ROOT, outDir: out, noEmitOnError: false, sourceMap: false },
      files: [entry],
      include: [],
    }),
  );
  const tsc = join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', project], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
  const js = join(out, relative(PACKAGE_ROOT, entry).replace(/\.ts$/, '.js'));
  if (!existsSync(js)) throw new Error(`tsc produced no ${js}:\n${result.stdout}${result.stderr}`);
  return { script: js, dir: out };
}
