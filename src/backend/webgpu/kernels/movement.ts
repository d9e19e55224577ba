// Data movement: transpose, strided slice, concat, pad, tile, gather / scatterAdd, oneHot. Every dtype is
// stored in 4 bytes, so the kernels copy i32 bits whatever the dtype (only scatterAdd does arithmetic, on
// float32). Shapes and strides travel as uniform words; the rank is baked into the WGSL, so each rank gets
// its own (cached) pipeline with unrolled index loops. Axes of size 1 are dropped and mergeable axes merged
// before a kernel is chosen, so most calls run at a low rank.
import type { DType, Shape } from '../../backend.js';
import { rowMajorStrides, sizeOf } from '../../shape.js';
import { Words, type GpuExecutor } from '../executor.js';
import { elementwiseKernel, header } from '../wgsl.js';

/** The uniform word of a constant (pad value, oneHot on/off values) stored as dtype. */
function valueWord(words: Words, value: number, dtype: DType): Words {
  if (dtype === 'float32') return words.f(value);
  return words.i(dtype === 'bool' ? (value !== 0 ? 1 : 0) : value | 0);
}

function launch(exec: GpuExecutor, name: string, count: number, code: (wg: number) => string, inputs: number[], outputs: number[], words: Words): void {
  if (count === 0) return;
  const wg = exec.workgroupSize;
  exec.dispatch({ name, code: code(wg), inputs, outputs, uniforms: words, workgroups: exec.grid(Math.ceil(count / wg)) });
}

function checkWords(name: string, rank: number, perAxis: number, fixed: number): void {
  if (fixed + perAxis * rank > 64) throw new Error(`webgpu backend: ${name} of rank ${rank} needs more than 64 uniform words`);
}

// --- strided gather: out[i] = x[base + Σ index_d · stride_d] (transpose, stridedSlice) -----------------

/**
 * Drops output axes of size 1 and merges axis d into d+1 where stride[d] = stride[d+1]·dim[d+1] (they then
 * walk memory as one axis).
 */
