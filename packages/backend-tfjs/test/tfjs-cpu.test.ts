import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tsgrad/backend-cpu';
import {
  apply,
  BackendError,
  DTypeError,
  getBackend,
  grad,
  manualSeed,
  normal,
  tensor,
  tidy,
  ValueError,
  type Tensor,
} from '@tsgrad/core';
import { createTfjsBackend, registerTfjsBackend, TfjsBackend } from '@tsgrad/backend-tfjs';
import { primitiveCases, runCase } from './cases.js';

// tfjs prints a "use tfjs-node" banner in Node unless it believes it runs under test.
tf.env().set('IS_TEST', true);
registerTfjsBackend('tfjs-cpu', tf, { backendName: 'cpu' });

describe('tfjs-cpu: every primitive matches the CPU reference', () => {
  for (const c of primitiveCases) {
    it(c.name, () => {
      const r = runCase(c, 'tfjs-cpu');
      expect(r.message).toBe('');
      expect(r.ok).toBe(true);
    });
  }
});

describe('tfjs-cpu: storage and memory', () => {
  const be = () => getBackend('tfjs-cpu') as TfjsBackend;

  it('is a TfjsBackend computing in float32 only', () => {
    expect(be()).toBeInstanceOf(TfjsBackend);
    expect(be().floatDTypes).toEqual(['float32']);
    expect(be().backendName).toBe('cpu');
  });

  it('round-trips every dtype it stores, sync and async', async () => {
    const x = tensor([[1.5, -2], [3, 4]], { backend: 'tfjs-cpu' });
    const i = tensor([1, -2, 3], { dtype: 'int32', backend: 'tfjs-cpu' });
    const b = tensor([true, false, true], { backend: 'tfjs-cpu' });
    expect(x.toArray()).toEqual([[1.5, -2], [3, 4]]);
    expect(i.dataSync()).toEqual(new Int32Array([1, -2, 3]));
    expect(b.dataSync()).toEqual(new Uint8Array([1, 0, 1]));
    expect(await x.data()).toEqual(new Float32Array([1.5, -2, 3, 4]));
    expect(b.toArray()).toEqual([true, false, true]);
    expect((x.handle as tf.Tensor).dtype).toBe('float32');
    expect((b.handle as tf.Tensor).dtype).toBe('bool');
    for (const t of [x, i, b]) t.dispose();
  });

  it('refuses float64 with a DTypeError that says what to do', () => {
    expect(() => tensor([1, 2], { dtype: 'float64', backend: 'tfjs-cpu' })).toThrow(DTypeError);
    expect(() => tensor([1, 2], { dtype: 'float64', backend: 'tfjs-cpu' })).toThrow(/no float64.*cast\("float32"\)/s);
    const x = tensor([1, 2], { backend: 'tfjs-cpu' });
    expect(() => x.cast('float64')).toThrow(DTypeError);
    const onCpu = tensor([1, 2], { dtype: 'float64', backend: 'cpu' });
    expect(() => onCpu.to('tfjs-cpu')).toThrow(/float64/);
    expect(onCpu.cast('float32').to('tfjs-cpu').dataSync()).toEqual(new Float32Array([1, 2]));
    x.dispose();
  });

  it('refuses int64, float16 and bfloat16 (tsgrad storage dtypes TensorFlow.js cannot hold), naming the dtype and the cast', () => {
    const before = tf.memory().numTensors;
    expect(() => tensor([1n, 2n], { backend: 'tfjs-cpu' })).toThrow(DTypeError);
    expect(() => tensor([1n, 2n], { backend: 'tfjs-cpu' })).toThrow(/fromArray: backend "tfjs-cpu" .*has no int64.*\.cast\("int32"\)\.to\("tfjs-cpu"\)/s);
    expect(() => tensor([1], { dtype: 'float16', backend: 'tfjs-cpu' })).toThrow(/has no float16.*\.cast\("float32"\)/s);
    const x = tensor([1.5, 2], { backend: 'tfjs-cpu' });
    expect(() => x.cast('bfloat16')).toThrow(/cast: backend "tfjs-cpu" .*has no bfloat16/s);
    expect(() => x.cast('int64')).toThrow(DTypeError);
    // The fix the message names: cast on the cpu backend, then move.
    const onCpu = tensor([3n, -4n], { backend: 'cpu' });
    expect(() => onCpu.to('tfjs-cpu')).toThrow(/int64/);
    const moved = onCpu.cast('int32').to('tfjs-cpu');
    expect(moved.dataSync()).toEqual(new Int32Array([3, -4]));
    const h = tensor([0.1], { dtype: 'float16', backend: 'cpu' });
    const half = h.cast('float32').to('tfjs-cpu');
    expect(Array.from(half.dataSync())).toEqual(Array.from(h.dataSync()));
    for (const t of [x, moved, half]) t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('frees every tfjs tensor it made: tf.memory() and memory() return to where they were', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { backend: 'tfjs-cpu' });
    // Step 0 lets core cache its scalar constants (1, 2...); from then on nothing may accumulate.
    let before = 0;
    let mine = be().memory();
    for (let step = 0; step < 20; step++) {
      if (step === 1) {
        before = tf.memory().numTensors;
        mine = be().memory();
      }
      tidy(() => {
        // Composite kernels (matmul, argmax, scatterAdd, sign, div int32) use tfjs intermediates.
        const y = x.matmul(x.transpose()).sign().add(1);
        const idx = tensor([1, 0, 1], { dtype: 'int32', backend: 'tfjs-cpu' });
        const g = apply('scatterAdd', [x.indexSelect(idx, 0), idx], { axis: 0, shape: [2, 3] });
        return [y.argmax(1), g.sum(), x.cast('int32').div(tensor(2, { dtype: 'int32', backend: 'tfjs-cpu' }))];
      }).forEach((t) => t.dispose());
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(be().memory()).toEqual(mine);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
    expect(be().memory()).toEqual({ buffers: mine.buffers - 1, bytes: mine.bytes - 24 });
  });

  it('counts bytes per dtype (bool is one byte)', () => {
    const mine = be().memory();
    const b = tensor([true, false, true, true], { backend: 'tfjs-cpu' });
    const i = tensor([1, 2], { dtype: 'int32', backend: 'tfjs-cpu' });
    expect(be().memory()).toEqual({ buffers: mine.buffers + 2, bytes: mine.bytes + 4 + 8 });
    b.dispose();
    i.dispose();
    expect(be().memory()).toEqual(mine);
  });

  it('throws core ValueError for out-of-range gather (indexSelect) and scatterAdd indices', () => {
    const x = tensor([[1, 2], [3, 4]], { backend: 'tfjs-cpu' });
    expect(() => x.indexSelect([0, 2], 0)).toThrow(ValueError);
    expect(() => x.indexSelect([-1], 1)).toThrow(/out of range/);
    // The kernel's own check, for indices it only sees as a tensor.
    expect(() => x.indexSelect(tensor([0, 2], { dtype: 'int32', backend: 'tfjs-cpu' }), 0)).toThrow(/gather: index 2 .* out of range/);
    const idx = tensor([0, 5], { dtype: 'int32', backend: 'tfjs-cpu' });
    expect(() => apply('scatterAdd', [x, idx], { axis: 0, shape: [3, 2] })).toThrow(ValueError);
    x.dispose();
    idx.dispose();
  });

  it('gives the same gradients as the CPU backend', () => {
    const f = (x: Tensor, w: Tensor) => x.matmul(w).tanh().mul(x.sum(1, true)).softmax(-1).max();
    manualSeed(7);
    const x = normal([4, 3]);
    const w = normal([3, 5]);
    const [gx, gw] = grad(f, { argnums: [0, 1] })(x, w) as Tensor[];
    const [tx, tw] = grad(f, { argnums: [0, 1] })(x.to('tfjs-cpu'), w.to('tfjs-cpu')) as Tensor[];
    const close = (a: Tensor, b: Tensor) => {
      const p = a.dataSync();
      const q = b.dataSync();
      for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - q[i])).toBeLessThan(1e-5 + 1e-4 * Math.abs(p[i]));
    };
    close(tx, gx);
    close(tw, gw);
  });

  it('same seed, same initial values as the CPU backend', () => {
    manualSeed(123);
    const a = normal([3, 4]).dataSync();
    manualSeed(123);
    const b = normal([3, 4], { backend: 'tfjs-cpu' }).dataSync();
    expect(b).toEqual(a);
  });

  it('mixing backends in one op is a BackendError that names both', () => {
    const a = tensor([1, 2], { backend: 'tfjs-cpu' });
    const b = tensor([1, 2], { backend: 'cpu' });
    expect(() => a.add(b)).toThrow(BackendError);
    expect(() => a.add(b)).toThrow(/tfjs-cpu.*cpu/);
    a.dispose();
  });
});

describe('createTfjsBackend: refusals', () => {
  it('names a tfjs backend that is not registered and the package to import', () => {
    expect(() => createTfjsBackend('x', tf, { backendName: 'nope' })).toThrow(BackendError);
    expect(() => createTfjsBackend('x', tf, { backendName: 'nope' })).toThrow(/tfjs-backend-nope/);
  });
  it('rejects something that is not the tfjs namespace', () => {
    expect(() => createTfjsBackend('x', {} as typeof tf, { backendName: 'cpu' })).toThrow(/TensorFlow\.js namespace/);
  });
});

let previous: string;
beforeAll(() => {
  previous = tf.getBackend();
});
afterAll(() => {
  if (previous) void tf.setBackend(previous);
});
