// The op-level compositions of the fused kernels (layer norm, attention, lstm/gru/simpleRnn) against the
// fused kernels themselves, forward and every input gradient, on each backend: two independent routes to
// the same function. And a backend without the fused kernels runs the compositions.
import { beforeAll, describe, expect, it } from 'vitest';
import { analyticGradients, describeEachBackend, expectClose, randomInput, tf, type Tensor } from './helpers.js';
import { ENGINE } from '../src/engine.js';
import type { Backend } from '../src/backend/backend.js';
import { composedLayerNorm, layerNorm } from '../src/ops/layernorm.js';
import { attentionWeights, scaledDotProductAttention } from '../src/ops/attention.js';
import { gru, lstm, simpleRnn } from '../src/ops/recurrent.js';
import { composedRecurrent } from '../src/ops/recurrent-composed.js';

type Input = { values: Float32Array; shape: number[] };

/** Both routes' outputs and gradients agree. */
function expectSameFunction(fused: (...xs: Tensor[]) => Tensor, composed: (...xs: Tensor[]) => Tensor, inputs: Input[]) {
  const run = (f: (...xs: Tensor[]) => Tensor) => tf.tidy(() => f(...inputs.map((x) => tf.tensor(x.values, x.shape)))).dataSync();
  const tolerance = { rtol: 2e-4, atol: 2e-5 };
  expectClose(run(composed), run(fused), tolerance);
  const composedGrads = analyticGradients(composed, inputs);
  analyticGradients(fused, inputs).forEach((g, i) => {
    try {
      expectClose(composedGrads[i], g, tolerance);
    } catch (error) {
      throw new Error(`gradient of input ${i}: ${(error as Error).message}`);
    }
  });
}

type Cell = 'lstm' | 'gru' | 'simpleRnn';
const GATES: Record<Cell, number> = { lstm: 4, gru: 3, simpleRnn: 1 };
interface RecurrentCase { cell: Cell; goBackwards?: boolean; masked?: boolean; resetAfter?: boolean }

function recurrentInputs(c: RecurrentCase, batch: number, steps: number, features: number, units: number): Input[] {
  const width = GATES[c.cell] * units;
  const shapes = [[batch, steps, features], [features, width], [units, width], c.resetAfter ? [2, width] : [width], [batch, units],
    ...(c.cell === 'lstm' ? [[batch, units]] : [])];
  return shapes.map((shape, i) => randomInput(shape, 40 + i, i === 1 || i === 2 ? -0.6 : -1, i === 1 || i === 2 ? 0.6 : 1));
}

function recurrentRoutes(c: RecurrentCase, batch: number, steps: number) {
  const maskOf = () => (c.masked ? tf.tensor(Array.from({ length: batch * steps }, (_, i) => ((i * 7 + 3) % 5 === 0 ? 0 : 1)), [batch, steps]) : undefined);
  const flat = (parts: Tensor[]) => tf.concat(parts.map((p) => tf.reshape(p, [-1])), 0);
  const options = { goBackwards: c.goBackwards, resetAfter: c.resetAfter, activation: 'tanh' as const, recurrentActivation: 'hardSigmoid' as const };
  const fused = (x: Tensor, k: Tensor, r: Tensor, b: Tensor, h0: Tensor, c0?: Tensor) => {
    const mask = maskOf();
    const out = c.cell === 'lstm' ? lstm(x, k, r, b, h0, c0!, { ...options, mask })
      : c.cell === 'gru' ? gru(x, k, r, b, h0, { ...options, mask }) : simpleRnn(x, k, r, b, h0, { ...options, mask });
    return flat([out.sequence, out.h, ...('c' in out ? [out.c as Tensor] : [])]);
  };
  const composed = (x: Tensor, k: Tensor, r: Tensor, b: Tensor, h0: Tensor, c0?: Tensor) => flat(composedRecurrent({
    cell: c.cell, x, kernel: k, recurrentKernel: r, bias: b, initialH: h0, initialC: c0 ?? null, mask: maskOf() ?? null,
    activation: options.activation, recurrentActivation: options.recurrentActivation, goBackwards: !!c.goBackwards, resetAfter: !!c.resetAfter,
  }));
  return { fused, composed };
}

