// The mask-edge student architecture (src/train/models/cnn.ts: per block Conv 3x3 + BatchNorm + LeakyReLU(0.1)
// + MaxPool 2x2, channels width*2^b; global average pooling; dense -> 3 logits) as ONNX with random weights,
// BatchNorm folded into the convolution as the exporter does. INT8 via the project's static QDQ quantizer.
// Needs `npx tsc -p tsconfig.build.json` first (imports dist/).

import { Attr, encodeModel, GraphBuilder } from '../dist/export/onnx/graph-builder.js';
import { calibrate, quantizeWithStats } from '../dist/export/quantize/quantize-model.js';

function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** He-normal-ish random weights (Box-Muller). */
function randn(n, std, rand) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rand(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand()) * std;
  }
  return out;
}

export function buildStudentModel({
  size = 128,
  width = 16,
  blocks = 4,
  maxWidth = 256,
  seed = 7,
  activation = 'leaky',
} = {}) {
  const rand = lcg(seed);
  const g = new GraphBuilder('student');
  let x = g.addInput('input', 'float32', ['N', 3, size, size]);
  let channels = 3;
  for (let b = 0; b < blocks; b++) {
    const filters = Math.min(maxWidth, width * 2 ** b);
    const w = g.addInitializer(
      `block${b + 1}_conv_w`,
      'float32',
      [filters, channels, 3, 3],
      randn(filters * channels * 9, Math.sqrt(2 / (channels * 9)), rand),
    );
    const bias = g.addInitializer(`block${b + 1}_conv_b`, 'float32', [filters], randn(filters, 0.05, rand));
    x = g.op('Conv', [x, w, bias], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] });
    x = activation === 'relu' ? g.op('Relu', [x]) : g.op('LeakyRelu', [x], { alpha: Attr.float(0.1) });
    x = g.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
    channels = filters;
  }
  x = g.op('GlobalAveragePool', [x]);
  x = g.op('Flatten', [x], { axis: 1 });
  const dw = g.addInitializer(
    'logits_w',
    'float32',
    [channels, 3],
    randn(channels * 3, Math.sqrt(1 / channels), rand),
  );
  const db = g.addInitializer('logits_b', 'float32', [3], [0, 0, 0]);
  g.addNode('Gemm', [x, dw, db], ['logits']);
  g.addOutput('logits', 'float32', ['N', 3]);
  const meta = {
    'mask_edge.kind': 'classifier',
    'mask_edge.input_name': 'input',
    'mask_edge.output_name': 'logits',
    'mask_edge.layout': 'NCHW',
    'mask_edge.input_size': String(size),
    'mask_edge.color_order': 'RGB',
    'mask_edge.mean': '[0.485,0.456,0.406]',
    'mask_edge.std': '[0.229,0.224,0.225]',
    'mask_edge.scale': '1/255',
    'mask_edge.labels': '["correct","incorrect","no_mask"]',
    'mask_edge.output_kind': 'logits',
    'mask_edge.model_name': `bench-student-w${width}-b${blocks}-${activation}`,
    'mask_edge.model_version': '0',
    'mask_edge.precision': 'fp32',
  };
  for (const [k, v] of Object.entries(meta)) g.setMetadata(k, v);
  return g.toModel({ producerName: 'mask-edge-bench' });
}

/** Static INT8 (QDQ, per-channel weights) calibrated on random normalised inputs (speed does not depend on it). */
export async function quantizeStudent(fp32, { size = 128, batches = 4, batch = 8, seed = 11 } = {}) {
  const rand = lcg(seed);
  const calib = [];
  for (let i = 0; i < batches; i++)
    calib.push({ data: randn(batch * 3 * size * size, 1, rand), dims: [batch, 3, size, size] });
  const stats = await calibrate(fp32, calib);
  const q = quantizeWithStats(fp32, stats, 'minmax');
  for (const p of q.model.metadataProps ?? []) if (p.key === 'mask_edge.precision') p.value = 'int8';
  return encodeModel(q.model);
}

export { encodeModel };
