// Issue 8 (Trust), faults 5, 6, 7 and 10: autograd bookkeeping, memory in training loops,
// asynchronous reads and kernels that must write their whole output. Right values: PyTorch's
// documented behaviour (named per test) or arithmetic done by hand.
import '@tsgrad/backend-cpu';
import { poisonRecycledBuffers } from '@tsgrad/backend-cpu';
import { join } from 'node:path';
import { typecheckStrict } from './types/strict.js';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  AutogradError,
  ValueError,
  computeGrads,
  enableGrad,
  grad,
  keep,
  manualSeed,
  memory,
  noGrad,
  setMemoryWarningSink,
  tensor,
  tidy,
  trainingStep,
  uniform,
  zeros,
  type Backend,
  type Tensor,
} from '@tsgrad/core';

describe('fault 5a: leaves reached through zero-derivative ops get a zero gradient', () => {
  // PyTorch: x.sign().sum().backward() leaves x.grad = zeros_like(x) (sign_backward returns zeros).
  it('sign, floor: zeros of the leaf shape, not null', () => {
    const x = tensor([-2, 0.5, 3]).requiresGrad_();
    x.sign().sum().backward();
    expect(x.grad?.toArray()).toEqual([0, 0, 0]);
    const y = tensor([[1.5, -0.5]]).requiresGrad_();
    y.floor().sum().backward();
    expect(y.grad?.toArray()).toEqual([[0, 0]]);
  });

  it('a zero gradient is zeros even where the leaf is ±Infinity (not x·0 = NaN)', () => {
    const x = tensor([Infinity, -Infinity, 1]).requiresGrad_();
    x.sign().sum().backward();
    expect(x.grad?.toArray()).toEqual([0, 0, 0]);
    // grad() of a function that does not use its argument: zeros (JAX's and PyTorch's materialized zeros).
    const g = grad((a: Tensor) => a.sign().sum())(tensor([Infinity, 2]));
    expect(g.toArray()).toEqual([0, 0]);
  });

  it('a leaf that also gets a real gradient keeps it', () => {
    const x = tensor([2, -3]).requiresGrad_();
    x.sign().add(x.mul(2)).sum().backward();
    expect(x.grad?.toArray()).toEqual([2, 2]);
  });
});

describe('gradients that several tensors share', () => {
  it('a + b: replacing a.grad does not free b.grad (add hands one gradient to both inputs)', () => {
    const a = tensor([1, 2]).requiresGrad_();
    const b = tensor([3, 4]).requiresGrad_();
    a.add(b).sum().backward();
    a.grad = null;
    expect(b.grad?.toArray()).toEqual([1, 1]);
  });

  it('accumulates over two backward passes: d/da sum((a+b)·a) = 2a + b, d/db = a', () => {
    const a = tensor([1, 2]).requiresGrad_();
    const b = tensor([3, 4]).requiresGrad_();
    for (let i = 0; i < 2; i++) a.add(b).mul(a).sum().backward();
    expect(a.grad?.toArray()).toEqual([2 * (2 * 1 + 3), 2 * (2 * 2 + 4)]);
    expect(b.grad?.toArray()).toEqual([2, 4]);
  });

  it("the caller's gradient tensor is not taken over by a leaf", () => {
    const x = tensor([1, 2]).requiresGrad_();
    const v = tensor([5, 6]);
    x.backward(v);
    x.grad = null;
    expect(v.toArray()).toEqual([5, 6]);
  });
});

describe('backward frees intermediate gradients as it goes (as PyTorch does)', () => {
  it('outside tidy, only the leaves\' gradients remain after backward', () => {
    const x = tensor([0.5, 1, 2, 3]).requiresGrad_();
    const w = tensor([[1, 2], [3, 4], [5, 6], [7, 8]]).requiresGrad_();
    const f = () => x.reshape([1, 4]).matmul(w).relu().exp().mul(x.sum()).sum();
    tidy(() => f().backward()); // caches the rules' constants (the 0 of relu's rule)
    x.grad = null;
    w.grad = null;
    const loss = f();
    const before = memory().buffers;
    loss.backward();
    // d loss/dx and d loss/dw, and nothing else: every intermediate gradient, every rule's
    // temporaries and the seed were disposed during the sweep.
    expect(memory().buffers).toBe(before + 2);
    expect(w.grad?.shape).toEqual([4, 2]);
    expect(x.grad?.shape).toEqual([4]);
  });
});

