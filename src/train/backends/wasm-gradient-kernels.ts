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

/**
 * Conv2DBackpropInput for stride 1 as one XNNPACK convolution (the wasm backend's own kernel is a plain loop,
 * several times slower than the forward pass). With stride 1, dx_p[i] = sum_k dy[i-k] W[k]: a 'valid'
 * correlation of dy, padded by (K-1-padTop, K-1-padBottom), with the spatially flipped filter whose in/out
 * channels are swapped (Reverse [0,1], Transpose [0,1,3,2]). Other strides use the original kernel.
 */
export function makeConv2DBackpropInputWasm(fallback: tf.KernelFunc | undefined) {
  return (args: {
    inputs: { dy: TensorInfo; filter: TensorInfo };
    backend: KernelBackend;
    attrs: {
      strides: [number, number] | number;
      pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
      inputShape: [number, number, number, number];
    };
  }): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs;
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    if (attrs.dataFormat === 'NCHW' || info.strideHeight !== 1 || info.strideWidth !== 1) {
      if (!fallback) throw new Error('Conv2DBackpropInput (wasm): no kernel for strides > 1');
      return fallback(args as never) as TensorInfo;
    }
    const { padInfo, filterHeight: kh, filterWidth: kw } = info;
    const padded = run(
      'PadV2',
      backend,
      { x: dy },
      {
        paddings: [
          [0, 0],
          [kh - 1 - padInfo.top, kh - 1 - padInfo.bottom],
          [kw - 1 - padInfo.left, kw - 1 - padInfo.right],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
    const flipped = run('Reverse', backend, { x: filter }, { dims: [0, 1] });
    const swapped = run('Transpose', backend, { x: flipped }, { perm: [0, 1, 3, 2] });
    const out = run(
      'Conv2D',
      backend,
      { x: padded, filter: swapped },
      {
        strides: [1, 1],
        pad: 'valid',
        dataFormat: 'NHWC',
        dilations: [1, 1],
        dimRoundingMode: undefined,
      },
    );
    dispose(backend, padded, flipped, swapped);
    return out;
  };
}

/**
 * MaxPoolGrad for the common 2x2 / stride 2 / even-sized case as five elementwise kernels (the wasm kernel
 * is a scalar loop): dx = (x == upsample(y)) * upsample(dy), upsampling by ResizeNearestNeighbor. Ties inside a
 * window (equal maxima) would pass the gradient to each tied position; with float activations they are rare.
 */
export function makeMaxPoolGradWasm(fallback: tf.KernelFunc | undefined) {
  return (args: {
    inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
    backend: KernelBackend;
    attrs: { filterSize: number | [number, number]; strides: number | [number, number]; pad: unknown };
  }): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const pair = (v: number | [number, number]) => (typeof v === 'number' ? [v, v] : v);
    const [fh, fw] = pair(attrs.filterSize);
    const [sh, sw] = pair(attrs.strides);
    const [, h, w] = inputs.input.shape as number[];
    const simple = fh === 2 && fw === 2 && sh === 2 && sw === 2 && h! % 2 === 0 && w! % 2 === 0;
    if (!simple || (attrs.pad !== 'valid' && attrs.pad !== 'same')) {
      if (!fallback) throw new Error('MaxPoolGrad (wasm): unsupported window');
      return fallback(args as never) as TensorInfo;
    }
    const resize = { alignCorners: false, halfPixelCenters: false, size: [h, w] };
    const upOut = run('ResizeNearestNeighbor', backend, { images: inputs.output }, resize);
    const upDy = run('ResizeNearestNeighbor', backend, { images: inputs.dy }, resize);
    const mask = run('Equal', backend, { a: inputs.input, b: upOut }, {});
    const maskF = run('Cast', backend, { x: mask }, { dtype: 'float32' });
    const out = run('Multiply', backend, { a: maskF, b: upDy }, {});
    dispose(backend, upOut, upDy, mask, maskF);
    return out;
  };
}

/**
 * Depthwise convolution gradients (channel multiplier 1, NHWC), which the wasm backend lacks; needed to fine-tune
 * MobileNet-style networks (the SSD backbone teacher). Plain loops over the backend's own buffers, channels
 * innermost: 9 multiply-adds per output value and channel, a small share of a MobileNet step. (tfjs's CPU-backend
 * kernels, run on copies, were measured at 21 s per step of 32 faces at 96 px for the filter gradient alone.)
 *   y[n,oh,ow,c]  = sum_{kh,kw} x[n, oh*s+kh-pt, ow*s+kw-pl, c] * W[kh,kw,c]
 *   dW[kh,kw,c]   = sum_{n,oh,ow} x[n, oh*s+kh-pt, ow*s+kw-pl, c] * dy[n,oh,ow,c]
 *   dx[n,ih,iw,c] = sum over the (oh, ow, kh, kw) that read it of W[kh,kw,c] * dy[n,oh,ow,c]
 */
interface DepthwiseAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: [number, number] | number;
}

