/**
 * The classifier's contract as ONNX metadata_props (CONTRACTS §4) and as a model card (Markdown + JSON)
 * written next to the .onnx files.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ModelProto, onnx } from './onnx/graph-builder.js';
import type { InputContract } from './run-source.js';

export interface ClassifierIdentity {
  inputName: string;
  outputName: string;
  outputKind: 'logits' | 'probabilities';
  modelName: string;
  modelVersion: string;
  sourceRun: string;
}

export function classifierMetadata(
  contract: InputContract,
  id: ClassifierIdentity,
  precision: 'fp32' | 'int8',
  accuracy: number | undefined,
): Record<string, string> {
  return {
    'mask_edge.kind': 'classifier',
    'mask_edge.input_name': id.inputName,
    'mask_edge.output_name': id.outputName,
    'mask_edge.layout': 'NCHW',
    'mask_edge.input_size': String(contract.inputSize),
    'mask_edge.color_order': contract.colorOrder,
    'mask_edge.mean': JSON.stringify(contract.mean),
    'mask_edge.std': JSON.stringify(contract.std),
    'mask_edge.scale': '1/255',
    'mask_edge.labels': JSON.stringify(contract.labels),
    'mask_edge.output_kind': id.outputKind,
    'mask_edge.model_name': id.modelName,
    'mask_edge.model_version': id.modelVersion,
    'mask_edge.source_run': id.sourceRun,
    'mask_edge.accuracy': accuracy === undefined ? 'unknown' : accuracy.toFixed(4),
    'mask_edge.precision': precision,
    'mask_edge.crop_margin': String(contract.margin),
  };
}

/** Replaces a model's metadata_props. */
export function setModelMetadata(model: ModelProto, metadata: Record<string, string>): void {
  model.metadataProps = Object.entries(metadata).map(([key, value]) =>
    onnx.StringStringEntryProto.create({ key, value }),
  );
}

export interface CardFile {
  file: string;
  precision: 'fp32' | 'int8';
  bytes: number;
  accuracy?: number;
  accuracyOn?: string;
  notes?: string[];
}

export interface ModelCard {
  contract: InputContract;
  identity: ClassifierIdentity;
  opset: number;
  irVersion: number;
  files: CardFile[];
  verification: Record<string, unknown>;
  command: string;
}

export async function writeModelCard(dir: string, card: ModelCard): Promise<string[]> {
  const jsonPath = join(dir, 'mask-classifier.json');
  const mdPath = join(dir, 'mask-classifier.md');
  await writeFile(jsonPath, `${JSON.stringify(card, null, 2)}\n`);
  const c = card.contract;
  const pct = (v?: number): string => (v === undefined ? 'unknown' : `${(v * 100).toFixed(2)}%`);
  const lines = [
    `# ${card.identity.modelName} (${card.identity.modelVersion})`,
    '',
    'Face-mask classifier for mask-edge. Exported from a tfjs layers checkpoint; verified against it.',
    '',
    '## Input / output contract',
    '',
    `- input \`${card.identity.inputName}\`: float32 [N, 3, ${c.inputSize}, ${c.inputSize}] (NCHW), ${c.colorOrder}`,
    `- normalisation: (pixel / 255 - mean) / std, mean ${JSON.stringify(c.mean)}, std ${JSON.stringify(c.std)}`,
    `- face crop: detector box grown by ${c.margin} per side, squared, resized to ${c.inputSize}x${c.inputSize}`,
    `- output \`${card.identity.outputName}\`: float32 [N, ${c.labels.length}] ${card.identity.outputKind} in label order ${c.labels.join(', ')}`,
    `- ONNX opset ${card.opset}, IR version ${card.irVersion} (TensorRT 8.5+ / JetPack 5, ONNX Runtime >= 1.8)`,
    '',
    '## Files',
    '',
    '| file | precision | size | accuracy |',
    '| --- | --- | --- | --- |',
    ...card.files.map(
      (f) =>
        `| ${f.file} | ${f.precision} | ${(f.bytes / 1024).toFixed(1)} KiB | ${pct(f.accuracy)}${f.accuracyOn ? ` (${f.accuracyOn})` : ''} |`,
    ),
    '',
    ...card.files.flatMap((f) =>
      f.notes?.length ? [`Notes on ${f.file}:`, ...f.notes.map((n) => `- ${n}`), ''] : [],
    ),
    '## Source and verification',
    '',
    `- source run: \`${card.identity.sourceRun}\``,
    `- command: \`${card.command}\``,
    '',
    '```json',
    JSON.stringify(card.verification, null, 2),
    '```',
    '',
  ];
  await writeFile(mdPath, lines.join('\n'));
  return [mdPath, jsonPath];
}
