// Depthwise 2-D convolution and its backprops, direct f32x4 loops over the channel axis (NHWC keeps a
// pixel's channels contiguous, and the filter's [KH, KW, C, M] layout matches them).
//   x, dx:  [N, H, W, C]     filter, dFilter: [KH, KW, C, M]     y, dy: [N, OH, OW, C·M]
// Output channel c·M + m reads input channel c. M = 1 (the common case) runs the SIMD lanes over channels;
// M > 1 runs them over the multiplier, with the input value splatted.
// Units of start/end: forward: N·OH output rows; backprop input: N·H input rows (a gather: each thread
// writes only its own dx rows); backprop filter: KH·KW filter taps (each thread owns its dFilter rows).
import { madd } from './vmath';
import { adjointEndTap, adjointFirstTap, adjointTapStep, endTap, firstTap, outputOfTap } from './window';

// @ts-ignore: decorator
@inline function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

// @ts-ignore: decorator
@inline function horizontalSum(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** y = depthwise x ⋆ filter, rows [start, end) of the N·OH output rows. */
export function depthwiseConv2d(
  x: usize, filter: usize, y: usize, inHeight: i32, inWidth: i32, channels: i32, multiplier: i32,
  outHeight: i32, outWidth: i32, filterHeight: i32, filterWidth: i32, strideHeight: i32, strideWidth: i32,
  dilationHeight: i32, dilationWidth: i32, padTop: i32, padLeft: i32, start: i32, end: i32,
): void {
  const outChannels = channels * multiplier;
  for (let row = start; row < end; row++) {
    const b = row / outHeight, oh = row % outHeight;
    const rowOrigin = oh * strideHeight - padTop;
    const khFirst = firstTap(rowOrigin, dilationHeight);
    const khEnd = endTap(rowOrigin, dilationHeight, inHeight, filterHeight);
    for (let ow = 0; ow < outWidth; ow++) {
      const colOrigin = ow * strideWidth - padLeft;
      const kwFirst = firstTap(colOrigin, dilationWidth);
      const kwEnd = endTap(colOrigin, dilationWidth, inWidth, filterWidth);
      const yPixel = at(y, (row * outWidth + ow) * outChannels);
      if (multiplier == 1 && ow + 1 < outWidth && sameTaps(colOrigin + strideWidth, dilationWidth, inWidth, filterWidth, kwFirst, kwEnd)) {
        // Two neighbouring pixels with the same taps share every filter load.
        depthwisePair(x, filter, yPixel, b * inHeight + rowOrigin, colOrigin, khFirst, khEnd, kwFirst, kwEnd, inWidth,
          channels, filterWidth, strideWidth, dilationHeight, dilationWidth);
        for (let c = channels & ~3; c < channels; c++) {
          store<f32>(at(yPixel, c), depthwiseOne(x, filter, b, rowOrigin, colOrigin, khFirst, khEnd, kwFirst, kwEnd,
            inHeight, inWidth, channels, 1, c, 0, filterWidth, dilationHeight, dilationWidth));
          store<f32>(at(yPixel, channels + c), depthwiseOne(x, filter, b, rowOrigin, colOrigin + strideWidth, khFirst, khEnd,
            kwFirst, kwEnd, inHeight, inWidth, channels, 1, c, 0, filterWidth, dilationHeight, dilationWidth));
        }
        ow++;
      } else if (multiplier == 1) {
        let c = 0;
        for (; c + 8 <= channels; c += 8) {
          let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
          for (let kh = khFirst; kh < khEnd; kh++) {
            const xRow = (b * inHeight + rowOrigin + kh * dilationHeight) * inWidth;
            for (let kw = kwFirst; kw < kwEnd; kw++) {
              const xp = at(x, (xRow + colOrigin + kw * dilationWidth) * channels + c);
              const fp = at(filter, (kh * filterWidth + kw) * channels + c);
              acc0 = madd(v128.load(xp), v128.load(fp), acc0);
              acc1 = madd(v128.load(xp, 16), v128.load(fp, 16), acc1);
            }
          }
          v128.store(at(yPixel, c), acc0);
          v128.store(at(yPixel, c), acc1, 16);
        }
        for (; c + 4 <= channels; c += 4) {
          let acc = f32x4.splat(0);
          for (let kh = khFirst; kh < khEnd; kh++) {
            const xRow = (b * inHeight + rowOrigin + kh * dilationHeight) * inWidth;
            for (let kw = kwFirst; kw < kwEnd; kw++) {
              const xp = at(x, (xRow + colOrigin + kw * dilationWidth) * channels + c);
              acc = madd(v128.load(xp), v128.load(at(filter, (kh * filterWidth + kw) * channels + c)), acc);
            }
          }
          v128.store(at(yPixel, c), acc);
        }
        for (; c < channels; c++) {
          store<f32>(at(yPixel, c), depthwiseOne(x, filter, b, rowOrigin, colOrigin, khFirst, khEnd, kwFirst, kwEnd,
            inHeight, inWidth, channels, 1, c, 0, filterWidth, dilationHeight, dilationWidth));
        }
      } else {
        for (let c = 0; c < channels; c++) {
          let m = 0;
          for (; m + 4 <= multiplier; m += 4) {
            let acc = f32x4.splat(0);
            for (let kh = khFirst; kh < khEnd; kh++) {
              const xRow = (b * inHeight + rowOrigin + kh * dilationHeight) * inWidth;
              for (let kw = kwFirst; kw < kwEnd; kw++) {
                const value = f32x4.splat(load<f32>(at(x, (xRow + colOrigin + kw * dilationWidth) * channels + c)));
                acc = madd(value, v128.load(at(filter, (kh * filterWidth + kw) * outChannels + c * multiplier + m)), acc);
              }
            }
            v128.store(at(yPixel, c * multiplier + m), acc);
          }
          for (; m < multiplier; m++) {
            store<f32>(at(yPixel, c * multiplier + m), depthwiseOne(x, filter, b, rowOrigin, colOrigin, khFirst, khEnd,
              kwFirst, kwEnd, inHeight, inWidth, channels, multiplier, c, m, filterWidth, dilationHeight, dilationWidth));
          }
        }
      }
    }
  }
}

/** Whether a window at `origin` has exactly the in-bounds taps [kwFirst, kwEnd). */
// @ts-ignore: decorator
@inline function sameTaps(origin: i32, dilation: i32, size: i32, taps: i32, kwFirst: i32, kwEnd: i32): bool {
  return firstTap(origin, dilation) == kwFirst && endTap(origin, dilation, size, taps) == kwEnd;
}

/**
 * Output pixels ow and ow + 1 of one row (multiplier 1), whole blocks of 4 channels: both read the same filter
 * taps, so each filter vector is loaded once for two multiply-adds. xRowBase = b·H + rowOrigin.
 */
function depthwisePair(
  x: usize, filter: usize, yPixel: usize, xRowBase: i32, colOrigin: i32, khFirst: i32, khEnd: i32,
  kwFirst: i32, kwEnd: i32, inWidth: i32, channels: i32, filterWidth: i32, strideWidth: i32,
  dilationHeight: i32, dilationWidth: i32,
): void {
  const nextPixel = <usize>(strideWidth * channels) << 2;
  let c = 0;
  for (; c + 8 <= channels; c += 8) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), b0 = f32x4.splat(0), b1 = f32x4.splat(0);
    for (let kh = khFirst; kh < khEnd; kh++) {
      const xRow = (xRowBase + kh * dilationHeight) * inWidth;
      for (let kw = kwFirst; kw < kwEnd; kw++) {
        const xp = at(x, (xRow + colOrigin + kw * dilationWidth) * channels + c);
        const fp = at(filter, (kh * filterWidth + kw) * channels + c);
        const f0 = v128.load(fp), f1 = v128.load(fp, 16);
        a0 = madd(v128.load(xp), f0, a0);
        a1 = madd(v128.load(xp, 16), f1, a1);
        b0 = madd(v128.load(xp + nextPixel), f0, b0);
        b1 = madd(v128.load(xp + nextPixel, 16), f1, b1);
      }
    }
    v128.store(at(yPixel, c), a0);
    v128.store(at(yPixel, c), a1, 16);
    v128.store(at(yPixel, channels + c), b0);
    v128.store(at(yPixel, channels + c), b1, 16);
  }
  for (; c + 4 <= channels; c += 4) {
    let a0 = f32x4.splat(0), b0 = f32x4.splat(0);
    for (let kh = khFirst; kh < khEnd; kh++) {
      const xRow = (xRowBase + kh * dilationHeight) * inWidth;
      for (let kw = kwFirst; kw < kwEnd; kw++) {
        const xp = at(x, (xRow + colOrigin + kw * dilationWidth) * channels + c);
        const f0 = v128.load(at(filter, (kh * filterWidth + kw) * channels + c));
        a0 = madd(v128.load(xp), f0, a0);
        b0 = madd(v128.load(xp + nextPixel), f0, b0);
      }
    }
    v128.store(at(yPixel, c), a0);
    v128.store(at(yPixel, channels + c), b0);
  }
}

