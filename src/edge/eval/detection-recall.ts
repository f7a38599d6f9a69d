/**
 * Runs a face detector over annotated photos (e.g. the VOC faces from readDataset) and keeps every detection
 * with its score, so recall/precision can be summarised at any score threshold without running it again.
 */
import type { FaceSample } from '../../core/dataset/index.js';
import { decodeImage, type RgbImage } from '../../core/image-io.js';
import type { DetectOptions, FaceDetection } from '../inference/face-detector.js';
import {
  type DetectionSummary,
  type MatchOptions,
  type ScoredBox,
  summariseDetection,
  type TruthFace,
} from './detection-matching.js';

export interface AnnotatedPhoto {
  path: string;
  faces: TruthFace[];
}

export interface DetectedPhoto extends AnnotatedPhoto {
  width: number;
  height: number;
  detections: ScoredBox[];
}

/** Anything that finds faces in a frame (FaceDetector, or a wrapper such as a tiled detector). */
export interface FrameDetector {
  detect(frame: RgbImage, options?: DetectOptions): Promise<FaceDetection[]>;
}

/** Groups boxed samples by photo, in first-seen order; samples without a box (whole-image faces) are skipped. */
export function photosFromSamples(samples: readonly FaceSample[]): AnnotatedPhoto[] {
  const byPath = new Map<string, AnnotatedPhoto>();
  for (const s of samples) {
    if (!s.box) continue;
    const photo = byPath.get(s.path) ?? { path: s.path, faces: [] };
    photo.faces.push({ box: s.box, label: s.label });
    byPath.set(s.path, photo);
  }
  return [...byPath.values()];
}

export interface RunDetectorOptions extends DetectOptions {
  onProgress?: (done: number, total: number) => void;
}

/**
 * Detects faces in each photo (one at a time; decoding the next photo overlaps the current detection).
 * Use a low `minScore` (e.g. 0.05) to summarise later at several thresholds.
 */
export async function detectPhotos(
  detector: FrameDetector,
  photos: readonly AnnotatedPhoto[],
  options: RunDetectorOptions = {},
): Promise<DetectedPhoto[]> {
  const { onProgress, ...detectOptions } = options;
  const out: DetectedPhoto[] = [];
  let next = photos[0] ? decodeImage(photos[0].path) : undefined;
  for (let i = 0; i < photos.length; i++) {
    const photo = photos[i] as AnnotatedPhoto;
    const frame = await (next as Promise<RgbImage>);
    next = photos[i + 1] ? decodeImage((photos[i + 1] as AnnotatedPhoto).path) : undefined;
    const detections = await detector.detect(frame, detectOptions);
    out.push({ ...photo, width: frame.width, height: frame.height, detections });
    onProgress?.(i + 1, photos.length);
  }
  return out;
}

/** Recall/precision of detected photos at several score thresholds (the detections are reused). */
export function recallAtThresholds(
  photos: readonly DetectedPhoto[],
  thresholds: readonly number[],
  options: Omit<MatchOptions, 'minScore'> = {},
): { minScore: number; summary: DetectionSummary }[] {
  return thresholds.map((minScore) => ({
    minScore,
    summary: summariseDetection(photos, { ...options, minScore }),
  }));
}
