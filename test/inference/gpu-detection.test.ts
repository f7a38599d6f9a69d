import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindingDir, checkProviderLibraries, findSystemLibrary } from '../../src/core/gpu-libraries.js';
import { expandProviders, summariseSkipped } from '../../src/core/provider-auto.js';
import { probeWebGpuAdapter, vulkanMissingReason } from '../../src/core/webgpu-adapter.js';

const BUILD = [
  { name: 'cpu', bundled: true },
  { name: 'webgpu', bundled: true },
  { name: 'cuda', bundled: false },
  { name: 'tensorrt', bundled: false },
];

/** A fake onnxruntime Node package folder: bin/napi-v6/<platform>/<arch>/onnxruntime_binding.node + libs. */
function fakeRuntime(libs: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'me-ort-'));
  const bin = join(root, 'bin', 'napi-v6', process.platform, process.arch);
  mkdirSync(bin, { recursive: true });
  for (const f of ['onnxruntime_binding.node', ...libs]) writeFileSync(join(bin, f), '');
  // another platform's folder must not be picked
  mkdirSync(join(root, 'bin', 'napi-v6', 'win32', 'x64'), { recursive: true });
  return root;
}

function libDir(names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'me-lib-'));
  for (const n of names) writeFileSync(join(dir, n), '');
  return dir;
}

const CUDA_OWN = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];
const CUDA_SYSTEM = [
  'libcuda.so.1',
  'libcudart.so.12',
  'libcublas.so.12',
  'libcublasLt.so.12',
  'libcufft.so.11',
  'libcudnn.so.9',
];

describe('GPU provider libraries (file presence, as the loader searches)', () => {
  it('finds the binding folder of this platform and the provider libraries next to it', () => {
    const runtime = fakeRuntime(CUDA_OWN);
    expect(bindingDir(runtime)).toBe(join(runtime, 'bin', 'napi-v6', process.platform, process.arch));
    const dirs = [libDir(CUDA_SYSTEM)];
    const cuda = checkProviderLibraries('cuda', runtime, { dirs, cache: [] });
    expect(cuda).toMatchObject({ present: true, reason: '' });
    const trt = checkProviderLibraries('tensorrt', runtime, { dirs, cache: [] });
    expect(trt.present).toBe(false);
    expect(trt.reason).toMatch(
      /libonnxruntime_providers_tensorrt\.so not installed next to the onnxruntime binding/,
    );
  });

  it('names the NVIDIA libraries missing from the library path; the ldconfig cache counts', () => {
    const runtime = fakeRuntime([...CUDA_OWN, 'libonnxruntime_providers_tensorrt.so']);
    const dirs = [libDir(CUDA_SYSTEM.filter((n) => !n.startsWith('libcudnn')))];
    const noCudnn = checkProviderLibraries('cuda', runtime, { dirs, cache: [] });
    expect(noCudnn.present).toBe(false);
    expect(noCudnn.reason).toBe('libcudnn.so.* not found on the library path');
    const cached = checkProviderLibraries('cuda', runtime, { dirs, cache: ['libcudnn.so.9'] });
    expect(cached.present).toBe(true);
    const trt = checkProviderLibraries('tensorrt', runtime, { dirs, cache: ['libcudnn.so.9'] });
    expect(trt.reason).toMatch(
      /libnvinfer\.so\.\*, libnvinfer_plugin\.so\.\*, libnvonnxparser\.so\.\* not found/,
    );
    expect(findSystemLibrary('libcublasLt.so', { dirs, cache: [] })).toBe(
      join(dirs[0]!, 'libcublasLt.so.12'),
    );
    // libcublas.so must not match libcublasLt.so.12
    expect(
      findSystemLibrary('libcublas.so', { dirs: [libDir(['libcublasLt.so.12'])], cache: [] }),
    ).toBeUndefined();
  });

  it('this machine: the npm package ships no CUDA/TensorRT provider libraries', () => {
    const runtime = join(process.cwd(), 'node_modules', 'onnxruntime-node');
    expect(checkProviderLibraries('cuda', runtime).reason).toMatch(/libonnxruntime_providers_cuda\.so/);
  });
});

