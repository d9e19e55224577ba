// Elementwise kernels: unary ops and their fused gradients, binary ops, comparisons and where with numpy
// broadcasting, cast and fill. Broadcast inputs are read through per-axis strides (0 on a broadcast axis);
// an input with the output's shape, or a single element, gets a plain index instead.
import type { BinaryOp, CompareOp, DType, Shape, UnaryGradOp, UnaryOp } from '../../backend.js';
import { sizeOf } from '../../shape.js';
import { Words, type GpuExecutor } from '../executor.js';
import { MATH_HELPERS, elementType, elementwiseKernel, header } from '../wgsl.js';

const SELU = 'let SELU_SCALE = 1.0507009873554805; let SELU_ALPHA = 1.6732632423543772;';
/** Broadcast kernels handle outputs of up to this rank. */
export const MAX_RANK = 8;

function floatUnary(op: UnaryOp): string {
  switch (op) {
    case 'neg': return '-x';
    case 'abs': return 'abs(x)';
    case 'square': return 'x * x';
    case 'sqrt': return 'sqrt(x)';
    case 'rsqrt': return '1.0 / sqrt(x)';
    case 'exp': return 'exp(x)';
    case 'expm1': return 'expm1_(x)';
    case 'log': return 'log(x)';
    case 'log1p': return 'log1p_(x)';
    case 'reciprocal': return '1.0 / x';
    // NaN passes through (wasm, tfjs); the explicit x != x keeps compilers from turning these into max/clamp.
    case 'relu': return 'select(select(x, 0.0, x < 0.0), x, x != x)';
    case 'relu6': return 'select(select(select(x, 6.0, x > 6.0), 0.0, x < 0.0), x, x != x)';
    case 'leakyRelu': return 'select(x, alpha * x, x < 0.0)';
    case 'elu': return 'select(expm1_(x), x, x >= 0.0)';
    case 'selu': return 'select(SELU_SCALE * SELU_ALPHA * expm1_(x), SELU_SCALE * x, x >= 0.0)';
    case 'sigmoid': return 'sigmoid_(x)';
    case 'tanh': return 'tanh_(x)';
    case 'gelu': return 'gelu_(x)';
    case 'softplus': return 'softplus_(x)';
    case 'sin': return 'sin(x)';
    case 'cos': return 'cos(x)';
    case 'sign': return 'select(select(0.0, 1.0, x > 0.0), -1.0, x < 0.0)';
    case 'floor': return 'floor(x)';
    case 'ceil': return 'ceil(x)';
    case 'round': return 'round(x)'; // WGSL rounds half to even, as tf.round does
    case 'step': return 'select(select(alpha, 1.0, x > 0.0), x, x != x)';
    case 'erf': return 'erf_(x)';
    case 'logicalNot': return 'select(0.0, 1.0, x == 0.0)';
  }
}

/** int32/bool unary ops (the others need a cast to float32 first, as on wasm). */
function intUnary(op: UnaryOp): string | undefined {
  switch (op) {
    case 'neg': return '-x';
    case 'abs': return 'abs(x)';
    case 'square': return 'x * x';
    case 'sign': return 'sign(x)';
    case 'relu': return 'max(x, 0)';
    case 'relu6': return 'clamp(x, 0, 6)';
    case 'leakyRelu': return 'select(x, i32(alpha * f32(x)), x < 0)';
    case 'step': return 'select(i32(alpha), 1, x > 0)';
    case 'floor': case 'ceil': case 'round': return 'x';
    case 'logicalNot': return 'select(0, 1, x == 0)';
    default: return undefined;
  }
}

/** alpha as the kernels take it (leakyRelu's slope always comes from the op). */
function slopeOf(alpha: number | undefined): number {
  return alpha ?? 0;
}

export function unary(exec: GpuExecutor, [out]: number[], op: UnaryOp, x: number, size: number, dtype: DType, alpha?: number): void {
  const type = elementType(dtype);
  const expression = type === 'f32' ? floatUnary(op) : intUnary(op);
  if (!expression) throw new Error(`webgpu backend: unary '${op}' is not defined for ${dtype} (cast to float32 first)`);
  exec.create(out, size);
  const wg = exec.workgroupSize;
  exec.dispatch({
    name: `unary ${op}`,
    code: elementwiseKernel(header([['X', type]], [['Y', type]]), wg, 0,
      `  let x = X[i]; let alpha = f(1u); ${SELU}\n  Y[i] = ${expression};`, type === 'f32' ? MATH_HELPERS : ''),
    inputs: [x], outputs: [out], uniforms: new Words().u(size).f(slopeOf(alpha)), workgroups: exec.grid(Math.ceil(size / wg)),
  });
}

