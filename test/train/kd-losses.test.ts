import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { SeededRandom } from '../../src/core/seeded-random.js';
import { startTrainingBackend } from '../../src/train/backends/index.js';
import { DEFAULT_KD_PARAMS, kdRounds, softTargetKl, weightedCrossEntropy } from '../../src/train/kd/index.js';
import { messLabels } from '../../src/train/kd/messy-collab.js';
import { perturbLogits } from '../../src/train/kd/noisy-teacher.js';

const LN2 = Math.log(2);
const value = (t: tf.Tensor) => t.dataSync()[0]!;
const t2 = (rows: number[][]) => tf.tensor2d(rows);

// Hand values. Student logits [0,0,0] -> uniform (1/3 each). Teacher logits [ln2*T, 0, 0] at temperature T
// -> p_t = [0.5, 0.25, 0.25]. KL(p_t || uniform) = 0.5 ln 1.5 + 0.5 ln 0.75 = 0.0588915.
// CE(uniform, label 0) = ln 3 = 1.0986123.
const KL = 0.5 * Math.log(1.5) + 0.5 * Math.log(0.75);
const CE = Math.log(3);

describe('distillation losses', () => {
  beforeAll(async () => {
    await startTrainingBackend('wasm');
  });

  it('weighted cross-entropy: sum(w_y ce) / sum(w_y)', () => {
    // ce0 = ln 3 (uniform, label 0); ce1 = -ln 0.25 (p = [.5,.25,.25], label 1); weights 1 and 3
    const loss = weightedCrossEntropy(
      t2([
        [0, 0, 0],
        [LN2, 0, 0],
      ]),
      tf.tensor1d([0, 1], 'int32'),
      [1, 3, 1],
    );
    expect(value(loss)).toBeCloseTo((1 * 1.0986123 + 3 * 1.3862944) / 4, 5);
    const plain = weightedCrossEntropy(
      t2([
        [0, 0, 0],
        [LN2, 0, 0],
      ]),
      tf.tensor1d([0, 1], 'int32'),
    );
    expect(value(plain)).toBeCloseTo((1.0986123 + 1.3862944) / 2, 5);
  });

  it("soft term weighted by the true label's class weight: sum(w_y kl) / sum(w_y)", () => {
    // sample 0: teacher [ln2,0,0] vs uniform student -> KL; sample 1: identical logits -> 0. Label weights 1 and 3.
    const students = t2([
      [0, 0, 0],
      [1, 2, 3],
    ]);
    const teachers = t2([
      [LN2, 0, 0],
      [1, 2, 3],
    ]);
    const labels = tf.tensor1d([0, 1], 'int32');
    expect(value(softTargetKl(students, teachers, 1))).toBeCloseTo(KL / 2, 6);
    expect(value(softTargetKl(students, teachers, 1, labels, [1, 3, 1]))).toBeCloseTo(KL / 4, 6);
    // the rare-label sample carries the KL: weight 3 of 4
    const rare = tf.tensor1d([1, 0], 'int32');
    expect(value(softTargetKl(students, teachers, 1, rare, [1, 3, 1]))).toBeCloseTo((3 * KL) / 4, 6);
    // vanilla uses it when class weights are given
    const [vanilla] = kdRounds(['vanilla']);
    const loss = vanilla!.loss(
      { studentLogits: students, teacherLogits: teachers, labels: [1, 0] },
      { ...DEFAULT_KD_PARAMS, temperature: 1, alpha: 1, classWeights: [1, 3, 1] },
      new SeededRandom(1),
    );
    expect(value(loss)).toBeCloseTo((3 * KL) / 4, 6);
  });

  it('vanilla: alpha T^2 KL + (1-alpha) CE', () => {
    const [vanilla] = kdRounds(['vanilla']);
    const rng = new SeededRandom(1);
    const atT1 = vanilla!.loss(
      { studentLogits: t2([[0, 0, 0]]), teacherLogits: t2([[LN2, 0, 0]]), labels: [0] },
      { ...DEFAULT_KD_PARAMS, temperature: 1, alpha: 0.5 },
      rng,
    );
    expect(value(atT1)).toBeCloseTo(0.5 * KL + 0.5 * CE, 5); // 0.578752
    const atT2 = vanilla!.loss(
      { studentLogits: t2([[0, 0, 0]]), teacherLogits: t2([[2 * LN2, 0, 0]]), labels: [0] },
      { ...DEFAULT_KD_PARAMS, temperature: 2, alpha: 0.5 },
      rng,
    );
    expect(value(atT2)).toBeCloseTo(0.5 * 4 * KL + 0.5 * CE, 5); // 0.667089
    // identical logits: the soft term vanishes, only (1-alpha) CE remains
    const same = vanilla!.loss(
      { studentLogits: t2([[1, 2, 3]]), teacherLogits: t2([[1, 2, 3]]), labels: [2] },
      { ...DEFAULT_KD_PARAMS, temperature: 3, alpha: 0.25 },
      rng,
    );
    const ce2 = -Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)));
    expect(value(same)).toBeCloseTo(0.75 * ce2, 5);
  });

  it('noisy-teacher: perturbs logits z(1+xi) on a fraction of the batch', () => {
    expect(Array.from(perturbLogits(t2([[2, -1, 0]]), [0.5]).dataSync())).toEqual([3, -1.5, 0]);
    const [noisy] = kdRounds(['noisy-teacher']);
    const batch = { studentLogits: t2([[0, 0, 0]]), teacherLogits: t2([[LN2, 0, 0]]), labels: [0] };
    const clean = noisy!.loss(
      batch,
      { ...DEFAULT_KD_PARAMS, temperature: 1, alpha: 0.5, noiseFraction: 0 },
      new SeededRandom(3),
    );
    expect(value(clean)).toBeCloseTo(0.5 * KL + 0.5 * CE, 5);
    // all perturbed: replay the same draws to get xi, then hand-compute the loss on ln2*(1+xi)
    const rng = new SeededRandom(9);
    const replay = new SeededRandom(9);
    replay.next();
    const xi = 0.1 * replay.normal();
    const noisyLoss = noisy!.loss(
      batch,
      { ...DEFAULT_KD_PARAMS, temperature: 1, alpha: 0.5, noiseFraction: 1, noiseStd: 0.1 },
      rng,
    );
    const z = LN2 * (1 + xi);
    const p0 = Math.exp(z) / (Math.exp(z) + 2);
    const p1 = 1 / (Math.exp(z) + 2);
    const kl = p0 * Math.log(p0 * 3) + 2 * p1 * Math.log(p1 * 3);
    expect(xi).not.toBe(0);
    expect(value(noisyLoss)).toBeCloseTo(0.5 * kl + 0.5 * CE, 5);
  });

  it('self-training: the previous student teaches, same Hinton loss', () => {
    const [self] = kdRounds(['self-training']);
    expect(self!.teacherSource).toBe('previous-student');
    const loss = self!.loss(
      { studentLogits: t2([[0, 0, 0]]), teacherLogits: t2([[LN2, 0, 0]]), labels: [0] },
      { ...DEFAULT_KD_PARAMS, temperature: 1, alpha: 0.5 },
      new SeededRandom(1),
    );
    expect(value(loss)).toBeCloseTo(0.5 * KL + 0.5 * CE, 5);
  });

  it('messy-collab: swaps labels on a fraction of the batch, then the Hinton loss', () => {
    const rng = new SeededRandom(4);
    const labels = Array.from({ length: 2000 }, (_, i) => i % 3);
    const messed = messLabels(labels, 3, 0.1, rng);
    const changed = messed.filter((l, i) => l !== labels[i]).length;
    expect(changed).toBeGreaterThan(140);
    expect(changed).toBeLessThan(260);
    expect(messLabels([0, 1, 2], 3, 1, new SeededRandom(2)).every((l, i) => l !== i)).toBe(true);
    const [messy] = kdRounds(['messy-collab']);
    // fraction 1: label 0 becomes 1 or 2; CE(uniform) is ln 3 whichever it is, KL unchanged
    const loss = messy!.loss(
      { studentLogits: t2([[0, 0, 0]]), teacherLogits: t2([[LN2, 0, 0]]), labels: [0] },
      { ...DEFAULT_KD_PARAMS, temperature: 1, alpha: 0.5, labelNoiseFraction: 1 },
      new SeededRandom(1),
    );
    expect(value(loss)).toBeCloseTo(0.5 * KL + 0.5 * CE, 5);
    // non-uniform student: the swapped label changes the CE term: student p = [.5,.25,.25]
    const loss2 = messy!.loss(
      { studentLogits: t2([[LN2, 0, 0]]), teacherLogits: t2([[LN2, 0, 0]]), labels: [0] },
      { ...DEFAULT_KD_PARAMS, temperature: 1, alpha: 0.5, labelNoiseFraction: 1 },
      new SeededRandom(1),
    );
    expect(value(loss2)).toBeCloseTo(0.5 * -Math.log(0.25), 5);
  });

  it('rejects an unknown method with E_USAGE', () => {
    let err: unknown;
    try {
      kdRounds(['vanilla', 'magic']);
    } catch (e) {
      err = e;
    }
    expect(isMaskEdgeError(err, 'E_USAGE')).toBe(true);
  });
});
