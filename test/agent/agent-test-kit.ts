/**
 * Helpers for agent tests: synthetic and face videos made with real ffmpeg, a colour-blob "detector"
 * (stands in for the face detector where the test is about the pipeline, not detection), real ONNX models.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Box, RgbImage } from '../../src/core/image-io.js';
import { MODELS_DIR, packageDir } from '../../src/core/package-paths.js';
import type { DetectorPort } from '../../src/edge/agent/camera-pipeline.js';
import { meanColourClassifier, writeModel } from '../inference/tiny-models.js';

const run = promisify(execFile);

export const FACE_API_DEMO = join(packageDir('@vladmandic/face-api'), 'demo');

export interface BlobSpec {
  /** lavfi colour name of the square */
  colour: string;
  size: number;
  /** start x, y and speed in px/s along x */
  x: number;
  y: number;
  speed: number;
}

/** An MJPEG AVI: coloured squares moving over a grey background (ffmpeg lavfi, no input files). */
export async function makeBlobVideo(
  path: string,
  blobs: BlobSpec[],
  options: { width?: number; height?: number; seconds?: number; fps?: number } = {},
): Promise<void> {
  const { width = 320, height = 240, seconds = 3, fps = 25 } = options;
  const parts = [`color=c=gray:s=${width}x${height}:r=${fps}:d=${seconds}[v0]`];
  blobs.forEach((b, i) => {
    parts.push(`color=c=${b.colour}:s=${b.size}x${b.size}:r=${fps}[b${i}]`);
    parts.push(`[v${i}][b${i}]overlay=x='${b.x}+t*${b.speed}':y=${b.y}:shortest=1[v${i + 1}]`);
  });
  const graph = parts.join(';').replace(new RegExp(`\\[v${blobs.length}\\]$`), '');
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', graph, '-c:v', 'mjpeg', '-q:v', '3', path]);
}

/**
 * A 640x480 video of one real face (cropped from a face-api demo photo) walking across a grey background:
 * one person, many frames.
 */
export async function makeWalkingFaceVideo(
  path: string,
  options: { seconds?: number; fps?: number } = {},
): Promise<void> {
  const { seconds = 4, fps = 10 } = options;
  const photo = join(FACE_API_DEMO, 'sample1.jpg');
  // sample1's third face from the left (about x 780-1030, y 330-600 in the 1920-wide photo), with hair and neck
  const face = 'crop=360:420:730:270,scale=180:210';
  const graph = `color=c=0x707070:s=640x480:r=${fps}:d=${seconds}[bg];[1:v]${face}[f];[bg][f]overlay=x='40+t*80':y=130:shortest=1`;
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'nullsrc=s=16x16:d=0.1',
    '-loop',
    '1',
    '-i',
    photo,
    '-filter_complex',
    graph,
    '-t',
    String(seconds),
    '-r',
    String(fps),
    '-c:v',
    'mjpeg',
    '-q:v',
    '3',
    path,
  ]);
}

/**
 * Finds strongly coloured squares on a grey frame: connected components of saturated pixels on a coarse grid.
 * Deterministic and fast; a stand-in for the face detector in pipeline tests.
 */
export class ColourBlobDetector implements DetectorPort {
  readonly provider = 'test-blob';
  calls = 0;
  failNext = 0;
  constructor(private readonly step = 4) {}

  async detect(frame: RgbImage): Promise<{ box: Box; score: number }[]> {
    this.calls += 1;
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('detector failed (injected)');
    }
    const { width, height, data } = frame;
    const s = this.step;
    const gw = Math.ceil(width / s);
    const gh = Math.ceil(height / s);
    const mask = new Uint8Array(gw * gh);
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++) {
        const i = (Math.min(height - 1, gy * s) * width + Math.min(width - 1, gx * s)) * 3;
        const r = data[i]!;
        const g = data[i + 1]!;
        const b = data[i + 2]!;
        if (Math.max(r, g, b) - Math.min(r, g, b) > 90) mask[gy * gw + gx] = 1;
      }
    }
    const seen = new Uint8Array(gw * gh);
    const out: { box: Box; score: number }[] = [];
    for (let start = 0; start < mask.length; start++) {
      if (!mask[start] || seen[start]) continue;
      let x0 = gw;
      let y0 = gh;
      let x1 = -1;
      let y1 = -1;
      let count = 0;
      const stack = [start];
      seen[start] = 1;
      while (stack.length) {
        const p = stack.pop()!;
        const px = p % gw;
        const py = (p - px) / gw;
        count++;
        x0 = Math.min(x0, px);
        x1 = Math.max(x1, px);
        y0 = Math.min(y0, py);
        y1 = Math.max(y1, py);
        for (const q of [p - 1, p + 1, p - gw, p + gw]) {
          if (q < 0 || q >= mask.length || seen[q] || !mask[q]) continue;
          if ((q === p - 1 && px === 0) || (q === p + 1 && px === gw - 1)) continue;
          seen[q] = 1;
          stack.push(q);
        }
      }
      if (count < 4) continue;
      out.push({
        box: { x: x0 * s, y: y0 * s, width: (x1 - x0 + 1) * s, height: (y1 - y0 + 1) * s },
        score: 0.99,
      });
    }
    return out;
  }
}

/** The tiny "mean colour" ONNX classifier (red -> correct, green -> incorrect, blue -> no_mask). */
export function writeMeanColourClassifier(dir: string): string {
  return writeModel(dir, 'mean-colour.onnx', meanColourClassifier({ size: 16 }));
}

/** The bundled detector, or one built now from face-api's SSD weights by the export code (until it is bundled). */
export async function faceDetectorModel(dir: string): Promise<string> {
  const bundled = join(MODELS_DIR, 'face-detector.onnx');
  if (existsSync(bundled)) return bundled;
  const { buildFaceDetector } = await import('../../src/export/detector/build-face-detector.js');
  return (await buildFaceDetector({ out: join(dir, 'face-detector.onnx'), inputSize: 320 })).path;
}
