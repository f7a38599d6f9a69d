import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT } from '../../src/core/package-paths.js';

/**
 * Compiles a TypeScript entry file (and what it imports) with the project's tsc into a temp folder, so a
 * test can run it as a real child process (to SIGKILL it, for instance). Returns the compiled .js path.
 */
export function compileChild(entry: string): string {
  const out = mkdtempSync(join(tmpdir(), 'mask-edge-child-'));
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(out, 'node_modules'));
  const tsc = join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, entry, '--outDir', out, '--rootDir', PACKAGE_ROOT, '--module', 'NodeNext'];
  args.push('--moduleResolution', 'NodeNext', '--target', 'ES2022', '--skipLibCheck', '--types', 'node');
  const result = spawnSync(process.execPath, args, { cwd: PACKAGE_ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tsc failed for ${entry}:\n${result.stdout}${result.stderr}`);
  return join(out, relative(PACKAGE_ROOT, entry).replace(/\.ts$/, '.js'));
}
