import * as tf from '@tensorflow/tfjs';

/**
 * Gradient kernels the tfjs wasm backend lacks, built from the backend's own kernels (PadV2, Transpose,
 * Conv2D with dilation, Slice), so training convolutions runs entirely in WebAssembly.
 *
 * Conv2DBackpropFilter (NHWC, dilation 1 as tfjs requires for conv gradients):
 *   y[n,oh,ow,co]  = sum_{kh,kw,ci} xp[n, oh*s+kh, ow*s+kw, ci] * W[kh,kw,ci,co]     (xp = x padded)
 *   dW[kh,kw,ci,co] = sum_{n,oh,ow} xp[n, oh*s+kh, ow*s+kw, ci] * dy[n,oh,ow,co]
 * Put ci in the batch slot and n in the channel slot: X' = transpose(xp, [3,1,2,0]) : [ci, Hp, Wp, n]
 * and use dy as the filter: F = transpose(dy, [1,2,0,3]) : [OH, OW, n, co]. A 'valid' convolution with
 * stride 1 and dilation s gives  out[ci,kh,kw,co] = sum_{oh,ow,n} X'[ci, kh+oh*s, kw+ow*s, n] * F[oh,ow,n,co],
 * which is dW with axes [ci,kh,kw,co]: slice the first KH x KW positions (the padded input can be larger
 * than the forward pass used) and transpose [1,2,0,3].
 */

type TensorInfo = tf.TensorInfo;
type KernelBackend = tf.KernelBackend;

function run(
  name: string,
  backend: KernelBackend,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown>,
): TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs } as never) as TensorInfo;
}

function dispose(backend: KernelBackend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

export function conv2DBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: KernelBackend;
  attrs: {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
  const { x, dy } = inputs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { padInfo, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const padded = run(
    'PadV2',
    backend,
    { x },
    {
      paddings: [
        [0, 0],
        [padInfo.top, padInfo.bottom],
        [padInfo.left, padInfo.right],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  const xT = run('Transpose', backend, { x: padded }, { perm: [3, 1, 2, 0] });
  const dyT = run('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] });
  const conv = run(
    'Conv2D',
    backend,
    { x: xT, filter: dyT },
    {
      strides: [1, 1],
      pad: 'valid',
      dataFormat: 'NHWC',
      dilations: [sh, sw],
      dimRoundingMode: undefined,
    },
  );
  const [ci, , , co] = conv.shape as [number, number, number, number];
  const sliced = run('Slice', backend, { x: conv }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] });
  const out = run('Transpose', backend, { x: sliced }, { perm: [1, 2, 0, 3] });
  dispose(backend, padded, xT, dyT, conv, sliced);
  return out;
}

let registered = false;

/** Registers the missing gradient kernels on the wasm backend (idempotent). Returns their names. */
export function registerWasmGradientKernels(): string[] {
  const names = ['Conv2DBackpropFilter'];
  if (registered || tf.getKernel('Conv2DBackpropFilter', 'wasm')) return names;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: conv2DBackpropFilterWasm as unknown as tf.KernelFunc,
  });
  registered = true;
  return names;
}