/** One output value, scalar: the tails of the SIMD loops. */
function depthwiseOne(
  x: usize, filter: usize, b: i32, rowOrigin: i32, colOrigin: i32, khFirst: i32, khEnd: i32, kwFirst: i32, kwEnd: i32,
  inHeight: i32, inWidth: i32, channels: i32, multiplier: i32, c: i32, m: i32, filterWidth: i32,
  dilationHeight: i32, dilationWidth: i32,
): f32 {
  let sum: f32 = 0;
  for (let kh = khFirst; kh < khEnd; kh++) {
    const xRow = (b * inHeight + rowOrigin + kh * dilationHeight) * inWidth;
    for (let kw = kwFirst; kw < kwEnd; kw++) {
      sum += load<f32>(at(x, (xRow + colOrigin + kw * dilationWidth) * channels + c))
        * load<f32>(at(filter, ((kh * filterWidth + kw) * channels + c) * multiplier + m));
    }
  }
  return sum;
}

/**
 * dx = Σ over the taps that read each input pixel of dy · filter, rows [start, end) of the N·H input rows.
 * A gather: every dx value is written once, by the thread that owns its row.
 */
export function depthwiseConv2dBackpropInput(
  dy: usize, filter: usize, dx: usize, inHeight: i32, inWidth: i32, channels: i32, multiplier: i32,
  outHeight: i32, outWidth: i32, filterHeight: i32, filterWidth: i32, strideHeight: i32, strideWidth: i32,
  dilationHeight: i32, dilationWidth: i32, padTop: i32, padLeft: i32, start: i32, end: i32,
): void {
  const outChannels = channels * multiplier;
  if (multiplier == 1) {
    depthwiseBackpropInputSingle(dy, filter, dx, inHeight, inWidth, channels, outHeight, outWidth, filterHeight,
      filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft, start, end);
    return;
  }
  for (let row = start; row < end; row++) {
    const b = row / inHeight, ih = row % inHeight;
    for (let iw = 0; iw < inWidth; iw++) {
      const dxPixel = at(dx, (row * inWidth + iw) * channels);
      // Zero first, then add each tap's contribution: the taps are few, the channels many.
      let c = 0;
      for (; c + 4 <= channels; c += 4) v128.store(at(dxPixel, c), f32x4.splat(0));
      for (; c < channels; c++) store<f32>(at(dxPixel, c), 0);
      for (let kh = 0; kh < filterHeight; kh++) {
        const oh = outputOfTap(ih, kh, dilationHeight, strideHeight, padTop, outHeight);
        if (oh < 0) continue;
        for (let kw = 0; kw < filterWidth; kw++) {
          const ow = outputOfTap(iw, kw, dilationWidth, strideWidth, padLeft, outWidth);
          if (ow < 0) continue;
          const dyPixel = at(dy, ((b * outHeight + oh) * outWidth + ow) * outChannels);
          const filterTap = at(filter, (kh * filterWidth + kw) * outChannels);
          if (multiplier == 1) {
            let c = 0;
            for (; c + 4 <= channels; c += 4) {
              const p = at(dxPixel, c);
              v128.store(p, madd(v128.load(at(dyPixel, c)), v128.load(at(filterTap, c)), v128.load(p)));
            }
            for (; c < channels; c++) {
              const p = at(dxPixel, c);
              store<f32>(p, load<f32>(p) + load<f32>(at(dyPixel, c)) * load<f32>(at(filterTap, c)));
            }
          } else {
            for (let c = 0; c < channels; c++) {
              const first = c * multiplier;
              let acc = f32x4.splat(0);
              let m = 0;
              for (; m + 4 <= multiplier; m += 4) acc = madd(v128.load(at(dyPixel, first + m)), v128.load(at(filterTap, first + m)), acc);
              let sum = horizontalSum(acc);
              for (; m < multiplier; m++) sum += load<f32>(at(dyPixel, first + m)) * load<f32>(at(filterTap, first + m));
              const p = at(dxPixel, c);
              store<f32>(p, load<f32>(p) + sum);
            }
          }
        }
      }
    }
  }
}

