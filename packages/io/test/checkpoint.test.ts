import '@tsgrad/backend-cpu';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Generator, Tensor, ValueError, memory, tensor, tidy } from '@tsgrad/core';
import { Linear, Sequential } from '@tsgrad/layers';
import { Adam, OneCycleLR, ReduceLROnPlateau, SGD, StepLR } from '@tsgrad/optimizers';
import { SafetensorsError, readHeader } from '../src/index.js';
import { loadCheckpoint, saveCheckpoint, saveFileSync, CHECKPOINT_KEY } from '../src/node.js';
import { useTempDirs } from './tmp.js';

const tmpdir = useTempDirs();

/** The exact bits of a tensor (a float64 compare would call -0 and 0 equal, NaN and NaN unequal). */
const bits = (t: Tensor) => Array.from(new Uint8Array((t.dataSync() as Float64Array).slice().buffer));

const X = tensor(Float64Array.from({ length: 8 * 3 }, (_, i) => Math.sin(i + 1)), { dtype: 'float64', shape: [8, 3] });
const Y = tensor(Float64Array.from({ length: 8 * 2 }, (_, i) => Math.cos(2 * i)), { dtype: 'float64', shape: [8, 2] });

/** A model, Adam over it (two groups) and a one-cycle schedule that moves the lr and beta1 every step. */
function run(seed: number) {
  const g = new Generator(seed);
  const model = new Sequential(new Linear(3, 5, { dtype: 'float64', generator: g }), new Linear(5, 2, { dtype: 'float64', generator: g }));
  const [first, second] = model.children() as Linear[];
  const optimizer = new Adam([{ params: first.parameters() }, { params: second.parameters(), lr: 0.02 }], { lr: 0.01, amsgrad: true });
  const scheduler = new OneCycleLR(optimizer, { maxLr: [0.05, 0.1], totalSteps: 20 });
  const step = () => {
    optimizer.zeroGrad();
    tidy(() => {
      const d = model.call(X).sub(Y);
      d.mul(d).mean().backward();
    });
    optimizer.step();
    scheduler.step();
  };
  return { model, optimizer, scheduler, step };
}

/** Everything a resumed run must reproduce bit for bit. */
function state(r: ReturnType<typeof run>) {
  const sd = r.optimizer.stateDict();
  const out = {
    params: r.model.parameters().map(bits),
    moments: Object.values(sd.state).map((s) => Object.entries(s).map(([k, v]) => [k, v instanceof Tensor ? bits(v) : v])),
    groups: sd.paramGroups.map((g) => JSON.stringify(g)),
    lr: r.scheduler.getLastLr(),
    scheduler: JSON.stringify(r.scheduler.stateDict()),
  };
  for (const s of Object.values(sd.state)) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
  return out;
}

describe('saveCheckpoint / loadCheckpoint: resuming a run', () => {
  it('N steps in one go equal k steps, save, restore into fresh objects, N-k steps: parameters, moments and lr bit-identical', () => {
    const N = 12;
    const k = 5;
    const straight = run(1);
    for (let i = 0; i < N; i++) straight.step();

    const first = run(1);
    for (let i = 0; i < k; i++) first.step();
    const file = path.join(tmpdir(), 'ckpt.safetensors');
    saveCheckpoint(file, { model: first.model, optimizer: first.optimizer, scheduler: first.scheduler, epoch: k, note: 'warm', losses: [0.5, 0.25] });

    // Other initial values: the restore must overwrite everything.
    const resumed = run(99);
    expect(state(resumed).params).not.toEqual(state(first).params);
    const { epoch, note, losses } = loadCheckpoint(file, { model: resumed.model, optimizer: resumed.optimizer, scheduler: resumed.scheduler });
    expect([epoch, note, losses]).toEqual([k, 'warm', [0.5, 0.25]]);
    expect(state(resumed)).toEqual(state(first));
    for (let i = k; i < N; i++) resumed.step();
    expect(state(resumed)).toEqual(state(straight));
    // The run really moved: lr and beta1 differ from the start's.
    expect(straight.scheduler.getLastLr()).not.toEqual(run(1).scheduler.getLastLr());
  });

  it('the file is safetensors: the model\'s tensors under model.<name>, the optimizer\'s under optimizer.state.<i>.<key>', () => {
    const r = run(2);
    r.step();
    const file = path.join(tmpdir(), 'c.safetensors');
    saveCheckpoint(file, { model: r.model, optimizer: r.optimizer, epoch: 1 });
    const header = readHeader(fs.readFileSync(file));
    expect(Object.keys(header.tensors).sort()).toEqual(
      [
        'model.0.bias',
        'model.0.weight',
        'model.1.bias',
        'model.1.weight',
        ...[0, 1, 2, 3].flatMap((i) => ['expAvg', 'expAvgSq', 'maxExpAvgSq'].map((k) => `optimizer.state.${i}.${k}`)),
      ].sort(),
    );
    expect(header.tensors['model.0.weight']).toEqual({ dtype: 'float64', shape: [5, 3] });
    const meta = JSON.parse(header.metadata![CHECKPOINT_KEY]);
    expect(meta.version).toBe(1);
    expect(meta.optimizer.state['0'].step).toBe(1);
    expect(meta.optimizer.state['0'].expAvg).toEqual({ $tensor: 'optimizer.state.0.expAvg' });
  });

  it('numbers JSON cannot hold, tensor extras, and a ReduceLROnPlateau whose best is still Infinity', () => {
    const p = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    const plateau = new ReduceLROnPlateau(opt, { mode: 'max' });
    const file = path.join(tmpdir(), 'x.safetensors');
    const w = tensor([-0, NaN, Infinity], { dtype: 'float64' });
    saveCheckpoint(file, { optimizer: opt, scheduler: plateau, odd: [NaN, -0, Infinity, -Infinity], w, nested: { a: { b: [1, 'two', null, true] } } });
    const opt2 = new SGD([tensor([0, 0], { dtype: 'float64', requiresGrad: true })], { lr: 0.5 });
    const plateau2 = new ReduceLROnPlateau(opt2, { mode: 'min' });
    const back = loadCheckpoint(file, { optimizer: opt2, scheduler: plateau2 });
    expect(back.epoch).toBeNull();
    expect(back.odd).toEqual([NaN, -0, Infinity, -Infinity]);
    expect(Object.is((back.odd as number[])[1], -0)).toBe(true);
    expect(bits(back.w as Tensor)).toEqual(bits(w));
    expect(back.nested).toEqual({ a: { b: [1, 'two', null, true] } });
    expect(plateau2.best).toBe(-Infinity);
    expect(plateau2.mode).toBe('max');
    expect(opt2.paramGroups[0].lr).toBe(0.1);
    (back.w as Tensor).dispose();
  });

  it('repeated saves and loads leak no tensors', () => {
    const r = run(3);
    r.step();
    const file = path.join(tmpdir(), 'leak.safetensors');
    const cycle = () => {
      saveCheckpoint(file, { model: r.model, optimizer: r.optimizer, scheduler: r.scheduler, epoch: 1 });
      loadCheckpoint(file, { model: r.model, optimizer: r.optimizer, scheduler: r.scheduler });
    };
    cycle();
    const before = memory().buffers;
    for (let i = 0; i < 3; i++) cycle();
    expect(memory().buffers).toBe(before);
  });
});

