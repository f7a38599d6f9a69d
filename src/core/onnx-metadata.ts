/**
 * Reads an ONNX file's metadata_props without onnxruntime (its Node binding does not expose custom metadata):
 * the ModelProto's top-level fields are walked with protobufjs and only the metadata entries are decoded with
 * `onnx-proto`, so large weights are skipped, not copied.
 */
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import protobuf from 'protobufjs/minimal.js';
import { MaskEdgeError } from './errors.js';

const { onnx } = onnxProto;

/** ModelProto field numbers (onnx.proto). */
const FIELD = { irVersion: 1, graph: 7, opsetImport: 8, metadataProps: 14 } as const;

export interface OnnxFileSummary {
  irVersion: number;
  opset: number | undefined;
  metadata: Record<string, string>;
}

export async function readModelBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new MaskEdgeError('E_NOT_FOUND', `model file not found: ${path}`, { detail: { path }, cause });
    }
    throw new MaskEdgeError('E_MODEL', `cannot read model file ${path}: ${(cause as Error).message}`, {
      detail: { path },
      cause,
    });
  }
}

/** Parses the top level of an ONNX ModelProto; a truncated or non-ONNX file raises E_MODEL naming it. */
export function summariseOnnx(bytes: Uint8Array, path: string): OnnxFileSummary {
  const reader = protobuf.Reader.create(bytes);
  const metadata: Record<string, string> = {};
  let irVersion = 0;
  let opset: number | undefined;
  let hasGraph = false;
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === FIELD.irVersion && wire === 0) {
        irVersion = Number(reader.int64());
      } else if (field === FIELD.metadataProps && wire === 2) {
        const entry = onnx.StringStringEntryProto.decode(reader, reader.uint32());
        metadata[entry.key] = entry.value;
      } else if (field === FIELD.opsetImport && wire === 2) {
        const op = onnx.OperatorSetIdProto.decode(reader, reader.uint32());
        if (!op.domain) opset = Number(op.version);
      } else {
        if (field === FIELD.graph && wire === 2) hasGraph = true;
        reader.skipType(wire);
      }
    }
  } catch (cause) {
    throw notOnnx(path, `truncated or not protobuf (${(cause as Error).message})`, cause);
  }
  if (irVersion <= 0 || !hasGraph) {
    throw notOnnx(path, irVersion <= 0 ? 'no ir_version field' : 'no graph');
  }
  return { irVersion, opset, metadata };
}

function notOnnx(path: string, why: string, cause?: unknown): MaskEdgeError {
  return new MaskEdgeError('E_MODEL', `${path} is not a valid ONNX model: ${why}`, {
    detail: { path, expected: 'an ONNX ModelProto (.onnx file)' },
    cause,
  });
}

/** The model's metadata_props as a plain object (values are strings; JSON-encoded where not scalar). */
export async function readOnnxMetadata(path: string): Promise<Record<string, string>> {
  return summariseOnnx(await readModelBytes(path), path).metadata;
}

/** Parses a JSON-encoded metadata value, or raises E_MODEL naming the key and file. */
export function metadataJson<T>(metadata: Record<string, string>, key: string, path: string): T | undefined {
  const raw = metadata[key];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch (cause) {
    throw new MaskEdgeError('E_MODEL', `metadata ${key} of ${path} is not valid JSON: ${raw}`, {
      detail: { path, key, value: raw },
      cause,
    });
  }
}
