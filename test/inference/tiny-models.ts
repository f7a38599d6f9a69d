/**
 * Tiny ONNX models built in tests with the project's GraphBuilder. The "mean colour" classifier's logits are
 * gain x (mean of each RGB channel of the normalised input), so its prediction is the dominant colour:
 * red -> correct, green -> incorrect, blue -> no_mask.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attr, GraphBuilder } from '../../src/export/onnx/graph-builder.js';

export function tempDir(prefix = 'mask-edge-infer-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface MeanColourOptions {
  size?: number;
  gain?: number;
  /** Graph input shape override (to build a model that contradicts its metadata). */
  graphSize?: number;
  mean?: number[];
  std?: number[];
  colorOrder?: 'RGB' | 'BGR';
  labels?: string[];
  precision?: 'fp32' | 'int8';
}

export function meanColourClassifier(options: MeanColourOptions = {}): Uint8Array {
  const size = options.size ?? 8;
  const graphSize = options.graphSize ?? size;
  const g = new GraphBuilder('mean_colour');
  const input = g.addInput('input', 'float32', ['N', 3, graphSize, graphSize]);
  const pooled = g.op('GlobalAveragePool', [input]);
  const flat = g.op('Flatten', [pooled], { axis: 1 });
  const gain = g.addInitializer('gain', 'float32', [1], [options.gain ?? 10]);
  const logits = g.addNode('Mul', [flat, gain], ['logits'])[0]!;
  g.addOutput(logits, 'float32', ['N', 3]);
  const meta: Record<string, unknown> = {
    'mask_edge.kind': 'classifier',
    'mask_edge.input_name': 'input',
    'mask_edge.output_name': 'logits',
    'mask_edge.layout': 'NCHW',
    'mask_edge.input_size': size,
    'mask_edge.color_order': options.colorOrder ?? 'RGB',
    'mask_edge.mean': options.mean ?? [0, 0, 0],
    'mask_edge.std': options.std ?? [1, 1, 1],
    'mask_edge.scale': '1/255',
    'mask_edge.labels': options.labels ?? ['correct', 'incorrect', 'no_mask'],
    'mask_edge.output_kind': 'logits',
    'mask_edge.model_name': 'mean-colour-test',
    'mask_edge.model_version': '1',
    'mask_edge.precision': options.precision ?? 'fp32',
  };
  for (const [k, v] of Object.entries(meta)) g.setMetadata(k, v as string);
  return g.serialize({ producerName: 'mask-edge-test' });
}

/** A one-op model with arbitrary metadata (for session/provider tests). */
export function reluModel(metadata: Record<string, string> = {}): Uint8Array {
  const g = new GraphBuilder('relu');
  const x = g.addInput('x', 'float32', ['N', 3]);
  g.addNode('Relu', [x], ['y']);
  g.addOutput('y', 'float32', ['N', 3]);
  for (const [k, v] of Object.entries(metadata)) g.setMetadata(k, v);
  return g.serialize();
}

export function writeModel(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

export { Attr };
