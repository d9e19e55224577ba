// Depthwise 2-D convolution and its two backprops, plain loops in float64: the oracle for the wasm kernels.
//   x:      [N, H, W, C]       input, NHWC
//   filter: [KH, KW, C, M]     M = channel multiplier = outChannels / C
//   y, dy:  [N, OH, OW, C·M]   output channel c·M + m reads input channel c only
// Input row of output row oh, tap kh: ih = oh·strideHeight - padTop + kh·dilationHeight (same for columns);
// taps that land outside the input read zero padding.
import type { Conv2DInfo } from '../backend.js';

/** Calls visit(xIndex, yBase, filterBase) for every in-bounds (output pixel, tap) pair; channel offsets are added by the caller. */
function forEachTap(info: Conv2DInfo, visit: (xIndex: number, yBase: number, filterBase: number) => void): void {
  const { batch, inHeight, inWidth, inChannels: C, outHeight, outWidth, outChannels } = info;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const yBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < info.filterHeight; kh++) {
          const ih = oh * info.strideHeight - info.padTop + kh * info.dilationHeight;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < info.filterWidth; kw++) {
            const iw = ow * info.strideWidth - info.padLeft + kw * info.dilationWidth;
            if (iw < 0 || iw >= inWidth) continue;
            visit(((b * inHeight + ih) * inWidth + iw) * C, yBase, (kh * info.filterWidth + kw) * outChannels);
          }
        }
      }
    }
  }
}

/** y [N,OH,OW,C·M] = depthwise x ⋆ filter. */
export function depthwiseConv2d(x: Float64Array, filter: Float64Array, info: Conv2DInfo): Float64Array {
  const C = info.inChannels, M = info.outChannels / info.inChannels;
  const y = new Float64Array(info.batch * info.outHeight * info.outWidth * info.outChannels);
  forEachTap(info, (xIndex, yBase, filterBase) => {
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
  forEachTap(info, (xIndex, yBase, filterBase) => {
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
  forEachTap(info, (xIndex, yBase, filterBase) => {
    for (let c = 0; c < C; c++) {
      const value = x[xIndex + c];
      for (let m = 0; m < M; m++) dFilter[filterBase + c * M + m] += value * dy[yBase + c * M + m];
    }
  });
  return dFilter;
}
