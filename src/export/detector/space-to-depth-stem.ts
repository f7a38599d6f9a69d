/**
 * The INT8 SSD's first convolution (3x3, stride 2, over the image's 3 channels) rewritten as SpaceToDepth(2) and a
 * 2x2 stride-1 convolution over 12 channels. Both compute the same sums of the same integer products: output (i, j)
 * of the 3x3 stride-2 convolution reads input rows 2i..2i+2 and columns 2j..2j+2, which are the 2 x 2 blocks (i, j),
 * (i, j+1), (i+1, j), (i+1, j+1) of the space-to-depth image; the fourth row and column of those blocks (2i+3,
 * 2j+3) get weight 0. The padding matches too: TensorFlow's 'same' padding of an even side pads one row/column at
 * the end, the 2x2 convolution pads one block there, and both pad with the input's zero point.
 *
 * Why: ONNX Runtime's QLinearConv runs a 3-channel input far below its speed on the rest of the network (the stem
 * took 1.9 of the 512 x 384 detector's 11.8 ms on one x64 core, 16%, for 2% of its multiply-adds); with 12 input
 * channels it takes about a third of that (measured in bench/RESULTS.md). The per-channel weight scales do not
 * change (the added weights are zeros), nor the activation ranges (SpaceToDepth only moves values), so the
 * recorded calibration still applies and the integer outputs are the same.
 */
import { MaskEdgeError } from '../../core/errors.js';
import { type ModelProto, makeTensor, onnx } from '../onnx/graph-builder.js';
import { consumersOf, type INode, initializerMap, nodesOf } from '../quantize/model-graph.js';

/** Why a graph was left as it was, or undefined when its stem was rewritten. */
export type StemRewrite = { rewritten: true } | { rewritten: false; reason: string };

const BLOCK = 2;

function ints(node: INode, name: string): number[] | undefined {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a ? (a.ints ?? []).map(Number) : undefined;
}

function setInts(node: INode, name: string, value: number[]): void {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  if (a) a.ints = value;
  else
    node.attribute = [
      ...(node.attribute ?? []),
      onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: value }),
    ];
}

/**
 * [O, C, 3, 3] weights of a 3x3 stride-2 convolution -> [O, C * 4, 2, 2] weights of the 2x2 stride-1 convolution
 * over SpaceToDepth(2) of its input (ONNX's channel order: (blockRow * 2 + blockColumn) * C + c).
 */
