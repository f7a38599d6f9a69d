/**
 * Loads onnxruntime-node, or a custom build of it: on Jetson the npm package has no CUDA/TensorRT providers,
 * so devices point MASK_EDGE_ONNXRUNTIME (or the `runtimePath` option) at the `js/node` folder of an
 * onnxruntime built with `--use_tensorrt --use_cuda --build_nodejs`. Only one runtime is loaded per process.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { MaskEdgeError } from './errors.js';

export type OrtModule = typeof import('onnxruntime-node');

export const RUNTIME_ENV_VAR = 'MASK_EDGE_ONNXRUNTIME';

let loaded: { key: string; module: Promise<OrtModule> } | undefined;

/** The onnxruntime module in use; `runtimePath` (or $MASK_EDGE_ONNXRUNTIME) selects a custom build. */
export function loadOnnxRuntime(runtimePath = process.env[RUNTIME_ENV_VAR]): Promise<OrtModule> {
  const key = runtimePath ? resolve(runtimePath) : 'onnxruntime-node';
  if (loaded) {
    if (loaded.key !== key) {
      return Promise.reject(
        new MaskEdgeError('E_BACKEND', 'a different onnxruntime is already loaded in this process', {
          detail: { loaded: loaded.key, requested: key },
        }),
      );
    }
    return loaded.module;
  }
  const module = runtimePath ? loadCustom(key) : (import('onnxruntime-node') as Promise<OrtModule>);
  loaded = { key, module };
  return module;
}

async function loadCustom(dir: string): Promise<OrtModule> {
  try {
    return createRequire(import.meta.url)(dir) as OrtModule;
  } catch (cause) {
    throw new MaskEdgeError(
      'E_BACKEND',
      `cannot load the custom onnxruntime at ${dir} (${RUNTIME_ENV_VAR}): ${(cause as Error).message}`,
      {
        detail: { path: dir, expected: 'the js/node folder of an onnxruntime build (with its bin/ built)' },
        cause,
      },
    );
  }
}

/** Which runtime is loaded: 'onnxruntime-node' or the custom path. */
export function loadedRuntime(): string | undefined {
  return loaded?.key;
}
