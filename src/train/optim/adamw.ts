import * as tf from '@tensorflow/tfjs';

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay. tfjs ships Adam only.
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  m^ = m/(1-b1^t);  v^ = v/(1-b2^t)
 *   w = w - lr * ( m^ / (sqrt(v^) + eps) + wd * w )
 * The decay multiplies the weight itself, never the gradient, so it is not rescaled by the Adam denominator.
 * By default biases and BatchNorm parameters (rank < 2) are not decayed.
 */
export interface AdamWOptions {
  learningRate: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Which variables get weight decay (default: rank >= 2). */
  decay?: (variable: tf.Variable) => boolean;
}

/** Serializable optimizer state for resumable checkpoints. */
export interface AdamWState {
  step: number;
  learningRate: number;
  slots: { m: number[]; v: number[] }[];
}

interface Slot {
  m: tf.Variable;
  v: tf.Variable;
}

export class AdamW extends tf.Optimizer {
  static get className(): string {
    return 'AdamW';
  }
  learningRate: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private readonly decay: (variable: tf.Variable) => boolean;
  private step = 0;
  private readonly slots = new Map<string, Slot>();

  constructor(options: AdamWOptions) {
    super();
    this.learningRate = options.learningRate;
    this.weightDecay = options.weightDecay ?? 0.01;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.decay = options.decay ?? ((v) => v.shape.length >= 2);
  }

  get iterationCount(): number {
    return this.step;
  }

  override applyGradients(grads: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const list = Array.isArray(grads)
      ? grads
      : Object.entries(grads).map(([name, tensor]) => ({ name, tensor }));
    this.step += 1;
    const t = this.step;
    const c1 = 1 - this.beta1 ** t;
    const c2 = 1 - this.beta2 ** t;
    tf.tidy(() => {
      for (const { name, tensor: grad } of list) {
        if (grad == null) continue;
        const variable = tf.engine().registeredVariables[name];
        if (!variable) throw new Error(`AdamW: no variable named ${name}`);
        const slot = this.slotFor(name, variable);
        const m = tf.add(tf.mul(slot.m, this.beta1), tf.mul(grad, 1 - this.beta1));
        const v = tf.add(tf.mul(slot.v, this.beta2), tf.mul(tf.square(grad), 1 - this.beta2));
        slot.m.assign(m);
        slot.v.assign(v);
        let update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), this.epsilon));
        if (this.weightDecay > 0 && this.decay(variable)) {
          update = tf.add(update, tf.mul(variable, this.weightDecay));
        }
        variable.assign(tf.sub(variable, tf.mul(update, this.learningRate)));
      }
    });
    this.incrementIterations();
  }

  private slotFor(name: string, variable: tf.Variable): Slot {
    let slot = this.slots.get(name);
    if (!slot) {
      slot = {
        m: tf.variable(tf.zerosLike(variable), false),
        v: tf.variable(tf.zerosLike(variable), false),
      };
      this.slots.set(name, slot);
    }
    return slot;
  }

  /**
   * Moments and step for `variables`, in their order (tfjs variable names carry per-process counters,
   * so a resumed run maps state by position in the model's trainable weights, not by name).
   */
  async getState(variables: tf.Variable[]): Promise<AdamWState> {
    const slots: AdamWState['slots'] = [];
    for (const variable of variables) {
      const slot = this.slots.get(variable.name);
      slots.push(
        slot ? { m: Array.from(await slot.m.data()), v: Array.from(await slot.v.data()) } : { m: [], v: [] },
      );
    }
    return { step: this.step, learningRate: this.learningRate, slots };
  }

  setState(state: AdamWState, variables: tf.Variable[]): void {
    this.step = state.step;
    this.learningRate = state.learningRate;
    state.slots.forEach((saved, i) => {
      const variable = variables[i];
      if (!variable || saved.m.length !== variable.size) return;
      const slot = this.slotFor(variable.name, variable);
      slot.m.assign(tf.tensor(saved.m, variable.shape));
      slot.v.assign(tf.tensor(saved.v, variable.shape));
    });
  }

  override dispose(): void {
    for (const slot of this.slots.values()) {
      slot.m.dispose();
      slot.v.dispose();
    }
    this.slots.clear();
    super.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      weightDecay: this.weightDecay,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
    };
  }
}