/** The derivative factor of each fused gradient; `v` is x, or y = f(x) for the ops that say so in backend.ts. */
function derivative(op: UnaryGradOp): string {
  switch (op) {
    case 'relu': return 'select(0.0, 1.0, v > 0.0)';
    case 'relu6': return 'select(0.0, 1.0, v > 0.0 && v <= 6.0)';
    case 'leakyRelu': return 'select(alpha, 1.0, v > 0.0)';
    case 'elu': return 'select(exp(v), 1.0, v > 0.0)';
    case 'selu': return 'select(SELU_SCALE * SELU_ALPHA * exp(v), SELU_SCALE, v > 0.0)';
    case 'gelu': return '(0.5 * (1.0 + erf_(v * 0.7071067811865476)) + v * 0.3989422804014327 * exp(-0.5 * v * v))';
    case 'softplus': return 'sigmoid_(v)';
    case 'log': return '(1.0 / v)';
    case 'abs': return 'select(select(0.0, 1.0, v > 0.0), -1.0, v < 0.0)';
    case 'erf': return '(1.1283791670955126 * exp(-v * v))';
    case 'sigmoid': return '(v * (1.0 - v))';
    case 'tanh': return '(1.0 - v * v)';
    case 'exp': return 'v';
    case 'sqrt': return '(0.5 / v)';
    case 'rsqrt': return '(-0.5 * v * v * v)';
  }
}

export function unaryGrad(exec: GpuExecutor, [out]: number[], op: UnaryGradOp, xOrY: number, dy: number, size: number, alpha?: number): void {
  exec.create(out, size);
  const wg = exec.workgroupSize;
  exec.dispatch({
    name: `unaryGrad ${op}`,
    code: elementwiseKernel(header([['V', 'f32'], ['DY', 'f32']], [['DX', 'f32']]), wg, 0,
      `  let v = V[i]; let alpha = f(1u); ${SELU}\n  DX[i] = DY[i] * ${derivative(op)};`, MATH_HELPERS),
    inputs: [xOrY, dy], outputs: [out], uniforms: new Words().u(size).f(slopeOf(alpha)), workgroups: exec.grid(Math.ceil(size / wg)),
  });
}

function floatBinary(op: BinaryOp): string {
  switch (op) {
    case 'add': return 'a + b';
    case 'sub': return 'a - b';
    case 'mul': return 'a * b';
    case 'div': return 'a / b';
    // NaN in either operand gives NaN, as tfjs-cpu does.
    case 'maximum': return 'select(select(a, b, b > a), a + b, a != a || b != b)';
    case 'minimum': return 'select(select(a, b, b < a), a + b, a != a || b != b)';
    case 'pow': return 'pow_(a, b)';
    case 'squaredDifference': return '(a - b) * (a - b)';
    case 'floorDiv': return 'floor(a / b)';
    case 'mod': return 'mod_(a, b)';
    case 'atan2': return 'atan2(a, b)';
  }
}

function intBinary(op: BinaryOp): string | undefined {
  switch (op) {
    case 'add': return 'a + b';
    case 'sub': return 'a - b';
    case 'mul': return 'a * b';
    case 'div': case 'floorDiv': return 'idiv_(a, b)'; // tfjs divides int32 with floor
    case 'maximum': return 'max(a, b)';
    case 'minimum': return 'min(a, b)';
    case 'pow': return 'ipow_(a, b)';
    case 'squaredDifference': return '(a - b) * (a - b)';
    case 'mod': return 'imod_(a, b)';
    default: return undefined;
  }
}

const BINARY_HELPERS = `
fn pow_(a: f32, b: f32) -> f32 {
  // WGSL's pow is undefined for a < 0; integral exponents of negative bases are defined, as in Math.pow.
  if (b == 0.0) { return 1.0; }
  if (a >= 0.0 || a != a) { return pow(a, b); }
  if (b != floor(b)) { return nan_(); }
  let m = pow(-a, b);
  return select(m, -m, abs(b % 2.0) == 1.0);
}
fn mod_(a: f32, b: f32) -> f32 { let r = a - b * trunc(a / b); return select(r, r + b, r != 0.0 && ((r < 0.0) != (b < 0.0))); }
fn idiv_(a: i32, b: i32) -> i32 { if (b == 0) { return 0; } let q = a / b; return select(q, q - 1, (a % b != 0) && ((a < 0) != (b < 0))); }
fn imod_(a: i32, b: i32) -> i32 { if (b == 0) { return 0; } let r = a % b; return select(r, r + b, r != 0 && ((r < 0) != (b < 0))); }
fn ipow_(a: i32, b: i32) -> i32 { if (b < 0) { return select(0, select(-1, 1, b % 2 == 0), a == 1 || a == -1) * select(1, 0, a == 0); } var r = 1; var base = a; var e = b; loop { if (e == 0) { break; } if ((e & 1) == 1) { r = r * base; } base = base * base; e = e >> 1u; } return r; }
`;

