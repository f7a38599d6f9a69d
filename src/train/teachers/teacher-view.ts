import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MaskEdgeError } from '../../core/errors.js';
import type { RgbImage } from '../../core/image-io.js';
import { loadModel } from '../io/file-io-handler.js';
import { imageBatch } from '../pipeline/tasks.js';
import { FACE_API_BACKBONES, type FaceApiBackboneName, loadFaceApiBackbone } from './face-api-backbones.js';

/**
 * A trained teacher (or student) that can score any view of a face during distillation: `--teacher-view
 * augmented` shows it the same random crop, flip and colour jitter the student sees in that step.
 */
export interface TeacherView {
  /** Side of the square view it takes (its crop size: a face-api backbone's input, or the image model's). */
  size: number;
  /** Logits [n x 3], row-major, for n views of `size` x `size` (8-bit RGB). */
  logits(views: RgbImage[]): Float32Array;
}

interface TeacherJson {
  kind?: string;
  backbone?: string;
  featureMean?: number[];
  featureStd?: number[];
}

const CHUNK = 32;

/** Runs `fn` over chunks of at most CHUNK views (bounds the wasm heap on large batches). */
function chunked(views: RgbImage[], fn: (chunk: RgbImage[]) => tf.Tensor): Float32Array {
  const out = new Float32Array(views.length * 3);
  for (let i = 0; i < views.length; i += CHUNK) {
    const t = tf.tidy(() => fn(views.slice(i, i + CHUNK)));
    out.set(t.dataSync(), i * 3);
    t.dispose();
  }
  return out;
}

/**
 * Loads the teacher a run saved in `dir` (its phase folder) as a TeacherView: a frozen face-api backbone + head
 * (teacher.json kind 'frozen-backbone-head', features standardised with the saved mean/std), or a tfjs image
 * model (scratch, user or student teachers).
 */
export async function loadTeacherView(dir: string): Promise<TeacherView> {
  const model = await loadModel(dir);
  const jsonPath = join(dir, 'teacher.json');
  const meta: TeacherJson = existsSync(jsonPath) ? JSON.parse(await readFile(jsonPath, 'utf8')) : {};
  if (meta.kind === 'frozen-backbone-head') {
    const name = meta.backbone as FaceApiBackboneName;
    if (!(name in FACE_API_BACKBONES) || !meta.featureMean || !meta.featureStd) {
      throw new MaskEdgeError(
        'E_MODEL',
        `teacher.json in ${dir} names no known backbone with its feature statistics`,
        {
          detail: { path: jsonPath, backbone: meta.backbone },
        },
      );
    }
    const backbone = await loadFaceApiBackbone(name);
    const mean = tf.keep(tf.tensor1d(meta.featureMean));
    const std = tf.keep(tf.tensor1d(meta.featureStd));
    return {
      size: backbone.inputSize,
      logits: (views) =>
        chunked(
          views,
          (chunk) => model.predict(tf.div(tf.sub(backbone.features(chunk), mean), std)) as tf.Tensor,
        ),
    };
  }
  const shape = model.inputs[0]?.shape ?? [];
  const size = shape[1];
  if (typeof size !== 'number') {
    throw new MaskEdgeError('E_MODEL', `the model in ${dir} has no fixed square input`, {
      detail: { path: dir, input: shape },
    });
  }
  return {
    size,
    logits: (views) => chunked(views, (chunk) => model.predict(imageBatch(chunk)) as tf.Tensor),
  };
}
