/**
 * Are a GPU execution provider's libraries on this machine? Checked before onnxruntime is asked, so a CPU-only
 * machine does not try (and warn about) CUDA and TensorRT on every command. File presence only, as the dynamic
 * loader would search: the provider's own library next to the onnxruntime binding, then the NVIDIA libraries it
 * needs in $LD_LIBRARY_PATH, the ldconfig cache and the default library folders. A library that is present but
 * of the wrong version still fails at session creation, and that failure is reported as before.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What a provider needs, by soname prefix (any version matches; the bundled runtime wants the ones noted). */
export const PROVIDER_LIBRARIES = {
  cuda: {
    own: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'],
    // onnxruntime-node 1.30 (npm, linux/x64): CUDA 12.x, cuDNN 9.x; the driver's libcuda.so.1
    system: ['libcuda.so', 'libcudart.so', 'libcublas.so', 'libcublasLt.so', 'libcufft.so', 'libcudnn.so'],
  },
  tensorrt: {
    own: [
      'libonnxruntime_providers_shared.so',
      'libonnxruntime_providers_cuda.so',
      'libonnxruntime_providers_tensorrt.so',
    ],
    // TensorRT 10 (libnvinfer.so.10) plus everything CUDA needs
    system: [
      'libcuda.so',
      'libcudart.so',
      'libcublas.so',
      'libcudnn.so',
      'libnvinfer.so',
      'libnvinfer_plugin.so',
      'libnvonnxparser.so',
    ],
  },
} as const;

export type NativeGpuProvider = keyof typeof PROVIDER_LIBRARIES;

/** Where the dynamic loader looks (besides the ldconfig cache), in its order. */
export function librarySearchDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d.length > 0);
  const triplet = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  return [...fromEnv, `/lib/${triplet}`, `/usr/lib/${triplet}`, '/lib64', '/usr/lib64', '/lib', '/usr/lib'];
}

let ldconfigCache: string[] | undefined;

/** Sonames in the ldconfig cache (`ldconfig -p`), read once per process; empty where ldconfig is missing. */
export function ldconfigLibraries(): string[] {
  if (ldconfigCache) return ldconfigCache;
  ldconfigCache = [];
  for (const bin of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    try {
      const out = execFileSync(bin, ['-p'], {
        encoding: 'utf8',
        timeout: 3000,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      ldconfigCache = out
        .split('\n')
        .map((line) => /^\s*(\S+)\s/.exec(line)?.[1])
        .filter((name): name is string => name?.includes('.so') === true);
      break;
    } catch {
      // try the next location
    }
  }
  return ldconfigCache;
}

function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The first place a library with this soname prefix (e.g. 'libcudnn.so') is found, or undefined. */
export function findSystemLibrary(
  prefix: string,
  options: { dirs?: string[]; cache?: string[] } = {},
): string | undefined {
  for (const dir of options.dirs ?? librarySearchDirs()) {
    const hit = filesIn(dir).find((f) => f === prefix || f.startsWith(`${prefix}.`));
    if (hit) return join(dir, hit);
  }
  const cached = (options.cache ?? ldconfigLibraries()).find(
    (f) => f === prefix || f.startsWith(`${prefix}.`),
  );
  return cached ? `${cached} (ldconfig cache)` : undefined;
}

/** The folder holding onnxruntime_binding.node under an onnxruntime Node package (searched under bin/). */
export function bindingDir(runtimeDir: string): string | undefined {
  const platform = join(runtimeDir, 'bin');
  const walk = (dir: string, depth: number): string | undefined => {
    if (existsSync(join(dir, 'onnxruntime_binding.node'))) return dir;
    if (depth === 0) return undefined;
    for (const name of filesIn(dir)) {
      const sub = join(dir, name);
      try {
        if (!statSync(sub).isDirectory()) continue;
      } catch {
        continue;
      }
      // prefer this machine's platform folder when several are shipped
      if (['linux', 'darwin', 'win32'].includes(name) && name !== process.platform) continue;
      if (['x64', 'arm64', 'ia32', 'arm'].includes(name) && name !== process.arch) continue;
      const found = walk(sub, depth - 1);
      if (found) return found;
    }
    return undefined;
  };
  return walk(platform, 4);
}

export interface LibraryCheck {
  provider: NativeGpuProvider;
  present: boolean;
  /** What is missing, in one sentence (empty when present). */
  reason: string;
  found: string[];
}

/** Checks a CUDA/TensorRT provider's own libraries next to the binding and the NVIDIA libraries it loads. */
export function checkProviderLibraries(
  provider: NativeGpuProvider,
  runtimeDir: string,
  options: { dirs?: string[]; cache?: string[] } = {},
): LibraryCheck {
  const need = PROVIDER_LIBRARIES[provider];
  const binDir = bindingDir(runtimeDir);
  const found: string[] = [];
  const missingOwn = need.own.filter((lib) => {
    const path = binDir ? join(binDir, lib) : undefined;
    if (path && existsSync(path)) {
      found.push(path);
      return false;
    }
    return true;
  });
  if (missingOwn.length > 0) {
    return {
      provider,
      present: false,
      found,
      reason: `${missingOwn.join(', ')} not installed next to the onnxruntime binding${binDir ? ` (${binDir})` : ''}`,
    };
  }
  const missingSystem = need.system.filter((prefix) => {
    const hit = findSystemLibrary(prefix, options);
    if (hit) found.push(hit);
    return hit === undefined;
  });
  if (missingSystem.length > 0) {
    return {
      provider,
      present: false,
      found,
      reason: `${missingSystem.map((p) => `${p}.*`).join(', ')} not found on the library path`,
    };
  }
  return { provider, present: true, found, reason: '' };
}

/** Test hook: forget the ldconfig cache. */
export function resetLibraryCache(): void {
  ldconfigCache = undefined;
}