/**
 * dFilter[kh, kw] = Σ over batch and output pixels of x · dy, taps [start, end) of the KH·KW taps; each
 * thread accumulates into its own [C·M] rows of dFilter. One pass over dy per thread: every output pixel
 * feeds all of the thread's taps while its dy values sit in L1 (the dFilter rows stay there too).
 */
export function depthwiseConv2dBackpropFilter(
  x: usize, dy: usize, dFilter: usize, batch: i32, inHeight: i32, inWidth: i32, channels: i32, multiplier: i32,
  outHeight: i32, outWidth: i32, filterWidth: i32, strideHeight: i32, strideWidth: i32,
  dilationHeight: i32, dilationWidth: i32, padTop: i32, padLeft: i32, start: i32, end: i32,
): void {
  const outChannels = channels * multiplier;
  let z = start * outChannels;
  const zEnd = end * outChannels;
  for (; z + 4 <= zEnd; z += 4) v128.store(at(dFilter, z), f32x4.splat(0));
  for (; z < zEnd; z++) store<f32>(at(dFilter, z), 0);
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyPixel = at(dy, ((b * outHeight + oh) * outWidth + ow) * outChannels);
        for (let tap = start; tap < end; tap++) {
          const kh = tap / filterWidth, kw = tap - kh * filterWidth;
          const ih = oh * strideHeight - padTop + kh * dilationHeight;
          const iw = ow * strideWidth - padLeft + kw * dilationWidth;
          if (ih < 0 || ih >= inHeight || iw < 0 || iw >= inWidth) continue;
          accumulateTap(at(x, ((b * inHeight + ih) * inWidth + iw) * channels), dyPixel,
            at(dFilter, tap * outChannels), channels, multiplier);
        }
      }
    }
  }
}

