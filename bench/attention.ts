// Attention suite: one self-attention block forward, x [8, 128, 256] with 4 heads of 64 — four projections as
// matMuls (q, k, v, output), QKᵀ, softmax, P·V (671 MFLOP) — sinew (fused scaledDotProductAttention, 1 thread
// and all threads; also its unfused path: attentionWeights then matMul) against the same block written with
// tfjs ops on tfjs-wasm and tfjs-cpu. Then sinew alone at seq 512 and 2048, with the wasm memory it reserved:
// the fused kernel keeps one tile of scores per thread, so memory grows linearly in T (materialized scores
// would take B·H·T² floats: 512 MiB at T 2048).
//   npx tsx bench/attention.ts            (or npm run bench -- attention)
import os from 'node:os';
import * as tf from '../src/index.js';
import { loadTfjs, packageVersion } from './peers.js';
import { writeReport } from './report.js';
import { addSpeedups, machineNote, median, medianOf, medianOfCalls, rerunWithRelaxedSimd } from './harness.js';

rerunWithRelaxedSimd();

const loadAtStart = os.loadavg()[0];
const ROUNDS = 3;
const BUDGET_MS = 500;
const [BATCH, SEQ, MODEL, HEADS] = [8, 128, 256, 4];
const HEAD_DIM = MODEL / HEADS;
const blockFlops = (seq: number) => 4 * 2 * BATCH * seq * MODEL * MODEL + 2 * 2 * BATCH * HEADS * seq * seq * HEAD_DIM;
const random = (n: number) => new Float32Array(n).map(() => Math.random() - 0.5);

const weights = Array.from({ length: 4 }, () => random(MODEL * MODEL).map((w) => w * 0.1));
const input = (seq: number) => random(BATCH * seq * MODEL);

// --- sinew ------------------------------------------------------------------------------------------

type SinewTensor = ReturnType<typeof tf.tensor>;
/** [B·T, D] → [B, H, T, dh] */
const splitHeads = (t: SinewTensor, seq: number) => tf.transpose(tf.reshape(t, [BATCH, seq, HEADS, HEAD_DIM]), [0, 2, 1, 3]);

function sinewBlock(x: SinewTensor, w: SinewTensor[], seq: number, fused: boolean): SinewTensor {
  return tf.tidy(() => {
    const rows = tf.reshape(x, [BATCH * seq, MODEL]);
    const [q, k, v] = [0, 1, 2].map((i) => splitHeads(tf.matMul(rows, w[i]), seq));
    const heads = fused ? tf.scaledDotProductAttention(q, k, v) : tf.matMul(tf.attentionWeights(q, k), v);
    const merged = tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [BATCH * seq, MODEL]);
    return tf.matMul(merged, w[3]);
  });
}

await tf.ready();
const sinewWeights = weights.map((w) => tf.tensor(w, [MODEL, MODEL]));
const sinewX = tf.tensor(input(SEQ), [BATCH, SEQ, MODEL]);
const maxThreads = tf.backendInfo().maxThreads ?? 2;
const variant = tf.backendInfo().variant ?? 'unknown';

const latencies = new Map<string, number[]>();
const record = (library: string, ms: number) => latencies.set(library, [...(latencies.get(library) ?? []), ms]);
const sinewTasks: { library: string; fn: () => void }[] = [];
for (const threads of maxThreads > 1 ? [1, maxThreads] : [1]) {
  sinewTasks.push({ library: `sinew ${threads}T`, fn: () => { tf.setThreads(threads); sinewBlock(sinewX, sinewWeights, SEQ, true).dispose(); } });
}
sinewTasks.push({ library: `sinew unfused ${maxThreads}T`, fn: () => { tf.setThreads(maxThreads); sinewBlock(sinewX, sinewWeights, SEQ, false).dispose(); } });

// --- tfjs peers: the same block from tfjs ops -------------------------------------------------------------

const tfjs = await loadTfjs();
type TfjsTensor = ReturnType<typeof tfjs.tensor>;
function tfjsBlock(x: TfjsTensor, w: TfjsTensor[]): TfjsTensor {
  return tfjs.tidy(() => {
    const rows = tfjs.reshape(x, [BATCH * SEQ, MODEL]);
    const [q, k, v] = [0, 1, 2].map((i) => tfjs.transpose(tfjs.reshape(tfjs.matMul(rows, w[i]), [BATCH, SEQ, HEADS, HEAD_DIM]), [0, 2, 1, 3]));
    const scores = tfjs.mul(tfjs.matMul(q, k, false, true), 1 / Math.sqrt(HEAD_DIM));
    const heads = tfjs.matMul(tfjs.softmax(scores), v);
    const merged = tfjs.reshape(tfjs.transpose(heads, [0, 2, 1, 3]), [BATCH * SEQ, MODEL]);
    return tfjs.matMul(merged, w[3]);
  });
}

