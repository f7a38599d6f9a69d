import type { WeightTensor } from '../../tfjs/checkpoint.js';
import type { GraphBuilder } from '../graph-builder.js';
import type { LayerSpec } from '../layer-graph.js';

/**
 * A tfjs tensor as it exists in the ONNX graph. `shape` is the tfjs shape without the batch dim. Rank-3 tfjs
 * tensors (H, W, C) live in ONNX as NCHW; every other rank has the same layout in both. A flattened NCHW
 * tensor keeps ONNX's C,H,W order and records `flatOrder[onnxIndex] = tfjsIndex` so a following Dense can
 * permute its weights instead of transposing activations.
 */
export interface TensorRef {
  name: string;
  shape: number[];
  flatOrder?: Int32Array;
}

export interface ConvertContext {
  g: GraphBuilder;
  layer: LayerSpec;
  inputs: TensorRef[];
  /** The layer's weight `param` (e.g. 'kernel'); E_MODEL when missing. */
  weight(param: string): WeightTensor;
  hasWeight(param: string): boolean;
}

export interface LayerConverter {
  /** tfjs `class_name`s this converter handles. */
  classNames: readonly string[];
  convert(ctx: ConvertContext): TensorRef;
}
