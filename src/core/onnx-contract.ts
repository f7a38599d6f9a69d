/**
 * Checks a session's input tensor against the model's own metadata contract (mask_edge.input_name,
 * mask_edge.layout, mask_edge.input_size): a model whose graph disagrees with its metadata is refused.
 */
import type { InferenceSession } from 'onnxruntime-common';
import { MaskEdgeError } from './errors.js';

/** `mask_edge.input_size`: a number (square) or [height, width]. */
export function parseInputSize(raw: string | undefined): [number, number] | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value === 'number' && value > 0) return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number' && v > 0)) {
    return [value[0] as number, value[1] as number];
  }
  return undefined;
}

/** Expected input dims for a layout, with the batch dim left free ('N'). */
export function expectedInputShape(
  layout: string,
  [h, w]: [number, number],
): (number | string)[] | undefined {
  if (layout === 'NCHW') return ['N', 3, h, w];
  if (layout === 'NHWC') return ['N', h, w, 3];
  return undefined;
}

export function checkInputContract(
  session: InferenceSession,
  metadata: Record<string, string>,
  path: string,
): void {
  const inputName = metadata['mask_edge.input_name'];
  if (inputName !== undefined && !session.inputNames.includes(inputName)) {
    throw new MaskEdgeError(
      'E_MODEL',
      `${path}: metadata names input '${inputName}' but the graph's inputs are [${session.inputNames.join(', ')}]`,
      { detail: { path, expected: inputName, actual: [...session.inputNames] } },
    );
  }
  const outputName = metadata['mask_edge.output_name'];
  if (outputName !== undefined && !session.outputNames.includes(outputName)) {
    throw new MaskEdgeError(
      'E_MODEL',
      `${path}: metadata names output '${outputName}' but the graph's outputs are [${session.outputNames.join(', ')}]`,
      { detail: { path, expected: outputName, actual: [...session.outputNames] } },
    );
  }
  const size = parseInputSize(metadata['mask_edge.input_size']);
  const layout = metadata['mask_edge.layout'];
  if (!size || !layout) return;
  const expected = expectedInputShape(layout, size);
  const name = inputName ?? session.inputNames[0];
  const meta = (session.inputMetadata ?? []).find((m) => m.name === name);
  if (!expected || !meta?.isTensor) return;
  const actual = [...meta.shape];
  const mismatch =
    actual.length !== expected.length ||
    expected.some((d, i) => typeof d === 'number' && typeof actual[i] === 'number' && actual[i] !== d);
  if (mismatch) {
    throw new MaskEdgeError(
      'E_MODEL',
      `${path}: input '${name}' has shape [${actual.join(', ')}] but the metadata contract (${layout}, ` +
        `${size[0]}x${size[1]}) expects [${expected.join(', ')}]`,
      { detail: { path, input: name, expected, actual, layout, inputSize: size } },
    );
  }
}
