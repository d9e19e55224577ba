// matMul, dot, outerProduct and fused.matMul: forward vs a float64 reference and tfjs-cpu on odd shapes,
// all transpose combinations, batch broadcasting, int32; gradients (four transpose cases, batch-broadcast
// reduction, every fused activation, bias) vs float64 finite differences, tfjs and the unfused
// composition; errors; memory.
import { expect, it } from 'vitest';
import {
  analyticGradients, describeEachBackend, expectClose, loadTfjs, numericGradients, randomValues, sizeOf, tf,
  tfjsGradients,
} from './helpers.js';
import type { Tensor, Tfjs } from './helpers.js';

type TfjsTensor1D = ReturnType<Tfjs['tensor1d']>;
const tfjs = await loadTfjs();

interface Input {
  values: number[];
  shape: number[];
}
const input = (shape: number[], seed: number, low = -1, high = 1): Input => ({
  values: Array.from(randomValues(sizeOf(shape), seed, low, high)),
  shape,
});

/** Float64 batched product with numpy batch broadcasting; a: [..., m, k] or [..., k, m] when transposed. */
function matMul64(a: Input, b: Input, transposeA: boolean, transposeB: boolean): Input {
  const [aRows, aCols] = a.shape.slice(-2);
  const [bRows, bCols] = b.shape.slice(-2);
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const n = transposeB ? bRows : bCols;
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const pad = (s: number[]) => [...new Array(rank - s.length).fill(1), ...s];
  const [pa, pb] = [pad(aBatch), pad(bBatch)];
  const batchShape = pa.map((d, i) => Math.max(d, pb[i]));
  const out = new Array<number>(sizeOf(batchShape) * m * n).fill(0);
  const offsetOf = (padded: number[], index: number[]) =>
    padded.reduce((offset, d, i) => offset * d + (d === 1 ? 0 : index[i]), 0);
  for (let batch = 0; batch < sizeOf(batchShape); batch++) {
    const index: number[] = [];
    let rest = batch;
    for (let i = rank - 1; i >= 0; i--) {
      index[i] = rest % batchShape[i];
      rest = Math.floor(rest / batchShape[i]);
    }
    const aBase = offsetOf(pa, index) * m * k;
    const bBase = offsetOf(pb, index) * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let total = 0;
        for (let p = 0; p < k; p++) {
          const av = a.values[aBase + (transposeA ? p * m + i : i * k + p)];
          const bv = b.values[bBase + (transposeB ? j * k + p : p * n + j)];
          total += av * bv;
        }
        out[batch * m * n + i * n + j] = total;
      }
    }
  }
  return { values: out, shape: [...batchShape, m, n] };
}

/** The stored shape of an operand [rows, cols] given whether it is used transposed. */
const stored = (rows: number, cols: number, transposed: boolean) => (transposed ? [cols, rows] : [rows, cols]);

function expectAllClose(actual: ArrayLike<number>[], expected: ArrayLike<number>[], tolerance: { rtol: number; atol: number }, what: string) {
  actual.forEach((a, i) => {
    try {
      expectClose(a, expected[i], tolerance);
    } catch (error) {
      throw new Error(`${what}, input ${i}: ${(error as Error).message}`);
    }
  });
}

/**
 * tfjs-cpu's BatchMatMul mishandles batches broadcast on both sides (a [2, 1, ...] with b [5, ...]: a
 * result of the wrong size, and a gradient of the wrong shape), so tfjs is a peer only where one side has
 * no batch or both have the same batch shape.
 */
function tfjsHandlesBatches(aShape: number[], bShape: number[]): boolean {
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  return sizeOf(aBatch) === 1 || sizeOf(bBatch) === 1 || (aBatch.length === bBatch.length && aBatch.every((d, i) => d === bBatch[i]));
}

