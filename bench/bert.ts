// BERT suite: one BERT-base-shaped encoder layer forward (hidden 768, 12 heads, FFN 3072, seq 128, batch 8,
// key padding mask; ≈14.9 GFLOP) in tokens/s — sinew (fused attention, 1 thread and all threads) against
// onnxruntime-web (wasm, 1 thread and all threads) running the same layer as a hand-encoded ONNX graph
// (MatMul/Add/Reshape/Transpose/Softmax/Erf/LayerNormalization) with the same weights, checked to give
// the same output; then tiny-BERT MLM training steps/s for sinew.
//   npx tsx bench/bert.ts            (or npm run bench -- bert)
//   npx tsx bench/bert.ts ort-child <threads> <timeMs>    → one JSON line: the ORT median and an output checksum
import { spawnSync, execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { relaxedSimdSupported } from '../src/runtime/loader.js';
import { packageVersion } from './peers.js';
import { writeReport } from './report.js';

const isOrtChild = process.argv[2] === 'ort-child';
if (!isOrtChild && !relaxedSimdSupported() && !process.env.SINEW_BENCH_RELAXED_RETRY) {
  const child = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, SINEW_BENCH_RELAXED_RETRY: '1' } });
  process.exit(child.status ?? 1);
}

const [BATCH, SEQ, HIDDEN, HEADS, FFN] = [8, 128, 768, 12, 3072];
const HEAD_DIM = HIDDEN / HEADS;
const EPS = 1e-12;
const TOKENS = BATCH * SEQ;
const FLOPS = TOKENS * (4 * 2 * HIDDEN * HIDDEN + 2 * 2 * HIDDEN * FFN) + 2 * 2 * BATCH * HEADS * SEQ * SEQ * HEAD_DIM;
/** Real tokens per sequence: sequence b is padded after SEQ − 8b tokens. */
const lengthOf = (b: number) => SEQ - 8 * b;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

/** Seeded uniform values in [-scale, scale) (mulberry32): both processes build identical weights. */
function seeded(n: number, seed: number, scale: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (2 * (((t ^ (t >>> 14)) >>> 0) / 4294967296) - 1) * scale;
  }
  return out;
}

/** The layer's weights in sinew's (and ONNX MatMul's) [in, out] layout, by role. */
function layerWeights() {
  const w = 1 / Math.sqrt(HIDDEN);
  return {
    wq: seeded(HIDDEN * HIDDEN, 1, w), bq: seeded(HIDDEN, 2, 0.1),
    wk: seeded(HIDDEN * HIDDEN, 3, w), bk: seeded(HIDDEN, 4, 0.1),
    wv: seeded(HIDDEN * HIDDEN, 5, w), bv: seeded(HIDDEN, 6, 0.1),
    wo: seeded(HIDDEN * HIDDEN, 7, w), bo: seeded(HIDDEN, 8, 0.1),
    g1: seeded(HIDDEN, 9, 0.1).map((v) => 1 + v), b1: seeded(HIDDEN, 10, 0.1),
    wi: seeded(HIDDEN * FFN, 11, w), bi: seeded(FFN, 12, 0.1),
    wf: seeded(FFN * HIDDEN, 13, 1 / Math.sqrt(FFN)), bf: seeded(HIDDEN, 14, 0.1),
    g2: seeded(HIDDEN, 15, 0.1).map((v) => 1 + v), b2: seeded(HIDDEN, 16, 0.1),
  };
}
const inputX = () => seeded(TOKENS * HIDDEN, 99, 1);
/** 1 = real token, [B, T]. */
const keyMask = () => Float32Array.from({ length: TOKENS }, (_, i) => (i % SEQ < lengthOf(Math.floor(i / SEQ)) ? 1 : 0));

// --- a minimal protobuf writer for the ONNX graph -------------------------------------------------------
class Proto {
  private parts: Uint8Array[] = [];
  private length = 0;
  private push(bytes: Uint8Array): this { this.parts.push(bytes); this.length += bytes.length; return this; }
  private varint(value: number): this {
    const out: number[] = [];
    while (value > 0x7f) { out.push((value % 128) | 0x80); value = Math.floor(value / 128); }
    out.push(value);
    return this.push(Uint8Array.from(out));
  }
  int(field: number, value: number): this { return this.varint(field * 8).varint(value); }
  bytes(field: number, value: Uint8Array): this { return this.varint(field * 8 + 2).varint(value.length).push(value); }
  string(field: number, value: string): this { return this.bytes(field, new TextEncoder().encode(value)); }
  message(field: number, value: Proto): this { return this.bytes(field, value.finish()); }
  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return this.varint(field * 8 + 5).push(b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) { out.set(p, at); at += p.length; }
    return out;
  }
}