describe('WebGPU adapter probe', () => {
  it('without a Vulkan loader or driver manifest it answers without starting Dawn', () => {
    expect(vulkanMissingReason({}, () => false)).toMatch(/no Vulkan loader/);
    const empty = mkdtempSync(join(tmpdir(), 'me-icd-'));
    expect(vulkanMissingReason({ XDG_DATA_DIRS: empty, XDG_CONFIG_DIRS: empty }, () => true)).toSatisfy(
      (r: string | undefined) => r === undefined || /no Vulkan driver installed/.test(r),
    );
    const icd = join(empty, 'nvidia_icd.json');
    writeFileSync(icd, '{}');
    expect(vulkanMissingReason({ VK_DRIVER_FILES: icd }, () => true)).toBeUndefined();
  });

  it("Dawn's null adapter is found through the child-process probe (the probe itself works here)", async () => {
    const probe = await probeWebGpuAdapter('high-performance', ['backend=null']);
    expect(probe.found).toBe(true);
  }, 30_000);

  it('this machine has no GPU adapter, and the reason says why', async () => {
    const probe = await probeWebGpuAdapter();
    expect(probe.found).toBe(false);
    expect(probe.reason).toMatch(/Vulkan|adapter/);
  }, 30_000);
});

describe('auto provider selection', () => {
  const none = {
    libraries: () => ({ present: false, reason: 'libcudart.so.* not found on the library path' }),
    adapter: async () => ({ found: false, reason: 'no Vulkan driver installed' }),
  };

  it('auto = tensorrt, cuda, webgpu, cpu, minus what the machine lacks; explicit names pass through', async () => {
    const cpuOnly = await expandProviders(['auto'], { build: BUILD, runtimeDir: '/x', checks: none });
    expect(cpuOnly.providers).toEqual(['cpu']);
    expect(cpuOnly.skipped.map((s) => s.provider)).toEqual(['tensorrt', 'cuda', 'webgpu']);
    expect(summariseSkipped(cpuOnly.skipped)).toBe(
      'tensorrt, cuda: libraries not installed; webgpu: no GPU adapter',
    );

    const gpu = await expandProviders(['auto'], {
      build: BUILD,
      runtimeDir: '/x',
      checks: {
        libraries: (p) => ({ present: p === 'cuda', reason: p === 'cuda' ? '' : 'no libnvinfer' }),
        adapter: async () => ({ found: true, description: 'nvidia' }),
      },
    });
    expect(gpu.providers).toEqual(['cuda', 'webgpu', 'cpu']);

    const explicit = await expandProviders(['cuda', 'cpu'], { build: BUILD, runtimeDir: '/x', checks: none });
    expect(explicit).toEqual({ providers: ['cuda', 'cpu'], skipped: [], auto: false });
    const mixed = await expandProviders(['webgpu', 'auto'], { build: BUILD, runtimeDir: '/x', checks: none });
    expect(mixed.providers).toEqual(['webgpu', 'cpu']);
  });

  it('a provider not in the onnxruntime build is skipped as such (e.g. linux/arm64: no webgpu)', async () => {
    const arm = await expandProviders(['auto'], {
      build: [{ name: 'cpu', bundled: true }],
      runtimeDir: '/x',
      checks: { ...none, adapter: async () => ({ found: true }) },
    });
    expect(arm.providers).toEqual(['cpu']);
    expect(arm.skipped.every((s) => s.reason === 'not in this onnxruntime build')).toBe(true);
  });

  it('webgpu with a device index is skipped by auto with the reason (onnxruntime picks by power preference)', async () => {
    const res = await expandProviders(['auto'], {
      build: BUILD,
      runtimeDir: '/x',
      options: { deviceId: 1 },
      checks: { ...none, adapter: async () => ({ found: true }) },
    });
    expect(res.providers).toEqual(['cpu']);
    expect(res.skipped.find((s) => s.provider === 'webgpu')?.reason).toMatch(/no device index/);
  });
});
