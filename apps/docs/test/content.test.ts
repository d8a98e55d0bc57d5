// The built site's pages: every page in English and Korean, each with a language switch; Korean
// pages written in Korean (Hangul, no paragraph left in English, code and maths aside); the API
// reference covering every exported symbol of every package (checked against TypeScript's own
// list of each entry point's exports, not TypeDoc's).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without declarations.
import { entryPoints } from '../scripts/api.mjs';
import { ensureBuilt, fileOf, pages, root } from './built.js';

const HANGUL = /[\uac00-\ud7a3]/;

/**
 * The prose of a Korean markdown page, one chunk per paragraph, list item, table cell, heading or
 * front-matter text: code blocks, inline code, maths, HTML tags and link targets removed.
 */
function proseChunks(markdown: string): string[] {
  const text = markdown
    .replace(/^<<<.*$/gm, '') // code imported from a file
    .replace(/^\s*link:.*$/gm, '') // front-matter addresses
    .replace(/```[\s\S]*?```/g, '')
    .replace(/\$\$[\s\S]*?\$\$/g, '')
    .replace(/\$[^$\n]+\$/g, '')
    .replace(/`[^`\n]*`/g, '')
    .replace(/<[^>]+>/g, '')
    .replace(/\]\([^)]*\)/g, ']')
    .replace(/^\s*(link|theme|layout|name|text|tagline|title|details|actions|hero|features):\s*/gm, '');
  return text
    .split(/\n\s*\n|\n\s*[-*]\s+|\n\s*\d+\.\s+|\||\n#+\s+|\n/)
    .map((s) => s.replace(/^---$/gm, '').trim())
    .filter((s) => /[A-Za-z]/.test(s));
}

/** VitePress' heading anchors (its slugify): special characters to "-", lower case. */
const slugify = (s: string) =>
  s
    .replace(/[\s~`!@#$%^&*()\-_+=[\]{}|\\;:"'“”‘’<>,.?/]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/^(\d)/, '_$1')
    .toLowerCase();

/** A chunk reads as English when it has four or more Latin words and no Hangul. */
const english = (chunk: string) => !HANGUL.test(chunk) && (chunk.match(/\b[A-Za-z]{2,}\b/g) ?? []).length >= 4;

describe('the built docs site', () => {
  let all: string[];
  beforeAll(() => {
    ensureBuilt();
    all = pages();
  }, 600_000);

  it('has every page in English and in Korean, each linking to its other language', () => {
    const en = all.filter((p) => !p.startsWith('/ko/'));
    const ko = all.filter((p) => p.startsWith('/ko/'));
    expect(en.length).toBeGreaterThanOrEqual(20); // home, getting started, 10 chapters, 5 guides, benchmarks, API
    expect(ko.map((p) => p.slice(3))).toEqual(en);
    for (const p of ['/guide/getting-started.html', '/benchmarks.html', '/api/', ...Array.from({ length: 10 }, (_, i) => `/lecture/${String(i + 1).padStart(2, '0')}-`)]) {
      expect(en.some((x) => x.startsWith(p)), p).toBe(true);
    }
    for (const p of en) {
      // VitePress' language menu links each page to the same path in the other locale.
      expect(readFileSync(fileOf(p), 'utf8'), p).toContain(`href="/ko${p}"`);
      expect(readFileSync(fileOf(`/ko${p}`), 'utf8'), `/ko${p}`).toContain(`href="${p}"`);
    }
  });

  it('has Hangul on every Korean page and no paragraph left in English (code and maths aside)', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith('.md')) files.push(join(dir, e.name));
      }
    };
    walk(join(root, 'content/ko'));
    expect(files.length).toBe(all.filter((p) => p.startsWith('/ko/')).length);
    const offenders: string[] = [];
    for (const f of files) {
      const md = readFileSync(f, 'utf8');
      expect(HANGUL.test(md), f).toBe(true);
      for (const chunk of proseChunks(md)) if (english(chunk)) offenders.push(`${f.slice(root.length)}: ${chunk}`);
    }
    expect(offenders, offenders.join('\n')).toEqual([]);
    // The check itself: an English sentence is caught, a Korean one with terms in English is not.
    expect(proseChunks('Backpropagation computes every gradient in one sweep.').some(english)).toBe(true);
    expect(proseChunks('역전파는 `loss.backward()`로 모든 gradient를 한 번에 계산합니다.').some(english)).toBe(false);
  });

  it('uses the standard Korean terms of the field', () => {
    const ko = (p: string) => readFileSync(join(root, 'content/ko', p), 'utf8');
    expect(ko('lecture/05-activations.md')).toContain('활성화 함수');
    expect(ko('lecture/07-backpropagation.md')).toContain('역전파');
    expect(ko('lecture/08-computational-graph.md')).toContain('계산 그래프');
    expect(ko('lecture/10-practice.md')).toContain('손실 함수');
    expect(ko('lecture/10-practice.md')).toContain('경사 하강법');
  });

  it('documents every exported symbol of every package entry point in the API reference', () => {
    const entries = entryPoints() as { name: string; file: string }[];
    expect(entries.map((e) => e.name)).toContain('@tsgrad/core');
    const config = ts.readConfigFile(join(root, 'tsconfig.api.json'), ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
    const program = ts.createProgram(entries.map((e) => e.file), { ...parsed.options, noEmit: true });
    const checker = program.getTypeChecker();
    const packages = JSON.parse(readFileSync(join(root, 'content/api/packages.json'), 'utf8')) as { name: string; slug: string }[];
    const missing: string[] = [];
    let total = 0;
    for (const e of entries) {
      const module = checker.getSymbolAtLocation(program.getSourceFile(e.file)!)!;
      const names = checker.getExportsOfModule(module).map((s) => s.name).filter((n) => n !== 'default');
      expect(names.length, e.name).toBeGreaterThan(0);
      total += names.length;
      const slug = packages.find((p) => p.name === e.name)!.slug;
      const page = readFileSync(fileOf(`/api/${slug.endsWith('/') ? slug : `${slug}.html`}`), 'utf8');
      const koPage = readFileSync(fileOf(`/ko/api/${slug.endsWith('/') ? slug : `${slug}.html`}`), 'utf8');
      // Each name is a heading (an anchor id) or a link on its module's page, and listed in Korean.
      for (const n of names) {
        if (!page.includes(`id="${slugify(n)}"`) && !page.includes(`>${n}<`)) missing.push(`${e.name}: ${n}`);
        if (!koPage.includes(`>${n}<`)) missing.push(`${e.name} (ko): ${n}`);
      }
    }
    expect(missing, missing.join('\n')).toEqual([]);
    expect(total).toBeGreaterThan(500);
  });
});
