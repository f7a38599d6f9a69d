/**
 * Face detector on ONNX Runtime: letterbox the frame, run the SSD graph, decode boxes against the anchors
 * described in the model's metadata, threshold, non-maximum suppression, boxes back in frame pixels.
 * Everything model-specific comes from metadata_props (see detector-contract.ts).
 */
import type { InferenceSession } from 'onnxruntime-common';
import { MaskEdgeError } from '../../core/errors.js';
import type { Box, RgbImage } from '../../core/image-io.js';
import type { OrtModule } from '../../core/onnx-runtime-module.js';
import { type OpenSessionOptions, openOnnxSession } from '../../core/onnx-session.js';
import { adjustBox, boxDecoder, type NormalisedBox } from './box-decoding.js';
import { type DetectorContract, NO_BOX_ADJUST, parseDetectorContract } from './detector-contract.js';
import { letterbox } from './detector-input.js';
import { type Corners, nonMaxSuppression } from './non-max-suppression.js';

export interface FaceDetection {
  box: Box;
  score: number;
}

export interface DetectOptions {
  /** Keep detections scoring above this (default: the model's metadata default). */
  minScore?: number;
  /** NMS: drop a box overlapping a better one by more than this IoU (default: the model's). */
  iou?: number;
  maxFaces?: number;
}

export interface FaceDetectorOptions extends OpenSessionOptions {
  /**
   * Use the box adjustment fitted on this annotation source (metadata 'mask_edge.box_adjust_by_source', e.g.
   * 'ilc'); 'none' turns the adjustment off. Default: the model's own ('mask_edge.box_adjust').
   */
  boxConvention?: string;
}

export class FaceDetector {
  /** Input buffers whose run has finished, ready for the next frame (see infer). */
  private readonly freeInputs: Float32Array[] = [];

  private constructor(
    readonly path: string,
    private readonly session: InferenceSession,
    private readonly runtime: OrtModule,
    readonly provider: string,
    readonly contract: DetectorContract,
    private readonly decoder: ReturnType<typeof boxDecoder>,
  ) {}

  static async open(path: string, options: FaceDetectorOptions = {}): Promise<FaceDetector> {
    const opened = await openOnnxSession(path, options);
    let contract: DetectorContract;
    try {
      contract = parseDetectorContract(opened.metadata, path);
      for (const name of [contract.boxesOutput, contract.scoresOutput]) {
        if (!opened.session.outputNames.includes(name)) {
          throw new MaskEdgeError('E_MODEL', `${path}: metadata names output '${name}' the graph lacks`, {
            detail: { path, expected: name, actual: [...opened.session.outputNames] },
          });
        }
      }
    } catch (err) {
      await opened.session.release();
      throw err;
    }
    if (options.boxConvention !== undefined) {
      const chosen =
        options.boxConvention === 'none' ? NO_BOX_ADJUST : contract.boxAdjustBySource[options.boxConvention];
      if (!chosen) {
        await opened.session.release();
        const known = ['none', ...Object.keys(contract.boxAdjustBySource)];
        throw new MaskEdgeError(
          'E_USAGE',
          `${path} has no box adjustment for '${options.boxConvention}'; it has: ${known.join(', ')}`,
          { detail: { path, boxConvention: options.boxConvention, known } },
        );
      }
      contract = { ...contract, boxAdjust: chosen };
    }
    const decoder = boxDecoder(contract.coding, contract.inputSize, contract.inputHeight);
    return new FaceDetector(path, opened.session, opened.runtime, opened.provider, contract, decoder);
  }

  get inputSize(): number {
    return this.contract.inputSize;
  }

  /** The same detector (same session: close one of the two) giving its boxes without any box adjustment. */
  withoutBoxAdjust(): FaceDetector {
    return new FaceDetector(
      this.path,
      this.session,
      this.runtime,
      this.provider,
      { ...this.contract, boxAdjust: NO_BOX_ADJUST },
      this.decoder,
    );
  }

