import { describe, expect, it } from 'vitest';
import '@tsgrad/backend-cpu';
import { Generator, ShapeError, Tensor, ValueError, tensor, zeros } from '@tsgrad/core';
import {
  BatchNorm1d,
  Dropout,
  Flatten,
  Linear,
  Module,
  ModuleDict,
  ModuleList,
  Sequential,
  Unflatten,
  buffer,
  parameter,
  summary,
  type AnyModule,
} from '../src/index.js';

const values = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>);
const names = (m: AnyModule) => m.namedParameters().map(([n]) => n);

/** PyTorch's usual pattern: a stack of blocks in a ModuleList, heads in a ModuleDict. */
class Tower extends Module {
  layers = new ModuleList([new Linear(2, 3), new Linear(3, 3)]);
  heads = new ModuleDict({ left: new Linear(3, 1), right: new Linear(3, 2, { bias: false }) });
  forward(x: Tensor): Tensor {
    let h = x;
    for (const layer of this.layers) h = (layer as Linear).call(h).relu();
    return (this.heads.get('left') as Linear).call(h);
  }
}

describe('ModuleList', () => {
  it("registers its entries under PyTorch's names (layers.0.weight) and is seen by train/eval, toString", () => {
    const t = new Tower();
    expect(names(t)).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'heads.left.weight', 'heads.left.bias', 'heads.right.weight']);
    expect(t.namedModules().map(([n]) => n)).toEqual(['', 'layers', 'layers.0', 'layers.1', 'heads', 'heads.left', 'heads.right']);
    t.eval();
    expect(t.layers.at(1).training).toBe(false);
    expect(String(t)).toContain('(layers): ModuleList(\n    (0): Linear(inFeatures=2, outFeatures=3, bias=true)');
    expect(t.call(tensor([[1, 2]])).shape).toEqual([1, 1]);
  });

  it('indexes, appends, extends, inserts, pops, replaces and slices as a Python list', () => {
    const [a, b, c, d] = [new Linear(1, 1), new Linear(1, 2), new Linear(1, 3), new Linear(1, 4)];
    const list = new ModuleList([a]);
    list.append(b).extend([c]);
    expect(list.length).toBe(3);
    expect([...list]).toEqual([a, b, c]);
    expect(list.at(-1)).toBe(c);
    list.insert(1, d);
    expect([...list]).toEqual([a, d, b, c]);
    list.insert(-1, a);
    expect([...list]).toEqual([a, d, b, a, c]);
    list.insert(99, b);
    expect(list.pop()).toBe(b);
    expect(list.pop(0)).toBe(a);
    list.set(-1, d);
    expect([...list]).toEqual([d, b, a, d]);
    expect([...list.slice(1, 3)]).toEqual([b, a]);
    // Names follow the current positions; d listed twice is one module: 3 modules, 6 parameters.
    expect([...list.namedChildren()].map(([n]) => n)).toEqual(['0', '1', '2', '3']);
    expect(names(list)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '2.weight', '2.bias']);
  });

  it('refuses what is not a Module, indices out of range, and a forward call', () => {
    const list = new ModuleList([new Linear(1, 1)]);
    expect(() => list.append(3 as unknown as Linear)).toThrow(/ModuleList.append: the argument is not a Module \(got number\)/);
    expect(() => new ModuleList([new Linear(1, 1), {} as Linear])).toThrow(/ModuleList: entry 1 is not a Module/);
    expect(() => list.at(1)).toThrow(ValueError);
    expect(() => list.at(-2)).toThrow(/ModuleList.at: index -2 is out of range for a ModuleList of 1 modules/);
    expect(() => list.pop(3)).toThrow(/ModuleList.pop: index 3 is out of range/);
    expect(() => list.forward()).toThrow(/ModuleList has no forward\(\)/);
  });
});

