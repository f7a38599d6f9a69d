/**
 * Creates frame sources from config. Each implementation is imported only when a camera uses it (the way
 * MQTT.js loads transports), so a device with one RTSP camera never loads node-webcam.
 */
import type { Logger } from '../../core/logger.js';
import type { SourceConfig, SourceType } from '../config/source-config.js';
import type { FrameSource, SourceDriver } from './frame-source.js';
import { SupervisedSource } from './supervised-source.js';

type DriverFactory = (config: SourceConfig) => SourceDriver;

const DRIVER_LOADERS: Record<SourceType, () => Promise<DriverFactory>> = {
  images: async () => {
    const { createImageFolderDriver } = await import('./image-folder-source.js');
    return (config) => createImageFolderDriver(config as Extract<SourceConfig, { type: 'images' }>);
  },
  ffmpeg: async () => {
    const { createFfmpegDriver } = await import('./ffmpeg-source.js');
    return (config) => createFfmpegDriver(config as Extract<SourceConfig, { type: 'ffmpeg' }>);
  },
  webcam: async () => {
    const { createWebcamDriver } = await import('./webcam-source.js');
    return (config) => createWebcamDriver(config as Extract<SourceConfig, { type: 'webcam' }>);
  },
};

export async function createDriver(config: SourceConfig): Promise<SourceDriver> {
  const factory = await DRIVER_LOADERS[config.type]();
  return factory(config);
}

/** A supervised source (cap, watchdog, reconnect) for one camera's source config. */
export async function createFrameSource(
  cameraId: string,
  config: SourceConfig,
  options: { logger?: Logger } = {},
): Promise<FrameSource> {
  const driver = await createDriver(config);
  return new SupervisedSource(cameraId, driver, {
    maxFps: config.maxFps,
    watchdogSeconds: config.watchdogSeconds,
    reconnect: config.reconnect,
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