function simplifyStrided(outShape: Shape, strides: readonly number[]): { dims: number[]; steps: number[] } {
  const dims: number[] = [];
  const steps: number[] = [];
  for (let d = 0; d < outShape.length; d++) {
    if (outShape[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && steps[last] === strides[d] * outShape[d]) {
      dims[last] *= outShape[d];
      steps[last] = strides[d];
    } else {
      dims.push(outShape[d]);
      steps.push(strides[d]);
    }
  }
  return { dims, steps };
}

/** Uniform words: 0 count, 1 base, 2.. dims, then strides (i32). */
function stridedGatherSource(rank: number, wg: number): string {
  const body: string[] = ['  var rem = i;', '  var at = s(1u);'];
  for (let d = rank - 1; d >= 0; d--) {
    body.push(`  { let dim = u(${2 + d}u); at += i32(rem % dim) * s(${2 + rank + d}u); rem = rem / dim; }`);
  }
  body.push('  Y[i] = X[at];');
  return elementwiseKernel(header([['X', 'i32']], [['Y', 'i32']]), wg, 0, body.join('\n'));
}

function stridedGather(exec: GpuExecutor, name: string, out: number, x: number, outShape: Shape, strides: readonly number[], base: number): void {
  const count = sizeOf(outShape);
  exec.create(out, count);
  if (count === 0) return;
  const { dims, steps } = simplifyStrided(outShape, strides);
  // A contiguous read (rank 0, or one axis of stride 1) is a buffer copy.
  if (dims.length === 0 || (dims.length === 1 && steps[0] === 1)) {
    exec.copy(x, base, out, 0, count);
    return;
  }
  const rank = dims.length;
  checkWords(name, rank, 2, 2);
  const words = new Words().u(count).i(base).u(...dims).i(...steps);
  launch(exec, name, count, (wg) => stridedGatherSource(rank, wg), [x], [out], words);
}

/** out axis d is input axis perm[d]: outShape[d] = shape[perm[d]]. */
export function transpose(exec: GpuExecutor, [out]: number[], x: number, shape: Shape, perm: readonly number[], _dtype: DType): void {
  const inStrides = rowMajorStrides(shape);
  stridedGather(exec, 'transpose', out, x, perm.map((axis) => shape[axis]), perm.map((axis) => inStrides[axis]), 0);
}

/** out[i0, i1, …] = x[begin[0] + i0·strides[0], …]; strides may be negative. */
export function stridedSlice(
  exec: GpuExecutor, [out]: number[], x: number, shape: Shape, begin: readonly number[], strides: readonly number[], outShape: Shape, _dtype: DType,
): void {
  const inStrides = rowMajorStrides(shape);
  if (sizeOf(outShape) === 0) { exec.create(out, 0); return; }
  let base = 0;
  for (let d = 0; d < shape.length; d++) base += begin[d] * inStrides[d];
  stridedGather(exec, 'stridedSlice', out, x, outShape, inStrides.map((stride, d) => stride * strides[d]), base);
}

// --- concat ------------------------------------------------------------------------------------------

/** Uniform words: 0 count (outer·length), 1 length (the input's row), 2 output row length, 3 column offset. */
const CONCAT_BODY = '  let o = i / u(1u); let c = i % u(1u);\n  Y[o * u(2u) + u(3u) + c] = X[i];';

/** Each input viewed as [outer, axisSize_j · inner]; output row o is the inputs' rows o side by side. */
export function concat(exec: GpuExecutor, [out]: number[], xs: readonly number[], shapes: readonly Shape[], axis: number, _dtype: DType): void {
  const first = shapes[0];
  const outer = sizeOf(first.slice(0, axis));
  const inner = sizeOf(first.slice(axis + 1));
  const lengths = shapes.map((shape) => shape[axis] * inner);
  const rowLength = lengths.reduce((total, length) => total + length, 0);
  exec.create(out, outer * rowLength);
  let column = 0;
  for (let j = 0; j < xs.length; j++) {
    const length = lengths[j];
    if (length > 0 && outer > 0) {
      if (outer === 1 || length === rowLength) exec.copy(xs[j], 0, out, column, outer * length);
      else {
        launch(exec, 'concat', outer * length, (wg) => elementwiseKernel(header([['X', 'i32']], [['Y', 'i32']]), wg, 0, CONCAT_BODY),
          [xs[j]], [out], new Words().u(outer * length, length, rowLength, column));
      }
    }
    column += length;
  }
}

// --- pad and tile ------------------------------------------------------------------------------------

/** Merges runs of axes that are unpadded (and the axis before them) so pad sees a lower rank. */
function simplifyPad(shape: Shape, paddings: readonly (readonly [number, number])[]): { dims: number[]; before: number[]; after: number[] } {
  const dims: number[] = [];
  const before: number[] = [];
  const after: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    const [b, a] = paddings[d];
    if (shape[d] === 1 && b === 0 && a === 0) continue;
    const last = dims.length - 1;
    // An unpadded axis merges into the previous one: its rows stay contiguous in both layouts.
    if (last >= 0 && b === 0 && a === 0) {
      dims[last] *= shape[d];
      before[last] *= shape[d];
      after[last] *= shape[d];
    } else {
      dims.push(shape[d]);
      before.push(b);
      after.push(a);
    }
  }
  return { dims, before, after };
}

/** Uniform words: 0 count, 1 value bits, 2.. out dims, in dims, before (rank each). */
function padSource(rank: number, wg: number): string {
  const body: string[] = ['  var rem = i;', '  var at = 0u;', '  var stride = 1u;', '  var inside = true;'];
  for (let d = rank - 1; d >= 0; d--) {
    body.push(
      `  { let dim = u(${2 + d}u); let j = i32(rem % dim) - s(${2 + 2 * rank + d}u); rem = rem / dim;`,
      `    let n = u(${2 + rank + d}u); if (j < 0 || j >= i32(n)) { inside = false; } at += u32(max(j, 0)) * stride; stride *= n; }`,
    );
  }
  body.push('  if (inside) { Y[i] = X[at]; } else { Y[i] = s(1u); }');
  return elementwiseKernel(header([['X', 'i32']], [['Y', 'i32']]), wg, 0, body.join('\n'));
}

