// The built site that the tests read: apps/docs/dist, made by the package's build script (turbo
// runs it before vitest in `pnpm test`). Run alone, a missing or stale build is rebuilt first.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';

export const root = resolve(import.meta.dirname, '..');
export const dist = join(root, 'dist');

/** Builds the site unless dist/ is newer than every source of it (see scripts/ensure-built.mjs). */
export function ensureBuilt(): void {
  execFileSync('flock', [join(tmpdir(), 'tsgrad-docs-build.lock'), process.execPath, join(root, 'scripts/ensure-built.mjs')], { stdio: 'inherit', timeout: 600_000 });
}

/** Every page of the build, as its path on the server ("/lecture/01-setup.html", "/ko/"). */
export function pages(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'assets') walk(p);
      } else if (entry.name.endsWith('.html') && entry.name !== '404.html') {
        const path = '/' + relative(dist, p).split(sep).join('/');
        out.push(path.endsWith('index.html') ? path.slice(0, -'index.html'.length) : path);
      }
    }
  };
  walk(dist);
  return out.sort();
}

/** The file that serves `path`. */
export const fileOf = (path: string): string => join(dist, path.endsWith('/') ? `${path}index.html` : path);
