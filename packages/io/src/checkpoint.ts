import fs from 'node:fs';
import { Tensor, ValueError, keep, noGrad, tidy } from '@tsgrad/core';
import { removeStaleTempFiles, writeFileAtomicSync } from './atomic.js';
import { deserialize, serialize, SafetensorsError, type Metadata } from './safetensors.js';

/**
 * Whole training states in one safetensors file, to resume a run (PyTorch's
 * `torch.save({'model': ..., 'optimizer': ..., 'scheduler': ..., 'epoch': ...})`).
 *
 * Layout: every tensor is a safetensors tensor, named `model.<parameter name>`,
 * `optimizer.state.<parameter index>.<state key>` (Adam's `expAvg`, SGD's `momentumBuffer`, ...) and
 * `extra.<key>`; everything else is JSON in the header's metadata under `tsgrad.checkpoint`:
 * `{ version: 1, epoch, model: [names], optimizer: { paramGroups, state }, scheduler, extra }`,
 * where a tensor's place holds `{ "$tensor": name }` and the numbers JSON cannot hold (NaN,
 * ±Infinity, -0; a ReduceLROnPlateau's `best` starts at Infinity) are `{ "$number": "inf" }` etc.
 * The file is written atomically (the old or the new checkpoint, never half of one) and any
 * safetensors reader opens it: the model's tensors under `model.` are its state dict.
 */

/** The metadata key of the JSON part, and the format's version. */
export const CHECKPOINT_KEY = 'tsgrad.checkpoint';
const VERSION = 1;

/** A model: a @tsgrad/layers Module or anything with a state dict of named tensors. */
export interface CheckpointModel {
  stateDict(): Record<string, Tensor> | Map<string, Tensor>;
  loadStateDict(dict: Record<string, Tensor>): unknown;
}

/** An optimizer: a @tsgrad/optimizers Optimizer, whose state dict holds tensors, numbers and null. */
export interface CheckpointOptimizer {
  stateDict(): { state: Record<number, Record<string, unknown>>; paramGroups: readonly object[] };
  loadStateDict(dict: { state: Record<number, Record<string, unknown>>; paramGroups: object[] }): void;
}

/** A scheduler: any of @tsgrad/optimizers' (their state dicts are plain data). */
export interface CheckpointScheduler {
  stateDict(): object;
  loadStateDict(state: never): void;
}

/** What saveCheckpoint stores: the objects to save, the epoch, and any extras (JSON data or tensors). */
export interface CheckpointContents {
  model?: CheckpointModel;
  optimizer?: CheckpointOptimizer;
  scheduler?: CheckpointScheduler;
  /** The epoch (or step) reached; loadCheckpoint returns it. */
  epoch?: number;
  /** Anything else: numbers, strings, booleans, null, arrays and plain objects of those, or tensors (top level). */
  [extra: string]: unknown;
}

/** The objects loadCheckpoint restores into: each must be built as the saved one was (same shapes and groups). */
export interface CheckpointTargets {
  model?: CheckpointModel;
  optimizer?: CheckpointOptimizer;
  scheduler?: CheckpointScheduler;
}

/** What loadCheckpoint returns: the epoch (null when none was saved) and the extras, tensors among them kept. */
export type LoadedCheckpoint = { epoch: number | null } & Record<string, unknown>;

const RESERVED = new Set(['model', 'optimizer', 'scheduler', 'epoch']);

/** JSON with the numbers it cannot hold tagged, and tensors replaced by references. */
function encode(where: string, value: unknown, path: string, tensors: Map<string, Tensor>, tensorName?: string): unknown {
  if (value instanceof Tensor) {
    if (tensorName === undefined) throw new ValueError(`${where}: ${path} is a Tensor nested inside other data; put tensors at the top level of the extras (or in the model's state).`);
    tensors.set(tensorName, value);
    return { $tensor: tensorName };
  }
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { $number: 'nan' };
    if (value === Infinity) return { $number: 'inf' };
    if (value === -Infinity) return { $number: '-inf' };
    if (Object.is(value, -0)) return { $number: '-0' };
    return value;
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v, i) => encode(where, v, `${path}[${i}]`, tensors));
  if (typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, encode(where, v, `${path}.${k}`, tensors)]));
  }
  throw new ValueError(
    `${where}: ${path} is ${typeof value === 'object' ? `a ${(value as object).constructor?.name ?? 'object'}` : typeof value}, which a checkpoint cannot store; store numbers, strings, booleans, null, arrays and plain objects (and tensors at the top level).`,
  );
}

