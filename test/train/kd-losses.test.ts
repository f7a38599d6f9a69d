import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { SeededRandom } from '../../src/core/seeded-random.js';
import { startTrainingBackend } from '../../src/train/backends/index.js';
import {
  DEFAULT_KD_PARAMS,
  kdRounds,
  roundTeacher,
  softTargetKl,
  weightedCrossEntropy,
} from '../../src/train/kd/index.js';
import { messLabels } from '../../src/train/kd/messy-collab.js';
import { perturbRows, teacherNoise } from '../../src/train/kd/noisy-teacher.js';

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

  it('noisy-teacher: each logit gets its own multiplicative noise z(1 + sqrt(var) N(0,1)), per batch with probability p', () => {
    expect(
      Array.from(perturbRows(Float32Array.from([2, -1, 0, 4]), Float32Array.from([0.5, 0.5, 1, -0.25]))),
    ).toEqual([3, -1.5, 0, 3]);
    const [noisy] = kdRounds(['noisy-teacher']);
    const batch = { studentLogits: t2([[0, 0, 0]]), teacherLogits: t2([[LN2, 0, 0]]), labels: [0] };
    const clean = noisy!.loss(
      batch,
      { ...DEFAULT_KD_PARAMS, temperature: 1, alpha: 0.5, noiseProbability: 0 },
      new SeededRandom(3),
    );
    expect(value(clean)).toBeCloseTo(0.5 * KL + 0.5 * CE, 5);
    // perturbed (probability 1): replay the draws (one batch coin, then one normal per logit) and hand-compute
    const teacher = [LN2, 1, -0.5];
    const replay = new SeededRandom(9);
    replay.next(); // the batch's coin
    const xi = teacher.map(() => Math.sqrt(0.1) * replay.normal());
    const noisyLoss = noisy!.loss(
      { studentLogits: t2([[0, 0, 0]]), teacherLogits: t2([teacher]), labels: [0] },
      { ...DEFAULT_KD_PARAMS, temperature: 1, alpha: 0.5, noiseProbability: 1, noiseVariance: 0.1 },
      new SeededRandom(9),
    );
    const z = teacher.map((t, i) => t * (1 + xi[i]!));
    const sum = z.reduce((a, b) => a + Math.exp(b), 0);
    const p = z.map((v) => Math.exp(v) / sum);
    const kl = p.reduce((a, pi) => a + pi * Math.log(pi * 3), 0);
    expect(new Set(xi).size).toBe(3); // one draw per logit, not one per row
    expect(value(noisyLoss)).toBeCloseTo(0.5 * kl + 0.5 * CE, 5);
  });

  it('noisy-teacher noise statistics: mean 0, variance 0.1 per logit, independent, half the batches, rankings change', () => {
    const params = { ...DEFAULT_KD_PARAMS };
    expect(params.noiseVariance).toBe(0.1);
    expect(params.noiseProbability).toBe(0.5);
    const rng = new SeededRandom(17);
    const rows = 64;
    const samples: number[] = [];
    let perturbedBatches = 0;
    const batches = 400;
    for (let b = 0; b < batches; b++) {
      const noise = teacherNoise(rows, 3, params, rng);
      if (noise.some((v) => v !== 0)) {
        perturbedBatches++;
        samples.push(...noise);
      }
    }
    // half the batches, within 4 standard errors of a binomial(400, 0.5)
    expect(Math.abs(perturbedBatches - batches / 2)).toBeLessThan(4 * Math.sqrt(batches / 4));
    const n = samples.length;
    const mean = samples.reduce((a, b) => a + b, 0) / n;
    const variance = samples.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(4 * Math.sqrt(0.1 / n));
    expect(variance).toBeGreaterThan(0.1 * 0.97);
    expect(variance).toBeLessThan(0.1 * 1.03);
    // logits of one row are independent: correlation of neighbouring logits ~ 0
    let cov = 0;
    for (let i = 0; i + 1 < n; i += 3) cov += samples[i]! * samples[i + 1]!;
    expect(Math.abs(cov / (n / 3) / variance)).toBeLessThan(0.05);
    // per-logit noise reorders some rows' logits (a per-row scalar 1 + xi > 0 never could)
    const teacher = Float32Array.from({ length: rows * 3 }, (_, i) => [2, 1.6, -1][i % 3]!);
    const always = { ...params, noiseProbability: 1 };
    const noisy = perturbRows(teacher, teacherNoise(rows, 3, always, new SeededRandom(5)));
    let reordered = 0;
    for (let r = 0; r < rows; r++) if (noisy[r * 3 + 1]! > noisy[r * 3]!) reordered++;
    expect(reordered).toBeGreaterThan(0);
    expect(reordered).toBeLessThan(rows);
  });

  it('self-training: a label-only student copy teaches a first round, the previous student later; Hinton loss', () => {
    const [self, vanilla, self2] = kdRounds(['self-training', 'vanilla', 'self-training']);
    expect(self!.teacherSource).toBe('previous-student');
    expect(roundTeacher(self!, 0)).toBe('label-only-student');
    expect(roundTeacher(self2!, 2)).toBe('previous-student');
    expect(roundTeacher(vanilla!, 0)).toBe('best-teacher');
    expect(roundTeacher(vanilla!, 1)).toBe('best-teacher');
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