  /** Raw network output for one frame: per-anchor encodings and scores, plus the letterbox scaling. */
  async infer(
    frame: RgbImage,
  ): Promise<{ encodings: Float32Array; scores: Float32Array; scaleX: number; scaleY: number }> {
    const { inputSize: width, inputHeight: height } = this.contract;
    // A free input buffer is reused (2.4 MB at 512 x 384: no allocation, zero-fill or garbage per frame); calls
    // that overlap (cameras sharing this detector) each hold their own until their run has finished.
    const input = letterbox(frame, this.contract, this.freeInputs.pop());
    const tensor = new this.runtime.Tensor('float32', input.tensor, [1, 3, height, width]);
    let out: InferenceSession.ReturnType;
    try {
      out = await this.session.run({ [this.contract.inputName]: tensor });
    } finally {
      if (this.freeInputs.length < 4) this.freeInputs.push(input.tensor);
    }
    const encodings = out[this.contract.boxesOutput]?.data as Float32Array | undefined;
    const scores = out[this.contract.scoresOutput]?.data as Float32Array | undefined;
    const anchorCount = this.decoder.rows;
    if (!encodings || !scores || encodings.length !== anchorCount * 4 || scores.length !== anchorCount) {
      throw new MaskEdgeError(
        'E_MODEL',
        `${this.path}: outputs do not match the ${anchorCount} anchors in its metadata`,
        {
          detail: {
            path: this.path,
            anchors: anchorCount,
            encodings: encodings?.length,
            scores: scores?.length,
          },
        },
      );
    }
    return { encodings, scores, scaleX: input.scaleX, scaleY: input.scaleY };
  }

  async detect(frame: RgbImage, options: DetectOptions = {}): Promise<FaceDetection[]> {
    const { minScore, iou, maxFaces } = { ...this.contract.defaults, ...stripUndefined(options) };
    checkOptions({ minScore, iou, maxFaces });
    const { encodings, scores, scaleX, scaleY } = await this.infer(frame);
    const candidates: NormalisedBox[] = [];
    const candidateScores: number[] = [];
    for (let i = 0; i < scores.length; i++) {
      const score = scores[i] ?? 0;
      if (score <= minScore) continue;
      candidates.push(this.decoder.decode(encodings, i));
      candidateScores.push(score);
    }
    const corners: Corners[] = candidates.map((b) => ({ x0: b.xmin, y0: b.ymin, x1: b.xmax, y1: b.ymax }));
    const kept = nonMaxSuppression(corners, candidateScores, iou, maxFaces);
    const { inputSize: width, inputHeight: height } = this.contract;
    const detections: FaceDetection[] = [];
    for (const k of kept) {
      const b = adjustBox(candidates[k] as NormalisedBox, this.contract.boxAdjust);
      const x0 = clamp(b.xmin * width * scaleX, frame.width);
      const y0 = clamp(b.ymin * height * scaleY, frame.height);
      const x1 = clamp(b.xmax * width * scaleX, frame.width);
      const y1 = clamp(b.ymax * height * scaleY, frame.height);
      if (x1 - x0 < 1 || y1 - y0 < 1) continue;
      detections.push({
        box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
        score: candidateScores[k] ?? 0,
      });
    }
    return detections;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function checkOptions(o: Required<DetectOptions>): void {
  const bad = !(o.minScore >= 0 && o.minScore < 1)
    ? 'minScore'
    : !(o.iou > 0 && o.iou <= 1)
      ? 'iou'
      : !(o.maxFaces >= 1)
        ? 'maxFaces'
        : undefined;
  if (bad) {
    throw new MaskEdgeError('E_USAGE', `detector option ${bad} out of range: ${o[bad]}`, {
      detail: { option: bad, value: o[bad], expected: 'minScore in [0, 1), iou in (0, 1], maxFaces >= 1' },
    });
  }
}

function clamp(v: number, max: number): number {
  return Math.min(max, Math.max(0, v));
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
