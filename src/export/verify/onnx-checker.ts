/**
 * `onnx.checker.check_model(full_check=True)` through the system Python's `onnx` package (Debian python3-onnx).
 * Where it is absent the check is skipped with a reason, never failed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { MaskEdgeError } from '../../core/errors.js';

export const PYTHON = process.env.MASK_EDGE_PYTHON ?? '/usr/bin/python3';

export type CheckerResult = { status: 'passed'; onnxVersion: string } | { status: 'skipped'; reason: string };

const SCRIPT = [
  'import sys',
  'try:',
  '    import onnx',
  'except ImportError as e:',
  '    print("NO_ONNX", e); sys.exit(3)',
  'm = onnx.load(sys.argv[1])',
  'onnx.checker.check_model(m, full_check=True)',
  'print("OK", onnx.__version__)',
].join('\n');

function runPython(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? 1, out }));
  });
}

/** Runs the full ONNX checker on a file; E_MODEL with the checker's message when it fails. */
export async function checkOnnxFile(path: string): Promise<CheckerResult> {
  if (!existsSync(PYTHON)) return { status: 'skipped', reason: `${PYTHON} not found (install python3-onnx)` };
  const { code, out } = await runPython(['-c', SCRIPT, path]);
  if (code === 3) return { status: 'skipped', reason: `python3-onnx is not installed (${out.trim()})` };
  if (code !== 0) {
    const last = out.trim().split('\n').slice(-3).join(' | ');
    throw new MaskEdgeError('E_MODEL', `onnx.checker rejected ${path}: ${last}`, {
      detail: { path, checker: out.trim().slice(-2000) },
    });
  }
  return { status: 'passed', onnxVersion: out.trim().split(' ')[1] ?? '?' };
}
