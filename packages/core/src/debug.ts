import type { Tensor } from './tensor.js';

// Guards that read tensor values (index ranges, class targets) are the one place an op would
// wait for a device: they run where a read is only a memory copy, and elsewhere in debug mode.
let debugMode = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TSGRAD_DEBUG === '1';

/**
 * Turns debug mode on or off (default: on when the environment variable `TSGRAD_DEBUG=1`). In
 * debug mode, checks that read values back (index ranges of gather/indexSelect/scatter,
 * Embedding and oneHot, class targets of nllLoss/crossEntropyLoss) also run on device backends
 * (WebGL, WebGPU, CUDA), where each one stalls the device until its data has arrived.
 */
export function setDebugMode(flag: boolean): void {
  debugMode = flag === true;
}

export function isDebugMode(): boolean {
  return debugMode;
}

/**
 * Whether a guard may read `t`'s values now: always on backends whose storage is host memory
 * (`Backend.hostResident`: cpu, wasm), where a read is a copy; on device backends only in debug
 * mode, so that nothing in a hot path reads device data back.
 */
export function canCheckOnHost(t: Tensor): boolean {
  const b = t.backend;
  return b.readSync !== undefined && (b.hostResident === true || debugMode);
}
