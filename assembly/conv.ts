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

/** dst[0..count) += src[0..count). */
@inline
function addFloats(src: usize, dst: usize, count: i32): void {
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    const at = <usize>(i << 2);
    v128.store(dst + at, f32x4.add(v128.load(dst + at), v128.load(src + at)));
    v128.store(dst + at, f32x4.add(v128.load(dst + at, 16), v128.load(src + at, 16)), 16);
  }
  for (; i + 4 <= count; i += 4) {
    const at = <usize>(i << 2);
    v128.store(dst + at, f32x4.add(v128.load(dst + at), v128.load(src + at)));
  }
  for (; i < count; i++) {
    const at = <usize>(i << 2);
    store<f32>(dst + at, load<f32>(dst + at) + load<f32>(src + at));
  }
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
  for (let pixel = start; pixel < end; pixel++) {
    const ow = pixel % outWidth;
    const imageRow = pixel / outWidth;            // image·OH + oh
    const oh = imageRow % outHeight;
    const image = imageRow / outHeight;
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
 * dx without ever writing the same pixel.
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
      zeroFloats(dst, channels);
      for (let kh = 0; kh < filterHeight; kh++) {
        const ohScaled = h + padTop - kh * dilationHeight;   // = oh·strideH when this tap read row h
        if (ohScaled < 0) break;                             // grows more negative with kh
        const oh = ohScaled / strideHeight;
        if (oh * strideHeight != ohScaled || oh >= outHeight) continue;
        for (let kw = 0; kw < filterWidth; kw++) {
          const owScaled = w + padLeft - kw * dilationWidth;
          if (owScaled < 0) break;
          const ow = owScaled / strideWidth;
          if (ow * strideWidth != owScaled || ow >= outWidth) continue;
          const pixel = (image * outHeight + oh) * outWidth + ow;
          const src = cols + ((<usize>pixel * <usize>rowLength + <usize>((kh * filterWidth + kw) * channels)) << 2);
          addFloats(src, dst, channels);
        }
      }
    }
  }
}