describe('computeGrads without freeIntermediate keeps every gradient (graphOf draws them)', () => {
  it('f = (x + y)·z: df/dq = z = -4 and df/df = 1 are in the map (the lecture\'s numbers)', () => {
    const x = tensor([-2]).requiresGrad_();
    const y = tensor([5]).requiresGrad_();
    const z = tensor([-4]).requiresGrad_();
    const q = x.add(y);
    const f = q.mul(z);
    const grads = computeGrads([f], [tensor([1])]);
    expect(grads.get(q)?.toArray()).toEqual([-4]);
    expect(grads.get(f)?.toArray()).toEqual([1]);
    expect(grads.get(z)?.toArray()).toEqual([3]);
  });
});

describe('fault 5b: version counters', () => {
  it('backward after an in-place change of a saved input throws, naming the op and the tensor', () => {
    // The case: y = x * w (w = 2, x = 3); w changes; y.backward() used the new w (x.grad = -1).
    const w = tensor([2]).requiresGrad_();
    w.name = 'w';
    const x = tensor([3]).requiresGrad_();
    const y = x.mul(w);
    noGrad(() => w.assign(w.sub(w.grad ?? tensor([3])))); // what optimizer.step() does
    expect(w.version).toBe(1);
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow(/input 1 of mul \("w", shape \[1\]\) was modified by an in-place operation.*version is 1, mul saved version 0/);
    expect(x.grad).toBeNull();
  });

  it('a rule that reads only shapes (add) does not need the values, so the change is allowed', () => {
    // PyTorch's add saves no tensor: the same sequence runs there without error.
    const w = tensor([2]).requiresGrad_();
    const x = tensor([3]).requiresGrad_();
    const y = x.add(w);
    noGrad(() => w.assign(tensor([5])));
    y.backward();
    expect(x.grad?.toArray()).toEqual([1]);
    expect(w.grad?.toArray()).toEqual([1]);
  });

  it('the output of an op whose rule reads it (exp) is checked too', () => {
    const x = tensor([0]).requiresGrad_();
    const y = x.exp();
    y.assign(tensor([7]));
    expect(() => y.backward()).toThrow(/the output of exp .* was modified by an in-place operation/);
  });

  it('backward before the change, then the change: the usual loop, no error', () => {
    const w = tensor([2]).requiresGrad_();
    const x = tensor([3]);
    for (let i = 0; i < 3; i++) {
      w.grad = null;
      x.mul(w).sum().backward();
      noGrad(() => w.assign(w.sub(w.grad!.mul(0.5))));
    }
    expect(w.toArray()).toEqual([2 - 4.5]);
  });
});

