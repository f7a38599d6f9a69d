/** Read-only views over a decoded ONNX model used by calibration and quantization. */
import type onnxProto from 'onnx-proto';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/graph-builder.js';

export type INode = onnxProto.onnx.INodeProto;

export function cloneModel(model: ModelProto): ModelProto {
  return decodeModel(encodeModel(model));
}

export function nodesOf(model: ModelProto): INode[] {
  return model.graph?.node ?? [];
}

export function initializerMap(model: ModelProto): Map<string, onnxProto.onnx.ITensorProto> {
  return new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
}

/** Float activation tensors: graph inputs that are not initializers, and every node output. */
export function activationTensors(model: ModelProto): string[] {
  const inits = initializerMap(model);
  const inputs = (model.graph?.input ?? []).map((i) => i.name ?? '').filter((n) => !inits.has(n));
  return [...inputs, ...nodesOf(model).flatMap((n) => n.output ?? [])];
}

export function consumersOf(model: ModelProto): Map<string, INode[]> {
  const map = new Map<string, INode[]>();
  for (const node of nodesOf(model)) {
    for (const input of node.input ?? []) {
      const list = map.get(input) ?? [];
      list.push(node);
      map.set(input, list);
    }
  }
  return map;
}

export function intAttr(node: INode, name: string, fallback: number): number {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? fallback : Number(a.i);
}
