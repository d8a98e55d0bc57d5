/** One implementation of one workload, ready to be timed. */
export interface Runner {
  readonly name: string;
  /** Runs `n` full-batch training steps; resolves once their results are computed. */
  steps(n: number): void | Promise<void>;
  /** The loss of the model as it is now (a fresh forward pass), for the sanity column. */
  loss(): number | Promise<number>;
  /** Makes this implementation's backend current (outside the timed region). */
  enter?(): Promise<void>;
  dispose?(): void;
}
