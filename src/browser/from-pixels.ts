// tf.browser.fromPixels / fromPixelsAsync: an image-like source → an int32 tensor [height, width, channels]
// of 0–255 values, as tfjs: 1 channel keeps red, 3 keeps RGB, 4 keeps RGBA.
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { readRGBA, type PixelSource } from './pixel-sources.js';

function checkChannels(numChannels: unknown, op: string): asserts numChannels is 1 | 3 | 4 {
  if (numChannels !== 1 && numChannels !== 3 && numChannels !== 4) {
    throw new Error(`${op}: numChannels must be 1, 3 or 4, got ${String(numChannels)}`);
  }
}

/**
 * The pixels of an image, canvas, video frame, bitmap or RGBA buffer as an int32 tensor [h, w, numChannels].
 *
 *   const image = tf.browser.fromPixels(document.querySelector('img'));   // [h, w, 3]
 */
export function fromPixels(pixels: PixelSource, numChannels: number = 3): Tensor {
  checkChannels(numChannels, 'fromPixels');
  const { data, width, height } = readRGBA(pixels, 'fromPixels');
  const count = width * height;
  const values = new Int32Array(count * numChannels);
  if (numChannels === 4) {
    values.set(data);
  } else {
    for (let pixel = 0; pixel < count; pixel++) {
      for (let channel = 0; channel < numChannels; channel++) values[pixel * numChannels + channel] = data[pixel * 4 + channel];
    }
  }
  // x: [H, W, C], row-major as the canvas stores it.
  return tensor(values, [height, width, numChannels], 'int32');
}

/**
 * fromPixels after wrapping the source in an ImageBitmap where the browser can (decoding off the main
 * thread, no premultiplied alpha); falls back to fromPixels's own path otherwise, with the same result.
 */
export async function fromPixelsAsync(pixels: PixelSource, numChannels: number = 3): Promise<Tensor> {
  checkChannels(numChannels, 'fromPixelsAsync');
  const bitmap = await tryImageBitmap(pixels);
  if (bitmap === undefined) return fromPixels(pixels, numChannels);
  try {
    return fromPixels(bitmap, numChannels);
  } finally {
    bitmap.close();
  }
}

async function tryImageBitmap(pixels: PixelSource): Promise<ImageBitmap | undefined> {
  if (typeof createImageBitmap !== 'function' || pixels === null || typeof pixels !== 'object') return undefined;
  // Pixel buffers are read directly and bitmaps already are one; an empty source gets fromPixels's error.
  if ('data' in pixels || (typeof ImageBitmap === 'function' && pixels instanceof ImageBitmap)) return undefined;
  const { width, height } = pixels as { width?: number; height?: number };
  if (!width || !height) return undefined;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(pixels as ImageBitmapSource, { premultiplyAlpha: 'none' });
  } catch {
    // A not-yet-loaded image or an unsupported source: fromPixels says what is wrong with it.
    return undefined;
  }
  // createImageBitmap uses the natural size; an <img width=…> or a video's layout size would differ.
  if (bitmap.width !== width || bitmap.height !== height) {
    bitmap.close();
    return undefined;
  }
  return bitmap;
}
