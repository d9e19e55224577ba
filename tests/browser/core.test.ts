// The core bodies in real Chromium: unbundled (import map to dist/) and bundled (esbuild, Vite, webpack, from the
// npm-packed package), in pages with and without cross-origin isolation and in a Web Worker; each run's
// results equal Node's. Then the ways loading fails in the field, each a clear Error, never a silent fallback.
import { execFileSync } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/chromium.mjs';
import { startStaticServer } from '../../scripts/static-server.mjs';
import { bundleWithEsbuild, bundleWithVite, bundleWithWebpack, packIntoApp } from '../hosts/bundles.js';
import { type CoreRun, expectCoreFacts, expectSameResults, parseRun } from '../hosts/compare.js';

type Server = Awaited<ReturnType<typeof startStaticServer>>;

let browser: Browser;
let isolated: Server;
let notIsolated: Server;
let otherOrigin: Server;
let node: CoreRun;

const HTML_FALLBACK = '<!doctype html><html><body>Single-page app fallback</body></html>';
const CSP_PAGE = `<!doctype html><script type="importmap">{ "imports": { "sinew": "/dist/index.js" } }</script><body>CSP page</body>`;

beforeAll(async () => {
  node = parseRun(execFileSync(process.execPath, ['tests/hosts/run-core.mjs'], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 }));
  const app = packIntoApp();
  const esbuild = bundleWithEsbuild(app);
  const vite = bundleWithVite(app);
  const webpack = bundleWithWebpack(app);
  const mounts = { '/': 'tests/browser/pages', '/dist/': 'dist', '/build/': 'build', '/tests/hosts/': 'tests/hosts', '/esbuild/': esbuild.dir, '/vite/': vite.dir, '/webpack/': webpack.dir };
  const routes = {
    // An SPA server answers every unknown path with its index page: a wasm URL gets HTML with status 200.
    '/spa/sinew-mt-relaxed.wasm': (_: unknown, response: any) => { response.writeHead(200, { 'Content-Type': 'text/html' }); response.end(HTML_FALLBACK); },
    '/spa/sinew-st-relaxed.wasm': (_: unknown, response: any) => { response.writeHead(200, { 'Content-Type': 'text/html' }); response.end(HTML_FALLBACK); },
    // A page whose Content-Security-Policy allows scripts from itself but not WebAssembly compilation.
    '/csp.html': (_: unknown, response: any) => {
      response.writeHead(200, { 'Content-Type': 'text/html', 'Content-Security-Policy': "script-src 'self' 'unsafe-inline'" });
      response.end(CSP_PAGE);
    },
    // Scripts and wasm allowed, but workers only from the page's own origin: sinew's blob: workers are blocked.
    '/csp-workers.html': (_: unknown, response: any) => {
      response.writeHead(200, { 'Content-Type': 'text/html', 'Content-Security-Policy': "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; worker-src 'self'" });
      response.end(CSP_PAGE);
    },
  };
  [isolated, notIsolated, otherOrigin] = await Promise.all([
    startStaticServer({ mounts, routes, isolated: true }),
    startStaticServer({ mounts, routes, isolated: false }),
    startStaticServer({ mounts: { '/build/': 'build' }, isolated: false }),
  ]);
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([isolated, notIsolated, otherOrigin].map((server) => server?.close()));
});

/** Opens `path` on `server`; page errors and console errors are collected, warnings too. */
async function open(server: Server, path: string): Promise<{ page: Page; errors: string[]; warnings: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const warnings: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text());
    if (message.type() === 'warning') warnings.push(message.text());
  });
  await page.goto(new URL(path, server.url).href);
  return { page, errors, warnings };
}

/** Runs the core bodies on the page's tf: the unbundled module, or the bundled app's window.sinewApp. */
async function runInPage(page: Page, source: 'unbundled' | 'bundled', wasmPaths?: string): Promise<CoreRun> {
  // A string, not a function: vitest would rewrite a function's import() calls for Node.
  const load = source === 'unbundled'
    ? `const tf = await import('sinew'); const { runCoreBodies } = await import('/tests/hosts/core-bodies.mjs');`
    : `for (let i = 0; i < 200 && !window.sinewApp; i++) await new Promise((done) => setTimeout(done, 25));
       const { tf, runCoreBodies } = window.sinewApp;`;
  return page.evaluate(`(async () => {
    ${load}
    ${wasmPaths ? `tf.setWasmPaths(${JSON.stringify(wasmPaths)});` : ''}
    await tf.ready();
    const before = tf.memory().numTensors;
    const results = await runCoreBodies(tf);
    return { info: tf.backendInfo(), results, leaked: tf.memory().numTensors - before };
  })()`) as Promise<CoreRun>;
}

