// Reductions over the middle axis of x viewed as [outer, reduce, inner] → [outer, inner], row softmax /
// log-softmax and its backward, and the fused softmax cross-entropy. Semantics follow the wasm backend:
//   float32: sum/prod/max/min/logSumExp in f32 (max/min propagate NaN; logSumExp of a non-finite max is that
//     max), any/all test x ≠ 0 and write 0.0/1.0; argMax/argMin write int32, first index on ties, a NaN never
//     wins unless it is the first element (tfjs-cpu's strict scan).
//   int32/bool: sum/prod/max/min in wrapping i32, logSumExp computed in f32 and truncated; any/all write 0/1.
//   Empty reductions never get here (ops/reduce.ts fills them with the identities).
// Long reductions run one workgroup per output (a strided pass per invocation, then a tree in workgroup
// memory); short ones, or many wide-inner columns, run one invocation per output (reads coalesce over inner).
import type { DType, ReduceOp } from '../../backend.js';
import { Words, type GpuExecutor } from '../executor.js';
import { UNIFORM_BYTES, elementType, elementwiseKernel, header, type ElementType } from '../wgsl.js';
import { fill } from './elementwise.js';

/** Reductions at most this long run one invocation per output. */
const SHORT_REDUCTION = 32;
/** With this many outputs over an inner axis at least MIN_WIDE_INNER wide, one invocation per output. */
const MANY_OUTPUTS = 4096;
const MIN_WIDE_INNER = 32;

/** max and min that propagate NaN (WGSL's may not). */
const NAN_HELPERS = `
fn maxNaN_(a: f32, b: f32) -> f32 { if (a != a) { return a; } if (b != b) { return b; } return max(a, b); }
fn minNaN_(a: f32, b: f32) -> f32 { if (a != a) { return a; } if (b != b) { return b; } return min(a, b); }
`;

/** The largest power of two ≤ the executor's workgroup size, and ≤ the next power of two of `n` (≥ 32). */
export function groupSize(exec: GpuExecutor, n: number): number {
  let max = 1;
  while (max * 2 <= exec.workgroupSize) max *= 2;
  let want = 32;
  while (want < n && want < max) want *= 2;
  return Math.min(want, max);
}

/** The output dtype of a reduction (as the wasm backend stores it). */
function outputDtype(op: ReduceOp, dtype: DType): DType {
  if (op === 'argMax' || op === 'argMin') return 'int32';
  return dtype;
}

/**
 * WGSL of one reduction's accumulator: struct Acc, identity_(), lift_(x, r), combine_(a, b), finish_(a).
 * Acc.v is the value (f32 or i32), Acc.s logSumExp's running Σ exp(x - v), Acc.i the arg ops' index (-1: none).
 */
function accumulator(op: ReduceOp, xType: ElementType, outType: ElementType): string {
  const float = xType === 'f32';
  let valueType: ElementType = xType;
  let identity: string;
  let lift = 'Acc(x, 0.0, r)';
  let combine: string;
  let finish: string;
  const isnan = float ? 'fn isnan_(x: f32) -> bool { return x != x; }' : 'fn isnan_(x: i32) -> bool { return false; }';
  switch (op) {
    case 'sum':
      identity = `Acc(${xType}(0), 0.0, 0)`; combine = 'return Acc(a.v + b.v, 0.0, 0);'; finish = 'a.v'; break;
    case 'prod':
      identity = `Acc(${xType}(1), 0.0, 0)`; combine = 'return Acc(a.v * b.v, 0.0, 0);'; finish = 'a.v'; break;
    case 'max':
      identity = float ? 'Acc(-inf_(), 0.0, 0)' : 'Acc(i32(-2147483647) - 1, 0.0, 0)';
      combine = float ? 'return Acc(maxNaN_(a.v, b.v), 0.0, 0);' : 'return Acc(max(a.v, b.v), 0.0, 0);';
      finish = 'a.v'; break;
    case 'min':
      identity = float ? 'Acc(inf_(), 0.0, 0)' : 'Acc(2147483647, 0.0, 0)';
      combine = float ? 'return Acc(minNaN_(a.v, b.v), 0.0, 0);' : 'return Acc(min(a.v, b.v), 0.0, 0);';
      finish = 'a.v'; break;
    case 'argMax': case 'argMin': {
      const better = op === 'argMax' ? 'a.v > b.v' : 'a.v < b.v';
      identity = `Acc(${xType}(0), 0.0, -1)`;
      // a NaN at index 0 wins; any other NaN loses; ties go to the smaller index.
      combine = `
  if (b.i < 0) { return a; }
  if (a.i < 0) { return b; }
  if (a.i == 0 && isnan_(a.v)) { return a; }
  if (b.i == 0 && isnan_(b.v)) { return b; }
  if (isnan_(a.v)) { return b; }
  if (isnan_(b.v)) { return a; }
  if (${better}) { return a; }
  if (a.v == b.v && a.i < b.i) { return a; }
  return b;`;
      finish = 'a.i';
      break;
    }
    case 'logSumExp': {
      valueType = 'f32';
      lift = 'Acc(f32(x), 1.0, 0)';
      identity = 'Acc(-inf_(), 0.0, 0)';
      // Online merge of (max, Σ exp(x - max)); a side with nothing (s = 0) or a -inf max adds nothing.
      combine = `
  let m = maxNaN_(a.v, b.v);
  if (m != m || abs(m) == inf_()) { return Acc(m, a.s + b.s, 0); }
  let sa = select(a.s * exp(a.v - m), 0.0, a.s == 0.0 || a.v == -inf_());
  let sb = select(b.s * exp(b.v - m), 0.0, b.s == 0.0 || b.v == -inf_());
  return Acc(m, sa + sb, 0);`;
      const value = 'select(a.v, a.v + log(a.s), abs(a.v) < inf_())';
      finish = outType === 'f32' ? value : `toInt32_(${value})`;
      break;
    }
    case 'any': case 'all':
      valueType = 'i32';
      lift = float ? 'Acc(select(0, 1, x != 0.0), 0.0, 0)' : 'Acc(select(0, 1, x != 0), 0.0, 0)';
      identity = op === 'any' ? 'Acc(0, 0.0, 0)' : 'Acc(1, 0.0, 0)';
      combine = op === 'any' ? 'return Acc(max(a.v, b.v), 0.0, 0);' : 'return Acc(min(a.v, b.v), 0.0, 0);';
      finish = outType === 'f32' ? 'f32(a.v)' : 'a.v';
      break;
  }
  return `${NAN_HELPERS}
${isnan}
fn toInt32_(x: f32) -> i32 { if (x != x || abs(x) >= 2147483648.0) { return 0; } return i32(x); }
struct Acc { v: ${valueType}, s: f32, i: i32 }
fn identity_() -> Acc { return ${identity}; }
fn lift_(x: ${xType}, r: i32) -> Acc { return ${lift}; }
fn combine_(a: Acc, b: Acc) -> Acc {${combine.startsWith('\n') ? combine : ` ${combine}`}
}
fn finish_(a: Acc) -> ${outType} { return ${outType}(${finish}); }`;
}

