import { createCpuBackend } from '@tsgrad/backend-cpu';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AutogradError,
  DTYPES,
  DTypeError,
  PROMOTION_TABLE,
  STORAGE_DTYPES,
  STORAGE_DTYPE_OPS,
  Tensor,
  ValueError,
  arange,
  bfloat16Bits,
  canCast,
  concat,
  eye,
  float16Bits,
  float16Value,
  full,
  linspace,
  matmul,
  memory,
  ones,
  promoteTypes,
  normal,
  registerBackend,
  resultType,
  tensor,
  tidy,
  where,
  zeros,
  zerosLike,
  type DType,
  type PromotionOperand,
  type StorageArray,
} from '@tsgrad/core';

/**
 * tsgrad's dtypes against PyTorch 1.13: fixtures/dtypes.json is written by fixtures/dtypes.py
 * (torch.promote_types, torch.can_cast, torch.result_type, and the bits of its casts). Where a
 * test's right value is not PyTorch's, the comment names its source (IEEE 754, the bfloat16
 * definition, or the maths).
 */
type Operand = { kind: 'dim' | 'zero'; dtype: DType } | { kind: 'int' | 'float' };
interface Fixture {
  source: string;
  promote_types: Record<DType, Record<DType, DType>>;
  can_cast: Record<DType, Record<DType, boolean>>;
  result_type: { a: Operand; b: Operand; result: DType }[];
  bool_sum_dtype: string;
  from_float32: { values: (number | string)[]; float16: number[]; bfloat16: number[] };
  decode: { bits: number[]; float16: (number | string)[]; bfloat16: (number | string)[] };
  from_int64: { values: string[]; float64: number[]; float32: number[]; float16: number[]; bfloat16: number[]; int32: number[]; bool: boolean[] };
  to_int64: { float64: (number | string)[]; from_float64: string[]; from_float32: string[]; float32_values: (number | string)[] };
  int32_to_int64: { values: number[]; int64: string[] };
  half_to: {
    values: (number | string)[];
    float16_bits: number[];
    bfloat16_bits: number[];
    float16_to_bool: boolean[];
    bfloat16_to_bool: boolean[];
    finite: number[];
    float16_to_int32: number[];
    bfloat16_to_int64: string[];
    float16_to_bfloat16_bits: number[];
    bfloat16_to_float16_bits: number[];
  };
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/dtypes.json', import.meta.url), 'utf8')) as Fixture;
const num = (v: number | string): number => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number));
const nums = (vs: readonly (number | string)[]) => vs.map(num);
const raw = (t: Tensor) => Array.from(t.rawDataSync() as ArrayLike<number | bigint>);
/** float16 bits of a NaN have an all-ones exponent and a non-zero fraction (IEEE 754 §3.4); any NaN payload matches. */
const isNaN16 = (b: number) => (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0;
const isNaNBf16 = (b: number) => (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;
const sameBits = (got: number[], want: number[], isNaNBits: (b: number) => boolean) =>
  got.length === want.length && got.every((g, i) => g === want[i] || (isNaNBits(g) && isNaNBits(want[i])));

describe(`type promotion against ${fx.source}`, () => {
  it('PROMOTION_TABLE is torch.promote_types for every pair of dtypes', () => {
    expect(Object.keys(fx.promote_types).sort()).toEqual([...DTYPES].sort());
    for (const a of DTYPES) for (const b of DTYPES) {
      expect([a, b, PROMOTION_TABLE[a][b]]).toEqual([a, b, fx.promote_types[a][b]]);
      expect(promoteTypes(a, b)).toBe(fx.promote_types[a][b]);
    }
  });

  it('canCast is torch.can_cast for every pair (what an in-place op may write back)', () => {
    for (const a of DTYPES) for (const b of DTYPES) expect([a, b, canCast(a, b)]).toEqual([a, b, fx.can_cast[a][b]]);
  });

  // PyTorch's Python ints are int64; tsgrad's integers are int32 (DEFAULT_INT), so where a Python
  // int alone made the result int64 (a bool tensor + 2), tsgrad's is int32. Nothing else differs.
  const expectedFor = (c: Fixture['result_type'][number]): DType => {
    const tensorInt64 = [c.a, c.b].some((o) => 'dtype' in o && o.dtype === 'int64');
    return c.result === 'int64' && !tensorInt64 ? 'int32' : c.result;
  };
  const operandOf = (o: Operand): PromotionOperand => (o.kind === 'int' ? 2 : o.kind === 'float' ? 2.5 : { dtype: o.dtype, rank: o.kind === 'dim' ? 1 : 0 });

  it('resultType is torch.result_type for 1-d tensors, 0-d tensors and numbers of every dtype', () => {
    expect(fx.result_type.length).toBe(7 * 7 * 4 + 7 * 4);
    for (const c of fx.result_type) expect([c.a, c.b, resultType([operandOf(c.a), operandOf(c.b)])]).toEqual([c.a, c.b, expectedFor(c)]);
  });

  it('where() takes that dtype for every pair, and the values', () => {
    // where(cond, a, b) promotes a and b (torch.where); it runs on every dtype, storage ones included.
    const make = (o: Operand): Tensor | number =>
      o.kind === 'int' ? 2 : o.kind === 'float' ? 2.5 : o.kind === 'dim' ? ones([3], { dtype: o.dtype }) : zeros([], { dtype: o.dtype });
    tidy(() => {
      for (const c of fx.result_type) {
        const y = where(tensor([true, false, true]), make(c.a), make(c.b));
        expect([c.a, c.b, y.dtype]).toEqual([c.a, c.b, expectedFor(c)]);
        const a = c.a.kind === 'int' ? 2 : c.a.kind === 'float' ? 2.5 : c.a.kind === 'dim' ? 1 : 0;
        const b = c.b.kind === 'int' ? 2 : c.b.kind === 'float' ? 2.5 : c.b.kind === 'dim' ? 1 : 0;
        const expected = expectedFor(c) === 'bool' ? [a !== 0, b !== 0, a !== 0] : [a, b, a];
        expect(y.toArray()).toEqual(expected);
      }
    });
  });

  it('add, mul, div and comparisons promote their operands (float32 + int32 is float32, int32 + 2.5 is float32)', () => {
    const f32 = tensor([1.5, -2]);
    const i32 = tensor([3, 4], { dtype: 'int32' });
    const f64 = tensor([0.25, 0.5], { dtype: 'float64' });
    expect([f32.add(i32).dtype, f32.add(i32).toArray()]).toEqual(['float32', [4.5, 2]]);
    expect([i32.mul(2.5).dtype, i32.mul(2.5).toArray()]).toEqual(['float32', [7.5, 10]]);
    expect([i32.add(2).dtype, i32.add(2).toArray()]).toEqual(['int32', [5, 6]]);
    expect([f32.sub(f64).dtype, f32.sub(f64).toArray()]).toEqual(['float64', [1.25, -2.5]]);
    // A 0-d float64 does not widen a float32 tensor (torch.result_type's priority of dimensioned tensors).
    expect(f32.mul(tensor(2, { dtype: 'float64' })).dtype).toBe('float32');
    expect(i32.mul(tensor(2, { dtype: 'float64' })).dtype).toBe('float64');
    // bool with a number: bool + 1 is an integer (int32 here; int64 in PyTorch).
    expect([tensor([true, false]).add(1).dtype, tensor([true, false]).add(1).toArray()]).toEqual(['int32', [2, 1]]);
    // True division of integers is float32 (torch.div); float16 / int32 would be float16 (storage: refused below).
    expect([i32.div(tensor([2, 8], { dtype: 'int32' })).dtype, i32.div(tensor([2, 8], { dtype: 'int32' })).toArray()]).toEqual(['float32', [1.5, 0.5]]);
    expect(i32.lt(3.5).toArray()).toEqual([true, false]);
    expect(f32.maximum(i32).toArray()).toEqual([3, 4]);
    expect(f32.clamp(0, 1).dtype).toBe('float32');
    expect([i32.clamp(0, 3.5).dtype, i32.clamp(0, 3.5).toArray()]).toEqual(['float32', [3, 3.5]]);
  });

  it('gradients flow back through a promotion in each input\'s own dtype', () => {
    // d/dx sum(x * y) = y, d/dy = x (the maths); x float32 and y float64 make a float64 product.
    const x = tensor([1, 2, 3]).requiresGrad_();
    const y = tensor([0.5, -1, 2], { dtype: 'float64' }).requiresGrad_();
    const z = x.mul(y).sum();
    expect(z.dtype).toBe('float64');
    z.backward();
    expect([x.grad?.dtype, x.grad?.toArray()]).toEqual(['float32', [0.5, -1, 2]]);
    expect([y.grad?.dtype, y.grad?.toArray()]).toEqual(['float64', [1, 2, 3]]);
    // With an int32 operand: the int32 side gets no gradient.
    const w = tensor([1, 2]).requiresGrad_();
    w.mul(tensor([3, 4], { dtype: 'int32' })).sum().backward();
    expect(w.grad?.toArray()).toEqual([3, 4]);
  });

  it('in-place ops write a promoted result back when torch.can_cast allows, and refuse it otherwise', () => {
    const a = tensor([1, 2]);
    a.add_(tensor([0.5, 0.25], { dtype: 'float64' }));
    expect([a.dtype, a.toArray()]).toEqual(['float32', [1.5, 2.25]]);
    const i = tensor([1, 2], { dtype: 'int32' });
    i.mul_(tensor([true, false]));
    expect([i.dtype, i.toArray()]).toEqual(['int32', [1, 0]]);
    // torch: RuntimeError "result type Float can't be cast to the desired output type Int".
    expect(() => i.add_(0.5)).toThrow(DTypeError);
    expect(() => i.add_(0.5)).toThrow(/add_: the result is float32 but this tensor is int32, which cannot hold it/);
  });

  it('ops that fill in a number keep x\'s dtype (torch.tril, masked_fill, scatter of a bool tensor stay bool)', () => {
    // A bare number next to a bool tensor promotes to an integer; these composites write it in x's dtype instead.
    const m = tensor([[true, true], [true, true]]);
    expect([m.tril().dtype, m.tril().toArray()]).toEqual(['bool', [[true, false], [true, true]]]);
    expect([m.triu(1).dtype, m.triu(1).toArray()]).toEqual(['bool', [[false, true], [false, false]]]);
    const f = m.maskedFill(tensor([[false, true], [false, false]]), false);
    expect([f.dtype, f.toArray()]).toEqual(['bool', [[true, false], [true, true]]]);
    const z = tensor([false, false, false]);
    const sc = z.scatter(0, tensor([2], { dtype: 'int32' }), 1);
    expect([sc.dtype, sc.toArray()]).toEqual(['bool', [false, false, true]]);
    const st = z.scatter(0, tensor([0], { dtype: 'int32' }), tensor([true]));
    expect([st.dtype, st.toArray()]).toEqual(['bool', [true, false, false]]);
    const i = tensor([[1, 2], [3, 4]], { dtype: 'int32' });
    expect([i.tril().dtype, i.maskedFill(tensor([true, false]), 7).toArray()]).toEqual(['int32', [[7, 2], [7, 4]]]);
  });

  it('bool.sum() counts the true elements as an integer (int32; PyTorch: int64)', () => {
    expect(fx.bool_sum_dtype).toBe('int64');
    const s = tensor([[true, false, true], [true, true, false]]).sum();
    expect([s.dtype, s.item()]).toEqual(['int32', 4]);
    expect(tensor([[true, false, true], [true, true, false]]).sum(1).toArray()).toEqual([2, 2]);
  });
});

describe(`conversions against ${fx.source}`, () => {
  it('float32 to float16 and bfloat16: round to nearest, ties to even, subnormals, overflow, NaN', () => {
    const f = fx.from_float32;
    const x = tensor(Float32Array.from(nums(f.values)));
    const h = x.cast('float16');
    const b = x.cast('bfloat16');
    expect(sameBits(raw(h) as number[], f.float16, isNaN16)).toBe(true);
    expect(sameBits(raw(b) as number[], f.bfloat16, isNaNBf16)).toBe(true);
    // The same through creation and the scalar functions.
    expect(sameBits(raw(tensor(nums(f.values), { dtype: 'float16' })) as number[], f.float16, isNaN16)).toBe(true);
    expect(sameBits(nums(f.values).map(bfloat16Bits), f.bfloat16, isNaNBf16)).toBe(true);
    expect(sameBits(nums(f.values).map(float16Bits), f.float16, isNaN16)).toBe(true);
  });

  it('float16 and bfloat16 bits decode to PyTorch\'s float32 values', () => {
    const d = fx.decode;
    const h = Tensor.fromValues(Uint16Array.from(d.bits), [d.bits.length], 'float16');
    const b = Tensor.fromValues(Uint16Array.from(d.bits), [d.bits.length], 'bfloat16');
    expect(Array.from(h.dataSync())).toEqual(nums(d.float16));
    expect(Array.from(h.cast('float32').dataSync())).toEqual(nums(d.float16));
    expect(Array.from(b.dataSync())).toEqual(nums(d.bfloat16));
    expect(Array.from(b.cast('float64').dataSync())).toEqual(nums(d.bfloat16));
    expect(d.bits.map(float16Value)).toEqual(nums(d.float16));
  });

  it('int64 to every dtype, exactly: one rounding for floats, the low 32 bits for int32', () => {
    const f = fx.from_int64;
    const x = tensor(BigInt64Array.from(f.values.map(BigInt)));
    expect(x.dtype).toBe('int64');
    expect(raw(x)).toEqual(f.values.map(BigInt));
    expect(Array.from(x.cast('float64').dataSync())).toEqual(f.float64);
    expect(Array.from(x.cast('float32').dataSync())).toEqual(f.float32);
    expect(raw(x.cast('float16'))).toEqual(f.float16);
    expect(raw(x.cast('bfloat16'))).toEqual(f.bfloat16);
    expect(Array.from(x.cast('int32').dataSync())).toEqual(f.int32);
    expect(x.cast('bool').toArray()).toEqual(f.bool);
  });

  it('floats to int64 truncate toward zero; NaN, infinities and out-of-range values give -2^63 (PyTorch on x86)', () => {
    const t = fx.to_int64;
    expect(raw(tensor(Float64Array.from(nums(t.float64))).cast('int64'))).toEqual(t.from_float64.map(BigInt));
    expect(raw(tensor(Float32Array.from(nums(t.float32_values))).cast('int64'))).toEqual(t.from_float32.map(BigInt));
    expect(raw(tensor(Int32Array.from(fx.int32_to_int64.values)).cast('int64'))).toEqual(fx.int32_to_int64.int64.map(BigInt));
  });

  it('float16 and bfloat16 to bool, int32, int64 and each other', () => {
    const h = fx.half_to;
    const x = tensor(Float32Array.from(nums(h.values)));
    expect(sameBits(raw(x.cast('float16')) as number[], h.float16_bits, isNaN16)).toBe(true);
    expect(x.cast('float16').cast('bool').toArray()).toEqual(h.float16_to_bool);
    expect(x.cast('bfloat16').cast('bool').toArray()).toEqual(h.bfloat16_to_bool);
    const finite = tensor(Float32Array.from(h.finite));
    expect(Array.from(finite.cast('float16').cast('int32').dataSync())).toEqual(h.float16_to_int32);
    expect(raw(finite.cast('bfloat16').cast('int64'))).toEqual(h.bfloat16_to_int64.map(BigInt));
    expect(sameBits(raw(x.cast('float16').cast('bfloat16')) as number[], h.float16_to_bfloat16_bits, isNaNBf16)).toBe(true);
    expect(sameBits(raw(x.cast('bfloat16').cast('float16')) as number[], h.bfloat16_to_float16_bits, isNaN16)).toBe(true);
  });

  it('rounds a float64 to float16 once (IEEE 754), where PyTorch rounds through float32 twice', () => {
    // 1 + 2^-11 + 2^-40 lies just above the halfway point between float16's 1 (0x3C00) and
    // 1 + 2^-10 (0x3C01): correctly rounded it is 0x3C01 (IEEE 754-2019 §4.3.1). PyTorch's
    // float64 -> float32 step drops the 2^-40, leaving a tie that goes to even, 0x3C00.
    const v = 1 + 2 ** -11 + 2 ** -40;
    expect(float16Bits(v)).toBe(0x3c01);
    expect(raw(tensor([v], { dtype: 'float64' }).cast('float16'))).toEqual([0x3c01]);
    expect(raw(tensor([1 + 2 ** -11], { dtype: 'float64' }).cast('float16'))).toEqual([0x3c00]);
    // bfloat16 likewise: 1 + 2^-8 + 2^-40 is above the tie between 1 (0x3F80) and 1 + 2^-7 (0x3F81).
    expect(bfloat16Bits(1 + 2 ** -8 + 2 ** -40)).toBe(0x3f81);
  });
});

describe('int64 is stored exactly', () => {
  const big = [2n ** 62n + 1n, -(2n ** 63n), 2n ** 63n - 1n, 9007199254740993n];

  it('holds values beyond 2^53 from bigints and BigInt64Arrays, and gives them back exactly', () => {
    const t = tensor(big);
    expect([t.dtype, t.shape]).toEqual(['int64', [4]]);
    expect(raw(t)).toEqual(big);
    expect(raw(tensor(BigInt64Array.from(big)))).toEqual(big);
    expect(raw(tensor([[1n, 2n], [3n, 4n]]).reshape([4]))).toEqual([1n, 2n, 3n, 4n]);
    // A Number above 2^53 has already lost its digits: the value of the number is stored.
    expect(raw(tensor([2 ** 60], { dtype: 'int64' }))).toEqual([2n ** 60n]);
  });

  it('refuses to round on the way out to numbers, naming the exact reader', () => {
    const t = tensor(big);
    expect(() => t.dataSync()).toThrow(ValueError);
    expect(() => t.dataSync()).toThrow(/dataSync: the int64 value 4611686018427387905 at position 0 is beyond ±2\^53.*rawDataSync\(\)/);
    expect(() => t.toArray()).toThrow(/toArray: the int64 value/);
    expect(() => t.slice([3], [1]).item()).toThrow(/item: the int64 value 9007199254740993/);
    // Safe integers read as numbers.
    const s = tensor([5n, -(2n ** 53n), 2n ** 53n]);
    expect(s.toArray()).toEqual([5, -(2 ** 53), 2 ** 53]);
    expect(Array.from(s.dataSync())).toEqual([5, -(2 ** 53), 2 ** 53]);
    expect(tensor(7n).item()).toBe(7);
  });

  it('reads asynchronously the same way', async () => {
    const t = tensor(big);
    expect(Array.from((await t.rawData()) as BigInt64Array)).toEqual(big);
    await expect(t.data()).rejects.toThrow(/data: the int64 value/);
    expect(await tensor([1n, 2n]).array()).toEqual([1, 2]);
  });

  it('compares exactly: 2^53 and 2^53 + 1 differ (as float64 they would not)', () => {
    const a = tensor([2n ** 53n, 2n ** 53n + 1n, -(2n ** 63n)]);
    const b = tensor([2n ** 53n + 1n, 2n ** 53n + 1n, -(2n ** 63n) + 1n]);
    expect(a.eq(b).toArray()).toEqual([false, true, false]);
    expect(a.ne(b).toArray()).toEqual([true, false, true]);
    expect(a.lt(b).toArray()).toEqual([true, false, true]);
    expect(a.ge(b).toArray()).toEqual([false, true, false]);
    expect(a.eq(2 ** 53).toArray()).toEqual([true, false, false]);
    // int64 with int32 promotes to int64 (torch.promote_types), still exact.
    expect(tensor([3n, 4n]).eq(tensor([3, 5], { dtype: 'int32' })).toArray()).toEqual([true, false]);
  });

  it('prints its exact digits', () => {
    expect(String(tensor(big))).toBe('tensor([4611686018427387905, -9223372036854775808, 9223372036854775807, 9007199254740993], dtype=int64)');
    expect(String(arange(10, undefined, 1, { dtype: 'int64' }))).toBe('tensor([0, 1, 2, ..., 7, 8, 9], dtype=int64)');
  });

  it('refuses values outside its range, naming them', () => {
    expect(() => tensor([2n ** 63n])).toThrow(/tensor: the value at position 0 is 9223372036854775808n \(a bigint\), outside int64's range/);
    expect(() => tensor([2 ** 63], { dtype: 'int64' })).toThrow(/outside int64's range/);
    expect(() => tensor([NaN], { dtype: 'int64' })).toThrow(/int64 cannot hold/);
    expect(() => full([2], Infinity, { dtype: 'int64' })).toThrow(ValueError);
  });
});

describe('float16 and bfloat16 as storage', () => {
  it('are created from values, rounding each once', () => {
    // 1/3 in float16 is 0x3555 (0.333251953125), in bfloat16 0x3EAB (0.333984375): IEEE 754 binary16 and bfloat16 nearest values.
    expect(raw(tensor([1 / 3], { dtype: 'float16' }))).toEqual([0x3555]);
    expect(raw(tensor([1 / 3], { dtype: 'bfloat16' }))).toEqual([0x3eab]);
    expect(tensor([1 / 3], { dtype: 'float16' }).item()).toBe(0.333251953125);
    expect(Array.from(tensor([1 / 3], { dtype: 'bfloat16' }).dataSync())).toEqual([0.333984375]);
    expect(raw(ones([2], { dtype: 'float16' }))).toEqual([0x3c00, 0x3c00]);
    expect(raw(full([1], -2, { dtype: 'bfloat16' }))).toEqual([0xc000]);
    expect(raw(zeros([2], { dtype: 'float16' }))).toEqual([0, 0]);
    expect(raw(eye(2, 2, { dtype: 'float16' }))).toEqual([0x3c00, 0, 0, 0x3c00]);
    expect(linspace(0, 1, 3, { dtype: 'float16' }).toArray()).toEqual([0, 0.5, 1]);
    expect(raw(zerosLike(ones([1], { dtype: 'bfloat16' })))).toEqual([0]);
    // Tensor.fromValues takes the bits themselves.
    expect(Tensor.fromValues(Uint16Array.from([0x7bff]), [1], 'float16').item()).toBe(65504);
  });

  it('print their values', () => {
    expect(String(tensor([1, 1 / 3, -0.5, Infinity, NaN], { dtype: 'float16' }))).toBe('tensor([1.0000, 0.3333, -0.5000, inf, nan], dtype=float16)');
    expect(String(tensor([1 / 3], { dtype: 'bfloat16' }))).toBe('tensor([0.3340], dtype=bfloat16)');
  });

  it('compare as the numbers they hold: NaN differs from itself, -0 equals 0', () => {
    const h = tensor([NaN, -0, 1, 2], { dtype: 'float16' });
    expect(h.eq(tensor([NaN, 0, 1, 3], { dtype: 'float16' })).toArray()).toEqual([false, true, true, false]);
    expect(h.lt(tensor([0, 0, 0, 0], { dtype: 'bfloat16' })).toArray()).toEqual([false, false, false, false]);
    expect(tensor([-1, 0.5], { dtype: 'bfloat16' }).gt(0).toArray()).toEqual([false, true]);
  });

  it('combine with float32 as float32 (PyTorch: float16 + float32 is float32), gradients included', () => {
    const w = tensor([0.1, 0.2, 0.3], { dtype: 'float16' });
    const x = tensor([1, 2, 3]).requiresGrad_();
    const y = x.mul(w);
    expect(y.dtype).toBe('float32');
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3].map((v, i) => Math.fround(v * float16Value(float16Bits([0.1, 0.2, 0.3][i])))));
    y.sum().backward();
    expect(Array.from(x.grad!.dataSync())).toEqual(Array.from(w.dataSync()));
    expect(tensor([1], { dtype: 'float16' }).add(tensor([1], { dtype: 'bfloat16' })).dtype).toBe('float32');
  });
});

describe('what the storage dtypes support', () => {
  it('moves and selects values exactly: reshape, permute, slice, concat, expand, pad, gather, where', () => {
    const v = [1n, -(2n ** 63n), 2n ** 62n + 3n, 4n, 5n, 6n];
    for (const [x, vals] of [
      [tensor(v).reshape([2, 3]), v],
      [Tensor.fromValues(Uint16Array.from([1, 2, 0x7e00, 0x8000, 5, 6]), [2, 3], 'float16'), [1, 2, 0x7e00, 0x8000, 5, 6]],
      [Tensor.fromValues(Uint16Array.from([1, 2, 0x7fc0, 0x8000, 5, 6]), [2, 3], 'bfloat16'), [1, 2, 0x7fc0, 0x8000, 5, 6]],
    ] as const) {
      const at = (i: number) => vals[i];
      expect(raw(x.permute([1, 0]))).toEqual([0, 3, 1, 4, 2, 5].map(at));
      expect(raw(x.slice([0, 1], [2, 2]))).toEqual([1, 2, 4, 5].map(at));
      expect(raw(concat([x, x.slice([0, 0], [1, 3])], 0))).toEqual([0, 1, 2, 3, 4, 5, 0, 1, 2].map(at));
      expect(raw(x.slice([0, 0], [1, 3]).expand([2, 3]))).toEqual([0, 1, 2, 0, 1, 2].map(at));
      expect(raw(x.indexSelect([1, 0], 0))).toEqual([3, 4, 5, 0, 1, 2].map(at));
      expect(raw(where(tensor([true, false, true]), x.slice([0, 0], [1, 3]), x.slice([1, 0], [1, 3])))).toEqual([0, 4, 2].map(at));
      expect(x.flatten().shape).toEqual([6]);
    }
    // pad writes the value in the dtype's storage.
    expect(raw(tensor([7n]).pad([[1, 1]], 2))).toEqual([2n, 7n, 2n]);
    expect(raw(tensor([1], { dtype: 'float16' }).pad([[1, 0]], 0.5))).toEqual([0x3800, 0x3c00]);
    expect(raw(tensor([1], { dtype: 'bfloat16' }).pad([[0, 1]], -1))).toEqual([0x3f80, 0xbf80]);
    // maskedFill with a number (where with a scalar) keeps int64.
    expect(raw(tensor([1n, 2n]).maskedFill(tensor([false, true]), 9))).toEqual([1n, 9n]);
  });

  it('refuses arithmetic with an error naming the op, the dtype and the cast', () => {
    const i = tensor([1n, 2n]);
    const h = tensor([1, 2], { dtype: 'float16' });
    const b = tensor([1, 2], { dtype: 'bfloat16' });
    const cases: [string, () => unknown, RegExp][] = [
      ['int64 + int64', () => i.add(i), /^add: input 0 is int64 \(shape \[2\]\), a storage dtype.*\.cast\("float64"\) \(exact up to 2\^53\) or \.cast\("int32"\)/],
      ['int64 * 2', () => i.mul(2), /^mul: input 0 is int64/],
      ['int32 + int64 (promoted to int64)', () => tensor([1, 2], { dtype: 'int32' }).add(i), /^add: input 0 is int64/],
      ['int64 sum', () => i.sum(), /^sum: input 0 is int64/],
      ['int64 floorDivide', () => i.floorDivide(i), /^floorDivide: input 0 is int64/],
      ['float16 * float16', () => h.mul(h), /^mul: input 0 is float16.*\.cast\("float32"\) \(exact\)/],
      ['float16 / 2', () => h.div(2), /^div: input 0 is float16/],
      ['bfloat16 - bfloat16', () => b.sub(b), /^sub: input 0 is bfloat16/],
      ['float16 matmul', () => matmul(h.reshape([1, 2]), h.reshape([2, 1])), /^matmul: input 0 is float16/],
      ['bfloat16 max', () => b.amax(), /^max: input 0 is bfloat16/],
      ['float16 exp', () => h.exp(), /^exp: input 0 is float16/],
      ['float16 mean', () => h.mean(), /^mean: needs a float tensor, got float16 \(stored, not computed in/],
      ['float16 neg', () => h.neg(), /^neg: input 0 is float16/],
    ];
    for (const [what, fn, pattern] of cases) {
      let error: unknown;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect([what, error instanceof DTypeError]).toEqual([what, true]);
      expect([what, (error as Error).message]).toEqual([what, expect.stringMatching(pattern)]);
    }
  });

  it('cannot require grad, and random draws refuse them (cast a float32 draw)', () => {
    expect(() => tensor([1], { dtype: 'float16' }).requiresGrad_()).toThrow(AutogradError);
    expect(() => tensor([1], { dtype: 'bfloat16', requiresGrad: true })).toThrow(/only float tensors can require grad/);
    expect(() => normal([2], { dtype: 'float16' })).toThrow(/normal: draws real numbers, so dtype must be float32 or float64, got float16/);
  });

  it('every op says which storage dtypes it takes, and the table matches the kernels that handle them', () => {
    // Moving and selecting ops take all three; comparisons take int64 (float16/bfloat16 compare in
    // float32); nothing that computes takes any.
    const takesAll = Object.entries(STORAGE_DTYPE_OPS).filter(([, d]) => d.length === STORAGE_DTYPES.length).map(([op]) => op).sort();
    expect(takesAll).toEqual(['cast', 'concat', 'contiguous', 'expand', 'gather', 'pad', 'permute', 'reshape', 'slice', 'where']);
    const int64Only = Object.entries(STORAGE_DTYPE_OPS).filter(([, d]) => d.length === 1).map(([op, d]) => `${op}:${d[0]}`).sort();
    expect(int64Only).toEqual(['equal:int64', 'greater:int64', 'greaterEqual:int64', 'less:int64', 'lessEqual:int64', 'notEqual:int64']);
  });

  it('count their bytes in memory(): 8 per int64, 2 per float16/bfloat16', () => {
    const before = memory().bytes;
    const ts = [zeros([3], { dtype: 'int64' }), zeros([5], { dtype: 'float16' }), zeros([4], { dtype: 'bfloat16' })];
    expect(memory().bytes - before).toBe(3 * 8 + 5 * 2 + 4 * 2);
    for (const t of ts) t.dispose();
    expect(memory().bytes).toBe(before);
  });

  it('move between backends with their storage unchanged', () => {
    registerBackend('cpu-dtypes', () => createCpuBackend('cpu-dtypes'));
    const bits: StorageArray = BigInt64Array.from([2n ** 60n + 1n, -1n]);
    const t = Tensor.fromValues(bits.slice(), [2], 'int64');
    const moved = t.to('cpu-dtypes');
    expect([moved.backend.name, raw(moved)]).toEqual(['cpu-dtypes', [2n ** 60n + 1n, -1n]]);
    const h = tensor([0.1], { dtype: 'bfloat16' });
    expect(raw(h.to('cpu-dtypes'))).toEqual(raw(h));
    h.moveTo_('cpu-dtypes');
    expect([h.backend.name, raw(h)]).toEqual(['cpu-dtypes', [bfloat16Bits(0.1)]]);
  });
});
