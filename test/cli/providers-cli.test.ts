import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileCli } from '../agent/compile-cli.js';
import { meanColourClassifier, tempDir, writeModel } from '../inference/tiny-models.js';

/**
 * Issue 13, CPU-only machines: the default provider list is `auto`, so a command on a machine without CUDA,
 * TensorRT or a GPU adapter prints no provider warnings (onnxruntime's and Dawn's own included: the real CLI runs
 * as a child and its whole stderr is read) and names the provider once; an explicit `--providers cuda` is
 * still tried and its failure reported.
 */
describe('mask-edge on a CPU-only machine: execution providers', () => {
  const dir = tempDir('mask-edge-providers-');
  const model = writeModel(dir, 'mean.onnx', meanColourClassifier({ size: 16 }));
  const data = join(dir, 'data');
  let script = '';

  beforeAll(async () => {
    for (const [label, [r, g, b]] of Object.entries({
      correct: [220, 30, 30],
      incorrect: [30, 220, 30],
      no_mask: [30, 30, 220],
    })) {
      mkdirSync(join(data, label), { recursive: true });
      for (let i = 0; i < 2; i++) {
        const size = 40 + i * 4;
        const png = await sharp({
          create: { width: size, height: size, channels: 3, background: { r, g, b } },
        })
          .png()
          .toBuffer();
        writeFileSync(join(data, label, `${label}-${i}.png`), png);
      }
    }
    script = compileCli(join(import.meta.dirname, '..', 'agent', 'agent-cli-child.ts')).script;
  }, 300_000);

  const cli = (args: string[]) =>
    spawnSync(process.execPath, [script, ...args], {
      encoding: 'utf8',
      env: { ...process.env, MASK_EDGE_LOG_LEVEL: 'info' },
      timeout: 120_000,
    });

  it('default: no warnings, one line naming the provider', () => {
    const run = cli(['eval', '--data', data, '--model', model, '--json']);
    expect(run.status).toBe(0);
    const lines = run.stderr.split('\n').filter((l) => l.trim().length > 0);
    expect(lines.filter((l) => /execution provider/.test(l))).toHaveLength(1);
    expect(lines.find((l) => /execution provider/.test(l))).toMatch(/execution provider: cpu/);
    // no warning lines (JSON or text logs), no onnxruntime or Dawn/Vulkan output
    expect(
      lines.filter((l) => /"level":"warn"|^warn\b|vkCreateInstance|Failed to load|onnxruntime::/.test(l)),
    ).toEqual([]);
    expect(JSON.parse(run.stdout).model.provider).toBe('cpu');
  });

  it('--providers cuda is tried and fails clearly (E_BACKEND, exit 7)', () => {
    const run = cli(['eval', '--data', data, '--model', model, '--providers', 'cuda']);
    expect(run.status).toBe(7);
    expect(run.stderr).toMatch(/E_BACKEND/);
    expect(run.stderr).toMatch(/cuda is in this onnxruntime-node build but its libraries are not installed/);
  });
});
