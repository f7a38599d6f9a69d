/**
 * The classifier's input/output contract, read from the ONNX file's metadata_props (CONTRACTS §4) so the
 * runtime never hard-codes size, layout, normalisation, colour order or label order.
 */
import { MaskEdgeError } from '../../core/errors.js';
import type { Layout } from '../../core/image-io.js';
import { isLabel, type Label } from '../../core/labels.js';

export interface ClassifierSpec {
  inputName: string;
  outputName: string;
  layout: Layout;
  inputSize: number;
  colorOrder: 'RGB' | 'BGR';
  mean: [number, number, number];
  std: [number, number, number];
  /** Divide by 255 before mean/std ('1/255'), or feed 0..255 ('1'). */
  scale: boolean;
  /** The model's output order. */
  labels: Label[];
  outputKind: 'logits' | 'probs';
  /** Face crop margin (fraction of the box per side) used when the training crops were made. */
  cropMargin: number | undefined;
  modelName: string;
  modelVersion: string;
  precision: string;
}

const K = (key: string) => `mask_edge.${key}`;

export function classifierSpecFromMetadata(
  metadata: Record<string, string>,
  path: string,
  graph: { inputNames: readonly string[]; outputNames: readonly string[] },
): ClassifierSpec {
  const problems: string[] = [];
  const json = (key: string): unknown => {
    const raw = metadata[K(key)];
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  };
  const triple = (key: string): [number, number, number] => {
    const v = json(key);
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      return v as [number, number, number];
    }
    problems.push(`${K(key)} must be a JSON array of 3 numbers, got ${metadata[K(key)] ?? '(missing)'}`);
    return [0, 0, 1] as unknown as [number, number, number];
  };
  const kind = metadata[K('kind')];
  if (kind !== undefined && kind !== 'classifier')
    problems.push(`${K('kind')} is '${kind}', not 'classifier'`);
  const layout = metadata[K('layout')] ?? 'NCHW';
  if (layout !== 'NCHW' && layout !== 'NHWC')
    problems.push(`${K('layout')} must be NCHW or NHWC, got ${layout}`);
  const inputSize = Number(json('input_size'));
  if (!Number.isInteger(inputSize) || inputSize <= 0) {
    problems.push(
      `${K('input_size')} must be a positive integer, got ${metadata[K('input_size')] ?? '(missing)'}`,
    );
  }
  const colorOrder = metadata[K('color_order')] ?? 'RGB';
  if (colorOrder !== 'RGB' && colorOrder !== 'BGR') problems.push(`${K('color_order')} must be RGB or BGR`);
  const scaleRaw = metadata[K('scale')] ?? '1/255';
  if (scaleRaw !== '1/255' && scaleRaw !== '1')
    problems.push(`${K('scale')} must be '1/255' or '1', got ${scaleRaw}`);
  const labelsRaw = json('labels');
  const labels =
    Array.isArray(labelsRaw) &&
    labelsRaw.length > 0 &&
    labelsRaw.every((l) => typeof l === 'string' && isLabel(l))
      ? (labelsRaw as Label[])
      : undefined;
  if (!labels)
    problems.push(
      `${K('labels')} must be a JSON array of mask labels, got ${metadata[K('labels')] ?? '(missing)'}`,
    );
  const outputKind = metadata[K('output_kind')] ?? 'logits';
  if (outputKind !== 'logits' && outputKind !== 'probs')
    problems.push(`${K('output_kind')} must be logits or probs`);
  const mean = triple('mean');
  const std = triple('std');
  if (std.some((s) => s === 0)) problems.push(`${K('std')} has a zero`);
  const margin = json('crop_margin');

  if (problems.length > 0) {
    throw new MaskEdgeError(
      'E_MODEL',
      `${path} does not carry a usable classifier contract: ${problems.join('; ')}`,
      {
        detail: { path, problems },
      },
    );
  }
  return {
    inputName: metadata[K('input_name')] ?? graph.inputNames[0]!,
    outputName: metadata[K('output_name')] ?? graph.outputNames[0]!,
    layout: layout as Layout,
    inputSize,
    colorOrder: colorOrder as 'RGB' | 'BGR',
    mean,
    std,
    scale: scaleRaw === '1/255',
    labels: labels!,
    outputKind: outputKind as 'logits' | 'probs',
    cropMargin: typeof margin === 'number' ? margin : undefined,
    modelName: metadata[K('model_name')] ?? 'unknown',
    modelVersion: metadata[K('model_version')] ?? '0',
    precision: metadata[K('precision')] ?? 'fp32',
  };
}
