// The webgpu backend in Chromium on its software adapter (SwiftShader), as a page uses it: every case runs
// on wasm and on webgpu in the same page, results read with `await data()`, and must agree.
import { describe, expect, it } from 'vitest';
import { useBrowser } from './harness.js';

const browser = useBrowser({
  backend: 'wasm',
  chromiumArgs: ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'],
});

interface CaseResult { name: string; worst: number; error?: string }

/** Runs in the page: each case on wasm then webgpu; returns the worst |diff| / (atol + rtol·|expected|) per case. */
async function parity(tf: any, families: string[]): Promise<CaseResult[]> {
  tf.setWebGPUOptions({ allowFallbackAdapter: true });
  await tf.setBackend('webgpu');
  const rand = (n: number, seed: number, lo = -1, hi = 1) => {
    let s = seed * 7919 + 13;
    return Float32Array.from({ length: n }, () => { s = (s * 16807) % 2147483647; return lo + (hi - lo) * (s / 2147483647); });
  };
  const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);
  const cases: [string, string, () => any, number][] = [];
  const add = (family: string, name: string, build: () => any, rtol = 1e-4) => cases.push([family, name, build, rtol]);
  for (const op of ['relu', 'sigmoid', 'tanh', 'gelu', 'exp', 'abs', 'softplus', 'elu', 'sin', 'round']) {
    // WGSL only promises sin/cos to 2^-11 absolute on [-π, π]; SwiftShader's are ~2e-6 off near zero.
    const rtol = op === 'sin' ? 1e-3 : 1e-4;
    add('elementwise', op, () => tf[op](tf.tensor(rand(513, 1, -3, 3))), rtol);
    add('elementwise', `d${op}`, () => tf.grad((x: any) => tf[op](x))(tf.tensor(rand(127, 2, -3, 3))), rtol);
  }
  for (const [a, b] of [[[17], [17]], [[4, 1, 3], [5, 1]], [[3, 1, 17], [1, 5, 1]]]) {
    for (const op of ['add', 'mul', 'div', 'maximum', 'pow', 'mod']) {
      add('elementwise', `${op} [${a}] [${b}]`, () => tf[op](tf.tensor(rand(size(a), 3, 0.1, 3), a), tf.tensor(rand(size(b), 4, 0.5, 2), b)));
    }
    add('elementwise', `greater+where [${a}] [${b}]`, () => tf.where(tf.greater(tf.tensor(rand(size(a), 5), a), 0), tf.tensor(rand(size(a), 6), a), tf.tensor(rand(size(b), 7), b)));
  }
  for (const [m, k, n] of [[1, 1, 1], [3, 17, 5], [127, 65, 129]]) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      add('matmul', `matMul ${m}x${k}x${n} ${ta} ${tb}`, () => tf.matMul(tf.tensor(rand(m * k, m), ta ? [k, m] : [m, k]), tf.tensor(rand(k * n, n), tb ? [n, k] : [k, n]), ta, tb));
    }
    add('matmul', `fused matMul relu ${m}x${k}x${n}`, () => tf.fused.matMul({ a: tf.tensor(rand(m * k, 1), [m, k]), b: tf.tensor(rand(k * n, 2), [k, n]), bias: tf.tensor(rand(n, 3)), activation: 'relu' }));
  }
  add('reduce', 'sum/max/argMax/mean', () => { const x = tf.tensor(rand(3 * 127 * 5, 9), [3, 127, 5]); return [tf.sum(x, 1), tf.max(x, 2), tf.argMax(x, 1), tf.mean(x), tf.min(x, 0)]; });
  add('reduce', 'softmax/logSoftmax', () => { const x = tf.tensor(rand(17 * 33, 10, -5, 5), [17, 33]); return [tf.softmax(x), tf.logSoftmax(x)]; });
  add('reduce', 'softmax cross-entropy and gradient', () => {
    const logits = tf.tensor(rand(7 * 10, 11, -3, 3), [7, 10]);
    const labels = tf.oneHot(tf.tensor([0, 3, 9, 2, 2, 5, 1], [7], 'int32'), 10);
    return tf.grad((z: any) => tf.losses.softmaxCrossEntropy(labels, z))(logits);
  });
  add('movement', 'transpose/slice/concat/pad/tile', () => {
    const x = tf.tensor(rand(2 * 3 * 17, 12), [2, 3, 17]);
    return [tf.transpose(x, [2, 0, 1]), tf.slice(x, [0, 1, 3], [2, 2, 9]), tf.concat([x, x], 1), tf.pad(x, [[1, 0], [0, 2], [3, 1]], 0.5), tf.tile(x, [2, 1, 2]), tf.reverse(x, 2)];
  });
  add('movement', 'gather and its gradient', () => {
    const table = tf.tensor(rand(11 * 5, 13), [11, 5]);
    const ids = tf.tensor([3, 0, 10, 3, 7], [5], 'int32');
    return [tf.gather(table, ids), tf.grad((t: any) => tf.gather(t, ids))(table)];
  });
  add('conv', 'conv2d forward and gradients', () => {
    const x = tf.tensor(rand(2 * 9 * 7 * 3, 14), [2, 9, 7, 3]);
    const w = tf.tensor(rand(3 * 3 * 3 * 4, 15), [3, 3, 3, 4]);
    const f = (a: any, b: any) => tf.conv2d(a, b, [2, 1], 'same');
    return [f(x, w), ...tf.grads(f)([x, w])];
  });
  add('conv', 'pooling and depthwise', () => {
    const x = tf.tensor(rand(1 * 8 * 8 * 3, 16), [1, 8, 8, 3]);
    const w = tf.tensor(rand(3 * 3 * 3 * 2, 17), [3, 3, 3, 2]);
    return [tf.maxPool(x, 3, 2, 'same'), tf.avgPool(x, 2, 2, 'valid'), tf.depthwiseConv2d(x, w, 1, 'same'), tf.grad((a: any) => tf.maxPool(a, 2, 2, 'valid'))(x)];
  });
  add('optimizer', 'sgd, nesterov momentum and adam steps', () => {
    const out = [];
    for (const optimizer of [tf.train.sgd(0.1), tf.train.momentum(0.1, 0.9, true), tf.train.adam(0.05)]) {
      const w = tf.variable(tf.tensor(rand(17, 20)));
      for (let i = 0; i < 3; i++) optimizer.minimize(() => tf.sum(tf.square(tf.sub(w, 0.5))));
      out.push(tf.add(w, 0));
      w.dispose();
      optimizer.dispose();
    }
    return out;
  });
  add('sequence', 'attention (causal), layer norm and their gradients', () => {
    const [q, k, v] = [1, 2, 3].map((seed) => tf.tensor(rand(2 * 2 * 9 * 8, 20 + seed), [2, 2, 9, 8]));
    const f = (a: any, b: any, c: any) => tf.scaledDotProductAttention(a, b, c, { causal: true });
    const x = tf.tensor(rand(5 * 17, 24), [5, 17]);
    return [f(q, k, v), ...tf.grads(f)([q, k, v]), tf.layerNorm(x), tf.grad((a: any) => tf.layerNorm(a))(x)];
  });
  add('sequence', 'an LSTM layer and its gradients', () => {
    const layer = tf.layers.lstm({ units: 5, returnSequences: true, kernelInitializer: 'ones', recurrentInitializer: 'zeros' });
    const x = tf.tensor(rand(3 * 7 * 4, 25, -0.3, 0.3), [3, 7, 4]);
    return [layer.apply(x), tf.grad((a: any) => layer.apply(a))(x)];
  });
  const results: CaseResult[] = [];
  for (const [family, name, build, rtol] of cases) {
    if (!families.includes(family)) continue;
    const outputs: Float32Array[][] = [];
    try {
      for (const backend of ['wasm', 'webgpu']) {
        await tf.setBackend(backend);
        const produced = tf.tidy(build);
        const list = Array.isArray(produced) ? produced : [produced];
        const values = [];
        for (const t of list) { values.push(Float32Array.from(await t.data())); t.dispose(); }
        outputs.push(values);
      }
      let worst = 0;
      outputs[0].forEach((expected, i) => {
        const actual = outputs[1][i];
        if (actual.length !== expected.length) worst = Infinity;
        for (let j = 0; j < expected.length; j++) {
          const e = expected[j];
          const a = actual[j];
          if (Number.isNaN(e) && Number.isNaN(a)) continue;
          worst = Math.max(worst, Math.abs(a - e) / (rtol * 0.1 + rtol * Math.abs(e)));
        }
      });
      results.push({ name: `${family}: ${name}`, worst });
    } catch (error) {
      results.push({ name: `${family}: ${name}`, worst: Infinity, error: String((error as Error).message ?? error) });
    }
  }
  await tf.setBackend('wasm');
  return results;
}

