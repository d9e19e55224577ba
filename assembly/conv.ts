// im2col and col2im: the data movement that turns conv2d and its input backprop into GEMMs (assembly/gemm.ts).
//
// Shape legend (NHWC, row-major, element counts; pointers are bytes; both kernels see one chunk of images):
//   x, dx:  [n, H, W, C]            image pixels
//   cols:   [n·OH·OW, KH·KW·C]      one row per output pixel: the input patch it reads, zero where the patch
//                                   leaves the image; column order (kh, kw, c) matches filter [KH, KW, C, OC]
// Output pixel (oh, ow) reads input (oh·strideH - padTop + kh·dilationH, ow·strideW - padLeft + kw·dilationW).

/** Copies `count` floats from src to dst. */
@inline
function copyFloats(src: usize, dst: usize, count: i32): void {
  let i = 0;
  for (; i + 16 <= count; i += 16) {
    const at = <usize>(i << 2);
    v128.store(dst + at, v128.load(src + at));
    v128.store(dst + at, v128.load(src + at, 16), 16);
    v128.store(dst + at, v128.load(src + at, 32), 32);
    v128.store(dst + at, v128.load(src + at, 48), 48);
  }
  for (; i + 4 <= count; i += 4) v128.store(dst + <usize>(i << 2), v128.load(src + <usize>(i << 2)));
  for (; i < count; i++) store<f32>(dst + <usize>(i << 2), load<f32>(src + <usize>(i << 2)));
}

/** Writes `count` zeros at dst. */
@inline
function zeroFloats(dst: usize, count: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + <usize>(i << 2), zero);
  for (; i < count; i++) store<f32>(dst + <usize>(i << 2), 0);
}

/**
 * cols rows [start, end) from x. Units: output pixels of the chunk, (image·OH + oh)·OW + ow.
 * With unit width dilation the in-image taps of one filter row are one contiguous run of x, copied at once.
 */
export function im2col(x: usize, cols: usize, inHeight: i32, inWidth: i32, channels: i32,
  outHeight: i32, outWidth: i32, filterHeight: i32, filterWidth: i32, strideHeight: i32, strideWidth: i32,
  dilationHeight: i32, dilationWidth: i32, padTop: i32, padLeft: i32, start: i32, end: i32): void {
  const rowLength = filterHeight * filterWidth * channels;
  const tapRowLength = filterWidth * channels;
  // Output coordinates of `start`, then stepped along without a division per pixel.
  let ow = start % outWidth;
  let oh = (start / outWidth) % outHeight;
  let image = start / (outWidth * outHeight);
  for (let pixel = start; pixel < end; pixel++, ow++) {
    if (ow == outWidth) {
      ow = 0;
      oh++;
      if (oh == outHeight) { oh = 0; image++; }
    }
    const dst = cols + ((<usize>pixel * <usize>rowLength) << 2);
    const ihBase = oh * strideHeight - padTop;
    const iwBase = ow * strideWidth - padLeft;
    // Filter columns whose tap lies inside the image: kw in [kwBegin, kwEnd).
    let kwBegin = 0;
    while (kwBegin < filterWidth && iwBase + kwBegin * dilationWidth < 0) kwBegin++;
    let kwEnd = filterWidth;
    while (kwEnd > kwBegin && iwBase + (kwEnd - 1) * dilationWidth >= inWidth) kwEnd--;
    for (let kh = 0; kh < filterHeight; kh++) {
      const tapRow = dst + (<usize>(kh * tapRowLength) << 2);
      const ih = ihBase + kh * dilationHeight;
      if (ih < 0 || ih >= inHeight || kwBegin >= kwEnd) {
        zeroFloats(tapRow, tapRowLength);
        continue;
      }
      zeroFloats(tapRow, kwBegin * channels);
      const srcRow = x + ((<usize>((image * inHeight + ih) * inWidth) * <usize>channels) << 2);
      if (dilationWidth == 1) {
        const src = srcRow + (<usize>((iwBase + kwBegin) * channels) << 2);
        copyFloats(src, tapRow + (<usize>(kwBegin * channels) << 2), (kwEnd - kwBegin) * channels);
      } else {
        for (let kw = kwBegin; kw < kwEnd; kw++) {
          const src = srcRow + (<usize>((iwBase + kw * dilationWidth) * channels) << 2);
          copyFloats(src, tapRow + (<usize>(kw * channels) << 2), channels);
        }
      }
      zeroFloats(tapRow + (<usize>(kwEnd * channels) << 2), (filterWidth - kwEnd) * channels);
    }
  }
}