function compareExpression(op: CompareOp): string {
  switch (op) {
    case 'equal': return 'a == b';
    case 'notEqual': return 'a != b';
    case 'less': return 'a < b';
    case 'lessEqual': return 'a <= b';
    case 'greater': return 'a > b';
    case 'greaterEqual': return 'a >= b';
    case 'logicalAnd': return '(a != zero) && (b != zero)';
    case 'logicalOr': return '(a != zero) || (b != zero)';
  }
}

type Access = 'same' | 'scalar' | 'strided';

/** Per-axis element strides of `shape` read as `outShape` (0 on broadcast axes), right-aligned. */
function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const axis = outShape.length - shape.length + i;
    strides[axis] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

/**
 * Builds a broadcasting kernel over inputs read as `outShape`. Uniform words: 0 count, 1 rank, 2.. dims,
 * then each strided input's strides (MAX_RANK words each). `body` sees the inputs' values by name.
 */
function broadcastDispatch(
  exec: GpuExecutor, name: string, out: number, outShape: Shape,
  inputs: { id: number; shape: Shape; name: string; type: 'f32' | 'i32' }[], outType: 'f32' | 'i32', body: string, helpers = '',
): void {
  const size = sizeOf(outShape);
  exec.create(out, size);
  if (outShape.length > MAX_RANK) throw new Error(`webgpu backend: ${name} supports up to rank ${MAX_RANK}, got [${outShape.join(', ')}]`);
  const words = new Words().u(size, outShape.length);
  const dims = [...outShape, ...new Array(MAX_RANK - outShape.length).fill(1)];
  words.u(...dims);
  // A (valid) broadcast input with as many elements as the output has the output's layout.
  const access: Access[] = inputs.map((input) =>
    sizeOf(input.shape) === size ? 'same' : sizeOf(input.shape) === 1 ? 'scalar' : 'strided');
  const reads: string[] = [];
  let next = 2 + MAX_RANK;
  inputs.forEach((input, k) => {
    if (access[k] === 'same') reads.push(`  let ${input.name} = ${input.name.toUpperCase()}[i];`);
    else if (access[k] === 'scalar') reads.push(`  let ${input.name} = ${input.name.toUpperCase()}[0];`);
    else {
      const strides = broadcastStrides(input.shape, outShape);
      words.u(...strides, ...new Array(MAX_RANK - strides.length).fill(0));
      reads.push(`  let ${input.name} = ${input.name.toUpperCase()}[offset(i, ${next}u)];`);
      next += MAX_RANK;
    }
  });
  const offsetFn = `
fn offset(flat: u32, strideWord: u32) -> u32 {
  var rest = flat; var at = 0u;
  for (var axis = i32(u(1u)) - 1; axis >= 0; axis--) {
    let dim = u(2u + u32(axis));
    at += (rest % dim) * u(strideWord + u32(axis));
    rest /= dim;
  }
  return at;
}`;
  const head = header(inputs.map((input) => [input.name.toUpperCase(), input.type] as const), [['OUT', outType]]);
  const wg = exec.workgroupSize;
  exec.dispatch({
    name, code: elementwiseKernel(head, wg, 0, `${reads.join('\n')}\n${body}`, `${helpers}${offsetFn}`),
    inputs: inputs.map((input) => input.id), outputs: [out], uniforms: words, workgroups: exec.grid(Math.ceil(size / wg)),
  });
}

export function binary(exec: GpuExecutor, [out]: number[], op: BinaryOp, a: number, aShape: Shape, b: number, bShape: Shape, outShape: Shape, dtype: DType): void {
  const type = elementType(dtype);
  const expression = type === 'f32' ? floatBinary(op) : intBinary(op);
  if (!expression) throw new Error(`webgpu backend: binary '${op}' is not defined for ${dtype}`);
  broadcastDispatch(exec, `binary ${op}`, out, outShape, [{ id: a, shape: aShape, name: 'a', type }, { id: b, shape: bShape, name: 'b', type }],
    type, `  OUT[i] = ${expression};`, BINARY_HELPERS);
}

