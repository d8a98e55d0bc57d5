/**
 * The prose of the project's lecture (apps/docs/content/lecture/*.md) as plain text, the corpus
 * of the tiny transformer (tiny-transformer.ts). `node dist/lecture-text.js` rewrites
 * apps/examples/data/lecture.txt from the docs; the example reads the committed file, so it does
 * not depend on the docs' layout.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The prose of one Markdown page: front matter, fenced code, VitePress includes (`<<< ...`),
 * HTML/Vue tags, tables and maths ($...$, $$...$$) removed; links, emphasis and inline-code
 * backticks reduced to their text; heading marks, list markers and chapter numbers dropped.
 * Paragraphs are joined into single lines, separated by one blank line.
 */
export function proseFromMarkdown(markdown: string): string {
  let text = markdown.replace(/\r\n?/g, '\n');
  text = text.replace(/^---\n[\s\S]*?\n---\n/, ''); // front matter
  text = text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, ''); // fenced code
  text = text.replace(/\$\$[\s\S]*?\$\$/g, ''); // display maths
  text = text.replace(/\$[^$\n]+\$/g, ''); // inline maths
  text = text.replace(/<!--[\s\S]*?-->/g, '');
  text = text.replace(/<\/?[A-Za-z][^>]*>/g, ''); // HTML and Vue components
  const paragraphs: string[] = [];
  let current: string[] = [];
  const flush = () => {
    if (current.length) paragraphs.push(current.join(' '));
    current = [];
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('<<<') || line.startsWith('|')) {
      flush();
      continue;
    }
    const heading = /^#{1,6}\s+(?:\d+\.\s+)?(.*)$/.exec(line);
    if (heading) {
      flush();
      paragraphs.push(heading[1]!);
      continue;
    }
    const item = /^(?:[-*+]|\d+\.)\s+(.*)$/.exec(line);
    if (item) {
      flush(); // each list item is its own paragraph
      current.push(item[1]!);
      continue;
    }
    current.push(line);
  }
  flush();
  return paragraphs
    .map((p) =>
      p
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
        .replace(/\*\*|__/g, '')
        .replace(/\*([^*\s][^*]*)\*/g, '$1')
        .replace(/`([^`]*)`/g, '$1')
        .replace(/\s\(\s*[,;]?\s*\)/g, '') // brackets left empty by removed maths (not a call's "()")
        .replace(/\s+/g, ' ')
        .replace(/\s+([,.;:!?)])(?=\s|$)/g, '$1') // space left before punctuation by removed maths
        .replace(/([,;:])(?=[,.;:])/g, '')
        .trim(),
    )
    .filter((p) => /[A-Za-z]{2}/.test(p))
    .join('\n\n');
}

/** The header lines (starting with "#") that say where the corpus came from. */
export const CORPUS_HEADER = [
  '# The prose of the tsgrad lecture, apps/docs/content/lecture/*.md in chapter order, with front',
  '# matter, code, HTML, tables and maths removed by apps/examples/src/lecture-text.ts',
  '# (regenerate: pnpm --filter @tsgrad-apps/examples build && node apps/examples/dist/lecture-text.js).',
  '# Lines starting with "#" at the top of this file are this header and are not training text.',
].join('\n');

/** The corpus file: the header, a blank line, then every chapter's prose. */
export function lectureCorpus(lectureDir: string): string {
  const files = readdirSync(lectureDir)
    .filter((f) => f.endsWith('.md'))
    .sort();
  return `${CORPUS_HEADER}\n\n${files.map((f) => proseFromMarkdown(readFileSync(join(lectureDir, f), 'utf8'))).join('\n\n')}\n`;
}

/** The training text of a corpus file: everything after its leading "#" header lines. */
export function stripCorpusHeader(file: string): string {
  const lines = file.replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith('#')) i++;
  while (i < lines.length && lines[i] === '') i++;
  return lines.slice(i).join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const here = dirname(fileURLToPath(import.meta.url));
  const out = join(here, '..', 'data', 'lecture.txt');
  const corpus = lectureCorpus(join(here, '..', '..', 'docs', 'content', 'lecture'));
  writeFileSync(out, corpus);
  console.log(`wrote ${out}: ${corpus.length} characters`);
}
