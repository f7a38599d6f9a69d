import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTrainingBackend } from '../../src/train/backends/index.js';
import { AdamW } from '../../src/train/optim/adamw.js';

describe('AdamW', () => {
  beforeAll(async () => {
    await startTrainingBackend('wasm');
  });

  it('one step matches hand-computed decoupled weight decay', () => {
    const w = tf.variable(tf.tensor2d([[1, -2]]), true, 'adamw_w');
    const b = tf.variable(tf.tensor1d([0.5]), true, 'adamw_b');
    const opt = new AdamW({ learningRate: 0.1, weightDecay: 0.5, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    // loss = sum(w * [3, 4]) + 2b  => dL/dw = [3, 4], dL/db = 2
    opt.minimize(() => tf.add(tf.sum(tf.mul(w, tf.tensor2d([[3, 4]]))), tf.sum(tf.mul(b, 2))) as tf.Scalar);
    // step 1: m^ = g, v^ = g^2 -> Adam update = g/(|g|+eps) = sign(g) = 1
    // w: w - lr * (1 + wd * w) = [1 - 0.1*(1+0.5), -2 - 0.1*(1-1)] = [0.85, -2]
    // b (rank 1, not decayed): 0.5 - 0.1 * 1 = 0.4
    const wv = w.dataSync();
    expect(wv[0]).toBeCloseTo(0.85, 5);
    expect(wv[1]).toBeCloseTo(-2, 5);
    expect(b.dataSync()[0]).toBeCloseTo(0.4, 5);
    // step 2 with gradient [3, 4] again: m = g (0.9g+0.1g), v = g^2, corrections cancel -> update 1 again
    // w0 = 0.85 - 0.1*(1 + 0.5*0.85) = 0.7075 ; w1 = -2 - 0.1*(1 + 0.5*-2) = -2
    opt.minimize(() => tf.add(tf.sum(tf.mul(w, tf.tensor2d([[3, 4]]))), tf.sum(tf.mul(b, 2))) as tf.Scalar);
    expect(w.dataSync()[0]).toBeCloseTo(0.7075, 5);
    expect(w.dataSync()[1]).toBeCloseTo(-2, 5);
    expect(opt.iterationCount).toBe(2);
  });

  it('differs from Adam with L2 in the loss (decay is not rescaled by the Adam denominator)', () => {
    const w = tf.variable(tf.tensor2d([[2]]), true, 'adamw_w2');
    const opt = new AdamW({ learningRate: 0.01, weightDecay: 1 });
    // zero gradient: Adam-with-L2 would step by lr*sign(wd*w)=0.01; AdamW steps by lr*wd*w = 0.02
    opt.minimize(() => tf.mul(w, 0).sum() as tf.Scalar);
    expect(w.dataSync()[0]).toBeCloseTo(2 - 0.01 * 2, 5);
  });

  it('state round-trips by variable position', async () => {
    const w = tf.variable(tf.tensor2d([[1, 1]]), true, 'adamw_w3');
    const opt = new AdamW({ learningRate: 0.1, weightDecay: 0 });
    opt.minimize(() => tf.sum(tf.mul(w, tf.tensor2d([[1, -1]]))) as tf.Scalar);
    const state = await opt.getState([w]);
    expect(state.step).toBe(1);
    expect(state.slots[0]!.m[0]).toBeCloseTo(0.1, 6);
    const w2 = tf.variable(w.clone(), true, 'adamw_w4');
    const opt2 = new AdamW({ learningRate: 0.5, weightDecay: 0 });
    opt2.setState(state, [w2]);
    const grad = () => tf.sum(tf.mul(w, tf.tensor2d([[1, -1]]))) as tf.Scalar;
    opt.minimize(grad);
    opt2.minimize(() => tf.sum(tf.mul(w2, tf.tensor2d([[1, -1]]))) as tf.Scalar);
    expect(Array.from(w2.dataSync())).toEqual(Array.from(w.dataSync()));
  });
});
