// Layer normalization over the last axis, forward and backward (float32), as assembly/layernorm.ts:
//   x, y, dy, dx: [rows, cols]   gamma, beta, dgamma, dbeta: [cols] (each optional)   mean, rstd: [rows]
//   y = (x - mean)·rstd·gamma + beta,   rstd = 1/sqrt(var + epsilon), var the biased row variance
//   dx = rstd·(g - mean(g) - x̂·mean(g·x̂)) with x̂ = (x - mean)·rstd, g = dy·gamma;  dgamma = Σrows dy·x̂, dbeta = Σrows dy
// Row kernels run one workgroup per row with a tree in workgroup memory; the mean comes first and the
// variance from a second pass over x - mean (accurate when |mean| >> std). dgamma/dbeta are a column
// reduction: a workgroup per block of columns, its invocations splitting the rows.
import { Words, type GpuExecutor } from '../executor.js';
import { header } from '../wgsl.js';
import { fill } from './elementwise.js';
import { groupSize, rowMain } from './reduce.js';

/** Columns per workgroup of the dgamma/dbeta reduction: each row of the block is one 64-byte read. */
const COLUMN_BLOCK = 16;


/**
 * A kernel of one workgroup per row (uniform words 0 rows, 1 cols) with rowSum_(li, v), a vec2 sum over the
 * workgroup. The partial sums sit in scalar arrays: with one array of vec2 (or vec4), Dawn's GL backend on
 * Mesa's llvmpipe let the final load slip past the barrier that follows it, and invocations past the first 8
 * read the next reduction's partial sums (the mean came out wrong for rows longer than 8).
 */
function rowKernel(head: string, wg: number, body: string): string {
  return `${head}
var<workgroup> partialX: array<f32, ${wg}>;
var<workgroup> partialY: array<f32, ${wg}>;
fn rowSum_(li: u32, v: vec2<f32>) -> vec2<f32> {
  partialX[li] = v.x;
  partialY[li] = v.y;
  workgroupBarrier();
  for (var stride = ${wg / 2}u; stride > 0u; stride >>= 1u) {
    if (li < stride) { partialX[li] += partialX[li + stride]; partialY[li] += partialY[li + stride]; }
    workgroupBarrier();
  }
  let total = vec2<f32>(partialX[0], partialY[0]);
  workgroupBarrier();
  return total;
}
${rowMain(wg, body)}`;
}

export function layerNorm(exec: GpuExecutor, [y, mean, rstd]: number[], x: number, rows: number, cols: number,
  gamma: number | undefined, beta: number | undefined, epsilon: number): void {
  exec.create(y, rows * cols);
  if (rows === 0) { exec.create(mean, 0); exec.create(rstd, 0); return; }
  if (cols === 0) { fill(exec, [mean], rows, NaN, 'float32'); fill(exec, [rstd], rows, NaN, 'float32'); return; } // 0/0, as wasm
  const inputs: [string, 'f32'][] = [['X', 'f32']];
  const ids = [x];
  if (gamma !== undefined) { inputs.push(['GAMMA', 'f32']); ids.push(gamma); }
  if (beta !== undefined) { inputs.push(['BETA', 'f32']); ids.push(beta); }
  const wg = groupSize(exec, cols);
  const body = `
  var s = 0.0;
  for (var c = li; c < cols; c += ${wg}u) { s += X[base + c]; }
  let m = rowSum_(li, vec2<f32>(s, 0.0)).x / f32(cols);
  var squares = 0.0;
  for (var c = li; c < cols; c += ${wg}u) { let d = X[base + c] - m; squares += d * d; }
  let r = 1.0 / sqrt(rowSum_(li, vec2<f32>(squares, 0.0)).x / f32(cols) + f(2u));
  if (li == 0u) { MEAN[row] = m; RSTD[row] = r; }
  for (var c = li; c < cols; c += ${wg}u) {
    Y[base + c] = (X[base + c] - m) * r${gamma !== undefined ? ' * GAMMA[c]' : ''}${beta !== undefined ? ' + BETA[c]' : ''};
  }`;
  exec.create(mean, rows);
  exec.create(rstd, rows);
  exec.dispatch({
    name: 'layerNorm', code: rowKernel(header(inputs, [['Y', 'f32'], ['MEAN', 'f32'], ['RSTD', 'f32']]), wg, body),
    inputs: ids, outputs: [y, mean, rstd], uniforms: new Words().u(rows, cols).f(epsilon), workgroups: exec.grid(rows),
  });
}

