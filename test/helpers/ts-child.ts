import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT } from '../../src/core/package-paths.js';

/**
 * Compiles a TypeScript entry file (and what it imports) with the project's tsc into a temp folder, so a
 * test can run it as a real child process (to SIGKILL it, for instance). Returns the compiled .js path.
 */
export function compileChild(entry: string): string {
  const out = mkdtempSync(join(tmpdir(), 'mask-edge-child-'));
  // The compiled tree is its own package root (PACKAGE_ROOT): give it the real name, version and assets.
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  writeFileSync(
    join(out, 'package.json'),
    JSON.stringify({ name: pkg.name, version: pkg.version, type: 'module' }),
  );
  for (const name of ['node_modules', 'models', 'configs', 'systemd']) {
    if (existsSync(join(PACKAGE_ROOT, name))) symlinkSync(join(PACKAGE_ROOT, name), join(out, name));
  }
  const tsc = join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, entry, '--outDir', out, '--rootDir', PACKAGE_ROOT, '--module', 'NodeNext'];
  args.push('--moduleResolution', 'NodeNext', '--target', 'ES2022', '--lib', 'ES2023', '--strict');
  args.push('--skipLibCheck', '--types', 'node', '--sourceMap');
  // Type errors are the typecheck's job; emit regardless and fail only when nothing was emitted.
  const result = spawnSync(process.execPath, args, { cwd: PACKAGE_ROOT, encoding: 'utf8' });
  const compiled = join(out, relative(PACKAGE_ROOT, entry).replace(/\.ts$/, '.js'));
  if (!existsSync(compiled)) throw new Error(`tsc failed for ${entry}:\n${result.stdout}${result.stderr}`);
  return compiled;
}
