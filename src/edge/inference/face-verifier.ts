/**
 * The face verifier at the edge (contract: src/core/face-verifier-spec.ts): every detector box is cropped with
 * its context, all of a frame's boxes go through the ONNX model in one call, and each comes back with the
 * probability that it is a face and its box refined to an annotation convention. `VerifiedFaceDetector` puts it
 * behind the detector contract: the detector runs at the verifier's low candidate score, each box is scored
 * sqrt(detector score x face probability) (both stages must agree; measured better than either alone), the boxes
 * under the threshold are rejected as not faces (counted) and NMS runs again on the refined boxes.
 */
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { MaskEdgeError } from '../../core/errors.js';
import {
  applyBoxDeltas,
  VERIFIER_CONVENTIONS,
  VERIFIER_OUTPUTS,
  type VerifierConvention,
  verifierCropBox,
} from '../../core/face-verifier-spec.js';
import { type Box, cropResizeLinear, normalise, type RgbImage } from '../../core/image-io.js';
import { metadataJson, readOnnxMetadata } from '../../core/onnx-metadata.js';
import type { OrtModule } from '../../core/onnx-runtime-module.js';
import { type OpenSessionOptions, openOnnxSession } from '../../core/onnx-session.js';
import { MODELS_DIR } from '../../core/package-paths.js';
import { resolveDetector, zooDetectorNames } from './detector-zoo.js';
import type { FaceDetection, FaceDetector } from './face-detector.js';
import { nonMaxSuppression, toCorners } from './non-max-suppression.js';
import { TiledFaceDetector, type TilingOptions } from './tiled-face-detector.js';

/** What the verifier's metadata promises (mask_edge.verifier), written by `mask-edge train-verifier`. */
export interface VerifierSettings {
  inputSize: number;
  context: number;
  conventions: VerifierConvention[];
  mean: [number, number, number];
  std: [number, number, number];
  /** Detector score the candidates are taken from (chosen on validation photos). */
  candidateMinScore: number;
  /** sqrt(detector score x face probability) a box needs to be kept (chosen on validation photos). */
  minScore: number;
  /** NMS IoU on the refined boxes. */
  iou: number;
}

/** The verifier mask-edge ships (`mask-edge train-verifier` on Kaggle + ILC, SSD MobileNet v1 512 boxes). */
export const BUNDLED_VERIFIER = join(MODELS_DIR, 'face-verifier.onnx');

/** Which detector's boxes a verifier file was trained on (mask_edge.training.detector), if recorded. */
export async function verifierTrainedOn(path: string): Promise<string | undefined> {
  const training = metadataJson<{ detector?: string }>(
    await readOnnxMetadata(path),
    'mask_edge.training',
    path,
  );
  return training?.detector;
}

/**
 * The verifier to run behind a detector: 'none' -> none; a file -> that file; 'auto' -> the bundled one when it
 * exists and was trained on this detector's boxes (the zoo name, its variants such as `-int8` or `x384-int8`, or the zoo file
 * given as a path), else none. `reason` says which and why (logged by the agent, reported by eval).
 */
export async function chooseVerifier(
  ref: string,
  detector: { name: string; path: string },
): Promise<{ path?: string; reason: string }> {
  const detectorName = detector.name;
  if (ref === 'none') return { reason: 'off (none)' };
  if (ref !== 'auto') return { path: ref, reason: 'configured' };
  const present = await access(BUNDLED_VERIFIER).then(
    () => true,
    () => false,
  );
  if (!present) return { reason: `off: ${BUNDLED_VERIFIER} not found` };
  const trainedOn = await verifierTrainedOn(BUNDLED_VERIFIER);
  const sameFile = (trained: string) =>
    zooDetectorNames()
      .filter((name) => name.startsWith(trained))
      .some((name) => resolve(resolveDetector(name).path) === resolve(detector.path));
  if (
    trainedOn &&
    (detectorName === trainedOn || detectorName.startsWith(trainedOn) || sameFile(trainedOn))
  ) {
    return { path: BUNDLED_VERIFIER, reason: `auto: the bundled verifier, trained on ${trainedOn} boxes` };
  }
  return {
    reason: `off: the bundled verifier was trained on ${trainedOn ?? 'unknown'} boxes, the detector is ${detectorName} (set the verifier's file to use it anyway)`,
  };
}

