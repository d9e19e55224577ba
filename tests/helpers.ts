// Test helpers shared by the op tests: run one test body on every backend, compare with tolerances,
// central finite differences in float64 (through the reference backend), and tfjs as a second opinion.
import { createRequire } from 'node:module';
import { beforeAll, describe, expect } from 'vitest';
import * as tf from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { ENGINE } from '../src/engine.js';
import type { ReferenceBackend } from '../src/backend/reference/index.js';
import { randomValues } from './random.js';

export { tf, randomValues };
export type { Tensor };
export type BackendName = 'wasm' | 'reference' | 'webgpu';
export const BACKENDS: readonly BackendName[] = testBackends();

/**
 * The backends the op tests run on: wasm and reference; SINEW_TEST_BACKENDS=a,b picks others (vitest's
 * 'webgpu' project runs the op files whose kernels exist on webgpu, through its device worker so that the
 * bodies' dataSync works).
 */
function testBackends(): BackendName[] {
  const asked = process.env.SINEW_TEST_BACKENDS;
  if (asked) return asked.split(',').map((b) => b.trim()) as BackendName[];
  return ['wasm', 'reference'];
}

/** Whether the npm `webgpu` package (Dawn, a devDependency) is installed. */
export function webgpuInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('webgpu');
    return true;
  } catch {
    return false;
  }
}

/**
 * The software route CI has: Dawn on Mesa's OpenGL ES (llvmpipe) without a display. Dawn's Vulkan route
 * fails on Debian 12's lavapipe; see PEERS.md.
 */
export function useSoftwareWebGPU(transport: 'inline' | 'worker' = 'worker'): void {
  process.env.EGL_PLATFORM ??= 'surfaceless';
  tf.setWebGPUOptions({ dawnOptions: ['backend=opengles'], featureLevel: 'compatibility', allowFallbackAdapter: true, transport });
}

/** Runs the same describe body once per backend (candle's test_device!). */
export function describeEachBackend(name: string, body: (backend: BackendName) => void): void {
  for (const backend of BACKENDS) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        if (backend === 'webgpu') useSoftwareWebGPU();
        await tf.setBackend(backend);
      });
      body(backend);
    });
  }
}

/**
 * Asserts that `run` fails with an out-of-range index error matching `pattern`: at once where the backend
 * checks indices on the host, at the next read where it checks them on the device (webgpu).
 */
export async function expectIndexError(run: () => unknown, pattern: RegExp): Promise<void> {
  if (!ENGINE.backend.checkIndices) {
    expect(run).toThrow(pattern);
    return;
  }
  tf.tidy(() => void run());
  const probe = tf.scalar(0);
  try {
    await expect(probe.data()).rejects.toThrow(pattern);
  } finally {
    probe.dispose();
  }
}

/** Number of elements of a shape (1 for a scalar). */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** A seeded random input in [low, high) as the gradient helpers take it: { values, shape }. */
export function randomInput(shape: number[], seed: number, low = -1, high = 1): { values: Float32Array; shape: number[] } {
  return { values: randomValues(sizeOf(shape), seed, low, high), shape };
}

/** Asserts elementwise |a-b| <= atol + rtol*|b|, reporting the first offending index. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol = 1e-5, atol = 1e-6 }: { rtol?: number; atol?: number } = {},
): void {
  expect(actual.length, 'length').toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e)) {
      if (!Number.isNaN(a)) expect.fail(`index ${i}: expected NaN, got ${a}`);
      continue;
    }
    if (a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      expect.fail(`index ${i}: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)}, rtol ${rtol}, atol ${atol})`);
    }
  }
}

/** The fixed weights of sum(f(x) * weights): weighting by a pattern checks every output element, not only their sum. */
function outputWeights(n: number): number[] {
  return Array.from({ length: n }, (_, i) => 1 + 0.1 * (i % 7));
}

/**
 * Central finite differences of sum(f(x) * weights) with respect to each input, computed on the
 * reference backend (float64 inside), eps 1e-3 by default. Returns one Float64Array per input.
 */