export function layerNormGrad(exec: GpuExecutor, [dx, dgamma, dbeta]: number[], x: number, dy: number, mean: number, rstd: number,
  gamma: number | undefined, rows: number, cols: number, needs: { gamma: boolean; beta: boolean }): void {
  exec.create(dx, rows * cols);
  if (rows * cols > 0) inputGradient(exec, dx, x, dy, mean, rstd, gamma, rows, cols);
  if (needs.gamma || needs.beta) parameterGradients(exec, needs.gamma ? dgamma : undefined, needs.beta ? dbeta : undefined, x, dy, mean, rstd, rows, cols);
}

function inputGradient(exec: GpuExecutor, dx: number, x: number, dy: number, mean: number, rstd: number,
  gamma: number | undefined, rows: number, cols: number): void {
  const inputs: [string, 'f32'][] = [['X', 'f32'], ['DY', 'f32'], ['MEAN', 'f32'], ['RSTD', 'f32']];
  const ids = [x, dy, mean, rstd];
  if (gamma !== undefined) { inputs.push(['GAMMA', 'f32']); ids.push(gamma); }
  const wg = groupSize(exec, cols);
  const g = `DY[base + c]${gamma !== undefined ? ' * GAMMA[c]' : ''}`;
  const body = `
  let m = MEAN[row]; let r = RSTD[row];
  var sums = vec2<f32>(0.0);
  for (var c = li; c < cols; c += ${wg}u) { let g = ${g}; sums += vec2<f32>(g, g * (X[base + c] - m) * r); }
  let means = rowSum_(li, sums) / f32(cols);
  for (var c = li; c < cols; c += ${wg}u) { DX[base + c] = r * (${g} - means.x - (X[base + c] - m) * r * means.y); }`;
  exec.dispatch({
    name: 'layerNormGrad dx', code: rowKernel(header(inputs, [['DX', 'f32']]), wg, body),
    inputs: ids, outputs: [dx], uniforms: new Words().u(rows, cols), workgroups: exec.grid(rows),
  });
}

/** dgamma = Σrows dy·x̂ and dbeta = Σrows dy, whichever are given an id. */
function parameterGradients(exec: GpuExecutor, dgamma: number | undefined, dbeta: number | undefined, x: number, dy: number,
  mean: number, rstd: number, rows: number, cols: number): void {
  const outputs: [string, 'f32'][] = [];
  const ids: number[] = [];
  for (const [name, id] of [['DGAMMA', dgamma], ['DBETA', dbeta]] as const) {
    if (id === undefined) continue;
    exec.create(id, cols);
    outputs.push([name, 'f32']);
    ids.push(id);
  }
  if (cols === 0) return;
  const wg = Math.max(groupSize(exec, rows * COLUMN_BLOCK), 2 * COLUMN_BLOCK);
  const lanes = wg / COLUMN_BLOCK;
  const code = `${header([['X', 'f32'], ['DY', 'f32'], ['MEAN', 'f32'], ['RSTD', 'f32']], outputs)}
var<workgroup> partialGamma: array<f32, ${wg}>;
var<workgroup> partialBeta: array<f32, ${wg}>;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let block = group.x + group.y * groups.x;
  let rows = u(0u); let cols = u(1u);
  if (block * ${COLUMN_BLOCK}u >= cols) { return; }
  let col = block * ${COLUMN_BLOCK}u + li % ${COLUMN_BLOCK}u;
  let lane = li / ${COLUMN_BLOCK}u;
  var sumGamma = 0.0;
  var sumBeta = 0.0;
  if (col < cols) {
    for (var r = lane; r < rows; r += ${lanes}u) {
      let i = r * cols + col;
      sumGamma += DY[i] * (X[i] - MEAN[r]) * RSTD[r];
      sumBeta += DY[i];
    }
  }
  partialGamma[li] = sumGamma;
  partialBeta[li] = sumBeta;
  workgroupBarrier();
  for (var stride = ${lanes / 2}u; stride > 0u; stride >>= 1u) {
    if (lane < stride) {
      partialGamma[li] += partialGamma[li + stride * ${COLUMN_BLOCK}u];
      partialBeta[li] += partialBeta[li + stride * ${COLUMN_BLOCK}u];
    }
    workgroupBarrier();
  }
  if (lane == 0u && col < cols) {
    ${dgamma !== undefined ? 'DGAMMA[col] = partialGamma[li];' : ''}
    ${dbeta !== undefined ? 'DBETA[col] = partialBeta[li];' : ''}
  }
}`;
  exec.dispatch({
    name: 'layerNormGrad dgamma dbeta', code, inputs: [x, dy, mean, rstd], outputs: ids,
    uniforms: new Words().u(rows, cols), workgroups: exec.grid(Math.ceil(cols / COLUMN_BLOCK)),
  });
}