/**
 * An opened detector behind the verifier `ref` chooses ('auto', a file or 'none', see chooseVerifier), tiling
 * large frames first when `tiling` is given: the one place the agent, eval and the tools put the stages together
 * (the verifier reads the detector's raw boxes, of the whole frame and of its tiles).
 */
export async function withVerifier(
  opened: { detector: FaceDetector; name: string; path: string },
  ref: string,
  options: FaceVerifierOptions = {},
  tiling?: TilingOptions,
): Promise<{
  detector: FaceDetector | TiledFaceDetector | VerifiedFaceDetector;
  verifier: { path?: string; reason: string };
}> {
  const verifier = await chooseVerifier(ref, opened);
  const tiled = (d: FaceDetector) => (tiling ? new TiledFaceDetector(d, tiling) : d);
  if (!verifier.path) return { detector: tiled(opened.detector), verifier };
  const opening = await FaceVerifier.open(verifier.path, options);
  return { detector: new VerifiedFaceDetector(tiled(opened.detector.withoutBoxAdjust()), opening), verifier };
}

export interface VerifiedBox {
  box: Box;
  faceProbability: number;
}

export interface FaceVerifierOptions extends Omit<OpenSessionOptions, 'checkContract'> {
  /** Refine boxes to this convention (default: the model's first, kaggle); 'none' keeps the detector's boxes. */
  convention?: VerifierConvention | 'none';
}

export class FaceVerifier {
  private constructor(
    private readonly session: InferenceSession,
    private readonly runtime: OrtModule,
    readonly path: string,
    readonly settings: VerifierSettings,
    readonly convention: VerifierConvention | 'none',
    readonly provider: string,
  ) {}

  static async open(path: string, options: FaceVerifierOptions = {}): Promise<FaceVerifier> {
    const opened = await openOnnxSession(path, options);
    try {
      const meta = opened.metadata;
      if (meta['mask_edge.kind'] !== 'face-verifier') {
        throw new MaskEdgeError(
          'E_MODEL',
          `${path} is not a face verifier (mask_edge.kind '${meta['mask_edge.kind'] ?? ''}')`,
          {
            detail: { path, kind: meta['mask_edge.kind'], expected: 'face-verifier' },
          },
        );
      }
      const settings = metadataJson<VerifierSettings>(meta, 'mask_edge.verifier', path);
      if (!settings || settings.conventions.length * 4 + 1 !== VERIFIER_OUTPUTS) {
        throw new MaskEdgeError(
          'E_MODEL',
          `${path}: mask_edge.verifier is missing or names other conventions`,
          {
            detail: { path, verifier: meta['mask_edge.verifier'], expected: VERIFIER_CONVENTIONS },
          },
        );
      }
      const convention = options.convention ?? settings.conventions[0]!;
      if (convention !== 'none' && !settings.conventions.includes(convention)) {
        throw new MaskEdgeError('E_USAGE', `the face verifier knows no box convention '${convention}'`, {
          detail: { convention, known: [...settings.conventions, 'none'] },
        });
      }
      return new FaceVerifier(opened.session, opened.runtime, path, settings, convention, opened.provider);
    } catch (err) {
      await opened.session.release();
      throw err;
    }
  }

