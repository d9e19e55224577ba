// WebGPU suite: sinew's webgpu backend against tfjs-backend-webgpu on the same adapter, in one process:
// GEMM (square, N from --sizes), conv2d forward and forward+both backprops, a self-attention block, a
// BERT-style encoder layer's training step, and training throughput of the MNIST MLP, CNN and LSTM (model.fit).
// Without a GPU the adapter is Mesa's llvmpipe through Dawn's OpenGL ES route (a CPU pretending to be a GPU: the ratios say something about the kernels'
// work and dispatch overheads, the absolute figures nothing about a real GPU).
//   npx tsx bench/webgpu.ts [--sizes 256,512,1024] [--transport inline|worker] [--rounds 3] [--only matMul,conv2d] [--no-page]
//   (or npm run bench -- webgpu); SINEW_BENCH_DAWN='' picks Dawn's default route on a machine with a GPU.
// Then bench/webgpu-page.ts compares matMul inference with onnxruntime-web's WebGPU EP too, in a Chromium page.
// Timing: each task is launched repeatedly and one element of its last output read back (the queue runs in
// order, so that read waits for every launch); ms per launch over at least MIN_MS, median of the rounds,
// libraries alternating within each round.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as sinew from '../src/index.js';
import { loadMnist, NUM_CLASSES } from '../examples/shared/mnist.js';
import { cnnLayers } from '../examples/mnist-cnn.js';
import { packageVersion } from './peers.js';
import { defaultGpuSetup, loadTfjsWebGPU } from './webgpu-peers.js';
import { writeReport } from './report.js';
import { machineNote, median } from './harness.js';

const flag = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const SIZES = flag('sizes', '256,512,1024').split(',').map(Number);
const TRANSPORT = flag('transport', 'inline') as 'inline' | 'worker';
const ROUNDS = Number(flag('rounds', '3'));
/** --only matMul,conv2d: the tasks whose names start with one of these. */
const ONLY = flag('only', '').split(',').filter(Boolean);
const wanted = (group: string) => ONLY.length === 0 || ONLY.some((prefix) => group.startsWith(prefix));
const MIN_MS = 400;

// Both libraries speak the tfjs API; the suite drives them through it.
type Api = typeof import('@tensorflow/tfjs');
type T = ReturnType<Api['tensor']>;
interface Lib { name: string; tf: Api }

const setup = defaultGpuSetup();
const tfjs = await loadTfjsWebGPU(setup);
sinew.setWebGPUOptions({ dawnOptions: setup.dawnOptions, featureLevel: setup.featureLevel, allowFallbackAdapter: true, transport: TRANSPORT });
await sinew.setBackend('webgpu');
const info = sinew.backendInfo() as { adapter?: { name: string; isFallbackAdapter: boolean }; transport?: string };
const libs: Lib[] = [{ name: `sinew webgpu (${TRANSPORT})`, tf: sinew as unknown as Api }, { name: 'tfjs-webgpu', tf: tfjs }];
console.log(`adapter: ${info.adapter?.name} (fallback ${info.adapter?.isFallbackAdapter}), sinew transport ${info.transport}`);

/** Reads one element of t: waits for everything queued before it, moves 4 bytes. */
async function settle(lib: Lib, t: T): Promise<void> {
  const first = lib.tf.slice(lib.tf.reshape(t, [-1]), [0], [1]);
  await first.data();
  first.dispose();
}

/** ms per launch of `launch` (which returns what it made; the last tensor of it is awaited). */
async function msPerLaunch(lib: Lib, launch: () => T | T[]): Promise<number> {
  const run = async (count: number) => {
    let last: T[] = [];
    for (let i = 0; i < count; i++) {
      last.forEach((t) => t.dispose());
      const out = launch();
      last = Array.isArray(out) ? out : [out];
    }
    await settle(lib, last[last.length - 1]);
    last.forEach((t) => t.dispose());
  };
  await run(2); // warm-up: pipelines compiled, buffers pooled
  let count = 1;
  for (;;) {
    const start = performance.now();
    await run(count);
    const ms = performance.now() - start;
    if (ms >= MIN_MS) return ms / count;
    count = Math.max(count * 2, Math.ceil((count * MIN_MS * 1.2) / Math.max(ms, 1)));
  }
}