describe('fault 5c: async functions are refused by noGrad and enableGrad, as by tidy', () => {
  it('is a compile error under strict TypeScript (test/types/scopes.ts)', () => {
    const r = typecheckStrict(join(import.meta.dirname, 'types/scopes.ts'));
    // Unused @ts-expect-error lines (an async fn that compiled) and real errors both fail here.
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);

  it('noGrad(async ...) throws before running and leaves grad mode unchanged', async () => {
    let ran = false;
    const fn = async () => {
      ran = true;
      return tensor(1);
    };
    // Cast: the types refuse async functions already (the test above); this is the runtime check.
    const untyped = fn as unknown as () => Tensor;
    expect(() => noGrad(untyped)).toThrow(AutogradError);
    expect(() => noGrad(untyped)).toThrow(/noGrad\(fn\): fn is async/);
    expect(() => enableGrad(untyped)).toThrow(/enableGrad\(fn\): fn is async/);
    expect(() => tidy(untyped)).toThrow(/tidy\(fn\): fn is async/);
    expect(ran).toBe(false);
    // A plain function returning a promise is refused once it returns.
    expect(() => noGrad((() => Promise.resolve(1)) as unknown as () => number)).toThrow(/noGrad\(fn\): fn is async/);
    const x = tensor([1]).requiresGrad_();
    expect(x.mul(2).requiresGrad).toBe(true);
  });

  it('tidy(non-function) is the library error, not a TypeError', () => {
    expect(() => tidy(3 as never)).toThrow(ValueError);
    expect(() => tidy(3 as never)).toThrow(/tidy\(fn\): fn must be a function, got number/);
  });
});

describe('fault 6: memory in a training loop', () => {
  const mlp = () => {
    manualSeed(3);
    const p = (shape: number[]) => keep(uniform(shape, -0.5, 0.5).requiresGrad_());
    return [p([1, 10]), p([10]), p([10, 6]), p([6]), p([6, 1]), p([1])];
  };
  const forward = (w: Tensor[], x: Tensor) => x.matmul(w[0]).add(w[1]).relu().matmul(w[2]).add(w[3]).relu().matmul(w[4]).add(w[5]);

  it('inside tidy, w.mul(Math.random()) and a learning rate that changes every step stay flat', () => {
    const w = mlp();
    const x = uniform([32, 1]);
    const y = uniform([32, 1]);
    const step = (i: number) =>
      tidy(() => {
        for (const p of w) p.grad = null;
        forward(w, x).sub(y).abs().mean().backward();
        const lr = 0.01 / (1 + i * 0.37); // an LR schedule: a new number every step
        noGrad(() => {
          for (const p of w) p.assign(p.sub(p.grad!.mul(lr)).mul(1 + Math.random() * 1e-9));
        });
      });
    step(0);
    step(1);
    const before = memory();
    for (let i = 2; i < 40; i++) step(i);
    expect(memory()).toEqual(before);
  });

  it('an exception inside tidy frees every tensor the failed step made', () => {
    const x = tensor([1, 2, 3]);
    tidy(() => x.mul(2).add(1)).dispose(); // caches the constants
    const before = memory().buffers;
    for (let i = 0; i < 5; i++) {
      expect(() =>
        tidy(() => {
          x.mul(2).add(1).exp();
          x.reshape([3, 1]).matmul(x.reshape([1, 3]));
          throw new Error('step failed');
        }),
      ).toThrow('step failed');
    }
    expect(memory().buffers).toBe(before);
  });

  it('kept tensors survive a failed tidy', () => {
    let k: Tensor | undefined;
    expect(() =>
      tidy(() => {
        k = keep(tensor([4]).add(1));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(k!.toArray()).toEqual([5]);
  });

  it('a loop with no tidy at all keeps array-buffer memory flat on the cpu backend, without any await', () => {
    // The garbage collector reclaims typed arrays in a synchronous loop; only finalization
    // callbacks wait for the event loop. Nothing may hold an unreachable tensor's buffer.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const w = mlp();
    const x = uniform([256, 1]);
    const y = uniform([256, 1]);
    const step = () => {
      for (const p of w) p.grad = null;
      const loss = forward(w, x).sub(y).abs().mean();
      loss.backward();
      noGrad(() => {
        for (const p of w) p.assign(p.sub(p.grad!.mul(0.001)));
      });
    };
    const arrayBuffersAfter = (steps: number) => {
      for (let i = 0; i < steps; i++) step();
      // Two full collections: array-buffer backing stores are swept after the first.
      gc();
      gc();
      return process.memoryUsage().arrayBuffers;
    };
    const warm = arrayBuffersAfter(100);
    const later = arrayBuffersAfter(400);
    // Each step makes ~45 buffers of up to 256·10·4 bytes (~100 KB a step, 40 MB over 400 steps)
    // that were all held before. Flat means: no more than a few steps' worth of difference.
    expect(later - warm).toBeLessThan(512 * 1024);
  });

  it('memory() counts the buffers the garbage collector reclaimed once the event loop turns', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const before = memory().buffers;
    const x = uniform([64, 4]);
    for (let i = 0; i < 300; i++) x.mul(2).add(1).relu().sum(); // dropped, never disposed
    expect(memory().buffers).toBeGreaterThan(before + 1000); // not yet known to be freed
    for (let i = 0; i < 10 && memory().buffers > before + 64; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    // All but the open cohort (at most 64 storages, counted together) are reported freed.
    expect(memory().buffers).toBeLessThanOrEqual(before + 1 + 64);
  });

  it('warns once, naming tidy, when live buffers grow at every step on a backend the GC cannot reclaim', () => {
    let buffers = 0;
    const leaky = { name: 'leaky-test', garbageCollected: false, memory: () => ({ buffers, bytes: buffers * 4 }) } as unknown as Backend;
    const messages: string[] = [];
    const prev = setMemoryWarningSink((m) => messages.push(m));
    try {
      for (let i = 0; i < 49; i++) {
        buffers += 21;
        trainingStep(leaky);
      }
      expect(messages).toEqual([]);
      for (let i = 0; i < 100; i++) {
        buffers += 21;
        trainingStep(leaky);
      }
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatch(/live buffers on backend "leaky-test" grew at each of the last 50 training steps.*tidy\(/);
      // A flat loop never warns; a garbage-collected backend is never checked.
      const flat = { name: 'flat', memory: () => ({ buffers: 7, bytes: 28 }) } as unknown as Backend;
      const gcd = { name: 'gcd', garbageCollected: true, memory: () => ({ buffers: (buffers += 5), bytes: 0 }) } as unknown as Backend;
      for (let i = 0; i < 200; i++) {
        trainingStep(flat);
        trainingStep(gcd);
      }
      expect(messages).toHaveLength(1);
    } finally {
      setMemoryWarningSink(prev);
    }
  });
});

describe('fault 7: an asynchronous read returns the values the tensor held when it was called', () => {
  it("a tensor disposed before its read resolves does not return another tensor's values", async () => {
    let p: Promise<ArrayLike<number>> | undefined;
    tidy(() => {
      p = tensor([42]).data();
    });
    tensor([7]).add(0); // would reuse the freed buffer
    expect((await p!)[0]).toBe(42);
  });

  it('two loops interleaved by await each log their own loss', async () => {
    const run = async (value: number, log: number[]) => {
      for (let i = 0; i < 5; i++) {
        let pending: Promise<ArrayLike<number>> | undefined;
        tidy(() => {
          pending = tensor([value + i]).mul(1).data();
        });
        log.push((await pending!)[0]);
      }
    };
    const a: number[] = [];
    const b: number[] = [];
    await Promise.all([run(100, a), run(200, b)]);
    expect(a).toEqual([100, 101, 102, 103, 104]);
    expect(b).toEqual([200, 201, 202, 203, 204]);
  });

  it('the buffer is freed once the read has completed', async () => {
    const before = memory().buffers;
    let p: Promise<unknown> | undefined;
    tidy(() => {
      p = tensor([1, 2]).data();
    });
    expect(memory().buffers).toBe(before + 1); // held by the pending read
    await p;
    expect(memory().buffers).toBe(before);
  });
});

describe('fault 10: recycled buffers are poisoned in the test suite', () => {
  it('a buffer handed out again holds NaN until a kernel writes it', () => {
    poisonRecycledBuffers(true);
    // The same length is recycled: the second result reuses the first's buffer. Every kernel
    // must overwrite it; reductions over an empty axis must write their identity.
    tensor([1, 2, 3]).add(1).dispose();
    expect(zeros([0, 3]).sum(0).toArray()).toEqual([0, 0, 0]);
    tensor([1, 2, 3]).add(1).dispose();
    expect(tensor(5).reshape([1]).expand([3]).toArray()).toEqual([5, 5, 5]);
  });
});

describe('reading a disposed tensor names the method', () => {
  it('item, toArray, dataSync, data, detach, to, assign', async () => {
    const t = tensor([1, 2]);
    t.dispose();
    for (const [name, f] of [
      ['item', () => t.item()],
      ['toArray', () => t.toArray()],
      ['dataSync', () => t.dataSync()],
      ['detach', () => t.detach()],
      ['to', () => t.to('cpu')],
      ['assign', () => t.assign(tensor([3, 4]))],
    ] as const) {
      expect(f, name).toThrow(new RegExp(`^${name}: tensor \\d+ \\(shape \\[2\\], float32\\) was disposed`));
    }
    await expect(t.data()).rejects.toThrow(/^data: tensor \d+ .* was disposed/);
    expect(() => tensor([0, 0]).assign(t)).toThrow(/^assign \(the source\): tensor/);
  });
});

describe('a tensor owns its shape', () => {
  it('is not changed by a later change to the array given to reshape, zeros or tensor (shape copied and frozen)', () => {
    const s = [2, 3];
    const r = tensor([1, 2, 3, 4, 5, 6]).reshape(s);
    const z = zeros(s);
    const t = tensor(new Float32Array(6), { shape: s });
    s[0] = 7;
    for (const x of [r, z, t]) expect(x.shape).toEqual([2, 3]);
    expect(Object.isFrozen(r.shape)).toBe(true);
  });
});
