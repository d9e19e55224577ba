// Integer and bool math for the wasm backend, in TypeScript over Int32Array views of wasm memory (int32 and
// bool are both stored as i32, bool as 0/1). These are not hot paths: float32 goes to the SIMD kernels.
// Also `where` and `cast`, which serve every dtype. Semantics follow tfjs (and the reference backend):
// results are computed in float64 and stored with ToInt32 (truncate, wrap mod 2³², NaN → 0).
// Offsets are in elements (byte pointer >> 2).
import type { BinaryOp, CompareOp, DType, ReduceOp, Shape, UnaryOp } from '../backend.js';
import { broadcastStrides } from './broadcast.js';
import { collapseWithOutput, forEachRow } from './rows.js';
import { sizeOf } from '../shape.js';

type Scalar1 = (x: number) => number;
type Scalar2 = (a: number, b: number) => number;

/** Unary ops that the ops layer keeps in int32 (exact on integers), plus logicalNot for bool. */
function intUnaryFunction(op: UnaryOp, alpha: number): Scalar1 | undefined {
  switch (op) {
    case 'neg': return (x) => -x;
    case 'abs': return Math.abs;
    case 'square': return (x) => x * x;
    case 'sign': return Math.sign;
    case 'relu': return (x) => (x < 0 ? 0 : x);
    case 'relu6': return (x) => (x < 0 ? 0 : x > 6 ? 6 : x);
    case 'leakyRelu': return (x) => (x < 0 ? alpha * x : x);
    case 'step': return (x) => (x > 0 ? 1 : alpha);
    case 'floor': case 'ceil': case 'round': return (x) => x;
    case 'logicalNot': return (x) => (x === 0 ? 1 : 0);
    default: return undefined;
  }
}

export function intUnary(mem: Int32Array, op: UnaryOp, x: number, out: number, size: number, dtype: DType, alpha: number): void {
  const f = intUnaryFunction(op, alpha);
  if (!f) throw new Error(`wasm backend: unary '${op}' is not defined for ${dtype} (cast to float32 first)`);
  if (dtype === 'bool') for (let i = 0; i < size; i++) mem[out + i] = f(mem[x + i]) !== 0 ? 1 : 0;
  else for (let i = 0; i < size; i++) mem[out + i] = f(mem[x + i]);
}

function intBinaryFunction(op: BinaryOp): Scalar2 {
  switch (op) {
    case 'add': return (a, b) => a + b;
    case 'sub': return (a, b) => a - b;
    case 'mul': return (a, b) => a * b;
    case 'div': // tfjs divides int32 with floor
    case 'floorDiv': return (a, b) => Math.floor(a / b);
    case 'maximum': return Math.max;
    case 'minimum': return Math.min;
    case 'pow': return Math.pow;
    case 'squaredDifference': return (a, b) => (a - b) * (a - b);
    case 'mod': return (a, b) => {
      const remainder = a % b; // takes the divisor's sign, like tfjs
      return (a < 0 && b < 0) || (a >= 0 && b >= 0) ? remainder : (remainder + b) % b;
    };
    case 'atan2': return Math.atan2;
  }
}

function compareFunction(op: CompareOp): Scalar2 {
  switch (op) {
    case 'equal': return (a, b) => (a === b ? 1 : 0);
    case 'notEqual': return (a, b) => (a !== b ? 1 : 0);
    case 'less': return (a, b) => (a < b ? 1 : 0);
    case 'lessEqual': return (a, b) => (a <= b ? 1 : 0);
    case 'greater': return (a, b) => (a > b ? 1 : 0);
    case 'greaterEqual': return (a, b) => (a >= b ? 1 : 0);
    case 'logicalAnd': return (a, b) => (a !== 0 && b !== 0 ? 1 : 0);
    case 'logicalOr': return (a, b) => (a !== 0 || b !== 0 ? 1 : 0);
  }
}

/** out = f(a, b) over outShape with numpy broadcasting; inputs read from `input`, output written to `output`. */
function broadcastApply(
  input: Int32Array, output: Int32Array, f: Scalar2, a: number, aShape: Shape, b: number, bShape: Shape,
  out: number, outShape: Shape, toBool: boolean,
): void {
  const { shape, strides } = collapseWithOutput(outShape, [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)]);
  const last = shape.length - 1;
  const length = shape[last];
  const [, aStep, bStep] = strides.map((s) => s[last]);
  forEachRow(shape, strides, [out, a, b], ([o, ai, bi]) => {
    for (let i = 0; i < length; i++) {
      const value = f(input[ai + i * aStep], input[bi + i * bStep]);
      output[o + i] = toBool ? (value !== 0 ? 1 : 0) : value;
    }
  });
}

