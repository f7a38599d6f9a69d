/**
 * Loads onnxruntime-node, or a custom build of it: on Jetson the npm package has no CUDA/TensorRT providers,
 * so devices point MASK_EDGE_ONNXRUNTIME (or the `runtimePath` option) at the `js/node` folder of an
 * onnxruntime built with `--use_tensorrt --use_cuda --build_nodejs`. Only one runtime is loaded per process.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { MaskEdgeError } from './errors.js';
import { packageDir } from './package-paths.js';

export type OrtModule = typeof import('onnxruntime-node');

export const RUNTIME_ENV_VAR = 'MASK_EDGE_ONNXRUNTIME';

let loaded: { key: string; module: Promise<OrtModule> } | undefined;

/** The onnxruntime module in use; `runtimePath` (or $MASK_EDGE_ONNXRUNTIME) selects a custom build. */
export function loadOnnxRuntime(runtimePath = process.env[RUNTIME_ENV_VAR]): Promise<OrtModule> {
  const bundled = packageDir('onnxruntime-node');
  const key = runtimePath ? resolve(runtimePath) : bundled;
  if (loaded?.key === key) return loaded.module;
  if (key !== bundled && !existsSync(join(key, 'package.json'))) {
    return Promise.reject(
      new MaskEdgeError('E_BACKEND', `no onnxruntime Node package at ${key} (${RUNTIME_ENV_VAR})`, {
        detail: {
          path: key,
          expected: 'the js/node folder of an onnxruntime build (package.json, dist/, bin/)',
        },
      }),
    );
  }
  if (loaded) {
    return Promise.reject(
      new MaskEdgeError('E_BACKEND', 'a different onnxruntime is already loaded in this process', {
        detail: { loaded: loaded.key, requested: key },
      }),
    );
  }
  const module = key === bundled ? (import('onnxruntime-node') as Promise<OrtModule>) : loadCustom(key);
  loaded = { key, module };
  module.catch(() => {
    if (loaded?.module === module) loaded = undefined;
  });
  return module;
}

async function loadCustom(dir: string): Promise<OrtModule> {
  try {
    return createRequire(join(dir, 'package.json'))(dir) as OrtModule;
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

/** Which runtime is loaded: the onnxruntime-node package folder or the custom path. */
export function loadedRuntime(): string | undefined {
  return loaded?.key;
}
