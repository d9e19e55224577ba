// Depthwise 2-D convolution and its two backprops, plain loops in float64: the oracle for the wasm kernels.
//   x:      [N, H, W, C]       input, NHWC
//   filter: [KH, KW, C, M]     M = channel multiplier = outChannels / C
//   y, dy:  [N, OH, OW, C·M]   output channel c·M + m reads input channel c only
// Input row of output row oh, tap kh: ih = oh·strideHeight - padTop + kh·dilationHeight (same for columns);
// taps that land outside the input read zero padding.
import type { Conv2DInfo } from '../backend.js';
import { forEachTap } from './conv.js';

/** y [N,OH,OW,C·M] = depthwise x ⋆ filter. */
export function depthwiseConv2d(x: Float64Array, filter: Float64Array, info: Conv2DInfo): Float64Array {
  const C = info.inChannels, M = info.outChannels / info.inChannels;
  const y = new Float64Array(info.batch * info.outHeight * info.outWidth * info.outChannels);
  forEachTap(info, (xIndex, yBase, tap) => {
    const filterBase = tap * info.outChannels;
    for (let c = 0; c < C; c++) {
      const value = x[xIndex + c];
      for (let m = 0; m < M; m++) y[yBase + c * M + m] += value * filter[filterBase + c * M + m];
    }
  });
  return y;
}

/** dx [N,H,W,C]: each tap sends dy · filter back to the input pixel it read. */
export function depthwiseConv2dBackpropInput(dy: Float64Array, filter: Float64Array, info: Conv2DInfo): Float64Array {
  const C = info.inChannels, M = info.outChannels / info.inChannels;
  const dx = new Float64Array(info.batch * info.inHeight * info.inWidth * C);
  forEachTap(info, (xIndex, yBase, tap) => {
    const filterBase = tap * info.outChannels;
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let m = 0; m < M; m++) sum += dy[yBase + c * M + m] * filter[filterBase + c * M + m];
      dx[xIndex + c] += sum;
    }
  });
  return dx;
}

/** dFilter [KH,KW,C,M] = Σ over batch and output pixels of x · dy. */
export function depthwiseConv2dBackpropFilter(x: Float64Array, dy: Float64Array, info: Conv2DInfo): Float64Array {
  const C = info.inChannels, M = info.outChannels / info.inChannels;
  const dFilter = new Float64Array(info.filterHeight * info.filterWidth * info.outChannels);
  forEachTap(info, (xIndex, yBase, tap) => {
    const filterBase = tap * info.outChannels;
    for (let c = 0; c < C; c++) {
      const value = x[xIndex + c];
      for (let m = 0; m < M; m++) dFilter[filterBase + c * M + m] += value * dy[yBase + c * M + m];
    }
  });
  return dFilter;
}
