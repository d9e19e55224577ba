// Convolution, pooling and batch normalization (NHWC, float32).
// conv2d and its two backprops are implicit GEMMs (conv-gemm.ts) whose operands are gathered on the fly:
//   conv2d:         [N·OH·OW, OC] = im2col(x) [N·OH·OW, KH·KW·C] · filter [KH·KW·C, OC]  (+ bias, activation)
//   backprop filter [KH·KW·C, OC] = im2col(x)ᵀ · dy [N·OH·OW, OC]
//   backprop input: one GEMM per stride phase (ih mod strideH, iw mod strideW): the input pixels of a phase
//     all receive from the same taps kh ≡ … (an arithmetic progression), so its GEMM runs over only those
//     taps × OC: dx [pixels, C] = dy-gather [pixels, taps·OC] · filterᵀ [taps·OC, C].
// Depthwise convolutions and pooling are per-element gathers; depthwise backprop filter reduces over
// N·OH·OW with one workgroup per filter element.
import type { Conv2DInfo, FusedActivation } from '../../backend.js';
import { Words, type GpuExecutor } from '../executor.js';
import { elementwiseKernel, header } from '../wgsl.js';
import { INFO_LETS, convInfoWords, runImplicitGemm, type ImplicitGemm } from './conv-gemm.js';
import { activationWgsl } from './matmul.js';

/** im2col(pix, k): x at output pixel pix (of N·OH·OW) and filter row k = (kh·KW + kw)·C + c, zero in the padding. */
const IM2COL = `
fn im2col(pix: u32, k: u32) -> f32 {
  ${INFO_LETS}
  let ow = pix % OW_; let t = pix / OW_; let oh = t % OH_; let b = t / OH_;
  let c = k % C_; let tap = k / C_; let kw = tap % KW_; let kh = tap / KW_;
  let ih = i32(oh * SH_ + kh * DH_) - PT_;
  let iw = i32(ow * SW_ + kw * DW_) - PL_;
  if (ih < 0 || iw < 0 || ih >= i32(H_) || iw >= i32(W_)) { return 0.0; }
  return X[((b * H_ + u32(ih)) * W_ + u32(iw)) * C_ + c];
}`;

/** WGSL: `body` once per in-bounds tap of output pixel (oh, ow), with kh, kw and the input row/column ih, iw (i32). */
function forEachTap(body: string): string {
  return `for (var kh = 0u; kh < KH_; kh++) {
  let ih = i32(oh * SH_ + kh * DH_) - PT_;
  if (ih < 0 || ih >= i32(H_)) { continue; }
  for (var kw = 0u; kw < KW_; kw++) {
    let iw = i32(ow * SW_ + kw * DW_) - PL_;
    if (iw < 0 || iw >= i32(W_)) { continue; }
    ${body}
  }
}`;
}

/** WGSL: `body` once per output pixel (oh, ow) whose window holds input pixel (ih, iw) at tap (kh, kw). */
function forEachWindowHolding(body: string): string {
  return `for (var kh = 0u; kh < KH_; kh++) {
    let th = i32(ih) + PT_ - i32(kh * DH_);
    if (th < 0 || u32(th) % SH_ != 0u) { continue; }
    let oh = u32(th) / SH_;
    if (oh >= OH_) { continue; }
    for (var kw = 0u; kw < KW_; kw++) {
      let tw = i32(iw) + PL_ - i32(kw * DW_);
      if (tw < 0 || u32(tw) % SW_ != 0u) { continue; }
      let ow = u32(tw) / SW_;
      if (ow >= OW_) { continue; }
      ${body}
    }
  }`;
}

/** WGSL lets splitting the flat index i of an NHWC output or input element (C_ channels) into its coordinates. */
const OUTPUT_PIXEL_OF_I = 'let c = i % C_; let pix = i / C_; let ow = pix % OW_; let t = pix / OW_; let oh = t % OH_; let b = t / OH_;';
const INPUT_PIXEL_OF_I = 'let c = i % C_; let p = i / C_; let iw = p % W_; let t = p / W_; let ih = t % H_; let b = t / H_;';

