import { Tensor, ValueError, AutogradError, enableGrad, keep, noGrad, tidy, trainingStep, type NotAsync } from '@tsgrad/core';

/** Hyperparameters every optimizer has; the others are per optimizer. */
export interface BaseOptions {
  lr: number;
}

/** One parameter group: its tensors and its own copy of every hyperparameter. */
export type ParamGroup<O extends BaseOptions> = O & { params: Tensor[] };

/** A group as given to a constructor or addParamGroup: hyperparameters left out take the defaults. */
export type ParamGroupInput<O extends BaseOptions> = Partial<O> & { params: Iterable<Tensor> };

/** What an optimizer accepts: tensors, or parameter groups (PyTorch's `params` argument). */
export type Params<O extends BaseOptions> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/** Per-parameter state values: tensors (buffers), numbers (step counts) or null (no buffer yet). */
export type StateValue = Tensor | number | null;
export type ParamState = Record<string, StateValue>;

/**
 * PyTorch's optimizer state dict: per-parameter state keyed by the parameter's index (counted
 * across groups in order), and each group's hyperparameters with the indices of its parameters.
 */
export interface OptimizerStateDict<O extends BaseOptions = BaseOptions> {
  state: Record<number, ParamState>;
  paramGroups: (O & { params: number[] })[];
}

/** A copy of a tensor with its own storage: x*1 is exact for every float, -0 included. */
export function cloneTensor(t: Tensor): Tensor {
  return noGrad(() => t.mul(1));
}

function fmtShape(t: Tensor): string {
  return `[${t.shape.join(', ')}]`;
}

/**
 * The base of every optimizer: parameter groups, per-parameter state, zeroGrad, step and the
 * state dict. A subclass validates its hyperparameters and updates one group.
 */
export abstract class Optimizer<O extends BaseOptions, S extends ParamState = ParamState> {
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (buffers, step counts), created on a parameter's first update. */
  readonly state = new Map<Tensor, S>();
  readonly defaults: Readonly<O>;

