import '@tsgrad/backend-cpu';
import { describe, expect, it } from 'vitest';
import { Tensor, ValueError, arange, dispose, keep, tensor, tidy, memory } from '@tsgrad/core';
import { DataLoader, parity, ring, threeModes, xor, twoMoons, spirals, quadratic, THREE_MODES_CENTERS } from '../src/index.js';

const rows = (x: ArrayLike<number>, d: number) => Array.from({ length: x.length / d }, (_, i) => Array.from(x).slice(i * d, (i + 1) * d));
const countOnes = (y: ArrayLike<number>) => Array.from(y).filter((v) => v === 1).length;

describe('classification sets', () => {
  it('parity: shapes, dtypes, values in [-1, 1], label = odd count of positive pixels, balanced', () => {
    for (const kind of ['binary', 'greyscale'] as const) {
      const { x, y, yFloat } = parity({ n: 501, pixels: 6, seed: 3, kind });
      expect(x.shape).toEqual([501, 6]);
      expect(x.dtype).toBe('float32');
      expect(y.shape).toEqual([501]);
      expect(y.dtype).toBe('int32');
      expect(yFloat.shape).toEqual([501, 1]);
      const labels = y.dataSync();
      const images = rows(x.dataSync(), 6);
      images.forEach((img, i) => {
        for (const v of img) {
          expect(Math.abs(v)).toBeLessThanOrEqual(1);
          expect(v).not.toBe(0);
          if (kind === 'binary') expect(Math.abs(v)).toBe(1);
        }
        expect(labels[i]).toBe(img.filter((v) => v > 0).length % 2);
      });
      expect(countOnes(labels)).toBe(251);
      expect(Array.from(yFloat.dataSync())).toEqual(Array.from(labels));
    }
  });

  it('parity covers many different images of both parities', () => {
    const { x } = parity({ n: 400, pixels: 6, seed: 1 });
    const distinct = new Set(rows(x.dataSync(), 6).map((r) => r.join()));
    expect(distinct.size).toBeGreaterThan(50); // 64 possible
  });

  it('ring: label 1 exactly when 1 <= ||x|| <= 2, half of each', () => {
    const { x, y } = ring({ n: 1000, seed: 2 });
    expect(x.shape).toEqual([1000, 2]);
    const labels = y.dataSync();
    rows(x.dataSync(), 2).forEach(([a, b], i) => {
      const r = Math.hypot(a, b);
      expect(labels[i]).toBe(r >= 1 && r <= 2 ? 1 : 0);
      expect(Math.abs(a)).toBeLessThanOrEqual(3);
      expect(Math.abs(b)).toBeLessThanOrEqual(3);
    });
    expect(countOnes(labels)).toBe(500);
    // Class 0 holds both the inside (r < 1) and the outside (r > 2) of the ring.
    const radii = rows(x.dataSync(), 2).map(([a, b]) => Math.hypot(a, b));
    expect(radii.filter((r) => r < 1).length).toBeGreaterThan(20);
    expect(radii.filter((r) => r > 2).length).toBeGreaterThan(200);
  });

  it('threeModes: class 1 near one of three centres, class 0 away from all, every blob used', () => {
    const std = 0.3;
    const { x, y } = threeModes({ n: 900, seed: 4, std });
    const labels = y.dataSync();
    const perBlob = [0, 0, 0];
    rows(x.dataSync(), 2).forEach(([a, b], i) => {
      const d = THREE_MODES_CENTERS.map(([cx, cy]) => Math.hypot(a - cx, b - cy));
      const near = Math.min(...d);
      expect(labels[i]).toBe(near <= 3 * std ? 1 : 0);
      if (labels[i] === 1) perBlob[d.indexOf(near)]++;
      expect(Math.abs(a)).toBeLessThanOrEqual(3);
    });
    expect(countOnes(labels)).toBe(450);
    for (const c of perBlob) expect(c).toBeGreaterThan(100);
  });

  it('xor: label 1 when the coordinates have opposite signs', () => {
    const { x, y } = xor({ n: 300, seed: 5 });
    const labels = y.dataSync();
    rows(x.dataSync(), 2).forEach(([a, b], i) => expect(labels[i]).toBe(a > 0 !== b > 0 ? 1 : 0));
    expect(countOnes(labels)).toBeGreaterThan(100);
    expect(countOnes(labels)).toBeLessThan(200);
  });

  it('twoMoons without noise lies on the two half circles', () => {
    const { x, y } = twoMoons({ n: 200, noise: 0, seed: 6 });
    const labels = y.dataSync();
    rows(x.dataSync(), 2).forEach(([a, b], i) => {
      const [cx, cy] = labels[i] === 0 ? [0, 0] : [1, 0.5];
      expect(Math.hypot(a - cx, b - cy)).toBeCloseTo(1, 5);
      if (labels[i] === 0) expect(b).toBeGreaterThanOrEqual(0);
      else expect(b).toBeLessThanOrEqual(0.5 + 1e-6);
    });
    expect(countOnes(labels)).toBe(100);
  });

  it('spirals without noise: radius s and angle 2π·turns·s + kπ', () => {
    const turns = 2;
    const { x, y } = spirals({ n: 200, turns, seed: 7, dtype: 'float64' });
    expect(x.dtype).toBe('float64');
    const labels = y.dataSync();
    rows(x.dataSync(), 2).forEach(([a, b], i) => {
      const s = Math.hypot(a, b);
      const angle = 2 * Math.PI * turns * s + labels[i] * Math.PI;
      expect(a).toBeCloseTo(s * Math.cos(angle), 10);
      expect(b).toBeCloseTo(s * Math.sin(angle), 10);
    });
    expect(countOnes(labels)).toBe(100);
  });

  it('the same seed gives the same data; another seed other data', () => {
    for (const make of [parity, ring, threeModes, xor, twoMoons, spirals] as ((o: { n: number; seed: number }) => { x: { dataSync(): ArrayLike<number> } })[]) {
      const a = Array.from(make({ n: 50, seed: 11 }).x.dataSync());
      const b = Array.from(make({ n: 50, seed: 11 }).x.dataSync());
      const c = Array.from(make({ n: 50, seed: 12 }).x.dataSync());
      expect(b).toEqual(a);
      expect(c).not.toEqual(a);
    }
  });

  it('refuses bad options', () => {
    expect(() => parity({ n: 0 })).toThrow(/parity: n must be an integer >= 2, got 0/);
    expect(() => parity({ pixels: 2.5 })).toThrow(/pixels must be an integer >= 1/);
    expect(() => parity({ kind: 'colour' as 'binary' })).toThrow(/kind/);
    expect(() => ring({ n: 1.5 })).toThrow(ValueError);
    expect(() => ring({ extent: 1 })).toThrow(/extent/);
    expect(() => threeModes({ std: 2 })).toThrow(/std must be in \(0, 0.4\]/);
    expect(() => twoMoons({ noise: -1 })).toThrow(/noise/);
    expect(() => spirals({ turns: 0 })).toThrow(/turns/);
    expect(() => xor({ dtype: 'int32' as 'float32' })).toThrow(/dtype/);
  });
});

