/**
 * Rewrites an fp32 ONNX model into static QDQ form: QuantizeLinear/DequantizeLinear pairs on activations
 * (scales from calibration ranges), per-channel symmetric int8 weights and int32 biases behind
 * DequantizeLinear (with `axis`). ORT fuses DQ -> Conv/Gemm/MatMul -> Q into QLinearConv/QGemm/QLinearMatMul.
 */
import {
  type ModelProto,
  makeTensor,
  type NodeProto,
  onnx,
  type TensorProto,
  tensorDims,
  tensorToFloat32,
} from '../onnx/graph-builder.js';
import { cloneModel, consumersOf, type INode, initializerMap, intAttr, nodesOf } from './model-graph.js';
import {
  type ActivationType,
  activationParams,
  type QuantParams,
  quantizeBias,
  quantizeWeightsPerChannel,
} from './quant-params.js';

export interface QdqOptions {
  activationType: ActivationType;
  /** Calibrated [min, max] per activation tensor. */
  ranges: Map<string, [number, number]>;
  /**
   * Which activations get Q/DQ pairs: 'all' (default) every calibrated tensor; 'compute-inputs' only tensors that
   * a Conv/Gemm/MatMul reads, so int8 runs inside the convolution trunk and everything after the last
   * convolutions (a detector's box/score tail: Transpose, Reshape, Concat, Slice, Sigmoid) stays float.
   */
  scope?: QuantizeScope;
}

export type QuantizeScope = 'all' | 'compute-inputs';

const COMPUTE_OPS = new Set(['Conv', 'Gemm', 'MatMul']);

/** Ops whose output is the input's values rearranged: they share the input's quantization parameters. */
const PASSTHROUGH = new Set([
  'MaxPool',
  'Flatten',
  'Reshape',
  'Transpose',
  'Gather',
  'Identity',
  'Squeeze',
  'Unsqueeze',
]);
/** Weight input index and per-channel axis for ops with constant weights. */
function weightAxis(node: INode): number | undefined {
  if (node.opType === 'Conv') return 0;
  if (node.opType === 'Gemm') return intAttr(node, 'transB', 0) === 1 ? 0 : 1;
  if (node.opType === 'MatMul') return 1;
  return undefined;
}

function isRemovableActivation(node: INode, inits: Map<string, ITensor>): boolean {
  if (node.opType === 'Relu') return true;
  if (node.opType !== 'Clip') return false;
  const min = inits.get(node.input?.[1] ?? '');
  return min !== undefined && tensorToFloat32(min)[0] === 0;
}
type ITensor = Parameters<typeof tensorToFloat32>[0];

