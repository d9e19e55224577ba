// conv2d and its two backprops as plain float64 loops: the oracle the wasm kernels are tested against.
//
// Shape legend (NHWC, row-major):
//   x:      [N, H, W, C]          filter: [KH, KW, C, OC]          y, dy: [N, OH, OW, OC]
// Output pixel (oh, ow) reads input row ih = oh·strideH - padTop + kh·dilationH (columns likewise);
// taps that land outside the image read zero.

import type { Conv2DInfo, FusedActivation } from '../backend.js';
import { activationFunction } from './matmul.js';
import type { Values } from './storage.js';

/**
 * Calls visit(xAt, yAt, tap) for every in-image tap of every output window: xAt and yAt index the first channel
 * of the input and output pixel, tap = kh·KW + kw numbers the filter position (shared with depthwise).
 */
export function forEachTap(info: Conv2DInfo, visit: (xAt: number, yAt: number, tap: number) => void): void {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const yAt = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < info.filterHeight; kh++) {
          const ih = oh * info.strideHeight - info.padTop + kh * info.dilationHeight;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < info.filterWidth; kw++) {
            const iw = ow * info.strideWidth - info.padLeft + kw * info.dilationWidth;
            if (iw < 0 || iw >= inWidth) continue;
            visit(((b * inHeight + ih) * inWidth + iw) * inChannels, yAt, kh * info.filterWidth + kw);
          }
        }
      }
    }
  }
}

/** y = act(x ⋆ filter + bias). */
export function conv2d(x: Values, filter: Values, info: Conv2DInfo, bias?: Values,
  activation: FusedActivation = 'linear'): Float64Array {
  const { inChannels, outChannels } = info;
  const y = new Float64Array(info.batch * info.outHeight * info.outWidth * outChannels);
  forEachTap(info, (xAt, yAt, tap) => {
    const filterAt = tap * info.inChannels * info.outChannels;
    for (let c = 0; c < inChannels; c++) {
      const value = x[xAt + c];
      const row = filterAt + c * outChannels;
      for (let o = 0; o < outChannels; o++) y[yAt + o] += value * filter[row + o];
    }
  });
  const activate = activationFunction(activation);
  for (let i = 0; i < y.length; i++) y[i] = activate(y[i] + (bias ? bias[i % outChannels] : 0));
  return y;
}

/** dx [N,H,W,C]: every tap sends dy · filterᵀ back to the input pixel it read. */
export function conv2dBackpropInput(dy: Values, filter: Values, info: Conv2DInfo): Float64Array {
  const { inChannels, outChannels } = info;
  const dx = new Float64Array(info.batch * info.inHeight * info.inWidth * inChannels);
  forEachTap(info, (xAt, yAt, tap) => {
    const filterAt = tap * info.inChannels * info.outChannels;
    for (let c = 0; c < inChannels; c++) {
      const row = filterAt + c * outChannels;
      let sum = 0;
      for (let o = 0; o < outChannels; o++) sum += dy[yAt + o] * filter[row + o];
      dx[xAt + c] += sum;
    }
  });
  return dx;
}

/** dFilter [KH,KW,C,OC]: every tap adds x ⊗ dy to the filter entry it used. */
export function conv2dBackpropFilter(x: Values, dy: Values, info: Conv2DInfo): Float64Array {
  const { inChannels, outChannels } = info;
  const dFilter = new Float64Array(info.filterHeight * info.filterWidth * inChannels * outChannels);
  forEachTap(info, (xAt, yAt, tap) => {
    const filterAt = tap * info.inChannels * info.outChannels;
    for (let c = 0; c < inChannels; c++) {
      const value = x[xAt + c];
      const row = filterAt + c * outChannels;
      for (let o = 0; o < outChannels; o++) dFilter[row + o] += value * dy[yAt + o];
    }
  });
  return dFilter;
}
