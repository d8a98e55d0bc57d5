// Float32 elementwise kernels of @tsgrad/backend-wasm (AssemblyScript, SIMD128): the arithmetic,
// comparisons, selections, sums and single-element gathers a training step spends most of its
// element passes on. Pointers are byte offsets into this module's memory (the caller, src/, lays
// out the operands); `n` counts elements.
//
// Every result is the CPU backend's, bit for bit, except rowSums (below): float32 add, sub, mul,
// div and sqrt are correctly rounded here as in JavaScript (which computes in float64 and rounds
// once: for these operations the double rounding never changes the float32 result), and
// comparisons, selections and copies are exact.
//
// Operand steps `as`, `bs` are 1 (a full operand) or 0 (one value repeated: a scalar, or a
// per-channel statistic over one row).

// Binary op codes: add, sub, mul, div. Comparison codes: equal, notEqual, less, lessEqual,
// greater, greaterEqual. Unary codes: neg, abs, sqrt, relu.

// @ts-ignore: decorator
@inline function arith4(op: i32, x: v128, y: v128): v128 {
  if (op == 0) return f32x4.add(x, y);
  if (op == 1) return f32x4.sub(x, y);
  if (op == 2) return f32x4.mul(x, y);
  return f32x4.div(x, y);
}

// @ts-ignore: decorator
@inline function arith1(op: i32, x: f32, y: f32): f32 {
  if (op == 0) return x + y;
  if (op == 1) return x - y;
  if (op == 2) return x * y;
  return x / y;
}

// @ts-ignore: decorator
@inline function binaryLoop(op: i32, a: usize, as: i32, b: usize, bs: i32, out: usize, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  if (as == 1 && bs == 1) {
    for (; i < n4; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, arith4(op, v128.load(a + o), v128.load(b + o)));
    }
  } else if (as == 1) {
    const y = v128.load32_splat(b);
    for (; i < n4; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, arith4(op, v128.load(a + o), y));
    }
  } else if (bs == 1) {
    const x = v128.load32_splat(a);
    for (; i < n4; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, arith4(op, x, v128.load(b + o)));
    }
  }
  for (; i < n; i++) {
    const x = load<f32>(a + (<usize>(i * as) << 2));
    const y = load<f32>(b + (<usize>(i * bs) << 2));
    store<f32>(out + (<usize>i << 2), arith1(op, x, y));
  }
}

/** out[i] = a[i·as] (op) b[i·bs] for i < n; op 0 add, 1 sub, 2 mul, 3 div. */
export function binary(op: i32, a: usize, as: i32, b: usize, bs: i32, out: usize, n: i32): void {
  // One loop per op, so the op is a constant inside it.
  if (op == 0) binaryLoop(0, a, as, b, bs, out, n);
  else if (op == 1) binaryLoop(1, a, as, b, bs, out, n);
  else if (op == 2) binaryLoop(2, a, as, b, bs, out, n);
  else binaryLoop(3, a, as, b, bs, out, n);
}

// @ts-ignore: decorator
@inline function unary4(op: i32, v: v128): v128 {
  if (op == 0) return f32x4.neg(v);
  if (op == 1) return f32x4.abs(v);
  if (op == 2) return f32x4.sqrt(v);
  // relu: v where v > 0 or v is NaN, else +0 (so -0 becomes 0, as the CPU backend's relu)
  return v128.and(v, v128.or(f32x4.gt(v, f32x4.splat(0)), f32x4.ne(v, v)));
}

// @ts-ignore: decorator
@inline function unary1(op: i32, v: f32): f32 {
  if (op == 0) return -v;
  if (op == 1) return abs<f32>(v);
  if (op == 2) return sqrt<f32>(v);
  return v > 0 || v != v ? v : 0;
}

// @ts-ignore: decorator
@inline function unaryLoop(op: i32, x: usize, out: usize, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, unary4(op, v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, unary1(op, load<f32>(x + o)));
  }
}

/** out[i] = op(x[i]) for i < n; op 0 neg, 1 abs, 2 sqrt, 3 relu. */
export function unary(op: i32, x: usize, out: usize, n: i32): void {
  if (op == 0) unaryLoop(0, x, out, n);
  else if (op == 1) unaryLoop(1, x, out, n);
  else if (op == 2) unaryLoop(2, x, out, n);
  else unaryLoop(3, x, out, n);
}

// @ts-ignore: decorator
@inline function compare4(op: i32, x: v128, y: v128): v128 {
  if (op == 0) return f32x4.eq(x, y);
  if (op == 1) return f32x4.ne(x, y);
  if (op == 2) return f32x4.lt(x, y);
  if (op == 3) return f32x4.le(x, y);
  if (op == 4) return f32x4.gt(x, y);
  return f32x4.ge(x, y);
}

// @ts-ignore: decorator
@inline function compare1(op: i32, x: f32, y: f32): u8 {
  let r: bool;
  if (op == 0) r = x == y;
  else if (op == 1) r = x != y;
  else if (op == 2) r = x < y;
  else if (op == 3) r = x <= y;
  else if (op == 4) r = x > y;
  else r = x >= y;
  return r ? 1 : 0;
}

