/**
 * One named trace of a line or scatter window. Appends are amortised O(1): the values live in
 * typed arrays that double when full, and a decimated view (what is drawn) is maintained
 * incrementally, so a series of millions of points draws as a few thousand.
 */
export class Series {
  private xs = new Float64Array(64);
  private ys = new Float64Array(64);
  private n = 0;
  // Line traces keep M4 buckets (first, last, min, max index of each run of `width` points), which
  // preserves the visible envelope; scatter traces keep every `stride`-th point.
  private buckets: Int32Array;
  private bucketCount = 0;
  private width = 1;
  private kept: number[] = [];
  private stride = 1;

  constructor(readonly mode: 'line' | 'scatter', readonly maxBuckets = 500) {
    this.buckets = new Int32Array(4 * (maxBuckets + 1));
  }

  get length(): number {
    return this.n;
  }

  clear(): void {
    // New arrays rather than overwriting: a snapshot() taken before keeps its points.
    this.xs = new Float64Array(64);
    this.ys = new Float64Array(64);
    this.n = 0;
    this.bucketCount = 0;
    this.width = 1;
    this.kept = [];
    this.stride = 1;
  }

  append(x: ArrayLike<number>, y: ArrayLike<number>): void {
    for (let i = 0; i < y.length; i++) this.push(x[i]!, y[i]!);
  }

  private push(x: number, y: number): void {
    if (this.n === this.xs.length) {
      const nx = new Float64Array(this.n * 2);
      nx.set(this.xs);
      this.xs = nx;
      const ny = new Float64Array(this.n * 2);
      ny.set(this.ys);
      this.ys = ny;
    }
    const i = this.n++;
    this.xs[i] = x;
    this.ys[i] = y;
    if (this.mode === 'scatter') {
      if (i % this.stride === 0) {
        this.kept.push(i);
        if (this.kept.length > 4 * this.maxBuckets) {
          this.stride *= 2;
          this.kept = this.kept.filter((k) => k % this.stride === 0);
        }
      }
      return;
    }
    const b = Math.floor(i / this.width);
    const B = this.buckets;
    if (b === this.bucketCount) {
      B[4 * b] = i;
      B[4 * b + 1] = i;
      B[4 * b + 2] = i;
      B[4 * b + 3] = i;
      this.bucketCount++;
      if (this.bucketCount > this.maxBuckets) this.mergePairs();
    } else {
      const o = 4 * b;
      B[o + 1] = i;
      if (y < this.ys[B[o + 2]!]!) B[o + 2] = i;
      if (y > this.ys[B[o + 3]!]!) B[o + 3] = i;
    }
  }

  // Halves the bucket count; runs once each time the series doubles, so it costs O(1) per append.
  private mergePairs(): void {
    const B = this.buckets;
    const ys = this.ys;
    let out = 0;
    for (let b = 0; b < this.bucketCount; b += 2, out++) {
      const a = 4 * b;
      const o = 4 * out;
      if (b + 1 >= this.bucketCount) {
        B.copyWithin(o, a, a + 4);
        continue;
      }
      const c = a + 4;
      const first = B[a]!;
      const last = B[c + 1]!;
      const min = ys[B[c + 2]!]! < ys[B[a + 2]!]! ? B[c + 2]! : B[a + 2]!;
      const max = ys[B[c + 3]!]! > ys[B[a + 3]!]! ? B[c + 3]! : B[a + 3]!;
      B[o] = first;
      B[o + 1] = last;
      B[o + 2] = min;
      B[o + 3] = max;
    }
    this.bucketCount = out;
    this.width *= 2;
  }

  /** Indices of the points to draw, in append order. */
  drawnIndices(): number[] {
    if (this.mode === 'scatter') {
      const out = this.kept.slice();
      if (this.n > 0 && out[out.length - 1] !== this.n - 1) out.push(this.n - 1);
      return out;
    }
    const out: number[] = [];
    const B = this.buckets;
    for (let b = 0; b < this.bucketCount; b++) {
      const q = [B[4 * b]!, B[4 * b + 1]!, B[4 * b + 2]!, B[4 * b + 3]!].sort((u, v) => u - v);
      for (const i of q) if (out[out.length - 1] !== i) out.push(i);
    }
    return out;
  }

  /** The decimated points, at most about 4 × maxBuckets (line) or 4 × maxBuckets + 1 (scatter). */
  drawn(): { x: number[]; y: number[] } {
    const idx = this.drawnIndices();
    return { x: idx.map((i) => this.xs[i]!), y: idx.map((i) => this.ys[i]!) };
  }

  /** Every point, for saving. */
  all(): { x: number[]; y: number[] } {
    return { x: Array.from(this.xs.subarray(0, this.n)), y: Array.from(this.ys.subarray(0, this.n)) };
  }

  /**
   * Every point, as views that later changes never alter, taken in O(1): a point once written is
   * never rewritten (appends write past the end, growth copies into new arrays, clear() starts new
   * ones). What the dashboard's store serialises in the background. Do not write into them.
   */
  snapshot(): { x: Float64Array; y: Float64Array } {
    return { x: this.xs.subarray(0, this.n), y: this.ys.subarray(0, this.n) };
  }

  /** The x that an append without x continues from (Visdom counts from 0). */
  nextX(): number {
    return this.n === 0 ? 0 : this.xs[this.n - 1]! + 1;
  }
}