describe('quadratic', () => {
  it('x uniform in [low, high), y = 8x² + 7x + 3 + noise, all [n, 1]', () => {
    const { x, y, yClean } = quadratic({ seed: 0 });
    expect(x.shape).toEqual([1000, 1]);
    expect(y.shape).toEqual([1000, 1]);
    expect(yClean.shape).toEqual([1000, 1]);
    const xs = x.dataSync();
    const ys = y.dataSync();
    const cs = yClean.dataSync();
    const noise: number[] = [];
    for (let i = 0; i < 1000; i++) {
      expect(xs[i]).toBeGreaterThanOrEqual(-15);
      expect(xs[i]).toBeLessThan(15);
      expect(cs[i]).toBeCloseTo(8 * xs[i] * xs[i] + 7 * xs[i] + 3, 2);
      noise.push(ys[i] - cs[i]);
    }
    const mean = noise.reduce((s, v) => s + v, 0) / noise.length;
    const sd = Math.sqrt(noise.reduce((s, v) => s + (v - mean) ** 2, 0) / noise.length);
    expect(Math.abs(mean)).toBeLessThan(0.15);
    expect(sd).toBeGreaterThan(0.9);
    expect(sd).toBeLessThan(1.1);
    expect(Math.min(...xs)).toBeLessThan(-14);
    expect(Math.max(...xs)).toBeGreaterThan(14);
  });
  it('honours n, range, noise and refuses an empty range', () => {
    const { x, y, yClean } = quadratic({ n: 10, low: 0, high: 1, noiseStd: 0, seed: 1, dtype: 'float64' });
    expect(Array.from(y.dataSync())).toEqual(Array.from(yClean.dataSync()));
    for (const v of x.dataSync()) expect(v >= 0 && v < 1).toBe(true);
    expect(() => quadratic({ low: 1, high: 1 })).toThrow(/high must be a finite number above low \(1\)/);
  });
});