interface Task { group: string; unit: string; perLaunch: (ms: number) => number; setup: (lib: Lib) => { launch: () => T | T[]; dispose: () => void } }
const random = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);

const tasks: Task[] = [];
for (const n of SIZES) {
  const a = random(n * n), b = random(n * n);
  tasks.push({ group: `matMul ${n}³`, unit: 'GFLOP/s', perLaunch: (ms) => (2 * n ** 3) / (ms * 1e6), setup: (lib) => {
    const [ta, tb] = [lib.tf.tensor(a, [n, n]), lib.tf.tensor(b, [n, n])];
    return { launch: () => lib.tf.matMul(ta, tb), dispose: () => lib.tf.dispose([ta, tb]) };
  } });
}

// conv2d: x [16, 32, 32, 32], 3×3 filters 32 → 64, same padding (1.2 GFLOP forward).
const [N, H, W, C, OC] = [16, 32, 32, 32, 64];
const convFlops = 2 * N * H * W * OC * 9 * C;
const convX = random(N * H * W * C), convF = random(9 * C * OC).map((v) => v * 0.2);
tasks.push({ group: 'conv2d forward', unit: 'GFLOP/s', perLaunch: (ms) => convFlops / (ms * 1e6), setup: (lib) => {
  const [x, f] = [lib.tf.tensor4d(convX, [N, H, W, C]), lib.tf.tensor4d(convF, [3, 3, C, OC])];
  return { launch: () => lib.tf.conv2d(x, f, 1, 'same'), dispose: () => lib.tf.dispose([x, f]) };
} });
tasks.push({ group: 'conv2d forward + dx + dW', unit: 'GFLOP/s', perLaunch: (ms) => (3 * convFlops) / (ms * 1e6), setup: (lib) => {
  const [x, f] = [lib.tf.tensor4d(convX, [N, H, W, C]), lib.tf.tensor4d(convF, [3, 3, C, OC])];
  const grads = lib.tf.grads((xs: T, fs: T) => lib.tf.sum(lib.tf.conv2d(xs as never, fs as never, 1, 'same')));
  return { launch: () => grads([x, f]), dispose: () => lib.tf.dispose([x, f]) };
} });

// A self-attention block forward: x [8, 128, 256], 4 heads of 64 (sinew: its fused attention kernel).
const [B, SEQ, D, HEADS] = [8, 128, 256, 4];
const blockFlops = 4 * 2 * B * SEQ * D * D + 2 * 2 * B * HEADS * SEQ * SEQ * (D / HEADS);
const blockX = random(B * SEQ * D), blockW = Array.from({ length: 4 }, () => random(D * D).map((v) => v * 0.1));
tasks.push({ group: 'attention block forward', unit: 'GFLOP/s', perLaunch: (ms) => blockFlops / (ms * 1e6), setup: (lib) => {
  const tf = lib.tf;
  const x = tf.tensor(blockX, [B * SEQ, D]);
  const w = blockW.map((v) => tf.tensor(v, [D, D]));
  const split = (t: T) => tf.transpose(tf.reshape(t, [B, SEQ, HEADS, D / HEADS]), [0, 2, 1, 3]);
  const attend = lib.tf === tfjs
    ? (q: T, k: T, v: T) => tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D / HEADS))), v)
    : (q: T, k: T, v: T) => sinew.scaledDotProductAttention(q as never, k as never, v as never) as unknown as T;
  const launch = () => tf.tidy(() => {
    const [q, k, v] = [0, 1, 2].map((i) => split(tf.matMul(x, w[i])));
    return tf.matMul(tf.reshape(tf.transpose(attend(q, k, v), [0, 2, 1, 3]), [B * SEQ, D]), w[3]);
  });
  return { launch, dispose: () => tf.dispose([x, ...w]) };
} });