export function conv2d(exec: GpuExecutor, [out]: number[], x: number, filter: number, info: Conv2DInfo,
  bias: number | undefined, activation: FusedActivation): void {
  const pixels = info.batch * info.outHeight * info.outWidth;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  exec.create(out, pixels * info.outChannels);
  const inputs: [string, 'f32'][] = [['X', 'f32'], ['F', 'f32']];
  if (bias !== undefined) inputs.push(['BIAS', 'f32']);
  const g: ImplicitGemm = {
    name: 'conv2d', inputs, outputs: [['Y', 'f32']], helpers: IM2COL,
    loadA: 'return im2col(row, kk);',
    loadB: 'return F[kk * OC_ + col];',
    store: `var x = v; ${bias !== undefined ? 'x += BIAS[col];' : ''}
  Y[row * OC_ + col] = ${activationWgsl(activation ?? 'linear', 'x')};`,
  };
  runImplicitGemm(exec, g, info, bias !== undefined ? [x, filter, bias] : [x, filter], [out], pixels, info.outChannels, k);
}

export function conv2dBackpropFilter(exec: GpuExecutor, [out]: number[], x: number, dy: number, info: Conv2DInfo): void {
  const pixels = info.batch * info.outHeight * info.outWidth;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  exec.create(out, k * info.outChannels);
  const g: ImplicitGemm = {
    name: 'conv2dBackpropFilter', inputs: [['X', 'f32'], ['DY', 'f32']], outputs: [['DF', 'f32']], helpers: IM2COL,
    loadA: 'return im2col(kk, row);',
    loadB: 'return DY[kk * OC_ + col];',
    store: 'DF[row * OC_ + col] = v;',
  };
  runImplicitGemm(exec, g, info, [x, dy], [out], k, info.outChannels, pixels);
}

/** The filter offsets of one axis that reach input positions ≡ r (mod stride): first, step, count. */
function phaseTaps(r: number, pad: number, stride: number, dilation: number, filter: number): [number, number, number] {
  const taps: number[] = [];
  for (let t = 0; t < filter; t++) if ((((r + pad - t * dilation) % stride) + stride) % stride === 0) taps.push(t);
  return [taps[0] ?? 0, taps.length > 1 ? taps[1] - taps[0] : 1, taps.length];
}

// Extra words: 18 Hc, 19 Wc, 20 ih0, 21 iw0, 22 kh0, 23 khStep, 24 nKh, 25 kw0, 26 kwStep, 27 nKw.
const PHASE_LETS = `let Hc = u(18u); let Wc = u(19u); let ih0 = u(20u); let iw0 = u(21u);
  let kh0 = u(22u); let khStep = u(23u); let kw0 = u(25u); let kwStep = u(26u); let nKw = u(27u);`;