/** int32 (or bool) a op b → same dtype. */
export function intBinary(
  mem: Int32Array, op: BinaryOp, a: number, aShape: Shape, b: number, bShape: Shape, out: number, outShape: Shape, dtype: DType,
): void {
  broadcastApply(mem, mem, intBinaryFunction(op), a, aShape, b, bShape, out, outShape, dtype === 'bool');
}

/** Comparisons of int32/bool (read from `mem`) or float32 (read from `f32`) → bool 0/1 in `mem`. */
export function compareTS(
  source: Int32Array | Float32Array, mem: Int32Array, op: CompareOp, a: number, aShape: Shape, b: number, bShape: Shape,
  out: number, outShape: Shape,
): void {
  broadcastApply(source as Int32Array, mem, compareFunction(op), a, aShape, b, bShape, out, outShape, false);
}

/** out = cond ? a : b, all broadcast to outShape; bit copies, so any 4-byte dtype. */
export function where(
  mem: Int32Array, cond: number, condShape: Shape, a: number, aShape: Shape, b: number, bShape: Shape, out: number, outShape: Shape,
): void {
  const { shape, strides } = collapseWithOutput(outShape, [
    broadcastStrides(condShape, outShape), broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape),
  ]);
  const last = shape.length - 1;
  const length = shape[last];
  const [, cStep, aStep, bStep] = strides.map((s) => s[last]);
  forEachRow(shape, strides, [out, cond, a, b], ([o, ci, ai, bi]) => {
    for (let i = 0; i < length; i++) mem[o + i] = mem[ci + i * cStep] !== 0 ? mem[ai + i * aStep] : mem[bi + i * bStep];
  });
}

/**
 * Converts like tfjs: float → int32 truncates toward zero (NaN → 0), anything → bool is x ≠ 0 (NaN → true),
 * int/bool → float32 is exact up to 2²⁴ then rounds.
 */
export function cast(f32: Float32Array, i32: Int32Array, x: number, out: number, size: number, from: DType, to: DType): void {
  if (from === to || (from === 'bool' && to === 'int32')) {
    i32.copyWithin(out, x, x + size);
  } else if (to === 'bool') {
    const source = from === 'float32' ? f32 : i32;
    for (let i = 0; i < size; i++) i32[out + i] = source[x + i] !== 0 ? 1 : 0;
  } else if (to === 'int32') {
    for (let i = 0; i < size; i++) i32[out + i] = f32[x + i]; // Int32Array store applies ToInt32
  } else {
    for (let i = 0; i < size; i++) f32[out + i] = i32[x + i];
  }
}

/** int32/bool x: [outer, reduceSize, inner] → [outer, inner], int32 (argMax/argMin: indices). */
export function intReduce(
  mem: Int32Array, op: ReduceOp, x: number, outer: number, reduceSize: number, inner: number, out: number, dtype: DType,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const start = x + o * reduceSize * inner + i;
      let result: number;
      switch (op) {
        case 'sum': case 'prod': case 'logSumExp': {
          let acc = op === 'prod' ? 1 : 0;
          if (op === 'logSumExp') {
            let max = -Infinity;
            for (let r = 0; r < reduceSize; r++) max = Math.max(max, mem[start + r * inner]);
            for (let r = 0; r < reduceSize; r++) acc += Math.exp(mem[start + r * inner] - max);
            result = max + Math.log(acc);
          } else {
            for (let r = 0; r < reduceSize; r++) acc = op === 'sum' ? acc + mem[start + r * inner] : acc * mem[start + r * inner];
            result = acc;
          }
          break;
        }
        case 'max': case 'min': case 'argMax': case 'argMin': {
          const wantMax = op === 'max' || op === 'argMax';
          let best = mem[start];
          let bestIndex = 0;
          for (let r = 1; r < reduceSize; r++) {
            const value = mem[start + r * inner];
            if (wantMax ? value > best : value < best) { best = value; bestIndex = r; } // first index wins ties
          }
          result = op === 'max' || op === 'min' ? (reduceSize === 0 ? (wantMax ? -Infinity : Infinity) : best) : bestIndex;
          break;
        }
        case 'any': case 'all': {
          let found = op === 'all' ? 1 : 0;
          for (let r = 0; r < reduceSize; r++) {
            const nonzero = mem[start + r * inner] !== 0;
            if (op === 'any' && nonzero) { found = 1; break; }
            if (op === 'all' && !nonzero) { found = 0; break; }
          }
          result = found;
          break;
        }
      }
      mem[out + o * inner + i] = dtype === 'bool' && (op === 'max' || op === 'min') ? (result !== 0 ? 1 : 0) : result;
    }
  }
}

export { sizeOf };
