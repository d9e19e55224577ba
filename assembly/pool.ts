// 2-D max / average pooling and their backprops, f32x4 over the channel axis (NHWC: a pixel's channels
// are contiguous). x, dx: [N, H, W, C]; y, dy: [N, OH, OW, C].
// Taps in the padding are skipped: they never win a max and do not count in an average. NaN in a window
// makes its max NaN (f32x4.max propagates it); the max backprop routes dy to the first maximum (or first NaN).
// Units of start/end: forward: N·OH output rows; backprops: N·H input rows — each thread writes only its
// own dx rows (avg is a gather; max recomputes the windows that touch its rows and keeps the hits in them).
import { endTap, firstTap, outputOfTap } from './window';

const MODE_MAX: i32 = 0;

// @ts-ignore: decorator
@inline function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/** y = max (mode 0) or mean (mode 1) over each window, rows [start, end) of the N·OH output rows. */
export function pool2d(
  x: usize, y: usize, inHeight: i32, inWidth: i32, channels: i32, outHeight: i32, outWidth: i32,
  filterHeight: i32, filterWidth: i32, strideHeight: i32, strideWidth: i32, dilationHeight: i32, dilationWidth: i32,
  padTop: i32, padLeft: i32, mode: i32, start: i32, end: i32,
): void {
  for (let row = start; row < end; row++) {
    const b = row / outHeight, oh = row % outHeight;
    const rowOrigin = oh * strideHeight - padTop;
    const khFirst = firstTap(rowOrigin, dilationHeight);
    const khEnd = endTap(rowOrigin, dilationHeight, inHeight, filterHeight);
    for (let ow = 0; ow < outWidth; ow++) {
      const colOrigin = ow * strideWidth - padLeft;
      const kwFirst = firstTap(colOrigin, dilationWidth);
      const kwEnd = endTap(colOrigin, dilationWidth, inWidth, filterWidth);
      const count = max(0, khEnd - khFirst) * max(0, kwEnd - kwFirst);
      const yPixel = at(y, (row * outWidth + ow) * channels);
      const initial: f32 = mode == MODE_MAX ? -Infinity : 0;
      // An empty window (possible only with extreme padding) averages to 0, as in the reference.
      const scale: f32 = mode == MODE_MAX || count == 0 ? 1 : <f32>1 / <f32>count;
      let c = 0;
      for (; c + 4 <= channels; c += 4) {
        let acc = f32x4.splat(initial);
        for (let kh = khFirst; kh < khEnd; kh++) {
          const xRow = (b * inHeight + rowOrigin + kh * dilationHeight) * inWidth;
          for (let kw = kwFirst; kw < kwEnd; kw++) {
            const value = v128.load(at(x, (xRow + colOrigin + kw * dilationWidth) * channels + c));
            acc = mode == MODE_MAX ? f32x4.max(acc, value) : f32x4.add(acc, value);
          }
        }
        v128.store(at(yPixel, c), mode == MODE_MAX ? acc : f32x4.mul(acc, f32x4.splat(scale)));
      }
      for (; c < channels; c++) {
        let acc = initial;
        for (let kh = khFirst; kh < khEnd; kh++) {
          const xRow = (b * inHeight + rowOrigin + kh * dilationHeight) * inWidth;
          for (let kw = kwFirst; kw < kwEnd; kw++) {
            const value = load<f32>(at(x, (xRow + colOrigin + kw * dilationWidth) * channels + c));
            acc = mode == MODE_MAX ? max<f32>(acc, value) : acc + value;
          }
        }
        store<f32>(at(yPixel, c), mode == MODE_MAX ? acc : acc * scale);
      }
    }
  }
}