export function reduce(exec: GpuExecutor, [out]: number[], op: ReduceOp, x: number, outer: number, reduceSize: number, inner: number, dtype: DType): void {
  const outDtype = outputDtype(op, dtype);
  const outputs = outer * inner;
  if (outputs === 0) { exec.create(out, 0); return; }
  const xType = elementType(dtype);
  const outType = elementType(outDtype);
  const acc = accumulator(op, xType, outType);
  const head = header([['X', xType]], [['OUT', outType]]);
  exec.create(out, outputs);
  // Uniform words: 0 outer, 1 reduceSize, 2 inner, 3 outputs.
  const words = new Words().u(outer, reduceSize, inner, outputs);
  if (reduceSize <= SHORT_REDUCTION || (inner >= MIN_WIDE_INNER && outputs >= MANY_OUTPUTS)) {
    const wg = exec.workgroupSize;
    const body = `
  let n = u(1u); let inner = u(2u);
  let base = (i / inner) * n * inner + i % inner;
  var acc = identity_();
  for (var r = 0u; r < n; r++) { acc = combine_(acc, lift_(X[base + r * inner], i32(r))); }
  OUT[i] = finish_(acc);`;
    exec.dispatch({
      name: `reduce ${op}`, code: elementwiseKernel(head, wg, 3, body, acc),
      inputs: [x], outputs: [out], uniforms: words, workgroups: exec.grid(Math.ceil(outputs / wg)),
    });
    return;
  }
  const wg = groupSize(exec, reduceSize);
  const code = `${head}
${acc}
var<workgroup> part: array<Acc, ${wg}>;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let o = group.x + group.y * groups.x;
  if (o >= u(3u)) { return; }
  let n = u(1u); let inner = u(2u);
  let base = (o / inner) * n * inner + o % inner;
  var acc = identity_();
  for (var r = li; r < n; r += ${wg}u) { acc = combine_(acc, lift_(X[base + r * inner], i32(r))); }
  part[li] = acc;
  workgroupBarrier();
  for (var stride = ${wg / 2}u; stride > 0u; stride >>= 1u) {
    if (li < stride) { part[li] = combine_(part[li], part[li + stride]); }
    workgroupBarrier();
  }
  if (li == 0u) { OUT[o] = finish_(part[0]); }
}`;
  exec.dispatch({ name: `reduce ${op}`, code, inputs: [x], outputs: [out], uniforms: words, workgroups: exec.grid(outputs) });
}

/**
 * A row kernel: one workgroup per row of `cols` (uniform words 0 rows, 1 cols), with workgroup helpers
 * rowMax_(v) (NaN-propagating) and rowSum_(v: vec4<f32>) over the workgroup's invocations. `body` sees
 * row, cols, base (= row·cols) and li.
 */
