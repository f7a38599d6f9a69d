/**
 * face-api's tiny face detector (`tiny_face_detector_model`): a YOLO v2 style single-scale detector
 * (Redmon & Farhadi 2017) with a MobileNet-like body, as an ONNX graph:
 * - 3x3 'valid' conv (16 ch) + LeakyReLU(0.1), 2x2 max pool stride 2;
 * - five depthwise-separable blocks (3x3 depthwise padded by 1, 1x1 pointwise + bias, LeakyReLU(0.1)), each
 *   followed by a 2x2 max pool, stride 2 except after the last (stride 1);
 * - a 1x1 conv giving, per grid cell, 5 anchors x (tx, ty, tw, th, objectness).
 * Graph: `image` float32 [N, 3, S, S], (x - mean RGB) / 255 -> `box_encodings` [N, G*G*5, 4] (tx, ty, tw, th,
 * rows ordered (row, col, anchor)) and `scores` [N, G*G*5] (sigmoid of objectness).
 */
import { GraphBuilder } from '../onnx/graph-builder.js';
import { addConv, addMaxPool, depthwiseToOnnx, type FeatureMap, hwioToOihw } from './conv-nodes.js';
import { type WeightTensor, weight } from './tfjs-weights.js';

/** Anchor box sizes [w, h] in grid cells, and input mean, of face-api's tiny face detector. */
export const TINY_FACE_ANCHORS: [number, number][] = [
  [1.603231, 2.094468],
  [6.041143, 7.080126],
  [2.882459, 3.518061],
  [4.266906, 5.178857],
  [9.041765, 10.66308],
];
export const TINY_FACE_MEAN_RGB: [number, number, number] = [117.001, 114.697, 97.404];

export function buildTinyFaceGraph(
  weights: Map<string, WeightTensor>,
  inputSize: number,
): { graph: GraphBuilder; grid: [number, number] } {
  const g = new GraphBuilder('tiny_face_detector');
  g.addInput('image', 'float32', ['N', 3, inputSize, inputSize]);
  const leaky = (x: FeatureMap): FeatureMap => ({
    ...x,
    name: g.op('LeakyRelu', [x.name], { alpha: { kind: 'float', value: 0.10000000149011612 } }),
  });

  const conv0 = weight(weights, 'conv0/filters', [3, 3, 3, 16]);
  let x: FeatureMap = { name: 'image', channels: 3, height: inputSize, width: inputSize };
  x = addConv(g, x, {
    weights: hwioToOihw(conv0),
    bias: weight(weights, 'conv0/bias', [16]).data,
    outChannels: 16,
    kernel: 3,
    stride: 1,
    padding: 'valid',
    name: 'conv0',
  });
  x = addMaxPool(g, leaky(x), 2, 2);
  for (let i = 1; i <= 5; i++) {
    const dw = weight(weights, `conv${i}/depthwise_filter`, [3, 3, x.channels, 1]);
    const pw = weight(weights, `conv${i}/pointwise_filter`);
    const out = pw.shape[3] ?? 0;
    x = addConv(g, x, {
      weights: depthwiseToOnnx(dw),
      bias: new Float32Array(x.channels),
      outChannels: x.channels,
      kernel: 3,
      stride: 1,
      group: x.channels,
      name: `conv${i}/depthwise`,
    });
    x = addConv(g, x, {
      weights: hwioToOihw(pw),
      bias: weight(weights, `conv${i}/bias`, [out]).data,
      outChannels: out,
      kernel: 1,
      stride: 1,
      name: `conv${i}/pointwise`,
    });
    x = addMaxPool(g, leaky(x), 2, i === 5 ? 1 : 2);
  }
  const anchors = TINY_FACE_ANCHORS.length;
  const head = weight(weights, 'conv8/filters', [1, 1, x.channels, anchors * 5]);
  x = addConv(g, x, {
    weights: hwioToOihw(head),
    bias: weight(weights, 'conv8/bias', [anchors * 5]).data,
    outChannels: anchors * 5,
    kernel: 1,
    stride: 1,
    name: 'conv8',
  });
  const nhwc = g.op('Transpose', [x.name], { perm: [0, 2, 3, 1] });
  const rows = g.op('Reshape', [nhwc, g.addInitializer('shape_rows', 'int64', [3], [0, -1, 5])]);
  const axis = g.addInitializer('axis2', 'int64', [1], [2]);
  const slice = (from: number, to: number) =>
    g.op('Slice', [
      rows,
      g.addInitializer(`start${from}`, 'int64', [1], [from]),
      g.addInitializer(`end${to}`, 'int64', [1], [to]),
      axis,
    ]);
  g.addNode('Identity', [slice(0, 4)], ['box_encodings']);
  const objectness = g.op('Reshape', [slice(4, 5), g.addInitializer('shape_scores', 'int64', [2], [0, -1])]);
  g.addNode('Sigmoid', [objectness], ['scores']);
  const total = x.height * x.width * anchors;
  g.addOutput('box_encodings', 'float32', ['N', total, 4]);
  g.addOutput('scores', 'float32', ['N', total]);
  return { graph: g, grid: [x.height, x.width] };
}
