/**
 * SSD MobileNet v1 face detector (face-api's `ssd_mobilenetv1_model`, a TensorFlow Object Detection API
 * export) as an ONNX graph. Architecture (Howard et al. 2017; Liu et al. 2016):
 * - backbone: 3x3 conv stride 2 (32 ch) then 13 depthwise-separable blocks (3x3 depthwise + BatchNorm +
 *   ReLU6, 1x1 pointwise with folded BN offset + ReLU6); depthwise strides 2 at blocks 2, 4, 6 and 12;
 * - extra layers: four (1x1 conv, 3x3 stride-2 conv) pairs, ReLU6 after each;
 * - six box predictors (1x1 convs) on block 11 (stride 16), block 13 (stride 32) and the four extra maps;
 *   3 anchors per cell on the first, 6 on the others; 4 box encodings and 3 class logits per anchor.
 * Graph: `image` float32 [N, 3, S, S] normalised to [-1, 1] -> `box_encodings` [N, A, 4] (ty, tx, th, tw, to
 * be decoded against the anchors described in the metadata) and `scores` [N, A] (sigmoid of the face logit).
 */
import { GraphBuilder } from '../onnx/graph-builder.js';
import {
  addConv,
  addRelu6,
  depthwiseToOnnx,
  type FeatureMap,
  foldBatchNorm,
  hwioToOihw,
} from './conv-nodes.js';
import { type WeightTensor, weight } from './tfjs-weights.js';

/** BatchNorm epsilon of the TF Object Detection API MobileNet v1 feature extractor. */
const BN_EPSILON = 0.0010000000474974513;
const DEPTHWISE_STRIDE_2 = new Set([2, 4, 6, 12]);
/** Input size the detector was trained at; anchor sizes in pixels are fixed at this scale. */
export const SSD_TRAINING_SIZE = 512;

export const SSD_INPUT_NAME = 'image';
export const SSD_BOXES_OUTPUT = 'box_encodings';
export const SSD_SCORES_OUTPUT = 'scores';
/** Output name of the i-th box predictor's input map in a graph built with `featureOutputs`. */
export const ssdFeatureOutput = (i: number): string => `feature_${i}`;
/** Names of the trainable box-predictor tensors of layer i (tfjs layout [1, 1, in, out] and [out]). */
export const ssdHeadTensorNames = (i: number) => ({
  boxWeights: `Prediction/BoxPredictor_${i}/BoxEncodingPredictor/weights`,
  boxBiases: `Prediction/BoxPredictor_${i}/BoxEncodingPredictor/biases`,
  classWeights: `Prediction/BoxPredictor_${i}/ClassPredictor/weights`,
  classBiases: `Prediction/BoxPredictor_${i}/ClassPredictor/biases`,
});

/** One prediction layer: feature-map grid, its stride in input pixels and its anchor sizes [h, w] in pixels. */
export interface AnchorLayer {
  featureMap: [number, number];
  stride: number;
  boxes: [number, number][];
}

/**
 * Anchor shapes of the TF OD API SSD anchor generator as configured for this model: scales from 0.2 to 0.95
 * over six layers, aspect ratios 1, 2, 1/2, 3, 1/3 plus an interpolated square anchor sqrt(s_i * s_i+1), and the
 * lowest layer reduced to (0.1, 1), (0.2, 2), (0.2, 1/2). Returned in pixels at the training size.
 */
export function ssdAnchorShapes(): [number, number][][] {
  const layers = 6;
  const scales = Array.from({ length: layers }, (_, i) => 0.2 + ((0.95 - 0.2) * i) / (layers - 1));
  const shape = (scale: number, aspect: number): [number, number] => [
    (scale / Math.sqrt(aspect)) * SSD_TRAINING_SIZE,
    scale * Math.sqrt(aspect) * SSD_TRAINING_SIZE,
  ];
  return scales.map((scale, i) => {
    if (i === 0) return [shape(0.1, 1), shape(scale, 2), shape(scale, 0.5)];
    const next = scales[i + 1] ?? 1;
    return [
      shape(scale, 1),
      shape(Math.sqrt(scale * next), 1),
      shape(scale, 2),
      shape(scale, 0.5),
      shape(scale, 3),
      shape(scale, 1 / 3),
    ];
  });
}

type Weights = Map<string, WeightTensor>;

/**
 * Builds the graph for a fixed input of `inputSize` x `inputHeight` pixels (width x height; square by default;
 * 512 = as trained). Anchor strides and sizes are in input pixels, so a non-square input (e.g. 512 x 384 for 4:3
 * frames) has the same anchors as the square one over the rows it keeps.
 */