/** grad[c·M + m] += x[c] · dy[c·M + m] for one (output pixel, tap) pair. */
// @ts-ignore: decorator
@inline function accumulateTap(xPixel: usize, dyPixel: usize, grad: usize, channels: i32, multiplier: i32): void {
  if (multiplier == 1) {
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const p = at(grad, c);
      v128.store(p, madd(v128.load(at(xPixel, c)), v128.load(at(dyPixel, c)), v128.load(p)));
    }
    for (; c < channels; c++) {
      const p = at(grad, c);
      store<f32>(p, load<f32>(p) + load<f32>(at(xPixel, c)) * load<f32>(at(dyPixel, c)));
    }
  } else {
    for (let c = 0; c < channels; c++) {
      const value = load<f32>(at(xPixel, c));
      const splatted = f32x4.splat(value);
      const first = c * multiplier;
      let m = 0;
      for (; m + 4 <= multiplier; m += 4) {
        const p = at(grad, first + m);
        v128.store(p, madd(splatted, v128.load(at(dyPixel, first + m)), v128.load(p)));
      }
      for (; m < multiplier; m++) {
        const p = at(grad, first + m);
        store<f32>(p, load<f32>(p) + value * load<f32>(at(dyPixel, first + m)));
      }
    }
  }
}

/**
 * Backprop input for multiplier 1: per dx pixel, each block of channels sums its taps in registers. The
 * taps that reach the pixel are walked as a progression (see window.ts), so the inner loops hold no division.
 */