/**
 * dx rows [start, end) from cols: every input pixel sums the patch entries that read it. Units: input image
 * rows of the chunk, image·H + h. Gathering (rather than scattering from cols) lets threads split on rows of
 * dx without ever writing the same pixel; the sums of 8 channels at a time stay in registers across the taps.
 */
export function col2im(cols: usize, dx: usize, inHeight: i32, inWidth: i32, channels: i32,
  outHeight: i32, outWidth: i32, filterHeight: i32, filterWidth: i32, strideHeight: i32, strideWidth: i32,
  dilationHeight: i32, dilationWidth: i32, padTop: i32, padLeft: i32, start: i32, end: i32): void {
  const rowLength = filterHeight * filterWidth * channels;
  for (let imageRow = start; imageRow < end; imageRow++) {
    const h = imageRow % inHeight;
    const image = imageRow / inHeight;
    for (let w = 0; w < inWidth; w++) {
      const dst = dx + ((<usize>(imageRow * inWidth + w) * <usize>channels) << 2);
      let c = 0;
      for (; c + 8 <= channels; c += 8) {
        let sum0 = f32x4.splat(0);
        let sum1 = f32x4.splat(0);
        for (let kh = 0; kh < filterHeight; kh++) {
          const ohScaled = h + padTop - kh * dilationHeight;   // = oh·strideH when this tap read row h
          if (ohScaled < 0) break;                             // grows more negative with kh
          const oh = strideHeight == 1 ? ohScaled : ohScaled / strideHeight;   // skip the slow i32 division
          if (oh * strideHeight != ohScaled || oh >= outHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const src = patchEntry(cols, (image * outHeight + oh) * outWidth, w, kw, kh * filterWidth * channels + c,
              rowLength, channels, outWidth, strideWidth, dilationWidth, padLeft);
            if (src == 0) continue;
            if (src == 1) break;
            sum0 = f32x4.add(sum0, v128.load(src));
            sum1 = f32x4.add(sum1, v128.load(src, 16));
          }
        }
        v128.store(dst + (<usize>c << 2), sum0);
        v128.store(dst + (<usize>c << 2), sum1, 16);
      }
      for (; c < channels; c++) {
        let sum: f32 = 0;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ohScaled = h + padTop - kh * dilationHeight;
          if (ohScaled < 0) break;
          const oh = strideHeight == 1 ? ohScaled : ohScaled / strideHeight;   // skip the slow i32 division
          if (oh * strideHeight != ohScaled || oh >= outHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const src = patchEntry(cols, (image * outHeight + oh) * outWidth, w, kw, kh * filterWidth * channels + c,
              rowLength, channels, outWidth, strideWidth, dilationWidth, padLeft);
            if (src == 0) continue;
            if (src == 1) break;
            sum += load<f32>(src);
          }
        }
        store<f32>(dst + (<usize>c << 2), sum);
      }
    }
  }
}

/**
 * Address of the cols entry for tap column kw of the output pixel whose patch read input column w, in the
 * output row starting at pixel rowPixel (= (image·OH + oh)·OW); tapOffset = kh·KW·C + c. Returns 0 when no
 * output column reads w through kw, 1 when no larger kw can either (the output column would be negative).
 */
@inline
function patchEntry(cols: usize, rowPixel: i32, w: i32, kw: i32, tapOffset: i32, rowLength: i32, channels: i32,
  outWidth: i32, strideWidth: i32, dilationWidth: i32, padLeft: i32): usize {
  const owScaled = w + padLeft - kw * dilationWidth;
  if (owScaled < 0) return 1;
  const ow = strideWidth == 1 ? owScaled : owScaled / strideWidth;
  if (ow * strideWidth != owScaled || ow >= outWidth) return 0;
  return cols + ((<usize>(rowPixel + ow) * <usize>rowLength + <usize>(tapOffset + kw * channels)) << 2);
}

