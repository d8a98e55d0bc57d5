// Shared by the server tests: dashboard servers on a free port and temporary directories, both
// closed and removed after each test of the file that imports this module.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { startServer, type PlotServer } from '../src/index.js';

/** Servers still open; a test that closes one itself takes it out. */
export const servers: PlotServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

export async function serve(opts: Parameters<typeof startServer>[0] = {}): Promise<PlotServer> {
  const s = await startServer({ port: 0, log: () => undefined, ...opts });
  servers.push(s);
  return s;
}

export async function tempDir(prefix = 'tsgrad-plot-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