export function conv2dBackpropInput(exec: GpuExecutor, [out]: number[], dy: number, filter: number, info: Conv2DInfo): void {
  const { batch, inHeight: H, inWidth: W, inChannels: C, outChannels: OC } = info;
  exec.create(out, batch * H * W * C);
  const g: ImplicitGemm = {
    name: 'conv2dBackpropInput', inputs: [['DY', 'f32'], ['F', 'f32']], outputs: [['DX', 'f32']],
    loadA: `${PHASE_LETS}
  let j = row % Wc; let t = row / Wc; let i = t % Hc; let b = t / Hc;
  let oc = kk % OC_; let tap = kk / OC_;
  let kh = kh0 + (tap / nKw) * khStep; let kw = kw0 + (tap % nKw) * kwStep;
  let th = i32(ih0 + i * SH_) + PT_ - i32(kh * DH_);
  let tw = i32(iw0 + j * SW_) + PL_ - i32(kw * DW_);
  if (th < 0 || tw < 0) { return 0.0; }
  let oh = u32(th) / SH_; let ow = u32(tw) / SW_;
  if (oh >= OH_ || ow >= OW_) { return 0.0; }
  return DY[((b * OH_ + oh) * OW_ + ow) * OC_ + oc];`,
    loadB: `${PHASE_LETS}
  let oc = kk % OC_; let tap = kk / OC_;
  let kh = kh0 + (tap / nKw) * khStep; let kw = kw0 + (tap % nKw) * kwStep;
  return F[((kh * KW_ + kw) * C_ + col) * OC_ + oc];`,
    store: `${PHASE_LETS}
  let j = row % Wc; let t = row / Wc; let i = t % Hc; let b = t / Hc;
  DX[((b * H_ + ih0 + i * SH_) * W_ + iw0 + j * SW_) * C_ + col] = v;`,
  };
  for (let rh = 0; rh < Math.min(info.strideHeight, H); rh++) {
    const hc = Math.ceil((H - rh) / info.strideHeight);
    const [kh0, khStep, nKh] = phaseTaps(rh, info.padTop, info.strideHeight, info.dilationHeight, info.filterHeight);
    for (let rw = 0; rw < Math.min(info.strideWidth, W); rw++) {
      const wc = Math.ceil((W - rw) / info.strideWidth);
      const [kw0, kwStep, nKw] = phaseTaps(rw, info.padLeft, info.strideWidth, info.dilationWidth, info.filterWidth);
      // A phase no tap reaches still runs (K = 0) so its pixels get zeros.
      runImplicitGemm(exec, g, info, [dy, filter], [out], batch * hc * wc, C, nKh * nKw * OC,
        [hc, wc, rh, rw, kh0, khStep, nKh, kw0, kwStep, Math.max(nKw, 1)]);
    }
  }
}

// --- depthwise ------------------------------------------------------------------------------------------
// Word 15: the element count of the kernel's output.

export function depthwiseConv2d(exec: GpuExecutor, [out]: number[], x: number, filter: number, info: Conv2DInfo): void {
  const size = info.batch * info.outHeight * info.outWidth * info.outChannels;
  exec.create(out, size);
  const wg = exec.workgroupSize;
  const body = `  ${INFO_LETS}
  let M_ = OC_ / C_;
  let o = i % OC_; let pix = i / OC_; let c = o / M_;
  let ow = pix % OW_; let t = pix / OW_; let oh = t % OH_; let b = t / OH_;
  var sum = 0.0;
  ${forEachTap('sum = fma(X[((b * H_ + u32(ih)) * W_ + u32(iw)) * C_ + c], F[(kh * KW_ + kw) * OC_ + o], sum);')}
  Y[i] = sum;`;
  exec.dispatch({
    name: 'depthwiseConv2d', code: elementwiseKernel(header([['X', 'f32'], ['F', 'f32']], [['Y', 'f32']]), wg, 15, body),
    inputs: [x, filter], outputs: [out], uniforms: convInfoWords(info).u(size), workgroups: exec.grid(Math.ceil(size / wg)),
  });
}

export function depthwiseConv2dBackpropInput(exec: GpuExecutor, [out]: number[], dy: number, filter: number, info: Conv2DInfo): void {
  const size = info.batch * info.inHeight * info.inWidth * info.inChannels;
  exec.create(out, size);
  const wg = exec.workgroupSize;
  const body = `  ${INFO_LETS}
  let M_ = OC_ / C_;
  ${INPUT_PIXEL_OF_I}
  var sum = 0.0;
  ${forEachWindowHolding(`let yAt = ((b * OH_ + oh) * OW_ + ow) * OC_ + c * M_;
      let fAt = (kh * KW_ + kw) * OC_ + c * M_;
      for (var m = 0u; m < M_; m++) { sum = fma(DY[yAt + m], F[fAt + m], sum); }`)}
  DX[i] = sum;`;
  exec.dispatch({
    name: 'depthwiseConv2dBackpropInput', code: elementwiseKernel(header([['DY', 'f32'], ['F', 'f32']], [['DX', 'f32']]), wg, 15, body),
    inputs: [dy, filter], outputs: [out], uniforms: convInfoWords(info).u(size), workgroups: exec.grid(Math.ceil(size / wg)),
  });
}