function decode(where: string, value: unknown, tensors: Record<string, Tensor>): unknown {
  if (Array.isArray(value)) return value.map((v) => decode(where, v, tensors));
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === '$number') {
    const tags: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity, '-0': -0 };
    if (!(String(o.$number) in tags)) throw new SafetensorsError(`${where}: unknown number tag ${JSON.stringify(o.$number)}.`);
    return tags[String(o.$number)];
  }
  if (keys.length === 1 && keys[0] === '$tensor') {
    const t = tensors[String(o.$tensor)];
    if (!t) throw new SafetensorsError(`${where}: the metadata refers to tensor "${String(o.$tensor)}", which the file does not hold.`);
    return t;
  }
  return Object.fromEntries(keys.map((k) => [k, decode(where, o[k], tensors)]));
}

function checkHas(where: string, what: string, v: unknown, method: 'stateDict' | 'loadStateDict'): void {
  if (v !== undefined && (v === null || typeof v !== 'object' || typeof (v as Record<string, unknown>)[method] !== 'function')) {
    throw new ValueError(`${where}: ${what} must have a ${method}() method (a ${what === 'model' ? 'Module' : what === 'optimizer' ? 'an Optimizer' : 'scheduler'}), got ${v === null ? 'null' : typeof v}.`);
  }
}

/**
 * Saves a training state to `file` (one safetensors file, layout above), atomically: the model's
 * stateDict() (parameters and buffers), the optimizer's stateDict() (hyperparameters of every group
 * and per-parameter state: moments, step counts), the scheduler's stateDict(), `epoch`, and any
 * other key as an extra (JSON data, or a tensor). Each is optional.
 *
 * ```ts
 * saveCheckpoint('run/ckpt.safetensors', { model, optimizer, scheduler, epoch, bestAccuracy });
 * ```
 * @throws ValueError for a part without stateDict(), a non-integer epoch, or an extra that is not
 * JSON data (functions, class instances, tensors nested in other data).
 */
export function saveCheckpoint(file: string, contents: CheckpointContents): void {
  const where = 'saveCheckpoint';
  if (typeof file !== 'string' || file === '') throw new ValueError(`${where}: the path must be a non-empty string, got ${typeof file}.`);
  if (contents === null || typeof contents !== 'object' || Array.isArray(contents)) {
    throw new ValueError(`${where}: expected { model, optimizer, scheduler, epoch, ...extras }, got ${contents === null ? 'null' : typeof contents}.`);
  }
  const { model, optimizer, scheduler, epoch } = contents;
  checkHas(where, 'model', model, 'stateDict');
  checkHas(where, 'optimizer', optimizer, 'stateDict');
  checkHas(where, 'scheduler', scheduler, 'stateDict');
  if (epoch !== undefined && epoch !== null && !(typeof epoch === 'number' && Number.isInteger(epoch))) {
    throw new ValueError(`${where}: epoch must be an integer, got ${String(epoch)}.`);
  }
  // tidy frees the handles stateDict() makes (a Module detaches each parameter); the optimizer's
  // copies are kept by its stateDict(), so they are freed by hand.
  const copies: Tensor[] = [];
  const bytes = tidy(() => {
    try {
      const tensors = new Map<string, Tensor>();
      let modelNames: string[] | null = null;
      if (model) {
        const dict = model.stateDict();
        const entries = dict instanceof Map ? [...dict.entries()] : Object.entries(dict);
        modelNames = entries.map(([k, t]) => {
          if (!(t instanceof Tensor)) throw new ValueError(`${where}: the model's state entry "${k}" is not a Tensor.`);
          tensors.set(`model.${k}`, t);
          return k;
        });
      }
      let optimizerJson: unknown = null;
      if (optimizer) {
        const sd = optimizer.stateDict();
        for (const s of Object.values(sd.state)) for (const v of Object.values(s)) if (v instanceof Tensor) copies.push(v);
        const state: Record<string, unknown> = {};
        for (const [i, s] of Object.entries(sd.state)) {
          state[i] = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, encode(where, v, `optimizer state ${i}.${k}`, tensors, `optimizer.state.${i}.${k}`)]));
        }
        optimizerJson = { paramGroups: encode(where, sd.paramGroups, 'optimizer.paramGroups', tensors), state };
      }
      const schedulerJson = scheduler ? encode(where, scheduler.stateDict(), 'scheduler', tensors) : null;
      const extra: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(contents)) {
        if (RESERVED.has(k) || v === undefined) continue;
        extra[k] = encode(where, v, `extra "${k}"`, tensors, `extra.${k}`);
      }
      const json = JSON.stringify({ version: VERSION, epoch: epoch ?? null, model: modelNames, optimizer: optimizerJson, scheduler: schedulerJson, extra });
      return serialize(tensors, { [CHECKPOINT_KEY]: json });
    } finally {
      for (const t of copies) t.dispose();
    }
  });
  writeFileAtomicSync(file, bytes);
}

