import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

// Node-only, and free of @tsgrad imports so that a test can run it in a child process it kills.

/**
 * The part of a temporary file's name after `.<target name>.`: `<pid>-<start>.<12 hex>.tmp`,
 * where `<start>` is the writing process's start time in clock ticks since boot (Linux's
 * /proc/<pid>/stat), which tells a reused pid apart. It is absent where /proc is not available,
 * and in the names tsgrad 0.1 wrote, whose orphans are cleaned up too.
 */
const TEMP_SUFFIX = /^(\d{1,10})(?:-(\d{1,20}))?\.[0-9a-f]{12}\.tmp$/;

interface ProcStat {
  /** R, S, D, Z (zombie: killed but not yet reaped), X (dead)... */
  state: string;
  /** Start time in clock ticks since boot. */
  start: string;
}

function procStat(pid: number): ProcStat | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself hold spaces and ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return fields.length > 19 ? { state: fields[0], start: fields[19] } : null;
  } catch {
    return null;
  }
}

let ownStart: string | null | undefined;
function ownStartTime(): string | null {
  if (ownStart === undefined) ownStart = procStat(process.pid)?.start ?? null;
  return ownStart;
}

/** The temporary file a save of `file` writes before renaming it over `file`. */
export function tempPathFor(file: string): string {
  const target = path.resolve(file);
  const start = ownStartTime();
  const owner = start === null ? `${process.pid}` : `${process.pid}-${start}`;
  return path.join(path.dirname(target), `.${path.basename(target)}.${owner}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Whether the process that named a temporary file may still be writing it. A pid that no longer
 * exists (kill(pid, 0) fails with ESRCH), a zombie, or a pid now held by a process that started
 * at another time is dead; when in doubt (EPERM: another user's process, no /proc) it is alive.
 */
function ownerAlive(pid: number, start: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const stat = procStat(pid);
  if (stat === null) return true;
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return start === undefined || stat.start === start;
}

/**
 * Removes the temporary files that saves of `file` left behind when their process was killed
 * mid-write (those of live processes are left alone: they may be writing now). Best effort:
 * errors (a read-only directory, a file another process removed first) are ignored. Returns the
 * names removed. Pids are only meaningful on one machine: on a directory shared over the network,
 * another machine's save in progress can lose its temporary file, and that save then fails,
 * leaving the previous checkpoint in place.
 */
export function removeStaleTempFiles(file: string): string[] {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  const prefix = `.${path.basename(target)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = TEMP_SUFFIX.exec(name.slice(prefix.length));
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid <= 0 || ownerAlive(pid, m[2])) continue;
    try {
      fs.unlinkSync(path.join(dir, name));
      removed.push(name);
    } catch {
      /* removed by another process first, or not ours to remove */
    }
  }
  return removed;
}

// Filesystems and platforms that cannot open or fsync a directory answer with these.
const NO_DIRECTORY_SYNC = new Set(['EISDIR', 'EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EPERM', 'EACCES', 'EBADF']);

/** fsyncs a directory so that a rename in it survives a power loss. */
function syncDirectory(dir: string, file: string): void {
  // Windows cannot open a directory; NTFS journals the rename itself.
  if (process.platform === 'win32') return;
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch (e) {
    if (NO_DIRECTORY_SYNC.has((e as NodeJS.ErrnoException).code ?? '')) return;
    throw e;
  }
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (NO_DIRECTORY_SYNC.has(code)) return;
    // An I/O error here means the rename may not be on disk: say so rather than report success.
    throw Object.assign(
      new Error(`${file} was written and renamed into place, but syncing its directory failed (${(e as Error).message}); after a crash the previous file may reappear. Save again.`, { cause: e }),
      { code },
    );
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes `bytes` to `file` atomically: a temporary file beside it (see tempPathFor) is written,
 * fsync'ed and renamed over the target, and the directory is fsync'ed, so `file` is always either
 * the old or the new complete content, even across a crash or kill -9. A failed write removes its
 * temporary file; one left by a killed process is removed by the next save or load of `file`
 * (removeStaleTempFiles), which runs first so that a disk filled by orphans gets its space back.
 */
export function writeFileAtomicSync(file: string, bytes: Uint8Array): void {
  const target = path.resolve(file);
  removeStaleTempFiles(target);
  const tmp = tempPathFor(target);
  let fd: number | null = null;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already failing: keep the first error */
      }
    }
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  syncDirectory(path.dirname(target), file);
}
