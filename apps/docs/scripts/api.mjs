// Generates the API reference (content/api, English; content/ko/api, a Korean index of the same
// symbols) from every package's TypeScript sources and doc comments, with TypeDoc and
// typedoc-plugin-markdown. Every entry point in each package's "exports" is documented.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, ReflectionKind } from 'typedoc';

const docsRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(docsRoot, '../..');
const out = join(docsRoot, 'content/api');
const koOut = join(docsRoot, 'content/ko/api');

/** Every public entry point: [module name, source file], from the packages' exports maps. */
export function entryPoints() {
  const entries = [];
  for (const dir of readdirSync(join(repo, 'packages')).sort()) {
    const pkg = JSON.parse(readFileSync(join(repo, 'packages', dir, 'package.json'), 'utf8'));
    for (const [sub, target] of Object.entries(pkg.exports ?? {})) {
      const source = typeof target === 'object' ? target['@tsgrad/source'] : undefined;
      if (!source) continue;
      const name = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
      entries.push({ name, file: join(repo, 'packages', dir, source) });
    }
  }
  return entries;
}

const KIND_KO = {
  [ReflectionKind.Class]: '클래스',
  [ReflectionKind.Interface]: '인터페이스',
  [ReflectionKind.Function]: '함수',
  [ReflectionKind.Variable]: '변수·상수',
  [ReflectionKind.TypeAlias]: '타입 별칭',
  [ReflectionKind.Enum]: '열거형',
  [ReflectionKind.Namespace]: '네임스페이스',
  [ReflectionKind.Reference]: '다시 내보낸 이름',
};

async function main() {
  const entries = entryPoints();
  rmSync(out, { recursive: true, force: true });
  rmSync(koOut, { recursive: true, force: true });
  const app = await Application.bootstrapWithPlugins({
    entryPoints: entries.map((e) => e.file),
    entryPointStrategy: 'resolve',
    tsconfig: join(docsRoot, 'tsconfig.api.json'),
    plugin: ['typedoc-plugin-markdown'],
    out,
    readme: 'none',
    skipErrorChecking: true,
    excludePrivate: true,
    excludeInternal: false,
    outputFileStrategy: 'modules',
    entryFileName: 'index',
    hidePageHeader: true,
    hideBreadcrumbs: true,
    useCodeBlocks: true,
    parametersFormat: 'table',
    sanitizeComments: true,
    logLevel: 'Error',
    validation: { notExported: false, invalidLink: false, rewrittenLink: false },
  });
  const project = await app.convert();
  if (!project) throw new Error('TypeDoc could not convert the packages');
  // Name each module after its import path ("@tsgrad/io/node"), not its file path.
  const byFile = new Map(entries.map((e) => [e.file, e]));
  for (const mod of project.children ?? []) {
    const file = mod.sources?.[0]?.fullFileName;
    const entry = [...byFile.values()].find((e) => e.file === file || relative(e.file, file ?? '') === '');
    if (entry) mod.name = entry.name;
  }
  await app.generateOutputs(project);
  // The pages typedoc-plugin-markdown wrote, one per module: map them to the entry points.
  const written = readdirSync(out, { recursive: true }).filter((f) => String(f).endsWith('.md')).map(String);
  const packages = [];
  const symbols = {};
  for (const e of entries) {
    const mod = project.children?.find((m) => m.name === e.name);
    // A module with namespaces gets a folder (name/index.md), the others one file (name.md).
    const slug = written.includes(`${e.name}.md`) ? e.name : written.includes(`${e.name}/index.md`) ? `${e.name}/` : null;
    if (slug === null) throw new Error(`TypeDoc wrote no page for ${e.name}`);
    packages.push({ name: e.name, slug });
    symbols[e.name] = (mod?.children ?? []).map((c) => ({ name: c.name, kind: c.kind }));
  }
  writeFileSync(join(out, 'packages.json'), JSON.stringify(packages, null, 2));
  writeFileSync(join(out, 'symbols.json'), JSON.stringify(symbols, null, 2));
  writeIndexes(packages, symbols);
  // Namespace pages (tsgrad's nn, F...): a Korean page each too, so the language switch always lands.
  const modulePages = new Set(packages.map((p) => (p.slug.endsWith('/') ? `${p.slug}index.md` : `${p.slug}.md`)));
  for (const f of written) {
    if (f === 'index.md' || modulePages.has(f)) continue;
    const title = f.replace(/\.md$/, '').replace('/namespaces/', ' → ');
    const target = `/api/${f.replace(/\.md$/, '.html')}`;
    const file = join(koOut, f);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `# \`${title}\`\n\n이 네임스페이스에 속한 이름들의 자세한 설명은 소스 주석을 그대로 옮긴 [영어 참조 페이지](${target})에 있습니다.\n`);
  }
  console.log(`API reference: ${entries.length} entry points, ${Object.values(symbols).reduce((n, s) => n + s.length, 0)} exported symbols`);
}

/** The address of a generated page (VitePress serves name.md as name.html, name/index.md as name/). */
const link = (prefix, slug) => (slug.endsWith('/') ? `${prefix}${slug}` : `${prefix}${slug}.html`);

function writeIndexes(packages, symbols) {
  const en = [
    '# API reference',
    '',
    'Generated by TypeDoc from the TypeScript sources and doc comments of every package, one page per entry point (each `exports` entry of its `package.json`). Shapes, dtypes and the errors each function throws are in its comment.',
    '',
    '| entry point | exported symbols |',
    '|---|---:|',
    ...packages.map((p) => `| [\`${p.name}\`](${link('/api/', p.slug)}) | ${symbols[p.name].length} |`),
    '',
  ];
  writeFileSync(join(out, 'index.md'), en.join('\n'));
  mkdirSync(koOut, { recursive: true });
  const ko = [
    '# API 참조',
    '',
    '모든 패키지의 TypeScript 소스와 문서 주석에서 TypeDoc으로 생성한 참조입니다. 진입점(`package.json`의 `exports` 항목)마다 한 쪽씩 있습니다. 설명 자체는 소스 주석 그대로 영어이며, 이 한국어 색인은 각 진입점이 내보내는 이름과 그 종류를 보여 줍니다.',
    '',
    '| 진입점 | 내보낸 이름 수 |',
    '|---|---:|',
    ...packages.map((p) => `| [\`${p.name}\`](${link('/ko/api/', p.slug)}) | ${symbols[p.name].length} |`),
    '',
  ];
  writeFileSync(join(koOut, 'index.md'), ko.join('\n'));
  for (const p of packages) {
    // VitePress' slugify, as it makes heading anchors.
    const anchor = (name) =>
      name
        .replace(/[\s~`!@#$%^&*()\-_+=[\]{}|\\;:"'“”‘’<>,.?/]+/g, '-')
        .replace(/-{2,}/g, '-')
        .replace(/^-+|-+$/g, '')
        .replace(/^(\d)/, '_$1')
        .toLowerCase();
    const page = [
      `# \`${p.name}\``,
      '',
      `\`${p.name}\`이(가) 내보내는 이름 ${symbols[p.name].length}개입니다. 각 이름을 누르면 영어로 된 자세한 설명(매개변수, 반환값, 던지는 오류)으로 이동합니다.`,
      '',
      '| 이름 | 종류 |',
      '|---|---|',
      ...symbols[p.name].map((s) => `| [\`${s.name}\`](${link('/api/', p.slug)}#${anchor(s.name)}) | ${KIND_KO[s.kind] ?? '기타'} |`),
      '',
    ];
    const file = join(koOut, p.slug.endsWith('/') ? `${p.slug}index.md` : `${p.slug}.md`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, page.join('\n'));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
