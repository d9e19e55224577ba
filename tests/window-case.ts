// The window geometry shared by the conv and depthwise/pool kernel tests: a case → the Conv2DInfo kernels take.
import type { Conv2DInfo } from '../src/backend/backend.js';

export interface WindowCase {
  batch: number; height: number; width: number; channels: number;
  filter: [number, number]; strides?: [number, number]; dilations?: [number, number];
  /** [top, bottom, left, right] */
  pads?: [number, number, number, number];
}

/** Conv2DInfo with 'valid'-style output sizes over the explicitly padded input. */
export function windowInfo(c: WindowCase, outChannels: number): Conv2DInfo {
  const [filterHeight, filterWidth] = c.filter;
  const [strideHeight, strideWidth] = c.strides ?? [1, 1];
  const [dilationHeight, dilationWidth] = c.dilations ?? [1, 1];
  const [top, bottom, left, right] = c.pads ?? [0, 0, 0, 0];
  const span = (k: number, d: number) => d * (k - 1) + 1;
  return {
    batch: c.batch, inHeight: c.height, inWidth: c.width, inChannels: c.channels,
    outHeight: Math.floor((c.height + top + bottom - span(filterHeight, dilationHeight)) / strideHeight) + 1,
    outWidth: Math.floor((c.width + left + right - span(filterWidth, dilationWidth)) / strideWidth) + 1,
    outChannels, filterHeight, filterWidth, strideHeight, strideWidth,
    dilationHeight, dilationWidth, padTop: top, padLeft: left,
  };
}
