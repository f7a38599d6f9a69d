/**
 * Frame-source sections of the agent config: a discriminated union on `type` (`images`, `ffmpeg`, `webcam`).
 * A bare string is accepted as shorthand and mapped by its URL scheme (`rtsp://...` -> ffmpeg,
 * `/dev/video0` -> ffmpeg, a folder path -> images).
 */
import { z } from 'zod';

export const SOURCE_TYPES = ['images', 'ffmpeg', 'webcam'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/** Seconds for a timer: Node timers overflow past 24.8 days, so every period has an upper bound. */
const seconds = (min: number, max: number) => z.number().min(min).max(max);
const pathString = z.string().min(1).max(4096);
/** Frame sizes: up to 16384 pixels a side (ffmpeg's and most decoders' limit). */
const side = z.number().int().min(1).max(16_384);

export const reconnectSchema = z
  .object({
    initialSeconds: seconds(0.01, 3600)
      .default(1)
      .describe('first wait before reconnecting a lost source, 0.01-3600'),
    maxSeconds: seconds(0.01, 3600)
      .default(30)
      .describe('longest wait between reconnect attempts, 0.01-3600'),
    factor: z
      .number()
      .min(1)
      .max(10)
      .default(2)
      .describe('each failed attempt multiplies the wait by this, 1-10'),
  })
  .strict()
  .refine((r) => r.initialSeconds <= r.maxSeconds, {
    message: 'initialSeconds must not exceed maxSeconds',
    path: ['initialSeconds'],
  });

/** Fields every source type has. */
const commonShape = {
  maxFps: seconds(0.01, 240)
    .default(15)
    .describe(
      'frame-rate cap: frames arriving faster than this are skipped (counted as capped); images and webcam sources paced at an fps within it are not capped',
    ),
  watchdogSeconds: seconds(0.1, 3600)
    .default(10)
    .describe('no frame for this long while running: the source is restarted and reported offline'),
  reconnect: reconnectSchema
    .prefault({})
    .describe('reconnect with exponential backoff (reset once frames flow again)'),
};

export const imagesSourceSchema = z
  .object({
    type: z
      .literal('images')
      .describe('a folder of photos (jpg, jpeg, png, webp, bmp, tiff), read in name order'),
    path: pathString.describe('folder holding the photos'),
    fps: seconds(0.01, 240).default(5).describe('photos read per second, 0.01-240'),
    loop: z.boolean().default(false).describe('start again at the first photo after the last'),
    scenePerPhoto: z
      .boolean()
      .default(false)
      .describe(
        "each photo is its own scene (unrelated photos): the tracker ends the previous photo's tracks; false: the photos are frames of one view",
      ),
    ...commonShape,
  })
  .strict();

export const ffmpegSourceSchema = z
  .object({
    type: z.literal('ffmpeg').describe('decoded by an ffmpeg child process to raw RGB frames'),
    url: z
      .string()
      .min(1)
      .max(4096)
      .describe(
        'rtsp://, rtsps://, http(s):// (MJPEG or any stream ffmpeg reads), a video file or /dev/videoN',
      ),
    width: side.optional().describe('scale frames to this width (default: stream size)'),
    height: side.optional().describe('scale frames to this height (default: stream size)'),
    realtime: z
      .boolean()
      .optional()
      .describe(
        'read files at their native frame rate (-re); default true for files, ignored for live inputs',
      ),
    loop: z.boolean().default(false).describe('files only: play the file again from the start when it ends'),
    rtspTransport: z
      .enum(['tcp', 'udp'])
      .default('tcp')
      .describe('RTSP transport (tcp survives lossy links)'),
    timeoutSeconds: seconds(0.1, 600)
      .default(10)
      .describe('network read/connect timeout handed to ffmpeg, 0.1-600'),
    inputFormat: z
      .string()
      .regex(/^[A-Za-z0-9_,-]{1,64}$/, 'an ffmpeg format name such as v4l2 or mjpeg')
      .optional()
      .describe('ffmpeg input format (-f), e.g. v4l2 or mjpeg; default: v4l2 for /dev/video*, else auto'),
    inputOptions: z
      .array(z.string().max(1024))
      .max(64)
      .default([])
      .describe('extra ffmpeg input options placed before -i, e.g. ["-video_size", "1280x720"]'),
    ffmpegPath: pathString.default('ffmpeg').describe('ffmpeg binary (default: ffmpeg on PATH)'),
    ...commonShape,
  })
  .strict()
  .refine((s) => (s.width === undefined) === (s.height === undefined), {
    message: 'give both width and height, or neither',
    path: ['width'],
  });

export const webcamSourceSchema = z
  .object({
    type: z.literal('webcam').describe('a USB camera captured by fswebcam through node-webcam'),
    device: z
      .string()
      .regex(/^\/dev\/[A-Za-z0-9_./-]+$/, 'a device path such as /dev/video0 (it goes into a shell command)')
      .default('/dev/video0')
      .describe('camera device path'),
    width: side.default(640).describe('capture width in pixels'),
    height: side.default(480).describe('capture height in pixels'),
    fps: seconds(0.01, 30).default(2).describe('captures per second (each capture is one fswebcam run)'),
    skip: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(0)
      .describe('frames fswebcam skips before capturing (exposure settle)'),
    quality: z.number().int().min(1).max(100).default(90).describe('JPEG quality of the capture'),
    ...commonShape,
  })
  .strict();

const unionSchema = z.discriminatedUnion('type', [
  imagesSourceSchema,
  ffmpegSourceSchema,
  webcamSourceSchema,
]);

/** The type a source string implies: network URLs, files and /dev/video* go to ffmpeg, anything else is a folder. */
export function sourceTypeForUrl(url: string): SourceType {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return 'ffmpeg';
  if (url.startsWith('/dev/video')) return 'ffmpeg';
  if (/\.(mp4|mkv|avi|mov|webm|mjpe?g|h264|h265|ts|m4v|flv)$/i.test(url)) return 'ffmpeg';
  return 'images';
}

/** A source as written in config: a full object, or a bare URL/path string. */
export const sourceConfigSchema = z.preprocess((raw) => {
  if (typeof raw !== 'string') return raw;
  return sourceTypeForUrl(raw) === 'ffmpeg' ? { type: 'ffmpeg', url: raw } : { type: 'images', path: raw };
}, unionSchema);

export type ImagesSourceConfig = z.infer<typeof imagesSourceSchema>;
export type FfmpegSourceConfig = z.infer<typeof ffmpegSourceSchema>;
export type WebcamSourceConfig = z.infer<typeof webcamSourceSchema>;
export type SourceConfig = z.infer<typeof unionSchema>;
export type ReconnectConfig = z.infer<typeof reconnectSchema>;
