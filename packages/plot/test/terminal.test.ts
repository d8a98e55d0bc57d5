import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TrainingMonitor } from '../src/index.js';

function capture(tty: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(w, { isTTY: tty, columns: 100, rows: 40 });
  return { stream: w, text: () => out };
}

describe('TrainingMonitor', () => {
  it('prints plain lines with step, loss, rate and ETA when the output is not a terminal', () => {
    const { stream, text } = capture(false);
    const m = new TrainingMonitor({ total: 100, stream, every: 25 });
    for (let i = 1; i <= 100; i++) m.update(100 / i);
    m.stop();
    const lines = text().trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[1])).toEqual(['1/100', '25/100', '50/100', '75/100', '100/100']);
    expect(lines[1]).toMatch(/^step 25\/100 {2}loss 4\.0000 {2}[\d.]+ it\/s {2}ETA (\d\d:\d\d|--:--)$/);
    expect(text()).not.toMatch(/\x1b\[/);
  });

  it('draws a live chart of the loss above a progress bar with rate and ETA in a terminal', async () => {
    const { stream, text } = capture(true);
    const m = new TrainingMonitor({ total: 50, stream, height: 6 });
    for (let i = 1; i <= 50; i++) m.update(50 / i);
    m.stop();
    const out = text();
    expect(out).toMatch(/\x1b\[/); // redrawn in place
    expect(out).toMatch(/[╭╮╰╯│─┼┤]/); // asciichart's line
    expect(out).toMatch(/100% \| 50\/50 \| [\d.]+ it\/s \| ETA\s+0s \| loss 1\.0000/);
    expect(m.history).toHaveLength(50);
  });

  it('redraws while a synchronous loop runs, not only at 100% (no timer can fire in such a loop)', () => {
    const { stream, text } = capture(true);
    let clock = 0;
    const m = new TrainingMonitor({ total: 100, stream, height: 4, now: () => clock });
    const framesAt: number[] = [];
    for (let i = 1; i <= 100; i++) {
      clock += 20; // 20 ms a step: a redraw every 5 steps at the default 100 ms
      m.update(100 / i);
      if (i === 50) framesAt.push(m.frames, text().length);
    }
    // Half-way, without ever yielding to the event loop, the bar already showed progress.
    expect(framesAt[0]).toBeGreaterThanOrEqual(9);
    // The last frame before step 50 was drawn within 100 ms (5 steps) of it.
    expect(text().slice(0, framesAt[1])).toMatch(/\| 4[5-9]\/100 \|/);
    m.stop();
  });

  it('zero-based epochs: plain lines print the loop index, as the lecture prints epoch 0, 100, ...', () => {
    const { stream, text } = capture(false);
    const m = new TrainingMonitor({ total: 300, stream, every: 100, stepName: 'epoch', zeroBased: true });
    for (let epoch = 0; epoch < 300; epoch++) m.update(1 / (epoch + 1), epoch);
    m.stop();
    expect(text().trim().split('\n').map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['epoch 0/300', 'epoch 100/300', 'epoch 200/300', 'epoch 299/300']);
  });
});
