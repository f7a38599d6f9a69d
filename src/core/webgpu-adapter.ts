/**
 * Is there a WebGPU adapter here? Asked of Dawn (the `webgpu` npm package, the same Dawn onnxruntime-node's
 * WebGPU provider and tfjs's WebGPU training backend run on), in a child process: Dawn prints Vulkan loader
 * warnings straight to stderr when it finds no driver, and a probe must not print. On Linux, where Dawn uses
 * Vulkan, a machine without a Vulkan loader or driver manifest is answered without starting Dawn at all.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageDir } from './package-paths.js';

export type PowerPreference = 'high-performance' | 'low-power';
export const POWER_PREFERENCES: readonly PowerPreference[] = ['high-performance', 'low-power'];

export interface AdapterProbe {
  found: boolean;
  /** e.g. 'nvidia hopper NVIDIA H100 80GB HBM3 (vulkan)'; set when found. */
  description?: string;
  /** Why there is none, in one sentence; set when not found. */
  reason?: string;
}

/** Folders the Vulkan loader reads driver (ICD) manifests from on Linux, in its order. */
export function vulkanIcdDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const configDirs = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':');
  const dataDirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':');
  return [
    ...configDirs.map((d) => join(d, 'vulkan', 'icd.d')),
    '/etc/vulkan/icd.d',
    ...dataDirs.map((d) => join(d, 'vulkan', 'icd.d')),
    '/usr/local/share/vulkan/icd.d',
    '/usr/share/vulkan/icd.d',
  ].filter((d, i, all) => d.length > 0 && all.indexOf(d) === i);
}

/**
 * Why Dawn cannot find a Vulkan adapter here, without starting it; undefined when a loader and at least one
 * driver manifest exist (Dawn may still find no usable adapter: Debian 12's lavapipe lacks a feature it needs).
 */
export function vulkanMissingReason(
  env: NodeJS.ProcessEnv = process.env,
  hasLoader: () => boolean = defaultHasLoader,
): string | undefined {
  if (!hasLoader()) return 'no Vulkan loader (libvulkan.so.1) on the library path';
  const explicit = [env.VK_DRIVER_FILES, env.VK_ICD_FILENAMES, env.VK_ADD_DRIVER_FILES]
    .filter((v): v is string => typeof v === 'string' && v.length > 0)
    .flatMap((v) => v.split(':'));
  if (explicit.some((f) => existsSync(f))) return undefined;
  const manifests = vulkanIcdDirs(env).flatMap((d) => {
    try {
      return readdirSync(d).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
  });
  if (manifests.length === 0) {
    return 'no Vulkan driver installed (no ICD manifest in /etc/vulkan/icd.d, /usr/share/vulkan/icd.d or $VK_DRIVER_FILES)';
  }
  return undefined;
}

function defaultHasLoader(): boolean {
  const triplet = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d.length > 0),
    `/lib/${triplet}`,
    `/usr/lib/${triplet}`,
    '/usr/lib64',
    '/usr/lib',
    '/lib',
  ];
  if (dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')))) return true;
  return false;
}

/** The child's program: ask Dawn for an adapter, print one JSON line. */
const PROBE = `
const [, url, power, ...dawnOptions] = process.argv;
const { create } = await import(url);
const gpu = create(dawnOptions);
const adapter = await gpu.requestAdapter({ powerPreference: power });
if (!adapter) { console.log(JSON.stringify({ found: false })); process.exit(0); }
const i = adapter.info ?? {};
console.log(JSON.stringify({ found: true, info: [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ') }));
process.exit(0);
`;

const probes = new Map<string, Promise<AdapterProbe>>();

/**
 * Asks Dawn for an adapter with this power preference (cached per process). `dawnOptions` are Dawn's own
 * (`backend=vulkan`, `adapter=NAME`, ...); tests pass `backend=null` to get Dawn's null adapter here.
 */
export function probeWebGpuAdapter(
  power: PowerPreference = 'high-performance',
  dawnOptions: readonly string[] = [],
): Promise<AdapterProbe> {
  const key = `${power}|${dawnOptions.join(',')}`;
  const cached = probes.get(key);
  if (cached) return cached;
  const probe = runProbe(power, dawnOptions);
  probes.set(key, probe);
  return probe;
}

async function runProbe(power: PowerPreference, dawnOptions: readonly string[]): Promise<AdapterProbe> {
  const nullBackend = dawnOptions.includes('backend=null');
  if (process.platform === 'linux' && !nullBackend) {
    const missing = vulkanMissingReason();
    if (missing) return { found: false, reason: missing };
  }
  let url: string;
  try {
    url = pathToFileURL(join(packageDir('webgpu'), 'index.js')).href;
  } catch {
    return { found: false, reason: "the 'webgpu' package (Dawn) is not installed" };
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', PROBE, url, power, ...dawnOptions],
      { timeout: 20_000, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          const parsed = JSON.parse(line) as { found: boolean; info?: string };
          if (parsed.found) resolve({ found: true, description: parsed.info || 'unnamed adapter' });
          else resolve({ found: false, reason: `Dawn found no WebGPU adapter${firstWarning(stderr)}` });
        } catch {
          const why = err?.killed ? 'timed out after 20 s' : (stderr.trim().split('\n')[0] ?? err?.message);
          resolve({ found: false, reason: `the WebGPU adapter probe failed: ${why}` });
        }
      },
    );
  });
}

function firstWarning(stderr: string): string {
  const line = stderr
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0 && !l.startsWith('at '));
  return line ? ` (${line.replace(/^Warning:\s*/, '')})` : '';
}

/** Test hook: forget cached probes. */
export function resetAdapterProbes(): void {
  probes.clear();
}
