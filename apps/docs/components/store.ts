/**
 * State shared by the live examples, safe to import during server-side rendering: the runtime
 * (tsgrad, its backends, vega) is loaded only in the browser, on first use.
 */
import { computed, reactive } from 'vue';
import { useData } from 'vitepress';

export const backendStore = reactive({ name: '', note: null as string | null, version: 0 });

type Runtime = typeof import('../src/runtime.js');

/** Loads tsgrad and picks the backend (once); never runs on the server. */
export async function loadRuntime(): Promise<Runtime> {
  // import.meta.env.SSR is a constant: the server bundle never contains the runtime.
  const rt = import.meta.env.SSR ? null : await import('../src/runtime.js');
  if (!rt) throw new Error('the live examples run only in a browser');
  const state = rt.ensureBackend();
  backendStore.name = state.backend;
  backendStore.note = state.backendNote;
  return rt;
}

export async function changeBackend(name: 'webgl' | 'cpu'): Promise<void> {
  const rt = await loadRuntime();
  const state = rt.switchBackend(name);
  backendStore.name = state.backend;
  backendStore.note = state.backendNote;
  backendStore.version++;
}

/** `t(english, korean)` in the page's language. */
export function useT() {
  const { lang } = useData();
  const ko = computed(() => lang.value.startsWith('ko'));
  return { ko, t: (en: string, kr: string) => (ko.value ? kr : en) };
}

/** Numbers as the lecture prints them: up to 4 decimals, no trailing zeros. */
export const fmt = (v: number, digits = 4): string => (Number.isFinite(v) ? String(Number(v.toFixed(digits))) : String(v));
