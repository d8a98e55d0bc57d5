import { timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsgradError, ValueError } from '@tsgrad/core';
import { graphToSvg } from './graph.js';
import { parseMessage, type WindowMessage } from './messages.js';
import { Env, type PlotWindow } from './window.js';

export interface ServerOptions {
  /** Address to bind (default 127.0.0.1). Anything but loopback requires `token`. */
  host?: string;
  /** Port (default 8097; 0 picks a free one). */
  port?: number;
  /** When set, every request must carry it (Authorization: Bearer, ?token=, or the cookie the page gets). */
  token?: string;
  /** Directory where environments are saved (one JSON file each); none: kept in memory only. */
  dir?: string;
  /** Largest request body accepted, in bytes (default 8 MiB); larger ones get 413. */
  maxBodyBytes?: number;
  /** Where the server reports saves that failed and files it could not load (default console.warn). */
  log?: (line: string) => void;
}

export interface PlotServer {
  /** The dashboard's address, e.g. http://127.0.0.1:8097 */
  readonly url: string;
  readonly port: number;
  readonly envs: Map<string, Env>;
  /** Stops serving, ends live connections and writes pending saves. */
  close(): Promise<void>;
}

const ENV_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|::1|\[::1\])$/i;
const COOKIE = 'tsgrad_plot_token';

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// The page and its libraries are served from this package's files: the dashboard works offline.
function assetTable(): Map<string, { path: string; type: string }> {
  const staticDir = join(here, '..', 'static');
  const pkgFile = (pkg: string, file: string) => join(dirname(require.resolve(pkg)), file);
  const js = 'text/javascript; charset=utf-8';
  return new Map([
    ['/', { path: join(staticDir, 'index.html'), type: 'text/html; charset=utf-8' }],
    ['/static/app.js', { path: join(staticDir, 'app.js'), type: js }],
    ['/static/style.css', { path: join(staticDir, 'style.css'), type: 'text/css; charset=utf-8' }],
    ['/vendor/vega.min.js', { path: pkgFile('vega', 'vega.min.js'), type: js }],
    ['/vendor/vega-lite.min.js', { path: pkgFile('vega-lite', 'vega-lite.min.js'), type: js }],
    ['/vendor/vega-embed.min.js', { path: pkgFile('vega-embed', 'vega-embed.min.js'), type: js }],
  ]);
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  // Vega runs with its expression interpreter (no eval); data never becomes markup.
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
};

interface WindowView {
  id: string;
  kind: string;
  version: number;
  spec?: unknown;
  svg?: string;
}

