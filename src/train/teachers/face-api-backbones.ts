import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MaskEdgeError } from '../../core/errors.js';
import type { RgbImage } from '../../core/image-io.js';
import { packageDir, requireFromPackage } from '../../core/package-paths.js';
import { type ResNetParams, resnetFaceSpatialFeatures } from './resnet-face-features.js';

/**
 * Pretrained face networks shipped in @vladmandic/face-api (weights in its model/ folder, no downloads),
 * used as frozen feature extractors for transfer-learning teachers.
 */
export interface FrozenBackbone {
  name: string;
  description: string;
  /** Square input side the network expects. */
  inputSize: number;
  featureSize: number;
  /** Parameters of the pretrained network (counted in the teacher's size). */
  parameters: number;
  /** Features [N, featureSize] for RGB crops (any size; resized to inputSize by face-api). */
  features(crops: RgbImage[]): tf.Tensor2D;
}

interface FaceApiNet {
  params?: unknown;
  loadFromDisk(dir: string): Promise<void>;
  getParamList(): { path: string; tensor: tf.Tensor }[];
  forwardInput(input: unknown): tf.Tensor;
  faceFeatureExtractor?: { forwardInput(input: unknown): tf.Tensor };
}

interface FaceApiModule {
  nets: Record<string, FaceApiNet>;
  NetInput: new (inputs: tf.Tensor3D[], treatAsBatchInput?: boolean) => unknown;
}

let faceApi: FaceApiModule | undefined;

/** face-api's node-wasm build (CommonJS) shares our tfjs engine and backend. */
export function loadFaceApi(): FaceApiModule {
  faceApi ??= requireFromPackage('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule;
  return faceApi;
}

export function faceApiModelDir(): string {
  return join(packageDir('@vladmandic/face-api'), 'model');
}

function countParams(net: FaceApiNet): number {
  return net.getParamList().reduce((sum, p) => sum + p.tensor.size, 0);
}

function toInputs(crops: RgbImage[]): tf.Tensor3D[] {
  return crops.map((c) => tf.tensor3d(Float32Array.from(c.data), [c.height, c.width, 3], 'float32'));
}

export const FACE_API_BACKBONES = {
  'face-recognition': {
    netName: 'faceRecognitionNet',
    description: 'face-api face-recognition ResNet-34, frozen, last 2x2x256 feature map (before pooling)',
    inputSize: 150,
    forward: (net: FaceApiNet, input: unknown) =>
      resnetFaceSpatialFeatures(
        net.params as ResNetParams,
        (input as { toBatchTensor(size: number, center: boolean): tf.Tensor4D }).toBatchTensor(150, true),
      ),
  },
  'face-recognition-mid': {
    netName: 'faceRecognitionNet',
    description:
      'face-api face-recognition ResNet-34, frozen, its 4x4x256 map one stage before the last (finer spatial layout)',
    inputSize: 150,
    forward: (net: FaceApiNet, input: unknown) =>
      resnetFaceSpatialFeatures(
        net.params as ResNetParams,
        (input as { toBatchTensor(size: number, center: boolean): tf.Tensor4D }).toBatchTensor(150, true),
        'mid',
      ),
  },
  'face-embedding': {
    netName: 'faceRecognitionNet',
    description: 'face-api face-recognition ResNet-34, frozen, its 128-d embedding',
    inputSize: 150,
    forward: (net: FaceApiNet, input: unknown) => net.forwardInput(input) as tf.Tensor2D,
  },
  'landmark-tiny': {
    netName: 'faceLandmark68TinyNet',
    description: 'face-api 68-landmark tiny net feature extractor (dense blocks, 128-d), frozen',
    inputSize: 112,
    forward: (net: FaceApiNet, input: unknown) => {
      const out = net.faceFeatureExtractor!.forwardInput(input);
      return out.reshape([out.shape[0]!, -1]) as tf.Tensor2D;
    },
  },
  landmark: {
    netName: 'faceLandmark68Net',
    description: 'face-api 68-landmark net feature extractor (dense blocks, 256-d), frozen',
    inputSize: 112,
    forward: (net: FaceApiNet, input: unknown) => {
      const out = net.faceFeatureExtractor!.forwardInput(input);
      return out.reshape([out.shape[0]!, -1]) as tf.Tensor2D;
    },
  },
  expression: {
    netName: 'faceExpressionNet',
    description:
      'face-api facial-expression net feature extractor (dense blocks trained on expressions: mouth and eyes, 256-d), frozen',
    inputSize: 112,
    forward: (net: FaceApiNet, input: unknown) => {
      const out = net.faceFeatureExtractor!.forwardInput(input);
      return out.reshape([out.shape[0]!, -1]) as tf.Tensor2D;
    },
  },
  'age-gender': {
    netName: 'ageGenderNet',
    description:
      'face-api age/gender net feature extractor (TinyXception), frozen, its 7x7x512 map average-pooled to 2x2x512',
    inputSize: 112,
    forward: (net: FaceApiNet, input: unknown) => {
      const map = net.faceFeatureExtractor!.forwardInput(input) as tf.Tensor4D;
      const pooled = tf.avgPool(map, 4, 3, 'valid');
      return pooled.reshape([pooled.shape[0], -1]) as tf.Tensor2D;
    },
  },
} as const;

export type FaceApiBackboneName = keyof typeof FACE_API_BACKBONES;

export async function loadFaceApiBackbone(name: FaceApiBackboneName): Promise<FrozenBackbone> {
  const spec = FACE_API_BACKBONES[name];
  const api = loadFaceApi();
  const net = api.nets[spec.netName];
  if (!net)
    throw new MaskEdgeError('E_MODEL', `face-api has no network ${spec.netName}`, { detail: { name } });
  const dir = faceApiModelDir();
  try {
    await net.loadFromDisk(dir);
  } catch (cause) {
    throw new MaskEdgeError('E_MODEL', `cannot load face-api weights for ${name}`, {
      detail: { dir },
      cause,
    });
  }
  const features = (crops: RgbImage[]): tf.Tensor2D => {
    const inputs = toInputs(crops);
    try {
      // tidy: face-api's batch tensor and every intermediate are freed; without it each batch leaked its input
      // (32x150x150x3 floats) and a second teacher ran the wasm heap out of memory.
      return tf.tidy(() => spec.forward(net, new api.NetInput(inputs, true)));
    } finally {
      for (const t of inputs) t.dispose();
    }
  };
  const probe = features([
    { width: spec.inputSize, height: spec.inputSize, data: new Uint8Array(spec.inputSize ** 2 * 3) },
  ]);
  const featureSize = probe.shape[1];
  probe.dispose();
  return {
    name,
    description: spec.description,
    inputSize: spec.inputSize,
    featureSize,
    parameters: countParams(net),
    features,
  };
}
