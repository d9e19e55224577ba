// Window geometry for convolution and pooling ops, with tfjs semantics (tfjs-core's computeConv2DInfo):
// padding 'same' / 'valid' / a number / explicit pairs, strides, dilations, dimRoundingMode, NHWC / NCHW.
// Every invalid argument is rejected here with the op, the shapes and the offending value in the message,
// so a backend only ever sees a geometry whose output is at least 1x1 and whose windows fit the padded input.
//   x: [N, H, W, C] (NHWC) or [N, C, H, W] (NCHW)     filter: [KH, KW, C, OC] (depthwise: [KH, KW, C, M])
import type { Backend, Conv2DInfo, ConvolutionKernels } from '../backend/backend.js';

export type DataFormat = 'NHWC' | 'NCHW';
export type DimRoundingMode = 'floor' | 'round' | 'ceil';
/** One [before, after] pair per axis of x, in x's data format; batch and channel pairs must be [0, 0]. */
export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];
export type Padding = 'same' | 'valid' | number | ExplicitPadding;
export type PairArg = number | [number, number] | readonly number[];

/** Conv2DInfo plus what the ops need beyond the backend contract. */
export interface ConvGeometry extends Conv2DInfo {
  padBottom: number; padRight: number;
  /** Filter extent once dilated: k + (k - 1)(dilation - 1). */
  effectiveFilterHeight: number; effectiveFilterWidth: number;
  /** Output shape in NHWC. */
  outShape: [number, number, number, number];
}

/** 'NHWC' or 'NCHW', else an error naming the op. */
export function checkDataFormat(dataFormat: unknown, opName: string): DataFormat {
  if (dataFormat !== 'NHWC' && dataFormat !== 'NCHW') {
    throw new Error(`${opName}: unknown dataFormat '${String(dataFormat)}' (expected 'NHWC' or 'NCHW')`);
  }
  return dataFormat;
}

/** A number or a [height, width] pair of positive integers (strides, dilations, pool sizes). */
export function parsePair(value: PairArg, name: string, opName: string): [number, number] {
  const pair = typeof value === 'number' ? [value, value] : Array.isArray(value) ? value : null;
  if (!pair || pair.length !== 2 || pair.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error(`${opName}: ${name} must be a positive integer or a pair of them, got ${JSON.stringify(value)}`);
  }
  return [pair[0], pair[1]];
}

function checkRoundingMode(pad: Padding, mode: DimRoundingMode | undefined | null, opName: string): void {
  if (mode === undefined || mode === null) return;
  if (mode !== 'floor' && mode !== 'round' && mode !== 'ceil') {
    throw new Error(`${opName}: unknown dimRoundingMode '${String(mode)}' (expected 'floor', 'round' or 'ceil')`);
  }
  if (typeof pad === 'string') {
    throw new Error(`${opName}: pad must be a number or explicit padding when using dimRoundingMode '${mode}', got '${pad}'`);
  }
}

/** tfjs rounds a fractional output size with the rounding mode, or truncates without one. */
function roundOutput(value: number, mode: DimRoundingMode | undefined | null): number {
  switch (mode) {
    case 'floor': return Math.floor(value);
    case 'ceil': return Math.ceil(value);
    case 'round': return Math.round(value);
    default: return Math.trunc(value);
  }
}

interface PadAndOut { top: number; bottom: number; left: number; right: number; outHeight: number; outWidth: number }

function explicitPadding(pad: readonly (readonly number[])[], dataFormat: DataFormat, opName: string): [number, number, number, number] {
  const describe = () => JSON.stringify(pad);
  if (pad.length !== 4 || pad.some((p) => !Array.isArray(p) || p.length !== 2 || p.some((v) => !Number.isInteger(v) || v < 0))) {
    throw new Error(`${opName}: explicit padding must be 4 pairs of non-negative integers (one per axis of x), got ${describe()}`);
  }
  const [heightAxis, widthAxis] = dataFormat === 'NHWC' ? [1, 2] : [2, 3];
  const [batchAxis, channelAxis] = dataFormat === 'NHWC' ? [0, 3] : [0, 1];
  if (pad[batchAxis].some((v) => v !== 0) || pad[channelAxis].some((v) => v !== 0)) {
    throw new Error(`${opName}: explicit padding of the batch and channel axes must be [0, 0], got ${describe()} (${dataFormat})`);
  }
  return [pad[heightAxis][0], pad[heightAxis][1], pad[widthAxis][0], pad[widthAxis][1]];
}

