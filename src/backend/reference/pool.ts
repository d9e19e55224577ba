// 2-D max / average pooling and their backprops, plain loops in float64: the oracle for the wasm kernels.
//   x, dx:  [N, H, W, C]    dy, y: [N, OH, OW, C]   (outChannels = inChannels)
// Window of output (oh, ow): input rows oh·strideHeight - padTop + kh·dilationHeight for kh < filterHeight
// (same for columns). Taps in the padding are skipped: they never win a max and do not count in an average
// (tfjs's forward rule). A NaN in a window makes its max NaN.
import type { Conv2DInfo } from '../backend.js';

/** The flat x index of every in-bounds tap of output pixel (b, oh, ow), channel 0. */
function windowTaps(info: Conv2DInfo, b: number, oh: number, ow: number): number[] {
  const taps: number[] = [];
  for (let kh = 0; kh < info.filterHeight; kh++) {
    const ih = oh * info.strideHeight - info.padTop + kh * info.dilationHeight;
    if (ih < 0 || ih >= info.inHeight) continue;
    for (let kw = 0; kw < info.filterWidth; kw++) {
      const iw = ow * info.strideWidth - info.padLeft + kw * info.dilationWidth;
      if (iw < 0 || iw >= info.inWidth) continue;
      taps.push(((b * info.inHeight + ih) * info.inWidth + iw) * info.inChannels);
    }
  }
  return taps;
}

/** Calls visit(taps, yBase) for every output pixel; yBase is the flat y index of its channel 0. */
function forEachWindow(info: Conv2DInfo, visit: (taps: number[], yBase: number) => void): void {
  for (let b = 0; b < info.batch; b++) {
    for (let oh = 0; oh < info.outHeight; oh++) {
      for (let ow = 0; ow < info.outWidth; ow++) {
        visit(windowTaps(info, b, oh, ow), ((b * info.outHeight + oh) * info.outWidth + ow) * info.inChannels);
      }
    }
  }
}

/** The tap (x index) holding the first maximum of channel c, or -1 for an empty window; NaN wins. */
function firstMaximum(x: Float64Array, taps: number[], c: number): number {
  let best = -1, bestValue = -Infinity;
  for (const tap of taps) {
    const value = x[tap + c];
    if (Number.isNaN(value)) return tap + c;
    if (best < 0 || value > bestValue) { best = tap + c; bestValue = value; }
  }
  return best;
}

/** y [N,OH,OW,C]: max or mean over each window's in-bounds taps (an empty window gives 0 for avg, -inf for max). */
export function pool2d(x: Float64Array, info: Conv2DInfo, mode: 'max' | 'avg'): Float64Array {
  const C = info.inChannels;
  const y = new Float64Array(info.batch * info.outHeight * info.outWidth * C);
  forEachWindow(info, (taps, yBase) => {
    for (let c = 0; c < C; c++) {
      if (mode === 'max') {
        const best = firstMaximum(x, taps, c);
        y[yBase + c] = best < 0 ? -Infinity : x[best];
      } else {
        let sum = 0;
        for (const tap of taps) sum += x[tap + c];
        y[yBase + c] = taps.length === 0 ? 0 : sum / taps.length;
      }
    }
  });
  return y;
}

/**
 * dx [N,H,W,C]: max sends each dy to its window's first maximum; avg spreads dy / (taps in the window) over
 * the window's in-bounds taps — the exact gradient of the forward above.
 */
export function pool2dBackprop(dy: Float64Array, x: Float64Array, info: Conv2DInfo, mode: 'max' | 'avg'): Float64Array {
  const C = info.inChannels;
  const dx = new Float64Array(info.batch * info.inHeight * info.inWidth * C);
  forEachWindow(info, (taps, yBase) => {
    for (let c = 0; c < C; c++) {
      const gradient = dy[yBase + c];
      if (mode === 'max') {
        const best = firstMaximum(x, taps, c);
        if (best >= 0) dx[best] += gradient;
      } else {
        for (const tap of taps) dx[tap + c] += gradient / taps.length;
      }
    }
  });
  return dx;
}
