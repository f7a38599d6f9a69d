/**
 * Tiled detection for frames much larger than the detector's input (a high-resolution camera, a large photo): the
 * detector runs on the whole frame and on a grid of overlapping tiles, each tile seen at a larger scale, so small
 * faces that shrink below the network's smallest anchors in the whole frame are found in a tile. Boxes are mapped
 * back to frame pixels; a tile's box that touches one of the tile's inner edges (where a face may be cut) is left
 * to the neighbouring tile or the whole frame; everything is merged by NMS. Frames under `minScale` times the input
 * (a 640x480 camera at 512 x 384 is 1.25) run once, exactly as the detector alone, at no extra cost.
 */
import { MaskEdgeError } from '../../core/errors.js';
import { type Box, cropRgb, type RgbImage } from '../../core/image-io.js';
import type { DetectOptions, FaceDetection, FaceDetector } from './face-detector.js';
import { nonMaxSuppression, toCorners } from './non-max-suppression.js';

/** Tile frames at least this many times the detector's input (the agent's and eval's default). */
export const DEFAULT_TILE_ABOVE_SCALE = 1.5;
/** The tiles: 2 x 2, neighbours overlapping by a quarter of a tile. */
export const TILE_GRID = { grid: 2, overlap: 0.25 } as const;

export interface TilingOptions {
  /** Tile when the frame is at least this many times the input along its longer scaled side (default 1.5). */
  minScale?: number;
  /** Tiles per side (default 2: four tiles). */
  grid?: number;
  /** Overlap between neighbouring tiles, a fraction of a tile (default 0.25). */
  overlap?: number;
}

/** The tiles of a frame: `grid` x `grid` rectangles of equal size overlapping by `overlap`, covering it exactly. */
export function tileRects(width: number, height: number, grid: number, overlap: number): Box[] {
  const side = (extent: number) => Math.ceil(extent / (grid - (grid - 1) * overlap));
  const tw = Math.min(width, side(width));
  const th = Math.min(height, side(height));
  const starts = (extent: number, tile: number) =>
    Array.from({ length: grid }, (_, i) => (grid === 1 ? 0 : Math.round((i * (extent - tile)) / (grid - 1))));
  const rects: Box[] = [];
  for (const y of starts(height, th))
    for (const x of starts(width, tw)) rects.push({ x, y, width: tw, height: th });
  return rects;
}

/** Minimal detector surface the tiler needs (FaceDetector, or any detector with the same contract). */
type InnerDetector = Pick<FaceDetector, 'detect' | 'close' | 'provider' | 'contract' | 'withoutBoxAdjust'>;

export class TiledFaceDetector {
  /** Frames that were tiled, and tiles run (counted since opening). */
  tiledFrames = 0;
  tilesRun = 0;
  private readonly minScale: number;
  private readonly grid: number;
  private readonly overlap: number;

  constructor(
    readonly detector: InnerDetector,
    options: TilingOptions = {},
  ) {
    this.minScale = options.minScale ?? DEFAULT_TILE_ABOVE_SCALE;
    this.grid = options.grid ?? TILE_GRID.grid;
    this.overlap = options.overlap ?? TILE_GRID.overlap;
    const bad = !(this.minScale > 1)
      ? { option: 'tileAboveScale', value: this.minScale, expected: 'above 1 (0, never, means no tiler)' }
      : !(Number.isInteger(this.grid) && this.grid >= 1)
        ? { option: 'grid', value: this.grid, expected: 'a whole number >= 1' }
        : !(this.overlap >= 0 && this.overlap < 1)
          ? { option: 'overlap', value: this.overlap, expected: 'in [0, 1)' }
          : undefined;
    if (bad) {
      throw new MaskEdgeError('E_USAGE', `tiling ${bad.option} must be ${bad.expected}, got ${bad.value}`, {
        detail: bad,
      });
    }
  }

  get provider(): string {
    return this.detector.provider;
  }

  get contract(): InnerDetector['contract'] {
    return this.detector.contract;
  }

  withoutBoxAdjust(): TiledFaceDetector {
    return new TiledFaceDetector(this.detector.withoutBoxAdjust(), {
      minScale: this.minScale,
      grid: this.grid,
      overlap: this.overlap,
    });
  }

  /** How many times the input the frame is (the larger of the two axes' ratios). */
  scaleOf(frame: RgbImage): number {
    const { inputSize, inputHeight } = this.detector.contract;
    return Math.max(frame.width / inputSize, frame.height / inputHeight);
  }

  /** The frame's faces; `tiled` is true when the frame was large enough to be detected in tiles as well. */
  async detect(frame: RgbImage, options: DetectOptions = {}): Promise<FaceDetection[] & { tiled?: boolean }> {
    const whole = await this.detector.detect(frame, options);
    if (this.scaleOf(frame) < this.minScale) return whole;
    this.tiledFrames += 1;
    const found: FaceDetection[] = [...whole];
    const edge = 2; // px: a box this close to an inner tile edge may be a cut face
    for (const rect of tileRects(frame.width, frame.height, this.grid, this.overlap)) {
      this.tilesRun += 1;
      const tile = await this.detector.detect(cropRgb(frame, rect), options);
      for (const d of tile) {
        const b = d.box;
        const cutLeft = rect.x > 0 && b.x <= edge;
        const cutTop = rect.y > 0 && b.y <= edge;
        const cutRight = rect.x + rect.width < frame.width && b.x + b.width >= rect.width - edge;
        const cutBottom = rect.y + rect.height < frame.height && b.y + b.height >= rect.height - edge;
        if (cutLeft || cutTop || cutRight || cutBottom) continue;
        found.push({
          box: { x: b.x + rect.x, y: b.y + rect.y, width: b.width, height: b.height },
          score: d.score,
        });
      }
    }
    const iou = options.iou ?? this.detector.contract.defaults.iou;
    const kept = nonMaxSuppression(
      found.map((d) => toCorners(d.box)),
      found.map((d) => d.score),
      iou,
      options.maxFaces ?? this.detector.contract.defaults.maxFaces,
    );
    return Object.assign(
      kept.map((k) => found[k]!),
      { tiled: true },
    );
  }

  async close(): Promise<void> {
    await this.detector.close();
  }
}