const TRANSPOSES: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];
/** [m, k, n]: degenerate, odd, and around the kernel's register/cache block edges. */
const DIMS: [number, number, number][] = [[1, 1, 1], [1, 3, 1], [3, 17, 5], [17, 3, 127], [127, 129, 65], [2, 513, 3], [129, 1, 17]];

describeEachBackend('matMul', () => {
  it('2D: odd shapes x all transpose combinations vs float64 and tfjs', () => {
    DIMS.forEach(([m, k, n], i) => {
      for (const [transposeA, transposeB] of TRANSPOSES) {
        const a = input(stored(m, k, transposeA), 10 * i + 1);
        const b = input(stored(k, n, transposeB), 10 * i + 2);
        const what = `[${m}x${k}]·[${k}x${n}] tA=${transposeA} tB=${transposeB}`;
        tf.tidy(() => {
          const out = tf.matMul(tf.tensor(a.values, a.shape), tf.tensor(b.values, b.shape), transposeA, transposeB);
          const expected = matMul64(a, b, transposeA, transposeB);
          expect(out.shape, what).toEqual(expected.shape);
          const tolerance = { rtol: 1e-4, atol: 2e-6 * k };
          expectAllClose([out.dataSync()], [expected.values], tolerance, what);
          const peer = tfjs.matMul(tfjs.tensor(a.values, a.shape), tfjs.tensor(b.values, b.shape), transposeA, transposeB);
          expectAllClose([out.dataSync()], [peer.dataSync()], tolerance, `${what} vs tfjs`);
        });
      }
    });
  });

  it('each webgpu path (vec4 tiles fitting or not, split-K, skinny m or n ≤ 4) x all transposes vs float64', () => {
    // [m, k, n]: vec4-aligned fitting and ragged tiles, split-K (few tiles, long K: even and uneven
    // splits), skinny with the long side or K contiguous, and unaligned sizes beside them.
    const dims: [number, number, number][] = [
      [64, 64, 64], [36, 20, 68], [132, 36, 72], [8, 1024, 12], [12, 1000, 8], [20, 4096, 16], [17, 513, 127],
      [1, 1024, 64], [64, 1024, 1], [3, 4096, 5], [5, 513, 4], [4, 96, 17], [130, 8, 2], [1, 17, 1],
    ];
    dims.forEach(([m, k, n], i) => {
      for (const [transposeA, transposeB] of TRANSPOSES) {
        const a = input(stored(m, k, transposeA), 20 * i + 3);
        const b = input(stored(k, n, transposeB), 20 * i + 4);
        const what = `[${m}x${k}]·[${k}x${n}] tA=${transposeA} tB=${transposeB}`;
        tf.tidy(() => {
          const out = tf.matMul(tf.tensor(a.values, a.shape), tf.tensor(b.values, b.shape), transposeA, transposeB);
          expect(out.shape, what).toEqual([m, n]);
          expectAllClose([out.dataSync()], [matMul64(a, b, transposeA, transposeB).values], { rtol: 1e-4, atol: 2e-6 * k }, what);
        });
      }
    });
  });

  it('batched with broadcasting of batch dimensions (tiled, shared, folded) vs float64 and tfjs', () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[4, 3, 5], [4, 5, 2], false, false], [[2, 1, 3, 4], [5, 4, 2], false, false], [[3, 4], [5, 4, 2], false, false],
      [[2, 3, 17, 5], [5, 3], false, false], [[2, 3, 17, 5], [3, 5], false, true], [[1, 3, 4], [2, 4, 5], false, false],
      [[2, 5, 3], [1, 5, 4], true, false], [[3, 1, 4, 2], [1, 2, 3, 4], true, true], [[6, 1, 2, 3], [6, 3, 2], false, false],
      [[2, 1, 5, 3], [4, 3, 5], true, true],
      [[1, 1, 3, 4], [4, 2], false, false], [[2, 3, 4], [1, 1, 4, 2], false, false],
    ];
    cases.forEach(([aShape, bShape, transposeA, transposeB], i) => {
      const a = input(aShape, 100 + i);
      const b = input(bShape, 200 + i);
      const what = `[${aShape}]·[${bShape}] tA=${transposeA} tB=${transposeB}`;
      tf.tidy(() => {
        const out = tf.matMul(tf.tensor(a.values, aShape), tf.tensor(b.values, bShape), transposeA, transposeB);
        const expected = matMul64(a, b, transposeA, transposeB);
        expect(out.shape, what).toEqual(expected.shape);
        expectAllClose([out.dataSync()], [expected.values], { rtol: 1e-5, atol: 1e-5 }, what);
        if (tfjsHandlesBatches(aShape, bShape)) {
          const peer = tfjs.matMul(tfjs.tensor(a.values, aShape), tfjs.tensor(b.values, bShape), transposeA, transposeB);
          expect(out.shape, what).toEqual(peer.shape);
          expectAllClose([out.dataSync()], [peer.dataSync()], { rtol: 1e-5, atol: 1e-5 }, `${what} vs tfjs`);
        }
      });
    });
  });

  it('int32 operands give int32 (computed exactly for small integers), mixed dtypes upcast', () => {
    tf.tidy(() => {
      const a = [[1, -2, 3], [4, 5, -6]];
      const b = [[7, 8], [-9, 10], [11, 12]];
      const out = tf.matMul(tf.tensor(a, [2, 3], 'int32'), tf.tensor(b, [3, 2], 'int32'));
      const peer = tfjs.matMul(tfjs.tensor(a, [2, 3], 'int32'), tfjs.tensor(b, [3, 2], 'int32'));
      expect(out.dtype).toBe('int32');
      expect(Array.from(out.dataSync())).toEqual(Array.from(peer.dataSync()));
      const mixed = tf.matMul(tf.tensor(a, [2, 3], 'int32'), tf.tensor(b.map((r) => r.map((v) => v + 0.5))));
      expect(mixed.dtype).toBe('float32');
      expectClose(mixed.dataSync(), tfjs.matMul(tfjs.tensor(a, [2, 3], 'int32'), tfjs.tensor(b.map((r) => r.map((v) => v + 0.5)))).dataSync());
    });
  });

  it('gradients: four transpose cases vs float64 finite differences and tfjs', () => {
    for (const [transposeA, transposeB] of TRANSPOSES) {
      const a = input(stored(3, 17, transposeA), 300);
      const b = input(stored(17, 5, transposeB), 301);
      const f = (x: Tensor, y: Tensor) => tf.matMul(x, y, transposeA, transposeB);
      const analytic = analyticGradients(f, [a, b]);
      const what = `tA=${transposeA} tB=${transposeB}`;
      expectAllClose(analytic, numericGradients(f, [a, b]), { rtol: 1e-3, atol: 1e-4 }, what);
      expectAllClose(analytic, tfjsGradients(tfjs, (x, y) => tfjs.matMul(x, y, transposeA, transposeB), [a, b]), { rtol: 1e-4, atol: 1e-5 }, what);
    }
  });

  it('gradients with batch broadcasting are summed back to each operand shape', () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[2, 1, 3, 4], [5, 4, 2], false, false], [[3, 4], [5, 2, 4], false, true], [[2, 3, 4], [4, 5], false, false],
      [[2, 3, 4], [5, 4], false, true], [[2, 4, 3], [4, 5], true, false], [[3, 2, 4], [1, 4, 3], false, false],
      [[2, 3, 2, 5], [3, 5, 4], false, false], [[4, 3, 5], [4, 2, 5], false, true], [[2, 2, 5, 3], [2, 2, 5, 4], true, false],
    ];
    cases.forEach(([aShape, bShape, transposeA, transposeB], i) => {
      const a = input(aShape, 400 + i);
      const b = input(bShape, 500 + i);
      const f = (x: Tensor, y: Tensor) => tf.matMul(x, y, transposeA, transposeB);
      const analytic = analyticGradients(f, [a, b]);
      const what = `[${aShape}]·[${bShape}] tA=${transposeA} tB=${transposeB}`;
      expect(analytic.map((g) => g.length)).toEqual([sizeOf(aShape), sizeOf(bShape)]);
      expectAllClose(analytic, numericGradients(f, [a, b]), { rtol: 1e-3, atol: 1e-4 }, what);
      // tfjs's BatchMatMul gradient fails on any batch broadcast: it is a peer for equal batches only.
      if (aShape.length === bShape.length && aShape.slice(0, -2).every((d, k) => d === bShape[k])) {
        expectAllClose(analytic, tfjsGradients(tfjs, (x, y) => tfjs.matMul(x, y, transposeA, transposeB), [a, b]), { rtol: 1e-4, atol: 1e-5 }, what);
      }
    });
  });

  it('second derivative through matMul (grad of a grad that contains a product)', () => {
    const a = input([3, 4], 600);
    const b = input([4, 2], 601);
    const first = (x: Tensor, y: Tensor) => tf.grads((u: Tensor, v: Tensor) => tf.sum(tf.square(tf.matMul(u, v))))([x, y])[0];
    expectAllClose(analyticGradients(first, [a, b]), numericGradients(first, [a, b]), { rtol: 1e-3, atol: 1e-4 }, 'd/d(a,b) of d/da');
  });

  it('dot (1D·1D, 2D·1D, 1D·2D, 2D·2D) and outerProduct vs tfjs, with gradients', () => {
    const cases: [number[], number[]][] = [[[17], [17]], [[3, 17], [17]], [[17], [17, 5]], [[3, 4], [4, 5]], [[1], [1]]];
    cases.forEach(([aShape, bShape], i) => {
      const a = input(aShape, 700 + i);
      const b = input(bShape, 710 + i);
      tf.tidy(() => {
        const out = tf.dot(tf.tensor(a.values, aShape), tf.tensor(b.values, bShape));
        const peer = tfjs.dot(tfjs.tensor(a.values, aShape), tfjs.tensor(b.values, bShape));
        expect(out.shape).toEqual(peer.shape);
        expectClose(out.dataSync(), peer.dataSync(), { rtol: 1e-5, atol: 1e-6 });
      });
      const analytic = analyticGradients((x, y) => tf.dot(x, y), [a, b]);
      expectAllClose(analytic, tfjsGradients(tfjs, (x, y) => tfjs.dot(x, y), [a, b]), { rtol: 1e-5, atol: 1e-6 }, `dot [${aShape}]·[${bShape}]`);
    });
    const v1 = input([5], 720);
    const v2 = input([3], 721);
    tf.tidy(() => {
      const out = tf.outerProduct(tf.tensor(v1.values), tf.tensor(v2.values));
      expect(out.shape).toEqual([5, 3]);
      expectClose(out.dataSync(), tfjs.outerProduct(tfjs.tensor(v1.values), tfjs.tensor(v2.values)).dataSync(), { rtol: 1e-6 });
    });
    expectAllClose(
      analyticGradients((x, y) => tf.outerProduct(x, y), [v1, v2]),
      tfjsGradients(tfjs, (x, y) => tfjs.outerProduct(x as TfjsTensor1D, y as TfjsTensor1D), [v1, v2]), { rtol: 1e-5, atol: 1e-6 }, 'outerProduct',
    );
  });

  it('errors name the op and the shapes', () => {
    expect(() => tf.matMul(tf.ones([2, 3]), tf.ones([4, 5]))).toThrow(/matMul: inner dimensions must match.*a is \[2,3\], b is \[4,5\]/);
    expect(() => tf.matMul(tf.ones([3, 2]), tf.ones([3, 5]), false, false)).toThrow(/matMul.*\[3,2\].*\[3,5\].*transposeA=false/);
    expect(() => tf.matMul(tf.ones([3]), tf.ones([3, 5]))).toThrow(/matMul.*rank >= 2.*\[3\]/);
    expect(() => tf.matMul(tf.ones([2, 3, 4]), tf.ones([3, 4, 5]))).toThrow(/matMul.*batch.*\[2,3,4\].*\[3,4,5\]/);
    expect(() => tf.dot(tf.ones([2, 2, 2]), tf.ones([2]))).toThrow(/dot.*rank 1 or 2.*\[2,2,2\]/);
    expect(() => tf.dot(tf.ones([3]), tf.ones([4]))).toThrow(/dot.*inner.*\[3\].*\[4\]/);
    expect(() => tf.outerProduct(tf.ones([2, 1]), tf.ones([3]))).toThrow(/outerProduct.*\[2,1\]/);
  });
});

