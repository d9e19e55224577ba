// Broadcasting binary ops (float32 out) and comparisons / logical ops (i32 0/1 out) on f32x4.
// Units of start/end: output elements (row-major over outShape).
// meta: 3*rank i32s = outShape, stridesA, stridesB (element strides; 0 on broadcast dims). The wrapper
// collapses dims first (src/backend/wasm/broadcast.ts), so the innermost dim is usually long and has one
// of the fast stride patterns (1,1), (1,0), (0,1). Op codes mirror BINARY_OP_CODE / COMPARE_OP_CODE.
import { powF64, atan2F64 } from './vmath';

const ADD = 0; const SUB = 1; const MUL = 2; const DIV = 3; const MAXIMUM = 4; const MINIMUM = 5; const POW = 6;
const SQUARED_DIFFERENCE = 7; const FLOOR_DIV = 8; const MOD = 9; const ATAN2 = 10;

const EQUAL = 0; const NOT_EQUAL = 1; const LESS = 2; const LESS_EQUAL = 3; const GREATER = 4;
const GREATER_EQUAL = 5; const LOGICAL_AND = 6; const LOGICAL_OR = 7;

// Which family a loop instance computes (a compile-time constant after inlining).
const KIND_BINARY = 0;
const KIND_COMPARE = 1;

/** tfjs mod: the result takes the sign of the divisor. Evaluated in float64 like tfjs's CPU kernel. */
function modF64(a: f64, b: f64): f64 {
  const rem = a % b;
  if ((a < 0 && b < 0) || (a >= 0 && b >= 0)) return rem;
  return (rem + b) % b;
}

// @ts-ignore: decorator
@inline function scalarBinary(op: i32, a: f32, b: f32): f32 {
  if (op == POW) return <f32>powF64(<f64>a, <f64>b);
  if (op == MOD) return <f32>modF64(<f64>a, <f64>b);
  return <f32>atan2F64(<f64>a, <f64>b);
}

/** The ops with no vector form, lane by lane. */
// @ts-ignore: decorator
@inline function lanewise(op: i32, a: v128, b: v128): v128 {
  let y = a;
  y = f32x4.replace_lane(y, 0, scalarBinary(op, f32x4.extract_lane(a, 0), f32x4.extract_lane(b, 0)));
  y = f32x4.replace_lane(y, 1, scalarBinary(op, f32x4.extract_lane(a, 1), f32x4.extract_lane(b, 1)));
  y = f32x4.replace_lane(y, 2, scalarBinary(op, f32x4.extract_lane(a, 2), f32x4.extract_lane(b, 2)));
  y = f32x4.replace_lane(y, 3, scalarBinary(op, f32x4.extract_lane(a, 3), f32x4.extract_lane(b, 3)));
  return y;
}

// @ts-ignore: decorator
@inline function applyV(kind: i32, op: i32, a: v128, b: v128): v128 {
  const zero = f32x4.splat(0);
  const one = i32x4.splat(1);
  if (kind == KIND_BINARY) {
    switch (op) {
      case ADD: return f32x4.add(a, b);
      case SUB: return f32x4.sub(a, b);
      case MUL: return f32x4.mul(a, b);
      case DIV: return f32x4.div(a, b);
      case MAXIMUM: return f32x4.max(a, b); // NaN propagates, like Math.max
      case MINIMUM: return f32x4.min(a, b);
      case SQUARED_DIFFERENCE: { const d = f32x4.sub(a, b); return f32x4.mul(d, d); }
      case FLOOR_DIV: return f32x4.floor(f32x4.div(a, b));
      default: return lanewise(op, a, b);
    }
  }
  switch (op) {
    case EQUAL: return v128.and(f32x4.eq(a, b), one);
    case NOT_EQUAL: return v128.and(f32x4.ne(a, b), one);
    case LESS: return v128.and(f32x4.lt(a, b), one);
    case LESS_EQUAL: return v128.and(f32x4.le(a, b), one);
    case GREATER: return v128.and(f32x4.gt(a, b), one);
    case GREATER_EQUAL: return v128.and(f32x4.ge(a, b), one);
    case LOGICAL_AND: return v128.and(v128.and(f32x4.ne(a, zero), f32x4.ne(b, zero)), one);
    case LOGICAL_OR: return v128.and(v128.or(f32x4.ne(a, zero), f32x4.ne(b, zero)), one);
    default: return zero;
  }
}

