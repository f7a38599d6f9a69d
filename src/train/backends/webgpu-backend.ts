/**
 * The `webgpu` training backend: tfjs's WebGPU backend (@tensorflow/tfjs-backend-webgpu) on Dawn, the WebGPU
 * implementation the `webgpu` npm package ships prebuilt (linux x64/arm64, macOS, Windows). On Linux Dawn
 * runs on Vulkan, so any GPU with a Vulkan driver trains here; no CUDA, no libtensorflow download.
 *
 * Starting it: ask Dawn for an adapter first (in a child process, core/webgpu-adapter.ts, so a machine without
 * one fails fast and quietly with the reason and the registry moves on to the next backend), then install
 * Dawn's `navigator.gpu` and WebGPU globals as tfjs-backend-webgpu expects them in a browser, register the
 * backend factory (the package registers its own only when `navigator.gpu` exists at its import, so this one
 * does not depend on import order), check that every kernel training needs is registered for webgpu, and
 * switch tfjs to it.
 *
 * Gradients: tfjs registers gradient functions once for all backends; they call kernels by name, so what
 * a backend needs is those kernels. The project's wasm-only replacements (wasm-gradient-kernels.ts:
 * Conv2DBackpropFilter, Conv2DBackpropInput, MaxPoolGrad) are registered for 'wasm' only; tfjs-backend-webgpu
 * has its own shaders for all three. WEBGPU_TRAINING_KERNELS lists the kernels the student's and the
 * teachers' training steps run (recorded on the cpu backend by test/train/webgpu-backend.test.ts, which fails
 * when the list falls behind the code).
 *
 * Settings (environment, as the device is a property of the machine, not of the run):
 *  - MASK_EDGE_WEBGPU_POWER=high-performance|low-power: which adapter Dawn asks for (default high-performance).
 *  - MASK_EDGE_DAWN_OPTIONS=opt,opt: Dawn's own options, e.g. `adapter=NAME` to pick one GPU of several,
 *    `backend=vulkan`; tests use `backend=null` (Dawn's null adapter: runs every kernel, computes nothing).
 */
import * as tf from '@tensorflow/tfjs';
import { MaskEdgeError } from '../../core/errors.js';
import { POWER_PREFERENCES, type PowerPreference, probeWebGpuAdapter } from '../../core/webgpu-adapter.js';
import type { BackendCandidate } from './backend.js';

export const WEBGPU_POWER_ENV = 'MASK_EDGE_WEBGPU_POWER';
export const DAWN_OPTIONS_ENV = 'MASK_EDGE_DAWN_OPTIONS';

/**
 * Kernels the training steps run (forward and backward): the student CNN and the from-scratch teacher
 * (Conv2D + BatchNorm + LeakyReLU + MaxPool + Dense), the feature teachers' heads, the frozen face-api
 * backbones' forward pass, the distillation losses and AdamW.
 */
export const WEBGPU_TRAINING_KERNELS: readonly string[] = [
  'Add',
  'AvgPool',
  'BatchMatMul',
  'Cast',
  'Concat',
  'Conv2D',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNative',
  'Exp',
  'ExpandDims',
  'Fill',
  'FusedBatchNorm',
  'FusedConv2D',
  'Greater',
  'Identity',
  'LeakyRelu',
  'Log',
  'Max',
  'MaxPool',
  'MaxPoolGrad',
  'Mean',
  'Multiply',
  'Neg',
  'OneHot',
  'Pack',
  'PadV2',
  'RealDiv',
  'Relu',
  'Reshape',
  'Rsqrt',
  'Select',
  'Slice',
  'Sqrt',
  'Square',
  'Sub',
  'Sum',
  'ZerosLike',
  '_FusedMatMul',
];

/** Kernels of `names` that no package registered for the webgpu backend. */
export function missingWebgpuKernels(names: readonly string[] = WEBGPU_TRAINING_KERNELS): string[] {
  return names.filter((name) => !tf.getKernel(name, 'webgpu'));
}

export interface WebgpuSettings {
  power: PowerPreference;
  dawnOptions: string[];
}

