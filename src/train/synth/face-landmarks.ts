import * as tf from '@tensorflow/tfjs';
import { MaskEdgeError } from '../../core/errors.js';
import type { RgbImage } from '../../core/image-io.js';
import { startTrainingBackend } from '../backends/index.js';
import { faceApiModelDir, loadFaceApi } from '../teachers/face-api-backbones.js';
import type { Point } from './mask-placement.js';

interface LandmarkNet {
  isLoaded: boolean;
  loadFromDisk(dir: string): Promise<void>;
  detectLandmarks(input: tf.Tensor3D): Promise<{ positions: { x: number; y: number }[] }>;
}

/** 68 face landmarks for a face crop, in the crop's pixels. */
export type LandmarkFinder = (crop: RgbImage) => Promise<Point[]>;

/**
 * face-api's 68-point landmark network (`face_landmark_68_model`, shipped in @vladmandic/face-api/model; no
 * download) on the training backend (wasm or cpu here; tfjs-node where installed). The crop should be a face
 * box with a little margin, as face-api's detectors give; the network resizes it to 112 px itself.
 */
export async function loadLandmarkFinder(
  backend?: string,
): Promise<{ find: LandmarkFinder; device: string }> {
  const started = await startTrainingBackend(backend);
  const api = loadFaceApi() as unknown as { nets: Record<string, LandmarkNet | undefined> };
  const net = api.nets.faceLandmark68Net;
  if (!net) throw new MaskEdgeError('E_MODEL', 'face-api has no faceLandmark68Net', { detail: {} });
  if (!net.isLoaded) {
    const dir = faceApiModelDir();
    try {
      await net.loadFromDisk(dir);
    } catch (cause) {
      throw new MaskEdgeError('E_MODEL', 'cannot load face-api landmark weights (face_landmark_68_model)', {
        detail: { dir },
        cause,
      });
    }
  }
  const find: LandmarkFinder = async (crop) => {
    const input = tf.tensor3d(crop.data, [crop.height, crop.width, 3], 'int32');
    try {
      const result = await net.detectLandmarks(input);
      return result.positions.map((p) => ({ x: p.x, y: p.y }));
    } finally {
      input.dispose();
    }
  };
  return { find, device: `${started.name}: ${started.device}` };
}
