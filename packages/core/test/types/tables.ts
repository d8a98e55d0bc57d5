// Compiled by tables.test.ts with tsc --strict: every line marked @ts-expect-error must be a
// compile error, and the other lines must compile. The engine's tables are exhaustive by type:
// a backend without a kernel for a primitive, an op without rules, a gradient rule without its
// `saves` declaration, or a core-only op (reshape, linear) without its `forward` does not compile.
import type { Kernels, OpDefs, PrimitiveName } from '../../src/index.js';
import { opTable, savesInputs } from '../../src/index.js';

declare const complete: Kernels<Float64Array>;
// A backend's kernel table without `argsort`:
// @ts-expect-error Property 'argsort' is missing
export const missingKernel: Kernels<Float64Array> = (({ argsort, ...rest }) => rest)(complete);

const table = opTable();
// The op table without `exp`:
// @ts-expect-error Property 'exp' is missing
export const missingOp: OpDefs = (({ exp, ...rest }) => rest)(table);

// A gradient rule must declare what it saves:
export const withSaves: OpDefs['exp'] = { infer: table.exp.infer, vjp: table.exp.vjp!, saves: savesInputs(0) };
// @ts-expect-error Property 'saves' is missing
export const withoutSaves: OpDefs['exp'] = { infer: table.exp.infer, vjp: table.exp.vjp! };

// reshape runs no backend kernel: its definition must carry its forward.
// @ts-expect-error Property 'forward' is missing
export const reshapeWithoutForward: OpDefs['reshape'] = { infer: table.reshape.infer, vjp: table.reshape.vjp!, saves: savesInputs() };

// A switch over the primitives ends in `satisfies never`: a missing case does not compile.
export function kindOf(p: PrimitiveName): string {
  switch (p) {
    case 'neg': case 'exp': case 'log': case 'log1p': case 'sqrt': case 'abs': case 'sign': case 'relu':
    case 'sigmoid': case 'tanh': case 'sin': case 'cos': case 'erf': case 'floor': case 'cast':
      return 'unary';
    case 'add': case 'sub': case 'mul': case 'div': case 'pow': case 'maximum': case 'minimum':
    case 'equal': case 'notEqual': case 'less': case 'lessEqual': case 'greater': case 'greaterEqual': case 'where':
      return 'elementwise';
    case 'sum': case 'max': case 'min': case 'argmax': case 'argsort':
      return 'reduce';
    case 'matmul':
      return 'matmul';
    case 'contiguous': case 'permute': case 'expand': case 'slice': case 'concat': case 'pad':
      return 'movement';
    case 'gather':
      return 'index';
    default:
      // 'scatterAdd' has no case above:
      // @ts-expect-error Type 'string' does not satisfy the expected type 'never'
      return p satisfies never;
  }
}