  protected constructor(
    /** The optimizer's name in error messages ("SGD", "Adam"...). */
    readonly name: string,
    params: Params<O>,
    defaults: O,
  ) {
    this.validate(defaults);
    this.defaults = { ...defaults };
    // A string is iterable too ("abc" would be three bad parameters): ask for a real collection.
    if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new ValueError(`${name}: params must be an array (or iterable) of tensors or parameter groups, got ${params === null ? 'null' : typeof params}; pass model.parameters().`);
    }
    const items = [...(params as Iterable<Tensor | ParamGroupInput<O>>)];
    if (items.length === 0) {
      throw new ValueError(`${name}: got an empty parameter list; pass the tensors to optimize, e.g. model.parameters().`);
    }
    if (items.every((p) => p instanceof Tensor)) {
      this.addParamGroup({ params: items as Tensor[] } as unknown as ParamGroupInput<O>);
    } else if (items.every((p) => !(p instanceof Tensor) && typeof p === 'object' && p !== null && 'params' in p)) {
      for (const g of items as ParamGroupInput<O>[]) this.addParamGroup(g);
    } else {
      throw new ValueError(`${name}: params must be all tensors or all parameter groups ({ params: Tensor[], lr?, ... }), not a mix.`);
    }
  }

  /** Throws a ValueError naming the optimizer and the bad hyperparameter (PyTorch's checks). */
  protected abstract validate(options: O): void;

  /** Updates every parameter of one group that has a gradient; runs inside noGrad and tidy. */
  protected abstract updateGroup(group: ParamGroup<O>): void;

  /** Adds a group of parameters with its own hyperparameters (defaults fill the rest). */
  addParamGroup(group: ParamGroupInput<O>): void {
    if (group === null || typeof group !== 'object' || !('params' in group)) {
      throw new ValueError(`${this.name}.addParamGroup: expected { params: Tensor[], ...options }.`);
    }
    const params = group.params instanceof Tensor ? [group.params] : [...group.params];
    const index = this.paramGroups.length;
    if (params.length === 0) {
      throw new ValueError(`${this.name}: parameter group ${index} has an empty parameter list; give it at least one tensor.`);
    }
    const seen = new Set<Tensor>(this.paramGroups.flatMap((g) => g.params));
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) {
        throw new ValueError(`${this.name}: parameter ${i} of group ${index} is not a Tensor (got ${p === null ? 'null' : typeof p}).`);
      }
      if (!p.requiresGrad) {
        throw new AutogradError(
          `${this.name}: parameter ${i} of group ${index} (shape ${fmtShape(p)}, ${p.dtype}) does not require grad, so it would never get a gradient; call p.requiresGrad_() or leave it out.`,
        );
      }
      if (!p.isLeaf) {
        throw new AutogradError(`${this.name}: parameter ${i} of group ${index} (shape ${fmtShape(p)}) is the result of an op, not a leaf; optimize the leaf tensors it was computed from.`);
      }
      if (seen.has(p)) {
        throw new ValueError(`${this.name}: parameter ${i} of group ${index} (shape ${fmtShape(p)}) appears more than once among the parameter groups; give each tensor once.`);
      }
      seen.add(p);
    });
    const { params: _ignored, ...overrides } = group;
    const full = { ...this.defaults, ...overrides } as O;
    this.validate(full);
    this.paramGroups.push({ ...full, params });
  }

  /** Clears every parameter's gradient (PyTorch's set_to_none=True: the next backward allocates). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /**
   * One update of every parameter that has a gradient. `closure`, when given, recomputes the
   * loss (with grad enabled) before the update and its result is returned.
   */
  step<L = undefined>(closure?: () => L): L | undefined {
    const loss = closure ? enableGrad<L>(closure as () => NotAsync<L>) : undefined;
    // One tidy per step frees every intermediate; state tensors are kept and parameters are
    // written through assign(), which keeps their identity.
    noGrad(() =>
      tidy(() => {
        for (const g of this.paramGroups) this.updateGroup(g);
      }),
    );
    // Tells the user once, naming tidy(), when a loop leaks on a backend the GC cannot reclaim.
    const first = this.paramGroups[0]?.params[0];
    if (first !== undefined && !first.isDisposed) trainingStep(first.backend);
    return loss;
  }

  /** The state of `p`, created by `init` on first use. */
  protected stateOf(p: Tensor, init: () => S): S {
    let s = this.state.get(p);
    if (!s) {
      s = init();
      for (const v of Object.values(s)) if (v instanceof Tensor) keep(v);
      this.state.set(p, s);
    }
    return s;
  }

  /** Hyperparameters and state, with tensors copied so later steps do not change them. */
  stateDict(): OptimizerStateDict<O> {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...hyper } = g;
      return { ...(hyper as unknown as O), params: params.map((p) => (index.set(p, index.size), index.size - 1)) };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(s)) copy[k] = v instanceof Tensor ? keep(cloneTensor(v)) : v;
      state[i] = copy;
    }
    return { state, paramGroups };
  }

  /**
   * Restores hyperparameters and state saved by stateDict() (of an optimizer over parameters of
   * the same shapes, in the same groups). Validates everything before changing anything.
   */
  loadStateDict(dict: OptimizerStateDict<O>): void {
    const where = `${this.name}.loadStateDict`;
    if (dict === null || typeof dict !== 'object' || !Array.isArray(dict.paramGroups) || typeof dict.state !== 'object' || dict.state === null) {
      throw new ValueError(`${where}: expected { state, paramGroups } as returned by stateDict().`);
    }
    if (dict.paramGroups.length !== this.paramGroups.length) {
      throw new ValueError(
        `${where}: the state dict has ${dict.paramGroups.length} parameter group(s) but this optimizer has ${this.paramGroups.length}; build the optimizer with the same groups.`,
      );
    }
    const byIndex: Tensor[] = [];
    dict.paramGroups.forEach((saved, gi) => {
      const mine = this.paramGroups[gi].params;
      if (!Array.isArray(saved.params) || saved.params.length !== mine.length) {
        throw new ValueError(
          `${where}: parameter group ${gi} has ${Array.isArray(saved.params) ? saved.params.length : 'no'} parameters in the state dict but ${mine.length} in this optimizer; the groups must match.`,
        );
      }
      saved.params.forEach((id, j) => (byIndex[id] = mine[j]));
      const { params: _p, ...hyper } = saved;
      this.validate({ ...this.defaults, ...hyper } as unknown as O);
    });
    const restored = new Map<Tensor, S>();
    for (const [key, s] of Object.entries(dict.state)) {
      const p = byIndex[Number(key)];
      if (!p) throw new ValueError(`${where}: state for parameter ${key}, which no parameter group lists.`);
      for (const [k, v] of Object.entries(s)) {
        if (v instanceof Tensor && (v.shape.join() !== p.shape.join() || v.dtype !== p.dtype)) {
          throw new ValueError(
            `${where}: state "${k}" of parameter ${key} has shape ${fmtShape(v)} (${v.dtype}) but the parameter has shape ${fmtShape(p)} (${p.dtype}).`,
          );
        }
      }
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(s)) copy[k] = v instanceof Tensor ? keep(cloneTensor(v.to(p.backend.name))) : v;
      restored.set(p, copy as S);
    }
    // Everything checked: now replace.
    dict.paramGroups.forEach((saved, gi) => {
      const { params: _p, ...hyper } = saved;
      Object.assign(this.paramGroups[gi], hyper);
    });
    for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
    for (const [p, s] of restored) this.state.set(p, s);
  }
}

/** The options argument of an optimizer: an object (undefined is {}), never null or a number. */
export function optionsOf<T extends object>(name: string, options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`${name}: options must be an object such as { lr: 0.01 }, got ${options === null ? 'null' : typeof options}.`);
  }
  return options;
}

/** Throws unless `value` is a finite number >= 0 (or within [0, 1) with `belowOne`). */
export function checkRange(op: string, name: string, value: unknown, options: { belowOne?: boolean; positive?: boolean } = {}): void {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (options.positive ? value > 0 : value >= 0) &&
    (!options.belowOne || value < 1);
  if (!ok) {
    const range = options.belowOne ? 'in [0, 1)' : options.positive ? 'a finite number > 0' : 'a finite number >= 0';
    throw new ValueError(`${op}: invalid ${name} ${String(value)}; it must be ${range}.`);
  }
}
