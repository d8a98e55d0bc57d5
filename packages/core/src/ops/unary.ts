import { apply, type OpDef, type OpName } from '../autograd/engine.js';
import { SAVES_NOTHING, SAVES_OUTPUT, savesInputs } from '../autograd/saves.js';
import { assertDType, isFloat, type DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { out, requireFloat } from './util.js';
import { where } from './binary.js';
import { assertTensor } from '../validate.js';

/** Elementwise ops of one input. Each entry: its shape/dtype rule and its vector-Jacobian product. */
type UnaryName = 'neg' | 'exp' | 'log' | 'log1p' | 'sqrt' | 'abs' | 'sign' | 'relu' | 'sigmoid' | 'tanh' | 'sin' | 'cos' | 'erf' | 'floor';

const floatOnly = (op: string) => (inputs: readonly Tensor[]) => {
  requireFloat(op, inputs[0]);
  return out(inputs[0].shape, inputs[0].dtype);
};
const numeric = (op: string) => (inputs: readonly Tensor[]) => {
  if (inputs[0].dtype === 'bool') requireFloat(op, inputs[0]);
  return out(inputs[0].shape, inputs[0].dtype);
};

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export const unaryDefs: { readonly [K in UnaryName | 'cast']: OpDef<K> } = {
  neg: { infer: numeric('neg'), saves: SAVES_NOTHING, vjp: (g) => [g.neg()] },
  exp: { infer: floatOnly('exp'), saves: SAVES_OUTPUT, vjp: (g, _, y) => [g.mul(y)] },
  log: { infer: floatOnly('log'), saves: savesInputs(0), vjp: (g, [x]) => [g.div(x)] },
  log1p: { infer: floatOnly('log1p'), saves: savesInputs(0), vjp: (g, [x]) => [g.div(x.add(1))] },
  sqrt: { infer: floatOnly('sqrt'), saves: SAVES_OUTPUT, vjp: (g, _, y) => [g.div(y.mul(2))] },
  abs: { infer: numeric('abs'), saves: savesInputs(0), vjp: (g, [x]) => [g.mul(x.sign())] },
  // sign and floor are flat almost everywhere: zero gradient (null means zero).
  sign: { infer: numeric('sign'), saves: SAVES_NOTHING, vjp: () => [null] },
  floor: { infer: floatOnly('floor'), saves: SAVES_NOTHING, vjp: () => [null] },
  // ReLU'(0) = 0, and a NaN input passes g on, as PyTorch's threshold_backward (x <= 0 ? 0 : g).
  relu: { infer: numeric('relu'), saves: savesInputs(0), vjp: (g, [x]) => [where(x.le(0), 0, g)] },
  sigmoid: { infer: floatOnly('sigmoid'), saves: SAVES_OUTPUT, vjp: (g, _, y) => [g.mul(y.mul(y.neg().add(1)))] },
  tanh: { infer: floatOnly('tanh'), saves: SAVES_OUTPUT, vjp: (g, _, y) => [g.mul(y.mul(y).neg().add(1))] },
  sin: { infer: floatOnly('sin'), saves: savesInputs(0), vjp: (g, [x]) => [g.mul(x.cos())] },
  cos: { infer: floatOnly('cos'), saves: savesInputs(0), vjp: (g, [x]) => [g.mul(x.sin()).neg()] },
  erf: { infer: floatOnly('erf'), saves: savesInputs(0), vjp: (g, [x]) => [g.mul(x.mul(x).neg().exp().mul(TWO_OVER_SQRT_PI))] },
  cast: {
    infer: (inputs, p) => {
      assertDType(p.dtype, 'cast');
      return out(inputs[0].shape, p.dtype);
    },
    saves: SAVES_NOTHING,
    vjp: (g, [x]) => [isFloat(x.dtype) && isFloat(g.dtype) ? g.cast(x.dtype) : null],
  },
};

const EMPTY = {};
const unary = (name: UnaryName) => (x: Tensor) => apply(name as OpName & UnaryName, [x], EMPTY);

export const neg = unary('neg');
export const exp = unary('exp');
export const log = unary('log');
export const log1p = unary('log1p');
export const sqrt = unary('sqrt');
export const abs = unary('abs');
export const sign = unary('sign');
export const relu = unary('relu');
export const sigmoid = unary('sigmoid');
export const tanh = unary('tanh');
export const sin = unary('sin');
export const cos = unary('cos');
export const erf = unary('erf');
export const floor = unary('floor');

/** Converts to another dtype (a no-op when it already has it). */
export function cast(x: Tensor, dtype: DType): Tensor {
  // Checked here too: the no-op return below must not pass on a disposed tensor or a bad dtype.
  assertTensor('cast', 'x', x);
  assertDType(dtype, 'cast');
  if (x.dtype === dtype) return x;
  return apply('cast', [x], { dtype });
}
