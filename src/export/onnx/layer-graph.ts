/**
 * Turns a tfjs/Keras layers topology (Sequential or functional Model) into a flat, topologically ordered list
 * of layers with their inbound layer names. Shared layers and nested models are refused (E_UNSUPPORTED).
 */
import { MaskEdgeError } from '../../core/errors.js';

export interface LayerSpec {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** Names of the layers whose (single) output feeds this layer, in argument order. */
  inbound: string[];
}

export interface LayerGraph {
  layers: LayerSpec[];
  inputs: string[];
  outputs: string[];
}

type RawLayer = {
  class_name: string;
  name?: string;
  config: Record<string, unknown>;
  inbound_nodes?: unknown[];
};

const NESTED = new Set(['Sequential', 'Model', 'Functional', 'LayersModel']);

export function parseTopology(topology: Record<string, unknown>, source: string): LayerGraph {
  const className = topology.class_name as string;
  const config = topology.config as Record<string, unknown> | RawLayer[] | undefined;
  if (className === 'Sequential') {
    const raw = Array.isArray(config) ? config : ((config?.layers as RawLayer[] | undefined) ?? []);
    return sequentialGraph(raw, source);
  }
  if (className === 'Model' || className === 'Functional') {
    return functionalGraph(config as Record<string, unknown>, source);
  }
  throw new MaskEdgeError('E_UNSUPPORTED', `unsupported model class ${className} in ${source}`, {
    detail: { path: source, className, expected: 'Sequential or Model' },
  });
}

function layerName(raw: RawLayer): string {
  return (raw.name ?? (raw.config.name as string | undefined)) as string;
}

function refuseNested(raw: RawLayer, source: string): void {
  if (NESTED.has(raw.class_name)) {
    throw new MaskEdgeError(
      'E_UNSUPPORTED',
      `nested model layer '${layerName(raw)}' (${raw.class_name}) in ${source}: flatten it before export`,
      { detail: { path: source, layer: layerName(raw), type: raw.class_name } },
    );
  }
}

function sequentialGraph(raw: RawLayer[], source: string): LayerGraph {
  if (raw.length === 0) {
    throw new MaskEdgeError('E_MODEL', `Sequential model without layers: ${source}`, {
      detail: { path: source },
    });
  }
  const layers: LayerSpec[] = [];
  const first = raw[0]!;
  let previous: string;
  if (first.class_name === 'InputLayer') {
    previous = layerName(first);
    layers.push({ name: previous, className: 'InputLayer', config: first.config, inbound: [] });
  } else {
    const shape = first.config.batch_input_shape ?? first.config.batchInputShape;
    if (!Array.isArray(shape)) {
      throw new MaskEdgeError('E_MODEL', `first layer of ${source} declares no batch_input_shape`, {
        detail: { path: source, layer: layerName(first) },
      });
    }
    previous = 'input';
    layers.push({
      name: previous,
      className: 'InputLayer',
      config: { batch_input_shape: shape },
      inbound: [],
    });
  }
  for (const layer of raw) {
    if (layer.class_name === 'InputLayer') continue;
    refuseNested(layer, source);
    const name = layerName(layer);
    layers.push({ name, className: layer.class_name, config: layer.config, inbound: [previous] });
    previous = name;
  }
  return { layers, inputs: [layers[0]!.name], outputs: [previous] };
}

function tensorRef(ref: unknown, source: string, context: string): string {
  const [name, nodeIndex, tensorIndex] = ref as [string, number, number];
  if (nodeIndex !== 0 || tensorIndex !== 0) {
    throw new MaskEdgeError(
      'E_UNSUPPORTED',
      `${context} in ${source} uses ${name}[${nodeIndex}][${tensorIndex}]: shared layers and multi-output layers are not supported`,
      { detail: { path: source, layer: name } },
    );
  }
  return name;
}

function functionalGraph(config: Record<string, unknown>, source: string): LayerGraph {
  const raw = (config.layers as RawLayer[] | undefined) ?? [];
  const specs = new Map<string, LayerSpec>();
  for (const layer of raw) {
    refuseNested(layer, source);
    const name = layerName(layer);
    const nodes = (layer.inbound_nodes ?? []) as unknown[][];
    if (nodes.length > 1) {
      throw new MaskEdgeError(
        'E_UNSUPPORTED',
        `layer '${name}' (${layer.class_name}) is shared (called twice)`,
        {
          detail: { path: source, layer: name, type: layer.class_name },
        },
      );
    }
    const inbound = (nodes[0] ?? []).map((r) => tensorRef(r, source, `layer '${name}'`));
    specs.set(name, { name, className: layer.class_name, config: layer.config, inbound });
  }
  const inputs = ((config.input_layers as unknown[]) ?? []).map((r) => tensorRef(r, source, 'model input'));
  const outputs = ((config.output_layers as unknown[]) ?? []).map((r) =>
    tensorRef(r, source, 'model output'),
  );
  // Topological order (depth-first from the outputs), so converters see their inputs first.
  const ordered: LayerSpec[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      throw new MaskEdgeError('E_MODEL', `cycle through layer '${name}' in ${source}`, {
        detail: { path: source },
      });
    }
    const spec = specs.get(name);
    if (!spec) {
      throw new MaskEdgeError('E_MODEL', `layer '${name}' is referenced but not defined in ${source}`, {
        detail: { path: source, layer: name },
      });
    }
    state.set(name, 'visiting');
    spec.inbound.forEach(visit);
    state.set(name, 'done');
    ordered.push(spec);
  };
  outputs.forEach(visit);
  return { layers: ordered, inputs, outputs };
}

/** How many layers consume each layer's output (model outputs count as a consumer). */
export function consumerCounts(graph: LayerGraph): Map<string, number> {
  const counts = new Map<string, number>();
  for (const layer of graph.layers) {
    for (const src of layer.inbound) counts.set(src, (counts.get(src) ?? 0) + 1);
  }
  for (const out of graph.outputs) counts.set(out, (counts.get(out) ?? 0) + 1);
  return counts;
}
