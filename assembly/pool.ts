// 2-D max / average pooling and their backprops, f32x4 over the channel axis (NHWC: a pixel's channels
// are contiguous). x, dx: [N, H, W, C]; y, dy: [N, OH, OW, C].
// Taps in the padding are skipped: they never win a max and do not count in an average. NaN in a window
// makes its max NaN (f32x4.max propagates it); the max backprop routes dy to the first maximum (or first NaN).
// Units of start/end: the forward and the disjoint max backprop: N·OH output rows; the other backprops: N·H
// input rows. Each thread writes only its own dx rows (avg is a gather; the general max backprop recomputes
// the windows that touch its rows and keeps the hits in them).
import { endTap, firstTap, outputOfTap } from './window';

const MODE_MAX: i32 = 0;

// @ts-ignore: decorator
@inline function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

/**
 * y = max (mode 0) or mean (mode 1) over each window, rows [start, end) of the N·OH output rows. The
 * channel loop is innermost and y's pixel is the accumulator, so each tap is one pass of loads over a
 * contiguous run of channels.
 */
export function pool2d(
  x: usize, y: usize, inHeight: i32, inWidth: i32, channels: i32, outHeight: i32, outWidth: i32,
  filterHeight: i32, filterWidth: i32, strideHeight: i32, strideWidth: i32, dilationHeight: i32, dilationWidth: i32,
  padTop: i32, padLeft: i32, mode: i32, start: i32, end: i32,
): void {
  const tapStride = <usize>(dilationWidth * channels) << 2;
  for (let row = start; row < end; row++) {
    const b = row / outHeight, oh = row % outHeight;
    const rowOrigin = oh * strideHeight - padTop;
    const khFirst = firstTap(rowOrigin, dilationHeight);
    const khEnd = endTap(rowOrigin, dilationHeight, inHeight, filterHeight);
    for (let ow = 0; ow < outWidth; ow++) {
      const colOrigin = ow * strideWidth - padLeft;
      const kwFirst = firstTap(colOrigin, dilationWidth);
      const kwEnd = endTap(colOrigin, dilationWidth, inWidth, filterWidth);
      const yPixel = at(y, (row * outWidth + ow) * channels);
      if (khEnd <= khFirst || kwEnd <= kwFirst) {
        // An empty window (possible only with extreme padding): -inf for max, 0 for the average, as the reference.
        fillChannels(yPixel, channels, mode == MODE_MAX ? -Infinity : 0);
        continue;
      }
      let first = true;
      for (let kh = khFirst; kh < khEnd; kh++) {
        const xRow = (b * inHeight + rowOrigin + kh * dilationHeight) * inWidth;
        let xPixel = at(x, (xRow + colOrigin + kwFirst * dilationWidth) * channels);
        for (let kw = kwFirst; kw < kwEnd; kw++, xPixel += tapStride) {
          if (first) copyChannels(yPixel, xPixel, channels);
          else if (mode == MODE_MAX) maxIntoChannels(yPixel, xPixel, channels);
          else addIntoChannels(yPixel, xPixel, channels);
          first = false;
        }
      }
      if (mode != MODE_MAX) scaleChannels(yPixel, channels, <f32>1 / <f32>((khEnd - khFirst) * (kwEnd - kwFirst)));
    }
  }
}

/** `channels` floats from out set to value (also used to zero whole runs of dx rows). */
// @ts-ignore: decorator
@inline function fillChannels(out: usize, channels: i32, value: f32): void {
  let c = 0;
  for (; c + 4 <= channels; c += 4) v128.store(at(out, c), f32x4.splat(value));
  for (; c < channels; c++) store<f32>(at(out, c), value);
}

// @ts-ignore: decorator
@inline function copyChannels(out: usize, from: usize, channels: i32): void {
  let c = 0;
  for (; c + 4 <= channels; c += 4) v128.store(at(out, c), v128.load(at(from, c)));
  for (; c < channels; c++) store<f32>(at(out, c), load<f32>(at(from, c)));
}

// NaN propagates: f32x4.max and the scalar max both return NaN when either side is NaN.
// @ts-ignore: decorator
@inline function maxIntoChannels(out: usize, from: usize, channels: i32): void {
  let c = 0;
  for (; c + 4 <= channels; c += 4) v128.store(at(out, c), f32x4.max(v128.load(at(out, c)), v128.load(at(from, c))));
  for (; c < channels; c++) store<f32>(at(out, c), max<f32>(load<f32>(at(out, c)), load<f32>(at(from, c))));
}

// @ts-ignore: decorator
@inline function addIntoChannels(out: usize, from: usize, channels: i32): void {
  let c = 0;
  for (; c + 4 <= channels; c += 4) v128.store(at(out, c), f32x4.add(v128.load(at(out, c)), v128.load(at(from, c))));
  for (; c < channels; c++) store<f32>(at(out, c), load<f32>(at(out, c)) + load<f32>(at(from, c)));
}

