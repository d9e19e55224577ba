// conv2d and its backprops on the wasm backend, as GEMMs over im2col patches (assembly/conv.ts + runGemm).
//
// Shape legend (NHWC, row-major; K = KH·KW·C):
//   x, dx: [N, H, W, C]    filter, dFilter: [KH, KW, C, OC] = [K, OC]    y, dy: [N, OH, OW, OC]
//   cols:  [images·OH·OW, K]  patches of one chunk of images (scratch)
//   forward:          y[chunk]  = act(cols · filter + bias)
//   backprop filter:  dFilter  = Σ_chunks colsᵀ · dy[chunk]
//   backprop input:   cols      = dy[chunk] · filterᵀ, then col2im gathers the patches back into dx[chunk]
// A 1x1 filter with unit strides and no padding needs no patches: x itself is the cols matrix.
// The batch is processed in chunks so the patch scratch stays near COLS_CHUNK_BYTES whatever the batch.
import type { Conv2DInfo } from '../backend.js';
import type { Runtime } from '../../runtime/types.js';
import { runGemm } from './matmul.js';

/**
 * Patch scratch per chunk: big enough for long GEMMs and few thread hand-offs, small enough to stay in L3 between
 * im2col and GEMM. Measured on the MNIST CNN: 1, 2 and 4 MB equal on 1 thread; 2 MB +4% over 1 MB on 2 threads.
 */
const COLS_CHUNK_BYTES = 2 << 20;

/** Patch length K = KH·KW·C. */
const patchLength = (info: Conv2DInfo) => info.filterHeight * info.filterWidth * info.inChannels;

/** x is already the patch matrix: 1x1 filter, unit strides, no padding. */
function isPointwise(info: Conv2DInfo): boolean {
  return info.filterHeight === 1 && info.filterWidth === 1 && info.strideHeight === 1 && info.strideWidth === 1 &&
    info.padTop === 0 && info.padLeft === 0 && info.outHeight === info.inHeight && info.outWidth === info.inWidth;
}

/**
 * Few input channels (an image model's first layer): the filter gradient as direct loops beats im2col +
 * GEMM, whose patch length K = KH·KW·C is then too short (measured 1T: 1.96x at C = 1, 28x28 → 32, 3x3;
 * 1.09-1.2x at C = 3; slower from C = 4). The forward stays on the GEMM: a direct one measured 20% slower.
 */
const DIRECT_MAX_CHANNELS = 3;
const isDirect = (info: Conv2DInfo) => info.inChannels <= DIRECT_MAX_CHANNELS;

/** Images per chunk: as many as fit COLS_CHUNK_BYTES of patches, at least one. */
function imagesPerChunk(info: Conv2DInfo): number {
  const bytesPerImage = info.outHeight * info.outWidth * patchLength(info) * 4;
  return Math.max(1, Math.min(info.batch, Math.floor(COLS_CHUNK_BYTES / Math.max(bytesPerImage, 1))));
}

/** The geometry arguments im2col and col2im share, after their two pointers. */
function geometry(info: Conv2DInfo): number[] {
  return [info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth,
    info.dilationHeight, info.dilationWidth, info.padTop, info.padLeft];
}

/** Runs body(firstImage, images, cols) per chunk with a scratch patch buffer, freed afterwards. */
function forEachChunk(rt: Runtime, info: Conv2DInfo, body: (first: number, images: number, cols: number) => void): void {
  const chunk = imagesPerChunk(info);
  const cols = rt.alloc(chunk * info.outHeight * info.outWidth * patchLength(info) * 4);
  try {
    for (let first = 0; first < info.batch; first += chunk) body(first, Math.min(chunk, info.batch - first), cols);
  } finally {
    rt.free(cols);
  }
}

function runIm2col(rt: Runtime, info: Conv2DInfo, x: number, cols: number, images: number): void {
  const pixels = images * info.outHeight * info.outWidth;
  rt.run('im2col', [x, cols, ...geometry(info)], pixels, { costPerUnit: patchLength(info) * 8 });
}

function runCol2im(rt: Runtime, info: Conv2DInfo, cols: number, dx: number, images: number): void {
  const taps = Math.ceil(info.filterHeight / info.strideHeight) * Math.ceil(info.filterWidth / info.strideWidth);
  const unitSteps = info.strideHeight === 1 && info.strideWidth === 1 && info.dilationHeight === 1 && info.dilationWidth === 1;
  rt.run(unitSteps ? 'col2imUnitStride' : 'col2im', [cols, dx, ...geometry(info)], images * info.inHeight,
    { costPerUnit: info.inWidth * info.inChannels * taps * 8 });
}