type DepthwiseVisit = (xIndex: number, wIndex: number, dyIndex: number, channels: number) => void;

function forEachDepthwiseTap(
  xShape: number[],
  filterShape: number[],
  attrs: DepthwiseAttrs,
  visit: DepthwiseVisit,
): void {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.outChannels !== info.inChannels) {
    throw new Error('depthwise gradients on wasm support dilation 1 and channel multiplier 1 only');
  }
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyIndex = ((n * outHeight + oh) * outWidth + ow) * inChannels;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * info.strideHeight + kh - top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * info.strideWidth + kw - left;
            if (iw < 0 || iw >= inWidth) continue;
            visit(
              ((n * inHeight + ih) * inWidth + iw) * inChannels,
              (kh * filterWidth + kw) * inChannels,
              dyIndex,
              inChannels,
            );
          }
        }
      }
    }
  }
}

/**
 * One depthwise gradient: `dy` times the other operand (the input x for the filter gradient, the filter for the
 * input gradient), summed over every tap into an array of the gradient's shape.
 */
function depthwiseGradient(
  backend: KernelBackend,
  xShape: number[],
  filterShape: number[],
  attrs: DepthwiseAttrs,
  operand: TensorInfo,
  dyInfo: TensorInfo,
  target: 'filter' | 'input',
): TensorInfo {
  const other = backend.readSync(operand.dataId) as Float32Array;
  const dy = backend.readSync(dyInfo.dataId) as Float32Array;
  const shape = target === 'filter' ? filterShape : xShape;
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  forEachDepthwiseTap(xShape, filterShape, attrs, (xi, wi, di, channels) => {
    // filter gradient: dW[wi] += x[xi] dy[di]; input gradient: dx[xi] += W[wi] dy[di]
    const [to, from] = target === 'filter' ? [wi, xi] : [xi, wi];
    for (let c = 0; c < channels; c++) out[to + c]! += other[from + c]! * dy[di + c]!;
  });
  return { dataId: backend.write(out, shape, 'float32'), shape, dtype: 'float32' };
}

export function depthwiseBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: KernelBackend;
  attrs: DepthwiseAttrs & { filterShape: [number, number, number, number] };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  return depthwiseGradient(backend, inputs.x.shape, attrs.filterShape, attrs, inputs.x, inputs.dy, 'filter');
}

export function depthwiseBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: KernelBackend;
  attrs: DepthwiseAttrs & { inputShape: [number, number, number, number] };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  return depthwiseGradient(
    backend,
    attrs.inputShape,
    inputs.filter.shape,
    attrs,
    inputs.filter,
    inputs.dy,
    'input',
  );
}

function replaceKernel(name: string, make: (fallback: tf.KernelFunc | undefined) => unknown): void {
  const original = tf.getKernel(name, 'wasm');
  if (original) tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: make(original?.kernelFunc) as tf.KernelFunc,
    ...(original?.setupFunc ? { setupFunc: original.setupFunc } : {}),
  });
}

let registered = false;

/** Registers the missing (and the replaced, faster) gradient kernels on the wasm backend (idempotent). */
export function registerWasmGradientKernels(): string[] {
  const names = [
    'Conv2DBackpropFilter',
    'Conv2DBackpropInput',
    'MaxPoolGrad',
    'DepthwiseConv2dNativeBackpropFilter',
    'DepthwiseConv2dNativeBackpropInput',
  ];
  if (registered) return names;
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: conv2DBackpropFilterWasm as unknown as tf.KernelFunc,
    });
  }
  const depthwise: [string, unknown][] = [
    ['DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilterWasm],
    ['DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInputWasm],
  ];
  for (const [kernelName, kernelFunc] of depthwise) {
    if (!tf.getKernel(kernelName, 'wasm'))
      tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as tf.KernelFunc });
  }
  replaceKernel('Conv2DBackpropInput', makeConv2DBackpropInputWasm);
  replaceKernel('MaxPoolGrad', makeMaxPoolGradWasm);
  registered = true;
  return names;
}