// @ts-ignore: decorator
@inline function compareLoop(op: i32, a: usize, as: i32, b: usize, bs: i32, out: usize, n: i32): void {
  const n16 = n & ~15;
  const one = i8x16.splat(1);
  let i = 0;
  if (as == 1 || bs == 1) {
    for (; i < n16; i += 16) {
      const o = <usize>i << 2;
      const x0 = as == 1 ? v128.load(a + o) : v128.load32_splat(a);
      const x1 = as == 1 ? v128.load(a + o, 16) : x0;
      const x2 = as == 1 ? v128.load(a + o, 32) : x0;
      const x3 = as == 1 ? v128.load(a + o, 48) : x0;
      const y0 = bs == 1 ? v128.load(b + o) : v128.load32_splat(b);
      const y1 = bs == 1 ? v128.load(b + o, 16) : y0;
      const y2 = bs == 1 ? v128.load(b + o, 32) : y0;
      const y3 = bs == 1 ? v128.load(b + o, 48) : y0;
      // Lane masks (-1 or 0) narrowed to 16 bytes, then 1 or 0.
      const lo = i16x8.narrow_i32x4_s(compare4(op, x0, y0), compare4(op, x1, y1));
      const hi = i16x8.narrow_i32x4_s(compare4(op, x2, y2), compare4(op, x3, y3));
      v128.store(out + <usize>i, v128.and(i8x16.narrow_i16x8_s(lo, hi), one));
    }
  }
  for (; i < n; i++) {
    const x = load<f32>(a + (<usize>(i * as) << 2));
    const y = load<f32>(b + (<usize>(i * bs) << 2));
    store<u8>(out + <usize>i, compare1(op, x, y));
  }
}

/**
 * out[i] = a[i·as] (op) b[i·bs] ? 1 : 0 as bytes, for i < n; op 0 equal, 1 notEqual, 2 less,
 * 3 lessEqual, 4 greater, 5 greaterEqual (NaN compares unequal to everything, as in JavaScript).
 */
export function compare(op: i32, a: usize, as: i32, b: usize, bs: i32, out: usize, n: i32): void {
  if (op == 0) compareLoop(0, a, as, b, bs, out, n);
  else if (op == 1) compareLoop(1, a, as, b, bs, out, n);
  else if (op == 2) compareLoop(2, a, as, b, bs, out, n);
  else if (op == 3) compareLoop(3, a, as, b, bs, out, n);
  else if (op == 4) compareLoop(4, a, as, b, bs, out, n);
  else compareLoop(5, a, as, b, bs, out, n);
}

/** out[i] = cond[i] != 0 ? a[i·as] : b[i·bs] for i < n (cond: bytes). */
export function select(cond: usize, a: usize, as: i32, b: usize, bs: i32, out: usize, n: i32): void {
  const n4 = n & ~3;
  const zero = i32x4.splat(0);
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const c = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(cond + <usize>i)));
    const x = as == 1 ? v128.load(a + o) : v128.load32_splat(a);
    const y = bs == 1 ? v128.load(b + o) : v128.load32_splat(b);
    v128.store(out + o, v128.bitselect(x, y, i32x4.ne(c, zero)));
  }
  for (; i < n; i++) {
    const v = load<u8>(cond + <usize>i) != 0 ? load<f32>(a + (<usize>(i * as) << 2)) : load<f32>(b + (<usize>(i * bs) << 2));
    store<f32>(out + (<usize>i << 2), v);
  }
}

/**
 * out[r] (float64) = Σ x[r·len .. r·len + len) for r < rows, accumulated in float64 in four
 * interleaved partial sums (elements 4t, 4t+1, 4t+2, 4t+3), added at the end, then the tail.
 * The CPU backend sums in one float64 accumulator in index order: the two float64 results can
 * differ in their last bits, which rounding to float32 almost always hides.
 */
export function rowSums(x: usize, rows: i32, len: i32, out: usize): void {
  const n4 = len & ~3;
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize>(r * len) << 2);
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    let i = 0;
    for (; i < n4; i += 4) {
      const v = v128.load(row + (<usize>i << 2));
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
    }
    let s = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(hi, 0) + (f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 1));
    for (; i < len; i++) s += <f64>load<f32>(row + (<usize>i << 2));
    store<f64>(out + (<usize>r << 3), s);
  }
}

/** out[o·m + j] = src[o·n + idx[j]] for o < outer, j < m (idx: int32, each in [0, n)). */
export function gatherElements(src: usize, n: i32, outer: i32, idx: usize, m: i32, out: usize): void {
  let t = out;
  for (let o = 0; o < outer; o++) {
    const base = src + (<usize>(o * n) << 2);
    for (let j = 0; j < m; j++) {
      store<f32>(t, load<f32>(base + (<usize>load<i32>(idx + (<usize>j << 2)) << 2)));
      t += 4;
    }
  }
}

/** out[o·n + idx[j]] += src[o·m + j] for o < outer, j < m, in that order (out zeroed by the caller). */
export function scatterAddElements(src: usize, n: i32, outer: i32, idx: usize, m: i32, out: usize): void {
  let s = src;
  for (let o = 0; o < outer; o++) {
    const base = out + (<usize>(o * n) << 2);
    for (let j = 0; j < m; j++) {
      const p = base + (<usize>load<i32>(idx + (<usize>j << 2)) << 2);
      store<f32>(p, load<f32>(p) + load<f32>(s));
      s += 4;
    }
  }
}

/**
 * out[r] (int32) = the index of the first largest of x[r·len .. r·len + len) for r < rows, a NaN
 * counting as larger than everything (the first NaN wins), as the CPU backend's argmax.
 */
export function argmaxRows(x: usize, rows: i32, len: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize>(r * len) << 2);
    let best = 0;
    let bestV = load<f32>(row);
    for (let k = 1; k < len && bestV == bestV; k++) {
      const v = load<f32>(row + (<usize>k << 2));
      if (v > bestV || v != v) {
        bestV = v;
        best = k;
      }
    }
    store<i32>(out + (<usize>r << 2), best);
  }
}
