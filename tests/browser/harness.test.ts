// The harness itself: bodies run on the build in Chromium, routes and isolation headers are served as asked.
import { describe, expect, it } from 'vitest';
import { useBrowser } from './harness.js';

describe('browser harness (not isolated)', () => {
  const browser = useBrowser({
    routes: {
      '/missing.wasm': { status: 404, type: 'text/plain', body: 'gone' },
      '/dist/fake.wasm': { type: 'text/html', body: '<!doctype html><p>an HTML error page</p>' },
    },
  });

  it('runs a body on the build with a JSON argument', async () => {
    const result = await browser.run(async (tf, [a, b]) => ({ sum: tf.add(a, b).arraySync(), backend: tf.getBackend() }), [[1, 2], [3, 4]]);
    expect(result).toEqual({ sum: [4, 6], backend: 'wasm' });
  });

  it('serves files with their MIME types, routes, and no isolation headers by default', async () => {
    const seen = await browser.run(async () => {
      const head = async (path: string) => {
        const response = await fetch(path);
        return [response.status, response.headers.get('content-type'), response.headers.get('cross-origin-embedder-policy')];
      };
      return {
        js: await head('/dist/index.js'),
        json: await head('/package.json'),
        missing: await head('/missing.wasm'),
        htmlInPlace: await head('/dist/fake.wasm'),
        nothing: await head('/no/such/file.txt'),
        escape: await head('/../../etc/passwd'),
        isolated: globalThis.crossOriginIsolated,
      };
    });
    expect(seen.js).toEqual([200, 'text/javascript; charset=utf-8', null]);
    expect(seen.json).toEqual([200, 'application/json', null]);
    expect(seen.missing).toEqual([404, 'text/plain', null]);
    expect(seen.htmlInPlace).toEqual([200, 'text/html', null]);
    expect(seen.nothing[0]).toBe(404);
    expect(seen.escape[0]).toBe(404);
    expect(seen.isolated).toBe(false);
  });

  it('rejects with the page-side message when a body throws', async () => {
    await expect(browser.run(() => { throw new Error('thrown in the page'); })).rejects.toThrow(/thrown in the page/);
  });
});

describe('browser harness (cross-origin isolated)', () => {
  const browser = useBrowser({ crossOriginIsolated: true });

  it('sends COOP/COEP so the page is cross-origin isolated and has SharedArrayBuffer', async () => {
    const seen = await browser.run(async () => {
      const response = await fetch('/build/' );
      return { isolated: globalThis.crossOriginIsolated, shared: typeof SharedArrayBuffer, status: response.status };
    });
    expect(seen).toEqual({ isolated: true, shared: 'function', status: 404 });
  });
});
