// webgpu against wasm: elementwise ops (forward, fused gradients), casts, GEMM with its epilogue, on odd
// sizes, and the backend's errors and memory accounting.
import { beforeAll, describe, expect, it } from 'vitest';
import { randomValues, tf, type Tensor } from './helpers.js';
import { expectSameOnWebGPU, openWebGPU, runWebGPUTests } from './webgpu-harness.js';

const SIZES = [1, 3, 17, 513];
const UNARY = ['neg', 'abs', 'square', 'sqrt', 'rsqrt', 'exp', 'expm1', 'log', 'log1p', 'reciprocal', 'relu', 'relu6', 'leakyRelu',
  'elu', 'selu', 'sigmoid', 'tanh', 'gelu', 'softplus', 'sin', 'cos', 'sign', 'floor', 'ceil', 'round', 'step', 'erf'] as const;
/** Ops defined only for positive inputs. */
const POSITIVE = new Set(['sqrt', 'rsqrt', 'log', 'reciprocal']);
const BINARY = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow', 'squaredDifference', 'mod', 'floorDiv', 'atan2'] as const;
const COMPARE = ['equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual'] as const;
const BROADCASTS: [number[], number[]][] = [[[1], [1]], [[17], [17]], [[127], [1]], [[], [3, 2]], [[4, 1, 3], [5, 1]], [[2, 3, 4], [4]], [[3, 1, 17], [1, 5, 1]]];
const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