// --- fused.matMul --------------------------------------------------------------------------------------

type Activation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'gelu' | 'elu' | 'leakyrelu' | 'prelu';
const ACTIVATIONS: Activation[] = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'gelu', 'elu', 'leakyrelu', 'prelu'];
/** The activations tfjs's fused.matMul knows (it has no tanh or gelu). */
const TFJS_ACTIVATIONS: Activation[] = ['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu', 'prelu'];

/** The same computation from separate ops: act(matMul(a, b) + bias). */
function unfused(a: Tensor, b: Tensor, bias: Tensor | undefined, activation: Activation, tA: boolean, tB: boolean, prelu?: Tensor): Tensor {
  const z = bias ? tf.add(tf.matMul(a, b, tA, tB), bias) : tf.matMul(a, b, tA, tB);
  switch (activation) {
    case 'linear': return z;
    case 'relu': return tf.relu(z);
    case 'relu6': return tf.relu6(z);
    case 'sigmoid': return tf.sigmoid(z);
    case 'tanh': return tf.tanh(z);
    case 'gelu': return tf.gelu(z);
    case 'elu': return tf.elu(z);
    case 'leakyrelu': return tf.leakyRelu(z, 0.15);
    case 'prelu': return tf.prelu(z, prelu!);
  }
}

