/**
 * The file a detector head fine-tune writes (`mask-edge train-detector`) and the detector build reads: the SSD's
 * box-predictor tensors (1x1 convolutions, tfjs layout [1, 1, in, out] and biases [out]) by their tfjs names,
 * float32 little-endian in base64, plus a note of what they were trained on. Everything else of the network
 * stays face-api's, so the file is small (about 0.6 MB) and can be committed beside the recorded box fits.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { MaskEdgeError } from './errors.js';

export const DETECTOR_HEADS_FORMAT = 'mask-edge-ssd-heads';

export interface HeadTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface DetectorHeadsFile {
  format: typeof DETECTOR_HEADS_FORMAT;
  version: 1;
  /** The detector whose backbone the heads were trained on (zoo name). */
  base: string;
  /** Input size [height, width] the features were computed at. */
  inputSize: [number, number];
  /** What they were trained on and how (split, seed, epochs, measured validation figures). */
  trainedOn: Record<string, unknown>;
  tensors: HeadTensor[];
}

interface StoredTensor {
  name: string;
  shape: number[];
  base64: string;
}

export async function writeDetectorHeads(path: string, file: DetectorHeadsFile): Promise<void> {
  const tensors: StoredTensor[] = file.tensors.map((t) => ({
    name: t.name,
    shape: t.shape,
    base64: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64'),
  }));
  await writeFile(path, `${JSON.stringify({ ...file, tensors })}\n`);
}

export async function readDetectorHeads(path: string): Promise<DetectorHeadsFile> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new MaskEdgeError('E_NOT_FOUND', `cannot read detector heads file ${path}`, {
      detail: { path },
      cause,
    });
  }
  const file = raw as Partial<Omit<DetectorHeadsFile, 'tensors'>> & { tensors?: StoredTensor[] };
  if (file.format !== DETECTOR_HEADS_FORMAT || file.version !== 1 || !Array.isArray(file.tensors)) {
    throw new MaskEdgeError('E_MODEL', `${path} is not a ${DETECTOR_HEADS_FORMAT} v1 file`, {
      detail: { path, format: file.format, version: file.version },
    });
  }
  const tensors = file.tensors.map((t) => {
    const bytes = Buffer.from(t.base64, 'base64');
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (bytes.length !== count * 4) {
      throw new MaskEdgeError(
        'E_MODEL',
        `${path}: tensor ${t.name} holds ${bytes.length} bytes, not ${count * 4}`,
        {
          detail: { path, name: t.name, shape: t.shape, bytes: bytes.length },
        },
      );
    }
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(bytes);
    return { name: t.name, shape: t.shape, data };
  });
  return { ...(file as Omit<DetectorHeadsFile, 'tensors'>), tensors };
}
