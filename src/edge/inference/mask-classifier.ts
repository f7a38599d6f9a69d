/**
 * The mask classifier at the edge: ONNX Runtime session on the best execution provider, preprocessing from the
 * model's metadata, all faces of a frame in one batched call, softmax of the logits.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { MaskEdgeError } from '../../core/errors.js';
import { type Box, cropFace, normalise, type RgbImage, resizeRgb } from '../../core/image-io.js';
import { LABELS, type Label } from '../../core/labels.js';
import type { Logger } from '../../core/logger.js';
import { softmax } from '../../core/metrics.js';
import type { OrtModule } from '../../core/onnx-runtime-module.js';
import { type OpenSessionOptions, openOnnxSession, type ProviderFailure } from '../../core/onnx-session.js';
import { type ClassifierSpec, classifierSpecFromMetadata } from './classifier-spec.js';

export interface MaskClassifierOptions extends Omit<OpenSessionOptions, 'checkContract'> {
  /** onnxruntime intra-op threads (alias of `threads`). */
  intraOpNumThreads?: number;
  /** Crop margin around a face box (fraction per side); default: the model's mask_edge.crop_margin, else 0.15. */
  margin?: number;
  logger?: Logger;
}

export interface Classification {
  label: Label;
  /** Probability of `label`. */
  score: number;
  /** Probabilities in the fixed LABELS order (correct, incorrect, no_mask); 0 for labels the model lacks. */
  probs: number[];
}

export const DEFAULT_CROP_MARGIN = 0.15;

export class MaskClassifier {
  private constructor(
    private readonly session: InferenceSession,
    private readonly runtime: OrtModule,
    readonly spec: ClassifierSpec,
    readonly provider: string,
    readonly failures: ProviderFailure[],
    readonly metadata: Record<string, string>,
    readonly margin: number,
  ) {}

  static async open(path: string, options: MaskClassifierOptions = {}): Promise<MaskClassifier> {
    const threads = options.intraOpNumThreads ?? options.threads;
    const opened = await openOnnxSession(path, { ...options, threads });
    try {
      const spec = classifierSpecFromMetadata(opened.metadata, path, opened.session);
      if (!opened.session.outputNames.includes(spec.outputName)) {
        throw new MaskEdgeError('E_MODEL', `${path} has no output '${spec.outputName}'`, {
          detail: { path, expected: spec.outputName, actual: [...opened.session.outputNames] },
        });
      }
      const margin = options.margin ?? spec.cropMargin ?? DEFAULT_CROP_MARGIN;
      return new MaskClassifier(
        opened.session,
        opened.runtime,
        spec,
        opened.provider,
        opened.failures,
        opened.metadata,
        margin,
      );
    } catch (err) {
      await opened.session.release();
      throw err;
    }
  }

  get inputSize(): number {
    return this.spec.inputSize;
  }

  get labels(): readonly Label[] {
    return this.spec.labels;
  }

  /** Packs crops (resized to the model's size if needed) into one input tensor. */
  async preprocess(crops: readonly RgbImage[]): Promise<Float32Array> {
    const s = this.spec.inputSize;
    const per = 3 * s * s;
    const batch = new Float32Array(crops.length * per);
    const resized = await Promise.all(crops.map((c) => resizeRgb(c, s, s)));
    const norm = {
      layout: this.spec.layout,
      mean: this.spec.mean,
      std: this.spec.std,
      scale: this.spec.scale,
      colorOrder: this.spec.colorOrder,
    };
    resized.forEach((img, i) => {
      normalise(img, norm, batch, i * per);
    });
    return batch;
  }

  /** Classifies face crops in one batched onnxruntime call. */
  async classifyCrops(crops: readonly RgbImage[]): Promise<Classification[]> {
    if (crops.length === 0) return [];
    const s = this.spec.inputSize;
    const data = await this.preprocess(crops);
    const dims = this.spec.layout === 'NCHW' ? [crops.length, 3, s, s] : [crops.length, s, s, 3];
    const input = new this.runtime.Tensor('float32', data, dims);
    const outputs = await this.session.run({ [this.spec.inputName]: input });
    return this.decode(outputs[this.spec.outputName] as Tensor, crops.length);
  }

  /** Crops every box (with margin, squared) out of the frame and classifies them all in one call. */
  async classifyFaces(frame: RgbImage, boxes: readonly Box[]): Promise<Classification[]> {
    const crops = boxes.map((b) => cropFace(frame, b, this.spec.inputSize, this.margin));
    return this.classifyCrops(crops);
  }

  private decode(output: Tensor, n: number): Classification[] {
    const k = this.spec.labels.length;
    const values = output.data as Float32Array;
    if (values.length !== n * k) {
      throw new MaskEdgeError(
        'E_MODEL',
        `classifier output has ${values.length} values for ${n} crops x ${k} labels`,
        {
          detail: { dims: output.dims, expected: [n, k] },
        },
      );
    }
    const probs = this.spec.outputKind === 'logits' ? softmax(values, k) : values;
    const out: Classification[] = [];
    for (let r = 0; r < n; r++) {
      const fixed = LABELS.map((label) => {
        const j = this.spec.labels.indexOf(label);
        return j < 0 ? 0 : probs[r * k + j]!;
      });
      let best = 0;
      for (let j = 1; j < fixed.length; j++) if (fixed[j]! > fixed[best]!) best = j;
      out.push({ label: LABELS[best]!, score: fixed[best]!, probs: fixed });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
