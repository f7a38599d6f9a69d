/**
 * Convolution nodes for graphs whose weights come in TensorFlow layout, with TensorFlow's 'same' padding
 * written as explicit ONNX pads (TensorRT-friendly; spatial sizes are fixed at build time).
 */
import type { GraphBuilder } from '../onnx/graph-builder.js';
import type { WeightTensor } from './tfjs-weights.js';

/** A tensor in the graph (NCHW) with its known spatial size. */
export interface FeatureMap {
  name: string;
  channels: number;
  height: number;
  width: number;
}

/** TensorFlow 'same' padding along one axis: output ceil(in/stride), the odd pixel padded at the end. */
export function samePadding(
  size: number,
  kernel: number,
  stride: number,
): { begin: number; end: number; out: number } {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const begin = Math.floor(total / 2);
  return { begin, end: total - begin, out };
}

/** [kh, kw, in, out] (TF) -> [out, in, kh, kw] (ONNX), each output channel multiplied by `scale[o]` if given. */
export function hwioToOihw(filter: WeightTensor, scale?: Float32Array): Float32Array {
  const [kh, kw, cin, cout] = filter.shape as [number, number, number, number];
  const out = new Float32Array(filter.data.length);
  for (let o = 0; o < cout; o++) {
    const s = scale ? (scale[o] ?? 1) : 1;
    for (let i = 0; i < cin; i++) {
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          out[((o * cin + i) * kh + y) * kw + x] =
            (filter.data[((y * kw + x) * cin + i) * cout + o] ?? 0) * s;
        }
      }
    }
  }
  return out;
}

/** [kh, kw, C, multiplier 1] (TF depthwise) -> [C, 1, kh, kw] (ONNX grouped conv), scaled per channel. */
export function depthwiseToOnnx(filter: WeightTensor, scale?: Float32Array): Float32Array {
  const [kh, kw, channels] = filter.shape as [number, number, number, number];
  const out = new Float32Array(filter.data.length);
  for (let c = 0; c < channels; c++) {
    const s = scale ? (scale[c] ?? 1) : 1;
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++)
        out[(c * kh + y) * kw + x] = (filter.data[(y * kw + x) * channels + c] ?? 0) * s;
    }
  }
  return out;
}

export interface ConvSpec {
  /** Weights already in ONNX layout [out, in/group, kh, kw]. */
  weights: Float32Array;
  bias: Float32Array;
  outChannels: number;
  kernel: number;
  stride: number;
  group?: number;
  /** 'same' (default): TensorFlow same padding; 'valid': none. */
  padding?: 'same' | 'valid';
  name: string;
}

/** Adds a Conv node with explicit TF-'same' pads; returns the output feature map. */
export function addConv(g: GraphBuilder, x: FeatureMap, spec: ConvSpec): FeatureMap {
  const group = spec.group ?? 1;
  const w = g.addInitializer(
    `${spec.name}/W`,
    'float32',
    [spec.outChannels, x.channels / group, spec.kernel, spec.kernel],
    spec.weights,
  );
  const b = g.addInitializer(`${spec.name}/B`, 'float32', [spec.outChannels], spec.bias);
  const valid = (size: number) => ({
    begin: 0,
    end: 0,
    out: Math.floor((size - spec.kernel) / spec.stride) + 1,
  });
  const pad =
    spec.padding === 'valid' ? valid : (size: number) => samePadding(size, spec.kernel, spec.stride);
  const ph = pad(x.height);
  const pw = pad(x.width);
  const name = g.op(
    'Conv',
    [x.name, w, b],
    {
      kernel_shape: [spec.kernel, spec.kernel],
      strides: [spec.stride, spec.stride],
      pads: [ph.begin, pw.begin, ph.end, pw.end],
      group: group === 1 ? undefined : group,
    },
    spec.name,
  );
  return { name, channels: spec.outChannels, height: ph.out, width: pw.out };
}

/** ReLU6 as Clip(0, 6) (opset 13: bounds are inputs); the bound initializers are shared. */
export function addRelu6(g: GraphBuilder, x: FeatureMap, bounds: { min: string; max: string }): FeatureMap {
  return { ...x, name: g.op('Clip', [x.name, bounds.min, bounds.max]) };
}

/** Per-channel BatchNorm folded into scale and shift: y = x * scale + shift. */
export function foldBatchNorm(
  gamma: Float32Array,
  beta: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  epsilon: number,
): { scale: Float32Array; shift: Float32Array } {
  const scale = new Float32Array(gamma.length);
  const shift = new Float32Array(gamma.length);
  for (let c = 0; c < gamma.length; c++) {
    const s = (gamma[c] ?? 1) / Math.sqrt((variance[c] ?? 1) + epsilon);
    scale[c] = s;
    shift[c] = (beta[c] ?? 0) - (mean[c] ?? 0) * s;
  }
  return { scale, shift };
}

/** Max pooling with TensorFlow 'same' padding (the padded cells never win: ONNX pads MaxPool with -inf). */
export function addMaxPool(g: GraphBuilder, x: FeatureMap, kernel: number, stride: number): FeatureMap {
  const ph = samePadding(x.height, kernel, stride);
  const pw = samePadding(x.width, kernel, stride);
  const name = g.op('MaxPool', [x.name], {
    kernel_shape: [kernel, kernel],
    strides: [stride, stride],
    pads: [ph.begin, pw.begin, ph.end, pw.end],
  });
  return { ...x, name, height: ph.out, width: pw.out };
}
