// Argument handling shared by the spatial layers (conv, pooling, padding): tfjs-layers' number-or-tuple
// arguments, data formats, padding modes and the output-length arithmetic of computeOutputShape.
// Every spatial layer computes in NHWC (channelsLast, what the ops take); channelsFirst inputs are
// transposed in and out.
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { formatShape, type SymbolicShape } from '../symbolic.js';

export type DataFormat = 'channelsFirst' | 'channelsLast';
export type PaddingMode = 'valid' | 'same' | 'causal';

/** 3 → [3, 3]; [2, 3] stays; checks positive integers of the right count, naming the layer. */
export function normalizeTuple(value: number | number[] | undefined | null, count: number, what: string, context: string, fallback?: number): number[] {
  const raw = value === undefined || value === null ? fallback : value;
  const list = typeof raw === 'number' ? new Array<number>(count).fill(raw) : raw;
  if (!Array.isArray(list) || (list.length !== count && list.length !== 1) || list.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`${context}: ${what} must be a positive integer or ${count} of them, got ${JSON.stringify(value)}`);
  }
  return list.length === count ? list.slice() : new Array<number>(count).fill(list[0]);
}

export function checkDataFormat(value: unknown, context: string): DataFormat {
  const format = value ?? 'channelsLast';
  if (format !== 'channelsLast' && format !== 'channelsFirst') {
    throw new Error(`${context}: dataFormat must be 'channelsLast' or 'channelsFirst', got ${JSON.stringify(value)}`);
  }
  return format;
}

export function checkPadding(value: unknown, context: string, allowed: readonly PaddingMode[] = ['valid', 'same']): PaddingMode {
  const padding = value ?? 'valid';
  if (!allowed.includes(padding as PaddingMode)) {
    throw new Error(`${context}: padding must be one of ${allowed.map((p) => `'${p}'`).join(', ')}, got ${JSON.stringify(value)}`);
  }
  return padding as PaddingMode;
}

/** Output length of a window sliding over `length` (tfjs convOutputLength); throws when nothing fits. */
export function convOutputLength(length: number | null, window: number, padding: PaddingMode, stride: number, dilation: number, context: string): number | null {
  if (length === null) return null;
  const dilatedWindow = window + (window - 1) * (dilation - 1);
  const span = padding === 'valid' ? length - dilatedWindow + 1 : length;
  if (span < 1) {
    throw new Error(`${context}: window ${window}${dilation > 1 ? ` (dilation ${dilation})` : ''} is larger than the input length ${length} with padding 'valid'`);
  }
  return Math.floor((span + stride - 1) / stride);
}

/** Output length of a transposed convolution (tfjs deconvLength). */
export function deconvLength(length: number | null, stride: number, kernel: number, padding: PaddingMode): number | null {
  if (length === null) return null;
  return padding === 'valid' ? length * stride + Math.max(kernel - stride, 0) : length * stride;
}

/** Checks a rank-4 image shape and returns [batch, height, width, channels] whatever the format. */
export function imageShape(shape: SymbolicShape, format: DataFormat, context: string): SymbolicShape {
  if (shape.length !== 4) throw new Error(`${context}: expected a rank-4 input (batch, height, width, channels), got ${formatShape(shape)}`);
  return format === 'channelsLast' ? shape.slice() : [shape[0], shape[2], shape[3], shape[1]];
}

/** [batch, height, width, channels] back into the layer's data format. */
export function fromChannelsLastShape(shape: SymbolicShape, format: DataFormat): SymbolicShape {
  return format === 'channelsLast' ? shape : [shape[0], shape[3], shape[1], shape[2]];
}

/** NCHW → NHWC for channelsFirst layers (a no-op for channelsLast). */
export function toChannelsLast(x: Tensor, format: DataFormat): Tensor {
  if (format === 'channelsLast') return x;
  return x.rank === 4 ? ops.transpose(x, [0, 2, 3, 1]) : ops.transpose(x, [0, 2, 1]);
}

/** NHWC → NCHW for channelsFirst layers. */
export function fromChannelsLast(x: Tensor, format: DataFormat): Tensor {
  if (format === 'channelsLast') return x;
  return x.rank === 4 ? ops.transpose(x, [0, 3, 1, 2]) : ops.transpose(x, [0, 2, 1]);
}

/** Throws naming the layer when a concrete input is not rank `rank`. */
export function expectRank(x: Tensor, rank: number, context: string): void {
  if (x.rank !== rank) throw new Error(`${context}: expected a rank-${rank} input, got shape [${x.shape}]`);
}
