// Issue 8, fault 12's kind in the plot package: image files written by saveSvg/savePng are the
// old or the whole new file, and no temporary file survives a writer that was killed.
import '@tsgrad/backend-cpu';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lossCurveWindow, saveSvg } from '@tsgrad/plot';

/** The pid of a process that has exited (the kernel does not reuse it at once). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('saveSvg writes atomically and cleans up', () => {
  it("removes temporary files left by a killed writer, keeps a live writer's, writes the whole file", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsgrad-render-'));
    const target = join(dir, 'loss.svg');
    const orphan = `loss.svg.${deadPid()}.abc123.tmp`;
    const live = `loss.svg.${process.ppid}.def456.tmp`;
    const other = `other.svg.${deadPid()}.abc123.tmp`;
    for (const f of [orphan, live, other]) writeFileSync(join(dir, f), 'partial');
    await saveSvg(lossCurveWindow([3, 2, 1]), target);
    expect(readFileSync(target, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(readdirSync(dir).sort()).toEqual(['loss.svg', live, other].sort());
  });

  it('a failed write leaves no temporary file and the old file intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsgrad-render-'));
    const target = join(dir, 'fit.svg');
    mkdirSync(target); // renaming a file over a directory fails
    await expect(saveSvg(lossCurveWindow([1, 2]), target)).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['fit.svg']);
    expect(existsSync(join(target))).toBe(true);
  });
});
