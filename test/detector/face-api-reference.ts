/**
 * face-api's own SSD MobileNet v1 (tfjs, wasm backend) as the reference the ONNX detector is checked
 * against. Tests only: src/edge never loads TensorFlow.js.
 */
import type { Box, RgbImage } from '../../src/core/image-io.js';
import { packageDir, requireFromPackage } from '../../src/core/package-paths.js';

interface FaceApiDetection {
  score: number;
  box: { x: number; y: number; width: number; height: number };
}
interface FaceApiModule {
  nets: {
    ssdMobilenetv1: { loadFromDisk(dir: string): Promise<void>; isLoaded: boolean };
    tinyFaceDetector: { loadFromDisk(dir: string): Promise<void>; isLoaded: boolean };
  };
  SsdMobilenetv1Options: new (o: { minConfidence?: number; maxResults?: number }) => unknown;
  TinyFaceDetectorOptions: new (o: { inputSize?: number; scoreThreshold?: number }) => unknown;
  detectAllFaces(input: unknown, options: unknown): Promise<FaceApiDetection[]>;
  toNetInput(input: unknown): Promise<{ toBatchTensor(size: number, center: boolean): TfTensor }>;
}
interface TfTensor {
  dispose(): void;
  dataSync(): Float32Array;
  shape: number[];
}
interface Tfjs {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  tensor3d(data: Uint8Array, shape: [number, number, number], dtype: 'int32'): TfTensor;
}

let loaded: Promise<{ faceapi: FaceApiModule; tf: Tfjs }> | undefined;

/** Loads tfjs (wasm backend) and face-api's node-wasm build with the SSD weights, once per process. */
export function loadFaceApi(): Promise<{ faceapi: FaceApiModule; tf: Tfjs }> {
  loaded ??= (async () => {
    const tf = requireFromPackage('@tensorflow/tfjs') as Tfjs;
    const wasm = requireFromPackage('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(p: string): void };
    wasm.setWasmPaths(`${packageDir('@tensorflow/tfjs-backend-wasm')}/dist/`);
    await tf.setBackend('wasm');
    await tf.ready();
    const faceapi = requireFromPackage('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule;
    await faceapi.nets.ssdMobilenetv1.loadFromDisk(`${packageDir('@vladmandic/face-api')}/model`);
    await faceapi.nets.tinyFaceDetector.loadFromDisk(`${packageDir('@vladmandic/face-api')}/model`);
    return { faceapi, tf };
  })();
  return loaded;
}

export interface ReferenceDetection {
  box: Box;
  score: number;
}

/** face-api's detections on an RGB frame (its own preprocessing: pad bottom/right to square, bilinear resize). */
export async function faceApiDetect(
  image: RgbImage,
  options: { minConfidence?: number; maxResults?: number } = {},
): Promise<ReferenceDetection[]> {
  const { faceapi } = await loadFaceApi();
  return detectWith(image, new faceapi.SsdMobilenetv1Options(options));
}

/** face-api's tiny face detector (its defaults: input 416, score 0.5, NMS IoU 0.4). */
export async function faceApiDetectTiny(
  image: RgbImage,
  options: { inputSize?: number; scoreThreshold?: number } = {},
): Promise<ReferenceDetection[]> {
  const { faceapi } = await loadFaceApi();
  return detectWith(image, new faceapi.TinyFaceDetectorOptions(options));
}

async function detectWith(image: RgbImage, options: unknown): Promise<ReferenceDetection[]> {
  const { faceapi, tf } = await loadFaceApi();
  const tensor = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  try {
    const found = await faceapi.detectAllFaces(tensor, options);
    return found.map((d) => {
      // face-api clips to the padded square; clip to the frame like FaceDetector does.
      const x0 = Math.max(0, d.box.x);
      const y0 = Math.max(0, d.box.y);
      const x1 = Math.min(image.width, d.box.x + d.box.width);
      const y1 = Math.min(image.height, d.box.y + d.box.height);
      return { score: d.score, box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } };
    });
  } finally {
    tensor.dispose();
  }
}

/**
 * The float input face-api's SSD computes for a frame, NHWC [size, size, 3]: NetInput.toBatchTensor(size, false)
 * (pad bottom/right to square, tf.image.resizeBilinear), then x / 127.5 - 1 as SsdMobilenetv1.forwardInput does.
 */
export async function faceApiSsdInput(image: RgbImage, size = 512): Promise<Float32Array> {
  const { faceapi, tf } = await loadFaceApi();
  const tensor = tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
  try {
    const batch = (await faceapi.toNetInput(tensor)).toBatchTensor(size, false);
    const pixels = batch.dataSync();
    batch.dispose();
    return pixels.map((v) => v / 127.5 - 1);
  } finally {
    tensor.dispose();
  }
}
