/**
 * Kill test of checkpoint saves (issue 8, fault 12): a child process saves checkpoints in a loop
 * and is killed with SIGKILL 20 times. After each kill the checkpoint must be the old or the new
 * complete file, and the next save (or load) must leave no temporary file behind.
 */
import '@tsgrad/backend-cpu';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor } from '@tsgrad/core';
import { deserialize, serialize } from '../src/index.js';
import { loadFileSync, saveFileSync } from '../src/node.js';

const KILLS = 20;
const VERSIONS = 4;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgrad-io-kill-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/**
 * The child runs the package's own writeFileAtomicSync (what saveFileSync calls after
 * serialize()), compiled from its TypeScript source here so that no build is needed and the test
 * cannot run a stale one. It writes the serialized checkpoints version after version and reports
 * each finished save on stdout (synchronous on pipes), so the parent knows the old and the new.
 */
function childScript(): string {
  const source = fs.readFileSync(path.join(import.meta.dirname, '..', 'src', 'atomic.ts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  fs.writeFileSync(path.join(work, 'atomic.mjs'), js);
  const script = path.join(work, 'child.mjs');
  fs.writeFileSync(
    script,
    `import fs from 'node:fs';
import { writeFileAtomicSync } from './atomic.mjs';
const [target, first, ...files] = process.argv.slice(2);
const versions = files.map((f) => fs.readFileSync(f));
for (let i = Number(first); ; i++) {
  writeFileAtomicSync(target, versions[i % versions.length]);
  fs.writeSync(1, i + '\\n');
}
`,
  );
  return script;
}

/** Version v: 256K float32 equal to v (1 MB, so that most of a save is spent writing and syncing). */
const dictOf = (v: number) => ({ w: tensor(new Float32Array(1 << 18).fill(v), { shape: [1 << 18] }), v: tensor([v], { dtype: 'int32' }) });

describe('checkpoint saves killed with kill -9', () => {
  it(`${KILLS} kills: the file is always the old or the new checkpoint, and no temporary file outlives the next save or load`, async () => {
    const script = childScript();
    const versions = Array.from({ length: VERSIONS }, (_, v) => serialize(dictOf(v), { version: String(v) }));
    const files = versions.map((bytes, v) => {
      const f = path.join(work, `version-${v}.bin`);
      fs.writeFileSync(f, bytes);
      return f;
    });
    const dir = fs.mkdtempSync(path.join(work, 'ckpt-'));
    const target = path.join(dir, 'model.safetensors');
    const versionOnDisk = () => versions.findIndex((b) => Buffer.compare(fs.readFileSync(target), b) === 0);
    saveFileSync(target, dictOf(0), { version: '0' });
    let current = 0;
    let orphansSeen = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const child = spawn(process.execPath, [script, target, String(current + 1), ...files], { stdio: ['ignore', 'pipe', 'inherit'] });
      const closed = new Promise((resolve) => child.once('close', resolve));
      let out = '';
      const firstSave = new Promise<void>((resolve) =>
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve();
        }),
      );
      await Promise.race([firstSave, closed]); // a child that dies on its own fails below
      // Spread the kills over the save loop (a save takes a few ms to tens of ms).
      await new Promise((r) => setTimeout(r, (kill % 5) * 3));
      child.kill('SIGKILL');
      await closed; // exited, reaped, and its stdout read to the end
      expect(child.signalCode).toBe('SIGKILL');
      const done = out.trim().split('\n').map(Number);
      const last = done[done.length - 1]!;
      expect(done[0]).toBe(current + 1);

      const names = fs.readdirSync(dir);
      const orphans = names.filter((n) => n !== 'model.safetensors');
      for (const n of orphans) expect(n.startsWith(`.model.safetensors.${child.pid}`)).toBe(true);
      orphansSeen += orphans.length;

      // The old (the last save reported) or the new (the one the kill may have finished) file, whole.
      const onDisk = versionOnDisk();
      expect([last % VERSIONS, (last + 1) % VERSIONS]).toContain(onDisk);
      if (kill % 2 === 0) {
        // The next save removes what the killed one left.
        const { tensors, metadata } = deserialize(fs.readFileSync(target));
        expect(metadata).toEqual({ version: String(onDisk) });
        expect(tensors.v.item()).toBe(onDisk);
        current = (onDisk + 1) % VERSIONS;
        saveFileSync(target, dictOf(current), { version: String(current) });
        expect(versionOnDisk()).toBe(current);
      } else {
        // So does the next load.
        const { tensors, metadata } = loadFileSync(target);
        expect(metadata).toEqual({ version: String(onDisk) });
        expect(tensors.w.shape).toEqual([1 << 18]);
        expect(tensors.w.max().item()).toBe(onDisk);
        expect(tensors.w.min().item()).toBe(onDisk);
        current = onDisk;
      }
      expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
    }
    // The kills did land mid-write (the case under test), not only between saves.
    expect(orphansSeen).toBeGreaterThan(0);
  });
});