export function quantizeToQdq(
  fp32: ModelProto,
  options: QdqOptions,
): { model: ModelProto; quantizedTensors: number } {
  const model = cloneModel(fp32);
  const graph = model.graph!;
  const inits = initializerMap(model);
  const consumers = consumersOf(model);
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  const params = new Map<string, QuantParams>();
  const newInits: ITensor[] = [];
  const newNodes: INode[] = [];
  const renamed = new Map<string, string>();
  let counter = 0;
  const fresh = (base: string): string => `${base}__${(counter++).toString(36)}`;

  const addQdq = (tensor: string, p: QuantParams): void => {
    const scale = fresh(`${tensor}_scale`);
    const zp = fresh(`${tensor}_zp`);
    newInits.push(makeTensor(scale, 'float32', [], [p.scale]), makeTensor(zp, p.type, [], [p.zeroPoint]));
    const q = fresh(`${tensor}_q`);
    const dq = fresh(`${tensor}_dq`);
    newNodes.push(
      onnx.NodeProto.create({
        name: fresh('Q'),
        opType: 'QuantizeLinear',
        input: [tensor, scale, zp],
        output: [q],
      }),
      onnx.NodeProto.create({
        name: fresh('DQ'),
        opType: 'DequantizeLinear',
        input: [q, scale, zp],
        output: [dq],
      }),
    );
    params.set(tensor, p);
    renamed.set(tensor, dq);
  };

  const shouldQuantize = (tensor: string): boolean => {
    if (outputs.has(tensor) || !options.ranges.has(tensor)) return false;
    const users = consumers.get(tensor) ?? [];
    if (users.length === 0) return false;
    if (options.scope === 'compute-inputs' && !users.some((u) => COMPUTE_OPS.has(u.opType ?? '')))
      return false;
    // uint8: Conv -> Relu/Clip(0, x) -> Q lets ORT drop the activation; quantize after it, not before.
    return !(
      options.activationType === 'uint8' &&
      users.length === 1 &&
      isRemovableActivation(users[0]!, inits)
    );
  };

  const quantizeActivation = (tensor: string, source?: string): void => {
    if (!shouldQuantize(tensor)) return;
    const inherited = source === undefined ? undefined : params.get(source);
    const [lo, hi] = options.ranges.get(tensor)!;
    addQdq(tensor, inherited ?? activationParams(lo, hi, options.activationType));
  };

  /** Replaces a Conv/Gemm/MatMul's constant weight (and bias) by int8 (int32) initializers behind DQ nodes. */
  const quantizeWeights = (node: INode, floatInput: string): void => {
    const axis = weightAxis(node);
    const wName = node.input?.[1];
    const w = wName === undefined ? undefined : inits.get(wName);
    const x = params.get(floatInput);
    if (axis === undefined || !w || !x) return;
    const dims = tensorDims(w);
    const q = quantizeWeightsPerChannel(tensorToFloat32(w), dims, axis);
    const wq = fresh(`${wName}_int8`);
    const ws = fresh(`${wName}_scale`);
    const wz = fresh(`${wName}_zp`);
    const wdq = fresh(`${wName}_dq`);
    newInits.push(
      makeTensor(wq, 'int8', dims, q.values),
      makeTensor(ws, 'float32', [q.scales.length], q.scales),
      makeTensor(wz, 'int8', [q.scales.length], new Int8Array(q.scales.length)),
    );
    newNodes.push(
      onnx.NodeProto.create({
        name: fresh('DQ_w'),
        opType: 'DequantizeLinear',
        input: [wq, ws, wz],
        output: [wdq],
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: axis }],
      }),
    );
    node.input![1] = wdq;
    const bName = node.input?.[2];
    const b = bName ? inits.get(bName) : undefined;
    if (node.opType === 'MatMul' || !bName || !b) return;
    const bq = quantizeBias(tensorToFloat32(b), x.scale, q.scales);
    const names = [
      fresh(`${bName}_int32`),
      fresh(`${bName}_scale`),
      fresh(`${bName}_zp`),
      fresh(`${bName}_dq`),
    ] as const;
    newInits.push(
      makeTensor(names[0], 'int32', [bq.values.length], bq.values),
      makeTensor(names[1], 'float32', [bq.scales.length], bq.scales),
      makeTensor(names[2], 'int32', [bq.values.length], new Int32Array(bq.values.length)),
    );
    newNodes.push(
      onnx.NodeProto.create({
        name: fresh('DQ_b'),
        opType: 'DequantizeLinear',
        input: [names[0], names[1], names[2]],
        output: [names[3]],
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
      }),
    );
    node.input![2] = names[3];
  };

  for (const input of graph.input ?? [])
    if (!inits.has(input.name ?? '')) quantizeActivation(input.name ?? '');
  for (const node of nodesOf(model)) {
    const floatInputs = [...(node.input ?? [])];
    node.input = floatInputs.map((n) => renamed.get(n) ?? n);
    quantizeWeights(node, floatInputs[0] ?? '');
    newNodes.push(node);
    const passthroughSource = PASSTHROUGH.has(node.opType ?? '') ? floatInputs[0] : undefined;
    for (const out of node.output ?? []) quantizeActivation(out, passthroughSource);
  }

  const used = new Set(newNodes.flatMap((n) => n.input ?? []));
  graph.node = newNodes as NodeProto[];
  graph.initializer = [
    ...(graph.initializer ?? []).filter((t) => used.has(t.name ?? '')),
    ...newInits,
  ] as TensorProto[];
  return { model, quantizedTensors: params.size };
}
