import '@tsgrad/backend-wasm';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMnist, seededPermutation } from '../src/mnist-data.js';
import { mnistModel, trainMnist, writeMnistPlots } from '../src/mnist.js';

describe('mnist: the split of the mnist package digits', () => {
  it('is the permutation the PyTorch reference script draws (values printed by reference/mnist_reference.py)', () => {
    const p = seededPermutation(10000, 0);
    expect(Array.from(p.subarray(0, 8))).toEqual([2266, 9975, 8652, 267, 4563, 1917, 3293, 4266]);
    expect(Array.from(p.subarray(-3))).toEqual([2232, 3, 2664]);
    expect(Array.from(seededPermutation(10, 7))).toEqual([6, 5, 8, 1, 2, 3, 4, 7, 9, 0]);
    expect(new Set(p).size).toBe(10000);
  });

  it('holds 8,000 training and 2,000 test digits of every class, pixels in [0, 1]', () => {
    const { train, test } = loadMnist();
    expect([train.count, test.count]).toEqual([8000, 2000]);
    expect(train.images.length).toBe(8000 * 784);
    for (const d of [train, test]) {
      const perClass = new Array<number>(10).fill(0);
      for (const l of d.labels) perClass[l]++;
      // Each class is 8.6-11.3% of the package's digits; a shuffled 2,000 keeps every class well present.
      expect(Math.min(...perClass)).toBeGreaterThan(d.count * 0.06);
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of test.images) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBe(0);
    expect(hi).toBeLessThanOrEqual(1);
  });
});

describe('mnist: the CNN', () => {
  it('has the documented architecture: 1x28x28 in, 10 scores out, 207,018 parameters', () => {
    const model = mnistModel();
    // conv 1·16·9+16, bn 2·16, conv 16·32·9+32, bn 2·32, linear 1568·128+128, linear 128·10+10
    const expected = 160 + 32 + 4640 + 64 + 200832 + 1290;
    expect(model.parameters().reduce((n, p) => n + p.size, 0)).toBe(expected);
  });

  it('learns from a short run on wasm: the loss falls, test accuracy is far above chance, the plots are PNG', async () => {
    const run = trainMnist({ epochs: 1, trainLimit: 64 * 12, backend: 'wasm' });
    expect(run.losses).toHaveLength(12);
    // The first loss is near ln 10 = 2.30 (untrained scores); 12 Adam steps bring it well down.
    expect(run.losses[0]).toBeGreaterThan(1.8);
    expect(run.losses[0]).toBeLessThan(3);
    expect(Math.max(...run.losses.slice(-3))).toBeLessThan(run.losses[0] * 0.8);
    const accuracy = run.epochs[0]!.accuracy;
    expect(accuracy).toBeGreaterThan(0.4);
    // The confusion matrix counts every test digit once; its diagonal is the accuracy.
    const total = run.confusion.flat().reduce((a, b) => a + b, 0);
    const right = run.confusion.reduce((s, row, i) => s + row[i]!, 0);
    expect(total).toBe(2000);
    expect(right / 2000).toBeCloseTo(accuracy, 10);
    expect(run.mistakes).toHaveLength(2000 - right);
    const dir = mkdtempSync(join(tmpdir(), 'mnist-'));
    const files = await writeMnistPlots(dir, run);
    expect(files.map((f) => f.replace(dir, ''))).toEqual(['/mnist-loss.png', '/mnist-accuracy.png', '/mnist-confusion.png', '/mnist-misclassified.png']);
    for (const f of files) expect(readFileSync(f).subarray(1, 4).toString()).toBe('PNG');
  }, 300_000);
});