describe('DataLoader', () => {
  const dataset = () => ({ x: arange(0, 10, 1, { dtype: 'float32' }).reshape([10, 1]), y: arange(0, 10) });

  it('without shuffle yields the samples in order, the last batch short', () => {
    const loader = new DataLoader(dataset(), { batchSize: 4 });
    expect(loader.length).toBe(3);
    // Array.from's map runs on each batch before the next is requested (which frees it).
    const seen = Array.from(loader, (b) => Array.from(b.y.dataSync()));
    expect(seen).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it('with shuffle covers every index exactly once per epoch, x and y staying paired', () => {
    const loader = new DataLoader(dataset(), { batchSize: 3, shuffle: true, seed: 1 });
    const epochs: number[][] = [];
    for (let e = 0; e < 3; e++) {
      const order: number[] = [];
      for (const { x, y } of loader) {
        expect(x.shape[1]).toBe(1);
        expect(Array.from(x.dataSync())).toEqual(Array.from(y.dataSync()));
        order.push(...Array.from(y.dataSync()));
      }
      expect([...order].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      epochs.push(order);
    }
    expect(epochs[1]).not.toEqual(epochs[0]);
    // The same seed replays the same sequence of epochs.
    const again = new DataLoader(dataset(), { batchSize: 3, shuffle: true, seed: 1 });
    expect(Array.from(again, (b) => Array.from(b.y.dataSync())).flat()).toEqual(epochs[0]);
  });

  it('dropLast drops the short batch', () => {
    const loader = new DataLoader(dataset(), { batchSize: 4, shuffle: true, dropLast: true });
    expect(loader.length).toBe(2);
    expect(Array.from(loader, (b) => b.x.shape[0])).toEqual([4, 4]);
  });

  it('a batch of the whole set can be disposed without freeing the dataset, and epochs leak nothing', () => {
    const data = dataset();
    for (const shuffle of [false, true]) {
      const loader = new DataLoader(data, { batchSize: 10, shuffle });
      for (const b of loader) {
        b.x.dispose();
        b.y.dispose();
      }
      expect(data.x.dataSync().length).toBe(10);
      tidy(() => data.x.add(1)); // core caches the constant 1 on first use
      const before = memory().buffers;
      for (const b of loader) {
        tidy(() => {
          b.x.add(1).sum();
        });
        dispose(b);
      }
      expect(memory().buffers).toBe(before);
    }
  });

  describe('frees the batches it hands out', () => {
    // memory().buffers counts the cpu backend's live buffers. Each batch of a shuffled loader is
    // made by indexSelect and each unshuffled one by slice: both new buffers, which only dispose()
    // frees in a synchronous loop (the garbage collector's finalizers never get to run in one).
    const epochs = (loader: DataLoader<{ x: Tensor; y: Tensor }>, n: number, step: (b: { x: Tensor; y: Tensor }) => void) => {
      for (let e = 0; e < n; e++) for (const b of loader) step(b);
    };

    it('N epochs keep the live buffers flat with no tidy around the step', () => {
      const data = dataset();
      for (const shuffle of [false, true]) {
        const loader = new DataLoader(data, { batchSize: 3, shuffle, seed: 2 });
        const before = memory().buffers;
        let peak = 0;
        let total = 0;
        epochs(loader, 20, (b) => {
          total += Array.from(b.y.dataSync()).reduce((a, v) => a + v, 0);
          peak = Math.max(peak, memory().buffers - before);
        });
        // 20 epochs of the labels 0..9; at most one batch (x and y) and the epoch's order alive at once.
        expect(total).toBe(20 * 45);
        expect(peak).toBeLessThanOrEqual(shuffle ? 3 : 2);
        expect(memory().buffers).toBe(before);
        expect(Array.from(data.x.dataSync())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      }
    });

    it('N epochs keep the live buffers flat with a training step in tidy', () => {
      const data = dataset();
      const w = tensor([[0.5]]).requiresGrad_();
      const loader = new DataLoader(data, { batchSize: 4, shuffle: true, seed: 3 });
      const step = (b: { x: Tensor; y: Tensor }) =>
        tidy(() => {
          // Tensor-only ops: no number constants, whose cache is core's business.
          b.x.matmul(w).sub(b.y.cast('float32').reshape([-1, 1])).square().sum().backward();
        });
      epochs(loader, 1, step); // the first backward gives w its .grad buffer
      const before = memory().buffers;
      epochs(loader, 20, step);
      expect(memory().buffers).toBe(before);
      // d/dw sum((x w - y)^2) = sum(2 x (x w - y)) with y = x = 0..9: 2 (w - 1) sum(x^2) = -285 per epoch.
      expect(w.grad!.item()).toBeCloseTo(21 * -285, 6);
    });

    it('each batch is freed when the next is requested, the last when the iteration ends', () => {
      const loader = new DataLoader(dataset(), { batchSize: 4 });
      const it = loader[Symbol.iterator]();
      const first = it.next().value!;
      expect(Array.from(first.y.dataSync())).toEqual([0, 1, 2, 3]);
      const second = it.next().value!;
      expect(first.x.isDisposed && first.y.isDisposed).toBe(true);
      expect(Array.from(second.y.dataSync())).toEqual([4, 5, 6, 7]);
      const third = it.next().value!;
      expect(it.next().done).toBe(true);
      expect(third.x.isDisposed && third.y.isDisposed).toBe(true);
    });

    it('break and an exception in the loop body free the current batch and the epoch order', () => {
      const loader = new DataLoader(dataset(), { batchSize: 4, shuffle: true });
      const before = memory().buffers;
      let seen: { x: Tensor; y: Tensor } | undefined;
      for (const b of loader) {
        seen = b;
        break;
      }
      expect(seen!.x.isDisposed && seen!.y.isDisposed).toBe(true);
      expect(memory().buffers).toBe(before);
      expect(() => {
        for (const b of loader) {
          seen = b;
          throw new Error('step failed');
        }
      }).toThrow('step failed');
      expect(seen!.x.isDisposed && seen!.y.isDisposed).toBe(true);
      expect(memory().buffers).toBe(before);
    });

    it('a batch the user keep()s survives the loader (and an enclosing tidy) until disposed by hand', () => {
      const loader = new DataLoader(dataset(), { batchSize: 4 });
      const before = memory().buffers;
      const keptInTidy: Tensor[] = [];
      tidy(() => {
        for (const b of loader) {
          keptInTidy.push(keep(b.y));
          b.x.add(b.x);
        }
      });
      const collected = Array.from(loader, (b) => ({ x: b.x, y: keep(b.y) }));
      // y was kept: its values survive; x was not: freed with its batch.
      for (const ys of [keptInTidy, collected.map((b) => b.y)]) {
        expect(ys.map((y) => Array.from(y.dataSync()))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
      }
      expect(collected.every((b) => b.x.isDisposed)).toBe(true);
      expect([...keptInTidy, ...collected.map((b) => b.y)].some((y) => y.isDisposed)).toBe(false);
      // An unshuffled loader's batches are slices, views of the dataset's storage (no copy): the
      // six kept batches hold no buffer of their own, and disposing them frees nothing shared.
      expect(memory().buffers - before).toBe(0);
      dispose([keptInTidy, collected]);
      expect(memory().buffers).toBe(before);
    });
  });

  it('refuses bad options and mismatched tensors', () => {
    expect(() => new DataLoader(dataset(), { batchSize: 0 })).toThrow(/batchSize must be an integer >= 1, got 0/);
    expect(() => new DataLoader(dataset(), { batchSize: 2.5 })).toThrow(ValueError);
    expect(() => new DataLoader({ x: tensor([1, 2, 3]), y: tensor([1, 2]) })).toThrow(/x has 3 \(shape \[3\]\), y has 2 \(shape \[2\]\)/);
    expect(() => new DataLoader({})).toThrow(/no tensors/);
    expect(() => new DataLoader({ x: tensor(1) })).toThrow(/scalar/);
  });
});
