// A backend without readSync (what a WebGPU backend is: data on the device, reads only async)
// runs the whole conformance suite: every check reads through the asynchronous data().
import { createCpuBackend, type CpuBackend } from '@tsgrad/backend-cpu';
import { BackendError, registerBackend, tensor, type Backend } from '@tsgrad/core';
import { describe, expect, it } from 'vitest';
import { describeBackendConformance } from '../src/vitest.js';

/** The CPU backend with its synchronous read hidden (a fresh instance, its own memory counters). */
function createAsyncOnlyBackend(name: string): Backend {
  const cpu: CpuBackend = createCpuBackend(name);
  return new Proxy(cpu, {
    get: (target, key, receiver) => (key === 'readSync' ? undefined : Reflect.get(target, key, receiver)),
    has: (target, key) => key !== 'readSync' && Reflect.has(target, key),
  }) as Backend;
}

describeBackendConformance('cpu-async-only', () => createAsyncOnlyBackend('cpu-async-only'), { dtypes: ['float64', 'float32'] });

describe('a backend without readSync', () => {
  registerBackend('cpu-async-only-api', () => createAsyncOnlyBackend('cpu-async-only-api'));
  it('dataSync, toArray and item throw a BackendError that names the method and the async read to use', async () => {
    const t = tensor([[1, 2], [3, 4]], { backend: 'cpu-async-only-api' });
    expect(() => t.dataSync()).toThrow(BackendError);
    expect(() => t.dataSync()).toThrow(/^dataSync: backend "cpu-async-only-api" keeps its data on a device and has no synchronous read; use await t\.data\(\)/);
    expect(() => t.toArray()).toThrow(/^toArray: .* use await t\.array\(\)/);
    expect(() => t.sum().item()).toThrow(/^item: .* use \(await t\.data\(\)\)\[0\]/);
    expect(await t.array()).toEqual([[1, 2], [3, 4]]);
    expect(Array.from(await t.sum().data())).toEqual([10]);
    expect(String(t)).toMatch(/\[4 values on "cpu-async-only-api": read them with await array\(\)\]/);
  });
});
