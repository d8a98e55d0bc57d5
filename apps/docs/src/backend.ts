// Registers the "webgl" backend (tfjs-backend-webgl); the umbrella "tsgrad" registers "cpu".
import '@tsgrad/backend-webgl';
import { setBackend } from 'tsgrad';

export interface BackendChoice {
  name: 'webgl' | 'cpu';
  /** Why the page runs on the CPU, when it does. */
  note: string | null;
}

/** WebGL when the browser has it, else the CPU backend with the reason. `?backend=cpu` forces the CPU. */
export function chooseBackend(requested: string | null): BackendChoice {
  if (requested === 'cpu') {
    setBackend('cpu');
    return { name: 'cpu', note: 'Running on the CPU backend because the address asks for it (?backend=cpu).' };
  }
  try {
    setBackend('webgl');
    return { name: 'webgl', note: null };
  } catch (e) {
    setBackend('cpu');
    return { name: 'cpu', note: `WebGL is not available in this browser, so the examples run on the CPU backend (slower). Reason: ${(e as Error).message}` };
  }
}
