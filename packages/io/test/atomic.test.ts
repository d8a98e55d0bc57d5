import '@tsgrad/backend-cpu';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { memory, tensor, type Tensor } from '@tsgrad/core';
import { SafetensorsError } from '../src/index.js';
import { loadFile, loadFileSync, loadIntoModule, loadIntoModuleSync, removeStaleTempFiles, saveFileSync, tempPathFor } from '../src/node.js';
import { useTempDirs } from './tmp.js';

const tmpdir = useTempDirs();

/** The pid of a process that has exited and been reaped (spawnSync waits for it). */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
const hasProc = fs.existsSync('/proc/self/stat');

describe('temporary files of saves killed mid-write', () => {
  it('the temporary file is named after the target and the writing process', () => {
    const f = path.join(tmpdir(), 'model.safetensors');
    const name = path.basename(tempPathFor(f));
    // README: `.<name>.<pid>-<start>.<12 hex>.tmp`, `-<start>` only where /proc gives it.
    expect(name).toMatch(new RegExp(`^\\.model\\.safetensors\\.${process.pid}${hasProc ? '-\\d+' : ''}\\.[0-9a-f]{12}\\.tmp$`));
    expect(path.dirname(tempPathFor(f))).toBe(path.dirname(f));
    expect(tempPathFor(f)).not.toBe(tempPathFor(f));
  });

  it.each(['save', 'load', 'async load'] as const)('a %s removes those of dead processes and leaves the rest alone', async (how) => {
    const dir = tmpdir();
    const f = path.join(dir, 'model.safetensors');
    saveFileSync(f, { w: tensor([1, 2]) });
    const dead = deadPid();
    const stale = [
      `.model.safetensors.${dead}-4242.0123456789ab.tmp`,
      `.model.safetensors.${dead}.00000000abcd.tmp`, // the name tsgrad 0.1 wrote
    ];
    const ours = path.basename(tempPathFor(f)); // this process may be writing it (another thread's save)
    const kept = [
      ours,
      `.model.safetensors.${process.ppid}.0123456789ab.tmp`, // the parent is alive
      `.other.safetensors.${dead}.0123456789ab.tmp`, // another target's
      `.model.safetensors.1.${dead}.0123456789ab.tmp`, // the target "model.safetensors.1"'s
      `.model.safetensors.${dead}.notours.tmp`,
      `model.safetensors.${dead}.0123456789ab.tmp`,
      'model.safetensors.bak',
    ];
    // Our pid with another start time is a process that had our pid before us.
    if (hasProc) stale.push(`.model.safetensors.${process.pid}-1.0123456789ab.tmp`);
    for (const n of [...stale, ...kept]) fs.writeFileSync(path.join(dir, n), 'partial');
    if (how === 'save') saveFileSync(f, { w: tensor([3]) });
    else if (how === 'load') loadFileSync(f);
    else await loadFile(f);
    expect(fs.readdirSync(dir).sort()).toEqual([...kept, 'model.safetensors'].sort());
    expect(removeStaleTempFiles(f)).toEqual([]);
  });

  it('a zombie (exited, not yet reaped by its parent) owns nothing', async () => {
    if (!hasProc) return; // the zombie state is read from /proc
    const dir = tmpdir();
    const f = path.join(dir, 'ckpt');
    // The shell starts a short sleep and becomes a long one, which never reaps the short one: a
    // zombie once it exits, for 5 s.
    const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const pid = Number((await once(parent.stdout!, 'data'))[0].toString().trim());
      const state = () => fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0];
      while (state() !== 'Z') await new Promise((r) => setTimeout(r, 5));
      expect(() => process.kill(pid, 0)).not.toThrow(); // kill(pid, 0) alone calls it alive
      const name = `.ckpt.${pid}.0123456789ab.tmp`;
      fs.writeFileSync(path.join(dir, name), 'partial');
      expect(removeStaleTempFiles(f)).toEqual([name]);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

describe('the save is durable', () => {
  it('fsyncs the temporary file before the rename and the directory after it', () => {
    const dir = tmpdir();
    const f = path.join(dir, 'ckpt.safetensors');
    const calls: string[] = [];
    const fds = new Map<number, string>();
    const real = { openSync: fs.openSync, fsyncSync: fs.fsyncSync, renameSync: fs.renameSync };
    vi.spyOn(fs, 'openSync').mockImplementation(((p: fs.PathLike, ...rest: never[]) => {
      const fd = (real.openSync as (...a: unknown[]) => number)(p, ...rest);
      fds.set(fd, p === dir ? 'dir' : path.basename(String(p)).endsWith('.tmp') ? 'tmp' : String(p));
      return fd;
    }) as typeof fs.openSync);
    vi.spyOn(fs, 'fsyncSync').mockImplementation((fd: number) => {
      calls.push(`fsync ${fds.get(fd)}`);
      real.fsyncSync(fd);
    });
    vi.spyOn(fs, 'renameSync').mockImplementation((from: fs.PathLike, to: fs.PathLike) => {
      calls.push(`rename ${path.basename(String(from)).endsWith('.tmp') ? 'tmp' : String(from)} -> ${path.basename(String(to))}`);
      real.renameSync(from, to);
    });
    saveFileSync(f, { w: tensor([1, 2]) });
    // POSIX: the data must be on disk before the rename, and the rename is on disk only once the
    // directory is fsync'ed (fsync(2): "an explicit fsync() on a file descriptor for the directory is also needed").
    expect(calls).toEqual(process.platform === 'win32' ? ['fsync tmp', 'rename tmp -> ckpt.safetensors'] : ['fsync tmp', 'rename tmp -> ckpt.safetensors', 'fsync dir']);
  });

  it('an I/O error syncing the directory is reported, naming the file', () => {
    if (process.platform === 'win32') return;
    const dir = tmpdir();
    const f = path.join(dir, 'ckpt.safetensors');
    const realFsync = fs.fsyncSync;
    let n = 0;
    vi.spyOn(fs, 'fsyncSync').mockImplementation((fd: number) => {
      if (n++ === 1) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      realFsync(fd);
    });
    expect(() => saveFileSync(f, { w: tensor([5]) })).toThrow(`${f} was written and renamed into place, but syncing its directory failed (EIO: i/o error, fsync)`);
    vi.restoreAllMocks();
    expect(Array.from(loadFileSync(f).tensors.w.dataSync())).toEqual([5]);
    expect(fs.readdirSync(dir)).toEqual(['ckpt.safetensors']);
  });
});

describe('loading a damaged file', () => {
  const save = () => {
    const f = path.join(tmpdir(), 'ckpt.safetensors');
    saveFileSync(f, { w: tensor([1, 2, 3, 4]) }, { step: '7' });
    return { f, bytes: fs.readFileSync(f) };
  };

  it('a truncated file gives a SafetensorsError naming the file and what is missing', async () => {
    const { f, bytes } = save();
    // The 8-byte length of the header, the header, then 16 bytes of data (4 float32).
    const n = bytes.readUInt32LE(0);
    expect(bytes.length).toBe(8 + n + 16);
    const cases: [number, RegExp][] = [
      [0, /it has 0 bytes, fewer than the 8-byte header length/],
      [40, new RegExp(`the header needs ${n} bytes but only 32 follow the length field`)],
      [bytes.length - 1, /tensor "w": data_offsets \[0, 16\] exceed the 15-byte body: the file is truncated/],
    ];
    for (const [length, problem] of cases) {
      fs.writeFileSync(f, bytes.subarray(0, length));
      for (const load of [() => loadFileSync(f), () => loadIntoModuleSync({ loadStateDict: () => undefined }, f)]) {
        expect(load).toThrow(SafetensorsError);
        expect(load).toThrow(`loadFile: ${f} is not a valid safetensors file: `);
        expect(load).toThrow(problem);
      }
      await expect(loadFile(f)).rejects.toThrow(`loadFile: ${f} is not a valid safetensors file: `);
    }
  });

  it('a corrupt header or body length gives a SafetensorsError naming the file and the problem', () => {
    const { f, bytes } = save();
    const notJson = Buffer.from(bytes);
    notJson[8] = 0x58; // "X" where the header's "{" was
    fs.writeFileSync(f, notJson);
    expect(() => loadFileSync(f)).toThrow(new RegExp(`^loadFile: ${f.replace(/[.\\]/g, '\\$&')} is not a valid safetensors file: the header must be a JSON object starting with "\\{"`));
    fs.writeFileSync(f, Buffer.concat([bytes, Buffer.from([0])]));
    expect(() => loadFileSync(f)).toThrow(`${f} is not a valid safetensors file: the body has 17 bytes but the tensors cover 16: 1 unexplained bytes at the end.`);
  });
});

describe('loadIntoModule', () => {
  it('frees the tensors it loaded once loadStateDict has copied them', async () => {
    const f = path.join(tmpdir(), 'm.safetensors');
    saveFileSync(f, { weight: tensor([1, 2, 3]) });
    // A module that copies, as Module.loadStateDict does: assign() makes the parameter share
    // the loaded storage, so it is freed only when the parameter moves on and the loaded tensor is gone.
    const module = { weight: tensor([0, 0, 0]), loadStateDict(d: Record<string, Tensor>) { this.weight.assign(d.weight); } };
    for (const load of [() => loadIntoModuleSync(module, f), () => loadIntoModule(module, f)]) {
      const before = memory().buffers;
      await load();
      expect(Array.from(module.weight.dataSync())).toEqual([1, 2, 3]);
      // As an optimizer step replaces the values (the source freed, as tidy would).
      const next = tensor([4, 5, 6]);
      module.weight.assign(next);
      next.dispose();
      expect(memory().buffers).toBe(before);
    }
    // Also when loadStateDict refuses the file.
    const before = memory().buffers;
    expect(() => loadIntoModuleSync({ loadStateDict() { throw new Error('shape mismatch'); } }, f)).toThrow('shape mismatch');
    expect(memory().buffers).toBe(before);
  });
});

describe('saveFile of a module', () => {
  it('frees the handles stateDict() made for the save, and leaves the module alone', () => {
    const f = path.join(tmpdir(), 'm.safetensors');
    // stateDict() as Module's: a new handle (detach) per parameter, sharing its storage.
    const module = { weight: tensor([1, 2, 3]), stateDict() { return { weight: this.weight.detach() }; } };
    const before = memory().buffers;
    saveFileSync(f, module);
    // The parameter moves on (an optimizer step): its old storage must go, held by no leftover handle.
    const next = tensor([4, 5, 6]);
    module.weight.assign(next);
    next.dispose();
    expect(memory().buffers).toBe(before);
    expect(Array.from(loadFileSync(f).tensors.weight.dataSync())).toEqual([1, 2, 3]);
    // A stateDict() that returns the module's own tensors: they stay usable.
    const plain = { weight: tensor([7, 8]), stateDict() { return { weight: this.weight }; } };
    saveFileSync(f, plain);
    expect(Array.from(plain.weight.dataSync())).toEqual([7, 8]);
  });
});
