// Engine: memory ownership (dispose, tidy, keep, memory()), backends, and the autograd API surface.
import { describe, expect, it, vi } from 'vitest';
import { describeEachBackend, expectClose, tf } from './helpers.js';
import { ENGINE } from '../src/engine.js';
import type { Tensor } from '../src/tensor.js';

describeEachBackend('memory', () => {
  it('dispose frees the buffer and is idempotent', () => {
    const before = tf.memory();
    const x = tf.tensor([1, 2, 3]);
    expect(tf.memory().numTensors).toBe(before.numTensors + 1);
    expect(tf.memory().numBytes).toBe(before.numBytes + 12);
    x.dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it('use after dispose names the op and the shape', () => {
    const x = tf.tensor([[1, 2]]);
    x.dispose();
    expect(() => x.dataSync()).toThrow(/dataSync.*\[1,2\].*disposed/);
    expect(() => tf.add(x, 1)).toThrow(/add.*disposed/);
  });

  it('tidy keeps what it returns (nested) and what is kept, frees the rest', () => {
    const before = tf.memory().numTensors;
    let kept!: tf.Tensor;
    const result = tf.tidy(() => {
      const a = tf.tensor([1, 2, 3]);
      const b = tf.mul(a, 2);
      kept = tf.keep(tf.add(b, 1));
      return { sum: tf.sum(b), list: [tf.neg(a)] };
    });
    expect(tf.memory().numTensors).toBe(before + 3);
    expectClose(result.sum.dataSync(), [12]);
    expectClose(result.list[0].dataSync(), [-1, -2, -3]);
    expectClose(kept.dataSync(), [3, 5, 7]);
    tf.dispose([result, kept]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a loop of 10,000 small ops inside tidy leaves memory flat', () => {
    const x = tf.tensor([[1, 2], [3, 4]]);
    const baseline = tf.memory();
    for (let i = 0; i < 2_000; i++) {
      tf.tidy(() => {
        const y = tf.add(x, i);
        const z = tf.relu(tf.sub(tf.mul(y, 0.5), 1));
        tf.sum(tf.matMul(z, x));
      });
    }
    const after = tf.memory();
    expect(after.numTensors).toBe(baseline.numTensors);
    expect(after.numBytes).toBe(baseline.numBytes);
    expect(after.numDataBuffers).toBe(baseline.numDataBuffers);
    x.dispose();
  });

  it('reshape shares the buffer; the buffer lives until the last view is disposed', () => {
    const x = tf.tensor([1, 2, 3, 4]);
    const buffers = tf.memory().numDataBuffers;
    const y = tf.reshape(x, [2, 2]);
    expect(tf.memory().numDataBuffers).toBe(buffers);
    x.dispose();
    expectClose(y.dataSync(), [1, 2, 3, 4]);
    y.dispose();
    expect(tf.memory().numDataBuffers).toBe(buffers - 1);
  });
});

describeEachBackend('autograd', () => {
  it('grad of x^3 is 3x^2, and its grad (higher order) is 6x', () => {
    const f = (x: tf.Tensor) => tf.mul(tf.mul(x, x), x);
    const x = tf.tensor([-2, 0.5, 3]);
    expectClose(tf.grad(f)(x).dataSync(), [12, 0.75, 27], { rtol: 1e-5 });
    expectClose(tf.grad(tf.grad(f))(x).dataSync(), [-12, 3, 18], { rtol: 1e-5 });
  });

  it('grads with dy, valueAndGrads, shared inputs accumulate', () => {
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.add(tf.mul(a, b), tf.mul(a, a));
    const a = tf.tensor([1, 2]);
    const b = tf.tensor([3, 4]);
    const [da, db] = tf.grads(f)([a, b], tf.tensor([1, 10]));
    expectClose(da.dataSync(), [1 * (3 + 2), 10 * (4 + 4)]);
    expectClose(db.dataSync(), [1, 20]);
    const { value, grads } = tf.valueAndGrads(f)([a, b]);
    expectClose(value.dataSync(), [4, 12]);
    expect(grads).toHaveLength(2);
  });

  it('frees every intermediate of a gradient computation', () => {
    const x = tf.tensor([1, 2, 3]);
    const before = tf.memory().numTensors;
    const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => tf.sum(tf.exp(tf.mul(t, 2))))(x);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([value, grad]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('survives a tidy() inside f (the tape holds what it saved)', () => {
    const x = tf.tensor([0.5, -1]);
    const g = tf.grad((t: tf.Tensor) => tf.tidy(() => tf.sum(tf.tanh(t))))(x);
    const t = Math.tanh;
    expectClose(g.dataSync(), [1 - t(0.5) ** 2, 1 - t(-1) ** 2], { rtol: 1e-5 });
  });

  it('variableGrads differentiates with respect to the trainable variables it uses', () => {
    const w = tf.variable(tf.tensor([[1, 2], [3, 4]]), true, 'engine_test_w');
    const frozen = tf.variable(tf.tensor([1, 1]), false, 'engine_test_frozen');
    const x = tf.tensor([[1, 1]]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.add(tf.matMul(x, w), frozen)));
    expectClose(value.dataSync(), [12]);
    expect(Object.keys(grads)).toEqual(['engine_test_w']);
    expectClose(grads.engine_test_w.dataSync(), [1, 1, 1, 1]);
    expect(() => tf.variable(tf.tensor([1]), true, 'engine_test_w')).toThrow(/already exists/);
    w.assign(tf.tensor([[0, 0], [0, 0]]));
    expectClose(w.dataSync(), [0, 0, 0, 0]);
    expect(() => w.assign(tf.tensor([1, 2]))).toThrow(/assign.*\[2,2\].*\[2\]/);
    w.dispose();
    frozen.dispose();
  });

  it('customGrad uses the user gradient', () => {
    const clipGrad = tf.customGrad((x: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
      save([x]);
      return { value: tf.square(x), gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(dy, tf.sign(saved)) };
    });
    const g = tf.grad((x: tf.Tensor) => tf.sum(clipGrad(x)))(tf.tensor([-3, 2]));
    expectClose(g.dataSync(), [-1, 1]);
  });

  it('explains a gradient that does not reach x', () => {
    const x = tf.tensor([1]);
    const other = tf.tensor([2]);
    expect(() => tf.grad(() => tf.square(other))(x)).toThrow(/cannot compute the gradient/);
  });
});

describe('needs-gradient mask', () => {
  it('tells each backward which inputs need a gradient', () => {
    const seen: boolean[][] = [];
    const spyOp = (a: Tensor, b: Tensor) =>
      ENGINE.runKernel({
        name: 'spyAdd',
        inputs: [a, b],
        forward: (backend, [x, y]) => ({
          dataId: backend.binary('add', x.dataId, x.shape, y.dataId, y.shape, x.shape, 'float32'),
          shape: x.shape,
          dtype: 'float32',
        }),
        backward: ([dy], _inputs, _outputs, needs) => {
          seen.push([...needs]);
          return [needs[0] ? dy : null, needs[1] ? dy : null];
        },
      })[0];
    const data = tf.tensor([1, 2]);
    const w = tf.tensor([3, 4]);
    const g = tf.grad((x) => tf.sum(spyOp(data, tf.mul(x, 2))))(w);
    expectClose(g.dataSync(), [2, 2]);
    expect(seen).toEqual([[false, true]]);
  });

  it('skips the data gradient of a first-layer matMul and conv2d without changing the weight gradient', () => {
    const x = tf.randomNormal([2, 5, 5, 3], 0, 1, 'float32', 1);
    const filter = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2);
    const w = tf.randomNormal([4, 2], 0, 1, 'float32', 3);
    const loss = (f: Tensor, m: Tensor) => tf.sum(tf.matMul(tf.reshape(tf.conv2d(x, f, 1, 'valid'), [-1, 4]), m));
    const [gf, gw] = tf.grads(loss)([filter, w]);
    const [gx] = tf.grads((input: Tensor) => tf.sum(tf.matMul(tf.reshape(tf.conv2d(input, filter, 1, 'valid'), [-1, 4]), w)))([x]);
    expect(gf.shape).toEqual([3, 3, 3, 4]);
    expect(gw.shape).toEqual([4, 2]);
    expect(gx.shape).toEqual([2, 5, 5, 3]);
    // d/dw sum(P·w) is the column sums of P replicated: independent of the skipped data gradient.
    const patches = tf.reshape(tf.conv2d(x, filter, 1, 'valid'), [-1, 4]);
    const colSums = tf.sum(patches, 0).dataSync();
    expectClose(gw.dataSync(), Array.from(colSums).flatMap((v) => [v, v]), 1e-4);
  });
});

describe('backends', () => {
  it('setBackend rejects unknown names and moves data between backends', async () => {
    await expect(tf.setBackend('nope')).rejects.toThrow(/unknown backend 'nope'/);
    await tf.setBackend('reference');
    const x = tf.tensor([1, 2, 3]);
    const y = tf.tensor([4, 5]);
    await tf.setBackend('wasm');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expectClose(tf.mul(x, 2).dataSync(), [2, 4, 6]);
      expectClose(tf.add(y, 1).dataSync(), [5, 6]);
      expectClose(tf.mul(x, 3).dataSync(), [3, 6, 9]); // x lives on wasm now: no second move
      // One warning for the pair of backends, naming the op and both backends.
      const moves = warn.mock.calls.filter(([text]) => /moves tensors made on 'reference'/.test(String(text)));
      expect(moves).toHaveLength(1);
      expect(String(moves[0][0])).toMatch(/mul on 'wasm'/);
    } finally {
      warn.mockRestore();
    }
    expect(tf.getBackend()).toBe('wasm');
  });

  it('backendInfo reports what the wasm runtime picked', async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    const info = tf.backendInfo();
    expect(info.backend).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(typeof info.relaxedSimd).toBe('boolean');
    expect(info.threads).toBeGreaterThanOrEqual(1);
  });
});
