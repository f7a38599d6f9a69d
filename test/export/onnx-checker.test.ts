import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMaskEdgeError } from '../../src/core/errors.js';
import { GraphBuilder } from '../../src/export/onnx/graph-builder.js';
import { checkOnnxFile, PYTHON } from '../../src/export/verify/onnx-checker.js';

let dir: string;
let available = false;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mask-edge-checker-'));
  const probe = join(dir, 'probe.onnx');
  const g = new GraphBuilder();
  g.addInput('x', 'float32', ['N', 2]);
  g.addNode('Relu', ['x'], ['y']);
  g.addOutput('y', 'float32', ['N', 2]);
  await writeFile(probe, g.serialize());
  const result = await checkOnnxFile(probe);
  available = result.status === 'passed';
  if (!available)
    console.warn(`onnx.checker tests skipped: ${result.status === 'skipped' ? result.reason : ''}`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('onnx.checker (full_check) through python3-onnx', () => {
  it('reports a skip with a reason, never a failure, when the python package is absent', async () => {
    const result = await checkOnnxFile(join(dir, 'probe.onnx'));
    if (result.status === 'skipped') expect(result.reason).toMatch(/python3-onnx|not found/);
    else expect(existsSync(PYTHON)).toBe(true);
  });

  it('rejects a graph whose node reads an undefined tensor, naming the file', async (ctx) => {
    if (!available) ctx.skip();
    const g = new GraphBuilder();
    g.addInput('x', 'float32', ['N', 2]);
    g.addNode('Add', ['x', 'missing_tensor'], ['y']);
    g.addOutput('y', 'float32', ['N', 2]);
    const bad = join(dir, 'bad.onnx');
    await writeFile(bad, g.serialize());
    let caught: unknown;
    try {
      await checkOnnxFile(bad);
    } catch (err) {
      caught = err;
    }
    expect(isMaskEdgeError(caught, 'E_MODEL')).toBe(true);
    expect((caught as Error).message).toContain(bad);
    expect((caught as Error).message).toMatch(/missing_tensor/);
  });
});
