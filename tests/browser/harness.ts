// Runs test bodies inside real Chromium against the shipped build (dist/), one browser per test file.
//
//   const browser = useBrowser();                       // in a describe or at the top of a test file
//   it('adds', async () => {
//     const sum = await browser.run(async (tf, [a, b]) => tf.add(a, b).arraySync(), [[1, 2], [3, 4]]);
//     expect(sum).toEqual([4, 6]);
//   });
//
// The body is sent to the page as source text, so it may use only its arguments (tf and one JSON
// argument) and page globals, never variables of the test file; it returns JSON-serializable values.
// Console output and uncaught page errors are printed with the test's output; an uncaught page error
// also fails the test that was running.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/chromium.mjs';
import { REPOSITORY_ROOT, startServer, type ServerOptions, type StaticServer } from './server.js';

export type Sinew = typeof import('../../src/index.js');

/** The backend every page selects before a body runs: 'default' keeps sinew's own choice (wasm) and awaits tf.ready(). */
export const DEFAULT_PAGE_BACKEND: string = 'default';

export const TEST_PAGE_PATH = '/__sinew_test__/page.html';

export interface BrowserOptions extends ServerOptions {
  /** A backend name for tf.setBackend, or 'default' to keep sinew's own choice and await tf.ready(). */
  backend?: string;
  /** Classic scripts (paths on the server) loaded before each body, e.g. tfjs's UMD build. */
  scripts?: string[];
  /** Extra Chromium flags (e.g. the software WebGPU adapter's). */
  chromiumArgs?: string[];
}

export interface BrowserSuite {
  readonly server: StaticServer;
  readonly page: Page;
  readonly context: BrowserContext;
  /** Runs `body(tf, arg)` in the current page and returns its result. */
  run<T, A = undefined>(body: (tf: Sinew, arg: A) => T | Promise<T>, arg?: A): Promise<Awaited<T>>;
  /** Replaces the page by a fresh one (same origin and storage), back on the test page. */
  reload(): Promise<Page>;
}

/** The page every body runs on: only an import map, so `import('sinew')` resolves to the build. */
export function testPageHTML(title = 'sinew browser test'): string {
  const importMap = JSON.stringify({ imports: { sinew: '/dist/index.js' } });
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>` +
    `<script type="importmap">${importMap}</script></head><body></body></html>`;
}

function checkBuild(): void {
  const entry = join(REPOSITORY_ROOT, 'dist', 'index.js');
  if (!existsSync(entry)) throw new Error(`browser tests run the build, and ${entry} is missing: run \`npm run build:ts\` first`);
  // A stale build is the usual cause of "my fix does nothing in the browser test".
  const built = statSync(entry).mtimeMs;
  const source = statSync(join(REPOSITORY_ROOT, 'src', 'index.ts')).mtimeMs;
  if (source > built) console.warn('browser tests: src/index.ts is newer than dist/index.js; run `npm run build:ts` if the page should see it');
}

/** Starts the server and Chromium before the file's tests and closes both after them. */
export function useBrowser(options: BrowserOptions = {}): BrowserSuite {
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  const pageErrors: string[] = [];
  const backend = options.backend ?? DEFAULT_PAGE_BACKEND;

  async function openPage(): Promise<Page> {
    const next = await context!.newPage();
    next.on('console', (message) => console.log(`[chromium console.${message.type()}] ${message.text()}`));
    next.on('pageerror', (error) => {
      const text = error.stack ?? error.message;
      console.error(`[chromium page error] ${text}`);
      pageErrors.push(text);
    });
    await next.goto(server!.origin + TEST_PAGE_PATH);
    for (const script of options.scripts ?? []) await next.addScriptTag({ url: script });
    return next;
  }

  beforeAll(async () => {
    checkBuild();
    server = await startServer({ ...options, routes: {
      [TEST_PAGE_PATH]: { body: testPageHTML() },
      // Chromium asks for one on every page; a 404 would print a console error in every test.
      '/favicon.ico': { status: 204, type: 'image/x-icon', body: '' },
      ...options.routes,
    } });
    browser = await launchChromium({ args: options.chromiumArgs ?? [] });
    context = await browser.newContext();
    // esbuild (vitest's transform) may wrap functions in __name(...) for their .name; bodies sent as
    // source text then call it in the page, so the page gets a do-nothing one.
    await context.addInitScript('globalThis.__name = (target) => target;');
    page = await openPage();
  });

  afterEach(() => {
    if (pageErrors.length === 0) return;
    const errors = pageErrors.splice(0);
    throw new Error(`uncaught error(s) in the page:\n${errors.join('\n')}`);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`browser harness: no ${what} (did beforeAll fail? see the first error)`);
    return value;
  };

  return {
    get server() { return need(server, 'server'); },
    get page() { return need(page, 'page'); },
    get context() { return need(context, 'browser context'); },
    run: (body, arg) => runInPage(need(page, 'page'), body, arg, backend),
    async reload() {
      await page?.close();
      page = await openPage();
      return page;
    },
  };
}

/** Runs `body(tf, arg)` in `page` (which must have the sinew import map), after selecting `backend` once. */
export async function runInPage<T, A>(
  page: Page,
  body: (tf: Sinew, arg: A) => T | Promise<T>,
  arg?: A,
  backend: string = DEFAULT_PAGE_BACKEND,
): Promise<Awaited<T>> {
  const source = body.toString();
  return page.evaluate(
    async ({ source, arg, backend }) => {
      // new Function keeps the import away from vitest's transform, which rewrites import() in test files.
      const load = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Sinew>;
      const tf = await load('sinew');
      const state = globalThis as unknown as { __sinewBackend?: string };
      if (state.__sinewBackend !== backend) {
        if (backend === 'default') await tf.ready();
        else await tf.setBackend(backend);
        state.__sinewBackend = backend;
      }
      const fn = (0, eval)(`(${source})`) as (tf: Sinew, arg: unknown) => unknown;
      return fn(tf, arg);
    },
    { source, arg, backend },
  ) as Promise<Awaited<T>>;
}