/**
 * Copies of the targets' states, to put back when a later part is refused (all or nothing):
 * `undo` restores them, `release` frees the copies.
 */
function snapshot(targets: CheckpointTargets): { undo: () => void; release: () => void } {
  const undos: (() => void)[] = [];
  const copies: Tensor[] = [];
  if (targets.model) {
    const model = targets.model;
    // x·1 is an exact copy of every float, -0 and NaN included (as the optimizers' cloneTensor).
    const copy = tidy(() =>
      noGrad(() => {
        const d = model.stateDict();
        const entries = d instanceof Map ? [...d.entries()] : Object.entries(d);
        return Object.fromEntries(entries.map(([k, t]) => [k, keep(t.mul(1))]));
      }),
    );
    copies.push(...Object.values(copy));
    undos.push(() => model.loadStateDict(copy));
  }
  if (targets.optimizer) {
    const optimizer = targets.optimizer;
    const s = optimizer.stateDict();
    for (const st of Object.values(s.state)) for (const v of Object.values(st)) if (v instanceof Tensor) copies.push(v);
    undos.push(() => optimizer.loadStateDict(s as { state: Record<number, Record<string, unknown>>; paramGroups: object[] }));
  }
  if (targets.scheduler) {
    const scheduler = targets.scheduler;
    const s = scheduler.stateDict();
    undos.push(() => scheduler.loadStateDict(s as never));
  }
  return { undo: () => undos.forEach((u) => u()), release: () => copies.forEach((t) => t.dispose()) };
}

/**
 * Restores a training state saved by saveCheckpoint into `model`, `optimizer` and `scheduler`
 * (each optional; each must be built as the saved one was: same parameter names and shapes, the
 * same parameter groups, the same kind of scheduler), and returns the epoch and the extras
 * (tensors among them are yours to dispose). Restore the model first or all at once: the
 * optimizer's state is keyed by the index of each parameter, so build the optimizer over the
 * model's parameters in the same order. All or nothing: when one part is refused, the others are
 * put back as they were.
 *
 * ```ts
 * const { epoch } = loadCheckpoint('run/ckpt.safetensors', { model, optimizer, scheduler });
 * for (let e = epoch + 1; e < epochs; e++) ...
 * ```
 * @throws SafetensorsError for a file that is not a safetensors file or not a tsgrad checkpoint
 * (naming the file); ValueError for a part asked for that the checkpoint lacks, and whatever the
 * model's, optimizer's or scheduler's loadStateDict() throws for a mismatch (nothing changes then).
 */
