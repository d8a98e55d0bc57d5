import '@tsgrad/backend-cpu';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tensor } from '@tsgrad/core';
import {
  Adam,
  CosineAnnealingLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  MultiStepLR,
  OneCycleLR,
  ReduceLROnPlateau,
  SGD,
  SequentialLR,
  StepLR,
  type LRScheduler,
  type LrLambda,
  type Scheduler,
} from '../src/index.js';

// Learning-rate (and OneCycleLR momentum) sequences against PyTorch 1.13's torch.optim.lr_scheduler
// (fixtures/schedulers.json, written by packages/optimizers/test/fixtures/schedulers.py): the value
// of every group after construction and after each of 30 steps, to 1e-12 relative.

interface Spec {
  type: string;
  options?: Record<string, unknown>;
}
interface Case {
  name: string;
  optimizer: 'SGD' | 'Adam';
  groups: { lr: number }[];
  scheduler: Spec;
  metrics?: number[];
  lr: number[][];
  momentum?: number[][];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/schedulers.json', import.meta.url), 'utf8')) as { source: string; steps: number; cases: Case[] };

/** The script's named lambdas. */
const LAMBDAS: Record<string, LrLambda> = {
  pow095: (e) => 0.95 ** e,
  inverse: (e) => 1 / (e + 1),
  warmup5: (e) => Math.min(1, (e + 1) / 5),
};

type Opt = SGD | Adam;
function makeOptimizer(c: Case): Opt {
  const groups = c.groups.map((g) => ({ params: [tensor([0], { dtype: 'float64', requiresGrad: true })], ...g }));
  return c.optimizer === 'SGD' ? new SGD(groups, { lr: c.groups[0].lr, momentum: 0.9 }) : new Adam(groups, { lr: c.groups[0].lr });
}

function build(opt: Opt, spec: Spec): LRScheduler | ReduceLROnPlateau {
  const o = (spec.options ?? {}) as never;
  switch (spec.type) {
    case 'StepLR':
      return new StepLR(opt, o);
    case 'MultiStepLR':
      return new MultiStepLR(opt, o);
    case 'ExponentialLR':
      return new ExponentialLR(opt, o);
    case 'CosineAnnealingLR':
      return new CosineAnnealingLR(opt, o);
    case 'LinearLR':
      return new LinearLR(opt, o);
    case 'OneCycleLR':
      return new OneCycleLR(opt, o);
    case 'ReduceLROnPlateau':
      return new ReduceLROnPlateau(opt, o);
    case 'LambdaLR': {
      const f = (spec.options as { lrLambda: string | string[] }).lrLambda;
      return new LambdaLR(opt, { lrLambda: Array.isArray(f) ? f.map((n) => LAMBDAS[n]) : LAMBDAS[f] });
    }
    case 'SequentialLR': {
      const { schedulers, milestones } = spec.options as { schedulers: Spec[]; milestones: number[] };
      const children = schedulers.map((s) => build(opt, s) as LRScheduler);
      return new SequentialLR(opt, { schedulers: children, milestones });
    }
  }
  throw new Error(`no scheduler ${spec.type}`);
}

const momentumOf = (opt: Opt): number[] => opt.paramGroups.map((g) => ('betas' in g ? g.betas[0] : g.momentum));
const stepOnce = (c: Case, s: Scheduler, k: number) => (s instanceof ReduceLROnPlateau ? s.step(c.metrics![k]) : (s as LRScheduler).step());

/** Relative 1e-12 (absolute for 0). */
function expectClose(actual: number[][], expected: number[][], what: string): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, k) =>
    row.forEach((v, g) => {
      const want = expected[k][g];
      if (!(Math.abs(v - want) <= 1e-12 * Math.abs(want))) expect.fail(`${what} after ${k} steps, group ${g}: ${v}, PyTorch ${want}`);
    }),
  );
}

describe(`LR schedulers against ${fixture.source}`, () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const opt = makeOptimizer(c);
      const s = build(opt, c.scheduler);
      const lrs = [opt.paramGroups.map((g) => g.lr)];
      const moms = [momentumOf(opt)];
      for (let k = 0; k < fixture.steps; k++) {
        stepOnce(c, s, k);
        lrs.push(opt.paramGroups.map((g) => g.lr));
        moms.push(momentumOf(opt));
        expect(s.getLastLr()).toEqual(lrs[k + 1]);
      }
      expectClose(lrs, c.lr, 'lr');
      if (c.momentum) expectClose(moms, c.momentum, 'momentum');
    });

    it(`${c.name}: stateDict() after 11 steps, loaded into fresh objects, continues the same sequence`, () => {
      const k = 11;
      const opt = makeOptimizer(c);
      const s = build(opt, c.scheduler);
      for (let i = 0; i < k; i++) stepOnce(c, s, i);
      // structuredClone: the state is plain data (ReduceLROnPlateau's best may be ±Infinity).
      const optState = structuredClone({ paramGroups: opt.stateDict().paramGroups, state: {} });
      const schedState = structuredClone(s.stateDict());
      const opt2 = makeOptimizer(c);
      const s2 = build(opt2, c.scheduler);
      opt2.loadStateDict(optState as never);
      s2.loadStateDict(schedState);
      expect(s2.getLastLr()).toEqual(s.getLastLr());
      const lrs = [opt2.paramGroups.map((g) => g.lr)];
      const moms = [momentumOf(opt2)];
      for (let i = k; i < fixture.steps; i++) {
        stepOnce(c, s2, i);
        lrs.push(opt2.paramGroups.map((g) => g.lr));
        moms.push(momentumOf(opt2));
      }
      expectClose(lrs, c.lr.slice(k), 'lr (resumed)');
      if (c.momentum) expectClose(moms, c.momentum.slice(k), 'momentum (resumed)');
    });
  }
});
