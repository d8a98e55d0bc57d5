import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BackendError, getBackend, listBackends, tensor } from '@tsgrad/core';
import { createCudaBackend, preflight, type Probes } from '@tsgrad/backend-cuda';

tf.env().set('IS_TEST', true);

const PKG = '/app/node_modules/@tensorflow/tfjs-node-gpu';

/** A machine where every piece is present; each test removes some. */
function presentProbes(overrides: Partial<Probes> = {}): Partial<Probes> {
  const files = new Map<string, string>([
    [`${PKG}/package.json`, '{"version":"4.22.0"}'],
    ['/proc/driver/nvidia/version', 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.129.03\nGCC version: 12'],
    ['/usr/local/cuda/lib64/libcudart.so.11.0', ''],
  ]);
  const dirs = new Map<string, string[]>([
    [`${PKG}/lib`, ['napi-v8']],
    [`${PKG}/lib/napi-v8`, ['tfjs_binding.node']],
    [`${PKG}/deps`, ['lib']],
    [`${PKG}/deps/lib`, ['libtensorflow.so.2', 'libtensorflow_framework.so.2']],
    ['/dev', ['null', 'nvidia0', 'nvidiactl']],
  ]);
  return {
    resolvePackage: (name) => (name === '@tensorflow/tfjs-node-gpu' ? `${PKG}/package.json` : null),
    exists: (path) => files.has(path),
    readText: (path) => files.get(path) ?? null,
    list: (path) => dirs.get(path) ?? [],
    run: (command) =>
      command === 'nvidia-smi'
        ? { status: 0, stdout: 'NVIDIA H100 80GB HBM3, 535.129.03, 81559 MiB\n' }
        : command === 'ldconfig'
          ? { status: 0, stdout: '\tlibcudnn.so.8 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.8\n' }
          : null,
    env: { LD_LIBRARY_PATH: '/usr/local/cuda/lib64' },
    platform: 'linux',
    arch: 'x64',
    ...overrides,
  };
}

describe('preflight on this machine (no tfjs-node-gpu, no GPU, no CUDA)', () => {
  const report = preflight();
  it('names every missing piece with a fix', () => {
    expect(report.ok).toBe(false);
    for (const piece of ['package', 'native binding', 'NVIDIA driver', 'GPU', 'CUDA runtime', 'cuDNN']) {
      expect(report.missing).toContain(piece);
      expect(report.checks.find((c) => c.name === piece)?.fix).toBeTruthy();
    }
    const text = report.toString();
    expect(text).toMatch(/MISSING package: @tensorflow\/tfjs-node-gpu is not installed/);
    expect(text).toMatch(/libcudart\.so\.11\.0/);
    expect(text).toMatch(/libcudnn\.so\.8/);
    expect(text).toMatch(/npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/);
  });

  it('"cuda" is registered lazily and choosing it throws a BackendError with the report', () => {
    expect(listBackends()).toContain('cuda');
    expect(() => getBackend('cuda')).toThrow(BackendError);
    expect(() => getBackend('cuda')).toThrow(/cannot run on this machine[\s\S]*MISSING NVIDIA driver/);
    expect(() => tensor([1, 2]).to('cuda')).toThrow(/MISSING cuDNN/);
  });
});

describe('preflight logic with injected probes', () => {
  it('reports ready when every piece is present', () => {
    const r = preflight(presentProbes());
    expect(r.missing).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.toString()).toMatch(/ready/);
    expect(r.checks.find((c) => c.name === 'GPU')?.detail).toMatch(/H100/);
    expect(r.checks.find((c) => c.name === 'cuDNN')?.detail).toMatch(/\/usr\/lib\/x86_64-linux-gnu\/libcudnn\.so\.8/);
  });

  it('names only cuDNN when only cuDNN is missing', () => {
    const r = preflight(presentProbes({ run: (c) => (c === 'nvidia-smi' ? { status: 0, stdout: 'GPU\n' } : { status: 0, stdout: '' }) }));
    expect(r.missing).toEqual(['cuDNN']);
  });

  it('a package installed with --ignore-scripts misses its native binding', () => {
    const base = presentProbes();
    const r = preflight({ ...base, list: (path) => (path.startsWith(`${PKG}/`) ? [] : base.list!(path)) });
    expect(r.missing).toEqual(['native binding']);
    expect(r.toString()).toMatch(/tfjs_binding\.node is missing.*libtensorflow\.so\* is missing/);
  });

  it('falls back to /dev/nvidia* when nvidia-smi is absent', () => {
    const base = presentProbes();
    const r = preflight({ ...base, run: (c) => (c === 'nvidia-smi' ? null : base.run!(c, [])) });
    expect(r.ok).toBe(true);
    expect(r.checks.find((c) => c.name === 'GPU')?.detail).toBe('/dev/nvidia0');
  });

  it('refuses other platforms', () => {
    expect(preflight(presentProbes({ platform: 'darwin', arch: 'arm64' })).missing).toEqual(['platform']);
  });
});

describe('createCudaBackend', () => {
  it('throws the report instead of falling back when a piece is missing', () => {
    const base = presentProbes();
    let loaded = false;
    expect(() =>
      createCudaBackend({ probes: { ...base, readText: (p) => (p.includes('nvidia') ? null : base.readText!(p)), run: () => null, list: (p) => (p === '/dev' ? [] : base.list!(p)) }, load: () => ((loaded = true), tf) }),
    ).toThrow(/missing: NVIDIA driver, GPU, cuDNN/);
    expect(loaded).toBe(false);
  });

  it('is the tfjs adapter once preflight passes (run here on tfjs-cpu in place of libtensorflow)', () => {
    const be = createCudaBackend({ name: 'cuda-test', probes: presentProbes(), load: () => tf, backendName: 'cpu' });
    expect(be.report.ok).toBe(true);
    expect(be.floatDTypes).toEqual(['float32']);
    const h = be.fromArray(new Float32Array([1, -2, 3]), [3], 'float32');
    const y = be.kernels.relu([{ handle: h, shape: [3], dtype: 'float32' }], {}, [3], 'float32');
    expect(Array.from(be.readSync(y, [3], 'float32'))).toEqual([1, 0, 3]);
    be.dispose(h);
    be.dispose(y);
    expect(be.memory()).toEqual({ buffers: 0, bytes: 0 });
  });

  it('reports a load failure with the report', () => {
    expect(() => createCudaBackend({ probes: presentProbes(), load: () => { throw new Error('libcudart.so.11.0: cannot open shared object file'); } })).toThrow(
      /failed to load although preflight found every piece: libcudart/,
    );
  });
});
