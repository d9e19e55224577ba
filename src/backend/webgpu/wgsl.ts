// WGSL shared by the kernels: the binding header every kernel starts with, uniform accessors, and the
// element types of sinew's dtypes. Every dtype is stored in 4 bytes: float32 as f32, int32 as i32, bool
// as i32 0/1 (as the wasm backend stores them), so a buffer's bytes never depend on its dtype.
import type { DType } from '../backend.js';

/** Bytes of the uniform block each dispatch gets (64 words, one minUniformBufferOffsetAlignment). */
export const UNIFORM_BYTES = 256;

export type ElementType = 'f32' | 'i32';
export const elementType = (dtype: DType): ElementType => (dtype === 'float32' ? 'f32' : 'i32');

/**
 * The declarations a kernel starts with: read-only storage arrays for its inputs, read-write ones for its
 * outputs (bindings in that order), the uniform block U, and the accessors u(i) (u32), s(i) (i32), f(i) (f32)
 * of its i-th word. `atomic` outputs are declared array<atomic<i32>>.
 */
export function header(inputs: readonly (readonly [string, ElementType])[], outputs: readonly (readonly [string, ElementType | 'atomic'])[]): string {
  const lines: string[] = [];
  let binding = 0;
  for (const [name, type] of inputs) lines.push(`@group(0) @binding(${binding++}) var<storage, read> ${name}: array<${type}>;`);
  for (const [name, type] of outputs) {
    const element = type === 'atomic' ? 'atomic<i32>' : type;
    lines.push(`@group(0) @binding(${binding++}) var<storage, read_write> ${name}: array<${element}>;`);
  }
  lines.push(`@group(0) @binding(${binding}) var<uniform> U: array<vec4<u32>, ${UNIFORM_BYTES / 16}>;`);
  lines.push('fn u(i: u32) -> u32 { return U[i / 4u][i % 4u]; }');
  lines.push('fn s(i: u32) -> i32 { return bitcast<i32>(U[i / 4u][i % 4u]); }');
  lines.push('fn f(i: u32) -> f32 { return bitcast<f32>(U[i / 4u][i % 4u]); }');
  // WGSL rejects NaN and infinite constants; reading a uniform word keeps these run-time values.
  lines.push(`fn nan_() -> f32 { return bitcast<f32>(0x7fc00000u | (U[${UNIFORM_BYTES / 16 - 1}][3] & 0u)); }`);
  lines.push(`fn inf_() -> f32 { return bitcast<f32>(0x7f800000u | (U[${UNIFORM_BYTES / 16 - 1}][3] & 0u)); }`);
  return lines.join('\n');
}

/**
 * A 1-D kernel over `count` items (count read from uniform word `countWord`): `body` runs once per index
 * `i` < count. Dispatch it with GpuExecutor.grid(ceil(count / workgroupSize)).
 */
export function elementwiseKernel(head: string, workgroupSize: number, countWord: number, body: string, helpers = ''): string {
  return `${head}
${helpers}
@compute @workgroup_size(${workgroupSize})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * ${workgroupSize}u;
  if (i >= u(${countWord}u)) { return; }
${body}
}`;
}

/** Numerically careful float helpers shared by the activation kernels. */
export const MATH_HELPERS = `
fn sigmoid_(x: f32) -> f32 { if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); } let e = exp(x); return e / (1.0 + e); }
fn tanh_(x: f32) -> f32 { let c = clamp(x, -15.0, 15.0); let e = exp(2.0 * c); return (e - 1.0) / (e + 1.0); }
fn erf_(x: f32) -> f32 {
  // A Taylor series near 0 (an absolute-error approximation would be a large relative error there), then
  // the Chebyshev-fitted erfc of Numerical Recipes (relative error < 1.2e-7).
  let a = abs(x);
  if (a < 0.5) {
    let x2 = x * x;
    return x * (1.1283791670955126 + x2 * (-0.3761263890318375 + x2 * (0.11283791670955126 + x2 * (-0.02686617064513125 + x2 * 0.005223977625442188))));
  }
  let t = 1.0 / (1.0 + 0.5 * a);
  let y = t * exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807
    + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(y - 1.0, 1.0 - y, x >= 0.0);
}
fn softplus_(x: f32) -> f32 { return max(x, 0.0) + log(1.0 + exp(-abs(x))); }
fn gelu_(x: f32) -> f32 { return 0.5 * x * (1.0 + erf_(x * 0.7071067811865476)); }
fn expm1_(x: f32) -> f32 { if (abs(x) < 1e-3) { return x + 0.5 * x * x + x * x * x / 6.0; } return exp(x) - 1.0; }
fn log1p_(x: f32) -> f32 { let w = 1.0 + x; if (w == 1.0) { return x; } return log(w) * x / (w - 1.0); }
`;