describe.skipIf(!runWebGPUTests)('webgpu vs wasm: elementwise and matMul', () => {
  beforeAll(openWebGPU, 60_000);

  for (const op of UNARY) {
    it(`unary ${op} on sizes ${SIZES.join(', ')}`, async () => {
      for (const n of SIZES) {
        const values = randomValues(n, n + 7, POSITIVE.has(op) ? 0.1 : -4, 4);
        await expectSameOnWebGPU(`${op} [${n}]`, () => (tf as any)[op](tf.tensor(values)), { rtol: 2e-5, atol: 2e-6 });
      }
    });
  }

  it('unary ops on int32 keep int32', async () => {
    for (const op of ['neg', 'abs', 'square', 'sign', 'relu']) {
      await expectSameOnWebGPU(`${op} int32`, () => (tf as any)[op](tf.tensor([-3, 0, 5, 7, -12], [5], 'int32')));
    }
  });

  for (const op of ['relu', 'relu6', 'leakyRelu', 'elu', 'selu', 'sigmoid', 'tanh', 'gelu', 'softplus', 'sqrt', 'rsqrt', 'exp', 'log', 'abs', 'erf'] as const) {
    it(`${op}: fused gradient`, async () => {
      const values = randomValues(127, 3, POSITIVE.has(op) ? 0.2 : -3, 3);
      await expectSameOnWebGPU(`d${op}`, () => tf.grad((x: Tensor) => (tf as any)[op](x))(tf.tensor(values)), { rtol: 2e-5, atol: 2e-6 });
    });
  }

  for (const op of BINARY) {
    it(`binary ${op} with broadcasting`, async () => {
      for (const [aShape, bShape] of BROADCASTS) {
        const a = randomValues(size(aShape), 11, op === 'pow' ? 0.1 : -3, 3);
        const b = Array.from(randomValues(size(bShape), 12, op === 'pow' ? -2 : 0.4, op === 'pow' ? 2 : 3), (v, i) => (op !== 'pow' && i % 2 ? -v : v));
        await expectSameOnWebGPU(`${op} [${aShape}] [${bShape}]`, () => (tf as any)[op](tf.tensor(a, aShape), tf.tensor(b, bShape)), { rtol: 2e-5, atol: 2e-6 });
      }
    });
  }

  it('int32 arithmetic floors division and takes the divisor sign in mod', async () => {
    const a = tf.tensor([7, -7, 7, -7, 0, 13], [6], 'int32');
    const b = [2, 2, -2, -2, 3, 5];
    for (const op of ['add', 'sub', 'mul', 'div', 'floorDiv', 'mod', 'maximum', 'minimum']) {
      await expectSameOnWebGPU(`${op} int32`, () => (tf as any)[op](tf.tensor(a.dataSync(), [6], 'int32'), tf.tensor(b, [6], 'int32')));
    }
    a.dispose();
  });

  it('comparisons, logical ops and where give bool with broadcasting', async () => {
    for (const [aShape, bShape] of BROADCASTS) {
      const a = Array.from(randomValues(size(aShape), 5, -2, 2), Math.round);
      const b = Array.from(randomValues(size(bShape), 6, -2, 2), Math.round);
      for (const op of COMPARE) await expectSameOnWebGPU(`${op} [${aShape}] [${bShape}]`, () => (tf as any)[op](tf.tensor(a, aShape), tf.tensor(b, bShape)));
      await expectSameOnWebGPU(`where [${aShape}] [${bShape}]`, () => tf.where(tf.greater(tf.tensor(a, aShape), 0), tf.tensor(a, aShape), tf.tensor(b, bShape)));
    }
    await expectSameOnWebGPU('logicalAnd/Or/Not', () => {
      const x = tf.tensor([1, 0, 1, 0], [4], 'bool');
      const y = tf.tensor([1, 1, 0, 0], [4], 'bool');
      return [tf.logicalAnd(x, y), tf.logicalOr(x, y), tf.logicalNot(x)];
    });
  });

  it('casts: float → int32 truncates (NaN → 0), anything → bool is x ≠ 0', async () => {
    const values = [1.7, -1.7, 0, NaN, 3e9, -0.2, 2 ** 31 + 5];
    await expectSameOnWebGPU('casts', () => {
      const x = tf.tensor(values);
      return [tf.cast(x, 'int32'), tf.cast(x, 'bool'), tf.cast(tf.cast(x, 'int32'), 'float32')];
    });
  });

  it('fill and creation ops', async () => {
    await expectSameOnWebGPU('fill', () => [tf.fill([3, 5], 2.5), tf.zeros([17]), tf.ones([2, 3], 'int32'), tf.fill([4], 1, 'bool')]);
  });

  const GEMMS: [number, number, number, number][] = [[1, 1, 1, 1], [1, 3, 17, 5], [2, 17, 33, 9], [1, 127, 65, 129], [3, 31, 1, 7], [1, 64, 64, 64]];
  for (const [batch, m, k, n] of GEMMS) {
    it(`matMul ${batch}×[${m}×${k}]·[${k}×${n}] in every transpose, with bias and activations`, async () => {
      const a = randomValues(batch * m * k, m, -1, 1);
      const b = randomValues(batch * k * n, n, -1, 1);
      const bias = randomValues(n, k, -1, 1);
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
        const aShape = batch > 1 ? [batch, ta ? k : m, ta ? m : k] : [ta ? k : m, ta ? m : k];
        const bShape = batch > 1 ? [batch, tb ? n : k, tb ? k : n] : [tb ? n : k, tb ? k : n];
        await expectSameOnWebGPU(`matMul ta=${ta} tb=${tb}`, () => tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), ta, tb), { rtol: 1e-4, atol: 1e-5 });
      }
      for (const activation of ['relu', 'sigmoid', 'tanh', 'gelu', 'elu', 'relu6'] as const) {
        await expectSameOnWebGPU(`fused matMul ${activation}`, () => tf.fused.matMul({
          a: tf.tensor(a, batch > 1 ? [batch, m, k] : [m, k]), b: tf.tensor(b, batch > 1 ? [batch, k, n] : [k, n]), bias: tf.tensor(bias), activation,
        }), { rtol: 1e-4, atol: 1e-5 });
      }
    });
  }

  it('matMul broadcasts a shared right-hand matrix over the batch', async () => {
    const a = randomValues(3 * 5 * 7, 1, -1, 1);
    const b = randomValues(7 * 4, 2, -1, 1);
    await expectSameOnWebGPU('batch broadcast', () => tf.matMul(tf.tensor(a, [3, 5, 7]), tf.tensor(b, [7, 4])));
  });

  it('dataSync on the inline transport says to use await data(); memory() counts device bytes', async () => {
    await tf.setBackend('webgpu');
    const before = tf.memory().numBytes;
    const x = tf.tensor([1, 2, 3]);
    expect(() => x.dataSync()).toThrow(/webgpu backend cannot read GPU memory synchronously.*await tensor\.data\(\)/);
    expect(tf.memory().numBytes - before).toBe(12);
    const y = tf.relu(x);
    expect(Array.from(await y.data())).toEqual([1, 2, 3]);
    y.dispose();
    tf.tidy(() => { for (let i = 0; i < 50; i++) tf.add(x, tf.scalar(i)); });
    x.dispose();
    expect(tf.memory().numBytes).toBe(before);
    expect(tf.backendInfo().adapter?.name).toMatch(/\w/);
    await tf.setBackend('wasm');
  });
});
