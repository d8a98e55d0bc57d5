/**
 * What registering a hook returns (PyTorch's `torch.utils.hooks.RemovableHandle`): `remove()`
 * unregisters that hook; calling it again does nothing. Tensor gradient hooks
 * (`Tensor.registerHook`) and module forward hooks (`Module.registerForwardHook`) both use it.
 */
export class RemovableHandle {
  private static nextId = 0;
  /** Unique among every handle made: the key the hook is stored under. */
  readonly id = RemovableHandle.nextId++;

  constructor(private readonly hooks: Map<number, unknown>) {}

  /** Unregisters the hook; a second call does nothing. */
  remove(): void {
    this.hooks.delete(this.id);
  }
}

/** Stores `hook` in `hooks` and returns its handle. */
export function addHook<F>(hooks: Map<number, F>, hook: F): RemovableHandle {
  const handle = new RemovableHandle(hooks as Map<number, unknown>);
  hooks.set(handle.id, hook);
  return handle;
}
