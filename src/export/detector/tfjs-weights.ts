/**
 * Reads a TensorFlow.js weights manifest (`*-weights_manifest.json` + its `.bin` shards) into named float32
 * arrays, undoing the uint8/uint16 affine quantization (value = q * scale + min) that face-api's files use.
 * No TensorFlow.js needed: the format is a JSON list of {name, shape, dtype, quantization?} entries whose
 * bytes follow one another in the concatenated shards.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MaskEdgeError } from '../../core/errors.js';

export interface WeightTensor {
  name: string;
  /** Shape as stored (TensorFlow layout: conv filters are [kh, kw, in, out]). */
  shape: number[];
  data: Float32Array;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: { dtype: 'uint8' | 'uint16'; scale: number; min: number };
}

interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

const BYTES = { float32: 4, int32: 4, uint8: 1, uint16: 2 } as const;

/** Loads every tensor of a tfjs weights manifest; throws E_NOT_FOUND / E_MODEL with the path on bad files. */
export async function readTfjsWeights(manifestPath: string): Promise<Map<string, WeightTensor>> {
  let groups: ManifestGroup[];
  try {
    groups = JSON.parse(await readFile(manifestPath, 'utf8')) as ManifestGroup[];
  } catch (cause) {
    throw new MaskEdgeError('E_NOT_FOUND', `cannot read weights manifest ${manifestPath}`, {
      detail: { path: manifestPath },
      cause,
    });
  }
  const out = new Map<string, WeightTensor>();
  for (const group of groups) {
    const shards = await Promise.all(group.paths.map((p) => readShard(join(dirname(manifestPath), p))));
    const bytes = Buffer.concat(shards);
    let offset = 0;
    for (const entry of group.weights) {
      const count = entry.shape.reduce((a, b) => a * b, 1);
      const storage = entry.quantization?.dtype ?? entry.dtype;
      const length = count * BYTES[storage];
      if (offset + length > bytes.length) {
        throw new MaskEdgeError('E_MODEL', `weights file too short for ${entry.name}`, {
          detail: { path: manifestPath, tensor: entry.name, needed: offset + length, have: bytes.length },
        });
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length);
      out.set(entry.name, { name: entry.name, shape: entry.shape, data: decode(view, count, entry) });
      offset += length;
    }
    if (offset !== bytes.length) {
      throw new MaskEdgeError('E_MODEL', `weights file has ${bytes.length - offset} unexplained bytes`, {
        detail: { path: manifestPath, expected: offset, have: bytes.length },
      });
    }
  }
  return out;
}

async function readShard(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new MaskEdgeError('E_NOT_FOUND', `cannot read weights shard ${path}`, { detail: { path }, cause });
  }
}

function decode(view: DataView, count: number, entry: ManifestEntry): Float32Array {
  const data = new Float32Array(count);
  const q = entry.quantization;
  for (let i = 0; i < count; i++) {
    if (q?.dtype === 'uint8') data[i] = view.getUint8(i) * q.scale + q.min;
    else if (q?.dtype === 'uint16') data[i] = view.getUint16(i * 2, true) * q.scale + q.min;
    else if (entry.dtype === 'int32') data[i] = view.getInt32(i * 4, true);
    else data[i] = view.getFloat32(i * 4, true);
  }
  return data;
}

/** The named tensor, checked against an expected shape; E_MODEL names the tensor when absent or mis-shaped. */
export function weight(weights: Map<string, WeightTensor>, name: string, shape?: number[]): WeightTensor {
  const w = weights.get(name);
  if (!w) throw new MaskEdgeError('E_MODEL', `weights lack tensor ${name}`, { detail: { tensor: name } });
  if (shape && (shape.length !== w.shape.length || shape.some((d, i) => d !== w.shape[i]))) {
    throw new MaskEdgeError('E_MODEL', `tensor ${name} has shape [${w.shape}], expected [${shape}]`, {
      detail: { tensor: name, shape: w.shape, expected: shape },
    });
  }
  return w;
}
