import {
  barMessage,
  graphMessage,
  heatmapMessage,
  histogramMessage,
  imageMessage,
  lineMessages,
  parseMessage,
  scatterMessages,
  textMessage,
  type BarInput,
  type GraphInput,
  type HeatmapInput,
  type HistogramInput,
  type ImageInput,
  type LineInput,
  type ScatterInput,
  type TextInput,
  type WindowMessage,
} from './messages.js';
import { toVector, type Vector } from './data.js';
import type { WindowOptions } from './specs.js';

export interface PlotClientOptions {
  /** The dashboard (default http://127.0.0.1:8097, or TSGRAD_PLOT_URL). */
  url?: string;
  /** The environment this client's windows go to (default "main"). */
  env?: string;
  /** The server's token, when it has one (default TSGRAD_PLOT_TOKEN). */
  token?: string;
  /** Where the client reports that the dashboard is unreachable (default console.warn). */
  log?: (line: string) => void;
  /** After a failed send, drop plots for this long before trying again (default 5000 ms). */
  retryMs?: number;
}

const MAX_BATCH_NUMBERS = 200_000;

/** An environment variable in Node; undefined in a browser, which has none. */
function envVar(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

/**
 * Sends windows to a running `tsgrad-plot` dashboard. Calls return at once and never throw for
 * network trouble: messages are queued, coalesced and sent in order, one request at a time. When
 * the dashboard is not running the client says so once and drops plots; training goes on.
 * Await `flush()` to wait until everything queued has been delivered (or dropped); a server
 * with a `dir` answers only once what it got is on disk.
 */
export class PlotClient {
  readonly url: string;
  readonly env: string;
  /** Messages dropped because the dashboard was unreachable or refused them. */
  dropped = 0;
  private readonly token: string | undefined;
  private readonly log: (line: string) => void;
  private readonly retryMs: number;
  private queue: WindowMessage[] = [];
  private running: Promise<void> | null = null;
  private downUntil = 0;
  private warnedDown = false;
  private readonly warned = new Set<string>();

  constructor(options: PlotClientOptions = {}) {
    this.url = (options.url ?? envVar('TSGRAD_PLOT_URL') ?? 'http://127.0.0.1:8097').replace(/\/+$/, '');
    this.env = options.env ?? 'main';
    this.token = options.token ?? envVar('TSGRAD_PLOT_TOKEN');
    this.log = options.log ?? ((l) => console.warn(l));
    this.retryMs = options.retryMs ?? 5000;
  }

  line(win: string, input: LineInput): void { this.enqueue(lineMessages(win, input)); }
  scatter(win: string, input: ScatterInput): void { this.enqueue(scatterMessages(win, input)); }
  heatmap(win: string, input: HeatmapInput): void { this.enqueue([heatmapMessage(win, input)]); }
  histogram(win: string, input: HistogramInput): void { this.enqueue([histogramMessage(win, input)]); }
  bar(win: string, input: BarInput): void { this.enqueue([barMessage(win, input)]); }
  text(win: string, input: TextInput): void { this.enqueue([textMessage(win, input)]); }
  image(win: string, input: ImageInput): void { this.enqueue([imageMessage(win, input)]); }
  graph(win: string, input: GraphInput): void { this.enqueue([graphMessage(win, input)]); }
  close(win: string): void { this.enqueue([{ type: 'close', win }]); }
  /** Sends prepared messages (e.g. from fittedCurveMessages) to this client's environment. */
  send(messages: WindowMessage[]): void { this.enqueue(messages); }

  /**
   * Appends points to a line window's trace: the training-loop call, e.g.
   * `append('loss', [loss], { x: [epoch], opts: { title: 'L1 loss', xlabel: 'epoch', ylabel: 'loss' } })`.
   * `opts` (title, axis titles, size) apply to the window from then on: give them once, with the
   * first point.
   */
  append(win: string, y: Vector, options: { x?: Vector; name?: string; opts?: WindowOptions } = {}): void {
    const ys = toVector('append', 'y', y);
    this.line(win, {
      y: ys,
      ...(options.x !== undefined ? { x: toVector('append', 'x', options.x) } : {}),
      ...(options.opts !== undefined ? { opts: options.opts } : {}),
      name: options.name ?? 'y',
      update: 'append',
    });
  }

  /** Resolves once every message queued so far has been sent or dropped. */
  async flush(): Promise<void> {
    while (this.running || this.queue.length) {
      this.kick();
      await this.running;
    }
  }

  private enqueue(messages: WindowMessage[]): void {
    // Checked here as the server will check them, so a mistake throws at the call that made it.
    const checked = messages.map((m) => parseMessage(m));
    for (const m of checked) {
      const last = this.queue[this.queue.length - 1];
      // Consecutive appends to one trace travel as one message: a request per epoch, not per point.
      if (last && m.type === last.type && (m.type === 'line' || m.type === 'scatter') && (last.type === 'line' || last.type === 'scatter') &&
          m.update === 'append' && last.update === 'append' && m.win === last.win && m.name === last.name &&
          (m.x === undefined) === (last.x === undefined) && m.opts === undefined && (m.type !== 'line' || !m.style)) {
        last.y = last.y.concat(m.y);
        if (last.x && m.x) last.x = last.x.concat(m.x);
        continue;
      }
      this.queue.push(m);
    }
    this.kick();
  }

  private kick(): void {
    if (this.running || this.queue.length === 0) return;
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.queue.length) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      let numbers = 0;
      let n = 0;
      while (n < this.queue.length && (n === 0 || numbers < MAX_BATCH_NUMBERS)) {
        const m = this.queue[n]!;
        numbers += 'y' in m && Array.isArray(m.y) ? m.y.length * 2 : 'values' in m ? m.values.length : 1;
        n++;
      }
      const batch = this.queue.splice(0, n);
      if (Date.now() < this.downUntil) {
        this.dropped += batch.length;
        continue;
      }
      await this.post(batch);
    }
  }

  private async post(batch: WindowMessage[]): Promise<void> {
    const endpoint = `${this.url}/api/envs/${encodeURIComponent(this.env)}`;
    let res: Response;
    try {
      res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        body: JSON.stringify({ messages: batch }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (e) {
      this.dropped += batch.length;
      this.downUntil = Date.now() + this.retryMs;
      if (!this.warnedDown) {
        this.warnedDown = true;
        const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
        this.log(`tsgrad-plot: no dashboard at ${this.url} (${cause}); plots are dropped and training goes on. Start one with \`npx tsgrad-plot\`.`);
      }
      return;
    }
    if (this.warnedDown) {
      this.warnedDown = false;
      this.log(`tsgrad-plot: dashboard at ${this.url} is reachable again`);
    }
    const text = await res.text();
    if (!res.ok) {
      this.dropped += batch.length;
      let detail = text;
      try {
        detail = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // not JSON: keep the text
      }
      const key = `${res.status}`;
      if (!this.warned.has(key)) {
        this.warned.add(key);
        this.log(`tsgrad-plot: the dashboard refused ${batch.length} message(s) with ${res.status}: ${detail}`);
      }
    }
  }
}