/** Starts the dashboard: serves the page, takes messages over HTTP and streams changes to pages (SSE). */
export async function startServer(options: ServerOptions = {}): Promise<PlotServer> {
  const host = options.host ?? '127.0.0.1';
  const loopback = LOOPBACK.test(host);
  const token = options.token;
  if (token !== undefined && token.length < 8) throw new ValueError(`tsgrad-plot: the token must be at least 8 characters, got ${token.length}`);
  if (!loopback && !token) {
    throw new ValueError(`tsgrad-plot: binding to ${host} exposes the dashboard beyond this machine; give a token (--token or TSGRAD_PLOT_TOKEN) that every request must carry, or bind to 127.0.0.1`);
  }
  const maxBody = options.maxBodyBytes ?? 8 << 20;
  const log = options.log ?? ((l: string) => console.warn(l));
  const dir = options.dir;
  const assets = assetTable();
  const envs = new Map<string, Env>();
  const subscribers = new Map<string, Set<ServerResponse>>();
  const allStreams = new Set<ServerResponse>();

  // ---- persistence ---------------------------------------------------------------------------
  const fileOf = (env: string) => join(dir!, `${env}.json`);
  if (dir) {
    await mkdir(dir, { recursive: true });
    for (const f of await readdir(dir)) {
      // A .tmp file is a write that never finished (the server was killed): the .json beside it is intact.
      if (f.endsWith('.tmp')) {
        await unlink(join(dir, f)).catch(() => undefined);
        continue;
      }
      if (!f.endsWith('.json')) continue;
      const name = f.slice(0, -5);
      if (!ENV_NAME.test(name)) continue;
      try {
        const saved = JSON.parse(await readFile(join(dir, f), 'utf8')) as { env?: unknown; messages?: unknown };
        if (!Array.isArray(saved.messages)) throw new ValueError('no messages array');
        const env = new Env(name);
        saved.messages.forEach((m, i) => env.apply(parseMessage(m, i)));
        envs.set(name, env);
      } catch (e) {
        log(`tsgrad-plot: could not load ${join(dir, f)} (${(e as Error).message}); it is left as it is`);
      }
    }
  }
  const dirty = new Set<string>();
  let saveTimer: NodeJS.Timeout | null = null;
  let saving: Promise<void> = Promise.resolve();
  const saveNow = async () => {
    saveTimer = null;
    const names = [...dirty];
    dirty.clear();
    for (const name of names) {
      const env = envs.get(name);
      const file = fileOf(name);
      try {
        if (!env) {
          await unlink(file).catch(() => undefined);
          continue;
        }
        const body = JSON.stringify({ format: 'tsgrad-plot-env', version: 1, env: name, messages: env.toMessages() });
        const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
        await writeFile(tmp, body);
        await rename(tmp, file);
      } catch (e) {
        log(`tsgrad-plot: saving environment ${name} failed: ${(e as Error).message}`);
      }
    }
  };
  const scheduleSave = (name: string) => {
    if (!dir) return;
    dirty.add(name);
    saveTimer ??= setTimeout(() => {
      saving = saving.then(saveNow);
    }, 250);
  };

  // ---- live updates --------------------------------------------------------------------------
  const pending = new Map<string, Set<string>>();
  let flushTimer: NodeJS.Timeout | null = null;
  const svgCache = new WeakMap<PlotWindow, { version: number; svg: Promise<string> }>();
  const viewOf = async (w: PlotWindow): Promise<WindowView> => {
    const base = { id: w.id, kind: w.kind, version: w.version };
    if (w.kind !== 'graph') return { ...base, spec: w.toSpec() };
    let c = svgCache.get(w);
    if (!c || c.version !== w.version) svgCache.set(w, (c = { version: w.version, svg: graphToSvg(w.graph!, w.opts.title !== undefined ? { title: w.opts.title } : {}) }));
    return { ...base, svg: await c.svg };
  };
  const send = (res: ServerResponse, event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const envList = () => [...envs.keys()].sort();
  // Changes are coalesced per window and sent at most ~20 times a second, each as the decimated spec,
  // so a page's cost does not grow with the number of appends.
  const flush = async () => {
    flushTimer = null;
    const batch = [...pending];
    pending.clear();
    for (const [name, wins] of batch) {
      const subs = subscribers.get(name);
      const env = envs.get(name);
      if (!subs?.size || !env) continue;
      for (const id of wins) {
        const w = env.windows.get(id);
        if (!w) {
          for (const s of subs) send(s, 'close', { id });
          continue;
        }
        try {
          const view = await viewOf(w);
          for (const s of subs) send(s, 'window', view);
        } catch (e) {
          log(`tsgrad-plot: could not draw window ${id}: ${(e as Error).message}`);
        }
      }
    }
  };
  const markChanged = (env: string, win: string) => {
    let s = pending.get(env);
    if (!s) pending.set(env, (s = new Set()));
    s.add(win);
    flushTimer ??= setTimeout(() => void flush(), 50);
  };

  // ---- request handling ----------------------------------------------------------------------
  const authorised = (req: IncomingMessage, url: URL): 'header' | 'query' | 'cookie' | null => {
    if (!token) return 'header';
    const ok = (given: string | undefined | null) => {
      if (!given) return false;
      const a = Buffer.from(given);
      const b = Buffer.from(token);
      return a.length === b.length && timingSafeEqual(a, b);
    };
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && ok(auth.slice(7))) return 'header';
    if (ok(url.searchParams.get('token'))) return 'query';
    const cookie = (req.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith(`${COOKIE}=`));
    if (cookie && ok(decodeURIComponent(cookie.slice(COOKIE.length + 1)))) return 'cookie';
    return null;
  };

  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > maxBody) {
        req.resume();
        reject(new HttpError(413, `request body of ${declared} bytes is over the ${maxBody}-byte limit; send fewer points per request`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBody) over = true;
        else chunks.push(c);
      });
      req.on('end', () => (over ? reject(new HttpError(413, `request body is over the ${maxBody}-byte limit; send fewer points per request`)) : resolve(Buffer.concat(chunks).toString('utf8'))));
      req.on('error', reject);
    });

  const envParam = (name: string): string => {
    if (!ENV_NAME.test(name)) throw new HttpError(400, `environment name ${JSON.stringify(name.slice(0, 80))} is not allowed; use 1-64 letters, digits, _ - or . (not first)`);
    return name;
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const hostName = (req.headers.host ?? '').replace(/:\d+$/, '');
    // Without a token, only pages addressed to loopback may talk to us: a DNS-rebinding page cannot.
    if (!token && !LOOPBACK.test(hostName)) throw new HttpError(403, `Host ${JSON.stringify(hostName)} is not a loopback name; open the dashboard at http://127.0.0.1`);
    const how = authorised(req, url);
    if (!how) throw new HttpError(401, 'this dashboard needs its token: send "Authorization: Bearer <token>" or open the page with ?token=<token>');
    const extra: Record<string, string> = how === 'query' ? { 'set-cookie': `${COOKIE}=${encodeURIComponent(token!)}; HttpOnly; SameSite=Strict; Path=/` } : {};
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);

    if (req.method === 'GET' && assets.has(url.pathname)) {
      const a = assets.get(url.pathname)!;
      res.writeHead(200, { 'content-type': a.type, 'cache-control': 'no-cache', ...SECURITY_HEADERS, ...extra });
      createReadStream(a.path).pipe(res);
      return;
    }
    if (parts[0] !== 'api') throw new HttpError(404, `no such page: ${url.pathname}`);

    if (req.method === 'GET' && parts[1] === 'envs' && parts.length === 2) return json(res, 200, { envs: envList() });
    if (parts[1] === 'envs' && parts.length === 3) {
      const name = envParam(parts[2]!);
      if (req.method === 'GET') {
        const env = envs.get(name);
        if (!env) throw new HttpError(404, `no environment ${name}`);
        return json(res, 200, { env: name, windows: await Promise.all([...env.windows.values()].map(viewOf)) });
      }
      if (req.method === 'DELETE') {
        envs.delete(name);
        scheduleSave(name);
        for (const s of allStreams) send(s, 'envs', envList());
        return json(res, 200, { ok: true });
      }
      if (req.method === 'POST') {
        // A JSON content type makes a cross-site form or fetch preflight, which we never answer.
        if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
          req.resume();
          throw new HttpError(415, 'send messages as JSON with "Content-Type: application/json"');
        }
        const text = await readBody(req);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch (e) {
          throw new HttpError(400, `malformed JSON: ${(e as Error).message}`);
        }
        if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'the body must be an object {"messages": [...]}');
        const unknown = Object.keys(body).filter((k) => k !== 'messages');
        if (unknown.length) throw new HttpError(400, `unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')} in the body; send {"messages": [...]}`);
        const raw = (body as { messages?: unknown }).messages;
        if (!Array.isArray(raw)) throw new HttpError(400, 'the body must carry "messages": an array of window messages');
        let messages: WindowMessage[];
        try {
          messages = raw.map((m, i) => parseMessage(m, i));
        } catch (e) {
          throw new HttpError(400, (e as Error).message);
        }
        let env = envs.get(name);
        if (!env) {
          envs.set(name, (env = new Env(name)));
          for (const s of allStreams) send(s, 'envs', envList());
        }
        let applied = 0;
        try {
          for (const m of messages) {
            env.apply(m);
            markChanged(name, m.win);
            applied++;
          }
        } catch (e) {
          if (e instanceof TsgradError) throw new HttpError(409, `${e.message} (applied ${applied} of ${messages.length} messages)`);
          throw e;
        } finally {
          if (applied) scheduleSave(name);
        }
        return json(res, 200, { ok: true, applied });
      }
    }
    if (parts[1] === 'envs' && parts[3] === 'windows' && parts.length === 5 && req.method === 'GET') {
      const env = envs.get(envParam(parts[2]!));
      const w = env?.windows.get(parts[4]!);
      if (!w) throw new HttpError(404, `no window ${parts[4]} in environment ${parts[2]}`);
      return json(res, 200, { id: w.id, kind: w.kind, version: w.version, messages: w.toMessages() });
    }
    if (req.method === 'GET' && parts[1] === 'events' && parts.length === 2) {
      const name = envParam(url.searchParams.get('env') ?? 'main');
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', ...SECURITY_HEADERS, ...extra });
      let subs = subscribers.get(name);
      if (!subs) subscribers.set(name, (subs = new Set()));
      subs.add(res);
      allStreams.add(res);
      req.on('close', () => {
        subs.delete(res);
        allStreams.delete(res);
      });
      send(res, 'envs', envList());
      const env = envs.get(name);
      send(res, 'reset', { env: name, windows: env ? await Promise.all([...env.windows.values()].map(viewOf)) : [] });
      return;
    }
    throw new HttpError(404, `no such endpoint: ${req.method} ${url.pathname}`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (!(e instanceof HttpError)) log(`tsgrad-plot: ${(e as Error).stack ?? String(e)}`);
      if (res.headersSent) return res.end();
      if (status === 413) res.setHeader('connection', 'close');
      json(res, status, { error: e instanceof Error ? e.message : String(e) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8097, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${port}`,
    port,
    envs,
    async close() {
      for (const s of allStreams) s.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (flushTimer) clearTimeout(flushTimer);
      if (saveTimer) {
        clearTimeout(saveTimer);
        saving = saving.then(saveNow);
      }
      await saving;
    },
  };
}