  /** Face probability and refined box of every detector box, in one batched call. */
  async verify(
    frame: RgbImage,
    boxes: readonly Box[],
    convention: VerifierConvention | 'none' = this.convention,
  ): Promise<VerifiedBox[]> {
    if (boxes.length === 0) return [];
    const { inputSize: s, context, mean, std } = this.settings;
    const per = 3 * s * s;
    const data = new Float32Array(boxes.length * per);
    const crops = boxes.map((b) => cropResizeLinear(frame, verifierCropBox(b, context), s));
    crops.forEach((c, i) => {
      normalise(c, { layout: 'NCHW', mean, std }, data, i * per);
    });
    const input = new this.runtime.Tensor('float32', data, [boxes.length, 3, s, s]);
    const name = this.session.inputNames[0]!;
    const outputs = await this.session.run({ [name]: input });
    const out = (outputs[this.session.outputNames[0]!] as Tensor).data as Float32Array;
    if (out.length !== boxes.length * VERIFIER_OUTPUTS) {
      throw new MaskEdgeError(
        'E_MODEL',
        `face verifier output has ${out.length} values for ${boxes.length} boxes`,
        {
          detail: { path: this.path, expected: [boxes.length, VERIFIER_OUTPUTS] },
        },
      );
    }
    const head = convention === 'none' ? -1 : this.settings.conventions.indexOf(convention);
    return boxes.map((box, i) => {
      const row = out.subarray(i * VERIFIER_OUTPUTS, (i + 1) * VERIFIER_OUTPUTS);
      const refined =
        head < 0 ? box : applyBoxDeltas(box, Array.from(row.subarray(1 + 4 * head, 5 + 4 * head)));
      return { box: clipBox(refined, frame), faceProbability: 1 / (1 + Math.exp(-row[0]!)) };
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function clipBox(b: Box, frame: RgbImage): Box {
  const x0 = Math.max(0, b.x);
  const y0 = Math.max(0, b.y);
  const x1 = Math.min(frame.width, b.x + b.width);
  const y1 = Math.min(frame.height, b.y + b.height);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

export interface DetectorLike {
  readonly provider: string;
  detect(
    frame: RgbImage,
    options?: { minScore?: number; iou?: number; maxFaces?: number },
  ): Promise<FaceDetection[] & { tiled?: boolean }>;
  close(): Promise<void>;
}

/** A verified detection: `score` is sqrt(detector score x face probability); both are kept beside it. */
export interface VerifiedDetection extends FaceDetection {
  detectorScore: number;
  faceProbability: number;
}

/** The verified score of a box: both stages must agree. */
export function verifiedScore(detectorScore: number, faceProbability: number): number {
  return Math.sqrt(Math.max(0, detectorScore) * Math.max(0, faceProbability));
}

/**
 * Detector + verifier behind the detector contract. `minScore` is the verified-score threshold (default: the
 * verifier's); the detector itself runs at the verifier's candidate score. `rejected` counts the detector boxes
 * the verifier dropped as not faces.
 */
export class VerifiedFaceDetector implements DetectorLike {
  rejected = 0;
  readonly contract: { defaults: { minScore: number } };

  /** `detector` must give raw boxes (box convention 'none'): the verifier was trained on those. */
  constructor(
    readonly detector: DetectorLike,
    readonly verifier: FaceVerifier,
  ) {
    this.contract = { defaults: { minScore: verifier.settings.minScore } };
  }

  get provider(): string {
    return this.detector.provider;
  }

  async detect(
    frame: RgbImage,
    options: { minScore?: number; iou?: number; maxFaces?: number } = {},
  ): Promise<VerifiedDetection[] & { rejected: number; tiled?: boolean }> {
    const minScore = options.minScore ?? this.verifier.settings.minScore;
    const maxFaces = options.maxFaces ?? 100;
    const candidates = await this.detector.detect(frame, {
      // sqrt(s x p) >= t needs s >= t^2 (p <= 1): boxes under that floor cannot be kept, so none is verified.
      minScore: Math.max(this.verifier.settings.candidateMinScore, minScore * minScore),
      maxFaces: Math.max(maxFaces, 100),
    });
    const verified = await this.verifier.verify(
      frame,
      candidates.map((c) => c.box),
    );
    const passing: VerifiedDetection[] = [];
    verified.forEach((v, i) => {
      const score = verifiedScore(candidates[i]!.score, v.faceProbability);
      if (score >= minScore && v.box.width >= 1 && v.box.height >= 1) {
        passing.push({
          box: v.box,
          score,
          detectorScore: candidates[i]!.score,
          faceProbability: v.faceProbability,
        });
      }
    });
    const rejected = verified.length - passing.length;
    this.rejected += rejected;
    // NMS again: refined boxes of one face may now overlap more than the detector's did.
    const kept = nonMaxSuppression(
      passing.map((d) => toCorners(d.box)),
      passing.map((d) => d.score),
      options.iou ?? this.verifier.settings.iou,
      maxFaces,
    ).map((k) => passing[k]!);
    // a tiling detector says whether this frame was tiled: passed on to the agent's per-camera counters
    const tiled = candidates.tiled === true;
    return Object.assign(kept, { rejected, ...(tiled ? { tiled } : {}) });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.detector.close(), this.verifier.close()]);
  }
}
