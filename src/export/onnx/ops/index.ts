/** The one explicit registry of tfjs layer converters. Add a converter file, then list it here. */
import { activationLayer, eluLayer, leakyReluLayer, reluLayer, softmaxLayer } from './activation-layers.js';
import { conv2d } from './conv2d.js';
import { dense } from './dense.js';
import { depthwiseConv2d } from './depthwise-conv2d.js';
import { add, average, concatenate } from './merging.js';
import { batchNormalization } from './normalization.js';
import { globalPooling2d, pooling2d } from './pooling.js';
import { flatten, reshape } from './reshaping.js';
import { trainingOnly } from './training-only.js';
import type { LayerConverter } from './types.js';

export const LAYER_CONVERTERS: readonly LayerConverter[] = [
  conv2d,
  depthwiseConv2d,
  dense,
  batchNormalization,
  activationLayer,
  reluLayer,
  leakyReluLayer,
  eluLayer,
  softmaxLayer,
  pooling2d,
  globalPooling2d,
  flatten,
  reshape,
  add,
  average,
  concatenate,
  trainingOnly,
];

const BY_CLASS = new Map(LAYER_CONVERTERS.flatMap((c) => c.classNames.map((n) => [n, c] as const)));

export function converterFor(className: string): LayerConverter | undefined {
  return BY_CLASS.get(className);
}

export function supportedLayerClasses(): string[] {
  return [...BY_CLASS.keys(), 'InputLayer'].sort();
}

export type { ConvertContext, LayerConverter, TensorRef } from './types.js';
