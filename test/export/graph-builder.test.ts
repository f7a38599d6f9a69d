import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Attr, decodeModel, GraphBuilder } from '../../src/export/onnx/graph-builder.js';

/** Plain reference: 3x3 conv, stride 1, pad 1, NCHW, then ReLU. */
function convReluReference(
  x: Float32Array,
  w: Float32Array,
  b: Float32Array,
  cin: number,
  cout: number,
  h: number,
  wd: number,
): Float32Array {
  const out = new Float32Array(cout * h * wd);
  for (let o = 0; o < cout; o++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < wd; xx++) {
        let s = b[o]!;
        for (let c = 0; c < cin; c++)
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const iy = y + ky - 1;
              const ix = xx + kx - 1;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              s += x[(c * h + iy) * wd + ix]! * w[((o * cin + c) * 3 + ky) * 3 + kx]!;
            }
        out[(o * h + y) * wd + xx] = Math.max(0, s);
      }
  return out;
}

describe('GraphBuilder', () => {
  it('builds Conv -> Relu with a symbolic batch that ONNX Runtime runs and computes correctly', async () => {
    const cin = 2;
    const cout = 3;
    const h = 5;
    const wd = 4;
    const w = Float32Array.from({ length: cout * cin * 9 }, (_, i) => Math.sin(i * 0.7));
    const b = Float32Array.from([0.1, -0.5, 0.2]);
    const g = new GraphBuilder('conv_relu');
    g.addInput('input', 'float32', ['N', cin, h, wd]);
    const wName = g.addInitializer('w', 'float32', [cout, cin, 3, 3], w);
    const bName = g.addInitializer('b', 'float32', [cout], b);
    const conv = g.op('Conv', ['input', wName, bName], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    const clipped = g.op('LeakyRelu', [conv], { alpha: Attr.float(0) });
    g.addNode('Relu', [clipped], ['output']);
    g.addOutput('output', 'float32', ['N', cout, h, wd]);
    g.addInitializer('shape_i64', 'int64', [2], [1, -1]);
    g.setMetadata('mask_edge.kind', 'test');
    g.setMetadata('mask_edge.labels', ['a', 'b']);
    const bytes = g.serialize();

    const decoded = decodeModel(bytes);
    expect(Number(decoded.irVersion)).toBe(7);
    expect(Number(decoded.opsetImport[0]!.version)).toBe(13);

    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['output']);
    const batch = 2;
    const x = Float32Array.from({ length: batch * cin * h * wd }, (_, i) => Math.cos(i * 0.31));
    const result = await session.run({ input: new ort.Tensor('float32', x, [batch, cin, h, wd]) });
    const y = result.output!.data as Float32Array;
    expect(result.output!.dims).toEqual([batch, cout, h, wd]);
    for (let n = 0; n < batch; n++) {
      const per = cin * h * wd;
      const ref = convReluReference(x.subarray(n * per, (n + 1) * per), w, b, cin, cout, h, wd);
      const got = y.subarray(n * cout * h * wd, (n + 1) * cout * h * wd);
      for (let i = 0; i < ref.length; i++) expect(got[i]).toBeCloseTo(ref[i]!, 5);
    }
    expect(Math.max(...y)).toBeGreaterThan(0);
    expect(Math.min(...y) + 0).toBe(0); // ReLU clamps (may yield -0)
    await session.release();
  });

  it('rejects bytes that are not an ONNX model, naming the source', () => {
    expect(() => decodeModel(new TextEncoder().encode('hello, not onnx'), '/tmp/x.onnx')).toThrow(
      /\/tmp\/x\.onnx/,
    );
  });

  it('refuses a non-integer plain attribute and a duplicate tensor name', () => {
    const g = new GraphBuilder();
    g.addInput('x', 'float32', [1]);
    expect(() => g.op('LeakyRelu', ['x'], { alpha: 0.1 })).toThrow(/Attr\.float/);
    expect(() => g.addInput('x', 'float32', [1])).toThrow(/used twice/);
  });
});
