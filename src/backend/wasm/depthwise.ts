// Wrappers for assembly/depthwise.ts: depthwise conv2d and its backprops over NHWC float32 buffers.
//   x: [N,H,W,C]  filter: [KH,KW,C,M]  y/dy: [N,OH,OW,C·M]  (M = outChannels / inChannels)
import type { Conv2DInfo } from '../backend.js';
import type { Runtime } from '../../runtime/types.js';

/** The window geometry every depthwise kernel takes after its pointers, from channels on. */
function geometry(info: Conv2DInfo): number[] {
  return [
    info.inHeight, info.inWidth, info.inChannels, info.outChannels / info.inChannels, info.outHeight, info.outWidth,
  ];
}

function strides(info: Conv2DInfo): number[] {
  return [info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, info.padTop, info.padLeft];
}

/** y = depthwise x ⋆ filter, split over the N·OH output rows. */
export function runDepthwiseConv2d(rt: Runtime, x: number, filter: number, y: number, info: Conv2DInfo): void {
  const rows = info.batch * info.outHeight;
  const costPerRow = 2 * info.outWidth * info.outChannels * info.filterHeight * info.filterWidth;
  rt.run('depthwiseConv2d', [x, filter, y, ...geometry(info), info.filterHeight, info.filterWidth, ...strides(info)],
    rows, { costPerUnit: costPerRow });
}

/** dx from dy and filter, split over the N·H input rows (a gather: threads never share a dx row). */
export function runDepthwiseConv2dBackpropInput(rt: Runtime, dy: number, filter: number, dx: number, info: Conv2DInfo): void {
  const rows = info.batch * info.inHeight;
  const costPerRow = 2 * info.inWidth * info.outChannels * info.filterHeight * info.filterWidth;
  rt.run('depthwiseConv2dBackpropInput',
    [dy, filter, dx, ...geometry(info), info.filterHeight, info.filterWidth, ...strides(info)],
    rows, { costPerUnit: costPerRow });
}

/** dFilter from x and dy, split over the KH·KW filter taps (each thread owns its taps' rows). */
export function runDepthwiseConv2dBackpropFilter(rt: Runtime, x: number, dy: number, dFilter: number, info: Conv2DInfo): void {
  const taps = info.filterHeight * info.filterWidth;
  const costPerTap = 2 * info.batch * info.outHeight * info.outWidth * info.outChannels;
  rt.run('depthwiseConv2dBackpropFilter',
    [x, dy, dFilter, info.batch, ...geometry(info), info.filterWidth, ...strides(info)],
    taps, { costPerUnit: costPerTap });
}
