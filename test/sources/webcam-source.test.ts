import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webcamSourceSchema } from '../../src/edge/config/source-config.js';
import type { Frame } from '../../src/edge/sources/frame-source.js';
import { createFrameSource } from '../../src/edge/sources/source-registry.js';
import { nodeWebcamOptions, webcamCaptureCommand } from '../../src/edge/sources/webcam-source.js';
import { quietLogger, until } from './source-test-kit.js';

// No camera here: a stand-in `fswebcam` on PATH records its command line and "captures" a fixed JPEG,
// or prints what the real fswebcam prints when the device is missing.
const FAKE_FSWEBCAM = `#!/bin/sh
echo "$@" >> "$FAKE_FSWEBCAM_LOG"
if [ -e "$FAKE_FSWEBCAM_UNPLUGGED" ]; then
  echo "Trying source module v4l2..." >&2
  echo "Error opening device: /dev/video7" >&2
  echo "open: No such file or directory" >&2
  exit 0
fi
for last; do :; done
cp "$FAKE_FSWEBCAM_IMAGE" "$last"
`;

describe('webcam source (node-webcam / fswebcam)', () => {
  let dir: string;
  const savedPath = process.env.PATH;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'webcam-src-'));
    await writeFile(join(dir, 'fswebcam'), FAKE_FSWEBCAM);
    await chmod(join(dir, 'fswebcam'), 0o755);
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 10, b: 10 } } })
      .jpeg()
      .toFile(join(dir, 'shot.jpg'));
    process.env.PATH = `${dir}:${savedPath}`;
    process.env.FAKE_FSWEBCAM_LOG = join(dir, 'calls.log');
    process.env.FAKE_FSWEBCAM_IMAGE = join(dir, 'shot.jpg');
    process.env.FAKE_FSWEBCAM_UNPLUGGED = join(dir, 'unplugged');
  });
  afterAll(async () => {
    process.env.PATH = savedPath;
    await rm(dir, { recursive: true, force: true });
  });

  const config = webcamSourceSchema.parse({
    type: 'webcam',
    device: '/dev/video7',
    width: 1280,
    height: 720,
    skip: 5,
    quality: 80,
    fps: 20,
  });

  it('asks node-webcam for one JPEG of the configured device and size, without banners', () => {
    expect(nodeWebcamOptions(config)).toMatchObject({
      device: '/dev/video7',
      width: 1280,
      height: 720,
      quality: 80,
      skip: 5,
      output: 'jpeg',
      frames: 1,
      topBanner: false,
      bottomBanner: false,
      saveShots: false,
      callbackReturn: 'location',
    });
    expect(webcamCaptureCommand(config, '/tmp/x/capture.jpg')).toBe(
      'fswebcam -q -r 1280x720 -F 1 --jpeg 80 -d /dev/video7 --no-banner --skip 5 /tmp/x/capture.jpg',
    );
  });

  it('captures frames through fswebcam and decodes them; an unplugged camera goes offline and comes back', async () => {
    const source = await createFrameSource(
      'door',
      { ...config, reconnect: { initialSeconds: 0.1, maxSeconds: 0.3, factor: 2 } },
      {
        logger: quietLogger,
      },
    );
    const frames: Frame[] = [];
    source.onFrame((f) => frames.push(f));
    source.start();
    try {
      await until(() => frames.length >= 3, 'three captures');
      expect(frames[0]!.image).toMatchObject({ width: 64, height: 48 });
      expect(frames[0]!.image.data[0]).toBeGreaterThan(150);
      const calls = (await readFile(join(dir, 'calls.log'), 'utf8')).trim().split('\n');
      expect(calls[0]).toMatch(
        /^-q -r 1280x720 -F 1 --jpeg 80 -d \/dev\/video7 --no-banner --skip 5 \/.*mask-edge-webcam-.*\/capture\.jpg$/,
      );

      await writeFile(join(dir, 'unplugged'), '');
      await until(() => source.stats().state === 'offline', 'offline when unplugged');
      expect(source.stats().error).toMatch(/fswebcam capture failed on \/dev\/video7: No webcam found/);
      await rm(join(dir, 'unplugged'));
      const before = frames.length;
      await until(() => source.stats().state === 'online' && frames.length > before, 'back online');
    } finally {
      await source.stop();
    }
  });
});