const FLOAT = 1, INT64 = 7;
function initializer(name: string, dims: number[], values: Float32Array | BigInt64Array): Proto {
  const t = new Proto();
  for (const d of dims) t.int(1, d);
  t.int(2, values instanceof Float32Array ? FLOAT : INT64).string(8, name);
  return t.bytes(9, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}
function valueInfo(name: string, dims: number[]): Proto {
  const shape = new Proto();
  for (const d of dims) shape.message(1, new Proto().int(1, d));
  const tensorType = new Proto().int(1, FLOAT).message(2, shape);
  return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
}
type Attribute = { name: string; int?: number; ints?: number[]; float?: number };
function node(op: string, inputs: string[], outputs: string[], attributes: Attribute[] = []): Proto {
  const n = new Proto();
  for (const i of inputs) n.string(1, i);
  for (const o of outputs) n.string(2, o);
  n.string(4, op);
  for (const a of attributes) {
    const attr = new Proto().string(1, a.name);
    if (a.float !== undefined) attr.float(2, a.float).int(20, 1);
    else if (a.int !== undefined) attr.int(3, a.int).int(20, 2);
    else attr.int(20, 7), a.ints!.forEach((v) => attr.int(8, v));
    n.message(5, attr);
  }
  return n;
}

/** ModelProto of the encoder layer (opset 17): inputs X [B, T, H] and MaskBias [B, 1, 1, T] (0 or -1e9). */
function onnxEncoderLayer(): Uint8Array {
  const w = layerWeights();
  const g = new Proto();
  const nodes: Proto[] = [];
  const add = (op: string, inputs: string[], out: string, attributes: Attribute[] = []) => { nodes.push(node(op, inputs, [out], attributes)); return out; };
  const dense = (x: string, weight: string, bias: string, out: string) => add('Add', [add('MatMul', [x, weight], `${out}_mm`), bias], out);
  const heads = (x: string, out: string, perm: number[]) => add('Transpose', [add('Reshape', [x, 'split_shape'], `${out}_r`)], out, [{ name: 'perm', ints: perm }]);
  const q = heads(dense('X', 'wq', 'bq', 'q'), 'qh', [0, 2, 1, 3]);
  const kT = heads(dense('X', 'wk', 'bk', 'k'), 'khT', [0, 2, 3, 1]);
  const v = heads(dense('X', 'wv', 'bv', 'v'), 'vh', [0, 2, 1, 3]);
  const scores = add('Add', [add('Mul', [add('MatMul', [q, kT], 's'), 'scale'], 'ss'), 'MaskBias'], 'sm');
  const probabilities = add('Softmax', [scores], 'p', [{ name: 'axis', int: 3 }]);
  const context = add('Reshape', [add('Transpose', [add('MatMul', [probabilities, v], 'ctx')], 'ctxT', [{ name: 'perm', ints: [0, 2, 1, 3] }]), 'merge_shape'], 'ctxm');
  const h1 = add('LayerNormalization', [add('Add', [dense(context, 'wo', 'bo', 'o'), 'X'], 'r1'), 'g1', 'b1'], 'h1', [{ name: 'axis', int: 2 }, { name: 'epsilon', float: EPS }]);
  const pre = dense(h1, 'wi', 'bi', 'f');
  // gelu(x) = 0.5·x·(1 + erf(x/√2)), decomposed (Gelu is opset 20).
  const gelu = add('Mul', [add('Mul', [pre, add('Add', [add('Erf', [add('Mul', [pre, 'inv_sqrt2'], 'fs')], 'fe'), 'one'], 'fe1')], 'fg'), 'half'], 'gelu');
  add('LayerNormalization', [add('Add', [dense(gelu, 'wf', 'bf', 'o2'), h1], 'r2'), 'g2', 'b2'], 'Y', [{ name: 'axis', int: 2 }, { name: 'epsilon', float: EPS }]);
  for (const n of nodes) g.message(1, n);
  g.string(2, 'bert_layer');
  const scalars: Record<string, number> = { scale: 1 / Math.sqrt(HEAD_DIM), inv_sqrt2: Math.SQRT1_2, one: 1, half: 0.5 };
  for (const [name, value] of Object.entries(scalars)) g.message(5, initializer(name, [], Float32Array.of(value)));
  g.message(5, initializer('split_shape', [4], BigInt64Array.from([BATCH, SEQ, HEADS, HEAD_DIM].map(BigInt))));
  g.message(5, initializer('merge_shape', [3], BigInt64Array.from([BATCH, SEQ, HIDDEN].map(BigInt))));
  const shapes: Record<string, number[]> = {
    wq: [HIDDEN, HIDDEN], wk: [HIDDEN, HIDDEN], wv: [HIDDEN, HIDDEN], wo: [HIDDEN, HIDDEN], wi: [HIDDEN, FFN], wf: [FFN, HIDDEN], bi: [FFN],
  };
  for (const [name, values] of Object.entries(w)) g.message(5, initializer(name, shapes[name] ?? [HIDDEN], values));
  g.message(11, valueInfo('X', [BATCH, SEQ, HIDDEN])).message(11, valueInfo('MaskBias', [BATCH, 1, 1, SEQ]));
  g.message(12, valueInfo('Y', [BATCH, SEQ, HIDDEN]));
  return new Proto().int(1, 8).message(7, g).message(8, new Proto().string(1, '').int(2, 17)).finish();
}

/** A checksum of the output that both processes compute the same way. */
const checksum = (y: Float32Array) => { let s = 0; for (let i = 0; i < y.length; i++) s += y[i] * (1 + (i % 7)); return s; };

async function runOrtChild(threads: number, timeMs: number): Promise<void> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  const session = await ort.InferenceSession.create(onnxEncoderLayer(), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const maskBias = keyMask().map((m) => (m ? 0 : -1e9));
  const feeds = { X: new ort.Tensor('float32', inputX(), [BATCH, SEQ, HIDDEN]), MaskBias: new ort.Tensor('float32', maskBias, [BATCH, 1, 1, SEQ]) };
  let output = (await session.run(feeds)).Y.data as Float32Array;
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || performance.now() - start < timeMs) {
    const t0 = performance.now();
    output = (await session.run(feeds)).Y.data as Float32Array;
    times.push(performance.now() - t0);
  }
  const sample = Array.from(output.subarray(0, 8));
  console.log(JSON.stringify({ ms: median(times), checksum: checksum(output), sample }));
}

