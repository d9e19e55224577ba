// A tiny static file server for browser tests: serves a folder (the repository root by default) on
// 127.0.0.1 with a free port, because pages must come from http:// for ES modules, import maps,
// IndexedDB and wasm streaming (file:// and data: pages get an opaque origin and none of these).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

// application/wasm matters: WebAssembly.instantiateStreaming refuses any other type.
const MIME_TYPES: Record<string, string> = {
  '.wasm': 'application/wasm',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.map': 'application/json',
  '.html': 'text/html; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.css': 'text/css',
  '.bin': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
};

/** A response served at an exact path instead of a file (a 404, an HTML page where a file is expected…). */
export interface Route {
  status?: number;
  type?: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
}

export interface ServerOptions {
  /** Folder served at '/'; the repository root by default. */
  root?: string;
  /** Sends COOP/COEP so pages are cross-origin isolated (SharedArrayBuffer, wasm threads). */
  crossOriginIsolated?: boolean;
  /** Exact paths ('/missing.wasm') answered with a fixed response before the file system is looked at. */
  routes?: Record<string, Route>;
}

export interface StaticServer {
  /** 'http://127.0.0.1:PORT' without a trailing slash. */
  origin: string;
  /** Adds or replaces a route while the server runs. */
  route(path: string, route: Route): void;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions = {}): Promise<StaticServer> {
  const root = resolve(options.root ?? REPOSITORY_ROOT);
  const routes = new Map(Object.entries(options.routes ?? {}));
  const isolationHeaders: Record<string, string> = options.crossOriginIsolated
    ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
    : {};

  const server = createServer((request, response) => {
    handle(request, response).catch((err) => {
      response.writeHead(500, { 'Content-Type': 'text/plain' });
      response.end(`test server error: ${(err as Error).message}`);
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    // no-store: a test that changes a route must not get yesterday's body from the browser cache.
    const common = { ...isolationHeaders, 'Cache-Control': 'no-store' };
    const route = routes.get(path);
    if (route) {
      response.writeHead(route.status ?? 200, { 'Content-Type': route.type ?? 'text/html; charset=utf-8', ...common, ...route.headers });
      response.end(route.body);
      return;
    }
    const file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) return notFound(response, path, common);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return notFound(response, path, common);
    const type = MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    response.writeHead(200, { 'Content-Type': type, 'Content-Length': info.size, ...common });
    response.end(await readFile(file));
  }

  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('test server: no TCP address after listen');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    route: (path, route) => void routes.set(path, route),
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function notFound(response: ServerResponse, path: string, headers: Record<string, string>): void {
  response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  response.end(`not found: ${path}`);
}