function depthwiseBackpropInputSingle(
  dy: usize, filter: usize, dx: usize, inHeight: i32, inWidth: i32, channels: i32, outHeight: i32, outWidth: i32,
  filterHeight: i32, filterWidth: i32, strideHeight: i32, strideWidth: i32, dilationHeight: i32, dilationWidth: i32,
  padTop: i32, padLeft: i32, start: i32, end: i32,
): void {
  const khStep = adjointTapStep(dilationHeight, strideHeight), kwStep = adjointTapStep(dilationWidth, strideWidth);
  const ohFall = khStep * dilationHeight / strideHeight, owFall = kwStep * dilationWidth / strideWidth;
  for (let row = start; row < end; row++) {
    const b = row / inHeight, ih = row % inHeight;
    const khFirst = adjointFirstTap(ih, padTop, dilationHeight, strideHeight, outHeight, filterHeight, khStep);
    const khEnd = adjointEndTap(ih, padTop, dilationHeight, filterHeight);
    const ohFirst = (ih + padTop - khFirst * dilationHeight) / strideHeight;
    for (let iw = 0; iw < inWidth; iw++) {
      const kwFirst = adjointFirstTap(iw, padLeft, dilationWidth, strideWidth, outWidth, filterWidth, kwStep);
      const kwEnd = adjointEndTap(iw, padLeft, dilationWidth, filterWidth);
      const owFirst = (iw + padLeft - kwFirst * dilationWidth) / strideWidth;
      const dxPixel = at(dx, (row * inWidth + iw) * channels);
      let c = 0;
      for (; c + 8 <= channels; c += 8) {
        let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
        for (let kh = khFirst, oh = ohFirst; kh < khEnd; kh += khStep, oh -= ohFall) {
          const dyRow = (b * outHeight + oh) * outWidth;
          for (let kw = kwFirst, ow = owFirst; kw < kwEnd; kw += kwStep, ow -= owFall) {
            const dp = at(dy, (dyRow + ow) * channels + c);
            const fp = at(filter, (kh * filterWidth + kw) * channels + c);
            acc0 = madd(v128.load(dp), v128.load(fp), acc0);
            acc1 = madd(v128.load(dp, 16), v128.load(fp, 16), acc1);
          }
        }
        v128.store(at(dxPixel, c), acc0);
        v128.store(at(dxPixel, c), acc1, 16);
      }
      for (; c + 4 <= channels; c += 4) {
        let acc = f32x4.splat(0);
        for (let kh = khFirst, oh = ohFirst; kh < khEnd; kh += khStep, oh -= ohFall) {
          const dyRow = (b * outHeight + oh) * outWidth;
          for (let kw = kwFirst, ow = owFirst; kw < kwEnd; kw += kwStep, ow -= owFall) {
            acc = madd(v128.load(at(dy, (dyRow + ow) * channels + c)), v128.load(at(filter, (kh * filterWidth + kw) * channels + c)), acc);
          }
        }
        v128.store(at(dxPixel, c), acc);
      }
      for (; c < channels; c++) {
        let sum: f32 = 0;
        for (let kh = khFirst, oh = ohFirst; kh < khEnd; kh += khStep, oh -= ohFall) {
          const dyRow = (b * outHeight + oh) * outWidth;
          for (let kw = kwFirst, ow = owFirst; kw < kwEnd; kw += kwStep, ow -= owFall) {
            sum += load<f32>(at(dy, (dyRow + ow) * channels + c)) * load<f32>(at(filter, (kh * filterWidth + kw) * channels + c));
          }
        }
        store<f32>(at(dxPixel, c), sum);
      }
    }
  }
}
