/**
 * Reads a tfjs layers checkpoint from disk (model.json + its weight files, CONTRACTS §3) without TensorFlow.js:
 * the Keras topology JSON and the weight manifest, with every weight decoded to float32.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MaskEdgeError } from '../../core/errors.js';

export interface WeightTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

export interface TfjsCheckpoint {
  modelJsonPath: string;
  /** The Keras-style topology (`{ class_name, config }`). */
  topology: Record<string, unknown>;
  weights: Map<string, WeightTensor>;
  /** The raw model.json (format, generatedBy, weightsManifest, ...). */
  modelJson: Record<string, unknown>;
}

/** `path` is a model.json file or a folder holding one. */
export async function resolveModelJson(path: string): Promise<string> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (cause) {
    throw new MaskEdgeError('E_NOT_FOUND', `tfjs checkpoint not found: ${path}`, {
      detail: { path, expected: 'a model.json file or a folder containing one' },
      cause,
    });
  }
  if (!info.isDirectory()) return path;
  const candidate = join(path, 'model.json');
  try {
    await stat(candidate);
  } catch (cause) {
    throw new MaskEdgeError('E_NOT_FOUND', `no model.json in ${path}`, {
      detail: { path: candidate, expected: 'a tfjs layers model.json' },
      cause,
    });
  }
  return candidate;
}

export async function readTfjsCheckpoint(path: string): Promise<TfjsCheckpoint> {
  const modelJsonPath = await resolveModelJson(path);
  let modelJson: Record<string, unknown>;
  try {
    modelJson = JSON.parse(await readFile(modelJsonPath, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new MaskEdgeError('E_MODEL', `not a tfjs model.json (invalid JSON): ${modelJsonPath}`, {
      detail: { path: modelJsonPath, expected: 'a tfjs layers model.json' },
      cause,
    });
  }
  let topology = modelJson.modelTopology as Record<string, unknown> | undefined;
  if (topology && typeof topology.model_config === 'object') {
    topology = topology.model_config as Record<string, unknown>;
  }
  if (!topology || typeof topology.class_name !== 'string') {
    throw new MaskEdgeError('E_MODEL', `model.json has no layers topology: ${modelJsonPath}`, {
      detail: { path: modelJsonPath, expected: 'modelTopology.class_name (a tfjs layers model)' },
    });
  }
  const weights = await readWeights(modelJson, modelJsonPath);
  return { modelJsonPath, topology, weights, modelJson };
}

async function readWeights(
  modelJson: Record<string, unknown>,
  modelJsonPath: string,
): Promise<Map<string, WeightTensor>> {
  const manifest = modelJson.weightsManifest as { paths: string[]; weights: WeightSpec[] }[] | undefined;
  if (!Array.isArray(manifest)) {
    throw new MaskEdgeError('E_MODEL', `model.json has no weightsManifest: ${modelJsonPath}`, {
      detail: { path: modelJsonPath, expected: 'weightsManifest: [{ paths, weights }]' },
    });
  }
  const out = new Map<string, WeightTensor>();
  for (const group of manifest) {
    const parts: Buffer[] = [];
    for (const rel of group.paths) {
      const file = join(dirname(modelJsonPath), rel);
      try {
        parts.push(await readFile(file));
      } catch (cause) {
        throw new MaskEdgeError('E_NOT_FOUND', `weight file missing: ${file}`, {
          detail: { path: file, expected: `weights listed in ${modelJsonPath}` },
          cause,
        });
      }
    }
    const buffer = Buffer.concat(parts);
    let offset = 0;
    for (const spec of group.weights) {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const bytes = count * bytesPerElement(spec, modelJsonPath);
      if (offset + bytes > buffer.length) {
        throw new MaskEdgeError(
          'E_MODEL',
          `weight data truncated: ${group.paths.join(', ')} holds ${buffer.length} bytes, ` +
            `${spec.name} needs bytes ${offset}..${offset + bytes}`,
          { detail: { path: join(dirname(modelJsonPath), group.paths[0] ?? ''), weight: spec.name } },
        );
      }
      out.set(spec.name, {
        name: spec.name,
        shape: spec.shape,
        data: decodeWeight(spec, buffer.subarray(offset, offset + bytes), count),
      });
      offset += bytes;
    }
  }
  return out;
}

function bytesPerElement(spec: WeightSpec, path: string): number {
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  if (dtype === 'float32' || dtype === 'int32') return 4;
  if (dtype === 'uint16' || dtype === 'float16') return 2;
  if (dtype === 'uint8') return 1;
  throw new MaskEdgeError('E_UNSUPPORTED', `weight ${spec.name} has unsupported dtype ${dtype}`, {
    detail: { path, weight: spec.name, dtype },
  });
}

function decodeWeight(spec: WeightSpec, bytes: Buffer, count: number): Float32Array {
  const copy = new Uint8Array(bytes);
  const q = spec.quantization;
  if (!q) {
    return spec.dtype === 'int32'
      ? Float32Array.from(new Int32Array(copy.buffer, 0, count))
      : new Float32Array(copy.buffer, 0, count);
  }
  if (q.dtype === 'float16') {
    const halves = new Uint16Array(copy.buffer, 0, count);
    return Float32Array.from(halves, halfToFloat);
  }
  const ints = q.dtype === 'uint8' ? copy : new Uint16Array(copy.buffer, 0, count);
  const scale = q.scale ?? 1;
  const min = q.min ?? 0;
  return Float32Array.from(ints, (v) => v * scale + min);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
