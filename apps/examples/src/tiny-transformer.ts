/**
 * A tiny character-level language model, as a PyTorch user writes one: token Embedding plus a
 * learned positional Embedding, two TransformerEncoderLayers under a causal mask (each position
 * sees only itself and the characters before it), a final LayerNorm and a Linear to the
 * vocabulary, trained with AdamW to predict the next character of the project's own lecture text
 * (data/lecture.txt, derived from apps/docs/content/lecture by lecture-text.ts). It prints the
 * loss as it learns and, now and then, what the model writes after a fixed prompt.
 *
 *   node dist/tiny-transformer.js [--steps 300] [--batch-size 32] [--context 32] [--d-model 64]
 *     [--lr 0.01] [--temperature 0.8 (0: greedy)] [--prompt "The "] [--seed 0] [--backend cpu|wasm]
 *
 * The loss starts near ln(vocabulary size), a uniform guess over the characters (ln 74 ≈ 4.30 for
 * the lecture text), and the default run takes it below half of that.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Generator, ValueError, arange, manualSeed, nn, noGrad, optim, tensor, tidy, type Tensor } from 'tsgrad';
import { stripCorpusHeader } from './lecture-text.js';

/** The training text: the lecture's prose from data/lecture.txt, without the file's header. */
export function lectureText(): string {
  return stripCorpusHeader(readFileSync(new URL('../data/lecture.txt', import.meta.url), 'utf8'));
}

/** The characters of a text, sorted, with maps both ways (a character-level tokenizer). */
export class CharVocabulary {
  readonly chars: readonly string[];
  readonly #ids: Map<string, number>;

  constructor(text: string) {
    this.chars = [...new Set(text)].sort();
    this.#ids = new Map(this.chars.map((c, i) => [c, i]));
  }

  get size(): number {
    return this.chars.length;
  }

  /** The ids of a text's characters; throws for a character not in the vocabulary. */
  encode(text: string): Int32Array {
    return Int32Array.from([...text], (c) => {
      const id = this.#ids.get(c);
      if (id === undefined) throw new ValueError(`CharVocabulary.encode: ${JSON.stringify(c)} is not in the vocabulary of ${this.size} characters; use only characters of the training text.`);
      return id;
    });
  }

  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (i) => this.chars[i]!).join('');
  }
}

export interface TinyTransformerConfig {
  vocabSize: number;
  /** The longest sequence the model reads (the positional embedding's size). */
  context: number;
  dModel: number;
  nhead: number;
  numLayers: number;
  dimFeedforward: number;
  dropout: number;
}

/**
 * ids [batch, seq] int32 (seq ≤ context) → next-character logits [batch, seq, vocabSize]:
 * tokens + positions, numLayers pre-norm TransformerEncoderLayers (batchFirst) under
 * generateSquareSubsequentMask(seq), LayerNorm, Linear(dModel, vocabSize).
 */
export class TinyTransformer extends nn.Module<[Tensor], Tensor> {
  readonly tokens: nn.Embedding;
  readonly positions: nn.Embedding;
  readonly layers: nn.ModuleList<nn.TransformerEncoderLayer>;
  readonly norm: nn.LayerNorm;
  readonly head: nn.Linear;

  constructor(readonly config: TinyTransformerConfig) {
    super();
    const { vocabSize, context, dModel, nhead, numLayers, dimFeedforward, dropout } = config;
    this.tokens = new nn.Embedding(vocabSize, dModel);
    this.positions = new nn.Embedding(context, dModel);
    // Separate layers, each with its own initial draw (nn.TransformerEncoder would copy one).
    // Pre-norm (normFirst), with the final LayerNorm below, is the GPT-2 arrangement.
    this.layers = new nn.ModuleList(
      Array.from({ length: numLayers }, () => new nn.TransformerEncoderLayer(dModel, nhead, { dimFeedforward, dropout, batchFirst: true, normFirst: true })),
    );
    this.norm = new nn.LayerNorm(dModel);
    this.head = new nn.Linear(dModel, vocabSize);
  }

  forward(ids: Tensor): Tensor {
    const seq = ids.shape[1]!;
    if (ids.rank !== 2 || seq > this.config.context) {
      throw new ValueError(`TinyTransformer: expected ids of shape [batch, seq] with seq <= context = ${this.config.context}, got shape [${ids.shape.join(', ')}]; feed the last ${this.config.context} characters.`);
    }
    const backend = this.head.weight.backend.name;
    const at = arange(seq, undefined, 1, { dtype: 'int32', backend });
    let x = this.tokens.call(ids).add(this.positions.call(at)); // [batch, seq, dModel] + [seq, dModel]
    const mask = nn.generateSquareSubsequentMask(seq, { backend });
    for (const layer of this.layers) x = layer.call(x, { srcMask: mask });
    return this.head.call(this.norm.call(x));
  }
}

