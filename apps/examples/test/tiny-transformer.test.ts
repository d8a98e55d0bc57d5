import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tensor } from 'tsgrad';
import { describe, expect, it } from 'vitest';
import { proseFromMarkdown, stripCorpusHeader } from '../src/lecture-text.js';
import { CharVocabulary, TinyTransformer, lectureText, meanOfLast, trainTinyTransformer } from '../src/tiny-transformer.js';

describe('lecture text: the tiny transformer\'s corpus', () => {
  it('keeps the prose of a Markdown page and drops front matter, code, includes, HTML, tables and maths', () => {
    const page = [
      '---',
      'title: x',
      '---',
      '# 3. The neuron',
      '',
      'A neuron weighs each input $x_i$ by a **weight** and adds a bias ($b$), see [the guide](/guides/x).',
      'It calls `backward()` once.',
      '',
      '$$z = \\sum_i w_i x_i$$',
      '',
      '<NeuronDemo />',
      '',
      '<<< @/../src/examples/lecture.ts#neuron',
      '',
      '```ts',
      'const secret = 1;',
      '```',
      '',
      '| name | definition |',
      '|---|---|',
      '',
      '- **static**: SVG files;',
      '- a *sum* gate.',
    ].join('\n');
    expect(proseFromMarkdown(page)).toBe(
      ['The neuron', 'A neuron weighs each input by a weight and adds a bias, see the guide. It calls backward() once.', 'static: SVG files;', 'a sum gate.'].join('\n\n'),
    );
  });

  it('the committed corpus is the lecture prose without its header, with no maths, code or markup left', () => {
    const text = lectureText();
    expect(stripCorpusHeader('# a\n# b\n\nbody\n')).toBe('body\n');
    expect(text.startsWith('Setup and plotting\n\n')).toBe(true);
    expect(text).toMatch(/A biological neuron takes signals from many others/);
    expect(text).not.toMatch(/[$`<>{}\\|]|\*\*|^#/m);
  });
});

describe('tiny transformer: a character-level language model', () => {
  it('a short run on a short text takes the loss below half its first value and samples from the vocabulary', () => {
    // The first 150 characters of the lecture: small enough for a tiny model to learn in seconds
    // (seeds 0-3 all end near 0.36-0.39 of the first loss).
    const text = lectureText().slice(0, 150);
    const vocabulary = new CharVocabulary(text);
    const samples: { step: number; text: string }[] = [];
    const run = trainTinyTransformer({
      text,
      steps: 60,
      batchSize: 8,
      context: 16,
      dModel: 16,
      nhead: 2,
      lr: 2e-2,
      prompt: 'The ',
      sampleLength: 40,
      temperature: 0.8,
      sampleEvery: 30,
      onSample: (step, s) => samples.push({ step, text: s }),
    });
    expect(run.losses).toHaveLength(60);
    // An untrained model's logits are near 0: the first loss is close to ln(vocabulary size).
    expect(Math.abs(run.losses[0]! - Math.log(vocabulary.size))).toBeLessThan(0.5);
    expect(meanOfLast(run.losses, 5)).toBeLessThan(run.losses[0]! / 2);
    expect(samples.map((s) => s.step)).toEqual([0, 29, 59]); // after the 1st, 30th and 60th step
    expect(run.samples).toEqual(samples);
    for (const { text: s } of samples) {
      expect(s).toHaveLength(4 + 40);
      expect(s.startsWith('The ')).toBe(true);
      expect([...s].every((c) => vocabulary.chars.includes(c))).toBe(true);
    }
    // Greedy generation is deterministic and reads at most `context` characters.
    const greedy = run.generate('The ', 30);
    expect(greedy).toHaveLength(34);
    expect(run.generate('The ', 30)).toBe(greedy);
  }, 60_000);

  it('the model maps [batch, seq] ids to [batch, seq, vocab] logits, a position ignoring later ones (the causal mask)', () => {
    const model = new TinyTransformer({ vocabSize: 7, context: 6, dModel: 8, nhead: 2, numLayers: 2, dimFeedforward: 16, dropout: 0 });
    model.eval();
    const a = model.call(tensor([[1, 2, 3, 4, 5, 6]], { dtype: 'int32' }));
    const b = model.call(tensor([[1, 2, 3, 0, 0, 0]], { dtype: 'int32' }));
    expect(a.shape).toEqual([1, 6, 7]);
    const first3 = (t: typeof a) => Array.from(t.dataSync()).slice(0, 3 * 7);
    // Positions 0-2 see the same prefix, so their logits agree; position 3 sees a different character.
    expect(first3(b)).toEqual(first3(a));
    expect(Array.from(b.dataSync()).slice(3 * 7, 4 * 7)).not.toEqual(Array.from(a.dataSync()).slice(3 * 7, 4 * 7));
    expect(() => model.call(tensor([[1, 2, 3, 4, 5, 6, 0]], { dtype: 'int32' }))).toThrow(/seq <= context = 6/);
    expect(() => new CharVocabulary('ab').encode('abc')).toThrow(/"c" is not in the vocabulary of 2 characters/);
  });
});

describe('tiny transformer: the command', () => {
  it('prints the loss and samples after the first and the last step', () => {
    const out = execFileSync(
      process.execPath,
      [join(import.meta.dirname, '..', 'dist', 'tiny-transformer.js'), '--steps', '4', '--batch-size', '2', '--context', '8', '--d-model', '8', '--log-every', '2', '--sample-every', '0'],
      { encoding: 'utf8' },
    );
    expect(out).toMatch(/vocabulary \d+; dModel 8, 2 layers, context 8/);
    expect(out.match(/^step +\d+ +loss \d+\.\d{4}/gm)?.map((l) => l.split(/ +/)[1])).toEqual(['1', '2', '4']);
    expect(out).toMatch(/--- sample after step 1 \(temperature 0.8\) ---\nThe [\s\S]{120}\n\nstep +2 /);
    expect(out).toMatch(/--- sample after step 4 \(temperature 0.8\) ---\nThe [\s\S]{120}\n\nloss /);
    expect(out).toMatch(/loss [\d.]+ at the first step, [\d.]+ over the last 2/);
  }, 60_000);
});
