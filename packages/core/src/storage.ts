import type { Backend } from './backend.js';

/**
 * A backend buffer shared by every tensor that views it (reshape, detach). Freed once the last
 * of them lets go, by dispose(), tidy() or garbage collection.
 */
export class Storage {
  refs = 1;
  constructor(
    readonly backend: Backend,
    readonly handle: unknown,
    readonly bytes: number,
  ) {}

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (--this.refs === 0) this.backend.dispose(this.handle);
  }
}

/** Frees the storage of tensors that were dropped without dispose() (a loop written without tidy). */
export const storageFinalizer = new FinalizationRegistry<Storage>((storage) => storage.release());
