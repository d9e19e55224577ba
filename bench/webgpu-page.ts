// WebGPU in a page, inference as a page does it (inputs uploaded from Float32Arrays, the output read back with
// an await, every call): square matMul on sinew's webgpu backend, tfjs-backend-webgpu and onnxruntime-web's
// WebGPU execution provider, all three in one Chromium page on the same adapter (SwiftShader without a GPU;
// onnxruntime-web's WebGPU EP does not start in Node on Dawn's compatibility adapter, so this part runs in a page).
//   npx tsx bench/webgpu-page.ts [--sizes 128,256,512] [--rounds 3]    (also run by npm run bench -- webgpu)
import { launchChromium } from '../scripts/chromium.mjs';
import { startStaticServer } from '../scripts/static-server.mjs';
import { onnxMatMulModel, packageVersion } from './peers.js';
import { machineNote, median } from './harness.js';
import { writeReport } from './report.js';

const flag = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const SIZES = flag('sizes', '128,256,512').split(',').map(Number);
const ROUNDS = Number(flag('rounds', '3'));
const MIN_MS = 400;
const LIBRARIES = ['sinew webgpu', 'tfjs-webgpu', 'ort-web webgpu'];

const server = await startStaticServer({
  mounts: {
    '/dist/': 'dist', '/build/': 'build', '/bench/': 'bench', '/ort/': 'node_modules/onnxruntime-web/dist',
    '/tfjs/': 'node_modules/@tensorflow/tfjs/dist', '/tfjs-webgpu/': 'node_modules/@tensorflow/tfjs-backend-webgpu/dist',
  },
});
const browser = await launchChromium({ args: ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'] });
const page = await browser.newPage();
const pageErrors: string[] = [];
page.on('pageerror', (error) => pageErrors.push(error.message));
await page.goto(new URL('bench/webgpu-page/page.html', server.url).href);

const models = Object.fromEntries(SIZES.map((n) => [n, Array.from(onnxMatMulModel(n, n, n))]));
// The body lives in a plain .mjs the page imports (tsx would add helpers to a function passed to evaluate).
const measured = await page.evaluate(
  (args) => import('/bench/webgpu-page/body.mjs').then((body) => body.measure(args)),
  { sizes: SIZES, rounds: ROUNDS, minMs: MIN_MS, models, libraries: LIBRARIES },
);
await browser.close();
await server.close();
if (pageErrors.length) throw new Error(`webgpu page bench: ${pageErrors.join('; ')}`);

const rows: Record<string, unknown>[] = [];
for (const n of SIZES) {
  const ms = (library: string) => median(measured.times[`${library}|${n}`]);
  for (const library of LIBRARIES) {
    rows.push({ N: n, library, 'ms per call': Number(ms(library).toFixed(2)), 'GFLOP/s': Number(((2 * n ** 3) / (ms(library) * 1e6)).toFixed(2)),
      'sinew ×': library === LIBRARIES[0] ? '' : `${(ms(library) / ms(LIBRARIES[0])).toFixed(2)}x` });
  }
  console.log(`N=${n}: ${LIBRARIES.map((l) => `${l} ${ms(l).toFixed(1)} ms`).join(', ')}`);
}
const chromium = /Chrome\/([\d.]+)/.exec(measured.userAgent)?.[1] ?? '?';
console.log(writeReport('webgpu-page', rows, {
  title: 'WebGPU in a page: matMul inference, sinew vs tfjs-backend-webgpu vs onnxruntime-web WebGPU EP',
  notes: [
    `adapter: ${measured.adapter} in Chromium ${chromium} (--use-webgpu-adapter=swiftshader: a CPU adapter, only the ratios mean anything); ${machineNote()}`,
    `@tensorflow/tfjs-backend-webgpu ${packageVersion('@tensorflow/tfjs-backend-webgpu')}, onnxruntime-web ${packageVersion('onnxruntime-web')}`,
    `a call: both inputs uploaded from Float32Arrays, the product, the output read back (await); ms per call over >= ${MIN_MS} ms of calls, median of ${ROUNDS} rounds, libraries alternating`,
    'sinew ×: how many times longer the peer takes than sinew',
  ],
  chart: { group: 'N', series: 'library', value: 'GFLOP/s', unit: 'GFLOP/s' },
}));
process.exit(0);
