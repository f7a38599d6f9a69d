import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validateConfig } from '../../src/core/config-loader.js';
import { isMaskEdgeError } from '../../src/core/errors.js';
import {
  ffmpegSourceSchema,
  imagesSourceSchema,
  sourceConfigSchema,
  sourceTypeForUrl,
  webcamSourceSchema,
} from '../../src/edge/config/source-config.js';

function issuesOf(raw: unknown): { path: string; message: string }[] {
  try {
    validateConfig(sourceConfigSchema, raw, 'source');
  } catch (err) {
    if (isMaskEdgeError(err, 'E_CONFIG')) return err.detail.issues as { path: string; message: string }[];
    throw err;
  }
  return [];
}

describe('source config', () => {
  it('fills defaults for each type', () => {
    const images = sourceConfigSchema.parse({ type: 'images', path: '/photos' });
    expect(images).toMatchObject({ type: 'images', path: '/photos', fps: 5, loop: false, maxFps: 15 });
    expect(images.reconnect).toEqual({ initialSeconds: 1, maxSeconds: 30, factor: 2 });
    const ff = sourceConfigSchema.parse({ type: 'ffmpeg', url: 'rtsp://cam/1' });
    expect(ff).toMatchObject({
      rtspTransport: 'tcp',
      timeoutSeconds: 10,
      ffmpegPath: 'ffmpeg',
      inputOptions: [],
    });
    const cam = sourceConfigSchema.parse({ type: 'webcam' });
    expect(cam).toMatchObject({ device: '/dev/video0', width: 640, height: 480, fps: 2 });
  });

  it('maps a bare string by its scheme', () => {
    expect(sourceConfigSchema.parse('rtsp://user:pw@cam/stream')).toMatchObject({ type: 'ffmpeg' });
    expect(sourceConfigSchema.parse('/dev/video2')).toMatchObject({ type: 'ffmpeg', url: '/dev/video2' });
    expect(sourceConfigSchema.parse('/data/door.mp4')).toMatchObject({ type: 'ffmpeg' });
    expect(sourceConfigSchema.parse('./photos')).toMatchObject({ type: 'images', path: './photos' });
    expect(sourceTypeForUrl('https://cam.local/video.mjpg')).toBe('ffmpeg');
  });

  it('lists every problem with its path: unknown keys, wrong types, half a size', () => {
    const issues = issuesOf({ type: 'ffmpeg', url: 'x.mp4', width: 640, fps: 3, maxFps: -1 });
    const paths = issues.map((i) => i.path).sort();
    expect(paths).toEqual(['fps', 'maxFps', 'width']);
    expect(issues.find((i) => i.path === 'fps')!.message).toMatch(/unknown key; did you mean "maxFps"/);
    expect(issues.find((i) => i.path === 'maxFps')!.message).toBe(
      'must be a number >= 0.01 and <= 240 (got -1)',
    );
    const half = issuesOf({ type: 'ffmpeg', url: 'x.mp4', width: 640 });
    expect(half).toEqual([{ path: 'width', message: 'give both width and height, or neither (got 640)' }]);
  });

  it('refuses a webcam device that is not a plain /dev path (node-webcam runs it through a shell)', () => {
    expect(issuesOf({ type: 'webcam', device: '/dev/video0; rm -rf /' }).map((i) => i.path)).toEqual([
      'device',
    ]);
    expect(issuesOf({ type: 'webcam', device: '/dev/v4l/by-id/usb-Cam_123-video-index0' })).toEqual([]);
  });

  it('rejects an unknown type naming the field', () => {
    const issues = issuesOf({ type: 'gopro', url: 'x' });
    expect(issues.map((i) => i.path)).toEqual(['type']);
  });

  it('describes every field of every source type', () => {
    for (const schema of [imagesSourceSchema, ffmpegSourceSchema, webcamSourceSchema]) {
      const shape = (
        schema instanceof z.ZodObject
          ? schema
          : (schema as unknown as { def: { schema: z.ZodObject } }).def.schema
      ).shape as Record<string, z.ZodType>;
      const undocumented = Object.entries(shape)
        .filter(([, field]) => !field.description)
        .map(([name]) => name);
      expect(undocumented).toEqual([]);
    }
  });
});