export interface TinyTransformerOptions {
  /** The training text (default: the lecture's prose, {@link lectureText}). */
  text?: string;
  /** Optimizer steps (default 300). */
  steps?: number;
  batchSize?: number;
  /** Characters per training sequence and the model's context (default 32). */
  context?: number;
  dModel?: number;
  nhead?: number;
  numLayers?: number;
  /** Width of each layer's feed-forward block (default 2·dModel, half PyTorch's usual 4·dModel, to train in minutes on 2 CPU cores). */
  dimFeedforward?: number;
  dropout?: number;
  /** AdamW's learning rate (default 1e-2). */
  lr?: number;
  weightDecay?: number;
  seed?: number;
  backend?: string;
  /** The sample's first characters (default "The "); must use the text's characters. */
  prompt?: string;
  /** Characters written after the prompt in each sample (default 120). */
  sampleLength?: number;
  /** 0 picks the likeliest character each time (greedy); above 0 (default 0.8), softmax(logits / temperature) is sampled. */
  temperature?: number;
  /** Sample after the first step, after every `sampleEvery`-th (default 100) and after the last; 0: only the first and the last. */
  sampleEvery?: number;
  /** Called after every step with its 0-based index and loss. */
  onStep?: (step: number, loss: number) => void;
  /** Called with each sample (prompt included) and the step it follows. */
  onSample?: (step: number, sample: string) => void;
}

export interface TinyTransformerRun {
  readonly model: TinyTransformer;
  readonly vocabulary: CharVocabulary;
  /** The loss of every step, in nats per character. */
  readonly losses: number[];
  /** Every sample written during training, prompt included. */
  readonly samples: { step: number; text: string }[];
  /** Writes `length` characters after `prompt` with the trained model (see {@link generate}). */
  generate(prompt: string, length: number, temperature?: number): string;
}

/**
 * Writes `length` characters after `prompt`: each step feeds the last `context` characters,
 * then takes the likeliest next one (temperature 0) or draws it from softmax(logits/temperature)
 * with `generator`. Runs in eval mode without gradients, freeing its tensors.
 */
export function generate(model: TinyTransformer, vocabulary: CharVocabulary, prompt: string, length: number, options: { temperature?: number; generator?: Generator } = {}): string {
  const { temperature = 0, generator = new Generator(0) } = options;
  if (!(temperature >= 0)) throw new ValueError(`generate: temperature must be >= 0, got ${temperature}.`);
  const ids = Array.from(vocabulary.encode(prompt));
  if (ids.length === 0) throw new ValueError('generate: the prompt must have at least one character.');
  const wasTraining = model.training;
  model.eval();
  const backend = model.head.weight.backend.name;
  const V = vocabulary.size;
  for (let n = 0; n < length; n++) {
    const window = ids.slice(-model.config.context);
    const logits = tidy(() =>
      noGrad(() => {
        const out = model.call(tensor(Int32Array.from(window), { dtype: 'int32', shape: [1, window.length], backend }));
        return Float64Array.from(out.dataSync().subarray((window.length - 1) * V) as ArrayLike<number>);
      }),
    );
    ids.push(temperature === 0 ? argmax(logits) : draw(logits, temperature, generator));
  }
  model.train(wasTraining);
  return vocabulary.decode(ids);
}

function argmax(values: Float64Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** An index drawn with probability softmax(logits / temperature). */
function draw(logits: Float64Array, temperature: number, generator: Generator): number {
  const top = logits[argmax(logits)]!;
  const weights = Array.from(logits, (l) => Math.exp((l - top) / temperature));
  let u = generator.nextDouble() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) if ((u -= weights[i]!) < 0) return i;
  return weights.length - 1;
}