function padAndOutput(
  pad: Padding, inHeight: number, inWidth: number, strides: [number, number], filter: [number, number],
  mode: DimRoundingMode | undefined | null, dataFormat: DataFormat, opName: string,
): PadAndOut {
  const [strideHeight, strideWidth] = strides;
  const [filterHeight, filterWidth] = filter;
  if (pad === 'same') {
    const outHeight = Math.ceil(inHeight / strideHeight);
    const outWidth = Math.ceil(inWidth / strideWidth);
    const alongHeight = Math.max(0, (outHeight - 1) * strideHeight + filterHeight - inHeight);
    const alongWidth = Math.max(0, (outWidth - 1) * strideWidth + filterWidth - inWidth);
    const top = Math.floor(alongHeight / 2);
    const left = Math.floor(alongWidth / 2);
    return { top, bottom: alongHeight - top, left, right: alongWidth - left, outHeight, outWidth };
  }
  if (pad === 'valid') {
    return {
      top: 0, bottom: 0, left: 0, right: 0,
      outHeight: Math.ceil((inHeight - filterHeight + 1) / strideHeight),
      outWidth: Math.ceil((inWidth - filterWidth + 1) / strideWidth),
    };
  }
  let top: number, bottom: number, left: number, right: number;
  if (typeof pad === 'number') {
    if (!Number.isInteger(pad) || pad < 0) throw new Error(`${opName}: numeric pad must be a non-negative integer, got ${pad}`);
    top = bottom = left = right = pad;
  } else if (Array.isArray(pad)) {
    [top, bottom, left, right] = explicitPadding(pad, dataFormat, opName);
  } else {
    throw new Error(`${opName}: unknown padding ${JSON.stringify(pad)} (expected 'same', 'valid', a number or 4 [before, after] pairs)`);
  }
  // tfjs's numeric pad reuses the height filter/stride for the width (computeOutputShape2D); each axis uses its own here.
  return {
    top, bottom, left, right,
    outHeight: roundOutput((inHeight - filterHeight + top + bottom) / strideHeight + 1, mode),
    outWidth: roundOutput((inWidth - filterWidth + left + right) / strideWidth + 1, mode),
  };
}

export interface ConvGeometryArgs {
  opName: string;
  /** x's shape in `dataFormat` (rank 4). */
  inShape: readonly number[];
  /** [KH, KW, C, OC], or [KH, KW, C, M] when depthwise (the output has C*M channels). */
  filterShape: readonly number[];
  strides: PairArg;
  pad: Padding;
  dilations?: PairArg;
  dimRoundingMode?: DimRoundingMode | null;
  depthwise?: boolean;
  dataFormat?: DataFormat;
}