export function spaceToDepthWeights(weights: Int8Array, outChannels: number, inChannels: number): Int8Array {
  const channels = inChannels * BLOCK * BLOCK;
  const out = new Int8Array(outChannels * channels * 4);
  for (let o = 0; o < outChannels; o++) {
    for (let by = 0; by < BLOCK; by++) {
      for (let bx = 0; bx < BLOCK; bx++) {
        for (let c = 0; c < inChannels; c++) {
          const ch = (by * BLOCK + bx) * inChannels + c;
          for (let ky = 0; ky < 2; ky++) {
            for (let kx = 0; kx < 2; kx++) {
              const dy = ky * BLOCK + by;
              const dx = kx * BLOCK + bx;
              if (dy > 2 || dx > 2) continue;
              out[((o * channels + ch) * 2 + ky) * 2 + kx] =
                weights[((o * inChannels + c) * 3 + dy) * 3 + dx]!;
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * Rewrites, in place, the stem of a QDQ graph whose input `inputName` [N, C, H, W] (H, W even) feeds
 * QuantizeLinear -> DequantizeLinear -> Conv(3x3, stride 2, pads [0, 0, 1, 1]) with int8 weights behind a
 * DequantizeLinear. Any other shape of graph is left as it was, with the reason.
 */
export function rewriteStemAsSpaceToDepth(model: ModelProto, inputName: string): StemRewrite {
  const graph = model.graph;
  const input = graph?.input?.find((i) => i.name === inputName);
  const dims = input?.type?.tensorType?.shape?.dim?.map((d) =>
    d.dimValue === undefined || d.dimValue === null ? undefined : Number(d.dimValue),
  );
  if (!graph || !dims || dims.length !== 4) return { rewritten: false, reason: `no 4-d input ${inputName}` };
  const [, channels, height, width] = dims;
  if (!channels || !height || !width || height % BLOCK !== 0 || width % BLOCK !== 0) {
    return { rewritten: false, reason: `input ${inputName} is not [N, C, even H, even W]` };
  }
  const consumers = consumersOf(model);
  const single = (tensor: string, op: string): INode | undefined => {
    const list = consumers.get(tensor) ?? [];
    return list.length === 1 && list[0]!.opType === op ? list[0] : undefined;
  };
  const quantize = single(inputName, 'QuantizeLinear');
  const dequantize = quantize && single(quantize.output![0]!, 'DequantizeLinear');
  const conv = dequantize && single(dequantize.output![0]!, 'Conv');
  if (!quantize || !dequantize || !conv) {
    return { rewritten: false, reason: `${inputName} does not feed one Q -> DQ -> Conv` };
  }
  const same = (a: number[] | undefined, b: number[]) => JSON.stringify(a) === JSON.stringify(b);
  const group = (conv.attribute ?? []).find((a) => a.name === 'group');
  if (
    !same(ints(conv, 'kernel_shape'), [3, 3]) ||
    !same(ints(conv, 'strides'), [2, 2]) ||
    !same(ints(conv, 'pads'), [0, 0, 1, 1]) ||
    (ints(conv, 'dilations') !== undefined && !same(ints(conv, 'dilations'), [1, 1])) ||
    (group !== undefined && Number(group.i) !== 1)
  ) {
    return { rewritten: false, reason: 'the stem is not a 3x3 stride-2 convolution padded at the end' };
  }
  const weightDq = nodesOf(model).find((n) => n.output?.[0] === conv.input?.[1]);
  const inits = initializerMap(model);
  const weights = weightDq?.opType === 'DequantizeLinear' ? inits.get(weightDq.input?.[0] ?? '') : undefined;
  const weightDims = (weights?.dims ?? []).map(Number);
  if (
    !weights ||
    weights.dataType !== onnx.TensorProto.DataType.INT8 ||
    !weights.rawData ||
    !same(weightDims.slice(1), [channels, 3, 3]) ||
    (consumers.get(weights.name ?? '') ?? []).length !== 1
  ) {
    return { rewritten: false, reason: 'the stem has no int8 [O, C, 3, 3] weights of its own' };
  }
  const outChannels = weightDims[0]!;
  const raw = weights.rawData;
  const rearranged = spaceToDepthWeights(
    new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength),
    outChannels,
    channels,
  );
  const replacement = makeTensor(weights.name!, 'int8', [outChannels, channels * 4, 2, 2], rearranged);
  weights.dims = replacement.dims;
  weights.rawData = replacement.rawData;

  const moved = `${inputName}_space_to_depth`;
  if (inits.has(moved) || consumers.has(moved)) {
    throw new MaskEdgeError('E_INTERNAL', `tensor name ${moved} is taken`, { detail: { tensor: moved } });
  }
  const s2d = onnx.NodeProto.create({
    opType: 'SpaceToDepth',
    name: `${inputName}/SpaceToDepth`,
    input: [inputName],
    output: [moved],
    attribute: [
      onnx.AttributeProto.create({
        name: 'blocksize',
        type: onnx.AttributeProto.AttributeType.INT,
        i: BLOCK,
      }),
    ],
  });
  quantize.input![0] = moved;
  setInts(conv, 'kernel_shape', [2, 2]);
  setInts(conv, 'strides', [1, 1]);
  setInts(conv, 'pads', [0, 0, 1, 1]);
  const nodes = graph.node ?? [];
  nodes.splice(nodes.indexOf(quantize as (typeof nodes)[number]), 0, s2d);
  graph.node = nodes;
  return { rewritten: true };
}