export function compare(exec: GpuExecutor, [out]: number[], op: CompareOp, a: number, aShape: Shape, b: number, bShape: Shape, outShape: Shape, dtype: DType): void {
  const type = elementType(dtype);
  broadcastDispatch(exec, `compare ${op}`, out, outShape, [{ id: a, shape: aShape, name: 'a', type }, { id: b, shape: bShape, name: 'b', type }],
    'i32', `  let zero = ${type}(0);\n  OUT[i] = select(0, 1, ${compareExpression(op)});`);
}

export function where(exec: GpuExecutor, [out]: number[], cond: number, condShape: Shape, a: number, aShape: Shape, b: number, bShape: Shape, outShape: Shape, dtype: DType): void {
  const type = elementType(dtype);
  broadcastDispatch(exec, 'where', out, outShape, [
    { id: cond, shape: condShape, name: 'c', type: 'i32' }, { id: a, shape: aShape, name: 'a', type }, { id: b, shape: bShape, name: 'b', type },
  ], type, '  OUT[i] = select(b, a, c != 0);');
}

/** Converts like tfjs: float → int32 truncates toward zero (NaN → 0), anything → bool is x ≠ 0 (NaN → true). */
export function cast(exec: GpuExecutor, [out]: number[], x: number, size: number, from: DType, to: DType): void {
  exec.create(out, size);
  const fromType = elementType(from);
  const toType = elementType(to);
  let expression: string;
  if (to === 'bool') expression = fromType === 'f32' ? 'select(1, 0, x == 0.0)' : 'select(1, 0, x == 0)';
  else if (fromType === toType) expression = 'x';
  else if (toType === 'i32') expression = 'toInt32_(x)';
  else expression = 'f32(x)';
  const helpers = `
fn toInt32_(x: f32) -> i32 {
  // ToInt32: NaN and infinities → 0, otherwise truncate and wrap modulo 2^32 (an f32 this large is an integer).
  if (x != x || abs(x) > 3.4e38) { return 0; }
  if (abs(x) < 2147483648.0) { return i32(x); }
  let m = x - 4294967296.0 * floor(x / 4294967296.0);
  return bitcast<i32>(u32(m));
}`;
  const wg = exec.workgroupSize;
  exec.dispatch({
    name: `cast ${from}→${to}`,
    code: elementwiseKernel(header([['X', fromType]], [['Y', toType]]), wg, 0, `  let x = X[i];\n  Y[i] = ${expression};`, helpers),
    inputs: [x], outputs: [out], uniforms: new Words().u(size), workgroups: exec.grid(Math.ceil(size / wg)),
  });
}

/** ops/dropout.ts's counter-based keep-mask, bit for bit: u32 arithmetic wraps as Math.imul does. */
export function dropoutMask(exec: GpuExecutor, [out]: number[], size: number, key0: number, key1: number, rate: number, scale: number): void {
  exec.create(out, size);
  const wg = exec.workgroupSize;
  const helpers = `fn mix32_(v: u32) -> u32 {
  var x = v;
  x ^= x >> 16u; x *= 0x7feb352du; x ^= x >> 15u; x *= 0x846ca68bu;
  return x ^ (x >> 16u);
}`;
  const body = `  let uniform = f32(mix32_(mix32_(i ^ u(1u)) ^ u(2u)) >> 8u) * (1.0 / 16777216.0);
  Y[i] = select(0.0, f(4u), uniform >= f(3u));`;
  exec.dispatch({
    name: 'dropoutMask', code: elementwiseKernel(header([], [['Y', 'f32']]), wg, 0, body, helpers),
    inputs: [], outputs: [out], uniforms: new Words().u(size, key0 >>> 0, key1 >>> 0).f(rate).f(scale), workgroups: exec.grid(Math.ceil(size / wg)),
  });
}

/** Every element `value` (stored bits: float32 as f32, int32 truncated, bool 0/1). */
export function fill(exec: GpuExecutor, [out]: number[], size: number, value: number, dtype: DType): void {
  exec.create(out, size);
  const words = new Words().u(size);
  if (dtype === 'float32') words.f(value);
  else words.i(dtype === 'bool' ? (value !== 0 ? 1 : 0) : value | 0);
  const wg = exec.workgroupSize;
  exec.dispatch({
    name: 'fill', code: elementwiseKernel(header([], [['Y', 'i32']]), wg, 0, '  Y[i] = s(1u);'),
    inputs: [], outputs: [out], uniforms: words, workgroups: exec.grid(Math.ceil(size / wg)),
  });
}
