import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Logger } from '../../src/core/logger.js';
import { MODELS_DIR } from '../../src/core/package-paths.js';
import { run, samplePhotos } from '../../src/edge/demo/demo-command.js';

const quiet = new Logger({ level: 'error', json: true, sink: { write: () => undefined } });
// MASK_EDGE_DEMO_CLASSIFIER: run the end-to-end test with another classifier before the bundled one exists.
const CLASSIFIER = process.env.MASK_EDGE_DEMO_CLASSIFIER || join(MODELS_DIR, 'mask-classifier.int8.onnx');
const MODELS_PRESENT = existsSync(join(MODELS_DIR, 'face-detector.onnx')) && existsSync(CLASSIFIER);
if (!MODELS_PRESENT)
  console.warn(`bundled models missing in ${MODELS_DIR}: the end-to-end demo test is skipped`);

describe('mask-edge demo', () => {
  it('ships sample photos of real people', () => {
    expect(samplePhotos().length).toBeGreaterThanOrEqual(6);
  });

  it.skipIf(!MODELS_PRESENT)(
    'runs the agent with the bundled models, prints alerts from the embedded broker, writes annotated frames, stops by itself',
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'demo-test-'));
      const lines: string[] = [];
      await run(
        { seconds: 10, out, classifier: CLASSIFIER },
        { out: (l) => lines.push(l), logger: quiet, colour: false },
      );
      const alerts = lines.filter((l) => l.startsWith('alert '));
      expect(alerts.length).toBeGreaterThan(0);
      expect(alerts[0]).toMatch(/demo\/lobby {2}(mask OK|MASK WORN INCORRECTLY|NO MASK) {2}track \d+/);
      const frames = readdirSync(join(out, 'annotated', 'lobby')).filter((n) => n.endsWith('.jpg'));
      expect(frames.length).toBeGreaterThan(0);
      expect(lines.at(-2)).toMatch(new RegExp(`demo finished: ${alerts.length} alert\\(s\\)`));
    },
  );

  it('a missing model stops the demo with a coded error and releases the broker', async () => {
    const out = mkdtempSync(join(tmpdir(), 'demo-bad-'));
    await expect(
      run({ seconds: 5, out, classifier: join(out, 'none.onnx') }, { out: () => undefined, logger: quiet }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^E_(MODEL|NOT_FOUND)$/) });
  });
});
