// The WebAssembly SIMD128 kernel of @tsgrad/backend-wasm (AssemblyScript).
//
// Build: `pnpm --filter @tsgrad/backend-wasm build:wasm` (asc --enable simd -O3), which writes the
// bytes into src/kernels.wasm.ts. The package's test rebuilds it and checks that the committed
// bytes match this source.
//
// One float32 GEMM, C = op(A) op(B) (+ bias) (relu), with A and B read through element strides
// so every transpose layout is one function: A(i,p) = a[i*ra + p*ca], B(p,j) = b[p*rb + j*cb].
// C is written dense, row-major, M x N.
//
// Each C element is the float32 dot product Σ_p A(i,p)·B(p,j) summed in increasing p from 0
// (a multiply then an add, each rounded to float32; wasm has no fused multiply-add), then the
// bias added in float32, then relu. The order never depends on the blocking below, so results
// are deterministic; they differ from the float64-accumulating CPU reference in the last bits.
//
// Method: A is packed into panels of MR=4 rows (4 values per p), B into panels of NR=8 columns
// (8 values per p), both zero-padded at the edges; a 4x8 register tile (eight f32x4
// accumulators) runs over K in blocks of KC so the B block (KC x 8) stays in L1 and the A block
// (M x KC) in L2. Tiles go to a padded C scratch, copied to C (with bias and relu) at the end.
// Pointers are byte offsets into this module's memory; the caller (src/wasm.ts) lays them out.

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;

/** Where free memory starts (after this module's static data); the caller's scratch goes above. */
export function heapBase(): usize {
  return __heap_base;
}

/** Bytes of scratch `gemm` needs at `work` for an M x N x K product. */
export function workBytes(m: i32, n: i32, k: i32): i32 {
  const mp = (m + MR - 1) & ~(MR - 1);
  const np = (n + NR - 1) & ~(NR - 1);
  return (mp * k + np * k + mp * np) << 2;
}

// A panel ip holds rows ip*4 .. ip*4+3, laid out p-major: [p][r], 16 bytes per p.
function packA(a: usize, ra: i32, ca: i32, m: i32, k: i32, dst: usize): void {
  const mp = (m + MR - 1) & ~(MR - 1);
  for (let i0 = 0; i0 < mp; i0 += MR) {
    const panel = dst + (<usize>(i0 * k) << 2);
    if (i0 + MR <= m) {
      const r0 = a + (<usize>(i0 * ra) << 2);
      const r1 = r0 + (<usize>ra << 2);
      const r2 = r1 + (<usize>ra << 2);
      const r3 = r2 + (<usize>ra << 2);
      if (ra == 1) {
        // transposed A: the four rows of one p are adjacent
        for (let p = 0; p < k; p++) {
          const off = <usize>(p * ca) << 2;
          v128.store(panel + (<usize>p << 4), v128.load(r0 + off));
        }
      } else {
        for (let p = 0; p < k; p++) {
          const off = <usize>(p * ca) << 2;
          const d = panel + (<usize>p << 4);
          store<f32>(d, load<f32>(r0 + off));
          store<f32>(d, load<f32>(r1 + off), 4);
          store<f32>(d, load<f32>(r2 + off), 8);
          store<f32>(d, load<f32>(r3 + off), 12);
        }
      }
    } else {
      for (let p = 0; p < k; p++) {
        const d = panel + (<usize>p << 4);
        for (let r = 0; r < MR; r++) {
          const i = i0 + r;
          const v: f32 = i < m ? load<f32>(a + (<usize>(i * ra + p * ca) << 2)) : 0;
          store<f32>(d + (<usize>r << 2), v);
        }
      }
    }
  }
}

// A panel jp holds columns jp*8 .. jp*8+7, laid out p-major: [p][c], 32 bytes per p.
function packB(b: usize, rb: i32, cb: i32, n: i32, k: i32, dst: usize): void {
  const np = (n + NR - 1) & ~(NR - 1);
  for (let j0 = 0; j0 < np; j0 += NR) {
    const panel = dst + (<usize>(j0 * k) << 2);
    if (j0 + NR <= n && cb == 1) {
      // B's rows are contiguous: two vector copies per p
      const src = b + (<usize>j0 << 2);
      for (let p = 0; p < k; p++) {
        const s = src + (<usize>(p * rb) << 2);
        const d = panel + (<usize>p << 5);
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      }
    } else if (j0 + NR <= n) {
      const cs = <usize>cb << 2;
      const c0 = b + (<usize>(j0 * cb) << 2);
      for (let p = 0; p < k; p++) {
        const s = c0 + (<usize>(p * rb) << 2);
        const d = panel + (<usize>p << 5);
        store<f32>(d, load<f32>(s));
        store<f32>(d, load<f32>(s + cs), 4);
        store<f32>(d, load<f32>(s + 2 * cs), 8);
        store<f32>(d, load<f32>(s + 3 * cs), 12);
        store<f32>(d, load<f32>(s + 4 * cs), 16);
        store<f32>(d, load<f32>(s + 5 * cs), 20);
        store<f32>(d, load<f32>(s + 6 * cs), 24);
        store<f32>(d, load<f32>(s + 7 * cs), 28);
      }
    } else {
      for (let p = 0; p < k; p++) {
        const d = panel + (<usize>p << 5);
        for (let c = 0; c < NR; c++) {
          const j = j0 + c;
          const v: f32 = j < n ? load<f32>(b + (<usize>(p * rb + j * cb) << 2)) : 0;
          store<f32>(d + (<usize>c << 2), v);
        }
      }
    }
  }
}