const THREADED = { backend: 'wasm', host: 'browser', variant: 'mt-relaxed', sharedMemory: true, threads: 2 };
const SINGLE = { backend: 'wasm', host: 'browser', variant: 'st-relaxed', sharedMemory: false, threads: 1 };

describe('core bodies in Chromium equal Node', () => {
  const cases: [string, () => Server, string, 'unbundled' | 'bundled', string | undefined, object][] = [
    ['unbundled, isolated (threads)', () => isolated, 'unbundled.html', 'unbundled', undefined, THREADED],
    ['unbundled, not isolated (single-threaded build)', () => notIsolated, 'unbundled.html', 'unbundled', undefined, SINGLE],
    ['esbuild bundle, isolated', () => isolated, 'esbuild/index.html', 'bundled', '/esbuild/wasm/', THREADED],
    ['esbuild bundle, not isolated', () => notIsolated, 'esbuild/index.html', 'bundled', '/esbuild/wasm/', SINGLE],
    ['Vite bundle, isolated (wasm found with no setWasmPaths)', () => isolated, 'vite/index.html', 'bundled', undefined, THREADED],
    ['Vite bundle, not isolated', () => notIsolated, 'vite/index.html', 'bundled', undefined, SINGLE],
    ['webpack bundle, isolated (wasm found with no setWasmPaths)', () => isolated, 'webpack/index.html', 'bundled', undefined, THREADED],
  ];
  for (const [label, server, path, source, wasmPaths, info] of cases) {
    it(label, async () => {
      const { page, errors, warnings } = await open(server(), path);
      try {
        const run = await runInPage(page, source, wasmPaths);
        expect(run.info).toMatchObject(info);
        expect(errors).toEqual([]);
        if (run.info.threads === 1) {
          expect(run.info.threadsUnavailable).toMatch(/not cross-origin isolated.*Cross-Origin-Opener-Policy/);
          expect(warnings.filter((w) => w.includes('runs on 1 thread'))).toHaveLength(1);
        } else {
          expect(warnings).toEqual([]);
        }
        expectCoreFacts(run, label);
        expectSameResults(run.results, node.results, `Chromium ${label} vs Node`);
      } finally {
        await page.close();
      }
    }, 120_000);
  }

  it('in a Web Worker of an isolated page, with the thread pool', async () => {
    const { page, errors } = await open(isolated, 'unbundled.html');
    try {
      const run: CoreRun & { error?: string } = await page.evaluate(() => new Promise((done) => {
        const worker = new Worker('/core-worker.mjs', { type: 'module' });
        worker.onmessage = (event) => done(event.data);
        worker.onerror = (event) => done({ error: event.message } as any);
      }));
      expect(run.error).toBeUndefined();
      expect(run.info).toMatchObject(THREADED);
      expect(errors).toEqual([]);
      expectCoreFacts(run, 'Web Worker');
      expectSameResults(run.results, node.results, 'Chromium Web Worker vs Node');
    } finally {
      await page.close();
    }
  }, 120_000);
});

/** In a fresh page: runs `body` with the unbundled module; returns what it returns. */
async function inFreshPage<T>(server: Server, body: string, path = 'unbundled.html'): Promise<{ value: T; warnings: string[] }> {
  const { page, warnings } = await open(server, path);
  try {
    const value = await page.evaluate(`(async () => { const tf = await import('sinew'); ${body} })()`) as T;
    return { value, warnings };
  } finally {
    await page.close();
  }
}

const failure = `.then(() => 'resolved', (error) => error.message)`;

