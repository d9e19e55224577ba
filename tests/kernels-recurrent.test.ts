// The recurrent step kernels through the wasm backend on a single-threaded (st) and a 2-thread (mt) runtime:
// both equal the plain-TypeScript reference (recurrentForwardValues / recurrentBackwardValues) and each
// other bit for bit, on shapes big enough to be split by unit blocks (odd units leave partial blocks).
import { describe, expect, it } from 'vitest';
import { WasmBackend } from '../src/backend/wasm/index.js';
import { recurrentBackwardValues, recurrentForwardValues, type RecurrentShape } from '../src/backend/reference/recurrent.js';
import { RECURRENT_GATES, type DataId, type RecurrentArgs } from '../src/backend/backend.js';
import { expectClose, randomValues } from './helpers.js';
import { useSingleAndThreadedRuntimes } from './runtimes.js';

const runtimes = useSingleAndThreadedRuntimes();

// Batches of 2 or more split by rows over the whole sequence (one dispatch; odd batches leave a lone row);
// the batches of 1 split each step by unit blocks, which these units make big enough (> 512k flops per
// thread) to use both threads.
const CASES: RecurrentShape[] = [
  { cell: 'lstm', batch: 16, steps: 3, features: 8, units: 130, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false },
  { cell: 'lstm', batch: 9, steps: 5, features: 7, units: 67, activation: 'tanh', recurrentActivation: 'hardSigmoid', goBackwards: false, resetAfter: false },
  { cell: 'lstm', batch: 1, steps: 4, features: 3, units: 365, activation: 'relu', recurrentActivation: 'sigmoid', goBackwards: true, resetAfter: false },
  { cell: 'gru', batch: 1, steps: 3, features: 5, units: 513, activation: 'tanh', recurrentActivation: 'hardSigmoid', goBackwards: true, resetAfter: false },
  { cell: 'gru', batch: 7, steps: 4, features: 5, units: 70, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false },
  { cell: 'gru', batch: 6, steps: 3, features: 4, units: 61, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: true },
  { cell: 'simpleRnn', batch: 10, steps: 4, features: 6, units: 129, activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: false },
];

function inputs(shape: RecurrentShape, seed: number) {
  const { batch: B, steps: T, features: F, units: U } = shape;
  const width = RECURRENT_GATES[shape.cell] * U;
  const values = (n: number, s: number, scale = 1) => randomValues(n, seed + s, -scale, scale);
  return {
    x: values(B * T * F, 0), kernel: values(F * width, 1, 0.4), recurrentKernel: values(U * width, 2, 0.2),
    bias: values((shape.resetAfter ? 2 : 1) * width, 3), initialH: values(B * U, 4), initialC: values(B * U, 5),
    mask: Float32Array.from({ length: B * T }, (_, i) => ((i * 5 + 1) % 7 === 0 ? 0 : 1)),
    dSequence: values(B * T * U, 6), dH: values(B * U, 7), dC: values(B * U, 8),
  };
}

/** Forward and backward on one backend; every output read back. */
function runOnBackend(backend: WasmBackend, shape: RecurrentShape, data: ReturnType<typeof inputs>) {
  const write = (v: Float32Array) => backend.write(v, 'float32');
  const lstm = shape.cell === 'lstm';
  const args: RecurrentArgs = {
    ...shape, x: write(data.x), kernel: write(data.kernel), recurrentKernel: write(data.recurrentKernel), bias: write(data.bias),
    initialH: write(data.initialH), initialC: lstm ? write(data.initialC) : undefined, mask: write(data.mask),
  };
  const state = backend.recurrentForward(args);
  const dSequence = write(data.dSequence);
  const dH = write(data.dH);
  const dC = lstm ? write(data.dC) : undefined;
  const all = { x: true, kernel: true, recurrentKernel: true, bias: true, initialH: true, initialC: lstm };
  const grads = backend.recurrentBackward(args, state, dSequence, dH, dC, all);
  const { batch: B, steps: T, features: F, units: U } = shape;
  const width = RECURRENT_GATES[shape.cell] * U;
  const read = (id: DataId | undefined, size: number) => (id ? (backend.read(id, 'float32', size) as Float32Array) : undefined);
  const out = {
    sequence: read(state.sequence, B * T * U), h: read(state.h, B * U), c: read(state.c, B * U),
    dx: read(grads.dx, B * T * F), dKernel: read(grads.dKernel, F * width), dRecurrentKernel: read(grads.dRecurrentKernel, U * width),
    dBias: read(grads.dBias, (shape.resetAfter ? 2 : 1) * width), dInitialH: read(grads.dInitialH, B * U), dInitialC: read(grads.dInitialC, B * U),
  };
  for (const id of [...Object.values(args), ...Object.values(state), ...Object.values(grads), dSequence, dH, dC]) {
    if (id && typeof id === 'object') backend.dispose(id as DataId);
  }
  expect(backend.memory().buffers).toBe(0);
  return out;
}

describe('recurrent kernels: 1 thread and 2 threads agree with the reference and with each other', () => {
  for (const shape of CASES) {
    it(`${shape.cell} B${shape.batch} T${shape.steps} F${shape.features} U${shape.units}${shape.resetAfter ? ' resetAfter' : ''}${shape.goBackwards ? ' goBackwards' : ''}`, () => {
      const data = inputs(shape, 31);
      const single = runOnBackend(new WasmBackend(runtimes.single), shape, data);
      const threaded = runOnBackend(new WasmBackend(runtimes.threaded), shape, data);
      const values = { ...data, initialC: shape.cell === 'lstm' ? data.initialC : undefined };
      const saved = recurrentForwardValues(shape, values);
      const grads = recurrentBackwardValues(shape, values, saved, data.dSequence, data.dH, shape.cell === 'lstm' ? data.dC : undefined);
      const expected: Record<string, Float64Array | undefined> = {
        sequence: saved.sequence, h: saved.h, c: saved.c, dx: grads.dx, dKernel: grads.dKernel,
        dRecurrentKernel: grads.dRecurrentKernel, dBias: grads.dBias, dInitialH: grads.dInitialH, dInitialC: grads.dInitialC,
      };
      for (const [name, want] of Object.entries(expected)) {
        const got = single[name as keyof typeof single];
        const other = threaded[name as keyof typeof threaded];
        if (!want) continue;
        expect(got, name).toBeDefined();
        expectClose(got!, want, { rtol: 1e-4, atol: 1e-4 });
        expect(Array.from(other!), `${name}: 2 threads equal 1 thread`).toEqual(Array.from(got!));
      }
    });
  }
});