// One BERT-style encoder layer training step (adam on mean squared error): x [8, 64, 128], 4 heads, FFN 512,
// post-norm residuals. sinew uses its fused attention and layerNorm; tfjs the same maths from its ops.
const [LB, LT, LD, LH, LF] = [8, 64, 128, 4, 512];
const layerX = random(LB * LT * LD), layerTarget = random(LB * LT * LD);
const layerW = [LD * LD, LD * LD, LD * LD, LD * LD, LD * LF, LF * LD].map((n) => random(n).map((v) => v * 0.1));
tasks.push({ group: 'BERT layer train step', unit: 'samples/s', perLaunch: (ms) => (LB * 1000) / ms, setup: (lib) => {
  const tf = lib.tf;
  const x = tf.tensor(layerX, [LB * LT, LD]), target = tf.tensor(layerTarget, [LB * LT, LD]);
  const shapes = [[LD, LD], [LD, LD], [LD, LD], [LD, LD], [LD, LF], [LF, LD]];
  const w = layerW.map((v, i) => tf.variable(tf.tensor(v, shapes[i])));
  const gammas = [0, 1].map(() => tf.variable(tf.ones([LD])));
  const sinewSide = lib.tf !== tfjs;
  const norm = (t: T, gamma: T) => {
    if (sinewSide) return sinew.layerNorm(t as never, gamma as never, null, 1e-3) as unknown as T;
    const { mean, variance } = tf.moments(t, -1, true);
    return tf.mul(tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, 1e-3))), gamma);
  };
  const split = (t: T) => tf.transpose(tf.reshape(t, [LB, LT, LH, LD / LH]), [0, 2, 1, 3]);
  const attend = sinewSide
    ? (q: T, k: T, v: T) => sinew.scaledDotProductAttention(q as never, k as never, v as never) as unknown as T
    : (q: T, k: T, v: T) => tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(LD / LH))), v);
  const layer = () => {
    const [q, k, v] = [0, 1, 2].map((i) => split(tf.matMul(x, w[i])));
    const context = tf.reshape(tf.transpose(attend(q, k, v), [0, 2, 1, 3]), [LB * LT, LD]);
    const h = norm(tf.add(x, tf.matMul(context, w[3])), gammas[0]);
    return norm(tf.add(h, tf.matMul(tf.relu(tf.matMul(h, w[4])), w[5])), gammas[1]);
  };
  const optimizer = tf.train.adam(1e-3);
  const launch = () => optimizer.minimize(() => tf.mean(tf.square(tf.sub(layer(), target))) as never, true) as T;
  return { launch, dispose: () => { tf.dispose([x, target, ...w, ...gammas]); optimizer.dispose(); } };
} });

const results = new Map<string, number[]>(); // `${group}|${lib}` → ms per launch, one per round
for (const task of tasks.filter((t) => wanted(t.group))) {
  const made = libs.map((lib) => ({ lib, ...task.setup(lib) }));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < made.length; i++) {
      const { lib, launch } = made[(i + round) % made.length];
      const key = `${task.group}|${lib.name}`;
      results.set(key, [...(results.get(key) ?? []), await msPerLaunch(lib, launch)]);
    }
  }
  made.forEach((m) => m.dispose());
  console.log(`${task.group}: ${libs.map((l) => `${l.name} ${task.perLaunch(median(results.get(`${task.group}|${l.name}`)!)).toFixed(1)} ${task.unit}`).join(', ')}`);
}

