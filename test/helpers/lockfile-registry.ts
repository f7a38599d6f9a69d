/**
 * A loopback npm registry made of this project's package-lock.json and the local npm cache, so a test can
 * install the packed tarball globally without any outside network.
 *
 * Why not `npm install -g --offline`: offline installs resolve version ranges from cached package documents
 * (packuments), and `npm ci` (what CI runs) never fetches those: it installs straight from the lockfile's
 * tarball URLs. The cache does hold every tarball the lockfile names, by integrity. So this server answers
 * each packument request with the versions the lockfile holds (their dependencies, os/cpu, bin, integrity),
 * and each tarball request with the cached tarball. npm thus installs exactly the tested dependency versions.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

interface LockEntry {
  name?: string;
  version?: string;
  integrity?: string;
  dev?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, unknown>;
  bin?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  engines?: Record<string, string>;
  hasInstallScript?: boolean;
  license?: string;
}

export interface LockfileRegistry {
  url: string;
  /** Required runtime packages whose tarball the npm cache lacks (the install would fail). */
  missing: string[];
  close(): Promise<void>;
}

/** The npm cache folder (`npm config get cache`; under `npm test` npm exports it). */
export function npmCacheDir(): string {
  if (process.env.npm_config_cache) return process.env.npm_config_cache;
  const r = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : join(homedir(), '.npm');
}

/** cacache's content path for an integrity string (`sha512-<base64>`). */
function contentPath(cache: string, integrity: string): string {
  const first = integrity.split(/\s+/)[0]!;
  const dash = first.indexOf('-');
  const algo = first.slice(0, dash);
  const hex = Buffer.from(first.slice(dash + 1), 'base64').toString('hex');
  return join(cache, '_cacache', 'content-v2', algo, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

function fitsPlatform(e: LockEntry): boolean {
  const ok = (list: string[] | undefined, value: string) => {
    if (!list || list.length === 0 || list.includes(`!${value}`)) return !list?.includes(`!${value}`);
    const wanted = list.filter((x) => !x.startsWith('!'));
    return wanted.length === 0 || wanted.includes(value);
  };
  return ok(e.os, process.platform) && ok(e.cpu, process.arch);
}

export async function startLockfileRegistry(
  lockfile: string,
  cache = npmCacheDir(),
): Promise<LockfileRegistry> {
  const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as { packages: Record<string, LockEntry> };
  const byName = new Map<string, Map<string, LockEntry>>();
  const missing: string[] = [];
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (!where || entry.dev || !entry.version || !entry.integrity) continue;
    const name = entry.name ?? where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (!byName.has(name)) byName.set(name, new Map());
    byName.get(name)!.set(entry.version, entry);
    // what npm installed here is what it will install again (this platform's optional packages)
    const needed = existsSync(join(dirname(lockfile), where)) || (!entry.optional && fitsPlatform(entry));
    if (needed && !existsSync(contentPath(cache, entry.integrity))) missing.push(`${name}@${entry.version}`);
  }
  let base = '';
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const tarball = /^\/-\/tarball\/(.+)\/([^/]+)\.tgz$/.exec(path);
    if (tarball) {
      const entry = byName.get(tarball[1]!)?.get(tarball[2]!);
      const file = entry?.integrity ? contentPath(cache, entry.integrity) : '';
      if (!file || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
      return;
    }
    const versions = byName.get(path.slice(1));
    if (!versions) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const name = path.slice(1);
    const docs: Record<string, unknown> = {};
    let latest = '';
    for (const [version, e] of versions) {
      latest = version;
      docs[version] = {
        name,
        version,
        ...(e.dependencies ? { dependencies: e.dependencies } : {}),
        ...(e.optionalDependencies ? { optionalDependencies: e.optionalDependencies } : {}),
        ...(e.peerDependencies ? { peerDependencies: e.peerDependencies } : {}),
        ...(e.peerDependenciesMeta ? { peerDependenciesMeta: e.peerDependenciesMeta } : {}),
        ...(e.bin ? { bin: e.bin } : {}),
        ...(e.os ? { os: e.os } : {}),
        ...(e.cpu ? { cpu: e.cpu } : {}),
        ...(e.libc ? { libc: e.libc } : {}),
        ...(e.engines ? { engines: e.engines } : {}),
        ...(e.hasInstallScript ? { hasInstallScript: true } : {}),
        dist: {
          tarball: `${base}/-/tarball/${encodeURIComponent(name)}/${version}.tgz`,
          integrity: e.integrity,
        },
      };
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ name, 'dist-tags': { latest }, versions: docs }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url: `${base}/`,
    missing,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