export function loadCheckpoint(file: string, targets: CheckpointTargets = {}): LoadedCheckpoint {
  const where = 'loadCheckpoint';
  if (typeof file !== 'string' || file === '') throw new ValueError(`${where}: the path must be a non-empty string, got ${typeof file}.`);
  if (targets === null || typeof targets !== 'object') throw new ValueError(`${where}: expected { model, optimizer, scheduler }, got ${targets === null ? 'null' : typeof targets}.`);
  for (const k of Object.keys(targets)) {
    if (!RESERVED.has(k) || k === 'epoch') throw new ValueError(`${where}: unknown target "${k}"; pass { model, optimizer, scheduler } (extras come back in the result).`);
  }
  checkHas(where, 'model', targets.model, 'loadStateDict');
  checkHas(where, 'optimizer', targets.optimizer, 'loadStateDict');
  checkHas(where, 'scheduler', targets.scheduler, 'loadStateDict');
  removeStaleTempFiles(file);
  let tensors: Record<string, Tensor>;
  let metadata: Metadata | null;
  try {
    ({ tensors, metadata } = deserialize(fs.readFileSync(file)));
  } catch (e) {
    if (!(e instanceof SafetensorsError)) throw e;
    throw new SafetensorsError(`${where}: ${file} is not a valid safetensors file: ${e.message.replace(/^safetensors: /, '')}`, { cause: e });
  }
  const used = new Set<Tensor>();
  const freeUnused = () => {
    for (const t of Object.values(tensors)) if (!used.has(t) && !t.isKept) t.dispose();
  };
  try {
    const text = metadata?.[CHECKPOINT_KEY];
    if (text === undefined) {
      throw new SafetensorsError(`${where}: ${file} is a safetensors file but not a tsgrad checkpoint (its metadata has no "${CHECKPOINT_KEY}"); load a plain state dict with loadIntoModule().`);
    }
    let raw: { version?: unknown; epoch?: unknown; model?: unknown; optimizer?: unknown; scheduler?: unknown; extra?: unknown };
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new SafetensorsError(`${where}: ${file} has a corrupt checkpoint header (${(e as Error).message}).`);
    }
    if (raw === null || typeof raw !== 'object' || raw.version !== VERSION) {
      throw new SafetensorsError(`${where}: ${file} is a checkpoint of format version ${String((raw as { version?: unknown })?.version)}, this tsgrad reads version ${VERSION}.`);
    }
    const at = `${where} (${file})`;
    const lacks = (part: string) => new ValueError(`${where}: ${file} holds no ${part} state, but a ${part} was given to restore; leave it out, or save the checkpoint with it.`);
    if (targets.model && !Array.isArray(raw.model)) throw lacks('model');
    if (targets.optimizer && (raw.optimizer === null || typeof raw.optimizer !== 'object')) throw lacks('optimizer');
    if (targets.scheduler && (raw.scheduler === null || typeof raw.scheduler !== 'object')) throw lacks('scheduler');
    const { undo, release } = snapshot(targets);
    try {
      if (targets.model) {
        const names = raw.model as string[];
        const dict: Record<string, Tensor> = {};
        for (const n of names) {
          const t = tensors[`model.${n}`];
          if (!t) throw new SafetensorsError(`${at}: the model's tensor "${n}" is listed but missing from the file.`);
          dict[n] = t;
        }
        targets.model.loadStateDict(dict);
      }
      if (targets.optimizer) {
        const o = decode(at, raw.optimizer, tensors) as { paramGroups: object[]; state: Record<number, Record<string, unknown>> };
        targets.optimizer.loadStateDict(o);
      }
      if (targets.scheduler) targets.scheduler.loadStateDict(decode(at, raw.scheduler, tensors) as never);
    } catch (e) {
      undo();
      throw e;
    } finally {
      release();
    }
    const extra = decode(at, raw.extra ?? {}, tensors) as Record<string, unknown>;
    for (const v of Object.values(extra)) if (v instanceof Tensor) used.add(keep(v));
    const epoch = raw.epoch === undefined || raw.epoch === null ? null : (raw.epoch as number);
    return { ...extra, epoch };
  } finally {
    // Restored values were copied by each loadStateDict(); the file's tensors are freed but for
    // the extras handed back.
    freeUnused();
  }
}
