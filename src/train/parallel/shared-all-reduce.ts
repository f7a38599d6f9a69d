import * as tf from '@tensorflow/tfjs';

/**
 * A blocking all-reduce (sum) between gradient workers over one SharedArrayBuffer, for synchronised
 * BatchNorm in the middle of a forward/backward pass (tfjs runs it synchronously, so the workers meet at a
 * barrier: Atomics.wait is allowed in worker threads). Layout:
 *   Int32  [generation, arrived, abort]           the barrier; abort is set by the main thread on failure
 *   Float64 2 x workers x slotFloats               double-buffered slots: reduce k writes buffer k % 2, so a
 *                                                  fast worker never overwrites values a slow one still reads
 */
const GENERATION = 0;
const ARRIVED = 1;
const ABORT = 2;
const CONTROL_BYTES = 16;

export function allReduceBuffer(workers: number, slotFloats: number): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES + 2 * workers * slotFloats * 8);
}

/** Sets the abort flag and wakes every waiting worker (they throw out of the step). */
export function abortAllReduce(buffer: SharedArrayBuffer): void {
  const control = new Int32Array(buffer, 0, 3);
  Atomics.store(control, ABORT, 1);
  Atomics.add(control, GENERATION, 1);
  Atomics.notify(control, GENERATION);
}

export class SharedAllReduce {
  private readonly control: Int32Array;
  private readonly slots: Float64Array;
  private calls = 0;
  /** Workers taking part in the current step, and this worker's slot. */
  participants = 1;
  rank = 0;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly workers: number,
    private readonly slotFloats: number,
    private readonly timeoutMs = 120_000,
  ) {
    this.control = new Int32Array(buffer, 0, 3);
    this.slots = new Float64Array(buffer, CONTROL_BYTES, 2 * workers * slotFloats);
  }

  /** Starts a step: every participant must call it with the same count (the reduce counter restarts). */
  beginStep(participants: number, rank: number): void {
    this.participants = participants;
    this.rank = rank;
    this.calls = 0;
  }

  allReduce = (local: tf.Tensor1D): tf.Tensor1D => {
    const values = local.dataSync();
    if (values.length > this.slotFloats)
      throw new Error(`all-reduce of ${values.length} > ${this.slotFloats}`);
    const base = (this.calls++ % 2) * this.workers * this.slotFloats;
    this.slots.set(values, base + this.rank * this.slotFloats);
    this.barrier();
    const sum = new Float32Array(values.length);
    for (let w = 0; w < this.participants; w++) {
      const offset = base + w * this.slotFloats;
      for (let i = 0; i < sum.length; i++) sum[i]! += this.slots[offset + i]!;
    }
    return tf.tensor1d(sum);
  };

  private barrier(): void {
    const generation = Atomics.load(this.control, GENERATION);
    if (Atomics.add(this.control, ARRIVED, 1) === this.participants - 1) {
      Atomics.store(this.control, ARRIVED, 0);
      Atomics.add(this.control, GENERATION, 1);
      Atomics.notify(this.control, GENERATION);
      return;
    }
    const deadline = Date.now() + this.timeoutMs;
    while (Atomics.load(this.control, GENERATION) === generation) {
      Atomics.wait(this.control, GENERATION, generation, 200);
      if (Atomics.load(this.control, ABORT)) throw new Error('all-reduce aborted: another worker failed');
      if (Date.now() > deadline) throw new Error(`all-reduce timed out after ${this.timeoutMs} ms`);
    }
  }
}