/**
 * C (dense M x N at `c`) = op(A) op(B), then + bias[j] when `flags & 1`, then relu when
 * `flags & 2` (NaN stays NaN, -0 becomes 0: the CPU backend's relu). `work` points at
 * workBytes(m, n, k) bytes of scratch, 16-byte aligned.
 */
export function gemm(a: usize, ra: i32, ca: i32, b: usize, rb: i32, cb: i32, c: usize, m: i32, n: i32, k: i32, bias: usize, flags: i32, work: usize): void {
  const mp = (m + MR - 1) & ~(MR - 1);
  const np = (n + NR - 1) & ~(NR - 1);
  const pa = work;
  const pb = pa + (<usize>(mp * k) << 2);
  const pc = pb + (<usize>(np * k) << 2);
  const rowC = <usize>np << 2; // bytes per row of the padded C
  packA(a, ra, ca, m, k, pa);
  packB(b, rb, cb, n, k, pb);
  if (k == 0) memory.fill(pc, 0, <usize>(mp * np) << 2);
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    for (let j0 = 0; j0 < np; j0 += NR) {
      const bBlock = pb + (<usize>(j0 * k + k0 * NR) << 2);
      for (let i0 = 0; i0 < mp; i0 += MR) {
        let ap = pa + (<usize>(i0 * k + k0 * MR) << 2);
        let bp = bBlock;
        const t = pc + <usize>i0 * rowC + (<usize>j0 << 2);
        let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
        if (k0 == 0) {
          c00 = f32x4.splat(0); c01 = c00; c10 = c00; c11 = c00;
          c20 = c00; c21 = c00; c30 = c00; c31 = c00;
        } else {
          c00 = v128.load(t); c01 = v128.load(t, 16);
          c10 = v128.load(t + rowC); c11 = v128.load(t + rowC, 16);
          c20 = v128.load(t + 2 * rowC); c21 = v128.load(t + 2 * rowC, 16);
          c30 = v128.load(t + 3 * rowC); c31 = v128.load(t + 3 * rowC, 16);
        }
        const end = ap + (<usize>kc << 4);
        while (ap < end) {
          const b0 = v128.load(bp);
          const b1 = v128.load(bp, 16);
          const a0 = v128.load32_splat(ap);
          const a1 = v128.load32_splat(ap, 4);
          const a2 = v128.load32_splat(ap, 8);
          const a3 = v128.load32_splat(ap, 12);
          c00 = f32x4.add(c00, f32x4.mul(a0, b0));
          c01 = f32x4.add(c01, f32x4.mul(a0, b1));
          c10 = f32x4.add(c10, f32x4.mul(a1, b0));
          c11 = f32x4.add(c11, f32x4.mul(a1, b1));
          c20 = f32x4.add(c20, f32x4.mul(a2, b0));
          c21 = f32x4.add(c21, f32x4.mul(a2, b1));
          c30 = f32x4.add(c30, f32x4.mul(a3, b0));
          c31 = f32x4.add(c31, f32x4.mul(a3, b1));
          ap += 16;
          bp += 32;
        }
        v128.store(t, c00); v128.store(t, c01, 16);
        v128.store(t + rowC, c10); v128.store(t + rowC, c11, 16);
        v128.store(t + 2 * rowC, c20); v128.store(t + 2 * rowC, c21, 16);
        v128.store(t + 3 * rowC, c30); v128.store(t + 3 * rowC, c31, 16);
      }
    }
  }
  // padded C -> dense C, with the bias and relu
  const hasBias = (flags & 1) != 0;
  const relu = (flags & 2) != 0;
  for (let i = 0; i < m; i++) {
    const src = pc + <usize>i * rowC;
    const dst = c + (<usize>(i * n) << 2);
    for (let j = 0; j < n; j++) {
      let v = load<f32>(src + (<usize>j << 2));
      if (hasBias) v += load<f32>(bias + (<usize>j << 2));
      if (relu && !(v > 0) && v == v) v = 0;
      store<f32>(dst + (<usize>j << 2), v);
    }
  }
}