describe('ModuleDict', () => {
  it('keeps insertion order (integer-like keys too), and gets, sets, pops and iterates keys as PyTorch', () => {
    const [a, b, c] = [new Linear(1, 1), new Linear(1, 2), new Linear(1, 3)];
    const dict = new ModuleDict({ z: a });
    dict.set('10', b).set('2', c);
    expect(dict.keys()).toEqual(['z', '10', '2']);
    expect([...dict]).toEqual(['z', '10', '2']);
    expect(dict.values()).toEqual([a, b, c]);
    expect(dict.entries()).toEqual([['z', a], ['10', b], ['2', c]]);
    expect(names(dict)).toEqual(['z.weight', 'z.bias', '10.weight', '10.bias', '2.weight', '2.bias']);
    expect(dict.has('10')).toBe(true);
    expect(dict.pop('10')).toBe(b);
    expect(dict.length).toBe(2);
    dict.update(new Map([['w', b]]));
    dict.update([['z', c]]);
    expect(dict.entries()).toEqual([['z', c], ['2', c], ['w', b]]);
    dict.clear();
    expect(dict.length).toBe(0);
  });

  it('refuses dotted or empty keys, non-modules and missing keys (listing the keys), checking a batch before adding', () => {
    const dict = new ModuleDict({ a: new Linear(1, 1) });
    expect(() => dict.set('a.b', new Linear(1, 1))).toThrow(/ModuleDict: the key "a.b" must be a non-empty string without "."/);
    expect(() => dict.get('b')).toThrow(/ModuleDict.get: no entry under the key "b"; the keys are "a"/);
    expect(() => dict.update({ c: new Linear(1, 1), d: 5 as unknown as Linear })).toThrow(/the entry "d" is not a Module/);
    expect(dict.keys()).toEqual(['a']);
    expect(() => dict.forward()).toThrow(/ModuleDict has no forward/);
  });
});

