/**
 * A small typed API for writing ONNX graphs with the `onnx-proto` generated protobuf classes:
 * inputs/outputs with (symbolic) shapes, typed initializers, nodes with attributes, metadata, and
 * serialisation. Defaults: opset 13, IR version 7 (accepted by TensorRT 8.5+ / JetPack 5 and every
 * current ONNX Runtime).
 */
import onnxProto from 'onnx-proto';
import { MaskEdgeError } from '../../core/errors.js';

export const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;
export type NodeProto = onnxProto.onnx.NodeProto;
export type TensorProto = onnxProto.onnx.TensorProto;

export const DEFAULT_OPSET = 13;
export const DEFAULT_IR_VERSION = 7;

export type DType = 'float32' | 'int64' | 'int32' | 'int8' | 'uint8';
/** A dimension: a fixed size or a symbolic name such as 'N'. */
export type Dim = number | string;

const DATA_TYPE: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  uint8: onnx.TensorProto.DataType.UINT8,
  int8: onnx.TensorProto.DataType.INT8,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

export type TensorData = Float32Array | Int32Array | Int8Array | Uint8Array | BigInt64Array | number[];

/** Explicitly typed attribute values; plain numbers are ints, plain number[] are ints, strings are strings. */
export type AttributeValue =
  | number
  | number[]
  | string
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: number[] }
  | { kind: 'tensor'; value: onnxProto.onnx.ITensorProto };

export const Attr = {
  float: (value: number) => ({ kind: 'float', value }) as const,
  floats: (value: number[]) => ({ kind: 'floats', value }) as const,
};

function typedArrayFor(dtype: DType, data: TensorData): Exclude<TensorData, number[]> {
  if (!Array.isArray(data)) return data;
  switch (dtype) {
    case 'float32':
      return Float32Array.from(data);
    case 'int32':
      return Int32Array.from(data);
    case 'int8':
      return Int8Array.from(data);
    case 'uint8':
      return Uint8Array.from(data);
    case 'int64':
      return BigInt64Array.from(data.map((v) => BigInt(Math.trunc(v))));
  }
}

/** Builds a TensorProto with little-endian raw_data. */
export function makeTensor(name: string, dtype: DType, dims: number[], data: TensorData): TensorProto {
  const arr = typedArrayFor(dtype, data);
  const expected = dims.reduce((a, b) => a * b, 1);
  if (arr.length !== expected) {
    throw new MaskEdgeError('E_INTERNAL', `tensor ${name}: ${arr.length} values for shape [${dims}]`, {
      detail: { name, dims, length: arr.length },
    });
  }
  const bytes = new Uint8Array(arr.byteLength);
  bytes.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
  return onnx.TensorProto.create({ name, dataType: DATA_TYPE[dtype], dims, rawData: bytes });
}

function makeAttribute(name: string, value: AttributeValue): onnxProto.onnx.AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') {
    return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(value) });
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      throw new MaskEdgeError('E_INTERNAL', `attribute ${name}: ${value} is not an int (use Attr.float)`);
    }
    return onnx.AttributeProto.create({ name, type: T.INT, i: value });
  }
  if (Array.isArray(value)) {
    if (!value.every(Number.isInteger)) {
      throw new MaskEdgeError('E_INTERNAL', `attribute ${name}: [${value}] are not ints (use Attr.floats)`);
    }
    return onnx.AttributeProto.create({ name, type: T.INTS, ints: value });
  }
  switch (value.kind) {
    case 'float':
      return onnx.AttributeProto.create({ name, type: T.FLOAT, f: value.value });
    case 'floats':
      return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: value.value });
    case 'tensor':
      return onnx.AttributeProto.create({ name, type: T.TENSOR, t: value.value });
  }
}

function makeValueInfo(name: string, dtype: DType, shape: Dim[]): onnxProto.onnx.ValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: DATA_TYPE[dtype], shape: { dim } } },
  });
}

export interface ModelOptions {
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  opset?: number;
  irVersion?: number;
  modelVersion?: number;
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: onnxProto.onnx.ValueInfoProto[] = [];
  readonly outputs: onnxProto.onnx.ValueInfoProto[] = [];
  readonly metadata = new Map<string, string>();
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(readonly graphName = 'graph') {}

