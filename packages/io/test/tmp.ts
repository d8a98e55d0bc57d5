// Shared by the file tests: temporary directories, removed (and mocks restored) after each test of
// the file (or describe block) that registers it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, vi } from 'vitest';

/** Registers the cleanup and returns a maker of fresh temporary directories. */
export function useTempDirs(): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgrad-io-'));
    dirs.push(d);
    return d;
  };
}
