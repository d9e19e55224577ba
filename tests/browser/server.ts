// The browser tests' server: scripts/static-server.mjs (the one the web example and the hosts bench use)
// serving a folder, the repository root by default, plus fixed responses at exact paths that a test can add
// while the server runs (a 404, an HTML page where a file is expected…).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startStaticServer } from '../../scripts/static-server.mjs';

export const REPOSITORY_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** A response served at an exact path instead of a file. */
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

const respond = (route: Route) => (_: IncomingMessage, response: ServerResponse) => {
  response.writeHead(route.status ?? 200, { 'Content-Type': route.type ?? 'text/html; charset=utf-8', ...route.headers });
  response.end(route.body);
};

export async function startServer(options: ServerOptions = {}): Promise<StaticServer> {
  // The static server looks routes up per request, so entries added later are answered too.
  const routes: Record<string, ReturnType<typeof respond>> = {};
  for (const [path, route] of Object.entries(options.routes ?? {})) routes[path] = respond(route);
  const server = await startStaticServer({
    mounts: { '/': options.root ?? REPOSITORY_ROOT }, isolated: options.crossOriginIsolated ?? false, routes,
  });
  return {
    origin: server.url.replace(/\/$/, ''),
    route: (path, route) => void (routes[path] = respond(route)),
    close: () => {
      server.server.closeAllConnections();
      return server.close();
    },
  };
}