/** out[0..n) = a[k*strideA] op b[k*strideB], with vector fast paths for the common stride patterns. */
// @ts-ignore: decorator
@inline function innerRun(kind: i32, op: i32, a: usize, strideA: i32, b: usize, strideB: i32, out: usize, n: i32): void {
  let k = 0;
  if (strideA == 1 && strideB == 1) {
    for (; k + 4 <= n; k += 4) {
      const offset = <usize>k << 2;
      v128.store(out + offset, applyV(kind, op, v128.load(a + offset), v128.load(b + offset)));
    }
  } else if (strideA == 1 && strideB == 0) {
    const vb = v128.load32_splat(b);
    for (; k + 4 <= n; k += 4) {
      const offset = <usize>k << 2;
      v128.store(out + offset, applyV(kind, op, v128.load(a + offset), vb));
    }
  } else if (strideA == 0 && strideB == 1) {
    const va = v128.load32_splat(a);
    for (; k + 4 <= n; k += 4) {
      const offset = <usize>k << 2;
      v128.store(out + offset, applyV(kind, op, va, v128.load(b + offset)));
    }
  }
  // Remainder, and every other stride pattern, one element at a time.
  for (; k < n; k++) {
    const va = v128.load32_splat(a + ((<usize>(k * strideA)) << 2));
    const vb = v128.load32_splat(b + ((<usize>(k * strideB)) << 2));
    store<i32>(out + (<usize>k << 2), i32x4.extract_lane(applyV(kind, op, va, vb), 0));
  }
}

// @ts-ignore: decorator
@inline function broadcastLoop(kind: i32, op: i32, a: usize, b: usize, out: usize, rank: i32, meta: usize, start: i32, end: i32): void {
  const last = rank - 1;
  const inner = load<i32>(meta + (<usize>last << 2));
  const innerStrideA = load<i32>(meta + (<usize>(rank + last) << 2));
  const innerStrideB = load<i32>(meta + (<usize>(2 * rank + last) << 2));
  let i = start;
  while (i < end) {
    // Offsets of the first element of this run: decompose the row index over the outer dims.
    let row = i / inner;
    const col = i - row * inner;
    let offsetA = col * innerStrideA;
    let offsetB = col * innerStrideB;
    for (let d = last - 1; d >= 0; d--) {
      const size = load<i32>(meta + (<usize>d << 2));
      const next = row / size;
      const coordinate = row - next * size;
      offsetA += coordinate * load<i32>(meta + (<usize>(rank + d) << 2));
      offsetB += coordinate * load<i32>(meta + (<usize>(2 * rank + d) << 2));
      row = next;
    }
    const n = min(inner - col, end - i);
    innerRun(kind, op, a + (<usize>offsetA << 2), innerStrideA, b + (<usize>offsetB << 2), innerStrideB,
      out + (<usize>i << 2), n);
    i += n;
  }
}

/** out = a op b (float32), broadcast per meta. */
export function binary(op: i32, a: usize, b: usize, out: usize, rank: i32, meta: usize, start: i32, end: i32): void {
  switch (op) {
    case ADD: broadcastLoop(KIND_BINARY, ADD, a, b, out, rank, meta, start, end); break;
    case SUB: broadcastLoop(KIND_BINARY, SUB, a, b, out, rank, meta, start, end); break;
    case MUL: broadcastLoop(KIND_BINARY, MUL, a, b, out, rank, meta, start, end); break;
    case DIV: broadcastLoop(KIND_BINARY, DIV, a, b, out, rank, meta, start, end); break;
    case MAXIMUM: broadcastLoop(KIND_BINARY, MAXIMUM, a, b, out, rank, meta, start, end); break;
    case MINIMUM: broadcastLoop(KIND_BINARY, MINIMUM, a, b, out, rank, meta, start, end); break;
    case POW: broadcastLoop(KIND_BINARY, POW, a, b, out, rank, meta, start, end); break;
    case SQUARED_DIFFERENCE: broadcastLoop(KIND_BINARY, SQUARED_DIFFERENCE, a, b, out, rank, meta, start, end); break;
    case FLOOR_DIV: broadcastLoop(KIND_BINARY, FLOOR_DIV, a, b, out, rank, meta, start, end); break;
    case MOD: broadcastLoop(KIND_BINARY, MOD, a, b, out, rank, meta, start, end); break;
    case ATAN2: broadcastLoop(KIND_BINARY, ATAN2, a, b, out, rank, meta, start, end); break;
    default: break;
  }
}

/** out = a cmp b as i32 0/1, broadcast per meta. Logical ops treat any nonzero (and NaN) as true. */
export function compare(op: i32, a: usize, b: usize, out: usize, rank: i32, meta: usize, start: i32, end: i32): void {
  switch (op) {
    case EQUAL: broadcastLoop(KIND_COMPARE, EQUAL, a, b, out, rank, meta, start, end); break;
    case NOT_EQUAL: broadcastLoop(KIND_COMPARE, NOT_EQUAL, a, b, out, rank, meta, start, end); break;
    case LESS: broadcastLoop(KIND_COMPARE, LESS, a, b, out, rank, meta, start, end); break;
    case LESS_EQUAL: broadcastLoop(KIND_COMPARE, LESS_EQUAL, a, b, out, rank, meta, start, end); break;
    case GREATER: broadcastLoop(KIND_COMPARE, GREATER, a, b, out, rank, meta, start, end); break;
    case GREATER_EQUAL: broadcastLoop(KIND_COMPARE, GREATER_EQUAL, a, b, out, rank, meta, start, end); break;
    case LOGICAL_AND: broadcastLoop(KIND_COMPARE, LOGICAL_AND, a, b, out, rank, meta, start, end); break;
    case LOGICAL_OR: broadcastLoop(KIND_COMPARE, LOGICAL_OR, a, b, out, rank, meta, start, end); break;
    default: break;
  }
}
