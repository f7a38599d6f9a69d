import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR, sharedDataDir } from '../../src/core/package-paths.js';
import { evaluatePipeline } from '../../src/edge/eval/pipeline-eval.js';
import { FaceVerifier } from '../../src/edge/inference/face-verifier.js';
import { runCli } from '../helpers/run-cli.js';
import { tempDir } from '../inference/tiny-models.js';

const data = sharedDataDir();
const kaggle = data ? join(data, 'kaggle-face-mask') : undefined;
const ilc = data ? join(data, 'ilc-face-mask') : undefined;
const ready =
  kaggle !== undefined &&
  ilc !== undefined &&
  existsSync(kaggle) &&
  existsSync(ilc) &&
  existsSync(join(MODELS_DIR, 'face-detector.onnx'));
if (!ready)
  console.warn(
    'skipping mask-edge train-verifier on real photos: needs ../shared/data/{kaggle,ilc}-face-mask',
  );

describe.skipIf(!ready)('mask-edge train-verifier on real photos (two sources)', () => {
  it('mines, trains, exports a verifier that ONNX Runtime opens, with its operating point chosen on validation', async () => {
    const out = tempDir('mask-edge-verifier-');
    const train = [
      'train-verifier',
      '--data',
      kaggle!,
      '--data',
      ilc!,
      '--limit',
      '6',
      '--epochs',
      '1',
      '--out',
      out,
    ];
    const r = await runCli(train);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/operating point \(validation\)/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.conventions).toEqual(['kaggle', 'ilc']);
    expect(report.chosenOn).toBe('validation');
    expect(Object.keys(report.test).sort()).toEqual(['ilc', 'kaggle']);
    expect(report.onnx.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    const v = await FaceVerifier.open(join(out, 'face-verifier.onnx'), { providers: ['cpu'] });
    expect(v.settings.minScore).toBe(report.chosen.minScore);
    expect(v.settings.candidateMinScore).toBe(report.chosen.candidateMinScore);
    await v.close();
    expect(report.width).toBe(16);
    const defaultBytes = statSync(join(out, 'face-verifier.onnx')).size;
    // a second run reuses the mined detections (same detector, seed, data and limit); --width sets the CNN's size
    const again = await runCli([...train, '--width', '8']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/detect train/);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).width).toBe(8);
    expect(statSync(join(out, 'face-verifier.onnx')).size).toBeLessThan(defaultBytes / 2);
    expect((await runCli([...train, '--width', '2'])).code).toBe(2);
    // mining as the agent detects large photos (tiles) is another mining, recorded in the report
    const tiled = await runCli([...train, '--tile-above-scale', '1.5']);
    expect(tiled.code, tiled.stderr).toBe(0);
    expect(tiled.stderr).toMatch(/detect train/);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).tileAboveScale).toBe(1.5);

    // eval --pipeline puts it behind the detector and says so
    const e = await runCli([
      'eval',
      '--pipeline',
      '--data',
      ilc!,
      '--limit',
      '3',
      '--verifier',
      join(out, 'face-verifier.onnx'),
      '--box-convention',
      'ilc',
      '--json',
    ]);
    expect(e.code, e.stderr).toBe(0);
    const m = JSON.parse(e.stdout);
    expect(m.verifier).toMatchObject({
      convention: 'ilc',
      candidateMinScore: report.chosen.candidateMinScore,
    });
    expect(typeof m.verifier.rejected).toBe('number');
  }, 240_000);

  it('refuses --convention counts that do not match --data, and unknown names', async () => {
    const out = tempDir('mask-edge-verifier-');
    const a = await runCli([
      'train-verifier',
      '--data',
      kaggle!,
      '--data',
      ilc!,
      '--convention',
      'kaggle',
      '--out',
      out,
    ]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--convention given 1 times for 2 --data/);
    const b = await runCli(['train-verifier', '--data', kaggle!, '--convention', 'coco', '--out', out]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/unknown box convention 'coco'/);
    const c = await runCli(['train-verifier', '--data', kaggle!, '--tile-above-scale', '0.8', '--out', out]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--tile-above-scale must be 0 \(never\) or above 1 \(at most 100\), got '0.8'/);
  });
});

describe('eval --pipeline by source', () => {
  it('scores each source apart when the photos come from more than one', async () => {
    const dir = tempDir('mask-edge-bysource-');
    const photo = async (name: string) => {
      const path = join(dir, name);
      await sharp({ create: { width: 200, height: 200, channels: 3, background: '#777' } })
        .jpeg()
        .toFile(path);
      return path;
    };
    const a = await photo('a.jpg');
    const b = await photo('b.jpg');
    const face = { x: 50, y: 50, width: 60, height: 60 };
    const samples = [
      {
        id: 'a#0',
        path: a,
        box: face,
        label: 'correct' as const,
        group: 'a',
        format: 'voc' as const,
        source: '/x/kaggle',
      },
      {
        id: 'b#0',
        path: b,
        box: face,
        label: 'no_mask' as const,
        group: 'b',
        format: 'voc' as const,
        source: '/x/ilc',
      },
    ];
    // finds the face on photo a only
    const detector = {
      contract: { defaults: { minScore: 0.3 } },
      detect: async (f: { width: number }, _o?: unknown) =>
        f.width === 200 && (detector as { n: number }).n++ === 0 ? [{ box: face, score: 0.9 }] : [],
      n: 0,
    };
    const classifier = {
      classifyFaces: async (_f: unknown, boxes: readonly unknown[]) =>
        boxes.map(() => ({ label: 'correct' as const, score: 1, probs: [1, 0, 0] })),
    };
    const m = await evaluatePipeline(detector as never, classifier as never, samples, {
      sourceOf: (p) => (p === a ? 'kaggle' : 'ilc'),
    });
    expect(m.recall).toBe(0.5);
    expect(m.bySource!.kaggle).toMatchObject({ photos: 1, faces: 1, detected: 1, recall: 1, precision: 1 });
    expect(m.bySource!.ilc).toMatchObject({ photos: 1, faces: 1, detected: 0, recall: 0 });
  });
});
