/**
 * What a face-detector ONNX file promises in its metadata_props (written by src/export/detector): input
 * tensor and normalisation, letterboxing, anchors and box coding, default thresholds. Parsed strictly so a
 * model with a missing or malformed entry is refused with the key and file named.
 */
import { z } from 'zod';
import { MaskEdgeError } from '../../core/errors.js';

const json = (key: string) =>
  z.string().transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: `${key} is not JSON` });
      return z.NEVER;
    }
  });

const triple = z.tuple([z.number(), z.number(), z.number()]);
const anchorLayer = z.object({
  featureMap: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  stride: z.number().positive(),
  boxes: z.array(z.tuple([z.number().positive(), z.number().positive()])).min(1),
});

const schema = z.object({
  'mask_edge.kind': z.literal('detector'),
  'mask_edge.input_name': z.string().min(1),
  'mask_edge.layout': z.literal('NCHW'),
  // A number (square input) or [height, width].
  'mask_edge.input_size': json('input_size').pipe(
    z.union([
      z.number().int().positive(),
      z.tuple([z.number().int().positive(), z.number().int().positive()]),
    ]),
  ),
  'mask_edge.color_order': z.enum(['RGB', 'BGR']),
  'mask_edge.scale': z.enum(['1/255', '1']),
  'mask_edge.mean': json('mean').pipe(triple),
  'mask_edge.std': json('std').pipe(triple),
  'mask_edge.letterbox': json('letterbox').pipe(
    z.object({ align: z.literal('top-left'), fill: z.number().int().min(0).max(255) }),
  ),
  'mask_edge.outputs': json('outputs').pipe(z.object({ boxes: z.string(), scores: z.string() })),
  'mask_edge.score_kind': z.literal('sigmoid'),
  'mask_edge.anchors': json('anchors').pipe(z.array(anchorLayer).min(1)).optional(),
  'mask_edge.box_coding': json('box_coding').pipe(
    z.discriminatedUnion('kind', [
      z.object({
        kind: z.literal('ssd-center-size'),
        order: z.tuple([z.literal('y'), z.literal('x'), z.literal('h'), z.literal('w')]),
        scale: z.tuple([z.number(), z.number(), z.number(), z.number()]),
      }),
      z.object({
        kind: z.literal('yolo-v2'),
        grid: z.tuple([z.number().int().positive(), z.number().int().positive()]),
        anchors: z.array(z.tuple([z.number().positive(), z.number().positive()])).min(1),
      }),
    ]),
  ),
  // Optional: moves and scales decoded boxes to a dataset's box convention (cx += dx*w, cy += dy*h, w *= sw, h *= sh).
  'mask_edge.box_adjust': json('box_adjust')
    .pipe(z.object({ dx: z.number(), dy: z.number(), sw: z.number().positive(), sh: z.number().positive() }))
    .optional(),
  // Optional: the same fit per annotation source ({ kaggle: {...}, ilc: {...} }), chosen by name at run time.
  'mask_edge.box_adjust_by_source': json('box_adjust_by_source')
    .pipe(
      z.record(
        z.string(),
        z.object({ dx: z.number(), dy: z.number(), sw: z.number().positive(), sh: z.number().positive() }),
      ),
    )
    .optional(),
  'mask_edge.defaults': json('defaults').pipe(
    z.object({
      minScore: z.number().min(0).max(1),
      iou: z.number().min(0).max(1),
      maxFaces: z.number().int().positive(),
    }),
  ),
});

export type AnchorLayer = z.infer<typeof anchorLayer>;

/** How box encodings turn into boxes: SSD centre-size against generated anchors, or YOLO v2 grid cells. */
export type BoxCoding =
  | { kind: 'ssd-center-size'; scale: [number, number, number, number]; layers: AnchorLayer[] }
  | { kind: 'yolo-v2'; grid: [number, number]; anchors: [number, number][] };

export interface BoxAdjust {
  dx: number;
  dy: number;
  sw: number;
  sh: number;
}

export const NO_BOX_ADJUST: BoxAdjust = { dx: 0, dy: 0, sw: 1, sh: 1 };

export interface DetectorContract {
  inputName: string;
  /** Input width in pixels (the side of a square input). */
  inputSize: number;
  /** Input height in pixels (= inputSize unless the model says otherwise). */
  inputHeight: number;
  colorOrder: 'RGB' | 'BGR';
  scale: boolean;
  mean: [number, number, number];
  std: [number, number, number];
  fill: number;
  boxesOutput: string;
  scoresOutput: string;
  coding: BoxCoding;
  boxAdjust: BoxAdjust;
  /** Box adjustments fitted per annotation source (empty when the model has none). */
  boxAdjustBySource: Record<string, BoxAdjust>;
  defaults: { minScore: number; iou: number; maxFaces: number };
}

export function parseDetectorContract(metadata: Record<string, string>, path: string): DetectorContract {
  const parsed = schema.safeParse(metadata);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(metadata)'}: ${i.message}`);
    throw new MaskEdgeError('E_MODEL', `${path} is not a mask-edge face detector: ${problems.join('; ')}`, {
      detail: { path, problems, expected: "metadata mask_edge.kind='detector' with anchors and box coding" },
    });
  }
  const m = parsed.data;
  const size = m['mask_edge.input_size'];
  const [inputHeight, inputWidth] = typeof size === 'number' ? [size, size] : size;
  const raw = m['mask_edge.box_coding'];
  let coding: BoxCoding;
  if (raw.kind === 'yolo-v2') {
    coding = { kind: 'yolo-v2', grid: raw.grid, anchors: raw.anchors };
  } else {
    const layers = m['mask_edge.anchors'];
    if (!layers) {
      throw new MaskEdgeError('E_MODEL', `${path}: SSD box coding without mask_edge.anchors`, {
        detail: { path, problems: ['mask_edge.anchors: required for ssd-center-size box coding'] },
      });
    }
    coding = { kind: 'ssd-center-size', scale: raw.scale, layers };
  }
  return {
    inputName: m['mask_edge.input_name'],
    inputSize: inputWidth,
    inputHeight,
    colorOrder: m['mask_edge.color_order'],
    scale: m['mask_edge.scale'] === '1/255',
    mean: m['mask_edge.mean'],
    std: m['mask_edge.std'],
    fill: m['mask_edge.letterbox'].fill,
    boxesOutput: m['mask_edge.outputs'].boxes,
    scoresOutput: m['mask_edge.outputs'].scores,
    coding,
    boxAdjust: m['mask_edge.box_adjust'] ?? NO_BOX_ADJUST,
    boxAdjustBySource: m['mask_edge.box_adjust_by_source'] ?? {},
    defaults: m['mask_edge.defaults'],
  };
}
