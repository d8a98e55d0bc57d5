// The backend conformance suite as plain checks, independent of any test runner: the vitest
// wrapper (./vitest.ts) declares one test per check, and a browser page can run them itself and
// report results (see @tsgrad/backend-webgl's Chromium test).
import {
  computeGrads,
  DTypeError,
  getBackend,
  memory,
  registerBackend,
  ShapeError,
  Tensor,
  tidy,
  TsgradError,
  typedArrayFor,
  STORAGE_DTYPES,
  type DType,
  type DTypeArrays,
  type StorageArray,
  type StorageDType,
  type TypedArray,
} from '@tsgrad/core';
import { createCpuBackend } from '@tsgrad/backend-cpu';
import fc from 'fast-check';
import { catalogue, type OpEntry, type OpInstance } from './catalogue.js';
import { checkGradient, materialize } from './check.js';
import { primitiveCoverage } from './coverage.js';
import { toTensor } from './spec.js';

export interface Tolerance {
  /** Forward results against the float64 reference: |a - e| <= atol + rtol |e|. */
  atol: number;
  rtol: number;
  /** Gradients against the float64 reference (looser: they chain several ops). */
  gradAtol: number;
  gradRtol: number;
}

export interface ConformanceOptions {
  /** Float dtypes to run the suite in (default: float32, and float64 where the backend has it). */
  dtypes?: readonly ('float32' | 'float64')[];
  /** Per-dtype tolerances, merged over the defaults. */
  tolerances?: Partial<Record<'float32' | 'float64', Partial<Tolerance>>>;
  /** Random instances per op for forward and gradient comparisons (default 25). */
  numRuns?: number;
  /** Random instances per op for gradcheck in float64 (default 10). */
  gradcheckRuns?: number;
  seed?: number;
}

export const DEFAULT_TOLERANCES: Record<'float32' | 'float64', Tolerance> = {
  float64: { atol: 1e-10, rtol: 1e-10, gradAtol: 1e-9, gradRtol: 1e-9 },
  float32: { atol: 1e-5, rtol: 1e-5, gradAtol: 1e-4, gradRtol: 1e-4 },
};

/** One check of the suite: it throws (a ConformanceFailure or any error) when the backend fails it. */
export interface ConformanceCheck {
  /** The groups it belongs to, outermost first, e.g. ['backend conformance: cpu', 'float32', 'errors']. */
  readonly path: readonly string[];
  readonly name: string;
  /** True when the check does not apply to this backend (e.g. float64 storage on a float32-only backend). */
  readonly skip: boolean;
  run(): void | Promise<void>;
}

/** What running one check gave. `name` is the full name: the path and the check's name, joined by " > ". */
export interface ConformanceResult {
  readonly name: string;
  readonly ok: boolean;
  readonly skipped: boolean;
  /** Empty when ok or skipped; otherwise why it failed. */
  readonly message: string;
  readonly milliseconds: number;
}

/** A check's assertion failed. */
export class ConformanceFailure extends Error {
  override name = 'ConformanceFailure';
}

const REFERENCE = 'cpu-reference';

function ensureReference(): void {
  // A separate instance with its own memory counters, so the backend under test's are untouched.
  try {
    getBackend(REFERENCE);
  } catch {
    registerBackend(REFERENCE, () => createCpuBackend(REFERENCE));
  }
}

function fail(message: string): never {
  throw new ConformanceFailure(message);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (!sameJson(actual, expected)) fail(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

function mismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): string | null {
  if (actual.length !== expected.length) return `${actual.length} values where ${expected.length} were expected`;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    // NaN and the infinities match only themselves (|a - inf| <= rtol·inf would let anything pass).
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
      return `element ${i}: ${a}, expected ${e}`;
    }
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) return `element ${i}: ${a}, expected ${e} (atol ${atol}, rtol ${rtol})`;
  }
  return null;
}

/**
 * Forward on the backend under test vs the float64 CPU reference. Results are read with the
 * asynchronous `data()`, the one read every backend has (a device backend may have no readSync).
 */
async function checkForward(instance: OpInstance, name: string, dtype: DType, tol: Tolerance): Promise<void> {
  const [y, r] = tidy(() => [instance.fn(...materialize(instance, dtype, name)), instance.fn(...materialize(instance, 'float64', REFERENCE))]);
  try {
    expectEqual([...y.shape], [...r.shape], `${fc.stringify(instance)}: shape`);
    const bad = mismatch(await y.data(), await r.data(), tol.atol, tol.rtol);
    if (bad) fail(`${fc.stringify(instance)} on ${name} (${dtype}): ${bad}`);
  } finally {
    y.dispose();
    r.dispose();
  }
}

