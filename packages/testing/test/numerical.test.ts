import '@tsgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import { matmul, tensor, type Tensor } from '@tsgrad/core';
import { numericalGradient, numericalJacobian } from '../src/index.js';

const f64 = (v: number[] | number[][]) => tensor(v, { dtype: 'float64' });

describe('numericalJacobian', () => {
  it('is the matrix itself for x ↦ A x', () => {
    const a = f64([[1, 2], [3, 4], [5, 6]]);
    const [j] = numericalJacobian((x: Tensor) => matmul(a, x), [f64([0.5, -1])]);
    expect(j.rows).toBe(3);
    expect(j.cols).toBe(2);
    Array.from(j.values).forEach((v, i) => expect(v).toBeCloseTo([1, 2, 3, 4, 5, 6][i], 8));
  });

  it('skips int32 inputs and reports the float ones by position', () => {
    const idx = tensor([1, 0], { dtype: 'int32' });
    const js = numericalJacobian((i: Tensor, x: Tensor) => x.indexSelect(i).mul(x.indexSelect(i)), [idx, f64([2, 3])]);
    expect(js.map((j) => j.input)).toEqual([1]);
    // y = [x1², x0²]: dy0/dx1 = 2·3, dy1/dx0 = 2·2.
    expect(Array.from(js[0].values).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 6, 4, 0]);
  });

  it('rejects a non-positive step', () => {
    expect(() => numericalJacobian((x: Tensor) => x, [f64([1])], 0)).toThrow(/eps/);
  });
});

describe('numericalGradient', () => {
  it('matches the lecture example f = (x + y) z at x=-2, y=5, z=-4', () => {
    const [gx, gy, gz] = numericalGradient((x: Tensor, y: Tensor, z: Tensor) => x.add(y).mul(z), [f64([-2]), f64([5]), f64([-4])]);
    expect(gx![0]).toBeCloseTo(-4, 8);
    expect(gy![0]).toBeCloseTo(-4, 8);
    expect(gz![0]).toBeCloseTo(3, 8);
  });

  it('refuses a vector output', () => {
    expect(() => numericalGradient((x: Tensor) => x.mul(2), [f64([1, 2])])).toThrow(/one element/);
  });
});