/** y = act(x ⋆ filter + bias) into out; bias 0 for none; activation a FUSED_ACTIVATION_CODE. */
export function runConv2d(rt: Runtime, info: Conv2DInfo, x: number, filter: number, bias: number,
  activation: number, out: number): void {
  const k = patchLength(info);
  const n = info.outChannels;
  const outPixels = info.outHeight * info.outWidth;
  if (info.batch * outPixels * n === 0) return;
  const gemm = (a: number, rows: number, y: number) => runGemm(rt, {
    a, b: filter, out: y, bias, batch: 1, m: rows, n, k, strideA: 0, strideB: 0,
    transposeA: false, transposeB: false, activation,
  });
  if (isPointwise(info)) return gemm(x, info.batch * outPixels, out);
  const imageBytes = info.inHeight * info.inWidth * info.inChannels * 4;
  forEachChunk(rt, info, (first, images, cols) => {
    runIm2col(rt, info, x + first * imageBytes, cols, images);
    gemm(cols, images * outPixels, out + first * outPixels * n * 4);
  });
}

/** dFilter = Σ patchesᵀ · dy into out [K, OC]. */
export function runConv2dBackpropFilter(rt: Runtime, info: Conv2DInfo, x: number, dy: number, out: number): void {
  const k = patchLength(info);
  const n = info.outChannels;
  const outPixels = info.outHeight * info.outWidth;
  if (k * n === 0) return;
  if (info.batch * outPixels === 0) {
    rt.f32().fill(0, out >> 2, (out >> 2) + k * n);
    return;
  }
  // patchesᵀ [K, rows] · dy [rows, OC]: the patches are stored [rows, K], i.e. transposed A.
  const gemm = (a: number, rows: number, dyAt: number, accumulate: boolean) => runGemm(rt, {
    a, b: dyAt, out, bias: 0, batch: 1, m: k, n, k: rows, strideA: 0, strideB: 0,
    transposeA: true, transposeB: false, activation: 0, accumulate,
  });
  if (isPointwise(info)) return gemm(x, info.batch * outPixels, dy, false);
  if (isDirect(info)) {
    // Split by blocks of 4 output channels, 4 blocks at a time (the kernel's register group).
    rt.run('conv2dDirectBackpropFilter', [x, dy, out, info.batch, ...geometry(info), n], Math.ceil(n / 4),
      { grain: 4, costPerUnit: info.batch * outPixels * k * 4 });
    return;
  }
  const imageBytes = info.inHeight * info.inWidth * info.inChannels * 4;
  forEachChunk(rt, info, (first, images, cols) => {
    runIm2col(rt, info, x + first * imageBytes, cols, images);
    gemm(cols, images * outPixels, dy + first * outPixels * n * 4, first > 0);
  });
}

/** dx = col2im(dy · filterᵀ) into out [N, H, W, C]. */
export function runConv2dBackpropInput(rt: Runtime, info: Conv2DInfo, dy: number, filter: number, out: number): void {
  const k = patchLength(info);
  const n = info.outChannels;
  const outPixels = info.outHeight * info.outWidth;
  const inSize = info.batch * info.inHeight * info.inWidth * info.inChannels;
  if (inSize === 0) return;
  if (outPixels * n === 0) {
    rt.f32().fill(0, out >> 2, (out >> 2) + inSize);
    return;
  }
  // dy [rows, OC] · filterᵀ: filter is stored [K, OC], i.e. transposed B.
  const gemm = (dyAt: number, rows: number, cols: number) => runGemm(rt, {
    a: dyAt, b: filter, out: cols, bias: 0, batch: 1, m: rows, n: k, k: n, strideA: 0, strideB: 0,
    transposeA: false, transposeB: true, activation: 0,
  });
  if (isPointwise(info)) return gemm(dy, info.batch * outPixels, out);
  const imageBytes = info.inHeight * info.inWidth * info.inChannels * 4;
  forEachChunk(rt, info, (first, images, cols) => {
    gemm(dy + first * outPixels * n * 4, images * outPixels, cols);
    runCol2im(rt, info, cols, out + first * imageBytes, images);
  });
}
