import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '@tsgrad/backend-cpu';
import {
  BackendError,
  Generator,
  ShapeError,
  Tensor,
  ValueError,
  registerBackend,
  tensor,
  tidy,
  zeros,
} from '@tsgrad/core';
import { Dropout, Flatten, Linear, Module, Sequential, buffer, isParameter, parameter } from '../src/index.js';

registerBackend('cpu2', () => createCpuBackend('cpu2'));

class MLP extends Module {
  fc1: Linear;
  fc2: Linear;
  constructor(seed = 0) {
    super();
    const generator = new Generator(seed);
    this.fc1 = new Linear(3, 4, { generator });
    this.fc2 = new Linear(4, 2, { generator });
  }
  forward(x: Tensor): Tensor {
    return this.fc2.call(this.fc1.call(x).relu());
  }
}

/** A module with its own parameter, a buffer and a child, to check order and kinds. */
class Mixed extends Module {
  scale = parameter(tensor([2]));
  inner = new Linear(2, 2, { generator: new Generator(1) });
  count = buffer(zeros([1]));
  notAParameter = tensor([5]);
  forward(x: Tensor): Tensor {
    return this.inner.call(x).mul(this.scale);
  }
}

const values = (t: Tensor) => Array.from(t.dataSync());

describe('Module traversal', () => {
  it('names parameters like PyTorch, in definition order', () => {
    const seq = new Sequential(new Linear(1, 10), new Flatten(), new Linear(10, 6), new Linear(6, 1, { bias: false }));
    expect(seq.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '3.weight']);
    expect(seq.parameters().map((p) => p.shape)).toEqual([[10, 1], [10], [6, 10], [6], [1, 6]]);
    const mlp = new MLP();
    expect(mlp.namedParameters().map(([n]) => n)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    // .name is labelled with the qualified name.
    expect(mlp.fc1.weight.name).toBe('fc1.weight');
    expect(mlp.namedChildren().next().value?.[0]).toBe('fc1');
    expect(mlp.children()).toEqual([mlp.fc1, mlp.fc2]);
    expect(mlp.namedModules().map(([n]) => n)).toEqual(['', 'fc1', 'fc2']);
  });

  it("lists own parameters before children's, buffers apart, and ignores plain tensors", () => {
    const m = new Mixed();
    expect(m.namedParameters().map(([n]) => n)).toEqual(['scale', 'inner.weight', 'inner.bias']);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['count']);
    expect(m.parameters({ recurse: false })).toEqual([m.scale]);
    expect(m.parameters().every((p) => p.requiresGrad && p.isLeaf && p.isKept)).toBe(true);
    expect(isParameter(m.notAParameter)).toBe(false);
  });

  it('lists a shared parameter once', () => {
    const a = new Linear(2, 2);
    const seq = new Sequential(a, a);
    expect(seq.parameters().length).toBe(2);
  });

  it('orders more than ten Sequential children numerically', () => {
    const layers = Array.from({ length: 12 }, () => new Linear(2, 2));
    const seq = new Sequential(...layers);
    expect(seq.namedChildren().next().value?.[0]).toBe('0');
    expect([...seq.namedChildren()].map(([n]) => n)).toEqual(layers.map((_, i) => String(i)));
    expect(seq.at(-1)).toBe(layers[11]);
    expect(seq.length).toBe(12);
  });

  it('parameters survive tidy()', () => {
    const lin = tidy(() => new Linear(2, 2));
    expect(lin.weight.isDisposed).toBe(false);
    tidy(() => lin.call(tensor([[1, 2]])));
    expect(lin.weight.isDisposed).toBe(false);
  });

  it('registerModule/registerParameter add entries by name and check the name', () => {
    class Custom extends Module {
      constructor() {
        super();
        this.registerParameter('w', tensor([1, 2]));
        this.registerModule('head', new Linear(2, 1));
        this.registerParameter('b', null);
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(new Custom().namedParameters().map(([n]) => n)).toEqual(['w', 'head.weight', 'head.bias']);
    const m = new Custom();
    expect(() => m.registerParameter('a.b', tensor([1]))).toThrow(ValueError);
    expect(() => parameter(tensor([1], { dtype: 'int32' }))).toThrow(/float/);
  });

  it('call(...) runs forward(...), for any number of inputs', () => {
    class Bilinear extends Module<[Tensor, Tensor], Tensor> {
      w = parameter(tensor([[1, 2], [3, 4]]));
      forward(a: Tensor, b: Tensor): Tensor {
        return a.matmul(this.w).mul(b).sum(-1);
      }
    }
    const m = new Bilinear();
    const a = tensor([[1, 0]]);
    const b = tensor([[1, 1]]);
    expect(values(m.call(a, b))).toEqual([3]);
    expect(values(m.forward(a, b))).toEqual([3]);
    expect(m.namedParameters().map(([n]) => n)).toEqual(['w']);
  });

  it('Sequential refuses what is not a Module', () => {
    expect(() => new Sequential(new Linear(1, 1), 3 as unknown as Linear)).toThrow(/entry 1 is not a Module/);
  });

  it('toString describes the tree', () => {
    const s = String(new Sequential(new Linear(1, 2), new Dropout(0.25)));
    expect(s).toContain('(0): Linear(inFeatures=1, outFeatures=2, bias=true)');
    expect(s).toContain('(1): Dropout(p=0.25)');
  });
});

describe('train / eval / zeroGrad', () => {
  it('train() and eval() reach every descendant', () => {
    const seq = new Sequential(new Linear(2, 2), new Sequential(new Dropout(0.5)));
    expect(seq.training).toBe(true);
    seq.eval();
    expect(seq.modules().every((m) => m.training === false)).toBe(true);
    seq.train();
    expect(seq.modules().every((m) => m.training === true)).toBe(true);
  });

  it('zeroGrad sets every .grad to null and disposes the old gradient', () => {
    const mlp = new MLP();
    mlp.call(tensor([[1, 2, 3]])).sum().backward();
    const grads = mlp.parameters().map((p) => p.grad);
    expect(grads.every((g) => g instanceof Tensor)).toBe(true);
    mlp.zeroGrad();
    expect(mlp.parameters().every((p) => p.grad === null)).toBe(true);
    expect(grads.every((g) => g!.isDisposed)).toBe(true);
  });
});

describe('stateDict / loadStateDict', () => {
  it('round-trips: a differently seeded model loads the values and computes the same outputs', () => {
    const a = new MLP(1);
    const b = new MLP(2);
    const x = tensor([[0.5, -1, 2], [1, 1, 1]]);
    expect(values(a.call(x))).not.toEqual(values(b.call(x)));
    const dict = a.stateDict();
    expect(Object.keys(dict)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(Object.values(dict).every((t) => !t.requiresGrad && t.isLeaf)).toBe(true);
    const result = b.loadStateDict(dict);
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(values(b.call(x))).toEqual(values(a.call(x)));
    // b's parameters are still its own leaves, trainable.
    expect(b.parameters().every((p) => p.requiresGrad && p.isLeaf)).toBe(true);
  });

  it('includes buffers and casts to the parameter dtype', () => {
    const m = new Mixed();
    const dict = m.stateDict();
    expect(Object.keys(dict)).toEqual(['scale', 'inner.weight', 'inner.bias', 'count']);
    const m2 = new Mixed();
    m2.loadStateDict({ ...dict, scale: tensor([7], { dtype: 'float64' }), count: tensor([3]) });
    expect(values(m2.scale)).toEqual([7]);
    expect(m2.scale.dtype).toBe('float32');
    expect(values(m2.count)).toEqual([3]);
  });

  it('a state dict keeps its values after the parameters are updated', () => {
    const lin = new Linear(1, 1);
    const dict = lin.stateDict();
    const before = values(dict.weight);
    lin.weight.assign(tensor([[42]]));
    expect(values(dict.weight)).toEqual(before);
  });

  it('refuses missing and unexpected keys, naming them, and loads nothing', () => {
    const a = new MLP(1);
    const b = new MLP(2);
    const before = values(b.fc1.weight);
    const dict = a.stateDict();
    const { 'fc2.bias': _dropped, ...missing } = dict;
    expect(() => b.loadStateDict(missing)).toThrow(ValueError);
    expect(() => b.loadStateDict(missing)).toThrow(/missing keys: "fc2\.bias"/);
    expect(() => b.loadStateDict({ ...dict, 'fc3.weight': tensor([1]) })).toThrow(/unexpected keys: "fc3\.weight"/);
    expect(values(b.fc1.weight)).toEqual(before);
    // Non-strict loads the matching keys and reports the rest.
    const r = b.loadStateDict({ ...missing, extra: tensor([1]) }, { strict: false });
    expect(r).toEqual({ missingKeys: ['fc2.bias'], unexpectedKeys: ['extra'] });
    expect(values(b.fc1.weight)).toEqual(values(a.fc1.weight));
  });

  it('refuses an entry that is not a tensor', () => {
    const lin = new Linear(1, 1);
    expect(() => lin.loadStateDict({ weight: [[1]] as unknown as Tensor, bias: zeros([1]) })).toThrow(/"weight" is not a Tensor/);
  });

  it('refuses a shape mismatch, naming the key and both shapes, even when not strict', () => {
    const lin = new Linear(3, 2);
    const dict = { weight: zeros([2, 4]), bias: zeros([2]) };
    const before = values(lin.bias!);
    for (const strict of [true, false]) {
      expect(() => lin.loadStateDict(dict, { strict })).toThrow(ShapeError);
      expect(() => lin.loadStateDict(dict, { strict })).toThrow(/"weight": checkpoint \[2, 4\], module \[2, 3\]/);
    }
    expect(values(lin.bias!)).toEqual(before);
  });
});

describe('to(backend)', () => {
  it("to('cpu') on the current backend keeps the very same tensors", () => {
    const mlp = new MLP();
    const params = mlp.parameters();
    expect(mlp.to('cpu')).toBe(mlp);
    expect(mlp.parameters()).toEqual(params);
    expect(params.every((p) => p.backend.name === 'cpu')).toBe(true);
  });

  it('moves parameters, buffers and gradients to another backend, keeping requiresGrad and names', () => {
    const m = new Mixed();
    const x = tensor([[1, 2]]);
    const y0 = values(m.call(x));
    m.call(x).sum().backward();
    const g0 = values(m.inner.weight.grad!);
    const old = m.parameters();
    m.to('cpu2');
    const moved = m.parameters();
    expect(moved.every((p) => p.backend.name === 'cpu2' && p.requiresGrad && p.isLeaf && isParameter(p))).toBe(true);
    expect(m.namedParameters().map(([n, p]) => p.name === n)).toEqual([true, true, true]);
    expect(m.count.backend.name).toBe('cpu2');
    expect(values(m.inner.weight.grad!)).toEqual(g0);
    expect(m.inner.weight.grad!.backend.name).toBe('cpu2');
    // In place, as PyTorch: the same tensor objects, now on the other backend.
    expect(moved).toEqual(old);
    expect(moved.every((p, i) => p === old[i])).toBe(true);
    const x2 = x.to('cpu2');
    expect(values(m.call(x2))).toEqual(y0);
    // Training works on the new backend.
    m.zeroGrad();
    m.call(x2).sum().backward();
    expect(m.inner.weight.grad!.backend.name).toBe('cpu2');
    m.to('cpu');
    expect(m.parameters().every((p) => p.backend.name === 'cpu')).toBe(true);
  });

  it('keeps a shared parameter shared', () => {
    const a = new Linear(2, 2);
    const seq = new Sequential(a, a).to('cpu2');
    expect(seq.parameters().length).toBe(2);
    expect((seq.at(0) as Linear).weight).toBe((seq.at(1) as Linear).weight);
  });

  it('refuses an unknown backend', () => {
    expect(() => new Linear(1, 1).to('nope')).toThrow(BackendError);
  });
});

describe('Flatten and Dropout', () => {
  it('Flatten keeps the batch axis by default', () => {
    expect(new Flatten().call(zeros([2, 3, 4])).shape).toEqual([2, 12]);
    expect(new Flatten(0).call(zeros([2, 3, 4])).shape).toEqual([24]);
    expect(new Flatten(1, 2).call(zeros([2, 3, 4, 5])).shape).toEqual([2, 12, 5]);
  });

  it('Dropout zeroes about p of the values in training, scales the rest, and is the identity in eval', () => {
    const d = new Dropout(0.3, { generator: new Generator(7) });
    const x = tensor(new Float32Array(10000).fill(1), { shape: [100, 100] });
    const y = values(d.call(x));
    const zeroFrac = y.filter((v) => v === 0).length / y.length;
    expect(zeroFrac).toBeGreaterThan(0.27);
    expect(zeroFrac).toBeLessThan(0.33);
    expect(y.filter((v) => v !== 0).every((v) => Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true);
    d.eval();
    expect(d.call(x)).toBe(x);
  });

  it('Dropout is reproducible from its seed and its gradient follows the mask', () => {
    const x = tensor(new Float64Array(50).fill(2), { shape: [50], dtype: 'float64' }).requiresGrad_();
    const a = values(new Dropout(0.5, { generator: new Generator(3) }).call(x));
    const y = new Dropout(0.5, { generator: new Generator(3) }).call(x);
    expect(values(y)).toEqual(a);
    y.sum().backward();
    expect(values(x.grad!)).toEqual(a.map((v) => (v === 0 ? 0 : 2)));
  });

  it('Dropout(1) gives zeros, Dropout(0) the input; bad p is refused', () => {
    const x = tensor([1, 2, 3]);
    expect(values(new Dropout(1).call(x))).toEqual([0, 0, 0]);
    expect(new Dropout(0).call(x)).toBe(x);
    expect(() => new Dropout(1.5)).toThrow(/p must be in \[0, 1\], got 1.5/);
    expect(() => new Dropout(-0.1)).toThrow(ValueError);
  });
});