/** Trains the model on random windows of the text and samples from it as it learns. */
export function trainTinyTransformer(options: TinyTransformerOptions = {}): TinyTransformerRun {
  const { steps = 300, batchSize = 32, context = 32, dModel = 64, nhead = 4, numLayers = 2, dropout = 0, lr = 1e-2, weightDecay = 0.01, seed = 0, backend } = options;
  const { prompt = 'The ', sampleLength = 120, temperature = 0.8, sampleEvery = 100 } = options;
  const text = options.text ?? lectureText();
  if (text.length < context + 2) throw new ValueError(`trainTinyTransformer: the text has ${text.length} characters, fewer than context + 2 = ${context + 2}; give a longer text or a shorter context.`);
  manualSeed(seed); // the initial weights
  const batches = new Generator(seed + 1); // where each training window starts
  const sampling = new Generator(seed + 2); // the sampled characters (temperature > 0)
  const vocabulary = new CharVocabulary(text);
  const data = vocabulary.encode(text);
  const model = new TinyTransformer({ vocabSize: vocabulary.size, context, dModel, nhead, numLayers, dimFeedforward: options.dimFeedforward ?? 2 * dModel, dropout });
  if (backend) model.to(backend);
  const optimizer = new optim.AdamW(model.parameters(), { lr, weightDecay });
  const lossFunc = new nn.CrossEntropyLoss();
  const losses: number[] = [];
  const samples: { step: number; text: string }[] = [];
  const sample = (step: number) => {
    const s = generate(model, vocabulary, prompt, sampleLength, { temperature, generator: sampling });
    samples.push({ step, text: s });
    options.onSample?.(step, s);
  };

  const x = new Int32Array(batchSize * context);
  const y = new Int32Array(batchSize * context);
  model.train();
  for (let step = 0; step < steps; step++) {
    // Each row a random window of the text; the targets are the same window moved by one.
    for (let b = 0; b < batchSize; b++) {
      const start = Math.floor(batches.nextDouble() * (data.length - context - 1));
      x.set(data.subarray(start, start + context), b * context);
      y.set(data.subarray(start + 1, start + context + 1), b * context);
    }
    const loss = tidy(() => {
      const ids = tensor(x, { dtype: 'int32', shape: [batchSize, context], backend });
      const targets = tensor(y, { dtype: 'int32', shape: [batchSize * context], backend });
      optimizer.zeroGrad();
      const l = lossFunc.call(model.call(ids).reshape([batchSize * context, vocabulary.size]), targets);
      l.backward();
      optimizer.step();
      return l.item();
    });
    losses.push(loss);
    options.onStep?.(step, loss);
    if (step === 0 || step === steps - 1 || (sampleEvery > 0 && (step + 1) % sampleEvery === 0)) sample(step);
  }
  return {
    model,
    vocabulary,
    losses,
    samples,
    generate: (p, length, t = 0) => generate(model, vocabulary, p, length, { temperature: t, generator: sampling }),
  };
}

/** The mean of the last `n` values (the first value when n is 1). */
export function meanOfLast(values: readonly number[], n: number): number {
  const tail = values.slice(-n);
  return tail.reduce((a, b) => a + b, 0) / tail.length;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '300' },
      'batch-size': { type: 'string', default: '32' },
      context: { type: 'string', default: '32' },
      'd-model': { type: 'string', default: '64' },
      lr: { type: 'string', default: '0.01' },
      temperature: { type: 'string', default: '0.8' },
      prompt: { type: 'string', default: 'The ' },
      'log-every': { type: 'string', default: '25' },
      'sample-every': { type: 'string', default: '100' },
      seed: { type: 'string', default: '0' },
      backend: { type: 'string', default: 'cpu' },
    },
  });
  const int = (name: keyof typeof values, min: number) => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min}, got ${String(values[name])}`);
    return v;
  };
  const steps = int('steps', 1);
  const batchSize = int('batch-size', 1);
  const context = int('context', 1);
  const dModel = int('d-model', 4);
  const logEvery = int('log-every', 1);
  const sampleEvery = int('sample-every', 0);
  const seed = int('seed', 0);
  const lr = Number(values.lr);
  const temperature = Number(values.temperature);
  if (!(lr > 0)) throw new Error(`--lr must be a positive number, got ${values.lr}`);
  if (!(temperature >= 0)) throw new Error(`--temperature must be >= 0, got ${values.temperature}`);
  const backend = values.backend!;
  if (backend === 'wasm') await import('@tsgrad/backend-wasm');

  const text = lectureText();
  const vocabSize = new Set(text).size;
  console.log(
    `tiny-transformer: ${text.length} characters of lecture text, vocabulary ${vocabSize}; dModel ${dModel}, 2 layers, context ${context}, ` +
      `batch ${batchSize}, ${steps} steps of AdamW (lr ${lr}), backend ${backend}, seed ${seed}`,
  );
  console.log(`a uniform guess scores ln(${vocabSize}) = ${Math.log(vocabSize).toFixed(3)} nats per character\n`);
  const started = Date.now();
  const run = trainTinyTransformer({
    text,
    steps,
    batchSize,
    context,
    dModel,
    lr,
    seed,
    backend,
    prompt: values.prompt,
    temperature,
    sampleEvery,
    onStep: (step, loss) => {
      if (step === 0 || (step + 1) % logEvery === 0) console.log(`step ${String(step + 1).padStart(4)}  loss ${loss.toFixed(4)}  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    },
    onSample: (step, s) => console.log(`\n--- sample after step ${step + 1} (${temperature === 0 ? 'greedy' : `temperature ${temperature}`}) ---\n${s}\n`),
  });
  const first = run.losses[0]!;
  const last = meanOfLast(run.losses, Math.min(logEvery, run.losses.length));
  console.log(`loss ${first.toFixed(3)} at the first step, ${last.toFixed(3)} over the last ${Math.min(logEvery, run.losses.length)} (${((100 * last) / first).toFixed(0)}% of the first), in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
