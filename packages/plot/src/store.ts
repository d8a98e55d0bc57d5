import { mkdir, open, readdir, readFile, rename, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ValueError } from '@tsgrad/core';
import { parseMessage, type WindowMessage } from './messages.js';
import { Env, type SnapshotMessage } from './window.js';

/**
 * The dashboard's storage: per environment, a snapshot (`<env>.json`) and append-only logs of the
 * messages applied since (`<env>.<gen>.jsonl`, one JSON line per request).
 *
 * - An append resolves only once its line is written and fsync'ed (group commit: the requests that
 *   arrive while one fsync runs share the next one). Its cost is the size of what was appended.
 * - When the log outgrows the snapshot (and `compactAfterBytes`), the store compacts in the
 *   background: appends switch to the next log generation and the snapshot is serialised chunk by
 *   chunk (the event loop keeps serving), written to a temp file, fsync'ed and renamed over the
 *   old one; then the logs it covers are deleted. A kill at any moment leaves the old snapshot
 *   plus every log, or the new one plus the newer logs: both replay to the acknowledged state.
 * - Loading replays the snapshot, then the logs of its generation and later, in order. A last
 *   line without its newline is a write the kill interrupted (never acknowledged): it is cut off.
 *   Temp files are deleted.
 */

/** Environment names: also file names, so no path separators and no leading dot. */
export const ENV_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;
const LOG_FILE = /^(.+)\.(\d{1,15})\.jsonl$/;
const FORMAT = 'tsgrad-plot-env';

/** What keeping the data durable has cost so far (bytes written, fsyncs): for tests and benchmarks. */
export interface StorageStats {
  /** Log lines written (one per acknowledged request). */
  appends: number;
  /** Bytes written to the logs. */
  logBytes: number;
  /** Group commits: each is one fsync per log written, acknowledging every request in it. */
  commits: number;
  /** Snapshots written by compaction. */
  compactions: number;
  /** Bytes written to snapshots (compaction and deletion). */
  snapshotBytes: number;
}

interface LogFile {
  readonly owner: EnvFiles;
  readonly gen: number;
  readonly path: string;
  fh: FileHandle | null;
  /** Bytes known to be in the file (what a failed write is truncated back to). */
  bytes: number;
  /** Lines queued and not yet written. */
  pending: number;
  /** Whether its directory entry is known to be durable. */
  linked: boolean;
}

interface EnvFiles {
  readonly name: string;
  current: LogFile;
  /** Older generations still on disk (not yet covered by a durable snapshot). */
  older: LogFile[];
  snapshotBytes: number;
  /** Compaction and deletion of this environment run one at a time, in order. */
  chain: Promise<void>;
  compacting: boolean;
}

interface Queued {
  file: LogFile;
  data: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

export interface StoreOptions {
  /** Compact when the current log is larger than this and than the snapshot (default 4 MiB). */
  compactAfterBytes?: number;
  log: (line: string) => void;
}

const CHUNK = 1 << 13; // numbers serialised between two yields to the event loop (a few ms)

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
}

export class EnvStore {
  readonly stats: StorageStats = { appends: 0, logBytes: 0, commits: 0, compactions: 0, snapshotBytes: 0 };
  private readonly files = new Map<string, EnvFiles>();
  private queue: Queued[] = [];
  private running: Promise<void> | null = null;
  private closing = false;
  private tmpCount = 0;
  private readonly compactAfter: number;
  private readonly log: (line: string) => void;

  private constructor(readonly dir: string, private readonly envs: Map<string, Env>, options: StoreOptions) {
    this.compactAfter = options.compactAfterBytes ?? 4 << 20;
    this.log = options.log;
  }

  /** Opens (creating) `dir` and loads every environment in it into `envs`. */
  static async open(dir: string, envs: Map<string, Env>, options: StoreOptions): Promise<EnvStore> {
    const store = new EnvStore(dir, envs, options);
    await store.load();
    return store;
  }

