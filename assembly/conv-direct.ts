// Direct filter gradient for convolutions with few input channels (an image model's first layer: C = 1
// or 3). There the im2col GEMM reduces over long, thin patches (K = KH·KW·C of 9 to 27); these loops keep
// a block of output channels of dFilter in f32x4 registers while streaming x and dy instead.
//
// Shapes (NHWC): x [N, H, W, C]; dFilter [KH, KW, C, OC]; dy [N, OH, OW, OC].
// Units of start/end: blocks of 4 output channels (the last may be partial), so threads write disjoint
// columns of dFilter and need no reduction.
import { madd } from './vmath';
import { endTap, firstTap } from './window';

// @ts-ignore: decorator
@inline function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** Output channels kept in registers per pass: 4 vectors. */
const GROUP: i32 = 16;

/**
 * dFilter = Σ over every output pixel of x's patch ⊗ dy, for output channels [4·start, min(4·end, OC)).
 * For one output row and one filter tap the pixels that tap reads form a contiguous run of ow, so the
 * loop over that run keeps a block of dFilter in registers and streams x and dy.
 */
export function conv2dDirectBackpropFilter(
  x: usize, dy: usize, dFilter: usize, batch: i32, inHeight: i32, inWidth: i32, channels: i32, outHeight: i32,
  outWidth: i32, filterHeight: i32, filterWidth: i32, strideHeight: i32, strideWidth: i32, dilationHeight: i32,
  dilationWidth: i32, padTop: i32, padLeft: i32, outChannels: i32, start: i32, end: i32,
): void {
  const ocStart = start * 4, ocEnd = min(end * 4, outChannels);
  const patch = filterHeight * filterWidth * channels;
  for (let k = 0; k < patch; k++) {
    for (let oc = ocStart; oc < ocEnd; oc++) store<f32>(at(dFilter, k * outChannels + oc), 0);
  }
  const xStep = <usize>(strideWidth * channels) << 2;
  const dyStep = <usize>outChannels << 2;
  for (let row = 0; row < batch * outHeight; row++) {
    const b = row / outHeight, oh = row % outHeight;
    const rowOrigin = oh * strideHeight - padTop;
    const khFirst = firstTap(rowOrigin, dilationHeight);
    const khEnd = endTap(rowOrigin, dilationHeight, inHeight, filterHeight);
    const dyRow = at(dy, row * outWidth * outChannels);
    for (let kh = khFirst; kh < khEnd; kh++) {
      const xRow = (b * inHeight + rowOrigin + kh * dilationHeight) * inWidth;
      for (let kw = 0; kw < filterWidth; kw++) {
        // ow whose column ow·sw + kw·dw − padLeft lies in [0, W).
        const offset = kw * dilationWidth - padLeft;
        const owFirst = offset >= 0 ? 0 : (strideWidth - 1 - offset) / strideWidth;
        const owEnd = min(outWidth, inWidth - offset <= 0 ? 0 : (inWidth - offset + strideWidth - 1) / strideWidth);
        if (owEnd <= owFirst) continue;
        const xFirst = at(x, (xRow + owFirst * strideWidth + offset) * channels);
        const dyFirst = dyRow + (<usize>(owFirst * outChannels) << 2);
        for (let c = 0; c < channels; c++) {
          const grad = at(dFilter, ((kh * filterWidth + kw) * channels + c) * outChannels);
          accumulateTapColumn(xFirst + (<usize>c << 2), dyFirst, grad, owEnd - owFirst, xStep, dyStep, ocStart, ocEnd);
        }
      }
    }
  }
}

/** grad[oc] += Σ_i x[i·xStep] · dy[i·dyStep + oc] for oc in [ocStart, ocEnd), over `count` pixels. */
// @ts-ignore: decorator
@inline function accumulateTapColumn(
  x: usize, dy: usize, grad: usize, count: i32, xStep: usize, dyStep: usize, ocStart: i32, ocEnd: i32,
): void {
  let oc = ocStart;
  for (; oc + GROUP <= ocEnd; oc += GROUP) {
    const g = at(grad, oc);
    let acc0 = v128.load(g), acc1 = v128.load(g, 16), acc2 = v128.load(g, 32), acc3 = v128.load(g, 48);
    let xp = x, dp = at(dy, oc);
    for (let i = 0; i < count; i++, xp += xStep, dp += dyStep) {
      const xv = v128.load32_splat(xp);
      acc0 = madd(xv, v128.load(dp), acc0);
      acc1 = madd(xv, v128.load(dp, 16), acc1);
      acc2 = madd(xv, v128.load(dp, 32), acc2);
      acc3 = madd(xv, v128.load(dp, 48), acc3);
    }
    v128.store(g, acc0);
    v128.store(g, acc1, 16);
    v128.store(g, acc2, 32);
    v128.store(g, acc3, 48);
  }
  for (; oc + 4 <= ocEnd; oc += 4) {
    const g = at(grad, oc);
    let acc = v128.load(g);
    let xp = x, dp = at(dy, oc);
    for (let i = 0; i < count; i++, xp += xStep, dp += dyStep) acc = madd(v128.load32_splat(xp), v128.load(dp), acc);
    v128.store(g, acc);
  }
  for (; oc < ocEnd; oc++) {
    let acc = load<f32>(at(grad, oc));
    let xp = x, dp = at(dy, oc);
    for (let i = 0; i < count; i++, xp += xStep, dp += dyStep) acc += load<f32>(xp) * load<f32>(dp);
    store<f32>(at(grad, oc), acc);
  }
}