/** The geometry of a 2-D convolution, as tfjs-core's computeConv2DInfo, validated. */
export function computeConv2DInfo(args: ConvGeometryArgs): ConvGeometry {
  const { opName, inShape, filterShape, pad, dimRoundingMode, depthwise = false } = args;
  const dataFormat = checkDataFormat(args.dataFormat ?? 'NHWC', opName);
  if (inShape.length !== 4) throw new Error(`${opName}: input must be rank 4, got shape [${inShape}]`);
  if (filterShape.length !== 4) throw new Error(`${opName}: filter must be rank 4, got shape [${filterShape}]`);
  const [batch, inHeight, inWidth, inChannels] = dataFormat === 'NHWC'
    ? inShape : [inShape[0], inShape[2], inShape[3], inShape[1]];
  const [filterHeight, filterWidth, filterInChannels, filterOut] = filterShape;
  const strides = parsePair(args.strides, 'strides', opName);
  const dilations = parsePair(args.dilations ?? 1, 'dilations', opName);
  if (strides.some((s) => s > 1) && dilations.some((d) => d > 1)) {
    throw new Error(`${opName}: either strides or dilations must be 1, got strides [${strides}] and dilations [${dilations}]`);
  }
  if (filterInChannels !== inChannels) {
    throw new Error(`${opName}: input channels (${inChannels}) must match the filter's input channels (${filterInChannels}): x is [${inShape}] (${dataFormat}), filter is [${filterShape}]`);
  }
  checkRoundingMode(pad, dimRoundingMode, opName);
  const effectiveFilterHeight = filterHeight + (filterHeight - 1) * (dilations[0] - 1);
  const effectiveFilterWidth = filterWidth + (filterWidth - 1) * (dilations[1] - 1);
  const geometry = padAndOutput(pad, inHeight, inWidth, strides, [effectiveFilterHeight, effectiveFilterWidth],
    dimRoundingMode, dataFormat, opName);
  const paddedHeight = inHeight + geometry.top + geometry.bottom;
  const paddedWidth = inWidth + geometry.left + geometry.right;
  if (effectiveFilterHeight > paddedHeight || effectiveFilterWidth > paddedWidth || geometry.outHeight < 1 || geometry.outWidth < 1) {
    throw new Error(`${opName}: the filter (${effectiveFilterHeight}x${effectiveFilterWidth} once dilated) is larger than the padded input (${paddedHeight}x${paddedWidth}): x is [${inShape}] (${dataFormat}), filter is [${filterShape}], pad ${JSON.stringify(pad)}`);
  }
  const outChannels = depthwise ? inChannels * filterOut : filterOut;
  return {
    batch, inHeight, inWidth, inChannels,
    outHeight: geometry.outHeight, outWidth: geometry.outWidth, outChannels,
    filterHeight, filterWidth,
    strideHeight: strides[0], strideWidth: strides[1],
    dilationHeight: dilations[0], dilationWidth: dilations[1],
    padTop: geometry.top, padLeft: geometry.left, padBottom: geometry.bottom, padRight: geometry.right,
    effectiveFilterHeight, effectiveFilterWidth,
    outShape: [batch, geometry.outHeight, geometry.outWidth, outChannels],
  };
}

/** The geometry of a pooling window over NHWC x (the filter is [KH, KW, C, C]). */
export function computePool2DInfo(
  opName: string, inShape: readonly number[], filterSize: PairArg, strides: PairArg, pad: Padding,
  dimRoundingMode?: DimRoundingMode | null, dilations: PairArg = 1,
): ConvGeometry {
  const [filterHeight, filterWidth] = parsePair(filterSize, 'filterSize', opName);
  if (inShape.length !== 4) throw new Error(`${opName}: input must be rank 4, got shape [${inShape}]`);
  return computeConv2DInfo({
    opName, inShape, filterShape: [filterHeight, filterWidth, inShape[3], inShape[3]],
    strides, pad, dilations, dimRoundingMode,
  });
}

/** The backend's view of a geometry: exactly the Conv2DInfo fields. */
export function backendInfo(g: ConvGeometry): Conv2DInfo {
  return {
    batch: g.batch, inHeight: g.inHeight, inWidth: g.inWidth, inChannels: g.inChannels,
    outHeight: g.outHeight, outWidth: g.outWidth, outChannels: g.outChannels,
    filterHeight: g.filterHeight, filterWidth: g.filterWidth,
    strideHeight: g.strideHeight, strideWidth: g.strideWidth,
    dilationHeight: g.dilationHeight, dilationWidth: g.dilationWidth,
    padTop: g.padTop, padLeft: g.padLeft,
  };
}

/** A backend's convolution kernel, bound, or an error naming the op, the backend and the missing kernel. */
export function requireKernel<K extends keyof ConvolutionKernels>(backend: Backend, kernel: K, opName: string): ConvolutionKernels[K] {
  const method = backend[kernel];
  if (typeof method !== 'function') throw new Error(`${opName}: backend ${backend.name} has no ${kernel} kernel`);
  return method.bind(backend) as ConvolutionKernels[K];
}
