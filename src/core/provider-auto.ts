/**
 * Expands `auto` in a provider list: the default chain (tensorrt, cuda, webgpu, cpu) without the GPU providers
 * that cannot work here, decided before onnxruntime is asked: not in this onnxruntime build, their libraries
 * absent (CUDA, TensorRT: gpu-libraries.ts), or no WebGPU adapter (webgpu-adapter.ts). What `auto` leaves out
 * is returned as `skipped` (logged at debug level), never tried and never warned about. Names listed explicitly
 * are kept as they are, so `--providers cuda` still tries CUDA and reports why it failed.
 */
import {
  AUTO_CHAIN,
  AUTO_PROVIDER,
  type BuildBackend,
  findProvider,
  type ProviderName,
  type ProviderOptions,
} from './execution-providers.js';
import { checkProviderLibraries } from './gpu-libraries.js';
import { type AdapterProbe, probeWebGpuAdapter } from './webgpu-adapter.js';

export interface SkippedProvider {
  provider: ProviderName;
  reason: string;
}

export interface ExpandedProviders {
  providers: string[];
  skipped: SkippedProvider[];
  /** true when the list held `auto`. */
  auto: boolean;
}

/** The machine checks `auto` uses; tests replace them. */
export interface AutoChecks {
  libraries(provider: 'cuda' | 'tensorrt', runtimeDir: string): { present: boolean; reason: string };
  adapter(options: ProviderOptions): Promise<AdapterProbe>;
}

export const machineChecks: AutoChecks = {
  libraries: (provider, runtimeDir) => checkProviderLibraries(provider, runtimeDir),
  adapter: (options) => probeWebGpuAdapter(options.powerPreference ?? 'high-performance'),
};

export function isAuto(name: string): boolean {
  return name.trim().toLowerCase() === AUTO_PROVIDER;
}

async function whyNot(
  name: ProviderName,
  build: readonly BuildBackend[],
  runtimeDir: string,
  options: ProviderOptions,
  checks: AutoChecks,
): Promise<string | undefined> {
  if (name === 'cpu') return undefined;
  if (!build.some((b) => b.name === name)) return 'not in this onnxruntime build';
  const problem = findProvider(name)?.optionProblem?.(options);
  if (problem) return problem;
  if (name === 'cuda' || name === 'tensorrt') {
    const libs = checks.libraries(name, runtimeDir);
    return libs.present ? undefined : libs.reason;
  }
  if (name === 'webgpu') {
    const probe = await checks.adapter(options);
    return probe.found ? undefined : (probe.reason ?? 'no WebGPU adapter');
  }
  return undefined;
}

/** Replaces each `auto` by the providers of AUTO_CHAIN that can run here; other names pass through. */
export async function expandProviders(
  requested: readonly string[],
  context: {
    build: readonly BuildBackend[];
    runtimeDir: string;
    options?: ProviderOptions;
    checks?: AutoChecks;
  },
): Promise<ExpandedProviders> {
  const checks = context.checks ?? machineChecks;
  const options = context.options ?? {};
  const providers: string[] = [];
  const skipped: SkippedProvider[] = [];
  let auto = false;
  const seen = new Set<string>();
  const add = (name: string) => {
    const key = findProvider(name)?.name ?? name;
    if (seen.has(key)) return;
    seen.add(key);
    providers.push(name);
  };
  for (const name of requested) {
    if (!isAuto(name)) {
      add(name);
      continue;
    }
    auto = true;
    for (const candidate of AUTO_CHAIN) {
      if (seen.has(candidate)) continue;
      const reason = await whyNot(candidate, context.build, context.runtimeDir, options, checks);
      if (reason === undefined) add(candidate);
      else if (!skipped.some((s) => s.provider === candidate)) skipped.push({ provider: candidate, reason });
    }
  }
  return { providers, skipped, auto };
}

/** One short clause for the "execution provider" line, e.g. 'tensorrt, cuda: libraries not installed'. */
export function summariseSkipped(skipped: readonly SkippedProvider[]): string {
  const short = (s: SkippedProvider) =>
    s.provider === 'webgpu'
      ? 'no GPU adapter'
      : /not in this onnxruntime build/.test(s.reason)
        ? 'not in this build'
        : 'libraries not installed';
  const groups = new Map<string, ProviderName[]>();
  for (const s of skipped) groups.set(short(s), [...(groups.get(short(s)) ?? []), s.provider]);
  return [...groups.entries()].map(([why, names]) => `${names.join(', ')}: ${why}`).join('; ');
}