const REDUCE_THREADS = 64;

export function depthwiseConv2dBackpropFilter(exec: GpuExecutor, [out]: number[], x: number, dy: number, info: Conv2DInfo): void {
  const size = info.filterHeight * info.filterWidth * info.outChannels;
  exec.create(out, size);
  const threads = Math.min(REDUCE_THREADS, exec.workgroupSize);
  const code = `${header([['X', 'f32'], ['DY', 'f32']], [['DF', 'f32']])}
var<workgroup> partial: array<f32, ${threads}>;
@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  ${INFO_LETS}
  let M_ = OC_ / C_;
  let e = group.x + group.y * groups.x;
  let valid = e < u(15u);
  let o = e % OC_; let tap = e / OC_; let c = o / M_;
  let kw = tap % KW_; let kh = tap / KW_;
  let pixels = N_ * OH_ * OW_;
  var sum = 0.0;
  if (valid) {
    for (var pix = li; pix < pixels; pix += ${threads}u) {
      let ow = pix % OW_; let t = pix / OW_; let oh = t % OH_; let b = t / OH_;
      let ih = i32(oh * SH_ + kh * DH_) - PT_;
      let iw = i32(ow * SW_ + kw * DW_) - PL_;
      if (ih < 0 || iw < 0 || ih >= i32(H_) || iw >= i32(W_)) { continue; }
      sum = fma(X[((b * H_ + u32(ih)) * W_ + u32(iw)) * C_ + c], DY[pix * OC_ + o], sum);
    }
  }
  partial[li] = sum;
  workgroupBarrier();
  for (var half = ${threads / 2}u; half > 0u; half = half / 2u) {
    if (li < half) { partial[li] = partial[li] + partial[li + half]; }
    workgroupBarrier();
  }
  if (li == 0u && valid) { DF[e] = partial[0]; }
}`;
  exec.dispatch({
    name: 'depthwiseConv2dBackpropFilter', code, inputs: [x, dy], outputs: [out], uniforms: convInfoWords(info).u(size),
    workgroups: exec.grid(size),
  });
}

// --- pooling ----------------------------------------------------------------------------------------------

const POOL_HELPERS = `
fn isnan_(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
/** The x index of the first maximum (a NaN wins) of window (b, oh, ow) channel c; 0xffffffff when empty. */
fn argmax_(b: u32, oh: u32, ow: u32, c: u32) -> u32 {
  ${INFO_LETS}
  var best = 0xffffffffu; var bestValue = 0.0;
  ${forEachTap(`let at = ((b * H_ + u32(ih)) * W_ + u32(iw)) * C_ + c;
    let v = X[at];
    if (isnan_(v)) { return at; }
    if (best == 0xffffffffu || v > bestValue) { best = at; bestValue = v; }`)}
  return best;
}
/** In-bounds taps of window (oh, ow). */
fn count_(oh: u32, ow: u32) -> u32 {
  ${INFO_LETS}
  var rows = 0u; var cols = 0u;
  for (var kh = 0u; kh < KH_; kh++) { let ih = i32(oh * SH_ + kh * DH_) - PT_; if (ih >= 0 && ih < i32(H_)) { rows++; } }
  for (var kw = 0u; kw < KW_; kw++) { let iw = i32(ow * SW_ + kw * DW_) - PL_; if (iw >= 0 && iw < i32(W_)) { cols++; } }
  return rows * cols;
}`;

