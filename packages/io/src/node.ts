import fs from 'node:fs';
import { Tensor, ValueError, tidy } from '@tsgrad/core';
import { removeStaleTempFiles, writeFileAtomicSync } from './atomic.js';
import { deserialize, serialize, SafetensorsError, type Deserialized, type DeserializeOptions, type Metadata } from './safetensors.js';

export * from './index.js';
export { writeFileAtomicSync, removeStaleTempFiles, tempPathFor } from './atomic.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  CHECKPOINT_KEY,
  type CheckpointContents,
  type CheckpointTargets,
  type CheckpointModel,
  type CheckpointOptimizer,
  type CheckpointScheduler,
  type LoadedCheckpoint,
} from './checkpoint.js';

/** Anything with a state dict of named tensors: a @tsgrad/layers Module, for one. */
export interface HasStateDict {
  stateDict(): Record<string, Tensor> | Map<string, Tensor>;
}
export interface LoadsStateDict {
  loadStateDict(dict: Record<string, Tensor>): void;
}

function isHasStateDict(v: unknown): v is HasStateDict {
  return typeof v === 'object' && v !== null && typeof (v as { stateDict?: unknown }).stateDict === 'function';
}

function toDict(where: string, value: Record<string, Tensor> | Map<string, Tensor> | HasStateDict): Record<string, Tensor> | Map<string, Tensor> {
  if (value instanceof Tensor) throw new ValueError(`${where}: pass a dict of named tensors ({ weight: t }) or a module, not a single Tensor.`);
  return isHasStateDict(value) ? value.stateDict() : value;
}

/**
 * Saves a dict of tensors, or a module's stateDict(), as a safetensors file, atomically (see
 * writeFileAtomicSync): the file is always the old or the new complete checkpoint, and temporary
 * files of saves killed mid-write are removed.
 */
export function saveFileSync(file: string, dictOrModule: Record<string, Tensor> | Map<string, Tensor> | HasStateDict, metadata?: Metadata): void {
  // A module's stateDict() makes new handles for the save (Module's detach()es each parameter):
  // tidy frees them, so they cannot hold on to storage the parameters later let go of.
  const bytes = tidy(() => serialize(toDict('saveFile', dictOrModule), metadata));
  writeFileAtomicSync(file, bytes);
}

/** Decodes a file's bytes; a SafetensorsError names the file as well as what is wrong in it. */
function decodeFile(where: string, file: string, bytes: Uint8Array, options: DeserializeOptions): Deserialized {
  try {
    return deserialize(bytes, options);
  } catch (e) {
    if (!(e instanceof SafetensorsError)) throw e;
    throw new SafetensorsError(`${where}: ${file} is not a valid safetensors file: ${e.message.replace(/^safetensors: /, '')}`, { cause: e });
  }
}

/**
 * Loads a safetensors file (and removes temporary files that saves of it killed mid-write left).
 * A bad file (truncated, corrupt header, offsets or shapes that do not match) throws a
 * SafetensorsError naming the file and the problem, and loads nothing.
 */
export function loadFileSync(file: string, options: DeserializeOptions = {}): Deserialized {
  removeStaleTempFiles(file);
  return decodeFile('loadFile', file, fs.readFileSync(file), options);
}

/** Async saveFileSync (the write itself is synchronous; serialising reads tensors synchronously anyway). */
export async function saveFile(file: string, dictOrModule: Record<string, Tensor> | Map<string, Tensor> | HasStateDict, metadata?: Metadata): Promise<void> {
  saveFileSync(file, dictOrModule, metadata);
}

/** The asynchronous loadFileSync. */
export async function loadFile(file: string, options: DeserializeOptions = {}): Promise<Deserialized> {
  removeStaleTempFiles(file);
  return decodeFile('loadFile', file, await fs.promises.readFile(file), options);
}

/**
 * Copies the tensors into the module, then frees them: loadStateDict() copies values (as
 * Module.loadStateDict and PyTorch's load_state_dict do), so nothing else holds them, and on
 * backends whose memory the garbage collector cannot see they would otherwise leak. An
 * implementation that keeps a loaded tensor itself must keep() it.
 */
function loadInto(module: LoadsStateDict, tensors: Record<string, Tensor>): void {
  try {
    module.loadStateDict(tensors);
  } finally {
    for (const t of Object.values(tensors)) if (!t.isKept) t.dispose();
  }
}

/**
 * Loads a safetensors file into anything with loadStateDict() (a @tsgrad/layers Module), which
 * checks the names and shapes and copies the values; the loaded tensors are then disposed (a
 * custom loadStateDict() that stores them must keep() them). Returns the file's metadata.
 */
export async function loadIntoModule(module: LoadsStateDict, file: string, options: DeserializeOptions = {}): Promise<Metadata | null> {
  if (typeof module?.loadStateDict !== 'function') throw new ValueError('loadIntoModule: the target has no loadStateDict() method.');
  const { tensors, metadata } = await loadFile(file, options);
  loadInto(module, tensors);
  return metadata;
}

/** The synchronous loadIntoModule. */
export function loadIntoModuleSync(module: LoadsStateDict, file: string, options: DeserializeOptions = {}): Metadata | null {
  if (typeof module?.loadStateDict !== 'function') throw new ValueError('loadIntoModule: the target has no loadStateDict() method.');
  const { tensors, metadata } = loadFileSync(file, options);
  loadInto(module, tensors);
  return metadata;
}