if (isOrtChild) {
  await runOrtChild(Number(process.argv[3]), Number(process.argv[4]));
  process.exit(0);
}

// --- sinew ---------------------------------------------------------------------------------------------
const tf = await import('../src/index.js');
const { BertLayer } = await import('../src/models/bert/encoder.js');
const { SeedSequence } = await import('../src/models/bert/block.js');
const { bertConfig } = await import('../src/models/bert/config.js');
const { BertForMaskedLM, maskTokens, seededRandom, trainStep } = await import('../src/models/index.js');

const loadAtStart = os.loadavg()[0];
await tf.ready();
const allThreads = tf.backendInfo().maxThreads ?? 1;
const layer = new BertLayer(bertConfig({ vocabSize: 2 }), 'bert.encoder.layer.0', new SeedSequence(1));
const w = layerWeights();
const set = (target: { write(t: import('../src/index.js').Tensor): void }, values: Float32Array, shape: number[]) => {
  const t = tf.tensor(values, shape);
  target.write(t);
  t.dispose();
};
for (const [dense, kernel, bias, units] of [
  [layer.query, w.wq, w.bq, HIDDEN], [layer.key, w.wk, w.bk, HIDDEN], [layer.value, w.wv, w.bv, HIDDEN],
  [layer.attentionOutput, w.wo, w.bo, HIDDEN], [layer.intermediate, w.wi, w.bi, FFN], [layer.output, w.wf, w.bf, HIDDEN],
] as const) {
  set(dense.kernel!, kernel, [kernel.length / units, units]);
  set(dense.bias!, bias, [units]);
}
set(layer.attentionNorm.gamma!, w.g1, [HIDDEN]); set(layer.attentionNorm.beta!, w.b1, [HIDDEN]);
set(layer.outputNorm.gamma!, w.g2, [HIDDEN]); set(layer.outputNorm.beta!, w.b2, [HIDDEN]);
const x = tf.tensor(inputX(), [BATCH, SEQ, HIDDEN]);
const mask = tf.tensor(keyMask(), [BATCH, 1, 1, SEQ]);
const forward = () => tf.tidy(() => layer.call(x, { keyMask: mask }));

async function timeSinew(threads: number, timeMs: number): Promise<{ ms: number; output: Float32Array }> {
  tf.setThreads(threads);
  let y = forward();
  let output = (await y.data()) as Float32Array;
  y.dispose();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || performance.now() - start < timeMs) {
    const t0 = performance.now();
    y = forward();
    output = (await y.data()) as Float32Array;
    times.push(performance.now() - t0);
    y.dispose();
  }
  return { ms: median(times), output };
}

