/**
 * Folds BatchNormalization into the Conv2D / DepthwiseConv2D / Dense right before it (linear activation, sole
 * consumer): w' = w * gamma / sqrt(var + eps) per output channel, b' = (b - mean) * that + beta.
 */
import type { LayerGraph, LayerSpec } from './layer-graph.js';
import { consumerCounts } from './layer-graph.js';
import type { LayerWeights } from './layer-weights.js';

const FOLDABLE: Record<string, string> = {
  Conv2D: 'kernel',
  DepthwiseConv2D: 'depthwise_kernel',
  Dense: 'kernel',
};

interface WeightAccess {
  layer: LayerSpec;
  weight(param: string): { data: Float32Array };
  hasWeight(param: string): boolean;
}

/** Per-channel y = x * scale + shift equivalent of an inference-mode BatchNormalization layer. */
export function batchNormScaleShift(
  bn: WeightAccess,
  channels: number,
): { scale: Float32Array; shift: Float32Array } {
  const eps = Number(bn.layer.config.epsilon ?? 1e-3);
  const gamma = bn.layer.config.scale !== false ? bn.weight('gamma').data : undefined;
  const beta = bn.layer.config.center !== false ? bn.weight('beta').data : undefined;
  const mean = bn.weight('moving_mean').data;
  const variance = bn.weight('moving_variance').data;
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + eps);
    scale[c] = s;
    shift[c] = (beta ? beta[c]! : 0) - mean[c]! * s;
  }
  return { scale, shift };
}

function isLastAxis(bn: LayerSpec): boolean {
  const axis = Array.isArray(bn.config.axis) ? bn.config.axis[0] : (bn.config.axis ?? -1);
  return axis === -1 || axis === 3 || axis === undefined;
}

/** Returns the graph without folded BatchNorm layers; the producers' weights are overridden in `weights`. */
export function foldBatchNorms(
  graph: LayerGraph,
  weights: LayerWeights,
): { graph: LayerGraph; folded: string[] } {
  const consumers = consumerCounts(graph);
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  const replaced = new Map<string, string>();
  const folded: string[] = [];
  for (const bn of graph.layers) {
    if (bn.className !== 'BatchNormalization' || bn.inbound.length !== 1 || !isLastAxis(bn)) continue;
    const producer = byName.get(bn.inbound[0]!);
    if (!producer || !(producer.className in FOLDABLE)) continue;
    const activation = producer.config.activation;
    if ((activation !== undefined && activation !== 'linear') || consumers.get(producer.name) !== 1) continue;
    const kernelParam = FOLDABLE[producer.className]!;
    const kernel = weights.get(producer.name, kernelParam);
    const channels =
      producer.className === 'DepthwiseConv2D' ? kernel.shape[2]! * kernel.shape[3]! : kernel.shape.at(-1)!;
    const access: WeightAccess = {
      layer: bn,
      weight: (p) => weights.get(bn.name, p),
      hasWeight: (p) => weights.has(bn.name, p),
    };
    const { scale, shift } = batchNormScaleShift(access, channels);
    const w = Float32Array.from(kernel.data, (v, i) => v * scale[i % channels]!);
    const hasBias = producer.config.use_bias !== false && weights.has(producer.name, 'bias');
    const bias = hasBias ? weights.get(producer.name, 'bias').data : new Float32Array(channels);
    weights.set(producer.name, kernelParam, kernel.shape, w);
    weights.set(
      producer.name,
      'bias',
      [channels],
      Float32Array.from(bias, (b, c) => b * scale[c]! + shift[c]!),
    );
    producer.config = { ...producer.config, use_bias: true };
    replaced.set(bn.name, producer.name);
    folded.push(bn.name);
  }
  const rename = (n: string): string => replaced.get(n) ?? n;
  return {
    graph: {
      layers: graph.layers
        .filter((l) => !replaced.has(l.name))
        .map((l) => ({ ...l, inbound: l.inbound.map(rename) })),
      inputs: graph.inputs,
      outputs: graph.outputs.map(rename),
    },
    folded,
  };
}
