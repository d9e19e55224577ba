// Runs the same computation on wasm and on webgpu (Dawn on Mesa's software OpenGL ES in CI) and compares
// them, reading the GPU with `await data()` as a browser page must. Gradients are compared through
// tf.grads on both sides; wasm's own gradients are checked against finite differences in the op tests.
import { expect } from 'vitest';
import { expectClose, tf, useSoftwareWebGPU, webgpuInstalled, type Tensor } from './helpers.js';

/** Whether to run the webgpu comparisons: wherever Dawn (the `webgpu` devDependency) is installed; SINEW_TEST_WEBGPU=0 skips. */
export const runWebGPUTests = process.env.SINEW_TEST_WEBGPU !== '0' && webgpuInstalled();

/** Opens the webgpu backend once per test file (inline transport: the device on this thread). */
export async function openWebGPU(): Promise<void> {
  useSoftwareWebGPU('inline');
  await tf.setBackend('webgpu');
  await tf.setBackend('wasm');
}

async function runOn(backend: string, build: () => Tensor | Tensor[]): Promise<{ values: Float32Array | Int32Array | Uint8Array; shape: number[]; dtype: string }[]> {
  await tf.setBackend(backend);
  const produced = tf.tidy(build);
  const outputs = Array.isArray(produced) ? produced : [produced];
  const results = [];
  for (const t of outputs) {
    results.push({ values: (await t.data()) as Float32Array, shape: [...t.shape], dtype: t.dtype });
    t.dispose();
  }
  return results;
}

/** Asserts webgpu's outputs of `build` equal wasm's (shape, dtype and values within the tolerance). */
export async function expectSameOnWebGPU(what: string, build: () => Tensor | Tensor[], tolerance = { rtol: 1e-4, atol: 1e-5 }): Promise<void> {
  const expected = await runOn('wasm', build);
  const actual = await runOn('webgpu', build);
  await tf.setBackend('wasm');
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((out, i) => {
    expect(out.shape, `${what} output ${i} shape`).toEqual(expected[i].shape);
    expect(out.dtype, `${what} output ${i} dtype`).toBe(expected[i].dtype);
    try {
      expectClose(out.values, expected[i].values, tolerance);
    } catch (error) {
      throw new Error(`${what} output ${i}: ${(error as Error).message}`);
    }
  });
}