/** Constant padding; paddings[d] = [before, after], both ≥ 0. */
export function pad(
  exec: GpuExecutor, [out]: number[], x: number, shape: Shape, paddings: readonly (readonly [number, number])[], value: number, dtype: DType,
): void {
  const count = sizeOf(shape.map((dim, d) => paddings[d][0] + dim + paddings[d][1]));
  exec.create(out, count);
  if (count === 0) return;
  const { dims, before, after } = simplifyPad(shape, paddings);
  const rank = dims.length;
  checkWords('pad', rank, 3, 2);
  const words = valueWord(new Words().u(count), value, dtype).u(...dims.map((dim, d) => before[d] + dim + after[d]), ...dims).i(...before);
  launch(exec, 'pad', count, (wg) => padSource(rank, wg), [x], [out], words);
}

/** Uniform words: 0 count, 1.. out dims, in dims (rank each). */
function tileSource(rank: number, wg: number): string {
  const body: string[] = ['  var rem = i;', '  var at = 0u;', '  var stride = 1u;'];
  for (let d = rank - 1; d >= 0; d--) {
    body.push(`  { let dim = u(${1 + d}u); let n = u(${1 + rank + d}u); at += (rem % dim) % n * stride; rem = rem / dim; stride *= n; }`);
  }
  body.push('  Y[i] = X[at];');
  return elementwiseKernel(header([['X', 'i32']], [['Y', 'i32']]), wg, 0, body.join('\n'));
}

/** out[i0, …] = x[i0 mod shape[0], …]; outShape[d] = shape[d]·reps[d]. */
export function tile(exec: GpuExecutor, [out]: number[], x: number, shape: Shape, reps: readonly number[], _dtype: DType): void {
  const count = sizeOf(shape) * sizeOf(reps);
  exec.create(out, count);
  if (count === 0) return;
  // Drop axes of size 1 that are not repeated; merge an unrepeated axis into the one before it (output index
  // m of the merged axis reads m mod (dim·n), which is what the two axes read).
  const dims: number[] = [];
  const outDims: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1 && reps[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && reps[d] === 1) {
      dims[last] *= shape[d];
      outDims[last] *= shape[d];
    } else {
      dims.push(shape[d]);
      outDims.push(shape[d] * reps[d]);
    }
  }
  if (dims.length === 0 || (dims.length === 1 && outDims[0] === dims[0])) {
    exec.copy(x, 0, out, 0, count);
    return;
  }
  const rank = dims.length;
  checkWords('tile', rank, 2, 1);
  launch(exec, 'tile', count, (wg) => tileSource(rank, wg), [x], [out], new Words().u(count, ...outDims, ...dims));
}

// --- gather, scatterAdd, oneHot ----------------------------------------------------------------------

/** Uniform words: 0 count, 1 axisSize, 2 inner, 3 numIndices. */
const GATHER_BODY = `  let inner = u(2u); let n = u(3u);
  let e = i % inner; let row = i / inner; let j = row % n; let o = row / n;
  let k = IDX[j];
  if (k < 0 || u32(k) >= u(1u)) { Y[i] = 0; return; }
  Y[i] = X[(o * u(1u) + u32(k)) * inner + e];`;

/** x: [outer, axisSize, inner], indices: [numIndices] → out: [outer, numIndices, inner]. */
export function gather(
  exec: GpuExecutor, [out]: number[], x: number, outer: number, axisSize: number, inner: number, indices: number, numIndices: number, _dtype: DType,
): void {
  const count = outer * numIndices * inner;
  exec.create(out, count);
  launch(exec, 'gather', count, (wg) => elementwiseKernel(header([['X', 'i32'], ['IDX', 'i32']], [['Y', 'i32']]), wg, 0, GATHER_BODY),
    [x, indices], [out], new Words().u(count, axisSize, inner, numIndices));
}