describe('modules in plain arrays and objects are registered, in Maps and Sets refused', () => {
  it('arrays and plain objects of modules and parameters get ModuleList/ModuleDict names', () => {
    class Plain extends Module {
      blocks = [new Linear(2, 2), new Linear(2, 2)];
      grid = [[new Linear(1, 1)], [null, new Linear(1, 1, { bias: false })]];
      heads = { left: new Linear(2, 1), nested: { deep: new Linear(1, 1, { bias: false }) } };
      scales = [parameter(tensor([1])), parameter(tensor([2]))];
      stats = { count: buffer(zeros([1])) };
      sizes = [3, 4];
      cache = [tensor([9])];
      forward(x: Tensor): Tensor {
        return this.blocks[1].call(this.blocks[0].call(x));
      }
    }
    const m = new Plain();
    expect(names(m)).toEqual([
      'scales.0',
      'scales.1',
      'blocks.0.weight',
      'blocks.0.bias',
      'blocks.1.weight',
      'blocks.1.bias',
      'grid.0.0.weight',
      'grid.0.0.bias',
      'grid.1.1.weight',
      'heads.left.weight',
      'heads.left.bias',
      'heads.nested.deep.weight',
    ]);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['stats.count']);
    // What the walk finds, train(), to() and the state dict reach too; entries pushed later are seen.
    m.eval();
    expect(m.blocks[0].training).toBe(false);
    expect(m.heads.nested.deep.training).toBe(false);
    m.blocks.push(new Linear(2, 2));
    expect(names(m)).toContain('blocks.2.weight');
    expect(Object.keys(m.stateDict())).toContain('stats.count');
  });

  it('refuses a Map or Set of modules, and a plain-object key with a dot, saying what to use instead', () => {
    class WithMap extends Module {
      heads = new Map([['a', new Linear(1, 1)]]);
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(() => new WithMap().parameters()).toThrow(ValueError);
    expect(() => new WithMap().parameters()).toThrow(/WithMap: the property "heads" is a Map holding modules or parameters.*Use a ModuleDict/);
    class WithSet extends Module {
      layers = new Set([new Linear(1, 1)]);
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(() => new WithSet().train()).toThrow(/WithSet: the property "layers" is a Set .* ModuleList/);
    class Dotted extends Module {
      heads = { 'a.b': new Linear(1, 1) };
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(() => new Dotted().stateDict()).toThrow(/Dotted: the property "heads" holds a module or parameter under the key "a.b"/);
    // A Map of plain values, and a cycle of plain objects, are fine.
    class Harmless extends Module {
      lookup = new Map([['a', 1]]);
      ring: Record<string, unknown> = {};
      lin = new Linear(1, 1);
      constructor() {
        super();
        this.ring.self = this.ring;
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(names(new Harmless())).toEqual(['lin.weight', 'lin.bias']);
  });
});

describe('Unflatten', () => {
  it('splits one axis into several (one size may be -1), inverting Flatten', () => {
    const x = tensor(new Float32Array(24).map((_, i) => i), { shape: [2, 3, 4] });
    const flat = new Flatten().call(x);
    const back = new Unflatten(1, [3, -1]).call(flat);
    expect(back.shape).toEqual([2, 3, 4]);
    expect(values(back)).toEqual(values(x));
    expect(new Unflatten(-1, [2, 2]).call(x).shape).toEqual([2, 3, 2, 2]);
    expect(String(new Unflatten(1, [2, 3]))).toBe('Unflatten(dim=1, unflattenedSize=[2, 3])');
  });
  it('refuses sizes that do not fit, naming both shapes', () => {
    const call = () => new Unflatten(1, [5, 2]).call(zeros([2, 12]));
    expect(call).toThrow(ShapeError);
    expect(call).toThrow(/Unflatten\(dim=1, sizes=\[5, 2\]\): the input of shape \[2, 12\] has 12 elements along axis 1, which cannot be split into \[5, 2\]/);
    expect(() => new Unflatten(1, [-1, -1])).toThrow(/only one size may be -1/);
  });
});

describe('forward hooks', () => {
  it('a pre-hook sees and may replace the inputs; a hook sees inputs and output and may replace the output; remove() stops them', () => {
    const lin = new Linear(2, 1, { bias: false });
    lin.loadStateDict({ weight: tensor([[1, 10]]) });
    const seen: string[] = [];
    const pre = lin.registerForwardPreHook((m, [x]) => {
      seen.push(`pre ${m.inFeatures} [${x.shape.join(', ')}]`);
      return [x.mul(2)];
    });
    const post = lin.registerForwardHook((_m, [x], y) => {
      seen.push(`post ${values(x).join(',')} -> ${values(y).join(',')}`);
      return y.add(100);
    });
    // x = [1, 2] doubled = [2, 4]; y = 2 + 40 = 42; then + 100.
    expect(values(lin.call(tensor([[1, 2]])))).toEqual([142]);
    expect(seen).toEqual(['pre 2 [1, 2]', 'post 2,4 -> 42']);
    // forward() itself skips the hooks, as in PyTorch.
    expect(values(lin.forward(tensor([[1, 2]])))).toEqual([21]);
    pre.remove();
    post.remove();
    post.remove();
    expect(values(lin.call(tensor([[1, 2]])))).toEqual([21]);
    expect(lin.hasForwardHooks).toBe(false);
    expect(() => lin.registerForwardHook(5 as never)).toThrow(/registerForwardHook: the hook must be a function/);
    const bad = lin.registerForwardPreHook(() => 3 as never);
    expect(() => lin.call(tensor([[1, 2]]))).toThrow(/Linear: a forward pre-hook returned number; it must return nothing or the inputs as an array/);
    bad.remove();
  });

  it('a hooked Linear + ReLU in a Sequential runs unfused, so both hooks fire', () => {
    class ReLU extends Module {
      readonly fusedActivation = 'relu' as const;
      forward(x: Tensor): Tensor {
        return x.relu();
      }
    }
    const seq = new Sequential(new Linear(2, 3), new ReLU());
    const ran: string[] = [];
    seq.at(0).registerForwardHook((m) => void ran.push(m.constructor.name));
    seq.at(1).registerForwardHook((m) => void ran.push(m.constructor.name));
    seq.call(tensor([[1, 2]]));
    expect(ran).toEqual(['Linear', 'ReLU']);
  });
});

describe('apply, requiresGrad_, numel', () => {
  it('apply visits children first, then the module (PyTorch order)', () => {
    const inner = new Sequential(new Linear(1, 1), new Dropout());
    const model = new Sequential(inner, new Linear(1, 2));
    const order: string[] = [];
    const ret = model.apply((m) => void order.push(m.constructor.name));
    expect(ret).toBe(model);
    expect(order).toEqual(['Linear', 'Dropout', 'Sequential', 'Linear', 'Sequential']);
    // The usual use: initialise every Linear's weights.
    model.apply((m) => {
      if (m instanceof Linear) m.loadStateDict({ weight: zeros(m.weight.shape), bias: zeros([m.outFeatures]) });
    });
    expect(model.parameters().every((p) => values(p).every((v) => v === 0))).toBe(true);
  });

  it('requiresGrad_(false) freezes every parameter: backward leaves them without a gradient; numel counts elements', () => {
    const model = new Sequential(new Linear(3, 4), new Linear(4, 2));
    expect(model.numel()).toBe(3 * 4 + 4 + 4 * 2 + 2);
    model.at(0).requiresGrad_(false);
    expect(model.numel({ trainableOnly: true })).toBe(4 * 2 + 2);
    model.call(tensor([[1, 2, 3]])).sum().backward();
    expect((model.at(0) as Linear).weight.grad).toBeNull();
    expect((model.at(1) as Linear).weight.grad).not.toBeNull();
    model.requiresGrad_();
    expect(model.parameters().every((p) => p.requiresGrad)).toBe(true);
    // A parameter shared by two modules counts once.
    const shared = new Linear(2, 2);
    expect(new Sequential(shared, shared).numel()).toBe(6);
  });
});

describe('summary', () => {
  class Net extends Module {
    features = new Sequential(new Linear(4, 8, { generator: new Generator(1) }), new BatchNorm1d(8));
    heads = [new Linear(8, 3), new Linear(8, 1)];
    forward(x: Tensor): Tensor {
      const h = this.features.call(x);
      return this.heads[0].call(h).add(this.heads[1].call(h));
    }
  }

  it("lists every module with its output shape and own parameter count, torchinfo's way, and restores training mode", () => {
    const net = new Net();
    net.features.at(1).requiresGrad_(false);
    const s = summary(net, [5, 4]);
    expect(s.rows.map((r) => [r.name, r.type, r.depth, r.index, r.outputShapes, r.params])).toEqual([
      ['', 'Net', 0, 1, [[5, 3]], 0],
      ['features', 'Sequential', 1, 1, [[5, 8]], 0],
      ['features.0', 'Linear', 2, 1, [[5, 8]], 40],
      ['features.1', 'BatchNorm1d', 2, 2, [[5, 8]], 16],
      ['heads.0', 'Linear', 1, 2, [[5, 3]], 27],
      ['heads.1', 'Linear', 1, 3, [[5, 1]], 9],
    ]);
    expect([s.totalParams, s.trainableParams, s.nonTrainableParams]).toEqual([92, 76, 16]);
    const text = s.toString();
    expect(text).toContain('├─Sequential (features): 1-1');
    expect(text).toContain('│    └─BatchNorm1d (1): 2-2');
    expect(text).toMatch(/└─Linear \(0\): 2-1 +\[5, 8\] +40/);
    expect(text).toContain('Total params: 92\nTrainable params: 76\nNon-trainable params: 16\nInput shape: [5, 4]');
    // Run in eval mode: the running statistics did not move, the mode is restored, hooks are gone.
    const bn = net.features.at(1) as BatchNorm1d;
    expect(values(bn.runningMean!).every((v) => v === 0)).toBe(true);
    expect(net.training && bn.training).toBe(true);
    expect(bn.hasForwardHooks).toBe(false);
  });

  it('takes tensors as input, marks modules that did not run, and passes on the layer errors', () => {
    const net = new Net();
    const s = summary(net.features, tensor(new Float32Array(8), { shape: [2, 4] }));
    expect(s.rows[0].outputShapes).toEqual([[2, 8]]);
    const unused = new ModuleDict({ used: new Linear(2, 2), idle: new Linear(2, 2) });
    class Partial extends Module {
      d = unused;
      forward(x: Tensor): Tensor {
        return (this.d.get('used') as Linear).call(x);
      }
    }
    expect(summary(new Partial(), [1, 2]).toString()).toMatch(/└─Linear \(idle\): 2-2 +-- +6/);
    expect(() => summary(net, [2, 5])).toThrow(/Linear\(inFeatures=4, outFeatures=8\)/);
    expect(() => summary(net, 'x' as never)).toThrow(/summary: input must be a shape/);
    expect(net.hasForwardHooks || net.features.at(0).hasForwardHooks).toBe(false);
  });
});