describe('saveCheckpoint / loadCheckpoint: bad input', () => {
  it('refuses what a checkpoint cannot store, naming it', () => {
    const file = path.join(tmpdir(), 'bad.safetensors');
    expect(() => saveCheckpoint(file, { fn: () => 1 })).toThrow(/extra "fn" is function, which a checkpoint cannot store/);
    expect(() => saveCheckpoint(file, { when: new Date(0) })).toThrow(/extra "when" is a Date/);
    expect(() => saveCheckpoint(file, { deep: { t: tensor([1]) } })).toThrow(/extra "deep".t is a Tensor nested inside other data/);
    expect(() => saveCheckpoint(file, { epoch: 1.5 })).toThrow(/epoch must be an integer, got 1.5/);
    expect(() => saveCheckpoint(file, { model: {} as never })).toThrow(/model must have a stateDict\(\) method/);
    expect(() => saveCheckpoint('', {})).toThrow(ValueError);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('a file that is not a checkpoint, or is corrupt, is refused naming the file', () => {
    const dir = tmpdir();
    const plain = path.join(dir, 'plain.safetensors');
    saveFileSync(plain, { w: tensor([1]) });
    expect(() => loadCheckpoint(plain)).toThrow(SafetensorsError);
    expect(() => loadCheckpoint(plain)).toThrow(/plain.safetensors is a safetensors file but not a tsgrad checkpoint.*loadIntoModule/);
    const junk = path.join(dir, 'junk.safetensors');
    fs.writeFileSync(junk, 'not a checkpoint at all');
    expect(() => loadCheckpoint(junk)).toThrow(/junk.safetensors is not a valid safetensors file/);
    expect(() => loadCheckpoint(plain, { model: {} as never })).toThrow(/model must have a loadStateDict\(\) method/);
    expect(() => loadCheckpoint(plain, { epoch: 1 } as never)).toThrow(/unknown target "epoch"/);
  });

  it('a part asked for but not saved is refused; a mismatch changes nothing (all or nothing)', () => {
    const r = run(4);
    r.step();
    const dir = tmpdir();
    const modelOnly = path.join(dir, 'm.safetensors');
    saveCheckpoint(modelOnly, { model: r.model });
    const other = run(5);
    expect(() => loadCheckpoint(modelOnly, { model: other.model, optimizer: other.optimizer })).toThrow(/holds no optimizer state, but a optimizer was given/);

    const full = path.join(dir, 'full.safetensors');
    saveCheckpoint(full, { model: r.model, optimizer: r.optimizer, scheduler: r.scheduler });
    const target = run(6);
    const before = state(target);
    // The model and optimizer fit, the scheduler is of another kind: nothing may change.
    const wrong = new StepLR(target.optimizer, { stepSize: 2 });
    expect(() => loadCheckpoint(full, { model: target.model, optimizer: target.optimizer, scheduler: wrong })).toThrow(/StepLR.loadStateDict: the state lacks "stepSize"/);
    const after = state(target);
    expect(after.params).toEqual(before.params);
    expect(after.moments).toEqual(before.moments);
    expect(after.groups.map((g) => JSON.parse(g).betas)).toEqual(before.groups.map((g) => JSON.parse(g).betas));
    // A model of another shape: Module.loadStateDict refuses, naming the shapes.
    const small = new Sequential(new Linear(3, 4, { dtype: 'float64' }), new Linear(4, 2, { dtype: 'float64' }));
    expect(() => loadCheckpoint(full, { model: small })).toThrow(/shapes differ/);
  });
});
