// Builds the site (pnpm run build) unless dist/ is newer than every source of it. The tests call
// it under flock, so two test files started together build once.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (['api', 'cache', '.temp'].includes(entry.name)) continue; // generated
      t = Math.max(t, newest(p));
    } else t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

const stamp = join(root, 'dist/hashmap.json');
const sources = Math.max(...['content', 'components', 'src', '.vitepress', 'scripts'].map((d) => newest(join(root, d))));
if (!existsSync(stamp) || statSync(stamp).mtimeMs < sources) {
  console.log('apps/docs: the build is missing or older than its sources; building it');
  execFileSync('pnpm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}
