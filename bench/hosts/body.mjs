// What the hosts suite measures, as plain ESM so Node, Deno, a page and a Web Worker run the same code on the
// same built package: GEMM N=1024 on 1 thread and on all threads (steady state, and the first calls after
// the 1-thread phase, which show how soon the workers run optimized code), and MLP 784-128-10 training.

const GEMM_N = 1024;
const GEMM_CALLS = 12;
const MLP = { inputs: 784, hidden: 128, classes: 10, batch: 128, samples: 128 * 24, rounds: 5 };

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function deterministic(count, seed) {
  const out = new Float32Array(count);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

/** GFLOP/s of each of `calls` GEMMs (no readback: matMul is synchronous on the wasm backend). */
function gemmRates(tf, a, b, calls) {
  const flops = 2 * GEMM_N ** 3;
  const rates = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    const c = tf.matMul(a, b);
    rates.push(flops / ((performance.now() - start) * 1e6));
    c.dispose();
  }
  return rates;
}

async function mlpSamplesPerSecond(tf, threads) {
  tf.setThreads(threads);
  const model = tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [MLP.inputs], units: MLP.hidden, activation: 'relu' }),
    tf.layers.dense({ units: MLP.classes, activation: 'softmax' }),
  ] });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const x = tf.tensor2d(deterministic(MLP.samples * MLP.inputs, 7).map((v) => (v + 1) / 2), [MLP.samples, MLP.inputs]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: MLP.samples }, (_, i) => (i * 7) % MLP.classes), 'int32'), MLP.classes);
  const fitOnce = () => model.fit(x, y, { batchSize: MLP.batch, epochs: 1, shuffle: false, verbose: 0 });
  await fitOnce();
  const times = [];
  for (let r = 0; r < MLP.rounds; r++) {
    const start = performance.now();
    await fitOnce();
    times.push(performance.now() - start);
  }
  tf.dispose([x, y]);
  model.dispose?.();
  return MLP.samples / (median(times) / 1000);
}

/** Runs the measurements on a loaded tf; returns one flat record of figures. */
export async function measureHost(tf) {
  await tf.ready();
  const info = tf.backendInfo();
  const threads = info.maxThreads;
  const a = tf.tensor2d(deterministic(GEMM_N * GEMM_N, 1), [GEMM_N, GEMM_N]);
  const b = tf.tensor2d(deterministic(GEMM_N * GEMM_N, 2), [GEMM_N, GEMM_N]);
  tf.setThreads(1);
  gemmRates(tf, a, b, 3); // the calling thread's warm-up (compile, tier-up)
  const oneThread = gemmRates(tf, a, b, GEMM_CALLS);
  tf.setThreads(threads);
  const firstCalls = gemmRates(tf, a, b, 3);
  const allThreads = gemmRates(tf, a, b, GEMM_CALLS);
  tf.dispose([a, b]);
  const mlp1 = await mlpSamplesPerSecond(tf, 1);
  const mlpAll = await mlpSamplesPerSecond(tf, threads);
  return {
    host: info.host, variant: info.variant, threads,
    gemm1: median(oneThread), gemmAll: median(allThreads), gemmAllFirstCalls: firstCalls,
    mlp1, mlpAll,
  };
}