/**
 * col2im for unit strides and dilations (most convolutions), same contract as col2im. The taps that read
 * input pixel (h, w) are then the rectangle kh ∈ [khLow, khHigh], kw ∈ [kwLow, kwHigh], and their cols
 * entries lie at fixed steps from one origin, so the gather walks pointers with no per-tap bounds tests,
 * 16 channels at a time.
 */
export function col2imUnitStride(cols: usize, dx: usize, inHeight: i32, inWidth: i32, channels: i32,
  outHeight: i32, outWidth: i32, filterHeight: i32, filterWidth: i32, strideHeight: i32, strideWidth: i32,
  dilationHeight: i32, dilationWidth: i32, padTop: i32, padLeft: i32, start: i32, end: i32): void {
  const rowLength = filterHeight * filterWidth * channels;
  // Moving to the next kh goes one output row up and one tap row right; the next kw, one pixel left, one tap right.
  const khStep = <usize>(outWidth * rowLength - filterWidth * channels) << 2;
  const kwStep = <usize>(rowLength - channels) << 2;
  for (let imageRow = start; imageRow < end; imageRow++) {
    const h = imageRow % inHeight;
    const image = imageRow / inHeight;
    const khLow = max(0, h + padTop - (outHeight - 1)), khHigh = min(filterHeight - 1, h + padTop);
    for (let w = 0; w < inWidth; w++) {
      const dst = dx + ((<usize>(imageRow * inWidth + w) * <usize>channels) << 2);
      const kwLow = max(0, w + padLeft - (outWidth - 1)), kwHigh = min(filterWidth - 1, w + padLeft);
      // The entry of tap (0, 0), possibly outside cols: only in-range taps are read.
      const origin = cols + (<usize>(((image * outHeight + h + padTop) * outWidth + w + padLeft) * rowLength) << 2);
      const first = origin - <usize>khLow * khStep - <usize>kwLow * kwStep;
      let c = 0;
      for (; c + 16 <= channels; c += 16) {
        let sum0 = f32x4.splat(0), sum1 = f32x4.splat(0), sum2 = f32x4.splat(0), sum3 = f32x4.splat(0);
        let rowPtr = first + (<usize>c << 2);
        for (let kh = khLow; kh <= khHigh; kh++, rowPtr -= khStep) {
          let p = rowPtr;
          for (let kw = kwLow; kw <= kwHigh; kw++, p -= kwStep) {
            sum0 = f32x4.add(sum0, v128.load(p));
            sum1 = f32x4.add(sum1, v128.load(p, 16));
            sum2 = f32x4.add(sum2, v128.load(p, 32));
            sum3 = f32x4.add(sum3, v128.load(p, 48));
          }
        }
        const out = dst + (<usize>c << 2);
        v128.store(out, sum0);
        v128.store(out, sum1, 16);
        v128.store(out, sum2, 32);
        v128.store(out, sum3, 48);
      }
      for (; c + 4 <= channels; c += 4) {
        let sum = f32x4.splat(0);
        let rowPtr = first + (<usize>c << 2);
        for (let kh = khLow; kh <= khHigh; kh++, rowPtr -= khStep) {
          let p = rowPtr;
          for (let kw = kwLow; kw <= kwHigh; kw++, p -= kwStep) sum = f32x4.add(sum, v128.load(p));
        }
        v128.store(dst + (<usize>c << 2), sum);
      }
      for (; c < channels; c++) {
        let sum: f32 = 0;
        let rowPtr = first + (<usize>c << 2);
        for (let kh = khLow; kh <= khHigh; kh++, rowPtr -= khStep) {
          let p = rowPtr;
          for (let kw = kwLow; kw <= kwHigh; kw++, p -= kwStep) sum += load<f32>(p);
        }
        store<f32>(dst + (<usize>c << 2), sum);
      }
    }
  }
}
