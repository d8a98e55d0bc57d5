/**
 * Each package, packed as npm would publish it, installs into a clean npm project outside the
 * workspace and its README's first ```js example runs there; every ```js and ```ts example of
 * every README (the packages' and the repository's) type-checks there under `strict`, against the
 * published type declarations.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const packagesDir = join(root, 'packages');

interface Pkg {
  dir: string;
  name: string;
  example: string | undefined;
}

const publishable: Pkg[] = readdirSync(packagesDir)
  .map((d) => join(packagesDir, d))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; private?: boolean };
    const readme = existsSync(join(dir, 'README.md')) ? readFileSync(join(dir, 'README.md'), 'utf8') : '';
    const example = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    return { dir, name: manifest.name, example, private: manifest.private };
  })
  .filter((p) => !p.private);

let project = '';

describe('packages as published', () => {
  beforeAll(() => {
    const packs = mkdtempSync(join(tmpdir(), 'tsgrad-packs-'));
    for (const p of publishable) execFileSync('pnpm', ['pack', '--pack-destination', packs], { cwd: p.dir, stdio: 'pipe' });
    project = mkdtempSync(join(tmpdir(), 'tsgrad-consumer-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const tarballs = readdirSync(packs).map((f) => join(packs, f));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], { cwd: project, stdio: 'pipe', timeout: 600_000 });
  }, 900_000);

  it.each(publishable.map((p) => [p.name, p] as const))('%s: the README example runs from the npm-installed package', (_name, p) => {
    expect(p.example, `${p.name}'s README.md needs a \`\`\`js example block`).toBeTruthy();
    const file = join(project, `example-${p.name.replace(/[@/]/g, '_')}.mjs`);
    writeFileSync(file, p.example!);
    const run = spawnSync(process.execPath, [file], { cwd: project, encoding: 'utf8', timeout: 120_000 });
    expect(run.stderr + run.stdout).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
    expect(run.status, `${p.name} example failed:\n${run.stderr}`).toBe(0);
  });

  it('npx tsgrad-plot starts the dashboard from a fresh npm project (the bin ships built and executable)', () => {
    const help = spawnSync('npx', ['--no-install', 'tsgrad-plot', '--help'], { cwd: project, encoding: 'utf8', timeout: 60_000 });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/tsgrad-plot \[--port 8097\]/);
  });

  it('every README example type-checks under strict against the published types', () => {
    const readmes = [join(root, 'README.md'), ...readdirSync(packagesDir).map((d) => join(packagesDir, d, 'README.md'))].filter((f) => existsSync(f));
    const files: string[] = [];
    for (const readme of readmes) {
      const text = readFileSync(readme, 'utf8');
      let i = 0;
      for (const m of text.matchAll(/```(?:ts|js)\n([\s\S]*?)```/g)) {
        // Each block is a module of its own: `export {}` keeps its names out of the others' scope.
        const name = `readme-${readme.slice(root.length + 1).replace(/[/.]/g, '_')}-${i++}.ts`;
        writeFileSync(join(project, name), `${m[1]}\nexport {};\n`);
        files.push(name);
      }
    }
    expect(files.length).toBeGreaterThan(10);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          lib: ['es2022', 'esnext.disposable', 'dom'],
          types: ['node'],
          typeRoots: [join(root, 'node_modules/@types')],
          skipLibCheck: true,
        },
        files,
      }),
    );
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: project, encoding: 'utf8', timeout: 300_000 });
    expect(tsc.stdout + tsc.stderr, 'README examples must type-check under strict').toBe('');
    expect(tsc.status).toBe(0);
  }, 300_000);
});
