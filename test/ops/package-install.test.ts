/**
 * The way from a clone to a device, as a user takes it: `npm pack`, `npm install -g` of the tarball into a
 * temporary prefix with no outside network, then `mask-edge demo` and `mask-edge install-agent --root` from the
 * installed copy (not from this checkout). Slow (a minute or two: the install unpacks ~100 packages), so it runs
 * once, as one test.
 *
 * The tarball is packed with --ignore-scripts: `npm pack` would run `prepare` (tsc + the detector build), which
 * `npm ci` has already done for this checkout; the test checks that dist/ and the detector are in the tarball.
 * Dependencies come from a loopback registry built from package-lock.json and the npm cache that `npm ci`
 * filled (test/helpers/lockfile-registry.ts explains why not `--offline`).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/core/package-paths.js';
import { type LockfileRegistry, startLockfileRegistry } from '../helpers/lockfile-registry.js';

const NPM = spawnSync('npm', ['--version'], { encoding: 'utf8' }).status === 0;
const BUILT =
  existsSync(join(PACKAGE_ROOT, 'dist', 'cli', 'main.js')) &&
  existsSync(join(PACKAGE_ROOT, 'models', 'face-detector.onnx'));
if (!NPM) console.warn('[skip] npm not on PATH: the pack-and-install test is skipped');
if (NPM && !BUILT)
  console.warn(
    '[skip] dist/ or models/face-detector.onnx missing (run npm ci or npm run prepare): pack test skipped',
  );

/** The environment every npm/mask-edge child gets: no npm_* from an outer `npm test`, no GPU download. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, ONNXRUNTIME_NODE_INSTALL: 'skip', NO_COLOR: '1', ...extra };
}

/** Runs a program asynchronously (the loopback registry answers from this process, so never spawnSync). */
function sh(cmd: string, args: string[], cwd: string, timeout = 400_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { cwd, env: childEnv(), encoding: 'utf8', timeout, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(`${cmd} ${args.join(' ')} failed (${err.code ?? err.signal}):\n${stdout}\n${stderr}`),
          );
        else resolve(stdout);
      },
    );
  });
}

describe.skipIf(!NPM || !BUILT)(
  'npm pack, npm install -g of the tarball, then the installed mask-edge',
  () => {
    let registry: LockfileRegistry | undefined;
    afterAll(async () => registry?.close());

    it('installs offline from the tarball and runs demo and install-agent from the installed copy', async () => {
      const work = mkdtempSync(join(tmpdir(), 'mask-edge-pack-'));
      const packed = JSON.parse(
        await sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], PACKAGE_ROOT),
      ) as { filename: string; files: { path: string }[] }[];
      const files = packed[0]!.files.map((f) => f.path);
      for (const needed of [
        'bin/mask-edge.js',
        'dist/cli/main.js',
        'dist/edge/agent/agent-command.js',
        'models/face-detector.onnx',
        'models/mask-classifier.int8.onnx',
        'configs/agent.example.yaml',
        'systemd/mask-edge-agent.service',
        'README.md',
        'LICENSE',
      ]) {
        expect(files).toContain(needed);
      }
      expect(files.some((f) => f.startsWith('samples/demo/'))).toBe(true);
      expect(files.filter((f) => /^(src|test|bench|scripts)\/|\.map$/.test(f))).toEqual([]);

      registry = await startLockfileRegistry(join(PACKAGE_ROOT, 'package-lock.json'));
      if (registry.missing.length > 0) {
        throw new Error(
          `the npm cache lacks tarballs the lockfile needs (run npm ci first): ${registry.missing.join(', ')}`,
        );
      }
      const prefix = join(work, 'prefix');
      // cwd outside the checkout: no project .npmrc, as on a device
      await sh(
        'npm',
        [
          'install',
          '--global',
          '--prefix',
          prefix,
          '--registry',
          registry.url,
          '--cache',
          join(work, 'npm-cache'),
          '--no-audit',
          '--no-fund',
          '--no-update-notifier',
          join(work, packed[0]!.filename),
        ],
        work,
      );
      const bin = join(prefix, 'bin', 'mask-edge');
      const installedRoot = join(prefix, 'lib', 'node_modules', 'mask-edge');
      // a real copy, not a link back into the checkout (which ProtectHome would hide from the service)
      expect(realpathSync(bin)).toBe(join(realpathSync(installedRoot), 'bin', 'mask-edge.js'));

      const demo = await sh(bin, ['demo', '--out', join(work, 'demo')], work);
      expect(demo).toMatch(/^mask-edge demo:/m);
      expect(demo).toMatch(/^check: (\d+) of \1 faces reported with their annotated label$/m);
      expect(demo).toMatch(/^demo finished: /m);
      expect(existsSync(join(work, 'demo', 'annotated'))).toBe(true);

      const root = join(work, 'root');
      const install = await sh(bin, ['install-agent', '--root', root], work);
      expect(install).toContain('systemctl enable --now mask-edge-agent');
      const unit = readFileSync(join(root, 'etc/systemd/system/mask-edge-agent.service'), 'utf8');
      expect(unit).toContain(
        `ExecStart=${process.execPath} ${join(realpathSync(installedRoot), 'bin', 'mask-edge.js')} agent`,
      );
      expect(existsSync(join(root, 'opt/mask-edge/models/face-detector.onnx'))).toBe(true);
    }, 600_000);
  },
);
