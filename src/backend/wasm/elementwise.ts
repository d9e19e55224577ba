// Wrappers for the elementwise kernels (assembly/unary.ts, assembly/binary.ts): op codes come from
// src/backend/backend.ts; pointers are byte offsets into wasm memory; every buffer holds 4-byte elements.
import type { Runtime } from '../../runtime/types.js';
import { UNARY_OP_CODE, BINARY_OP_CODE } from '../backend.js';
import { collapsedBroadcast } from './broadcast.js';

/** Chunk boundaries on 16 elements keep each thread's slice on whole 64-byte lines. */
const ELEMENT_GRAIN = 16;

const CHEAP_UNARY = new Set<number>([
  UNARY_OP_CODE.neg, UNARY_OP_CODE.abs, UNARY_OP_CODE.square, UNARY_OP_CODE.relu, UNARY_OP_CODE.relu6,
  UNARY_OP_CODE.leakyRelu, UNARY_OP_CODE.sign, UNARY_OP_CODE.floor, UNARY_OP_CODE.ceil, UNARY_OP_CODE.round,
  UNARY_OP_CODE.step, UNARY_OP_CODE.logicalNot,
]);
/** Ops evaluated lane by lane in float64 (sin, cos; pow, mod, atan2 among the binaries). */
const SCALAR_UNARY = new Set<number>([UNARY_OP_CODE.sin, UNARY_OP_CODE.cos]);
const SCALAR_BINARY = new Set<number>([BINARY_OP_CODE.pow, BINARY_OP_CODE.mod, BINARY_OP_CODE.atan2]);

/** Rough flops per element, for the runtime's decision to split across threads. */
function unaryCost(op: number): number {
  if (CHEAP_UNARY.has(op)) return 1;
  if (SCALAR_UNARY.has(op)) return 60;
  return 20;
}

/** out = f(x) elementwise; alpha is leakyRelu's slope and step's value at x <= 0. */
export function runUnary(rt: Runtime, op: number, x: number, out: number, size: number, alpha: number): void {
  if (size === 0) return;
  rt.run('unary', [op, x, out, alpha], size, { grain: ELEMENT_GRAIN, costPerUnit: unaryCost(op) });
}

/** dx = dy * f'(·): reads y = f(x) for sigmoid, tanh, exp, sqrt, rsqrt, else x. */
export function runUnaryGrad(rt: Runtime, op: number, xOrY: number, dy: number, dx: number, size: number, alpha: number): void {
  if (size === 0) return;
  rt.run('unaryGrad', [op, xOrY, dy, dx, alpha], size, { grain: ELEMENT_GRAIN, costPerUnit: unaryCost(op) + 2 });
}

function runBroadcast(
  rt: Runtime, kernel: 'binary' | 'compare', op: number, cost: number,
  a: number, aShape: readonly number[], b: number, bShape: readonly number[], out: number, outShape: readonly number[],
): void {
  const total = outShape.reduce((p, d) => p * d, 1);
  if (total === 0) return;
  const layout = collapsedBroadcast(aShape, bShape, outShape);
  const rank = layout.shape.length;
  // meta = outShape, stridesA, stridesB as i32 (see assembly/binary.ts)
  const meta = rt.alloc(3 * rank * 4);
  try {
    rt.i32().set([...layout.shape, ...layout.strides[0], ...layout.strides[1]], meta >> 2);
    rt.run(kernel, [op, a, b, out, rank, meta], total, { grain: ELEMENT_GRAIN, costPerUnit: cost });
  } finally {
    rt.free(meta);
  }
}

/** out = a op b (float32) with a and b broadcast to outShape. */
export function runBinary(
  rt: Runtime, op: number, a: number, aShape: readonly number[], b: number, bShape: readonly number[],
  out: number, outShape: readonly number[],
): void {
  runBroadcast(rt, 'binary', op, SCALAR_BINARY.has(op) ? 60 : 1, a, aShape, b, bShape, out, outShape);
}

/** out = a cmp b as i32 0/1 (bool storage) with broadcasting; logicalAnd/Or treat nonzero as true. */
export function runCompare(
  rt: Runtime, op: number, a: number, aShape: readonly number[], b: number, bShape: readonly number[],
  out: number, outShape: readonly number[],
): void {
  runBroadcast(rt, 'compare', op, 1, a, aShape, b, bShape, out, outShape);
}
