import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Logger } from '../../src/core/logger.js';
import { MODELS_DIR } from '../../src/core/package-paths.js';
import { run as alerts } from '../../src/edge/alerts/alerts-command.js';
import { run, samplePhotos } from '../../src/edge/demo/demo-command.js';
import { checkAgainstTruth, loadSampleTruth } from '../../src/edge/demo/demo-samples.js';

const quiet = new Logger({ level: 'error', json: true, sink: { write: () => undefined } });
// MASK_EDGE_DEMO_CLASSIFIER: run the end-to-end test with another classifier before the bundled one exists.
const CLASSIFIER = process.env.MASK_EDGE_DEMO_CLASSIFIER || join(MODELS_DIR, 'mask-classifier.int8.onnx');
const MODELS_PRESENT = existsSync(join(MODELS_DIR, 'face-detector.onnx')) && existsSync(CLASSIFIER);
if (!MODELS_PRESENT)
  console.warn(`bundled models missing in ${MODELS_DIR}: the end-to-end demo test is skipped`);

describe('mask-edge demo', () => {
  it('ships sample photos with annotated faces of all three labels', () => {
    const truth = loadSampleTruth();
    expect(samplePhotos()).toHaveLength(truth.photos.length);
    const labels = new Set(truth.photos.flatMap((p) => p.faces.map((f) => f.label)));
    expect([...labels].sort()).toEqual(['correct', 'incorrect', 'no_mask']);
    expect(truth.license).toMatch(/CC0/);
  });

  it('pairs reports with annotated faces by frame size and box overlap', () => {
    const truth = loadSampleTruth();
    const photo = truth.photos.find((p) => p.faces.length > 1)!;
    const event = (i: number, label: 'correct' | 'no_mask', dx = 0) => ({
      id: `e${i}`,
      seq: i,
      device: 'd',
      camera: 'c',
      ts: new Date().toISOString(),
      type: 'new' as const,
      trackId: i,
      label,
      score: 0.9,
      box: [photo.faces[0]!.box[0] + dx, ...photo.faces[0]!.box.slice(1)] as [number, number, number, number],
      frame: { width: photo.width, height: photo.height },
      model: { name: 'm', version: '1' },
    });
    const right = photo.faces[0]!.label;
    const checked = checkAgainstTruth(truth, [event(1, right === 'correct' ? 'correct' : 'no_mask')]);
    const first = checked.faces.find((f) => f.photo === photo.file)!;
    expect(first.seen).toBe(right === 'correct' ? 'correct' : 'no_mask');
    expect(checked.faces.filter((f) => f.seen === undefined)).toHaveLength(checked.faces.length - 1);
    // a box far from every annotated face is reported apart
    expect(checkAgainstTruth(truth, [event(2, 'correct', 5000)]).unmatched).toHaveLength(1);
  });

  it.skipIf(!MODELS_PRESENT)(
    'labels every sample face as annotated; alert lines only for incorrect / no mask; `mask-edge alerts` on the demo broker prints the same alerts',
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'demo-test-'));
      const truth = loadSampleTruth();
      const expectedAlerts = truth.photos.flatMap((p) => p.faces).filter((f) => f.label !== 'correct').length;
      const lines: string[] = [];
      const alertLines: string[] = [];
      let alertsDone: Promise<void> | undefined;
      const result = await run(
        { seconds: 60, out, classifier: CLASSIFIER },
        {
          out: (l) => lines.push(l),
          logger: quiet,
          colour: false,
          // `mask-edge alerts --broker host:port` with its defaults (MQTT 5 refused by aedes, then 3.1.1)
          onBroker: (url) =>
            new Promise<void>((ready, failed) => {
              alertsDone = alerts(
                { broker: url.replace('mqtt://', ''), count: expectedAlerts },
                { out: (l) => alertLines.push(l), logger: quiet, colour: false, onReady: () => ready() },
              );
              alertsDone.catch(failed);
            }),
        },
      );
      expect(result.faces.map((f) => `${f.photo} ${f.seen}`)).toEqual(
        result.faces.map((f) => `${f.photo} ${f.truth}`),
      );
      expect(result.allRight).toBe(true);
      expect(result.alerts).toBe(expectedAlerts);
      expect(result.ok).toBe(result.faces.length - expectedAlerts);
      const printed = lines.filter((l) => /^(alert|ok|cleared) /.test(l));
      expect(printed.filter((l) => l.startsWith('alert ')).every((l) => !l.includes('mask OK'))).toBe(true);
      expect(printed.filter((l) => l.startsWith('ok ')).every((l) => l.includes('mask OK'))).toBe(true);
      // the first screen says what the photos show
      expect(lines.slice(0, 3).join('\n')).toMatch(/sample photos .*faces: \d+ mask worn correctly/);
      expect(lines).toContain(
        `check: ${result.faces.length} of ${result.faces.length} faces reported with their annotated label`,
      );
      await alertsDone;
      expect(alertLines).toHaveLength(expectedAlerts);
      expect(alertLines.every((l) => / demo\/lobby {2}(MASK WORN INCORRECTLY|NO MASK) /.test(l))).toBe(true);
      const frames = readdirSync(join(out, 'annotated', 'lobby')).filter((n) => n.endsWith('.jpg'));
      expect(frames.length).toBe(truth.photos.length);
    },
  );

  it('a missing model stops the demo with a coded error and releases the broker', async () => {
    const out = mkdtempSync(join(tmpdir(), 'demo-bad-'));
    await expect(
      run({ seconds: 5, out, classifier: join(out, 'none.onnx') }, { out: () => undefined, logger: quiet }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^E_(MODEL|NOT_FOUND)$/) });
  });
});
