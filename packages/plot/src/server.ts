import { timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsgradError, ValueError } from '@tsgrad/core';
import { graphToSvg } from './graph.js';
import { parseMessage, type WindowMessage } from './messages.js';
import { ENV_NAME, EnvStore, type StorageStats } from './store.js';
import { Env, type PlotWindow } from './window.js';

export interface ServerOptions {
  /** Address to bind (default 127.0.0.1). Anything but loopback requires `token`. */
  host?: string;
  /** Port (default 8097; 0 picks a free one). */
  port?: number;
  /** When set, every request must carry it (Authorization: Bearer, ?token=, or the cookie the page gets). */
  token?: string;
  /**
   * Directory where environments are saved; none: kept in memory only. Each environment is a
   * snapshot (`<env>.json`) plus a log of what was appended since (`<env>.<n>.jsonl`): an append
   * is answered only once its log line is on disk (fsync'ed), and the log is folded into the
   * snapshot in the background.
   */
  dir?: string;
  /** Fold an environment's log into its snapshot once the log is larger than this and than the snapshot (default 4 MiB). */
  compactAfterBytes?: number;
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
  /** What saving has written so far (all zero without `dir`): bytes per append stay the size of the append. */
  readonly storage: Readonly<StorageStats>;
  /** Stops serving, ends live connections and waits for pending saves. */
  close(): Promise<void>;
}

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
  const store = dir ? await EnvStore.open(dir, envs, { log, ...(options.compactAfterBytes !== undefined ? { compactAfterBytes: options.compactAfterBytes } : {}) }) : null;
  const noStats: StorageStats = { appends: 0, logBytes: 0, commits: 0, compactions: 0, snapshotBytes: 0 };
  const saved = async (what: Promise<void>) => {
    try {
      await what;
    } catch (e) {
      log(`tsgrad-plot: ${(e as Error).message}`);
      throw new HttpError(503, `${(e as Error).message}; the change is not saved`);
    }
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

  // The body is refused the moment it passes the limit (declared or counted as chunks arrive),
  // never buffered or read whole first; the 413 goes out at once (see the handler below).
  const tooBig = (size: string) => new HttpError(413, `request body ${size} is over the ${maxBody}-byte limit; send fewer points per request`);
  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > maxBody) {
        reject(tooBig(`of ${declared} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (c: Buffer) => {
        size += c.length;
        if (size <= maxBody) {
          chunks.push(c);
          return;
        }
        req.off('data', onData);
        chunks.length = 0;
        reject(tooBig(`of at least ${size} bytes`));
      };
      req.on('data', onData);
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
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
        const dropped = store?.drop(name);
        for (const s of allStreams) send(s, 'envs', envList());
        if (dropped) await saved(dropped);
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
        let refused: unknown = null;
        try {
          for (const m of messages) {
            env.apply(m);
            markChanged(name, m.win);
            applied++;
          }
        } catch (e) {
          refused = e;
        }
        // Answered only once what was applied is on disk: an acknowledged point survives a kill.
        // Logged in the same tick as applied, so the log's order is the order of the changes.
        if (applied && store) await saved(store.append(name, applied === messages.length ? messages : messages.slice(0, applied)));
        if (refused instanceof TsgradError) throw new HttpError(409, `${refused.message} (applied ${applied} of ${messages.length} messages)`);
        if (refused) throw refused;
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
      if (status === 413 || !req.complete) {
        // The rest of the body is not read: close the connection after the answer. Unread input
        // is drained (not kept) for a moment so the client sees the 413 rather than a reset.
        res.setHeader('connection', 'close');
        req.resume();
        res.once('finish', () => setTimeout(() => req.destroy(), 1000).unref());
      }
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
    storage: store ? store.stats : noStats,
    async close() {
      for (const s of allStreams) s.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (flushTimer) clearTimeout(flushTimer);
      await store?.close();
    },
  };
}