/** The gradient of sum(v · f(inputs)) for a fixed v, on `backend` in `dtype`, per float input. */
async function gradients(instance: OpInstance, backend: string, dtype: DType): Promise<Float64Array[]> {
  const found = tidy(() => {
    const inputs = materialize(instance, dtype, backend);
    const leaves = inputs.map((t) => (t.dtype === dtype ? t.requiresGrad_() : t));
    const y = instance.fn(...leaves);
    // A fixed, asymmetric seed (1, -2, 3, ...)/8 so that summing mistakes do not cancel.
    const seedValues = typedArrayFor(y.dtype, y.size);
    for (let i = 0; i < y.size; i++) seedValues[i] = ((i % 5) + 1) * (i % 2 ? -1 : 1) / 8;
    const seed = Tensor.fromValues(seedValues, y.shape, y.dtype, getBackend(backend));
    const wrt = leaves.filter((t) => t.requiresGrad);
    const grads = y.requiresGrad ? computeGrads([y], [seed], { wrt }) : new Map<Tensor, Tensor>();
    return wrt.map((t) => ({ g: grads.get(t) ?? null, size: t.size }));
  });
  // Read every gradient before disposing any: one tensor can be the gradient of two inputs (add).
  const out: Float64Array[] = [];
  for (const { g, size } of found) out.push(g ? Float64Array.from((await g.data()) as ArrayLike<number>) : new Float64Array(size));
  for (const { g } of found) g?.dispose();
  return out;
}

async function checkGradients(instance: OpInstance, name: string, dtype: DType, tol: Tolerance): Promise<void> {
  const got = await gradients(instance, name, dtype);
  const want = await gradients(instance, REFERENCE, 'float64');
  got.forEach((g, k) => {
    const bad = mismatch(g, want[k], tol.gradAtol, tol.gradRtol);
    if (bad) fail(`gradient of ${fc.stringify(instance)} for float input ${k} on ${name} (${dtype}): ${bad}`);
  });
}

/** Runs `check` on instances of `entry`: with edge values (NaN, ±Infinity, 0, ties) unless `smooth`. */
async function forAll(entry: OpEntry, runs: number, seed: number, check: (i: OpInstance) => void | Promise<void>, smooth = false): Promise<void> {
  await fc.assert(
    fc.asyncProperty(smooth ? entry.arb : entry.edgeArb, async (instance) => {
      await check(instance);
    }),
    { numRuns: runs, seed },
  );
}

/**
 * The checks every tsgrad backend passes, for the backend registered as `name`: each primitive
 * and each gradient against a float64 CPU reference, memory bookkeeping, errors and storage of
 * every dtype. The backend must be registered already; the reference is registered if needed.
 */