describeEachBackend('fused kernels vs their compositions', () => {
  it('layerNorm, with and without gamma/beta, odd widths', () => {
    for (const [rows, cols] of [[1, 1], [3, 17], [5, 127]]) {
      const inputs = [randomInput([rows, cols], 1), randomInput([cols], 2, 0.5, 1.5), randomInput([cols], 3)];
      expectSameFunction((x, g, b) => layerNorm(x, g, b, 1e-3), (x, g, b) => composedLayerNorm(x, g, b, 1e-3), inputs);
      expectSameFunction((x) => layerNorm(x, null, null, 1e-5), (x) => composedLayerNorm(x, undefined, undefined, 1e-5), inputs.slice(0, 1));
    }
  });

  it('attention: plain, causal, a key-padding mask with a fully masked row', () => {
    const [B, H, Tq, Tk, Dk, Dv] = [2, 3, 17, 13, 8, 5];
    const inputs = [randomInput([B, H, Tq, Dk], 4), randomInput([B, H, Tk, Dk], 5), randomInput([B, H, Tk, Dv], 6)];
    const padding = () => tf.tensor(Array.from({ length: B * Tk }, (_, i) => (i < Tk ? 0 : i % 4 === 0 ? 0 : 1)), [B, 1, 1, Tk]);
    for (const options of [{}, { causal: true }, { mask: 'padding' }] as const) {
      const opts = () => ('mask' in options ? { mask: padding() } : options);
      expectSameFunction((q, k, v) => scaledDotProductAttention(q, k, v, opts()), (q, k, v) => tf.matMul(attentionWeights(q, k, opts()), v), inputs);
    }
  });

  const recurrentCases: RecurrentCase[] = [
    { cell: 'lstm' }, { cell: 'lstm', goBackwards: true, masked: true }, { cell: 'gru', masked: true },
    { cell: 'gru', resetAfter: true, goBackwards: true, masked: true }, { cell: 'simpleRnn', masked: true },
  ];
  for (const c of recurrentCases) {
    it(`${c.cell}${c.resetAfter ? ' resetAfter' : ''}${c.goBackwards ? ' goBackwards' : ''}${c.masked ? ' masked' : ''}, B=3 T=5 F=4 U=3`, () => {
      const { fused, composed } = recurrentRoutes(c, 3, 5);
      expectSameFunction(fused as (...xs: Tensor[]) => Tensor, composed as (...xs: Tensor[]) => Tensor, recurrentInputs(c, 3, 5, 4, 3));
    });
  }
});

describe('a backend without the fused kernels', () => {
  const FUSED = ['attention', 'attentionGrad', 'layerNorm', 'layerNormGrad', 'recurrentForward', 'recurrentBackward'] as const;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    const wasm = ENGINE.backend;
    // The wasm backend with its fused kernels hidden (its prototype's methods shadowed by undefined).
    ENGINE.registerBackend('wasm-unfused', {
      priority: -1,
      createSync: () => {
        const unfused = Object.create(wasm, { name: { value: 'wasm-unfused' } }) as Backend;
        for (const method of FUSED) Object.defineProperty(unfused, method, { value: undefined });
        return unfused;
      },
      create: async () => ENGINE.findBackend('wasm-unfused')!,
    });
  });

  it('layer norm, attention and an lstm give the fused results through their compositions', async () => {
    const x = randomInput([4, 9], 7);
    const qkv = [randomInput([1, 2, 5, 4], 8), randomInput([1, 2, 5, 4], 9), randomInput([1, 2, 5, 3], 10)];
    const c: RecurrentCase = { cell: 'lstm', masked: true };
    const lstmInputs = recurrentInputs(c, 2, 4, 3, 2);
    const lstmRoute = recurrentRoutes(c, 2, 4).fused as (...xs: Tensor[]) => Tensor;
    const compute = () => [
      tf.tidy(() => layerNorm(tf.tensor(x.values, x.shape))).dataSync(),
      tf.tidy(() => scaledDotProductAttention(...(qkv.map((t) => tf.tensor(t.values, t.shape)) as [Tensor, Tensor, Tensor]), { causal: true })).dataSync(),
      tf.tidy(() => lstmRoute(...lstmInputs.map((t) => tf.tensor(t.values, t.shape)))).dataSync(),
      ...analyticGradients(lstmRoute, lstmInputs),
    ];
    await tf.setBackend('wasm');
    const fused = compute();
    await tf.setBackend('wasm-unfused');
    expect(ENGINE.backend.layerNorm).toBeUndefined();
    const composed = compute();
    await tf.setBackend('wasm');
    composed.forEach((values, i) => expectClose(values, fused[i], { rtol: 2e-4, atol: 2e-5 }));
  });
});