/**
 * Deterministic scatterAdd: one invocation per output element sums, in index order, the updates whose index
 * hits its row. Uniform words: 0 count, 1 axisSize, 2 inner, 3 numIndices.
 */
const SCATTER_GATHER_BODY = `  let axisSize = u(1u); let inner = u(2u); let n = u(3u);
  let e = i % inner; let row = i / inner; let a = i32(row % axisSize); let o = row / axisSize;
  var sum = 0.0;
  let base = o * n * inner + e;
  for (var j = 0u; j < n; j++) {
    if (IDX[j] == a) { sum += UPD[base + j * inner]; }
  }
  Y[i] = sum;`;

/**
 * Atomic scatterAdd for large problems: one invocation per update adds it with a compare-exchange loop on
 * the f32 bits (WGSL has no f32 atomics). Summation order, hence rounding, varies between runs.
 */
const SCATTER_ATOMIC_BODY = `  let axisSize = u(1u); let inner = u(2u); let n = u(3u);
  let e = i % inner; let row = i / inner; let j = row % n; let o = row / n;
  let k = IDX[j];
  if (k < 0 || u32(k) >= axisSize) { return; }
  let v = UPD[i];
  let t = (o * axisSize + u32(k)) * inner + e;
  var old = atomicLoad(&Y[t]);
  loop {
    let r = atomicCompareExchangeWeak(&Y[t], old, bitcast<i32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }`;

/** Output-side work (outputs × indices) up to which scatterAdd takes the deterministic kernel. */
const DETERMINISTIC_SCATTER_WORK = 2 ** 27;

/** updates: [outer, numIndices, inner] → out: [outer, axisSize, inner]; repeated indices accumulate. */
export function scatterAdd(
  exec: GpuExecutor, [out]: number[], updates: number, outer: number, axisSize: number, inner: number, indices: number, numIndices: number,
): void {
  const count = outer * axisSize * inner;
  exec.create(out, count);
  if (count === 0) return;
  const words = () => new Words().u(count, axisSize, inner, numIndices);
  if (count * numIndices <= DETERMINISTIC_SCATTER_WORK) {
    launch(exec, 'scatterAdd', count, (wg) => elementwiseKernel(header([['UPD', 'f32'], ['IDX', 'i32']], [['Y', 'f32']]), wg, 0, SCATTER_GATHER_BODY),
      [updates, indices], [out], words());
    return;
  }
  launch(exec, 'scatterAdd zero', count, (wg) => elementwiseKernel(header([], [['Y', 'i32']]), wg, 0, '  Y[i] = 0;'), [], [out], words());
  const updateCount = outer * numIndices * inner;
  const atomicWords = new Words().u(updateCount, axisSize, inner, numIndices);
  launch(exec, 'scatterAdd', updateCount,
    (wg) => elementwiseKernel(header([['UPD', 'f32'], ['IDX', 'i32']], [['Y', 'atomic']]), wg, 0, SCATTER_ATOMIC_BODY),
    [updates, indices], [out], atomicWords);
}

/** Uniform words: 0 count, 1 depth, 2 on bits, 3 off bits. */
const ONE_HOT_BODY = '  let depth = u(1u); let r = i / depth; let c = i32(i % depth);\n  Y[i] = select(s(3u), s(2u), IDX[r] == c);';

/** indices: [n] → out: [n, depth]; a row whose index is outside [0, depth) is all offValue. */
export function oneHot(
  exec: GpuExecutor, [out]: number[], indices: number, n: number, depth: number, onValue: number, offValue: number, dtype: DType,
): void {
  const count = n * depth;
  exec.create(out, count);
  const words = valueWord(valueWord(new Words().u(count, depth), onValue, dtype), offValue, dtype);
  launch(exec, 'oneHot', count, (wg) => elementwiseKernel(header([['IDX', 'i32']], [['Y', 'i32']]), wg, 0, ONE_HOT_BODY), [indices], [out], words);
}
