import asciichart from 'asciichart';
import cliProgress from 'cli-progress';

export interface TrainingMonitorOptions {
  /** Number of steps (epochs) the run will take. */
  total: number;
  /** Where to draw (default process.stdout). A terminal gets the live chart; anything else plain lines. */
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Label of the metric (default "loss"). */
  label?: string;
  /** Rows of the chart (default 10). */
  height?: number;
  /** Plain-line mode: print every this many steps (default total / 20, at least 1). */
  every?: number;
  /** Force the mode instead of asking the stream whether it is a terminal. */
  tty?: boolean;
  /**
   * What a step is called in plain lines (default "step"). With `zeroBased`, update() takes the
   * 0-based index the training loop counts with (PyTorch's `for epoch in range(5000)`), and plain
   * lines print that same number: `epoch 0`, `epoch 100`, ... as the lecture's program does.
   */
  stepName?: string;
  zeroBased?: boolean;
  /** Milliseconds between redraws in a terminal (default 100). */
  redrawEvery?: number;
  /** @internal A clock for tests (default Date.now). */
  now?: () => number;
}

/** Points of a long history, evenly picked, so the chart keeps to the terminal's width. */
function thin(values: number[], width: number): number[] {
  if (values.length <= width) return values;
  const out: number[] = [];
  for (let i = 0; i < width; i++) out.push(values[Math.round((i * (values.length - 1)) / (width - 1))]!);
  return out;
}

const clock = (s: number) => {
  if (!Number.isFinite(s)) return '--:--';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const mm = String(Math.floor((t % 3600) / 60)).padStart(2, '0');
  const ss = String(t % 60).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
};

const num = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toPrecision(5));

/**
 * Training progress in the terminal: in a TTY, a live asciichart of the loss above a cli-progress
 * bar with rate and ETA, redrawn in place; elsewhere (a log file, CI) plain lines every few steps.
 */
export class TrainingMonitor {
  readonly history: number[] = [];
  private readonly stream: NodeJS.WritableStream;
  private readonly label: string;
  private readonly height: number;
  private readonly every: number;
  private readonly tty: boolean;
  private readonly started: number;
  private step = 0;
  private multi: cliProgress.MultiBar | null = null;
  private bar: cliProgress.SingleBar | null = null;
  private stopped = false;
  private lastDraw = -Infinity;
  private readonly now: () => number;
  private readonly redrawEvery: number;
  private readonly stepName: string;
  private readonly offset: number;

  constructor(private readonly options: TrainingMonitorOptions) {
    this.stream = options.stream ?? process.stdout;
    this.label = options.label ?? 'loss';
    this.height = options.height ?? 10;
    this.every = options.every ?? Math.max(1, Math.floor(options.total / 20));
    this.tty = options.tty ?? Boolean((this.stream as NodeJS.WriteStream).isTTY);
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.redrawEvery = options.redrawEvery ?? 100;
    this.stepName = options.stepName ?? 'step';
    this.offset = options.zeroBased ? 1 : 0;
    if (this.tty) {
      this.multi = new cliProgress.MultiBar(
        { stream: this.stream as NodeJS.WriteStream, hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 100, fps: 10, gracefulExit: true, autopadding: true },
        cliProgress.Presets.shades_classic,
      );
      // The chart's rows are drawn as extra "bars" of the same MultiBar, so cli-progress redraws them in place.
      for (let r = 0; r < this.height + 1; r++) {
        this.multi.create(1, 0, {}, { format: () => this.chartRow(r) });
      }
      this.bar = this.multi.create(options.total, 0, { metric: '', rate: '' }, {
        format: `{bar} {percentage}% | {value}/{total} | {rate} it/s | ETA {eta_formatted} | ${this.label} {metric}`,
      });
    }
  }

  private chartLines: string[] = [];
  private chartRow(r: number): string {
    return this.chartLines[r] ?? '';
  }

  /**
   * Records the metric at the next step (or at `step`: 1-based, or the loop's 0-based index with
   * `zeroBased`) and redraws. In a terminal the frame is drawn from here, at most every
   * `redrawEvery` ms: a synchronous training loop never lets a timer fire, so the bar and the
   * chart must not wait for one.
   */
  update(value: number, step = this.step + 1 - this.offset): void {
    if (this.stopped) return;
    const done = step + this.offset;
    this.step = done;
    this.history.push(value);
    const elapsed = (this.now() - this.started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    if (this.tty) {
      this.latest = { value, rate };
      if (this.now() - this.lastDraw >= this.redrawEvery || done === this.options.total) this.draw();
      return;
    }
    if (step % this.every === 0 || done === this.options.total || (this.offset === 0 && step === 1)) {
      const eta = rate > 0 ? (this.options.total - done) / rate : Infinity;
      this.stream.write(`${this.stepName} ${step}/${this.options.total}  ${this.label} ${num(value)}  ${rate.toFixed(1)} it/s  ETA ${clock(eta)}\n`);
    }
  }

  private latest: { value: number; rate: number } | undefined;
  /** Renders the chart and the bar now (cli-progress's own timer only runs when the loop yields). */
  private draw(): void {
    if (!this.latest || !this.multi) return;
    this.lastDraw = this.now();
    const width = Math.max(10, ((this.stream as NodeJS.WriteStream).columns ?? 80) - 14);
    const series = thin(this.history, width);
    this.chartLines = series.length > 1 ? asciichart.plot(series, { height: this.height, format: (x: number) => num(x).padStart(11) }).split('\n') : [];
    this.bar!.update(this.step, { metric: num(this.latest.value), rate: this.latest.rate.toFixed(1) });
    this.frames++;
    this.multi.update();
  }

  /** How many frames were drawn in a terminal (for tests and diagnostics). */
  frames = 0;

  /** Draws the last frame and gives the terminal back (restores the cursor). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.multi) {
      this.draw();
      this.multi.stop();
    }
  }
}