describe('loading in a page: clear errors, no silent fallback', () => {
  it('an op before tf.ready() says to await it', async () => {
    const { value } = await inFreshPage<string>(isolated, `try { tf.tensor([1, 2]); return 'no error'; } catch (error) { return error.message; }`);
    expect(value).toMatch(/tensor: the 'wasm' backend (loads asynchronously|is still loading).*await tf\.ready\(\)/);
  });

  it('a 404 names the URL and the status; the backend stays wasm and ops say it failed', async () => {
    const { value } = await inFreshPage<{ ready: string; backend: string; op: string; info: any }>(isolated, `
      tf.setWasmPaths('/nowhere/');
      const ready = await tf.ready()${failure};
      let op; try { tf.tensor([1, 2]); op = 'no error'; } catch (error) { op = error.message; }
      return { ready, backend: tf.getBackend(), op, info: tf.backendInfo() };`);
    expect(value.ready).toMatch(/fetching http:\/\/127\.0\.0\.1:\d+\/nowhere\/sinew-mt-relaxed\.wasm failed: HTTP 404.*setWasmPaths/);
    expect(value.backend).toBe('wasm');
    expect(value.info.loaded).toBe(false);
    expect(value.op).toMatch(/tensor: the 'wasm' backend failed to load \(.*HTTP 404/);
  });

  it('recovers when setWasmPaths is fixed after a failed load', async () => {
    const { value } = await inFreshPage<{ first: string; second: string; sum: number[] }>(isolated, `
      tf.setWasmPaths('/nowhere/');
      const first = await tf.ready()${failure};
      tf.setWasmPaths('/build/');
      const second = await tf.ready()${failure};
      return { first, second, sum: Array.from(tf.add([1, 2], 3).dataSync()) };`);
    expect(value.first).toMatch(/HTTP 404/);
    expect(value.second).toBe('resolved');
    expect(value.sum).toEqual([4, 5]);
  });

  it('an HTML page served where the wasm should be is named as such', async () => {
    const { value } = await inFreshPage<string>(isolated, `tf.setWasmPaths('/spa/'); return tf.ready()${failure};`);
    expect(value).toMatch(/spa\/sinew-mt-relaxed\.wasm returned an HTML page \(content-type text\/html\), not wasm/);
  });

  it('a cross-origin URL without CORS headers is reported with the CORS hint', async () => {
    const { value } = await inFreshPage<string>(notIsolated, `tf.setWasmPaths('${'ORIGIN'}build/'); return tf.ready()${failure};`.replace('ORIGIN', otherOrigin.url));
    expect(value).toMatch(/could not fetch http:\/\/127\.0\.0\.1:\d+\/build\/sinew-st-relaxed\.wasm: .*CORS/);
  });

  it("a Content-Security-Policy without 'wasm-unsafe-eval' is named with the fix", async () => {
    const { value } = await inFreshPage<string>(notIsolated, `return tf.ready()${failure};`, 'csp.html');
    expect(value).toMatch(/could not compile .*sinew-st-relaxed\.wasm.*add 'wasm-unsafe-eval' to its script-src/);
  });

  it('a CSP that blocks blob: workers leaves 1 working thread, a warning and the fix', async () => {
    const { value, warnings } = await inFreshPage<{ info: any; sum: number }>(isolated, `
      await tf.ready();
      return { info: tf.backendInfo(), sum: tf.sum(tf.matMul(tf.ones([300, 300]), tf.ones([300, 300]))).dataSync()[0] };`, 'csp-workers.html');
    expect(value.sum).toBe(300 ** 3);
    expect(value.info).toMatchObject({ variant: 'mt-relaxed', threads: 1, maxThreads: 1 });
    expect(value.info.threadsUnavailable).toMatch(/worker 0 did not start: .*worker-src blob:/);
    expect(warnings.filter((w) => w.startsWith('sinew:'))).toEqual([expect.stringMatching(/continues on 1 thread: .*worker-src blob:/)]);
  });

  it('setWasmPaths: bad arguments and calls after loading fail clearly', async () => {
    const { value } = await inFreshPage<string[]>(isolated, `
      const messages = [];
      for (const arg of ['/no-slash', { 'tfjs-backend-wasm.wasm': '/x.wasm' }, { 'sinew-st.wasm': 3 }, null]) {
        try { tf.setWasmPaths(arg); messages.push('no error'); } catch (error) { messages.push(error.message); }
      }
      await tf.ready();
      try { tf.setWasmPaths('/build/'); messages.push('no error'); } catch (error) { messages.push(error.message); }
      return messages;`);
    expect(value[0]).toMatch(/prefix '\/no-slash' must end with '\/'/);
    expect(value[1]).toMatch(/unknown file 'tfjs-backend-wasm\.wasm' \(sinew ships sinew-mt-relaxed\.wasm/);
    expect(value[2]).toMatch(/URL for 'sinew-st\.wasm' must be a non-empty string, got number 3/);
    expect(value[3]).toMatch(/expected a folder URL ending in '\/' or a map/);
    expect(value[4]).toMatch(/already loaded http:\/\/127\.0\.0\.1:\d+\/build\/sinew-mt-relaxed\.wasm; call setWasmPaths\(\) before/);
  });

  it('setThreads(2) without isolation warns why and keeps 1 thread', async () => {
    const { value, warnings } = await inFreshPage<{ threads: number }>(notIsolated, `
      await tf.ready(); tf.setThreads(2); return { threads: tf.backendInfo().threads };`);
    expect(value.threads).toBe(1);
    expect(warnings.some((w) => /setThreads\(2\) keeps 1 thread: the page is not cross-origin isolated/.test(w))).toBe(true);
  });

  it('the reference backend runs only when asked for by name', async () => {
    const { value } = await inFreshPage<{ before: string; after: string; sum: number[] }>(isolated, `
      const before = tf.getBackend();
      await tf.setBackend('reference');
      return { before, after: tf.getBackend(), sum: Array.from(tf.add([1], 1).dataSync()) };`);
    expect(value).toEqual({ before: 'wasm', after: 'reference', sum: [2] });
  });
});
