// The FinalizationRegistry safety net: tensors dropped without dispose() give their memory back after GC.
// Runs with --expose-gc (see vitest.config.ts).
import { expect, it } from 'vitest';
import { tf } from './helpers.js';

it('tensors garbage-collected without dispose() release their buffers', async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  expect(gc, 'this test needs node --expose-gc').toBeTypeOf('function');
  await tf.setBackend('wasm');
  const before = tf.memory();
  (() => {
    for (let i = 0; i < 200; i++) tf.add(tf.tensor([i, i + 1, i + 2]), 1); // never disposed, never referenced
  })();
  expect(tf.memory().numTensors).toBeGreaterThanOrEqual(before.numTensors + 400);
  for (let round = 0; round < 20 && tf.memory().numTensors > before.numTensors; round++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(tf.memory().numTensors).toBe(before.numTensors);
  expect(tf.memory().numBytes).toBe(before.numBytes);
});