export function webgpuSettings(env: NodeJS.ProcessEnv = process.env): WebgpuSettings {
  const power = (env[WEBGPU_POWER_ENV] || 'high-performance') as PowerPreference;
  if (!POWER_PREFERENCES.includes(power)) {
    throw new MaskEdgeError('E_CONFIG', `${WEBGPU_POWER_ENV} must be high-performance or low-power`, {
      detail: { [WEBGPU_POWER_ENV]: env[WEBGPU_POWER_ENV], allowed: [...POWER_PREFERENCES] },
    });
  }
  const dawnOptions = (env[DAWN_OPTIONS_ENV] ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
  return { power, dawnOptions };
}

interface DawnModule {
  create(options: string[]): unknown;
  globals: Record<string, unknown>;
}

/** The parts of WebGPU's adapter the backend factory reads (typed here: no DOM types in this project). */
interface GpuAdapterLike {
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  info?: unknown;
  requestDevice(descriptor: unknown): Promise<unknown>;
}

interface GpuLike {
  requestAdapter(options: { powerPreference: PowerPreference }): Promise<GpuAdapterLike | null>;
}

type WebgpuBackendClass = new (device: unknown, adapterInfo?: unknown) => tf.KernelBackend;

/** Puts Dawn's GPU at `navigator.gpu` and its WebGPU classes/constants (GPUBufferUsage, ...) on globalThis. */
function installWebGpuGlobals(dawn: DawnModule, dawnOptions: string[]): GpuLike {
  const g = globalThis as Record<string, unknown>;
  for (const [key, value] of Object.entries(dawn.globals)) if (!(key in g)) g[key] = value;
  const nav = g.navigator as Record<string, unknown> | undefined;
  if (nav?.gpu) return nav.gpu as GpuLike;
  const gpu = dawn.create(dawnOptions) as GpuLike;
  // Node 21+ has a navigator without gpu; Node 20 has none
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  return gpu;
}

/**
 * The backend factory, as tfjs-backend-webgpu's own (which registers only when navigator.gpu exists at its
 * import): an adapter by power preference, a device with the adapter's compute limits, the WebGPU backend.
 */
function backendFactory(
  gpu: GpuLike,
  power: PowerPreference,
  Backend: WebgpuBackendClass,
  failed: { error?: string },
) {
  return async (): Promise<tf.KernelBackend> => {
    try {
      const adapter = await gpu.requestAdapter({ powerPreference: power });
      if (!adapter) throw new Error('Dawn returned no adapter');
      const limits = adapter.limits;
      const device = await adapter.requestDevice({
        requiredFeatures: ['timestamp-query'].filter((f) => adapter.features.has(f)),
        requiredLimits: Object.fromEntries(
          [
            'maxComputeWorkgroupStorageSize',
            'maxComputeWorkgroupsPerDimension',
            'maxStorageBufferBindingSize',
            'maxBufferSize',
            'maxComputeWorkgroupSizeX',
            'maxComputeInvocationsPerWorkgroup',
          ].map((k) => [k, limits[k]]),
        ),
      });
      return new Backend(device, adapter.info);
    } catch (err) {
      failed.error = (err as Error).message ?? String(err);
      throw err;
    }
  };
}

/** Imports a package by a runtime name (keeps the WebGPU DOM types of 'webgpu' out of the compile). */
async function importByName(name: string): Promise<unknown> {
  return import(name);
}

export const webgpuCandidate: BackendCandidate = {
  name: 'webgpu',
  async start() {
    const { power, dawnOptions } = webgpuSettings();
    const probe = await probeWebGpuAdapter(power, dawnOptions);
    if (!probe.found) throw new Error(probe.reason ?? 'no WebGPU adapter');
    const failed: { error?: string } = {};
    if (!tf.findBackendFactory('webgpu')) {
      const { WebGPUBackend } = (await importByName('@tensorflow/tfjs-backend-webgpu')) as {
        WebGPUBackend: WebgpuBackendClass;
      };
      const gpu = installWebGpuGlobals((await importByName('webgpu')) as DawnModule, dawnOptions);
      if (!tf.findBackendFactory('webgpu')) {
        tf.registerBackend('webgpu', backendFactory(gpu, power, WebGPUBackend, failed), 3);
      }
    }
    const missing = missingWebgpuKernels();
    if (missing.length > 0) {
      throw new Error(`tfjs's WebGPU backend lacks kernels training needs: ${missing.join(', ')}`);
    }
    tf.env().set('WEBGPU_USE_LOW_POWER_GPU', power === 'low-power');
    const ok = await tf.setBackend('webgpu');
    if (!ok || tf.getBackend() !== 'webgpu') {
      const why = failed.error ? `: ${failed.error}` : '';
      throw new Error(
        `tfjs could not start its WebGPU backend on ${probe.description ?? 'the adapter'}${why}`,
      );
    }
    await tf.ready();
    const nullAdapter = dawnOptions.includes('backend=null');
    return {
      name: 'webgpu',
      tfjsName: 'webgpu',
      device: nullAdapter
        ? "Dawn's null adapter (computes nothing: tests only)"
        : `GPU (WebGPU on Dawn: ${probe.description ?? 'unnamed adapter'}, ${power})`,
    };
  },
};