const rows: Record<string, unknown>[] = [];
const notes: string[] = [];
const forwardRow = (library: string, ms: number) => ({ benchmark: 'encoder layer forward', library, 'median ms': ms, 'tokens/s': (TOKENS / ms) * 1000, 'GFLOP/s': FLOPS / (ms * 1e6) });
const sinewResults: Record<string, { ms: number; output: Float32Array }> = {};
for (const threads of [1, allThreads]) {
  const label = `sinew ${threads}T`;
  if (sinewResults[label]) continue;
  sinewResults[label] = await timeSinew(threads, 6000);
  rows.push(forwardRow(label, sinewResults[label].ms));
}

// onnxruntime-web fixes its thread count at init and its workers spin: one child process per thread count.
const script = fileURLToPath(import.meta.url);
const reference = sinewResults[`sinew ${allThreads}T`];
for (const threads of [...new Set([1, allThreads])]) {
  try {
    const out = execFileSync(process.execPath, [...process.execArgv, script, 'ort-child', String(threads), '6000'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    const result = JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).pop()!);
    rows.push(forwardRow(`onnxruntime-web ${threads}T`, result.ms));
    const ours = checksum(reference.output);
    const maxSampleDiff = Math.max(...result.sample.map((v: number, i: number) => Math.abs(v - reference.output[i])));
    notes.push(`onnxruntime-web ${threads}T output vs sinew: weighted checksum ${result.checksum.toFixed(3)} vs ${ours.toFixed(3)}, max |diff| of the first 8 values ${maxSampleDiff.toExponential(1)}`);
  } catch (error) {
    notes.push(`onnxruntime-web ${threads}T failed: ${error instanceof Error ? error.message.slice(0, 300) : error}`);
  }
}
layer.dispose();
tf.dispose([x, mask]);

// Tiny-BERT MLM training steps/s (2 layers, hidden 128, 4 heads, FFN 512, vocab 2000, batch 16 × seq 64).
const tiny = new BertForMaskedLM({ vocabSize: 2000, hiddenSize: 128, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 512, maxPositionEmbeddings: 64 }, { seed: 3 });
const rng = seededRandom(4);
const rowsIds = Array.from({ length: 16 }, () => [2, ...Array.from({ length: 62 }, () => 5 + Math.floor(rng() * 1995)), 3]);
const batch = maskTokens(rowsIds, { maskTokenId: 4, vocabSize: 2000, specialIds: [0, 1, 2, 3, 4], firstRandomId: 5 }, rng);
const optimizer = tf.train.adamw(1e-3);
for (const threads of [...new Set([1, allThreads])]) {
  tf.setThreads(threads);
  const step = () => trainStep(tiny, () => tiny.loss({ inputIds: batch.inputIds }, batch.labels, { training: true }), optimizer, { clipNorm: 1 });
  step();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 5 || performance.now() - start < 4000) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  const ms = median(times);
  rows.push({ benchmark: 'tiny-BERT MLM train step', library: `sinew ${threads}T`, 'median ms': ms, 'steps/s': 1000 / ms, 'tokens/s': (16 * 64 * 1000) / ms });
}
optimizer.dispose();
tiny.dispose();

const ortRow = rows.find((r) => r.library === `onnxruntime-web ${allThreads}T`);
const sinewRow = rows.find((r) => r.library === `sinew ${allThreads}T`);
if (ortRow && sinewRow) notes.push(`forward speedup sinew ${allThreads}T over onnxruntime-web ${allThreads}T: ${((ortRow['median ms'] as number) / (sinewRow['median ms'] as number)).toFixed(2)}x (target ≥ 1.5x)`);
const cpus = os.cpus();
const md = writeReport('bert', rows, {
  title: 'BERT encoder layer forward and tiny-BERT training',
  notes: [
    `machine: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} logical cores, ${os.platform()} ${os.arch()}, Node ${process.version}; load average at start ${loadAtStart.toFixed(1)}`,
    `sinew: build ${tf.backendInfo().variant}, fused attention; onnxruntime-web ${packageVersion('onnxruntime-web')} (wasm EP, graph optimization 'all', child process per thread count)`,
    `layer: batch ${BATCH} × seq ${SEQ}, hidden ${HIDDEN}, ${HEADS} heads, FFN ${FFN} (gelu), post-norm, key padding (sequence b keeps ${SEQ} − 8b tokens); ${(FLOPS / 1e9).toFixed(1)} GFLOP per forward`,
    'method: median wall time of repeated calls (≥ 3, ≥ 6 s) including reading the output back; tokens/s = batch·seq / time',
    ...notes,
  ],
  chart: { group: 'benchmark', series: 'library', value: 'tokens/s', unit: 'tokens/s, higher is better' },
});
console.log(md);
// The thread pool keeps a process alive: end here when run on its own (bench/run.ts goes on to other suites).
if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(0);
