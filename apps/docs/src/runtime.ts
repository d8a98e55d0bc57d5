/**
 * What every live example on the site shares: the backend (WebGL when the browser has it, else
 * the CPU backend with the reason; the reader can switch), the run-length parameters from the
 * address, and the record the end-to-end test reads (window.__docs).
 */
// Registers the "webgl" backend (tfjs-backend-webgl); the umbrella "tsgrad" registers "cpu".
import '@tsgrad/backend-webgl';
import { opDefs, setBackend } from 'tsgrad';

// Referencing opDefs keeps core's op table (and its installation) in the bundle: rolldown drops
// it otherwise (the same workaround as backend-webgl's browser test).
if (Object.keys(opDefs).length === 0) throw new Error('no ops');

export type BackendName = 'webgl' | 'cpu';

/** One live example's progress, as the end-to-end test reads it. */
export interface DemoRecord {
  state: 'idle' | 'running' | 'done' | 'error';
  error: string | null;
  /** Whatever the example wants the test to see (numbers it computed). */
  data: Record<string, unknown>;
  runs: number;
}

export interface DocsState {
  backend: BackendName;
  backendNote: string | null;
  demos: Record<string, DemoRecord>;
  errors: string[];
}

declare global {
  interface Window {
    __docs: DocsState;
  }
}

const STORAGE_KEY = 'tsgrad-docs-backend';

function initialState(): DocsState {
  const state: DocsState = { backend: 'cpu', backendNote: null, demos: {}, errors: [] };
  window.addEventListener('error', (e) => state.errors.push(String(e.message)));
  window.addEventListener('unhandledrejection', (e) => state.errors.push(String((e.reason as Error)?.message ?? e.reason)));
  return state;
}

export const docs: DocsState = (window.__docs ??= initialState());

/** A positive integer from the address (?epochs=100 shortens runs for tests and slow machines). */
export function param(name: string, fallback: number): number {
  const v = Number(new URLSearchParams(location.search).get(name));
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

/** Why WebGL could not be used: the backend's own error, which names what is missing. */
let webglFailure: string | null = null;

function trySet(name: BackendName): string | null {
  try {
    setBackend(name);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

let chosen = false;

/**
 * Picks the backend once per page load: `?backend=cpu|webgl`, else the reader's last choice,
 * else WebGL when it works here, else the CPU backend with a note giving the reason.
 */
export function ensureBackend(): DocsState {
  if (chosen) return docs;
  chosen = true;
  const asked = new URLSearchParams(location.search).get('backend') ?? safeStorage()?.getItem(STORAGE_KEY) ?? 'webgl';
  select(asked === 'cpu' ? 'cpu' : 'webgl');
  return docs;
}

/** Switches every example that runs after this call to `name`. */
export function switchBackend(name: BackendName): DocsState {
  chosen = true;
  select(name);
  safeStorage()?.setItem(STORAGE_KEY, name);
  return docs;
}

function select(name: BackendName): void {
  if (name === 'cpu') {
    trySet('cpu');
    docs.backend = 'cpu';
    docs.backendNote = webglFailure;
    return;
  }
  const failure = trySet('webgl');
  if (failure === null) {
    docs.backend = 'webgl';
    docs.backendNote = null;
    return;
  }
  webglFailure = failure;
  trySet('cpu');
  docs.backend = 'cpu';
  docs.backendNote = failure;
}

function safeStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** Runs one live example, recording its progress and errors for the reader and the test. */
export async function track<T>(id: string, run: (record: DemoRecord) => Promise<T> | T): Promise<T | undefined> {
  const record: DemoRecord = (docs.demos[id] ??= { state: 'idle', error: null, data: {}, runs: 0 });
  record.state = 'running';
  record.error = null;
  try {
    const result = await run(record);
    record.state = 'done';
    record.runs++;
    return result;
  } catch (e) {
    record.state = 'error';
    record.error = (e as Error).message;
    docs.errors.push(`${id}: ${(e as Error).message}`);
    return undefined;
  }
}

/** Lets the browser paint and handle input between chunks of work. */
export const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