describe('webgpu in Chromium (SwiftShader)', () => {
  it('the page gets the SwiftShader adapter, a fallback one, and backendInfo names it', async () => {
    const info = await browser.run(async (tf: any) => {
      tf.setWebGPUOptions({ allowFallbackAdapter: false });
      let refused = '';
      try { await tf.setBackend('webgpu'); } catch (error) { refused = (error as Error).message; }
      tf.setWebGPUOptions({ allowFallbackAdapter: true });
      await tf.setBackend('webgpu');
      const { adapter } = tf.backendInfo();
      const x = tf.tensor([1, 2, 3]);
      let syncError = '';
      try { x.dataSync(); } catch (error) { syncError = (error as Error).message; }
      await tf.setBackend('wasm');
      return { refused, name: adapter.name, fallback: adapter.isFallbackAdapter, syncError };
    });
    expect(info.fallback).toBe(true);
    expect(info.refused).toMatch(/fallback \(software\) adapter.*allowFallbackAdapter/);
    expect(info.name).toMatch(/\w/);
    expect(info.syncError).toMatch(/await tensor\.data\(\)/);
  });

  it('an out-of-range gather index is caught on the GPU: the next read rejects naming gather, then reads work again', async () => {
    const result = await browser.run(async (tf: any) => {
      tf.setWebGPUOptions({ allowFallbackAdapter: true });
      await tf.setBackend('webgpu');
      const table = tf.tensor([1, 2, 3, 4, 5, 6], [3, 2]);
      let message = '';
      try { await tf.gather(table, tf.tensor([0, 7, 1], [3], 'int32')).data(); } catch (error) { message = (error as Error).message; }
      const after = Array.from(await tf.gather(table, tf.tensor([2, 0], [2], 'int32')).data());
      await tf.setBackend('wasm');
      return { message, after };
    });
    expect(result.message).toMatch(/^gather: index 7 \(at position 1\) is out of range \[0, 2\] for axis 0 of x, shape \[3,2\]/);
    expect(result.after).toEqual([5, 6, 1, 2]);
  });

  it('model.fit trains in the page (async reads only) and follows wasm from the same weights', async () => {
    const result = await browser.run(async (tf: any) => {
      tf.setWebGPUOptions({ allowFallbackAdapter: true });
      await tf.setBackend('webgpu');
      const histories: number[][] = [];
      let weights: any[] | undefined;
      for (const backend of ['wasm', 'webgpu']) {
        await tf.setBackend(backend);
        const model = tf.sequential({ layers: [
          tf.layers.dense({ units: 12, activation: 'relu', inputShape: [3] }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
        if (!weights) weights = await Promise.all(model.getWeights().map(async (w: any) => ({ values: await w.data(), shape: w.shape })));
        else model.setWeights(weights.map(({ values, shape }: any) => tf.tensor(values, shape)));
        model.compile({ optimizer: tf.train.adam(0.03), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
        const xs = Array.from({ length: 96 * 3 }, (_, i) => Math.sin(i * 1.7));
        const x = tf.tensor(xs, [96, 3]);
        const y = tf.tensor(Array.from({ length: 96 }, (_, i) => (xs[3 * i] + xs[3 * i + 1] > 0 ? 1 : 0)), [96]);
        const history = await model.fit(x, y, { epochs: 8, batchSize: 16, shuffle: false, verbose: 0 });
        histories.push(history.history.loss);
        model.dispose();
      }
      await tf.setBackend('wasm');
      return histories;
    });
    const [wasm, webgpu] = result;
    expect(webgpu).toHaveLength(8);
    webgpu.forEach((loss: number, i: number) => expect(Math.abs(loss - wasm[i])).toBeLessThan(1e-3 * (1 + wasm[i])));
    expect(webgpu[7]).toBeLessThan(webgpu[0]);
  });

  for (const family of ['elementwise', 'matmul', 'reduce', 'movement', 'conv', 'optimizer', 'sequence']) {
    it(`${family}: same results as wasm`, async () => {
      const results = await browser.run(parity as any, [family]);
      expect(results.length).toBeGreaterThan(0);
      const bad = results.filter((r) => !(r.worst <= 1));
      expect(bad, JSON.stringify(bad, null, 1)).toEqual([]);
    });
  }
});
