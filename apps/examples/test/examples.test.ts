import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TABLE_WIDTH, activationPlot, activationValues, chainShapes, collapseWithoutActivation } from '../src/activations.js';
import { additionGraph, formatGraph, sigmoidGate } from '../src/backprop.js';
import { runClassifiers, formatTable } from '../src/classifiers.js';
import { fittedCurve, runRegression, writePlots } from '../src/regression.js';

describe('regression: the lecture practice program', () => {
  it('takes the L1 loss from about 600 to below 100 within 5000 epochs (default seed), and plots it', async () => {
    const { losses, model, x, y } = runRegression();
    expect(losses).toHaveLength(5000);
    expect(losses[0]).toBeGreaterThan(550);
    expect(losses[0]).toBeLessThan(650);
    expect(Math.min(...losses.slice(-100))).toBeLessThan(100);
    expect(losses[losses.length - 1]).toBeLessThan(100);
    const dir = mkdtempSync(join(tmpdir(), 'regression-'));
    const fit = fittedCurve(model, x, y);
    const files = await writePlots(dir, losses, fit);
    expect(files.map((f) => f.replace(dir, ''))).toEqual(['/regression-loss.svg', '/regression-loss.png', '/regression-fit.svg', '/regression-fit.png']);
    expect(readFileSync(files[0], 'utf8')).toMatch(/class="mark-line role-mark[^"]*"[^>]*>\s*<path/);
    expect(readFileSync(files[3]).subarray(1, 4).toString()).toBe('PNG');
    // The fitted curve follows the data: mean absolute error of the prediction well below the data's spread.
    const mae = fit.prediction.reduce((s, p, i) => s + Math.abs(p - fit.y[i]), 0) / fit.y.length;
    expect(mae).toBeLessThan(100);
  }, 120_000);
});

describe('classifiers: the hard cases for a linear classifier', () => {
  it('the MLP separates all three while the linear classifier stays near chance on ring and parity', () => {
    const results = runClassifiers();
    const acc = (problem: string, model: string) => results.find((r) => r.problem === problem && r.model === model)!.testAccuracy;
    expect(acc('ring', 'mlp')).toBeGreaterThanOrEqual(0.95);
    expect(acc('threeModes', 'mlp')).toBeGreaterThanOrEqual(0.95);
    expect(acc('parity', 'mlp')).toBeGreaterThanOrEqual(0.9);
    expect(Math.abs(acc('ring', 'linear') - 0.5)).toBeLessThan(0.1);
    expect(Math.abs(acc('parity', 'linear') - 0.5)).toBeLessThan(0.1);
    expect(formatTable(results)).toMatch(/parity \(2 greyscale pixels\)/);
  }, 300_000);
});

describe('classifiers: the command', () => {
  it('shows each model\'s progress by epoch (from 0, as the lecture counts) and writes its plots', () => {
    const out = mkdtempSync(join(tmpdir(), 'classifiers-'));
    const text = execFileSync(process.execPath, [join(import.meta.dirname, '..', 'dist', 'classifiers.js'), '--epochs', '3', '--out', out], { encoding: 'utf8' });
    expect(text.match(/^epoch 0\/3 {2}loss [\d.]+/gm)).toHaveLength(6);
    expect(text.match(/^epoch 2\/3 {2}loss [\d.]+/gm)).toHaveLength(6);
    expect(text).toMatch(/^ring: class 1 when 1 <= \|x\| <= 2, MLP \(32-32 tanh\):$/m);
    const names = ['accuracy', 'parity-linear', 'parity-mlp', 'ring-linear', 'ring-mlp', 'threeModes-linear', 'threeModes-mlp'];
    for (const n of names) {
      expect(readFileSync(join(out, `classifiers-${n}.png`)).subarray(1, 4).toString()).toBe('PNG');
      expect(readFileSync(join(out, `classifiers-${n}.svg`), 'utf8')).toMatch(/^<svg/);
    }
  }, 120_000);
});

describe('regression: the command', () => {
  it('piped output numbers epochs from 0 every 100, as the lecture prints them', () => {
    const text = execFileSync(process.execPath, [join(import.meta.dirname, '..', 'dist', 'regression.js'), '--epochs', '300', '--out', mkdtempSync(join(tmpdir(), 'reg-'))], { encoding: 'utf8' });
    expect(text.match(/^epoch \d+/gm)).toEqual(['epoch 0', 'epoch 100', 'epoch 200', 'epoch 299']);
  }, 120_000);
});