/** dx of average pooling: each input pixel gathers dy / (taps in the window) from every window that reads it. */
export function avgPool2dBackprop(
  dy: usize, dx: usize, inHeight: i32, inWidth: i32, channels: i32, outHeight: i32, outWidth: i32,
  filterHeight: i32, filterWidth: i32, strideHeight: i32, strideWidth: i32, dilationHeight: i32, dilationWidth: i32,
  padTop: i32, padLeft: i32, start: i32, end: i32,
): void {
  for (let row = start; row < end; row++) {
    const b = row / inHeight, ih = row % inHeight;
    for (let iw = 0; iw < inWidth; iw++) {
      const dxPixel = at(dx, (row * inWidth + iw) * channels);
      let c = 0;
      for (; c + 4 <= channels; c += 4) v128.store(at(dxPixel, c), f32x4.splat(0));
      for (; c < channels; c++) store<f32>(at(dxPixel, c), 0);
      for (let kh = 0; kh < filterHeight; kh++) {
        const oh = outputOfTap(ih, kh, dilationHeight, strideHeight, padTop, outHeight);
        if (oh < 0) continue;
        const rowOrigin = oh * strideHeight - padTop;
        const rows = endTap(rowOrigin, dilationHeight, inHeight, filterHeight) - firstTap(rowOrigin, dilationHeight);
        for (let kw = 0; kw < filterWidth; kw++) {
          const ow = outputOfTap(iw, kw, dilationWidth, strideWidth, padLeft, outWidth);
          if (ow < 0) continue;
          const colOrigin = ow * strideWidth - padLeft;
          const cols = endTap(colOrigin, dilationWidth, inWidth, filterWidth) - firstTap(colOrigin, dilationWidth);
          const share: f32 = <f32>1 / <f32>(rows * cols);
          const shareV = f32x4.splat(share);
          const dyPixel = at(dy, ((b * outHeight + oh) * outWidth + ow) * channels);
          let c = 0;
          for (; c + 4 <= channels; c += 4) {
            const p = at(dxPixel, c);
            v128.store(p, f32x4.add(v128.load(p), f32x4.mul(v128.load(at(dyPixel, c)), shareV)));
          }
          for (; c < channels; c++) {
            const p = at(dxPixel, c);
            store<f32>(p, load<f32>(p) + load<f32>(at(dyPixel, c)) * share);
          }
        }
      }
    }
  }
}

/**
 * dx of max pooling over input rows [start, end) of the N·H rows: zero them, then for every window that
 * touches them find each channel's first maximum and add dy there when it lies in [start, end). Windows on a
 * boundary are evaluated by both neighbouring threads, each keeping its own hits.
 */
export function maxPool2dBackprop(
  dy: usize, x: usize, dx: usize, inHeight: i32, inWidth: i32, channels: i32, outHeight: i32, outWidth: i32,
  filterHeight: i32, filterWidth: i32, strideHeight: i32, strideWidth: i32, dilationHeight: i32, dilationWidth: i32,
  padTop: i32, padLeft: i32, start: i32, end: i32,
): void {
  const rowSize = inWidth * channels;
  let z = start * rowSize;
  const zEnd = end * rowSize;
  for (; z + 4 <= zEnd; z += 4) v128.store(at(dx, z), f32x4.splat(0));
  for (; z < zEnd; z++) store<f32>(at(dx, z), 0);
  if (start >= end) return;
  const firstBatch = start / inHeight, lastBatch = (end - 1) / inHeight;
  for (let b = firstBatch; b <= lastBatch; b++) {
    // This thread's rows of image b, as image row numbers [rowLow, rowHigh).
    const rowLow = max(0, start - b * inHeight), rowHigh = min(inHeight, end - b * inHeight);
    for (let oh = 0; oh < outHeight; oh++) {
      const rowOrigin = oh * strideHeight - padTop;
      const khFirst = firstTap(rowOrigin, dilationHeight);
      const khEnd = endTap(rowOrigin, dilationHeight, inHeight, filterHeight);
      if (khEnd <= khFirst) continue;
      // Skip windows whose rows all lie outside [rowLow, rowHigh).
      if (rowOrigin + (khEnd - 1) * dilationHeight < rowLow || rowOrigin + khFirst * dilationHeight >= rowHigh) continue;
      for (let ow = 0; ow < outWidth; ow++) {
        const colOrigin = ow * strideWidth - padLeft;
        const kwFirst = firstTap(colOrigin, dilationWidth);
        const kwEnd = endTap(colOrigin, dilationWidth, inWidth, filterWidth);
        if (kwEnd <= kwFirst) continue;
        maxWindowBackprop(
          dy, x, dx, b, oh, ow, inHeight, inWidth, channels, outHeight, outWidth, rowOrigin, colOrigin,
          khFirst, khEnd, kwFirst, kwEnd, dilationHeight, dilationWidth, rowLow * inWidth, rowHigh * inWidth,
        );
      }
    }
  }
}

