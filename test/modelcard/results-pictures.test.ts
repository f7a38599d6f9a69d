// scripts/results-pictures.mjs on real photos with the bundled classifier: the failure gallery shows exactly the
// faces `mask-edge eval` got wrong, and the script refuses to draw when the saved eval JSON is from another model.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/core/dataset/index.js';
import { sharedDataDir } from '../../src/core/package-paths.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const MODEL = process.env.MASK_EDGE_TEST_CLASSIFIER ?? join(ROOT, 'models', 'mask-classifier.int8.onnx');
const BUILT = existsSync(join(ROOT, 'dist', 'core', 'charts', 'index.js'));
const shared = sharedDataDir();
const kaggle = shared ? join(shared, 'kaggle-face-mask') : undefined;
const mfnDir = shared ? join(shared, 'maskedface-net') : undefined;
const hasMfn = mfnDir !== undefined && existsSync(mfnDir);
const missing = !BUILT
  ? 'dist/ not built (npm run build)'
  : !existsSync(MODEL)
    ? `no classifier at ${MODEL}`
    : !kaggle || !existsSync(kaggle)
      ? 'shared data (kaggle-face-mask) absent'
      : undefined;
if (missing) console.warn(`results-pictures test skipped: ${missing}`);

describe.skipIf(missing !== undefined)('results-pictures on real photos', () => {
  let dir: string;
  let results: string;
  let splitFile: string;
  let saved: { samples: number; accuracy: number; confusion: number[][] };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'results-pictures-'));
    results = join(dir, 'results');
    splitFile = join(dir, 'split.json');
    // A small "held-out" set: every face of 15 photos.
    const { samples } = await readDataset([kaggle!]);
    const photos = [...new Set(samples.map((s) => s.path))].slice(0, 15);
    const test = samples.filter((s) => photos.includes(s.path)).map((s) => s.id);
    if (hasMfn) {
      // and 30 MaskedFace-Net faces (15 per folder) for the MaskedFace-Net gallery
      const { samples: mfnFaces } = await readDataset([mfnDir!]);
      for (const label of ['correct', 'incorrect'])
        test.push(
          ...mfnFaces
            .filter((s) => s.label === label)
            .slice(0, 15)
            .map((s) => s.id),
        );
    }
    await writeFile(splitFile, JSON.stringify({ train: [], val: [], test }));
    saved = await evalJson(kaggle!);
    await mkdir(results, { recursive: true });
    await writeFile(join(results, 'held-out-real.json'), JSON.stringify(saved));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** `mask-edge eval ... --split-file SPLIT --split test --json` on `data`, parsed. */
  const evalJson = async (data: string, extra: string[] = []) => {
    const { stdout } = await run(
      process.execPath,
      [
        join(ROOT, 'bin', 'mask-edge.js'),
        'eval',
        ...extra,
        '--model',
        MODEL,
        '--data',
        data,
        '--split-file',
        splitFile,
        '--split',
        'test',
        '--json',
      ],
      { cwd: ROOT, maxBuffer: 1 << 24 },
    );
    return JSON.parse(stdout);
  };

  const pictures = (photos = '0') =>
    run(
      process.execPath,
      [
        join(ROOT, 'scripts', 'results-pictures.mjs'),
        '--model',
        MODEL,
        '--kaggle',
        kaggle!,
        ...(hasMfn ? ['--mfn', mfnDir!] : []),
        '--run',
        splitFile,
        '--results',
        results,
        '--photos',
        photos,
      ],
      { cwd: ROOT },
    );

  it('draws the misclassified faces eval counted, and the confusion matrix', async () => {
    const { stderr } = await pictures();
    const wrong = saved.confusion
      .flatMap((row, r) => row.filter((_, c) => c !== r))
      .reduce((a, b) => a + b, 0);
    expect(stderr).toContain(`${wrong} misclassified of ${saved.samples}`);
    // the saved eval JSON carries alertOperatingPoints, so the alert trade-off chart is drawn too
    for (const name of ['failures.png', 'confusion-int8-real.png', 'alert-tradeoff.png']) {
      const meta = await sharp(join(results, name)).metadata();
      expect(meta.format).toBe('png');
      expect(meta.width).toBeGreaterThanOrEqual(400);
    }
    // One tile row per 10 faces (at most 60 shown) below the header.
    const gallery = await sharp(join(results, 'failures.png')).metadata();
    const rows = Math.max(1, Math.ceil(Math.min(wrong, 60) / 10));
    expect(gallery.height).toBe(78 + rows * (112 + 46 + 8) + 8 + 22);
  });

  it('the pipeline pictures count the misses eval --pipeline counts', async () => {
    const pipe = (await evalJson(kaggle!, ['--pipeline', '--min-face', '24'])) as {
      faces: number;
      detected: number;
    };
    await writeFile(join(results, 'held-out-real.json'), JSON.stringify(saved));
    const { stderr } = await pictures('3');
    expect(stderr).toContain(`pipeline: ${pipe.faces - pipe.detected} of ${pipe.faces} faces missed`);
    const meta = await sharp(join(results, 'pipeline-failures.png')).metadata();
    expect(meta.format).toBe('png');
  });

  it.skipIf(!hasMfn)(
    'draws the misclassified MaskedFace-Net faces when held-out-mfn.json is saved',
    async () => {
      const mfn = (await evalJson(mfnDir!)) as { samples: number; confusion: number[][] };
      expect(mfn.samples).toBe(30);
      await writeFile(join(results, 'held-out-real.json'), JSON.stringify(saved));
      await writeFile(join(results, 'held-out-mfn.json'), JSON.stringify(mfn));
      try {
        const { stderr } = await pictures();
        const wrong = mfn.confusion
          .flatMap((row, r) => row.filter((_, c) => c !== r))
          .reduce((a, b) => a + b, 0);
        expect(stderr).toContain(`failures-mfn.png (${wrong} misclassified)`);
        for (const name of ['failures-mfn.png', 'confusion-mfn.png'])
          expect((await sharp(join(results, name)).metadata()).format).toBe('png');
      } finally {
        await rm(join(results, 'held-out-mfn.json'), { force: true });
      }
    },
  );

  it('refuses to draw when the saved eval JSON does not match the model', async () => {
    await writeFile(
      join(results, 'held-out-real.json'),
      JSON.stringify({ ...saved, accuracy: saved.accuracy > 0.5 ? 0.1 : 0.9 }),
    );
    const err = await pictures().then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).not.toBe(0);
    expect(err?.stderr).toContain('differs from held-out-real.json');
  });
});
