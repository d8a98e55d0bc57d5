import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Tensor, ValueError } from '@tsgrad/core';
import { deserialize, serialize, type Deserialized, type DeserializeOptions, type Metadata } from './safetensors.js';

export * from './index.js';

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
 * Writes `bytes` to `file` atomically: a temporary file in the same directory is written,
 * fsync'ed and renamed over the target, so a crash or a failed write leaves the old file whole.
 */
export function writeFileAtomicSync(file: string, bytes: Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing: keep the first error */
      }
    }
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  // Make the rename itself durable; not every platform can open a directory, so best effort.
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    /* best effort */
  }
}

/** Saves a dict of tensors, or a module's stateDict(), as a safetensors file (atomically). */
export function saveFileSync(file: string, dictOrModule: Record<string, Tensor> | Map<string, Tensor> | HasStateDict, metadata?: Metadata): void {
  writeFileAtomicSync(file, serialize(toDict('saveFile', dictOrModule), metadata));
}

/** Loads a safetensors file; a bad file throws SafetensorsError and loads nothing. */
export function loadFileSync(file: string, options: DeserializeOptions = {}): Deserialized {
  return deserialize(fs.readFileSync(file), options);
}

/** Async saveFileSync (the write itself is synchronous; serialising reads tensors synchronously anyway). */
export async function saveFile(file: string, dictOrModule: Record<string, Tensor> | Map<string, Tensor> | HasStateDict, metadata?: Metadata): Promise<void> {
  saveFileSync(file, dictOrModule, metadata);
}

export async function loadFile(file: string, options: DeserializeOptions = {}): Promise<Deserialized> {
  return deserialize(await fs.promises.readFile(file), options);
}

/**
 * Loads a safetensors file into anything with loadStateDict() (a @tsgrad/layers Module), which
 * checks the names and shapes. Returns the file's metadata.
 */
export async function loadIntoModule(module: LoadsStateDict, file: string, options: DeserializeOptions = {}): Promise<Metadata | null> {
  if (typeof module?.loadStateDict !== 'function') throw new ValueError('loadIntoModule: the target has no loadStateDict() method.');
  const { tensors, metadata } = await loadFile(file, options);
  module.loadStateDict(tensors);
  return metadata;
}

/** The synchronous loadIntoModule. */
export function loadIntoModuleSync(module: LoadsStateDict, file: string, options: DeserializeOptions = {}): Metadata | null {
  if (typeof module?.loadStateDict !== 'function') throw new ValueError('loadIntoModule: the target has no loadStateDict() method.');
  const { tensors, metadata } = loadFileSync(file, options);
  module.loadStateDict(tensors);
  return metadata;
}
