/** A layer's weights by parameter name ('kernel', 'bias', 'gamma', ...), with overrides for folded values. */
import { MaskEdgeError } from '../../core/errors.js';
import type { WeightTensor } from '../tfjs/checkpoint.js';

export class LayerWeights {
  private readonly overrides = new Map<string, WeightTensor>();

  constructor(
    private readonly weights: Map<string, WeightTensor>,
    private readonly source: string,
  ) {}

  private find(layer: string, param: string): WeightTensor | undefined {
    const key = `${layer}/${param}`;
    const hit = this.overrides.get(key) ?? this.weights.get(key);
    if (hit) return hit;
    // Weights saved from a wrapped model may carry a scope prefix ('outer/conv1/kernel').
    for (const [name, tensor] of this.weights) if (name.endsWith(`/${key}`)) return tensor;
    return undefined;
  }

  has(layer: string, param: string): boolean {
    return this.find(layer, param) !== undefined;
  }

  get(layer: string, param: string): WeightTensor {
    const hit = this.find(layer, param);
    if (!hit) {
      throw new MaskEdgeError('E_MODEL', `weight ${layer}/${param} is missing from ${this.source}`, {
        detail: { path: this.source, layer, weight: param },
      });
    }
    return hit;
  }

  set(layer: string, param: string, shape: number[], data: Float32Array): void {
    this.overrides.set(`${layer}/${param}`, { name: `${layer}/${param}`, shape, data });
  }
}