describe('backprop: the computational graphs', () => {
  it('prints every node with its value and gradient', () => {
    const add = formatGraph('f', additionGraph().graph);
    expect(add).toMatch(/^q\s+add\s+3\s+-4\s*$/m);
    expect(add).toMatch(/^z\s+input\s+-4\s+3\s*$/m);
    expect(add).toMatch(/^f\s+mul\s+-12\s+1\s*$/m);
    const gate = sigmoidGate();
    expect(gate.output.item()).toBeCloseTo(0.7311, 4);
    const byLabel = new Map(gate.graph.nodes.map((n) => [n.label, n.grad![0]]));
    expect(byLabel.get('w0')).toBeCloseTo(-0.1966, 4);
    expect(byLabel.get('x0')).toBeCloseTo(0.3932, 4);
    expect(byLabel.get('w1')).toBeCloseTo(-0.3932, 4);
    expect(byLabel.get('x1')).toBeCloseTo(-0.5898, 4);
    expect(byLabel.get('w2')).toBeCloseTo(0.1966, 4);
    // Every node is named as on the lecture's slide (no internal ids), with the local gradients
    // of the slide's gates: 1/x → -1/x² at x = 1.3679 gives -0.5344; e^x passes it times e^-1.
    expect(gate.graph.nodes.every((n) => n.label !== undefined)).toBe(true);
    expect(byLabel.get('1 + e^(-w·x)')).toBeCloseTo(-1 / (1 + Math.exp(-1)) ** 2, 4);
    expect(byLabel.get('e^(-w·x)')).toBeCloseTo(-0.5344, 4);
    expect(byLabel.get('-w·x')).toBeCloseTo(-0.1966, 4);
    expect(byLabel.get('w·x')).toBeCloseTo(0.1966, 4);
    expect(formatGraph('gate', gate.graph)).not.toMatch(/^t\d+\s/m);
  });
});

describe('regression --live', () => {
  it('streams the loss and the fitted curve to a running dashboard while it trains', async () => {
    const { startServer } = await import('@tsgrad/plot');
    const { spawn } = await import('node:child_process');
    const server = await startServer({ port: 0, log: () => undefined });
    try {
      const out = mkdtempSync(join(tmpdir(), 'regression-live-'));
      const script = join(import.meta.dirname, '..', 'dist', 'regression.js');
      const child = spawn(process.execPath, [script, '--epochs', '300', '--live', '--out', out], {
        env: { ...process.env, TSGRAD_PLOT_URL: server.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code, output).toBe(0);
      const env = server.envs.get('regression');
      expect(env, 'the dashboard received the regression environment').toBeDefined();
      const loss = env!.windows.get('loss')!;
      const fit = env!.windows.get('fit')!;
      expect(loss.traces.get('L1 loss')!.length).toBe(300);
      expect([...fit.traces.keys()].sort()).toEqual(['data', 'model']);
      expect(output).not.toMatch(/not running|unreachable/i);
    } finally {
      await server.close();
    }
  }, 120_000);
});

describe('activations: the lecture table, the collapse without activations, chained shapes', () => {
  it('gives each row its exact values at -1, -0.5, 0, 0.5, 1 (the conventions at 0 included)', () => {
    const byName = new Map(activationValues().map((r) => [r.name, r.values]));
    expect(byName.get('unit step (Heaviside)')).toEqual([0, 0, 0.5, 1, 1]);
    expect(byName.get('sign (signum)')).toEqual([-1, -1, 0, 1, 1]);
    expect(byName.get('linear')).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(byName.get('piece-wise linear')).toEqual([0, 0, 0.5, 1, 1]);
    expect(byName.get('ReLU')).toEqual([0, 0, 0, 0.5, 1]);
    byName.get('logistic (sigmoid)')!.forEach((v, i) => expect(v).toBeCloseTo(1 / (1 + Math.exp(-[-1, -0.5, 0, 0.5, 1][i])), 6));
    byName.get('hyperbolic tangent')!.forEach((v, i) => expect(v).toBeCloseTo(Math.tanh([-1, -0.5, 0, 0.5, 1][i]), 6));
    expect(activationPlot().toSpec()).toMatchObject({ mark: expect.anything() });
  });

  it('the printed output fits a 100-column terminal, every row of the table present', () => {
    const out = execFileSync(process.execPath, [join(import.meta.dirname, '..', 'dist', 'activations.js'), '--out', mkdtempSync(join(tmpdir(), 'act-'))], { encoding: 'utf8' });
    const long = out.split('\n').filter((l) => [...l].length > TABLE_WIDTH);
    expect(long).toEqual([]);
    for (const r of activationValues()) expect(out).toContain(r.name);
    expect(out).toMatch(/^unit step \(Heaviside\)\s+0\s+0\s+0\.5\s+1\s+1$/m);
  });

  it('three Linear layers without activations equal one Linear layer', () => {
    expect(collapseWithoutActivation()).toBeLessThan(1e-5);
  });

  it('prints the shapes through a chain of layers', () => {
    expect(chainShapes()).toEqual([
      'input [3,4]',
      'after 0 Linear (weight [4,4], applied as x · Wᵀ): [3,4]',
      'after 1 ReLU: [3,4]',
      'after 2 Linear (weight [2,4], applied as x · Wᵀ): [3,2]',
    ]);
  });
});
