/**
 * Converts a tfjs layers checkpoint to an ONNX graph (opset 13, IR 7) with an NCHW input: topology parsed,
 * BatchNorm folded, each layer handed to its registered converter, the single output renamed.
 */
import { MaskEdgeError } from '../../core/errors.js';
import type { TfjsCheckpoint } from '../tfjs/checkpoint.js';
import { foldBatchNorms } from './fold-batchnorm.js';
import { GraphBuilder, type ModelOptions, type ModelProto } from './graph-builder.js';
import { type LayerGraph, parseTopology } from './layer-graph.js';
import { LayerWeights } from './layer-weights.js';
import { converterFor, supportedLayerClasses, type TensorRef } from './ops/index.js';
import { materialize } from './ops/layout.js';
import { trainingOnly } from './ops/training-only.js';

export interface ConvertOptions extends ModelOptions {
  inputName?: string;
  outputName?: string;
  /** metadata_props (non-strings are JSON-encoded). */
  metadata?: Record<string, string | number | boolean | object>;
}

export interface ConversionResult {
  model: ModelProto;
  bytes: Uint8Array;
  inputName: string;
  outputName: string;
  /** tfjs input shape without batch, e.g. [S, S, 3]; the ONNX input is [N, 3, S, S] for images. */
  tfInputShape: number[];
  onnxInputShape: (number | string)[];
  outputShape: number[];
  foldedBatchNorms: string[];
  removedLayers: string[];
  /** The last layer's activation (tells logits from probabilities). */
  finalActivation: string;
}

function inputShapeOf(graph: LayerGraph, source: string): number[] {
  if (graph.inputs.length !== 1) {
    throw new MaskEdgeError(
      'E_UNSUPPORTED',
      `${source} has ${graph.inputs.length} inputs; one image input expected`,
      {
        detail: { path: source, inputs: graph.inputs },
      },
    );
  }
  const layer = graph.layers.find((l) => l.name === graph.inputs[0])!;
  const raw = (layer.config.batch_input_shape ?? layer.config.batchInputShape) as
    | (number | null)[]
    | undefined;
  const shape = raw?.slice(1) ?? [];
  if (shape.length === 0 || shape.some((d) => typeof d !== 'number' || d <= 0)) {
    throw new MaskEdgeError(
      'E_UNSUPPORTED',
      `${source}: input shape [${raw}] must be fixed apart from the batch`,
      {
        detail: { path: source, shape: raw, expected: '[null, S, S, 3]' },
      },
    );
  }
  return shape as number[];
}

function finalActivationOf(graph: LayerGraph): string {
  let name = graph.outputs[0]!;
  for (;;) {
    const layer = graph.layers.find((l) => l.name === name)!;
    if (trainingOnly.classNames.includes(layer.className) && layer.inbound[0]) {
      name = layer.inbound[0];
      continue;
    }
    if (layer.className === 'Softmax') return 'softmax';
    return typeof layer.config.activation === 'string' ? layer.config.activation : 'linear';
  }
}

export function convertLayersModel(ckpt: TfjsCheckpoint, options: ConvertOptions = {}): ConversionResult {
  const source = ckpt.modelJsonPath;
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'output';
  const weights = new LayerWeights(ckpt.weights, source);
  const { graph, folded } = foldBatchNorms(parseTopology(ckpt.topology, source), weights);
  if (graph.outputs.length !== 1) {
    throw new MaskEdgeError('E_UNSUPPORTED', `${source} has ${graph.outputs.length} outputs; one expected`, {
      detail: { path: source, outputs: graph.outputs },
    });
  }
  const tfInputShape = inputShapeOf(graph, source);
  const g = new GraphBuilder(String((ckpt.topology.config as { name?: string })?.name ?? 'model'));
  const onnxInputShape =
    tfInputShape.length === 3
      ? ['N', tfInputShape[2]!, tfInputShape[0]!, tfInputShape[1]!]
      : ['N', ...tfInputShape];
  g.addInput(inputName, 'float32', onnxInputShape);
  const refs = new Map<string, TensorRef>();
  const removed: string[] = [];
  for (const layer of graph.layers) {
    if (layer.className === 'InputLayer') {
      refs.set(layer.name, { name: inputName, shape: tfInputShape });
      continue;
    }
    const converter = converterFor(layer.className);
    if (!converter) {
      throw new MaskEdgeError(
        'E_UNSUPPORTED',
        `layer '${layer.name}' of type ${layer.className} is not supported by the ONNX converter`,
        {
          detail: {
            path: source,
            layer: layer.name,
            type: layer.className,
            supported: supportedLayerClasses(),
          },
        },
      );
    }
    if (converter === trainingOnly) removed.push(layer.name);
    const inputs = layer.inbound.map((n) => refs.get(n)!);
    refs.set(
      layer.name,
      converter.convert({
        g,
        layer,
        inputs,
        weight: (p) => weights.get(layer.name, p),
        hasWeight: (p) => weights.has(layer.name, p),
      }),
    );
  }
  let out = materialize(g, refs.get(graph.outputs[0]!)!);
  if (out.shape.length === 3) out = { ...out, name: g.op('Transpose', [out.name], { perm: [0, 2, 3, 1] }) };
  renameTensor(g, out.name, outputName);
  g.addOutput(outputName, 'float32', ['N', ...out.shape]);
  for (const [key, value] of Object.entries(options.metadata ?? {})) g.setMetadata(key, value);
  const model = g.toModel(options);
  return {
    model,
    bytes: g.serialize(options),
    inputName,
    outputName,
    tfInputShape,
    onnxInputShape,
    outputShape: out.shape,
    foldedBatchNorms: folded,
    removedLayers: removed,
    finalActivation: finalActivationOf(graph),
  };
}

/** Renames a tensor everywhere; a graph input (identity model) gets an Identity node instead. */
function renameTensor(g: GraphBuilder, from: string, to: string): void {
  if (g.inputs.some((i) => i.name === from)) {
    g.addNode('Identity', [from], [to]);
    return;
  }
  for (const node of g.nodes) {
    node.output = node.output.map((n) => (n === from ? to : n));
    node.input = node.input.map((n) => (n === from ? to : n));
  }
}
