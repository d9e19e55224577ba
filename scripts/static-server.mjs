// A small static file server on 127.0.0.1 for the web example, the browser tests and the hosts bench: URL
// prefixes mapped to folders, the MIME types wasm streaming needs, and optionally the two headers that make a
// page cross-origin isolated (SharedArrayBuffer, so sinew's thread pool). Node built-ins only.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.map': 'application/json', '.txt': 'text/plain; charset=utf-8', '.md': 'text/plain; charset=utf-8',
};

export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/**
 * Starts serving; resolves to { server, url, close() }.
 *   mounts: { '/': 'examples/web', '/dist/': 'dist' } (longest prefix wins; paths cannot leave their folder)
 *   isolated: send COOP/COEP (default true); routes: { '/path': (request, response) => … } answered first
 *   port: 0 for any free port (a taken port fails, unless `fallback`: then any free one); headers: on every response
 */
export async function startStaticServer({ mounts, isolated = true, routes = {}, port = 0, headers = {}, fallback = false }) {
  const prefixes = Object.entries(mounts)
    .map(([prefix, folder]) => [prefix, resolve(folder)])
    .sort((x, y) => y[0].length - x[0].length);
  const common = { 'Cache-Control': 'no-store', ...(isolated ? ISOLATION_HEADERS : {}), ...headers };
  const server = createServer((request, response) => {
    serve(request, response).catch((error) => {
      if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain' });
      response.end(`500: ${error?.message ?? error}`);
    });
  });
  async function serve(request, response) {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    for (const [name, value] of Object.entries(common)) response.setHeader(name, value);
    const route = routes[pathname];
    if (route) return route(request, response);
    const file = await locate(prefixes, pathname);
    if (!file) {
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      response.end(`404: ${pathname}`);
      return;
    }
    // Content-Length lets a page show download progress (the web example's MNIST files).
    response.writeHead(200, { 'Content-Type': MIME_TYPES[extname(file.path)] ?? 'application/octet-stream', 'Content-Length': file.size });
    createReadStream(file.path).on('error', () => response.destroy()).pipe(response);
  }
  const listen = (at) => new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(at, '127.0.0.1', () => {
      server.off('error', fail);
      done();
    });
  });
  try {
    await listen(port);
  } catch (error) {
    if (!(fallback && error.code === 'EADDRINUSE')) throw error;
    console.warn(`port ${port} is taken; using a free one`);
    await listen(0);
  }
  const url = `http://127.0.0.1:${server.address().port}/`;
  return {
    server,
    url,
    close: () => new Promise((done) => {
      server.closeAllConnections();
      server.close(done);
    }),
  };
}

async function locate(prefixes, pathname) {
  for (const [prefix, folder] of prefixes) {
    if (!pathname.startsWith(prefix)) continue;
    let file = normalize(join(folder, pathname.slice(prefix.length)));
    if (file !== folder && !file.startsWith(folder + sep)) return undefined;
    let info = await stat(file).catch(() => undefined);
    if (info?.isDirectory()) {
      file = join(file, 'index.html');
      info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) return undefined;
    } else if (!info?.isFile()) {
      continue;
    }
    return { path: file, size: info.size };
  }
  return undefined;
}