// sinew and tfjs-wasm alternate within each round (rotating order), so load changes hit all of them alike;
// tfjs-cpu (seconds per call) runs once at the end.
const xValues = sinewX.dataSync();
await tfjs.setBackend('wasm');
await tfjs.ready();
const wasmX = tfjs.tensor(xValues, [BATCH, SEQ, MODEL]);
const wasmWeights = weights.map((values) => tfjs.tensor(values, [MODEL, MODEL]));
const roundTasks = [...sinewTasks, { library: 'tfjs-wasm 1T', fn: () => { const y = tfjsBlock(wasmX, wasmWeights); y.dataSync(); y.dispose(); } }];
for (let round = 0; round < ROUNDS; round++) {
  for (let t = 0; t < roundTasks.length; t++) {
    const { library, fn } = roundTasks[(t + round) % roundTasks.length];
    record(library, await medianOf(fn, { time: BUDGET_MS, iterations: 5 }));
  }
  console.log(`round ${round + 1}/${ROUNDS} done`);
}
tfjs.dispose([wasmX, ...wasmWeights]);
{
  await tfjs.setBackend('cpu');
  await tfjs.ready();
  const x = tfjs.tensor(xValues, [BATCH, SEQ, MODEL]);
  const w = weights.map((values) => tfjs.tensor(values, [MODEL, MODEL]));
  record('tfjs-cpu 1T', await medianOfCalls(() => { const y = tfjsBlock(x, w); y.dataSync(); y.dispose(); }, 2));
  console.log('tfjs-cpu done');
  tfjs.dispose([x, ...w]);
}

// Check the two agree before reporting speed.
{
  await tfjs.setBackend('cpu');
  const ours = sinewBlock(sinewX, sinewWeights, SEQ, true).dataSync();
  const x = tfjs.tensor(xValues, [BATCH, SEQ, MODEL]);
  const theirs = tfjsBlock(x, weights.map((values) => tfjs.tensor(values, [MODEL, MODEL]))).dataSync();
  let worst = 0;
  for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
  console.log(`max |sinew - tfjs-cpu| over the block output: ${worst.toExponential(2)}`);
  if (worst > 1e-3) throw new Error('sinew and tfjs disagree: not reporting timings');
}

const rows: Record<string, unknown>[] = [];
const sinewLabels = sinewTasks.map((t) => t.library);
const sinewMs = sinewLabels.map((label) => median(latencies.get(label)!));
for (const [library, samples] of latencies) {
  const ms = median(samples);
  const row: Record<string, unknown> = { seq: SEQ, library, 'median ms': ms, 'GFLOP/s': blockFlops(SEQ) / (ms * 1e6) };
  addSpeedups(row, library, ms, sinewLabels, sinewMs);
  rows.push(row);
}

// --- longer sequences: sinew alone, memory linear in T -----------------------------------------------------
sinewX.dispose();
tf.setThreads(maxThreads);
for (const seq of [512, 2048]) {
  const x = tf.tensor(input(seq), [BATCH, seq, MODEL]);
  const ms = await medianOfCalls(() => sinewBlock(x, sinewWeights, seq, true).dispose(), seq > 1000 ? 1 : 3);
  x.dispose();
  rows.push({ seq, library: `sinew ${maxThreads}T`, 'median ms': ms, 'GFLOP/s': blockFlops(seq) / (ms * 1e6),
    'wasm MiB reserved': (tf.memory().numBytesInBackend ?? 0) / 2 ** 20 });
  console.log(`seq ${seq}: ${ms.toFixed(0)} ms, wasm memory ${((tf.memory().numBytesInBackend ?? 0) / 2 ** 20).toFixed(0)} MiB`);
}

const cpus = os.cpus();
const notes = [
  machineNote(),
  `block: x [${BATCH}, T, ${MODEL}], ${HEADS} heads of ${HEAD_DIM}, q/k/v/output projections [${MODEL}, ${MODEL}] (no bias), softmax(QKᵀ/√${HEAD_DIM})·V; ${(blockFlops(SEQ) / 1e6).toFixed(0)} MFLOP at T ${SEQ}`,
  `sinew: build ${variant}, threads 1 and ${maxThreads}; fused = tf.scaledDotProductAttention, unfused = tf.matMul(tf.attentionWeights(q, k), v); the × columns are each sinew configuration's speedup over the peer`,
  `peers: the same block from @tensorflow/tfjs ${packageVersion('@tensorflow/tfjs')} ops on tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')} (threads off in Node) and tfjs-cpu`,
  `seq 512 / 2048 rows: sinew only; 'wasm MiB reserved' is the wasm memory size after the run (it only grows, so it is the peak): scores for T 2048 materialized would need ${(BATCH * HEADS * 2048 * 2048 * 4 / 2 ** 20).toFixed(0)} MiB alone`,
  `1-min load average ${loadAtStart.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at the end on ${cpus.length} cores`,
  `method: tinybench p50 per task, ${ROUNDS} rounds with sinew and tfjs-wasm alternating, median of round medians (tfjs-cpu: median of 2 calls after a warm-up; seq 512: 3 calls, 2048: 1 call); sinew without readback, tfjs with dataSync`,
];
const md = writeReport('attention', rows, { title: 'self-attention block forward (f32)', notes,
  chart: { group: 'seq', series: 'library', value: 'GFLOP/s', unit: 'GFLOP/s, higher is better' } });
console.log(md);
process.exit(0);