function rowKernel(head: string, wg: number, body: string): string {
  return `${head}
${NAN_HELPERS}
var<workgroup> red: array<vec4<f32>, ${wg}>;
fn rowMax_(li: u32, v: f32) -> f32 {
  red[li].x = v;
  workgroupBarrier();
  for (var stride = ${wg / 2}u; stride > 0u; stride >>= 1u) {
    if (li < stride) { red[li].x = maxNaN_(red[li].x, red[li + stride].x); }
    workgroupBarrier();
  }
  let m = red[0].x;
  workgroupBarrier();
  return m;
}
fn rowSum_(li: u32, v: vec4<f32>) -> vec4<f32> {
  red[li] = v;
  workgroupBarrier();
  for (var stride = ${wg / 2}u; stride > 0u; stride >>= 1u) {
    if (li < stride) { red[li] = red[li] + red[li + stride]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}
${rowMain(wg, body)}`;
}

/** `main` of a one-workgroup-per-row kernel (uniform words 0 rows, 1 cols): `body` sees row, cols, base, li. */
export function rowMain(wg: number, body: string): string {
  return `@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = group.x + group.y * groups.x;
  if (row >= u(0u)) { return; }
  let cols = u(1u);
  let base = row * cols;
${body}
}`;
}

export function softmax(exec: GpuExecutor, [out]: number[], x: number, rows: number, cols: number, log: boolean): void {
  exec.create(out, rows * cols);
  if (rows * cols === 0) return;
  const wg = groupSize(exec, cols);
  const write = log ? 'Y[base + c] = (X[base + c] - m) - logSum;' : 'Y[base + c] = exp(X[base + c] - m) / total;';
  const body = `
  var m = -inf_();
  for (var c = li; c < cols; c += ${wg}u) { m = maxNaN_(m, X[base + c]); }
  m = rowMax_(li, m);
  var s = 0.0;
  for (var c = li; c < cols; c += ${wg}u) { s += exp(X[base + c] - m); }
  let total = rowSum_(li, vec4<f32>(s, 0.0, 0.0, 0.0)).x;
  let logSum = log(total);
  for (var c = li; c < cols; c += ${wg}u) { ${write} }`;
  exec.dispatch({
    name: log ? 'logSoftmax' : 'softmax', code: rowKernel(header([['X', 'f32']], [['Y', 'f32']]), wg, body),
    inputs: [x], outputs: [out], uniforms: new Words().u(rows, cols), workgroups: exec.grid(rows),
  });
}

export function softmaxGrad(exec: GpuExecutor, [out]: number[], y: number, dy: number, rows: number, cols: number, log: boolean): void {
  exec.create(out, rows * cols);
  if (rows * cols === 0) return;
  const wg = groupSize(exec, cols);
  const term = log ? 'DY[base + c]' : 'DY[base + c] * Y[base + c]';
  const write = log ? 'DX[base + c] = DY[base + c] - exp(Y[base + c]) * dot;' : 'DX[base + c] = Y[base + c] * (DY[base + c] - dot);';
  const body = `
  var s = 0.0;
  for (var c = li; c < cols; c += ${wg}u) { s += ${term}; }
  let dot = rowSum_(li, vec4<f32>(s, 0.0, 0.0, 0.0)).x;
  for (var c = li; c < cols; c += ${wg}u) { ${write} }`;
  exec.dispatch({
    name: log ? 'logSoftmaxGrad' : 'softmaxGrad', code: rowKernel(header([['Y', 'f32'], ['DY', 'f32']], [['DX', 'f32']]), wg, body),
    inputs: [y, dy], outputs: [out], uniforms: new Words().u(rows, cols), workgroups: exec.grid(rows),
  });
}

/**
 * Per row: m = max(x), probs = exp(x - m) / Σ exp(x - m), and loss = log Σ exp(x - m) · Σ labels - Σ labels · (x - m)
 * (= -Σ labels · log_softmax(x), with the row max cancelled out). A row of no columns has loss 0.
 */
export function softmaxCrossEntropy(exec: GpuExecutor, [loss, probs]: number[], logits: number, labels: number, rows: number, cols: number): void {
  exec.create(probs, rows * cols);
  if (rows === 0) { exec.create(loss, 0); return; }
  if (cols === 0) { fill(exec, [loss], rows, 0, 'float32'); return; }
  exec.create(loss, rows);
  const wg = groupSize(exec, cols);
  const body = `
  var m = -inf_();
  for (var c = li; c < cols; c += ${wg}u) { m = maxNaN_(m, X[base + c]); }
  m = rowMax_(li, m);
  var sums = vec4<f32>(0.0);
  for (var c = li; c < cols; c += ${wg}u) {
    let shifted = X[base + c] - m;
    let label = L[base + c];
    sums += vec4<f32>(exp(shifted), label, label * shifted, 0.0);
  }
  let total = rowSum_(li, sums);
  if (li == 0u) { LOSS[row] = log(total.x) * total.y - total.z; }
  for (var c = li; c < cols; c += ${wg}u) { P[base + c] = exp(X[base + c] - m) / total.x; }`;
  exec.dispatch({
    name: 'softmaxCrossEntropy',
    code: rowKernel(header([['X', 'f32'], ['L', 'f32']], [['LOSS', 'f32'], ['P', 'f32']]), wg, body),
    inputs: [logits, labels], outputs: [loss, probs], uniforms: new Words().u(rows, cols), workgroups: exec.grid(rows),
  });
}