/**
 * One window of max backprop: the winners' pixel numbers (ih·W + iw within image b) per channel lane, then
 * dy added at those in [pixelLow, pixelHigh). The first tap seeds the winner so an all -inf window picks it.
 */
function maxWindowBackprop(
  dy: usize, x: usize, dx: usize, b: i32, oh: i32, ow: i32, inHeight: i32, inWidth: i32, channels: i32,
  outHeight: i32, outWidth: i32, rowOrigin: i32, colOrigin: i32, khFirst: i32, khEnd: i32, kwFirst: i32, kwEnd: i32,
  dilationHeight: i32, dilationWidth: i32, pixelLow: i32, pixelHigh: i32,
): void {
  const imageBase = b * inHeight * inWidth;
  const dyPixel = at(dy, ((b * outHeight + oh) * outWidth + ow) * channels);
  const firstPixel = (rowOrigin + khFirst * dilationHeight) * inWidth + colOrigin + kwFirst * dilationWidth;
  let c = 0;
  for (; c + 4 <= channels; c += 4) {
    let best = v128.load(at(x, (imageBase + firstPixel) * channels + c));
    let winner = i32x4.splat(firstPixel);
    for (let kh = khFirst; kh < khEnd; kh++) {
      const pixelRow = (rowOrigin + kh * dilationHeight) * inWidth + colOrigin;
      for (let kw = kwFirst; kw < kwEnd; kw++) {
        const pixel = pixelRow + kw * dilationWidth;
        const value = v128.load(at(x, (imageBase + pixel) * channels + c));
        // Take a strictly greater value, or a first NaN (once best is NaN nothing replaces it).
        const takes = v128.or(f32x4.gt(value, best), v128.andnot(f32x4.ne(value, value), f32x4.ne(best, best)));
        best = v128.bitselect(value, best, takes);
        winner = v128.bitselect(i32x4.splat(pixel), winner, takes);
      }
    }
    addIfOwned(dx, dyPixel, imageBase, channels, c, i32x4.extract_lane(winner, 0), pixelLow, pixelHigh);
    addIfOwned(dx, dyPixel, imageBase, channels, c + 1, i32x4.extract_lane(winner, 1), pixelLow, pixelHigh);
    addIfOwned(dx, dyPixel, imageBase, channels, c + 2, i32x4.extract_lane(winner, 2), pixelLow, pixelHigh);
    addIfOwned(dx, dyPixel, imageBase, channels, c + 3, i32x4.extract_lane(winner, 3), pixelLow, pixelHigh);
  }
  for (; c < channels; c++) {
    let best = load<f32>(at(x, (imageBase + firstPixel) * channels + c));
    let winner = firstPixel;
    for (let kh = khFirst; kh < khEnd; kh++) {
      const pixelRow = (rowOrigin + kh * dilationHeight) * inWidth + colOrigin;
      for (let kw = kwFirst; kw < kwEnd; kw++) {
        const pixel = pixelRow + kw * dilationWidth;
        const value = load<f32>(at(x, (imageBase + pixel) * channels + c));
        if (value > best || (value != value && best == best)) {
          best = value;
          winner = pixel;
        }
      }
    }
    addIfOwned(dx, dyPixel, imageBase, channels, c, winner, pixelLow, pixelHigh);
  }
}

// @ts-ignore: decorator
@inline function addIfOwned(
  dx: usize, dyPixel: usize, imageBase: i32, channels: i32, c: i32, pixel: i32, pixelLow: i32, pixelHigh: i32,
): void {
  if (pixel < pixelLow || pixel >= pixelHigh) return;
  const p = at(dx, (imageBase + pixel) * channels + c);
  store<f32>(p, load<f32>(p) + load<f32>(at(dyPixel, c)));
}
