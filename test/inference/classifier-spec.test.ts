import { describe, expect, it } from 'vitest';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { classifierSpecFromMetadata } from '../../src/edge/inference/classifier-spec.js';

const graph = { inputNames: ['x'], outputNames: ['y'] };
const base = {
  'mask_edge.kind': 'classifier',
  'mask_edge.input_size': '64',
  'mask_edge.mean': '[0.5,0.5,0.5]',
  'mask_edge.std': '[0.25,0.25,0.25]',
  'mask_edge.labels': '["correct","incorrect","no_mask"]',
};

describe('classifierSpecFromMetadata', () => {
  it('reads the contract and defaults what CONTRACTS allows to be absent', () => {
    const spec = classifierSpecFromMetadata(base, 'm.onnx', graph);
    expect(spec).toMatchObject({
      inputName: 'x',
      outputName: 'y',
      layout: 'NCHW',
      inputSize: 64,
      colorOrder: 'RGB',
      mean: [0.5, 0.5, 0.5],
      std: [0.25, 0.25, 0.25],
      scale: true,
      outputKind: 'logits',
      cropMargin: undefined,
    });
    const nhwc = classifierSpecFromMetadata(
      { ...base, 'mask_edge.layout': 'NHWC', 'mask_edge.scale': '1', 'mask_edge.crop_margin': '0.2' },
      'm.onnx',
      graph,
    );
    expect([nhwc.layout, nhwc.scale, nhwc.cropMargin]).toEqual(['NHWC', false, 0.2]);
  });

  it('lists every problem at once, naming the file', () => {
    let err: unknown;
    try {
      classifierSpecFromMetadata(
        { 'mask_edge.kind': 'detector', 'mask_edge.std': '[1,0,1]', 'mask_edge.layout': 'CHW' },
        '/models/x.onnx',
        graph,
      );
    } catch (e) {
      err = e;
    }
    expect(isMaskEdgeError(err, 'E_MODEL')).toBe(true);
    const e = err as { message: string; detail: { problems: string[] } };
    expect(e.message).toContain('/models/x.onnx');
    const text = e.detail.problems.join('\n');
    for (const key of ['kind', 'layout', 'input_size', 'labels', 'mean', 'std'])
      expect(text).toContain(`mask_edge.${key}`);
  });
});
