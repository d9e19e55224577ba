// The browser example (examples/web, `npm run web`) end to end in real Chromium: the server's isolation
// headers and MIME types, then the page as a user drives it: backend info, a tiny training run through the
// form, the chart, the test accuracy, and a digit drawn with the mouse.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../scripts/chromium.mjs';
// @ts-ignore -- plain JS (no build step for the example); its shape is declared below.
import { defaultMounts as defaultMountsUntyped, startServer as startServerUntyped } from '../examples/web/serve.mjs';

type Mounts = Record<string, string>;
const startServer = startServerUntyped as (options: { port: number; isolated?: boolean; mounts?: Mounts }) => Promise<{ url: string; close(): Promise<void> }>;
const defaultMounts = defaultMountsUntyped as () => Mounts;
// A tiny run: 16 batches of 64. Measured in this page on 2 cores: 67-75% test accuracy over 7 runs (an untrained net: ~10%).
const TINY_RUN = { epochs: '1', samples: '1024', batch: '64' };
const MIN_TINY_ACCURACY = 0.5;

describe('examples/web', () => {
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    server = await startServer({ port: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => { if (message.type() === 'error') problems.push(`console error: ${message.text()}`); });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('serves the example cross-origin isolated, with the right MIME types, and nothing outside its mounts', async () => {
    const head = async (path: string) => {
      const response = await fetch(new URL(path, server.url));
      await response.arrayBuffer();
      return response;
    };
    const wasm = await head('/build/sinew-mt-relaxed.wasm');
    expect(wasm.status).toBe(200);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(wasm.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(wasm.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect((await head('/dist/index.js')).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await head('/train-worker.js')).headers.get('content-type')).toMatch(/^text\/javascript/);
    const labels = await head('/mnist/t10k-labels-idx1-ubyte');
    expect([labels.status, labels.headers.get('content-length')]).toEqual([200, '10008']);
    // An encoded slash survives URL normalisation: this names the real package.json unless the server refuses.
    expect((await head('/dist/..%2fpackage.json')).status).toBe(404);
  });

  it('trains the CNN in the page, reports the test accuracy, and predicts a drawn digit', async () => {
    await page.goto(server.url);
    // Train is enabled once MNIST is in the worker and the worker has loaded the wasm.
    await page.waitForFunction(() => !(document.getElementById('train') as HTMLButtonElement).disabled ||
      !document.getElementById('errors')!.hidden, null, { timeout: 30_000 });
    expect(await page.locator('#errors').isHidden(), await page.textContent('#errors') ?? '').toBe(true);

    const info = Object.fromEntries(await page.$$eval('#backend dd', (cells) => cells.map((dd) => [(dd as HTMLElement).dataset.key, dd.textContent])));
    expect(info.backend).toBe('wasm');
    expect(info.host).toBe('browser');
    expect(info['cross-origin isolated']).toBe('true');
    expect(Number(info.threads)).toBeGreaterThanOrEqual(2);
    expect(info['why single-threaded']).toBeUndefined();

    for (const [id, value] of Object.entries(TINY_RUN)) await page.fill(`#${id}`, value);
    await page.click('#train');
    await page.waitForFunction(() => document.getElementById('result')!.dataset.testAccuracy !== undefined ||
      !document.getElementById('errors')!.hidden, null, { timeout: 40_000 });
    expect(await page.locator('#errors').isHidden(), await page.textContent('#errors') ?? '').toBe(true);

    const accuracy = Number(await page.getAttribute('#result', 'data-test-accuracy'));
    expect(await page.textContent('#result')).toContain(`${(100 * accuracy).toFixed(2)}%`);
    expect(accuracy).toBeGreaterThan(MIN_TINY_ACCURACY);
    expect(accuracy).toBeLessThanOrEqual(1);
    // One chart point per batch: 1024 / 64.
    await page.waitForFunction(() => document.querySelector('#chart polyline.loss')?.getAttribute('data-points') === '16');
    expect(await page.$eval('#progress', (bar) => (bar as HTMLProgressElement).value)).toBe(1);
    expect(await page.textContent('#speed')).toMatch(/^\d+ samples\/s/);

    // A "1": one vertical stroke down the middle of the pad.
    const pad = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(pad.x + 140, pad.y + 50);
    await page.mouse.down();
    for (let step = 1; step <= 20; step++) await page.mouse.move(pad.x + 140 + (step % 3) - 1, pad.y + 50 + 9 * step);
    await page.mouse.up();
    await page.waitForFunction(() => document.querySelectorAll('.bar[data-probability]').length === 10);
    const probabilities = await page.$$eval('.bar', (rows) => rows.map((row) => Number((row as HTMLElement).dataset.probability)));
    expect(probabilities).toHaveLength(10);
    for (const p of probabilities) expect(p).toBeGreaterThanOrEqual(0);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/web-example.png', fullPage: true });
    await page.click('#clear');
    await page.waitForFunction(() => document.querySelectorAll('.bar[data-probability]').length === 0);
    expect(problems).toEqual([]);
  });

  it('answers drawings while it trains, and Stop ends the run early with a test accuracy', async () => {
    await page.fill('#samples', '60000');
    await page.click('#train');
    await page.waitForFunction(() => Number(document.querySelector('#chart polyline.loss')?.getAttribute('data-points')) >= 5);
    // The worker yields between batches, so a prediction gets through mid-run.
    const pad = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(pad.x + 100, pad.y + 140);
    await page.mouse.down();
    await page.mouse.move(pad.x + 180, pad.y + 140, { steps: 10 });
    await page.mouse.up();
    await page.waitForFunction(() => document.querySelectorAll('.bar[data-probability]').length === 10, null, { timeout: 5_000 });
    expect(await page.isDisabled('#train')).toBe(true);

    await page.click('#stop');
    await page.waitForFunction(() => document.getElementById('result')!.dataset.testAccuracy !== undefined, null, { timeout: 20_000 });
    expect(await page.textContent('#status')).toMatch(/^Stopped: [\d,]+ samples/);
    const seen = Number((await page.textContent('#status'))!.match(/^Stopped: ([\d,]+)/)![1].replaceAll(',', ''));
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(60000);
    expect(Number(await page.getAttribute('#result', 'data-test-accuracy'))).toBeGreaterThan(0);
    expect(await page.isEnabled('#train')).toBe(true);
    expect(problems).toEqual([]);
  });

  it('runs single-threaded without COOP/COEP and says why threads are off', async () => {
    const plain = await startServer({ port: 0, isolated: false });
    const plainPage = await browser.newPage();
    try {
      await plainPage.goto(plain.url);
      await plainPage.waitForFunction(() => document.querySelector('#backend dd[data-key="threads"]') !== null, null, { timeout: 20_000 });
      const info = Object.fromEntries(await plainPage.$$eval('#backend dd', (cells) => cells.map((dd) => [(dd as HTMLElement).dataset.key, dd.textContent])));
      expect(info.threads).toBe('1');
      expect(info['cross-origin isolated']).toBe('false');
      expect(info['why single-threaded']).toMatch(/not cross-origin isolated/);
    } finally {
      await plainPage.close();
      await plain.close();
    }
  });

  it('shows the Error text in the page when the wasm cannot be fetched', async () => {
    const { '/build/': _, ...withoutWasm } = defaultMounts();
    const broken = await startServer({ port: 0, mounts: withoutWasm });
    const brokenPage = await browser.newPage();
    try {
      await brokenPage.goto(broken.url);
      await brokenPage.waitForFunction(() => !document.getElementById('errors')!.hidden, null, { timeout: 20_000 });
      const text = await brokenPage.textContent('#errors');
      expect(text).toMatch(/fetching http:\/\/127\.0\.0\.1:\d+\/build\/sinew-[\w-]+\.wasm failed: HTTP 404/);
      await brokenPage.waitForFunction(() => document.getElementById('status')!.textContent!.includes('see the error above'));
      expect(await brokenPage.isDisabled('#train')).toBe(true);
    } finally {
      await brokenPage.close();
      await broken.close();
    }
  });
});
