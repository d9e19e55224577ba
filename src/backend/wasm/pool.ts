// Wrappers for assembly/pool.ts: max / average pooling and backprops over NHWC float32 buffers.
//   x, dx: [N,H,W,C]   y, dy: [N,OH,OW,C]
import type { Conv2DInfo } from '../backend.js';
import type { Runtime } from '../../runtime/types.js';

const MODE_CODE = { max: 0, avg: 1 } as const;

/** Shape and window arguments shared by the pooling kernels, in their parameter order. */
function windowArgs(info: Conv2DInfo): number[] {
  return [
    info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.filterHeight, info.filterWidth,
    info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, info.padTop, info.padLeft,
  ];
}

/** y = max or mean over each window, split over the N·OH output rows. */
export function runPool2d(rt: Runtime, x: number, y: number, info: Conv2DInfo, mode: 'max' | 'avg'): void {
  const rows = info.batch * info.outHeight;
  const costPerRow = info.outWidth * info.inChannels * info.filterHeight * info.filterWidth;
  rt.run('pool2d', [x, y, ...windowArgs(info), MODE_CODE[mode]], rows, { costPerUnit: costPerRow });
}

/** Windows that never share an input pixel (stride at least the dilated window, as 2x2 / stride 2). */
function windowsAreDisjoint(info: Conv2DInfo): boolean {
  const spanHeight = (info.filterHeight - 1) * info.dilationHeight + 1;
  const spanWidth = (info.filterWidth - 1) * info.dilationWidth + 1;
  return info.strideHeight >= spanHeight && info.strideWidth >= spanWidth;
}

/** dx of pooling, split over the N·H input rows (N·OH when max windows are disjoint); max reads x to find each window's first maximum. */
export function runPool2dBackprop(rt: Runtime, dy: number, x: number, dx: number, info: Conv2DInfo, mode: 'max' | 'avg'): void {
  const rows = info.batch * info.inHeight;
  const taps = info.filterHeight * info.filterWidth;
  if (mode === 'avg') {
    rt.run('avgPool2dBackprop', [dy, dx, ...windowArgs(info)], rows, { costPerUnit: info.inWidth * info.inChannels * taps });
  } else if (windowsAreDisjoint(info)) {
    const costPerRow = 3 * info.outWidth * info.inChannels * taps + info.strideHeight * info.inWidth * info.inChannels;
    rt.run('maxPool2dBackpropDisjoint', [dy, x, dx, ...windowArgs(info)], info.batch * info.outHeight, { costPerUnit: costPerRow });
  } else {
    // A row is scanned once per output row whose windows reach it (~ KH·dilation / stride of them).
    const windowsPerRow = Math.ceil(info.filterHeight * info.dilationHeight / info.strideHeight);
    const costPerRow = 2 * windowsPerRow * info.outWidth * info.inChannels * taps;
    rt.run('maxPool2dBackprop', [dy, x, dx, ...windowArgs(info)], rows, { costPerUnit: costPerRow });
  }
}