export function pool2d(exec: GpuExecutor, [out]: number[], x: number, info: Conv2DInfo, mode: 'max' | 'avg'): void {
  const size = info.batch * info.outHeight * info.outWidth * info.inChannels;
  exec.create(out, size);
  const wg = exec.workgroupSize;
  const body = mode === 'max' ? `  ${INFO_LETS}
  ${OUTPUT_PIXEL_OF_I}
  let at = argmax_(b, oh, ow, c);
  Y[i] = select(X[min(at, arrayLength(&X) - 1u)], -inf_(), at == 0xffffffffu);` : `  ${INFO_LETS}
  ${OUTPUT_PIXEL_OF_I}
  var sum = 0.0; var count = 0u;
  ${forEachTap(`sum += X[((b * H_ + u32(ih)) * W_ + u32(iw)) * C_ + c];
    count++;`)}
  Y[i] = select(sum / f32(count), 0.0, count == 0u);`;
  exec.dispatch({
    name: `pool2d ${mode}`, code: elementwiseKernel(header([['X', 'f32']], [['Y', 'f32']]), wg, 15, body, POOL_HELPERS),
    inputs: [x], outputs: [out], uniforms: convInfoWords(info).u(size), workgroups: exec.grid(Math.ceil(size / wg)),
  });
}

/** dx element i gathers from every window that holds it (no atomics: each window's first maximum is recomputed). */
export function pool2dBackprop(exec: GpuExecutor, [out]: number[], dy: number, x: number, info: Conv2DInfo, mode: 'max' | 'avg'): void {
  const size = info.batch * info.inHeight * info.inWidth * info.inChannels;
  exec.create(out, size);
  const wg = exec.workgroupSize;
  const contribution = mode === 'max'
    ? 'if (argmax_(b, oh, ow, c) == i) { sum += DY[yAt]; }'
    : 'sum += DY[yAt] / f32(count_(oh, ow));';
  const body = `  ${INFO_LETS}
  ${INPUT_PIXEL_OF_I}
  var sum = 0.0;
  ${forEachWindowHolding(`let yAt = ((b * OH_ + oh) * OW_ + ow) * C_ + c;
      ${contribution}`)}
  DX[i] = sum;`;
  exec.dispatch({
    name: `pool2dBackprop ${mode}`,
    code: elementwiseKernel(header([['DY', 'f32'], ['X', 'f32']], [['DX', 'f32']]), wg, 15, body, POOL_HELPERS),
    inputs: [dy, x], outputs: [out], uniforms: convInfoWords(info).u(size), workgroups: exec.grid(Math.ceil(size / wg)),
  });
}

// --- batch normalization ----------------------------------------------------------------------------------

export function batchNorm(exec: GpuExecutor, [out]: number[], x: number, rows: number, channels: number, mean: number, variance: number,
  offset: number | undefined, scale: number | undefined, epsilon: number): void {
  const size = rows * channels;
  exec.create(out, size);
  const inputs: [string, 'f32'][] = [['X', 'f32'], ['MEAN', 'f32'], ['VAR', 'f32']];
  const ids = [x, mean, variance];
  if (offset !== undefined) { inputs.push(['OFFSET', 'f32']); ids.push(offset); }
  if (scale !== undefined) { inputs.push(['SCALE', 'f32']); ids.push(scale); }
  const wg = exec.workgroupSize;
  const body = `  let c = i % u(1u);
  let factor = ${scale !== undefined ? 'SCALE[c]' : '1.0'} / sqrt(VAR[c] + f(2u));
  Y[i] = (X[i] - MEAN[c]) * factor${offset !== undefined ? ' + OFFSET[c]' : ''};`;
  exec.dispatch({
    name: 'batchNorm', code: elementwiseKernel(header(inputs, [['Y', 'f32']]), wg, 0, body),
    inputs: ids, outputs: [out], uniforms: new Words().u(size, channels).f(epsilon), workgroups: exec.grid(Math.ceil(size / wg)),
  });
}