export function conformanceChecks(name: string, options: ConformanceOptions = {}): ConformanceCheck[] {
  ensureReference();
  const floatDTypes = getBackend(name).floatDTypes;
  const dtypes = options.dtypes ?? (['float32', 'float64'] as const).filter((d) => floatDTypes.includes(d));
  const numRuns = options.numRuns ?? 25;
  const gradcheckRuns = options.gradcheckRuns ?? 10;
  const seed = options.seed ?? 20261127;
  const checks: ConformanceCheck[] = [];
  const root = `backend conformance: ${name}`;
  const add = (path: string[], checkName: string, run: () => void | Promise<void>, skip = false) =>
    checks.push({ path: [root, ...path], name: checkName, skip, run });

  for (const dtype of dtypes) {
    const tol: Tolerance = { ...DEFAULT_TOLERANCES[dtype], ...options.tolerances?.[dtype] };
    const forward = [dtype, 'every primitive against the float64 CPU reference'];
    for (const [primitive, ops] of primitiveCoverage()) {
      add(forward, primitive, async () => {
        if (ops.length === 0) fail(`no catalogue op exercises the primitive "${primitive}"; add a conformance case for it`);
        for (const op of ops) await forAll(catalogue.find((e) => e.name === op)!, numRuns, seed, (i) => checkForward(i, name, dtype, tol));
      });
    }
    add(forward, 'reshape (a view, no kernel)', async () => {
      await forAll(catalogue.find((e) => e.name === 'reshape')!, numRuns, seed, (i) => checkForward(i, name, dtype, tol));
    });

    for (const entry of catalogue.filter((e) => e.differentiable)) {
      add([dtype, 'gradients against the float64 CPU reference'], entry.name, async () => {
        await forAll(entry, numRuns, seed, (i) => checkGradients(i, name, dtype, tol));
        // Central differences mean something only away from edges and kinks; they read values
        // back thousands of times, so they run where the backend can read synchronously.
        if (dtype === 'float64' && getBackend(name).readSync !== undefined) {
          await forAll(entry, gradcheckRuns, seed, (i) => void checkGradient(entry, i, { dtype, backend: name }), true);
        }
      });
    }

    const bookkeeping = [dtype, 'memory bookkeeping'];
    add(bookkeeping, 'tidy() around forward and backward of a small MLP leaves memory() unchanged', () => {
      const b = getBackend(name);
      const param = (shape: number[], scale: number) => {
        const v = typedArrayFor(dtype, shape.reduce((p, d) => p * d, 1));
        for (let i = 0; i < v.length; i++) v[i] = (((i * 7) % 11) - 5) * scale;
        return Tensor.fromValues(v, shape, dtype, b).requiresGrad_();
      };
      const params = [param([3, 4], 0.1), param([4], 0.05), param([4, 2], 0.1), param([2], 0.05)];
      const x = toTensor({ shape: [5, 3], values: Array.from({ length: 15 }, (_, i) => (i % 7) / 4 - 0.5) }, dtype, name);
      const step = () =>
        tidy(() => {
          const [w1, b1, w2, b2] = params;
          const loss = x.matmul(w1).add(b1).relu().matmul(w2).add(b2).tanh().square().mean();
          loss.backward();
        });
      // The first step creates the gradients (kept on the parameters) and whatever core
      // caches (shared constants); from then on a step must leave memory() exactly as it was.
      step();
      const warm = memory(name);
      step();
      expectEqual(memory(name), warm, 'memory() after a second step');
      step();
      expectEqual(memory(name), warm, 'memory() after a third step');
      // Disposing a parameter frees it and its gradient.
      for (const p of params) p.dispose();
      x.dispose();
      expectEqual(memory(name).buffers, warm.buffers - 2 * params.length - 1, 'buffers after disposing the parameters and the input');
    });

    add(bookkeeping, 'disposing what a test made restores memory(); a second dispose is harmless', () => {
      const before = memory(name);
      const t = toTensor({ shape: [2, 3], values: [1, 2, 3, 4, 5, 6] }, dtype, name);
      const u = tidy(() => t.mul(t).sum(0));
      const view = t.reshape([3, 2]);
      if (!(memory(name).buffers > before.buffers)) fail(`memory().buffers did not grow: ${memory(name).buffers} after ${before.buffers}`);
      u.dispose();
      t.dispose();
      // The reshape shares t's buffer: it is freed with the last view.
      expectEqual(memory(name).buffers, before.buffers + 1, 'buffers while a view of a disposed tensor lives');
      view.dispose();
      expectEqual(memory(name), before, 'memory() after disposing everything');
      try {
        t.dispose();
        view.dispose();
      } catch (e) {
        fail(`a second dispose threw: ${(e as Error).message}`);
      }
      expectEqual(memory(name), before, 'memory() after a second dispose');
    });

    const errors = [dtype, 'errors'];
    const make = (shape: number[], d: DType = dtype) =>
      toTensor({ shape, values: Array.from({ length: shape.reduce((p, x) => p * x, 1) }, (_, i) => i % 3) }, d, name);
    const expectError = (fn: () => unknown, type: abstract new (...a: never[]) => TsgradError, op: string) => {
      let caught: unknown;
      try {
        fn();
      } catch (e) {
        caught = e;
      }
      if (caught === undefined) fail(`${op} should throw`);
      if (!(caught instanceof type) || !(caught instanceof TsgradError)) fail(`${op} threw ${String(caught)}, expected a ${type.name}`);
      if (!(caught as Error).message.includes(op)) fail(`the message of ${op}'s error does not name it: ${(caught as Error).message}`);
    };
    add(errors, 'shape mismatch', () => {
      tidy(() => {
        expectError(() => make([2, 3]).add(make([4])), ShapeError, 'add');
        expectError(() => make([2, 3]).matmul(make([2, 3])), ShapeError, 'matmul');
      });
    });
    add(errors, 'dtype mismatch', () => {
      // Elementwise ops promote (float + int32 is float, as torch.result_type); matmul does not (PyTorch neither).
      tidy(() => expectError(() => make([2, 2]).matmul(make([2, 2], 'int32')), DTypeError, 'matmul'));
    });
    add([dtype, 'type promotion'], 'float with int32 and with a fractional number', async () => {
      // torch.result_type: float * int32 is the float dtype; int32 + 0.5 is float32, the default float.
      const x = make([3]);
      const i = make([3], 'int32');
      const y = x.mul(i);
      const z = i.add(0.5);
      try {
        expectEqual(y.dtype, dtype, 'dtype of float * int32');
        expectEqual(JSON.stringify(Array.from(await y.data())), JSON.stringify([0, 1, 4]), 'values of float * int32');
        expectEqual(z.dtype, 'float32', 'dtype of int32 + 0.5');
        expectEqual(JSON.stringify(Array.from(await z.data())), JSON.stringify([0.5, 1.5, 2.5]), 'values of int32 + 0.5');
      } finally {
        for (const t of [x, i, y, z]) t.dispose();
      }
    });
    add(errors, 'a disposed tensor', () => {
      tidy(() => {
        const a = make([2]);
        const b = make([2]);
        b.dispose();
        expectError(() => a.sub(b), TsgradError, 'sub');
      });
    });
    add(errors, 'gather out of range', () => {
      tidy(() => {
        const idx = toTensor({ shape: [2], values: [0, 3], dtype: 'int32' }, dtype, name);
        expectError(() => make([3, 2]).indexSelect(idx, 0).dataSync(), TsgradError, 'gather');
      });
    });
  }

  const samples: Record<'float32' | 'float64' | 'int32' | 'bool', number[]> = {
    float32: [0, -0, 1.5, -2.25, 3.4028234663852886e38, 1.401298464324817e-45, Infinity, -Infinity, NaN],
    float64: [0, -0, 1.5, -2.25, Number.MAX_VALUE, Number.MIN_VALUE, 0.1, Infinity, -Infinity, NaN],
    int32: [0, 1, -1, 2147483647, -2147483648, 12345],
    bool: [0, 1, 1, 0],
  };
  // Compares with -0 and NaN told apart (Object.is), as vitest's toEqual does.
  const sameValues = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));
  const show = (a: ArrayLike<number>) => `[${Array.from(a, (v) => (Object.is(v, -0) ? '-0' : String(v))).join(', ')}]`;
  for (const d of ['float32', 'float64', 'int32', 'bool'] as const) {
    add(['storage round trip of every dtype'], d, async () => {
      const expected = typedArrayFor(d, samples[d].length);
      samples[d].forEach((v, i) => (expected[i] = v));
      const before = memory(name);
      const t = Tensor.fromValues(expected.slice() as TypedArray, [samples[d].length], d, getBackend(name));
      expectEqual(t.dtype, d, 'dtype');
      if (getBackend(name).readSync !== undefined) {
        const sync = t.dataSync() as ArrayLike<number>;
        if (!sameValues(sync, expected as ArrayLike<number>)) fail(`dataSync(): ${show(sync)}, expected ${show(expected as ArrayLike<number>)}`);
      } else {
        let named = false;
        try {
          t.dataSync();
        } catch (e) {
          named = e instanceof TsgradError && e.message.startsWith('dataSync');
        }
        if (!named) fail('dataSync() on a backend without readSync must throw the library error naming dataSync');
      }
      const async_ = (await t.data()) as ArrayLike<number>;
      if (!sameValues(async_, expected as ArrayLike<number>)) fail(`data(): ${show(async_)}, expected ${show(expected as ArrayLike<number>)}`);
      const grid = Tensor.fromValues(expected.slice(0, 4) as TypedArray, [2, 2], d, getBackend(name));
      const nested = (await grid.array()) as number[][] | boolean[][];
      const want = d === 'bool' ? [[false, true], [true, false]] : [[samples[d][0], samples[d][1]], [samples[d][2], samples[d][3]]];
      if (!nested.every((row, i) => row.every((v, j) => Object.is(v, want[i][j])))) fail(`toArray(): ${JSON.stringify(nested)}, expected ${JSON.stringify(want)}`);
      t.dispose();
      grid.dispose();
      expectEqual(memory(name), before, 'memory() after disposing');
    }, d === 'float64' && !floatDTypes.includes('float64'));
  }

  // The storage dtypes: a backend keeps them bit for bit (cpu, wasm) or refuses them with a
  // DTypeError naming the dtype (TensorFlow.js); either way no value changes silently. Samples:
  // int64 beyond 2^53 and at both ends; float16/bfloat16 ±0, 1, the smallest subnormal, the
  // largest finite, ±Infinity and the quiet NaN.
  const storageSamples: { readonly [D in StorageDType]: DTypeArrays[D] } = {
    int64: BigInt64Array.from([0n, 1n, -1n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n]),
    float16: Uint16Array.from([0x0000, 0x8000, 0x3c00, 0x0001, 0x7bff, 0x7c00, 0xfc00, 0x7e00]),
    bfloat16: Uint16Array.from([0x0000, 0x8000, 0x3f80, 0x0001, 0x7f7f, 0x7f80, 0xff80, 0x7fc0]),
  };
  const sameRaw = (a: StorageArray, b: StorageArray) => a.length === b.length && Array.prototype.every.call(a, (v: unknown, i: number) => v === b[i]);
  const showRaw = (a: StorageArray) => `[${Array.prototype.map.call(a, String).join(', ')}]`;
  for (const d of STORAGE_DTYPES) {
    add(['storage round trip of every dtype'], d, async () => {
      const expected = storageSamples[d];
      const before = memory(name);
      let t: Tensor;
      try {
        t = Tensor.fromValues(expected.slice(), [expected.length], d, getBackend(name));
      } catch (e) {
        if (!(e instanceof DTypeError) || !e.message.includes(d)) fail(`fromValues(${d}) threw ${String(e)}; a backend that cannot store ${d} must refuse it with a DTypeError naming it`);
        expectEqual(memory(name), before, `memory() after refusing ${d}`);
        return;
      }
      const parts: Tensor[] = [t];
      try {
        const raw = await t.rawData();
        if (!sameRaw(raw, expected)) fail(`rawData(): ${showRaw(raw)}, expected ${showRaw(expected)}`);
        // Moved (a slice) and cast both ways, against the CPU reference's conversions.
        const ref = Tensor.fromValues(expected.slice(), [expected.length], d, getBackend(REFERENCE));
        parts.push(ref);
        const sliced = t.slice([1], [3]);
        const wide = t.cast('float32');
        const back = wide.cast(d);
        parts.push(sliced, wide, back);
        if (!sameRaw(await sliced.rawData(), expected.slice(1, 4))) fail(`slice: ${showRaw(await sliced.rawData())}, expected ${showRaw(expected.slice(1, 4))}`);
        const refWide = ref.cast('float32');
        parts.push(refWide);
        const got = await wide.data();
        const want = await refWide.data();
        if (!sameValues(got, want)) fail(`cast to float32: ${show(got)}, expected ${show(want)}`);
        const refBack = refWide.cast(d);
        parts.push(refBack);
        if (!sameRaw(await back.rawData(), await refBack.rawData())) fail(`cast back to ${d}: ${showRaw(await back.rawData())}, expected ${showRaw(await refBack.rawData())}`);
      } finally {
        for (const p of parts) p.dispose();
      }
      expectEqual(memory(name), before, 'memory() after disposing');
    });
  }
  return checks;
}

/** The full name of a check, as ConformanceResult reports it. */
export function checkName(check: ConformanceCheck): string {
  return [...check.path, check.name].join(' > ');
}

/** Runs one check and says how it went (a throw is a failure, with its message). */
export async function runCheck(check: ConformanceCheck): Promise<ConformanceResult> {
  const name = checkName(check);
  if (check.skip) return { name, ok: true, skipped: true, message: '', milliseconds: 0 };
  const start = performance.now();
  try {
    await check.run();
    return { name, ok: true, skipped: false, message: '', milliseconds: performance.now() - start };
  } catch (e) {
    const message = e instanceof Error ? (e instanceof ConformanceFailure ? e.message : `${e.name}: ${e.message}`) : String(e);
    return { name, ok: false, skipped: false, message: message || 'failed', milliseconds: performance.now() - start };
  }
}

/**
 * Runs the whole suite on the backend registered as `name`, outside any test runner (e.g. in a
 * browser page), one check after another, and returns one result per check.
 */
export async function runBackendConformance(name: string, options: ConformanceOptions = {}): Promise<ConformanceResult[]> {
  const results: ConformanceResult[] = [];
  for (const check of conformanceChecks(name, options)) results.push(await runCheck(check));
  return results;
}
