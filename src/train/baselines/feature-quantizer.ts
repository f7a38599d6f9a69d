import { MaskEdgeError } from '../../core/errors.js';

/**
 * Histogram binning of features (as gradient-boosting libraries do): each feature is mapped to one of
 * `levels` quantile bins learnt on the training rows. Trees then split on bin indices, which keeps the
 * number of candidate split points per feature small and makes CART training an order of magnitude faster.
 */
export class FeatureQuantizer {
  private constructor(
    /** edges[f] = ascending thresholds; value v maps to the number of thresholds <= v. */
    readonly edges: Float32Array[],
  ) {}

  get length(): number {
    return this.edges.length;
  }

  static fit(rows: readonly Float32Array[], levels = 16): FeatureQuantizer {
    const width = rows[0]?.length ?? 0;
    if (rows.length === 0 || width === 0 || levels < 2 || levels > 256) {
      throw new MaskEdgeError('E_DATA', 'quantizer needs at least one non-empty row and 2..256 levels', {
        detail: { rows: rows.length, width, levels },
      });
    }
    const column = new Float32Array(rows.length);
    const edges: Float32Array[] = [];
    for (let f = 0; f < width; f++) {
      for (let i = 0; i < rows.length; i++) column[i] = rows[i]![f]!;
      column.sort();
      const cuts: number[] = [];
      for (let q = 1; q < levels; q++) {
        const v = column[Math.min(rows.length - 1, Math.floor((q * rows.length) / levels))]!;
        // drop repeated thresholds (features with few distinct values get fewer bins)
        if (cuts.length === 0 || v > cuts[cuts.length - 1]!) cuts.push(v);
      }
      edges.push(Float32Array.from(cuts));
    }
    return new FeatureQuantizer(edges);
  }

  static fromJSON(json: number[][]): FeatureQuantizer {
    return new FeatureQuantizer(json.map((e) => Float32Array.from(e)));
  }

  toJSON(): number[][] {
    return this.edges.map((e) => Array.from(e));
  }

  /** Bin index per feature (0..levels-1) as plain numbers, ready for ml-random-forest. */
  transform(row: Float32Array): number[] {
    if (row.length !== this.edges.length) {
      throw new MaskEdgeError('E_DATA', 'feature row length does not match the quantizer', {
        detail: { expected: this.edges.length, got: row.length },
      });
    }
    const out = new Array<number>(row.length);
    for (let f = 0; f < row.length; f++) {
      const e = this.edges[f]!;
      const v = row[f]!;
      let lo = 0;
      let hi = e.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (e[mid]! <= v) lo = mid + 1;
        else hi = mid;
      }
      out[f] = lo;
    }
    return out;
  }
}