describeEachBackend('fused.matMul', () => {
  /** [aShape, bShape, biasShape | null, tA, tB]: epilogue bias [n] or [1, n], composed bias [m, n], batched. */
  const LAYOUTS: [number[], number[], number[] | null, boolean, boolean][] = [
    [[3, 17], [17, 5], [5], false, false], [[17, 3], [5, 17], [5], true, true], [[1, 4], [4, 127], null, false, false],
    [[7, 9], [11, 9], [1, 11], false, true], [[9, 6], [9, 4], [6, 4], true, false], [[2, 3, 4], [4, 5], [5], false, false],
    [[2, 3, 4], [2, 4, 5], [2, 1, 5], false, false],
  ];
  // Pre-activations around [-8, 8], so relu6 saturates on both sides and the sigmoid tails are exercised.
  const scaled = (shape: number[], seed: number) => input(shape, seed, -1.5, 1.5);

  it('bias and activation on the vec4 and split-K paths (batched, shared b) vs the unfused composition', () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[36, 20], [20, 68], false, false], [[32, 512], [8, 512], false, true], [[2, 16, 1024], [1024, 12], false, false],
      [[2, 1024, 16], [2, 1024, 12], true, false],
    ];
    cases.forEach(([aShape, bShape, transposeA, transposeB], i) => {
      const n = transposeB ? bShape[bShape.length - 2] : bShape[bShape.length - 1];
      for (const activation of ['relu', 'gelu'] as const) {
        const what = `${activation} [${aShape}]·[${bShape}] tA=${transposeA} tB=${transposeB}`;
        tf.tidy(() => {
          const a = tf.tensor(scaled(aShape, 1000 + i).values, aShape);
          const b = tf.tensor(scaled(bShape, 1010 + i).values, bShape);
          const bias = tf.tensor(input([n], 1020 + i).values);
          const out = tf.fused.matMul({ a, b, transposeA, transposeB, bias, activation });
          expectAllClose([out.dataSync()], [unfused(a, b, bias, activation, transposeA, transposeB).dataSync()], { rtol: 1e-4, atol: 1e-4 }, what);
        });
      }
    });
  });

  for (const activation of ACTIVATIONS) {
    it(`${activation}: forward vs the unfused composition, float64 and${TFJS_ACTIVATIONS.includes(activation) ? '' : ' (no tfjs peer)'} tfjs`, () => {
      LAYOUTS.forEach(([aShape, bShape, biasShape, transposeA, transposeB], i) => {
        const a = scaled(aShape, 800 + i);
        const b = scaled(bShape, 810 + i);
        const bias = biasShape ? input(biasShape, 820 + i) : undefined;
        const n = transposeB ? bShape[bShape.length - 2] : bShape[bShape.length - 1];
        const prelu = input([n], 830 + i, 0.05, 0.4);
        const what = `${activation} [${aShape}]·[${bShape}] bias [${biasShape}] tA=${transposeA} tB=${transposeB}`;
        tf.tidy(() => {
          const [ta, tb, tbias, tprelu] = [tf.tensor(a.values, aShape), tf.tensor(b.values, bShape), bias && tf.tensor(bias.values, bias.shape), tf.tensor(prelu.values)];
          const out = tf.fused.matMul({
            a: ta, b: tb, transposeA, transposeB, bias: tbias, activation, preluActivationWeights: tprelu, leakyreluAlpha: 0.15,
          });
          const composed = unfused(ta, tb, tbias, activation, transposeA, transposeB, tprelu);
          expect(out.shape, what).toEqual(composed.shape);
          expectAllClose([out.dataSync()], [composed.dataSync()], { rtol: 1e-5, atol: 1e-5 }, what);
          if (TFJS_ACTIVATIONS.includes(activation)) {
            const peer = tfjs.fused.matMul({
              a: tfjs.tensor(a.values, aShape), b: tfjs.tensor(b.values, bShape), transposeA, transposeB,
              bias: bias && tfjs.tensor(bias.values, bias.shape), activation: activation as 'linear',
              preluActivationWeights: tfjs.tensor(prelu.values), leakyreluAlpha: 0.15,
            });
            expectAllClose([out.dataSync()], [peer.dataSync()], { rtol: 1e-5, atol: 1e-5 }, `${what} vs tfjs`);
          }
        });
      });
    });

    it(`${activation}: gradients for a, b and bias vs float64 finite differences and the unfused composition`, () => {
      LAYOUTS.forEach(([aShape, bShape, biasShape, transposeA, transposeB], i) => {
        const a = scaled(aShape, 900 + i);
        const b = scaled(bShape, 910 + i);
        const n = transposeB ? bShape[bShape.length - 2] : bShape[bShape.length - 1];
        const prelu = tf.keep(tf.tensor(Array.from(randomValues(n, 930 + i, 0.05, 0.4))));
        const inputs = biasShape ? [a, b, input(biasShape, 920 + i)] : [a, b];
        const fusedFn = (x: Tensor, y: Tensor, c?: Tensor) => tf.fused.matMul({
          a: x, b: y, bias: c, transposeA, transposeB, activation, preluActivationWeights: prelu, leakyreluAlpha: 0.15,
        });
        const composedFn = (x: Tensor, y: Tensor, c?: Tensor) => unfused(x, y, c, activation, transposeA, transposeB, prelu);
        const what = `${activation} [${aShape}]·[${bShape}] bias [${biasShape}] tA=${transposeA} tB=${transposeB}`;
        const analytic = analyticGradients(fusedFn, inputs);
        expectAllClose(analytic, analyticGradients(composedFn, inputs), { rtol: 1e-4, atol: 1e-5 }, `${what} vs unfused`);
        // A tiny step (fine in float64) so no pre-activation straddles the relu kinks.
        expectAllClose(analytic, numericGradients(fusedFn, inputs, 1e-5), { rtol: 1e-3, atol: 1e-4 }, `${what} vs finite differences`);
        prelu.dispose();
      });
    });
  }

  it('gradients vs tfjs for the activations whose gradient tfjs implements (linear, relu)', () => {
    for (const activation of ['linear', 'relu'] as const) {
      const inputs = [input([4, 6], 1001), input([6, 3], 1002), input([3], 1003)];
      const analytic = analyticGradients((x, y, c) => tf.fused.matMul({ a: x, b: y, bias: c, activation }), inputs);
      const peer = tfjsGradients(tfjs, (x, y, c) => tfjs.fused.matMul({ a: x, b: y, bias: c, activation }), inputs);
      expectAllClose(analytic, peer, { rtol: 1e-5, atol: 1e-6 }, activation);
    }
  });

  it('second derivatives through the fused epilogue (sigmoid, tanh, gelu, elu)', () => {
    for (const activation of ['sigmoid', 'tanh', 'gelu', 'elu'] as const) {
      const inputs = [input([3, 4], 1100), input([4, 2], 1101), input([2], 1102)];
      const first = (x: Tensor, y: Tensor, c: Tensor) =>
        tf.grads((u: Tensor, v: Tensor, w: Tensor) => tf.sum(tf.fused.matMul({ a: u, b: v, bias: w, activation })))([x, y, c])[0];
      expectAllClose(analyticGradients(first, inputs), numericGradients(first, inputs), { rtol: 2e-3, atol: 2e-4 }, `${activation}''`);
    }
  });

  it('errors: bias that does not broadcast, unknown activation, prelu without weights', () => {
    const a = tf.ones([2, 3]);
    const b = tf.ones([3, 4]);
    expect(() => tf.fused.matMul({ a, b, bias: tf.ones([3]) })).toThrow(/fused.matMul.*\[3\]/);
    expect(() => tf.fused.matMul({ a, b, bias: tf.ones([3, 4]) })).toThrow(/fused.matMul.*\[3,4\].*\[2,4\]|fused.matMul.*broadcast/);
    expect(() => tf.fused.matMul({ a, b, activation: 'swish' as 'relu' })).toThrow(/fused.matMul.*unknown activation 'swish'/);
    expect(() => tf.fused.matMul({ a, b, activation: 'prelu' })).toThrow(/fused.matMul.*preluActivationWeights/);
    expect(() => tf.fused.matMul({ a, b: tf.ones([4, 3]) })).toThrow(/fused.matMul: inner dimensions must match/);
    tf.dispose([a, b]);
  });

  it('memory: matMul, fused.matMul and their gradients inside tidy leave tensors and bytes flat', () => {
    const a = tf.tensor(randomValues(24, 1), [2, 3, 4]);
    const b = tf.tensor(randomValues(20, 2), [4, 5]);
    const bias = tf.tensor(randomValues(5, 3));
    const before = tf.memory();
    tf.tidy(() => {
      tf.matMul(a, b);
      tf.matMul(tf.reshape(a, [2, 1, 3, 4]), tf.reshape(tf.tile(b, [3, 1]), [3, 4, 5]));
      for (const activation of ACTIVATIONS) {
        tf.grads((x: Tensor, y: Tensor, c: Tensor) =>
          tf.sum(tf.fused.matMul({ a: x, b: y, bias: c, activation, preluActivationWeights: c })))([a, b, bias]);
      }
      tf.grads((x: Tensor, y: Tensor) => tf.sum(tf.matMul(tf.reshape(x, [2, 1, 3, 4]), tf.reshape(tf.tile(y, [3, 1]), [3, 4, 5]))))([a, b]);
    });
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    tf.dispose([a, b, bias]);
  });
});