export function numericGradients(
  f: (...xs: Tensor[]) => Tensor,
  inputs: { values: ArrayLike<number>; shape: number[] }[],
  eps = 1e-3,
): Float64Array[] {
  const previous = tf.getBackend();
  void tf.setBackend('reference');
  try {
    const evaluate = (values: number[][]): number =>
      tf.tidy(() => {
        const xs = values.map((v, i) => tf.tensor(v, inputs[i].shape));
        const y = f(...xs);
        const weights = outputWeights(y.size);
        // float64 values straight from the reference backend: float32 rounding would swamp the differences.
        const out = (ENGINE.findBackend('reference') as ReferenceBackend).readFloat64(y.dataId);
        let total = 0;
        for (let i = 0; i < out.length; i++) total += out[i] * weights[i];
        return total;
      });
    const base = inputs.map((x) => Array.from(x.values));
    return inputs.map((input, which) => {
      const grad = new Float64Array(input.values.length);
      for (let i = 0; i < grad.length; i++) {
        const plus = base.map((v) => v.slice());
        const minus = base.map((v) => v.slice());
        plus[which][i] += eps;
        minus[which][i] -= eps;
        grad[i] = (evaluate(plus) - evaluate(minus)) / (2 * eps);
      }
      return grad;
    });
  } finally {
    void tf.setBackend(previous);
  }
}

/** Analytic gradients of sum(f(x) * weights) (same weights as numericGradients) on the current backend. */
export function analyticGradients(
  f: (...xs: Tensor[]) => Tensor,
  inputs: { values: ArrayLike<number>; shape: number[] }[],
): Float32Array[] {
  return tf.tidy(() => {
    const xs = inputs.map((x) => tf.tensor(Array.from(x.values), x.shape));
    const weighted = (...args: Tensor[]) => {
      const y = f(...args);
      const weights = tf.tensor(outputWeights(y.size), y.shape);
      return tf.sum(tf.mul(y, weights));
    };
    return tf.grads(weighted)(xs).map((g) => g.dataSync() as Float32Array);
  });
}

/** Loads @tensorflow/tfjs on its cpu backend as the second opinion. */
export async function loadTfjs() {
  const tfjs = await import('@tensorflow/tfjs');
  await tfjs.setBackend('cpu');
  await tfjs.ready();
  return tfjs;
}

/** The tfjs module and its tensor type, for typing calls to the peer. */
export type Tfjs = Awaited<ReturnType<typeof loadTfjs>>;
export type TfjsTensor = ReturnType<Tfjs['tensor']>;

/** tfjs's gradients of sum(f(x) * weights), with the same weights as analyticGradients. */
export function tfjsGradients(
  tfjs: Tfjs,
  f: (...xs: TfjsTensor[]) => TfjsTensor,
  inputs: { values: ArrayLike<number>; shape: number[] }[],
): Float32Array[] {
  return tfjs.tidy(() => {
    const xs = inputs.map((x) => tfjs.tensor(Array.from(x.values), x.shape));
    const weighted = (...args: TfjsTensor[]) => {
      const y = f(...args);
      return tfjs.sum(tfjs.mul(y, tfjs.tensor(outputWeights(y.size), y.shape)));
    };
    return tfjs.grads(weighted)(xs).map((g) => g.dataSync() as Float32Array);
  });
}

/**
 * Checks analytic gradients against float64 finite differences (rtol 1e-3, atol 1e-4) and, unless
 * `theirs` is null, against tfjs's (rtol 1e-5, atol 1e-6); both tolerances can be passed.
 */
export function checkGradients(
  tfjs: Tfjs,
  ours: (...xs: Tensor[]) => Tensor,
  theirs: ((...xs: TfjsTensor[]) => TfjsTensor) | null,
  inputs: { values: ArrayLike<number>; shape: number[] }[],
  { numeric = { rtol: 1e-3, atol: 1e-4 }, peer = { rtol: 1e-5, atol: 1e-6 } } = {},
): void {
  const analytic = analyticGradients(ours, inputs);
  const finiteDifferences = numericGradients(ours, inputs);
  const reference = theirs ? tfjsGradients(tfjs, theirs, inputs) : null;
  analytic.forEach((g, i) => {
    expectClose(g, finiteDifferences[i], numeric);
    if (reference) expectClose(g, reference[i], peer);
  });
}

/** Asserts that a result has tfjs's shape, dtype and (exactly, by default) values. */
export function expectSameAsTfjs(ours: Tensor, theirs: TfjsTensor, tolerance = { rtol: 0, atol: 0 }): void {
  expect(ours.shape).toEqual(theirs.shape);
  expect(ours.dtype).toBe(theirs.dtype);
  expectClose(ours.dataSync(), theirs.dataSync(), tolerance);
}