  /** A fresh tensor/node name starting with `prefix` (never returned twice, never equal to a used name). */
  uniqueName(prefix: string): string {
    let name = prefix;
    while (this.names.has(name)) name = `${prefix}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  private claim(name: string): string {
    if (this.names.has(name)) {
      throw new MaskEdgeError('E_INTERNAL', `ONNX graph name used twice: ${name}`, { detail: { name } });
    }
    this.names.add(name);
    return name;
  }

  addInput(name: string, dtype: DType, shape: Dim[]): string {
    this.inputs.push(makeValueInfo(this.claim(name), dtype, shape));
    return name;
  }

  /** Declares a graph output; the tensor itself is produced by some node. */
  addOutput(name: string, dtype: DType, shape: Dim[]): string {
    this.outputs.push(makeValueInfo(name, dtype, shape));
    return name;
  }

  /** Adds a constant tensor; returns its name (made unique from `name`). */
  addInitializer(name: string, dtype: DType, dims: number[], data: TensorData): string {
    const unique = this.uniqueName(name);
    this.initializers.push(makeTensor(unique, dtype, dims, data));
    return unique;
  }

  /**
   * Adds a node. `outputs` may be given as names (used verbatim) or a count (fresh names from the op).
   * Returns the output names.
   */
  addNode(
    opType: string,
    inputs: string[],
    outputs: string[] | number = 1,
    attributes: Record<string, AttributeValue | undefined> = {},
    name?: string,
  ): string[] {
    const nodeName = this.uniqueName(name ?? opType);
    const outs =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) => this.uniqueName(`${nodeName}_out${i === 0 ? '' : i}`))
        : outputs.map((o) => (this.names.has(o) ? o : this.claim(o)));
    const attribute = Object.entries(attributes)
      .filter((e): e is [string, AttributeValue] => e[1] !== undefined)
      .map(([k, v]) => makeAttribute(k, v));
    this.nodes.push(
      onnx.NodeProto.create({ name: nodeName, opType, input: inputs, output: outs, attribute }),
    );
    return outs;
  }

  /** Shorthand for a single-output node. */
  op(
    opType: string,
    inputs: string[],
    attributes: Record<string, AttributeValue | undefined> = {},
    name?: string,
  ): string {
    return this.addNode(opType, inputs, 1, attributes, name)[0]!;
  }

  setMetadata(key: string, value: string | number | boolean | object): void {
    this.metadata.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  }

  toModel(options: ModelOptions = {}): ModelProto {
    return onnx.ModelProto.create({
      irVersion: options.irVersion ?? DEFAULT_IR_VERSION,
      opsetImport: [{ domain: '', version: options.opset ?? DEFAULT_OPSET }],
      producerName: options.producerName ?? 'mask-edge',
      producerVersion: options.producerVersion ?? '',
      docString: options.docString ?? '',
      modelVersion: options.modelVersion ?? 1,
      graph: onnx.GraphProto.create({
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      }),
      metadataProps: [...this.metadata].map(([key, value]) => ({ key, value })),
    });
  }

  serialize(options: ModelOptions = {}): Uint8Array {
    return encodeModel(this.toModel(options));
  }
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** Decodes ONNX bytes; throws E_MODEL naming `label` when the bytes are not an ONNX model. */
export function decodeModel(bytes: Uint8Array, label = 'model'): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (cause) {
    throw new MaskEdgeError('E_MODEL', `not an ONNX model (protobuf decode failed): ${label}`, {
      detail: { path: label, expected: 'an ONNX ModelProto file' },
      cause,
    });
  }
  if (!model.graph || (model.graph.node ?? []).length === 0) {
    throw new MaskEdgeError('E_MODEL', `not an ONNX model (no graph nodes): ${label}`, {
      detail: { path: label, expected: 'an ONNX ModelProto with a graph' },
    });
  }
  return model;
}

/** Reads a float32 initializer (raw_data or float_data) into a Float32Array. */
export function tensorToFloat32(t: onnxProto.onnx.ITensorProto): Float32Array {
  if (t.rawData && t.rawData.length > 0) {
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

export function tensorDims(t: onnxProto.onnx.ITensorProto): number[] {
  return (t.dims ?? []).map((d) => Number(d));
}
