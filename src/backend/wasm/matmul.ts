// The one door to the wasm GEMM (assembly/gemm.ts): matMul, dense layers, conv via im2col and attention all
// come through runGemm, which hands the row range to the runtime's thread pool.
import type { Runtime } from '../../runtime/types.js';

/**
 * One batched GEMM: out[t] = act(op(a[t])·op(b[t]) (+ out[t] if accumulate) + bias).
 * Pointers are byte offsets into wasm memory; strides are in elements (0 broadcasts one matrix).
 *   op(a[t]): [m, k] (a stored [k, m] when transposeA)   op(b[t]): [k, n] (b stored [n, k] when transposeB)
 *   out[t]:   [m, n], contiguous, batch stride m·n        bias: [n] or 0 for none
 */
export interface GemmCall {
  a: number; b: number; out: number; bias: number;
  batch: number; m: number; n: number; k: number;
  strideA: number; strideB: number;
  transposeA: boolean; transposeB: boolean;
  /** FUSED_ACTIVATION_CODE (0 linear … 6 elu). */
  activation: number;
  accumulate?: boolean;
}

/**
 * Splitting a GEMM pays only when each thread gets enough work to hide the hand-off and each thread's
 * repacking of all of op(B). Measured on 2 idle vCPUs (Zen 5): with 8 MFLOP per thread 256³ runs 1.85x faster
 * on 2 threads when calls follow each other (workers still polling), and ~5% slower after an idle gap
 * (waking a sleeping worker); 192³ and below stay on one thread.
 */
const MIN_FLOPS_PER_THREAD = 8e6;
const MIN_ROWS_PER_THREAD = 48;

/** Threads a GEMM of rows × (2·n·k flops per row) is worth; the runtime may still use fewer. */
export function gemmThreadsWorthUsing(rows: number, flopsPerRow: number): number {
  return Math.max(1, Math.min(Math.floor((rows * flopsPerRow) / MIN_FLOPS_PER_THREAD),
    Math.floor(rows / MIN_ROWS_PER_THREAD)));
}

interface GemmShape { microRows: number; workspaceBytes: number }

// Micro-tile rows and scratch size are constants of the loaded build; ask it once per runtime.
const shapes = new WeakMap<Runtime, GemmShape>();

function gemmShape(rt: Runtime): GemmShape {
  let shape = shapes.get(rt);
  if (!shape) {
    shape = { microRows: rt.exports.gemmMicroRows(), workspaceBytes: rt.exports.gemmWorkspaceBytes() };
    shapes.set(rt, shape);
  }
  return shape;
}

/** Runs one GEMM over the pool, split on whole micro-tiles of output rows. */
export function runGemm(rt: Runtime, call: GemmCall): void {
  const { batch, m, n, k } = call;
  if (batch <= 0 || m <= 0 || n <= 0) return;
  const { microRows, workspaceBytes } = gemmShape(rt);
  const rows = batch * m;
  const flopsPerRow = 2 * n * Math.max(k, 1);
  const maxThreads = gemmThreadsWorthUsing(rows, flopsPerRow);
  rt.run('gemm', [
    call.a, call.b, call.out, call.bias, m, n, k, call.strideA, call.strideB,
    call.transposeA ? 1 : 0, call.transposeB ? 1 : 0, call.activation, call.accumulate ? 1 : 0,
  ], rows, { grain: microRows, costPerUnit: flopsPerRow, maxThreads, workspaceBytes });
}