// @ts-ignore: decorator
@inline function scaleChannels(out: usize, channels: i32, scale: f32): void {
  const scaleV = f32x4.splat(scale);
  let c = 0;
  for (; c + 4 <= channels; c += 4) v128.store(at(out, c), f32x4.mul(v128.load(at(out, c)), scaleV));
  for (; c < channels; c++) store<f32>(at(out, c), load<f32>(at(out, c)) * scale);
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
      fillChannels(dxPixel, channels, 0);
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
  fillChannels(at(dx, start * rowSize), (end - start) * rowSize, 0);
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

/**
 * dx of max pooling when windows cannot overlap (stride >= dilated window, the usual 2x2 / stride 2), over
 * output rows [start, end) of the N·OH rows. Output row oh owns the input rows from its window origin to the
 * next row's origin (the first and last also own the edges), so threads write disjoint dx rows: zero them,
 * then route each window's dy to its first maximum (or first NaN) per channel, found with a max pass and a
 * first-match pass, all on f32x4 over contiguous channels.
 */
export function maxPool2dBackpropDisjoint(
  dy: usize, x: usize, dx: usize, inHeight: i32, inWidth: i32, channels: i32, outHeight: i32, outWidth: i32,
  filterHeight: i32, filterWidth: i32, strideHeight: i32, strideWidth: i32, dilationHeight: i32, dilationWidth: i32,
  padTop: i32, padLeft: i32, start: i32, end: i32,
): void {
  const rowSize = inWidth * channels;
  const tapStride = <usize>(dilationWidth * channels) << 2;
  for (let row = start; row < end; row++) {
    const b = row / outHeight, oh = row % outHeight;
    const rowOrigin = oh * strideHeight - padTop;
    const ownedLow = oh == 0 ? 0 : min(inHeight, max(0, rowOrigin));
    const ownedHigh = oh == outHeight - 1 ? inHeight : min(inHeight, max(ownedLow, rowOrigin + strideHeight));
    const imageRow = b * inHeight;
    fillChannels(at(dx, (imageRow + ownedLow) * rowSize), (ownedHigh - ownedLow) * rowSize, 0);
    const khFirst = firstTap(rowOrigin, dilationHeight);
    const khEnd = endTap(rowOrigin, dilationHeight, inHeight, filterHeight);
    if (khEnd <= khFirst) continue;
    for (let ow = 0; ow < outWidth; ow++) {
      const colOrigin = ow * strideWidth - padLeft;
      const kwFirst = firstTap(colOrigin, dilationWidth);
      const kwEnd = endTap(colOrigin, dilationWidth, inWidth, filterWidth);
      if (kwEnd <= kwFirst) continue;
      const firstPixel = (imageRow + rowOrigin + khFirst * dilationHeight) * inWidth + colOrigin + kwFirst * dilationWidth;
      const dyPixel = at(dy, (row * outWidth + ow) * channels);
      const rowStep = <usize>(dilationHeight * inWidth * channels) << 2;
      let c = 0;
      for (; c + 4 <= channels; c += 4) {
        const base = at(x, firstPixel * channels + c);
        let best = v128.load(base);
        let rowPtr = base;
        for (let kh = khFirst; kh < khEnd; kh++, rowPtr += rowStep) {
          let p = rowPtr;
          for (let kw = kwFirst; kw < kwEnd; kw++, p += tapStride) best = f32x4.max(best, v128.load(p));
        }
        const bestIsNaN = f32x4.ne(best, best);
        const upstream = v128.load(at(dyPixel, c));
        let taken = i32x4.splat(0);
        rowPtr = base;
        const dxBase = at(dx, firstPixel * channels + c);
        let dxRow = dxBase;
        for (let kh = khFirst; kh < khEnd; kh++, rowPtr += rowStep, dxRow += rowStep) {
          let p = rowPtr, q = dxRow;
          for (let kw = kwFirst; kw < kwEnd; kw++, p += tapStride, q += tapStride) {
            const value = v128.load(p);
            const matches = v128.or(f32x4.eq(value, best), v128.and(f32x4.ne(value, value), bestIsNaN));
            const hit = v128.andnot(matches, taken);
            v128.store(q, v128.and(hit, upstream));
            taken = v128.or(taken, hit);
          }
        }
      }
      for (; c < channels; c++) {
        const base = at(x, firstPixel * channels + c);
        let best = load<f32>(base);
        let winner = base;
        let rowPtr = base;
        for (let kh = khFirst; kh < khEnd; kh++, rowPtr += rowStep) {
          let p = rowPtr;
          for (let kw = kwFirst; kw < kwEnd; kw++, p += tapStride) {
            const value = load<f32>(p);
            if (value > best || (value != value && best == best)) {
              best = value;
              winner = p;
            }
          }
        }
        store<f32>(dx + (winner - x), load<f32>(at(dyPixel, c)));
      }
    }
  }
}
