/**
 * Execution providers (EPs), modelled on onnxruntime's own backend registry: each provider is one entry with a
 * contract (canonical name, aliases, the options handed to onnxruntime-node, how to explain a failure), and
 * callers try a priority list, collecting every failure so they can be reported together.
 */
import type { InferenceSession } from 'onnxruntime-common';
import type { PowerPreference } from './webgpu-adapter.js';

/** Canonical provider names, as onnxruntime-node spells them. */
export type ProviderName = 'tensorrt' | 'cuda' | 'webgpu' | 'dml' | 'coreml' | 'cpu';

/**
 * `auto` in a provider list stands for AUTO_CHAIN minus the GPU providers whose libraries (CUDA, TensorRT) or
 * adapter (WebGPU) are not on this machine; they are skipped quietly instead of tried and warned about.
 */
export const AUTO_PROVIDER = 'auto';
export const AUTO_CHAIN: readonly ProviderName[] = ['tensorrt', 'cuda', 'webgpu', 'cpu'];
export const DEFAULT_PROVIDERS: readonly string[] = [AUTO_PROVIDER];

/** What onnxruntime-node reports about its own build (`listSupportedBackends()`). */
export interface BuildBackend {
  name: string;
  /** false: the EP's shared libraries are not shipped in the npm package and must be installed separately. */
  bundled: boolean;
}

export interface ProviderOptions {
  /**
   * GPU index for cuda/tensorrt (default 0). For webgpu only 0: onnxruntime-node's WebGPU provider picks its
   * adapter by `powerPreference` (its device id is a context id that needs a caller-made WebGPU device).
   */
  deviceId?: number;
  /** WebGPU: which adapter Dawn asks for (default high-performance: the discrete GPU where there are two). */
  powerPreference?: PowerPreference;
  /** TensorRT: build FP16 engines (default true on devices, where it is the point of TensorRT). */
  trtFp16?: boolean;
  /** TensorRT: folder for cached engines, so a restart does not rebuild them (minutes on a Jetson). */
  trtEngineCacheDir?: string;
}

export interface ProviderEntry {
  name: ProviderName;
  aliases: readonly string[];
  /** The executionProviders entry passed to onnxruntime-node for this provider. */
  sessionProvider(options: ProviderOptions): InferenceSession.ExecutionProviderConfig;
  /**
   * Environment variables the provider reads at session creation (onnxruntime-node's binding passes only
   * `deviceId` for cuda/tensorrt; the TensorRT EP reads its other settings from ORT_TENSORRT_* variables).
   */
  environment(options: ProviderOptions): Record<string, string>;
  /** Session config entries for this provider (onnxruntime's `ep.<provider>.<key>` form, via `extra`). */
  sessionConfig?(options: ProviderOptions): Record<string, string>;
  /** Why these options cannot work with this provider, before trying it; undefined when they can. */
  optionProblem?(options: ProviderOptions): string | undefined;
}

const gpuProvider = (name: 'cuda' | 'tensorrt') => (options: ProviderOptions) => ({
  name,
  deviceId: options.deviceId ?? 0,
});