  /** Resolves once `messages` (already applied to the environment in memory) are durable. */
  append(name: string, messages: readonly WindowMessage[]): Promise<void> {
    if (this.closing) return Promise.reject(new ValueError('tsgrad-plot: the store is closed'));
    const file = this.filesOf(name).current;
    const data = `${JSON.stringify({ m: messages })}\n`;
    file.pending++;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ file, data, resolve, reject });
      this.kick();
    });
  }

  /**
   * Deletes an environment's files; resolves once the deletion is durable. Appends made after the
   * call (the environment created again) go to a new log generation and survive it.
   */
  drop(name: string): Promise<void> {
    const files = this.files.get(name);
    if (!files) return Promise.resolve();
    // Synchronously, so that later appends already go to the next generation.
    const gen = this.rotate(files);
    const run = files.chain.then(async () => {
      // A tombstone snapshot makes the deletion atomic: with it, older logs are ignored on load.
      await this.writeSnapshot(name, gen, [], true);
      await this.retire(files, gen);
      await unlink(this.snapshotPath(name)).catch(() => undefined);
      await this.syncDir();
      files.snapshotBytes = 0;
    });
    files.chain = run.catch(() => undefined);
    return run;
  }

  /** Waits for queued appends and running compactions, then closes the files. */
  async close(): Promise<void> {
    this.closing = true;
    while (this.running) await this.running;
    for (const f of this.files.values()) await f.chain;
    for (const f of this.files.values()) {
      for (const l of [...f.older, f.current]) {
        await l.fh?.close().catch(() => undefined);
        l.fh = null;
      }
    }
  }

  // ---- paths ----------------------------------------------------------------------------------

  private snapshotPath(name: string): string {
    return join(this.dir, `${name}.json`);
  }

  private newLog(owner: EnvFiles, gen: number, bytes = 0, linked = false): LogFile {
    return { owner, gen, path: join(this.dir, `${owner.name}.${gen}.jsonl`), fh: null, bytes, pending: 0, linked };
  }

  private filesOf(name: string): EnvFiles {
    let f = this.files.get(name);
    if (!f) {
      f = { name, current: null!, older: [], snapshotBytes: 0, chain: Promise.resolve(), compacting: false };
      f.current = this.newLog(f, 0);
      this.files.set(name, f);
    }
    return f;
  }

  /** Starts the next log generation; returns it. */
  private rotate(files: EnvFiles): number {
    const gen = files.current.gen + 1;
    files.older.push(files.current);
    files.current = this.newLog(files, gen);
    return gen;
  }

  /** Makes created, renamed and deleted names durable (a no-op where directories cannot be fsync'ed: Windows). */
  private async syncDir(): Promise<void> {
    let d: FileHandle;
    try {
      d = await open(this.dir, 'r');
    } catch (e) {
      if (process.platform === 'win32') return;
      throw e;
    }
    try {
      await d.sync();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw e;
    } finally {
      await d.close();
    }
  }

  // ---- group commit ---------------------------------------------------------------------------

  private kick(): void {
    if (this.running || this.queue.length === 0) return;
    this.running = this.commit().finally(() => {
      this.running = null;
      this.kick();
    });
  }

  /** Writes everything queued, one fsync per file, then acknowledges it all. */
  private async commit(): Promise<void> {
    // Appends made in the same tick (a burst) share this commit.
    await Promise.resolve();
    const batch = this.queue.splice(0);
    const byFile = new Map<LogFile, string[]>();
    for (const q of batch) {
      let parts = byFile.get(q.file);
      if (!parts) byFile.set(q.file, (parts = []));
      parts.push(q.data);
    }
    const written: [LogFile, number][] = [];
    try {
      let created = false;
      for (const [file, parts] of byFile) {
        if (!file.fh) {
          file.fh = await open(file.path, 'a');
          created ||= !file.linked;
        }
        const buf = Buffer.from(parts.join(''));
        written.push([file, buf.length]);
        await writeAll(file.fh, buf);
        file.bytes += buf.length;
        this.stats.logBytes += buf.length;
      }
      await Promise.all([...byFile.keys()].map((f) => f.fh!.datasync()));
      if (created) {
        await this.syncDir();
        for (const f of byFile.keys()) f.linked = true;
      }
      this.stats.commits++;
      this.stats.appends += batch.length;
      for (const q of batch) q.resolve();
    } catch (e) {
      // A half-written line would corrupt the next one: cut the file back to its last whole line.
      for (const [file] of written) await file.fh?.truncate(file.bytes).catch(() => undefined);
      const err = new ValueError(`tsgrad-plot: could not save to ${this.dir}: ${(e as Error).message}`);
      for (const q of batch) q.reject(err);
    } finally {
      for (const q of batch) q.file.pending--;
    }
    for (const file of byFile.keys()) this.maybeCompact(file.owner);
  }

  // ---- compaction -----------------------------------------------------------------------------

  private maybeCompact(files: EnvFiles): void {
    if (files.compacting || this.closing) return;
    if (files.current.bytes < Math.max(this.compactAfter, files.snapshotBytes)) return;
    files.compacting = true;
    files.chain = files.chain
      .then(() => this.compact(files))
      .catch((e: unknown) => this.log(`tsgrad-plot: compacting environment ${files.name} failed (its log is kept): ${(e as Error).message}`))
      .finally(() => {
        files.compacting = false;
      });
  }

  private async compact(files: EnvFiles): Promise<void> {
    const env = this.envs.get(files.name);
    if (!env) return;
    // The snapshot and the switch to a new log happen in one tick: the snapshot holds exactly what
    // the older logs hold.
    const messages = env.snapshotMessages();
    const gen = this.rotate(files);
    files.snapshotBytes = await this.writeSnapshot(files.name, gen, messages, false);
    this.stats.compactions++;
    await this.retire(files, gen);
  }

  /** Deletes the logs older than `gen` (a durable snapshot covers them) once their writes are done. */
  private async retire(files: EnvFiles, gen: number): Promise<void> {
    const old = files.older.filter((l) => l.gen < gen);
    files.older = files.older.filter((l) => l.gen >= gen);
    for (const l of old) {
      while (l.pending > 0 && this.running) await this.running;
      await l.fh?.close().catch(() => undefined);
      l.fh = null;
      await unlink(l.path).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    }
  }

  /** Writes a snapshot to a temp file in chunks, fsyncs and renames it into place; returns its size. */
  private async writeSnapshot(name: string, gen: number, messages: SnapshotMessage[], deleted: boolean): Promise<number> {
    const target = this.snapshotPath(name);
    const tmp = `${target}.${process.pid}.${++this.tmpCount}.tmp`;
    const fh = await open(tmp, 'w');
    let size = 0;
    try {
      const put = async (s: string) => {
        const buf = Buffer.from(s);
        await writeAll(fh, buf);
        size += buf.length;
      };
      await put(`{"format":"${FORMAT}","version":2,"env":${JSON.stringify(name)},"log":${gen}${deleted ? ',"deleted":true' : ''},"messages":[`);
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        const sep = i ? ',' : '';
        if ((m.type === 'line' || m.type === 'scatter') && !Array.isArray(m.x)) {
          const { x, y, ...rest } = m;
          const head = JSON.stringify(rest);
          await put(`${sep}${head.slice(0, -1)},"x":[`);
          await putNumbers(put, x);
          await put('],"y":[');
          await putNumbers(put, y);
          await put(']}');
        } else {
          await put(sep + JSON.stringify(m));
        }
      }
      await put(']}\n');
      await fh.sync();
    } catch (e) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await fh.close();
    await rename(tmp, target);
    await this.syncDir();
    this.stats.snapshotBytes += size;
    return size;
  }

  // ---- loading --------------------------------------------------------------------------------

  private async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const snapshots = new Set<string>();
    const logs = new Map<string, number[]>();
    for (const f of await readdir(this.dir)) {
      // A temp file is a snapshot whose write never finished: the files beside it are whole.
      if (f.endsWith('.tmp')) {
        await unlink(join(this.dir, f)).catch(() => undefined);
        continue;
      }
      const lm = LOG_FILE.exec(f);
      if (lm && ENV_NAME.test(lm[1]!)) {
        const gens = logs.get(lm[1]!) ?? [];
        gens.push(Number(lm[2]));
        logs.set(lm[1]!, gens);
      } else if (f.endsWith('.json') && ENV_NAME.test(f.slice(0, -5))) {
        snapshots.add(f.slice(0, -5));
      }
    }
    for (const name of [...new Set([...snapshots, ...logs.keys()])].sort()) {
      const gens = (logs.get(name) ?? []).sort((a, b) => a - b);
      const files = this.filesOf(name);
      const env = new Env(name);
      let from = 0;
      let exists = false;
      let deleted = false;
      if (snapshots.has(name)) {
        const path = this.snapshotPath(name);
        try {
          const text = await readFile(path, 'utf8');
          const saved = JSON.parse(text) as { log?: unknown; deleted?: unknown; messages?: unknown };
          if (!Array.isArray(saved.messages)) throw new ValueError('no messages array');
          if (saved.log !== undefined && !(Number.isSafeInteger(saved.log) && (saved.log as number) >= 0)) throw new ValueError(`"log" must be a generation number, got ${JSON.stringify(saved.log)}`);
          from = (saved.log as number | undefined) ?? 0;
          deleted = saved.deleted === true;
          saved.messages.forEach((m, i) => {
            try {
              env.apply(parseMessage(m, i));
            } catch (e) {
              this.log(`tsgrad-plot: ${path}: message ${i} could not be applied (${(e as Error).message}); it is skipped`);
            }
          });
          exists = !deleted;
          files.snapshotBytes = Buffer.byteLength(text);
        } catch (e) {
          this.log(`tsgrad-plot: could not load ${path} (${(e as Error).message}); it is left as it is`);
          // Never append to its logs: a later compaction starts a generation above them.
          files.current = this.newLog(files, (gens[gens.length - 1] ?? -1) + 1);
          continue;
        }
      }
      for (const gen of gens) {
        const log = this.newLog(files, gen, 0, true);
        if (gen < from) {
          // Covered by the snapshot (a compaction was killed before deleting it).
          await unlink(log.path).catch(() => undefined);
          continue;
        }
        const { records, bytes } = await this.replay(log.path, env);
        log.bytes = bytes;
        if (records) exists = true;
        files.older.push(log);
      }
      const newest = files.older.pop();
      files.current = newest ?? this.newLog(files, from);
      if (exists) this.envs.set(name, env);
      else if (deleted) {
        // A deletion killed before it removed its tombstone: finish it.
        for (const l of [...files.older, ...(newest ? [newest] : [])]) await unlink(l.path).catch(() => undefined);
        files.older = [];
        files.current = this.newLog(files, Math.max(from, newest ? newest.gen + 1 : 0));
        await unlink(this.snapshotPath(name)).catch(() => undefined);
        files.snapshotBytes = 0;
      }
    }
  }

  /** Applies one log's records to `env`; cuts off a torn last line. Returns the records applied and the file's whole-line size. */
  private async replay(path: string, env: Env): Promise<{ records: number; bytes: number }> {
    const buf = await readFile(path);
    const end = buf.lastIndexOf(0x0a) + 1;
    if (end < buf.length) {
      // Never acknowledged (the answer waits for the whole line and its fsync).
      this.log(`tsgrad-plot: ${path} ends in an unfinished record (${buf.length - end} bytes, a write cut short); it is dropped`);
      await truncate(path, end);
    }
    let records = 0;
    const lines = buf.toString('utf8', 0, end).split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!line) continue;
      let rec: { m?: unknown };
      try {
        rec = JSON.parse(line) as { m?: unknown };
        if (!Array.isArray(rec.m)) throw new ValueError('no "m" array');
      } catch (e) {
        this.log(`tsgrad-plot: ${path}: line ${i + 1} is not a record (${(e as Error).message}); it is skipped`);
        continue;
      }
      for (const [j, m] of rec.m.entries()) {
        try {
          env.apply(parseMessage(m, j));
        } catch (e) {
          this.log(`tsgrad-plot: ${path}: line ${i + 1}, message ${j} could not be applied (${(e as Error).message}); it is skipped`);
        }
      }
      records++;
    }
    return { records, bytes: end };
  }
}

/** Writes numbers as JSON, a chunk at a time, yielding to the event loop between chunks. */
async function putNumbers(put: (s: string) => Promise<void>, values: ArrayLike<number>): Promise<void> {
  for (let i = 0; i < values.length; i += CHUNK) {
    const end = Math.min(values.length, i + CHUNK);
    const part = values instanceof Float64Array ? Array.from(values.subarray(i, end)) : Array.prototype.slice.call(values, i, end);
    await put((i ? ',' : '') + JSON.stringify(part).slice(1, -1));
  }
}
