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
  private readonly started = Date.now();
  private step = 0;
  private multi: cliProgress.MultiBar | null = null;
  private bar: cliProgress.SingleBar | null = null;
  private stopped = false;

  constructor(private readonly options: TrainingMonitorOptions) {
    this.stream = options.stream ?? process.stdout;
    this.label = options.label ?? 'loss';
    this.height = options.height ?? 10;
    this.every = options.every ?? Math.max(1, Math.floor(options.total / 20));
    this.tty = options.tty ?? Boolean((this.stream as NodeJS.WriteStream).isTTY);
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

  /** Records the metric at the next step (or at `step`), and redraws. */
  update(value: number, step = this.step + 1): void {
    if (this.stopped) return;
    this.step = step;
    this.history.push(value);
    const elapsed = (Date.now() - this.started) / 1000;
    const rate = elapsed > 0 ? step / elapsed : 0;
    if (this.tty) {
      const width = Math.max(10, ((this.stream as NodeJS.WriteStream).columns ?? 80) - 14);
      const series = thin(this.history, width);
      this.chartLines = series.length > 1 ? asciichart.plot(series, { height: this.height, format: (x: number) => num(x).padStart(11) }).split('\n') : [];
      this.bar!.update(step, { metric: num(value), rate: rate.toFixed(1) });
      return;
    }
    if (step % this.every === 0 || step === this.options.total || step === 1) {
      const eta = rate > 0 ? (this.options.total - step) / rate : Infinity;
      this.stream.write(`step ${step}/${this.options.total}  ${this.label} ${num(value)}  ${rate.toFixed(1)} it/s  ETA ${clock(eta)}\n`);
    }
  }

  /** Draws the last frame and gives the terminal back (restores the cursor). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.multi) {
      this.multi.update();
      this.multi.stop();
    }
  }
}
