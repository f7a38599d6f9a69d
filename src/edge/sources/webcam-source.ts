/**
 * `webcam` source: a USB camera captured by fswebcam through the node-webcam package, one JPEG per
 * capture at `fps` captures per second. Each capture goes to a private temporary file that is decoded and
 * removed. (For continuous video from a V4L2 camera use the ffmpeg source with `/dev/videoN`.)
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MaskEdgeError } from '../../core/errors.js';
import { decodeImage } from '../../core/image-io.js';
import { requireFromPackage } from '../../core/package-paths.js';
import type { WebcamSourceConfig } from '../config/source-config.js';
import type { DriverContext, DriverSession, SourceDriver } from './frame-source.js';
import { startPacedLoop } from './paced-loop.js';

/** The node-webcam options for a config (what decides fswebcam's command line). */
export function nodeWebcamOptions(config: WebcamSourceConfig): Record<string, unknown> {
  return {
    width: config.width,
    height: config.height,
    quality: config.quality,
    delay: 0,
    frames: 1,
    skip: config.skip > 0 ? config.skip : false,
    device: config.device,
    output: 'jpeg',
    callbackReturn: 'location',
    saveShots: false,
    verbose: false,
    topBanner: false,
    bottomBanner: false,
  };
}

interface NodeWebcamCamera {
  capture(location: string, callback: (err: Error | null, location?: string) => void): void;
  generateSh(location: string): string;
}
interface NodeWebcamModule {
  FSWebcam: new (options: Record<string, unknown>) => NodeWebcamCamera;
}

/** node-webcam's fswebcam camera (always fswebcam: this is the Linux edge path). */
export function createFsWebcam(config: WebcamSourceConfig): NodeWebcamCamera {
  const NodeWebcam = requireFromPackage('node-webcam') as NodeWebcamModule;
  return new NodeWebcam.FSWebcam(nodeWebcamOptions(config));
}

/** The exact shell command node-webcam runs for one capture into `location`. */
export function webcamCaptureCommand(config: WebcamSourceConfig, location: string): string {
  return createFsWebcam(config).generateSh(location).replace(/\s+/g, ' ').trim();
}

export function createWebcamDriver(config: WebcamSourceConfig): SourceDriver {
  const intervalMs = 1000 / config.fps;
  return {
    type: 'webcam',
    input: config.device,
    nominalIntervalMs: intervalMs,
    async open(ctx: DriverContext): Promise<DriverSession> {
      const camera = createFsWebcam(config);
      const dir = await mkdtemp(join(tmpdir(), 'mask-edge-webcam-'));
      const location = join(dir, 'capture.jpg');
      const capture = () =>
        new Promise<void>((resolve, reject) => {
          camera.capture(location, (err) => {
            if (err) {
              reject(
                new MaskEdgeError('E_SOURCE', `fswebcam capture failed on ${config.device}: ${err.message}`, {
                  detail: { device: config.device },
                  cause: err,
                }),
              );
            } else resolve();
          });
        });
      const step = async (): Promise<boolean> => {
        try {
          await capture();
        } catch (err) {
          if (!loop.stopped) ctx.failed(err);
          return false;
        }
        if (loop.stopped) return false;
        try {
          const bytes = await readFile(location);
          ctx.frame(await decodeImage(bytes, `${config.device} capture`));
        } catch (err) {
          ctx.badFrame(err);
        }
        await rm(location, { force: true });
        return true;
      };
      const loop = startPacedLoop(intervalMs, step, (err) => ctx.failed(err));
      return {
        async close() {
          loop.stop();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  };
}
