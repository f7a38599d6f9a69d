/**
 * Streaming activation statistics for calibration: exact min/max (pass 1), then a fixed-bin histogram over
 * that range (pass 2) from which the percentile and entropy (KL divergence, TensorRT-style) ranges are read.
 */
export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy'];

const BINS = 2048;

export class TensorStats {
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** Histogram of |x| over [0, absMax] (entropy) and of x over [min, max] (percentile). */
  private absHist?: Float64Array;
  private hist?: Float64Array;
  count = 0;

  observeRange(values: Float32Array): void {
    let lo = this.min;
    let hi = this.max;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.min = lo;
    this.max = hi;
  }

  get absMax(): number {
    return Math.max(Math.abs(this.min), Math.abs(this.max));
  }

  observeHistogram(values: Float32Array): void {
    this.hist ??= new Float64Array(BINS);
    this.absHist ??= new Float64Array(BINS);
    const span = this.max - this.min || 1;
    const absSpan = this.absMax || 1;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      this.hist[Math.min(BINS - 1, Math.floor(((v - this.min) / span) * BINS))]! += 1;
      this.absHist[Math.min(BINS - 1, Math.floor((Math.abs(v) / absSpan) * BINS))]! += 1;
    }
    this.count += values.length;
  }

  range(method: CalibrationMethod, percentile = 99.99): [number, number] {
    if (method === 'minmax' || !this.hist || !this.absHist) return [this.min, this.max];
    if (method === 'percentile') return this.percentileRange(percentile);
    const t = this.entropyThreshold(this.min >= 0 ? 256 : 128);
    return [Math.max(this.min, -t), Math.min(this.max, t)];
  }

  private percentileRange(p: number): [number, number] {
    const hist = this.hist!;
    const total = hist.reduce((a, b) => a + b, 0);
    const tail = (total * (100 - p)) / 100;
    const width = (this.max - this.min) / BINS;
    let acc = 0;
    let lowBin = 0;
    while (lowBin < BINS - 1 && acc + hist[lowBin]! <= tail) acc += hist[lowBin++]!;
    acc = 0;
    let highBin = BINS - 1;
    while (highBin > 0 && acc + hist[highBin]! <= tail) acc += hist[highBin--]!;
    const lo = this.min >= 0 ? this.min : this.min + lowBin * width;
    return [lo, this.min + (highBin + 1) * width];
  }

  /**
   * |x| threshold minimising KL(P || Q) (TensorRT's entropy calibration): P is the histogram clipped at bin i
   * (outliers added to its last bin), Q the unclipped bins [0, i) quantized to `levels` bins and expanded back.
   */
  private entropyThreshold(levels: number): number {
    const hist = this.absHist!;
    const width = this.absMax / BINS;
    let best = BINS;
    let bestKl = Number.POSITIVE_INFINITY;
    for (let i = levels; i <= BINS; i += 8) {
      const p = Float64Array.from(hist.subarray(0, i));
      for (let j = i; j < BINS; j++) p[i - 1]! += hist[j]!;
      const q = new Float64Array(i);
      for (let k = 0; k < levels; k++) {
        const start = Math.floor((k * i) / levels);
        const end = k === levels - 1 ? i : Math.floor(((k + 1) * i) / levels);
        let sum = 0;
        let nonZero = 0;
        for (let j = start; j < end; j++) {
          sum += hist[j]!;
          if (hist[j]! > 0) nonZero++;
        }
        for (let j = start; j < end; j++) if (hist[j]! > 0) q[j] = sum / nonZero;
      }
      const kl = klDivergence(p, q);
      if (kl < bestKl) {
        bestKl = kl;
        best = i;
      }
    }
    return best * width;
  }
}

function klDivergence(p: Float64Array, q: Float64Array): number {
  const ps = p.reduce((a, b) => a + b, 0) || 1;
  const qs = q.reduce((a, b) => a + b, 0) || 1;
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / ps;
    if (pi === 0) continue;
    const qi = q[i]! / qs;
    kl += qi > 0 ? pi * Math.log(pi / qi) : pi * 20; // an empty Q bin where P has mass: heavy penalty
  }
  return kl;
}