/** The registry, in the order of the default priority list. */
export const PROVIDER_REGISTRY: readonly ProviderEntry[] = [
  {
    name: 'tensorrt',
    aliases: ['trt', 'tensorrtexecutionprovider'],
    sessionProvider: gpuProvider('tensorrt'),
    environment: (o) => ({
      ORT_TENSORRT_FP16_ENABLE: o.trtFp16 === false ? '0' : '1',
      ...(o.trtEngineCacheDir
        ? { ORT_TENSORRT_ENGINE_CACHE_ENABLE: '1', ORT_TENSORRT_CACHE_PATH: o.trtEngineCacheDir }
        : {}),
    }),
  },
  {
    name: 'cuda',
    aliases: ['gpu', 'cudaexecutionprovider'],
    sessionProvider: gpuProvider('cuda'),
    environment: () => ({}),
  },
  {
    name: 'webgpu',
    aliases: ['webgpuexecutionprovider'],
    // onnxruntime-node's binding refuses unknown keys on this object (deviceId among them): the adapter choice
    // goes in as session config, where onnxruntime's WebGPU provider reads it.
    sessionProvider: () => ({ name: 'webgpu' }),
    environment: () => ({}),
    sessionConfig: (o) => ({
      powerPreference: o.powerPreference === 'low-power' ? 'LowPower' : 'HighPerformance',
    }),
    optionProblem: (o) =>
      o.deviceId !== undefined && o.deviceId !== 0
        ? `webgpu takes no device index (got deviceId ${o.deviceId}): onnxruntime's WebGPU provider picks the ` +
          "adapter by power preference ('high-performance' or 'low-power'); to pin one GPU of several, limit " +
          'the Vulkan drivers the process sees (VK_DRIVER_FILES)'
        : undefined,
  },
  {
    name: 'dml',
    aliases: ['directml', 'dmlexecutionprovider'],
    sessionProvider: () => 'dml',
    environment: () => ({}),
  },
  {
    name: 'coreml',
    aliases: ['coremlexecutionprovider'],
    sessionProvider: () => 'coreml',
    environment: () => ({}),
  },
  {
    name: 'cpu',
    aliases: ['cpuexecutionprovider'],
    sessionProvider: () => ({ name: 'cpu', useArena: true }),
    environment: () => ({}),
  },
];

/** Maps a configured name ('TensorrtExecutionProvider', 'trt', 'CUDA', ...) to its registry entry. */
export function findProvider(name: string): ProviderEntry | undefined {
  const key = name.trim().toLowerCase();
  if (key === AUTO_PROVIDER) return undefined;
  return PROVIDER_REGISTRY.find((p) => p.name === key || p.aliases.includes(key));
}

/**
 * Why a provider cannot be used with this onnxruntime-node build, before trying it; undefined when it is in
 * the build (it may still fail at session creation, e.g. no GPU).
 */
export function unavailableReason(
  name: string,
  build: readonly BuildBackend[],
  platform = `${process.platform}/${process.arch}`,
): string | undefined {
  const entry = findProvider(name);
  if (!entry) {
    return `unknown execution provider '${name}' (known: ${[AUTO_PROVIDER, ...PROVIDER_REGISTRY.map((p) => p.name)].join(', ')})`;
  }
  if (!build.some((b) => b.name === entry.name)) {
    return (
      `'${entry.name}' is not in this onnxruntime-node build (${platform} has: ${describeBuild(build)}); ` +
      'it needs an onnxruntime built with it (on Jetson: build onnxruntime with --use_tensorrt --use_cuda ' +
      '--build_nodejs and set MASK_EDGE_ONNXRUNTIME to its js/node folder)'
    );
  }
  return undefined;
}

/** Turns onnxruntime's message for a failed provider into one plain sentence saying what to do. */
export function explainFailure(name: ProviderName, message: string, build: readonly BuildBackend[]): string {
  const first = message.split('\n')[0]?.trim() ?? message;
  const bundled = build.find((b) => b.name === name)?.bundled;
  if ((name === 'cuda' || name === 'tensorrt') && /shared library|cannot open shared object/i.test(message)) {
    return (
      `${name} is in this onnxruntime-node build but its libraries are not installed or cannot load ` +
      `(${first})${bundled === false ? '; the npm package does not ship them: reinstall with ONNXRUNTIME_NODE_INSTALL=cuda12, or on Jetson use a custom onnxruntime build via MASK_EDGE_ONNXRUNTIME' : ''}` +
      (name === 'tensorrt' ? '; TensorRT also needs libnvinfer on the library path' : '') +
      ' (docs/execution-providers.md)'
    );
  }
  if (name === 'webgpu' && /adapter/i.test(message)) {
    const why = /Failed to get a WebGPU adapter:?\s*(.*)$/m.exec(message)?.[1]?.trim();
    return (
      `webgpu found no GPU adapter${why ? ` (${why})` : ''}: it runs on Vulkan, which needs the GPU's Vulkan ` +
      'driver and the loader libvulkan.so.1 (docs/execution-providers.md)'
    );
  }
  return first;
}

export function describeBuild(build: readonly BuildBackend[]): string {
  return build.map((b) => (b.bundled ? b.name : `${b.name} (libraries not bundled)`)).join(', ');
}
