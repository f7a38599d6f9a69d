/** Quantization arithmetic: activation scale/zero-point from a range, per-channel int8 weights, int32 biases. */

export type ActivationType = 'uint8' | 'int8';

export interface QuantParams {
  scale: number;
  zeroPoint: number;
  type: ActivationType;
}

const MIN_SCALE = 1e-8;

/** Asymmetric uint8 (0 inside the range, exactly representable) or symmetric int8 (zero point 0). */
export function activationParams(min: number, max: number, type: ActivationType): QuantParams {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  if (type === 'int8') {
    const a = Math.max(Math.abs(lo), Math.abs(hi));
    return { scale: Math.max(a / 127, MIN_SCALE), zeroPoint: 0, type };
  }
  const scale = Math.max((hi - lo) / 255, MIN_SCALE);
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale, zeroPoint, type };
}

export interface ChannelQuantized {
  values: Int8Array;
  scales: Float32Array;
}

/**
 * Symmetric per-channel int8 (range [-127, 127], zero point 0) along `axis` of a tensor with `dims`.
 */
export function quantizeWeightsPerChannel(
  data: Float32Array,
  dims: number[],
  axis: number,
): ChannelQuantized {
  const channels = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number): number => Math.floor(i / inner) % channels;
  const absMax = new Float32Array(channels);
  data.forEach((v, i) => {
    const c = channelOf(i);
    absMax[c] = Math.max(absMax[c]!, Math.abs(v));
  });
  const scales = Float32Array.from(absMax, (m) => (m > 0 ? m / 127 : 1));
  const values = new Int8Array(data.length);
  data.forEach((v, i) => {
    values[i] = Math.max(-127, Math.min(127, Math.round(v / scales[channelOf(i)]!)));
  });
  return { values, scales };
}

/** int32 bias with scale inputScale * weightScale[c] (zero point 0), as QLinearConv / QGemm expect. */
export function quantizeBias(
  bias: Float32Array,
  inputScale: number,
  weightScales: Float32Array,
): { values: Int32Array; scales: Float32Array } {
  const scales = Float32Array.from(
    bias,
    (_, c) => inputScale * weightScales[weightScales.length === 1 ? 0 : c]!,
  );
  const limit = 2 ** 31 - 1;
  const values = Int32Array.from(bias, (b, c) =>
    Math.max(-limit, Math.min(limit, Math.round(b / scales[c]!))),
  );
  return { values, scales };
}