// Training throughput: one epoch of model.fit (which returns once the epoch's loss is read back).
const BATCH = 64;
const SAMPLES = BATCH * 8;
const mnist = await loadMnist({ trainSamples: SAMPLES, testSamples: 0 });
const oneHot = new Float32Array(SAMPLES * NUM_CLASSES);
mnist.train.labels.forEach((label, i) => { oneHot[i * NUM_CLASSES + label] = 1; });
const trainings: { group: string; build: (tf: Api) => ReturnType<Api['sequential']>; images: number[] }[] = [
  { group: 'MLP 784-128-10 fit', images: [SAMPLES, 784], build: (tf) => tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [784], units: 128, activation: 'relu' }), tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' })] }) },
  { group: 'MNIST CNN fit', images: [SAMPLES, 28, 28, 1], build: (tf) => tf.sequential({ layers: cnnLayers(tf.layers as never) as never }) },
  // Each image as 28 steps of 28 pixels (the classic sequence MNIST), an LSTM of 64 units.
  { group: 'MNIST LSTM fit', images: [SAMPLES, 28, 28], build: (tf) => tf.sequential({ layers: [
    tf.layers.lstm({ inputShape: [28, 28], units: 64 }), tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' })] }) },
];
for (const training of trainings.filter((t) => wanted(t.group))) {
  const made = libs.map((lib) => {
    const model = training.build(lib.tf);
    model.compile({ optimizer: lib.tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    const x = lib.tf.tensor(mnist.train.images.subarray(0, SAMPLES * 784), training.images);
    const y = lib.tf.tensor2d(oneHot, [SAMPLES, NUM_CLASSES]);
    const epoch = async () => { await model.fit(x, y, { batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0 }); };
    return { lib, epoch, dispose: () => { lib.tf.dispose([x, y]); model.dispose?.(); } };
  });
  for (const m of made) await m.epoch(); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < made.length; i++) {
      const { lib, epoch } = made[(i + round) % made.length];
      const start = performance.now();
      let epochs = 0;
      do { await epoch(); epochs++; } while (performance.now() - start < MIN_MS);
      const key = `${training.group}|${lib.name}`;
      results.set(key, [...(results.get(key) ?? []), (performance.now() - start) / epochs / SAMPLES]);
    }
  }
  made.forEach((m) => m.dispose());
  tasks.push({ group: training.group, unit: 'samples/s', perLaunch: (msPerSample) => 1000 / msPerSample, setup: () => { throw new Error('timed above'); } });
  console.log(`${training.group}: ${libs.map((l) => `${l.name} ${(1000 / median(results.get(`${training.group}|${l.name}`)!)).toFixed(0)} samples/s`).join(', ')}`);
}

const rows: Record<string, unknown>[] = [];
for (const task of tasks.filter((t) => wanted(t.group))) {
  const value = (lib: Lib) => task.perLaunch(median(results.get(`${task.group}|${lib.name}`)!));
  const peer = value(libs[1]);
  for (const lib of libs) {
    rows.push({ task: task.group, library: lib.name, value: Number(value(lib).toFixed(1)), unit: task.unit,
      'x tfjs-webgpu': Number((value(lib) / peer).toFixed(2)) });
  }
}
const md = writeReport('webgpu', rows, {
  title: 'WebGPU: sinew vs tfjs-backend-webgpu on the same adapter',
  notes: [
    `adapter: ${info.adapter?.name ?? '?'}${info.adapter?.isFallbackAdapter ? ' (a fallback adapter)' : ''}; Dawn options ${setup.dawnOptions.join(' ') || '(default)'}${setup.featureLevel ? `, featureLevel ${setup.featureLevel}` : ''}; npm webgpu ${packageVersion('webgpu')}`,
    `${machineNote()}; sinew transport ${info.transport}; @tensorflow/tfjs-backend-webgpu ${packageVersion('@tensorflow/tfjs-backend-webgpu')}`,
    `ops: ms per launch over >= ${MIN_MS} ms of launches, one element of the last output read back; fit: one epoch of ${SAMPLES} MNIST samples, batch ${BATCH}, adam, no shuffle; median of ${ROUNDS} rounds, libraries alternating`,
    'value: GFLOP/s for the ops, samples/s for fit (higher is better); x tfjs-webgpu: the ratio of the two',
  ],
  chart: { group: 'task', series: 'library', value: 'x tfjs-webgpu', unit: 'speed relative to tfjs-webgpu' },
});
console.log(md);

// The page part: onnxruntime-web's WebGPU EP starts only in a page here, so the three-way inference comparison
// runs in Chromium (bench/webgpu-page.ts), unless --no-page.
if (!process.argv.includes('--no-page')) {
  const script = fileURLToPath(new URL('./webgpu-page.ts', import.meta.url));
  const child = spawnSync(process.execPath, [...process.execArgv, script, '--rounds', String(ROUNDS)], { stdio: 'inherit' });
  if (child.status !== 0) process.exit(child.status ?? 1);
}
process.exit(0);
