import type { Backend } from './backend.js';

/**
 * Storage that became unreachable without dispose(): a loop written without tidy().
 *
 * On backends whose memory the garbage collector cannot see (tfjs, GPUs), each storage is
 * registered with its handle, and freed when its finalizer runs.
 *
 * On garbage-collected backends (cpu, wasm) the collector frees the typed arrays by itself, even
 * in a synchronous loop; the finalizer only keeps memory() honest. Registering every storage would
 * cost a registry cell per tensor, and cells pile up until the event loop turns (a synchronous
 * loop never lets it), so storages are counted in cohorts of up to 64: one registration per
 * cohort, whose counts are handed back to the backend once all its members are unreachable.
 * Holdings never reference a buffer, so nothing keeps an unreachable tensor's memory alive.
 */
type Holdings = { readonly backend: Backend; readonly handle: unknown } | CohortCounts;
interface CohortCounts {
  readonly backend: Backend;
  buffers: number;
  bytes: number;
}
const finalizer = new FinalizationRegistry<Holdings>((h) => {
  if ('buffers' in h) {
    if (h.buffers > 0) h.backend.collected?.(h.buffers, h.bytes);
  } else h.backend.dispose(h.handle);
});

const COHORT_SIZE = 64;
/** A group of garbage-collected storages; alive while any member is (members reference it). */
class Cohort {
  size = 0;
  readonly counts: CohortCounts;
  constructor(backend: Backend) {
    this.counts = { backend, buffers: 0, bytes: 0 };
    finalizer.register(this, this.counts);
  }
}
const openCohorts = new WeakMap<Backend, Cohort>();

function cohortFor(backend: Backend): Cohort {
  let c = openCohorts.get(backend);
  if (c === undefined || c.size >= COHORT_SIZE) openCohorts.set(backend, (c = new Cohort(backend)));
  return c;
}

/**
 * A backend buffer shared by every tensor that views it (reshape, detach). Freed once the last
 * of them lets go by dispose() or tidy(), or by garbage collection once no tensor references it.
 */
export class Storage {
  refs = 1;
  /** Registered per storage with the finalizer (backends the GC cannot see). */
  private registered = false;
  /** Counted in a cohort (garbage-collected backends). */
  private cohort: Cohort | undefined = undefined;
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
    if (--this.refs !== 0) return;
    if (this.registered) {
      finalizer.unregister(this);
      this.registered = false;
    }
    if (this.cohort !== undefined) {
      // Freed by hand: the cohort must not report it to the backend a second time.
      this.cohort.counts.buffers--;
      this.cohort.counts.bytes -= this.bytes;
      this.cohort = undefined;
    }
    this.backend.dispose(this.handle);
  }

  /**
   * Lets garbage collection free the buffer once no tensor references this storage. Tensors made
   * inside tidy() are freed by their scope and never need it.
   */
  makeCollectable(): void {
    if (this.registered || this.cohort !== undefined || this.refs <= 0) return;
    if (this.backend.garbageCollected === true) {
      const c = cohortFor(this.backend);
      c.size++;
      c.counts.buffers++;
      c.counts.bytes += this.bytes;
      this.cohort = c;
    } else {
      finalizer.register(this, { backend: this.backend, handle: this.handle }, this);
      this.registered = true;
    }
  }
}