export function buildSsdMobilenetGraph(
  weights: Weights,
  inputSize: number,
  inputHeight: number = inputSize,
  options: { featureOutputs?: boolean } = {},
): { graph: GraphBuilder; anchors: AnchorLayer[] } {
  const g = new GraphBuilder('ssd_mobilenet_v1_face');
  g.addInput(SSD_INPUT_NAME, 'float32', ['N', 3, inputHeight, inputSize]);
  const bounds = {
    min: g.addInitializer('relu6_min', 'float32', [], [0]),
    max: g.addInitializer('relu6_max', 'float32', [], [6]),
  };

  // Pointwise conv with its folded BN offset, then ReLU6.
  const pointwise = (x: FeatureMap, prefix: string, kernel: number, stride: number): FeatureMap => {
    const filter = weight(weights, `${prefix}/weights`);
    const outChannels = filter.shape[3] ?? 0;
    const bias = weight(weights, `${prefix}/convolution_bn_offset`, [outChannels]).data;
    const conv = addConv(g, x, {
      weights: hwioToOihw(filter),
      bias,
      outChannels,
      kernel,
      stride,
      name: prefix,
    });
    return addRelu6(g, conv, bounds);
  };
  // Depthwise 3x3 with BatchNorm folded into weights and bias, then ReLU6.
  const depthwise = (x: FeatureMap, prefix: string, stride: number): FeatureMap => {
    const filter = weight(weights, `${prefix}/depthwise_weights`, [3, 3, x.channels, 1]);
    const bn = (n: string) => weight(weights, `${prefix}/BatchNorm/${n}`, [x.channels]).data;
    const { scale, shift } = foldBatchNorm(
      bn('gamma'),
      bn('beta'),
      bn('moving_mean'),
      bn('moving_variance'),
      BN_EPSILON,
    );
    const conv = addConv(g, x, {
      weights: depthwiseToOnnx(filter, scale),
      bias: shift,
      outChannels: x.channels,
      kernel: 3,
      stride,
      group: x.channels,
      name: prefix,
    });
    return addRelu6(g, conv, bounds);
  };

  let x: FeatureMap = { name: SSD_INPUT_NAME, channels: 3, height: inputHeight, width: inputSize };
  x = pointwise(x, 'MobilenetV1/Conv2d_0_pointwise', 3, 2);
  let block11: FeatureMap | undefined;
  for (let i = 1; i <= 13; i++) {
    x = depthwise(x, `MobilenetV1/Conv2d_${i}_depthwise`, DEPTHWISE_STRIDE_2.has(i) ? 2 : 1);
    x = pointwise(x, `MobilenetV1/Conv2d_${i}_pointwise`, 1, 1);
    if (i === 11) block11 = x;
  }
  const sources: FeatureMap[] = [block11 as FeatureMap, x];
  for (let i = 0; i < 8; i += 2) {
    x = pointwise(x, `Prediction/Conv2d_${i}_pointwise`, 1, 1);
    x = pointwise(x, `Prediction/Conv2d_${i + 1}_pointwise`, 3, 2);
    sources.push(x);
  }

  const shapes = ssdAnchorShapes();
  const boxParts: string[] = [];
  const classParts: string[] = [];
  const anchors: AnchorLayer[] = [];
  const boxShape = g.addInitializer('shape_boxes', 'int64', [3], [0, -1, 4]);
  const classShape = g.addInitializer('shape_classes', 'int64', [3], [0, -1, 3]);
  sources.forEach((source, i) => {
    const perCell = shapes[i]?.length ?? 0;
    const predict = (kind: string, values: number, shapeName: string): string => {
      const prefix = `Prediction/BoxPredictor_${i}/${kind}`; // see ssdHeadTensorNames
      const filter = weight(weights, `${prefix}/weights`, [1, 1, source.channels, perCell * values]);
      const bias = weight(weights, `${prefix}/biases`, [perCell * values]).data;
      const conv = addConv(g, source, {
        weights: hwioToOihw(filter),
        bias,
        outChannels: perCell * values,
        kernel: 1,
        stride: 1,
        name: prefix,
      });
      // NCHW -> NHWC so that rows run (y, x, anchor), the order the anchors are generated in.
      const nhwc = g.op('Transpose', [conv.name], { perm: [0, 2, 3, 1] });
      return g.op('Reshape', [nhwc, shapeName]);
    };
    boxParts.push(predict('BoxEncodingPredictor', 4, boxShape));
    classParts.push(predict('ClassPredictor', 3, classShape));
    const stride = (SSD_TRAINING_SIZE / 32) * 2 ** i;
    anchors.push({ featureMap: [source.height, source.width], stride, boxes: shapes[i] ?? [] });
  });

  g.addNode('Concat', boxParts, [SSD_BOXES_OUTPUT], { axis: 1 });
  const classes = g.op('Concat', classParts, { axis: 1 });
  // Class 0 is background; column 1 is the face logit.
  const starts = g.addInitializer('face_start', 'int64', [1], [1]);
  const ends = g.addInitializer('face_end', 'int64', [1], [2]);
  const axes = g.addInitializer('face_axis', 'int64', [1], [2]);
  const faceLogit = g.op('Slice', [classes, starts, ends, axes]);
  const flat = g.op('Reshape', [faceLogit, g.addInitializer('shape_scores', 'int64', [2], [0, -1])]);
  g.addNode('Sigmoid', [flat], [SSD_SCORES_OUTPUT]);
  const total = anchors.reduce((n, a) => n + a.featureMap[0] * a.featureMap[1] * a.boxes.length, 0);
  g.addOutput(SSD_BOXES_OUTPUT, 'float32', ['N', total, 4]);
  g.addOutput(SSD_SCORES_OUTPUT, 'float32', ['N', total]);
  if (options.featureOutputs) {
    // The six maps the box predictors read (what a head fine-tune trains on), named ssdFeatureOutput(i).
    sources.forEach((source, i) => {
      g.addNode('Identity', [source.name], [ssdFeatureOutput(i)]);
      g.addOutput(ssdFeatureOutput(i), 'float32', ['N', source.channels, source.height, source.width]);
    });
  }
  return { graph: g, anchors };
}
