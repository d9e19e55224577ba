// tf.browser.toPixels / draw: an image tensor → RGBA bytes (and onto a canvas), as tfjs:
// int32 values must lie in 0–255, float32 values in 0–1 (scaled by 255); rank 2 is grayscale,
// rank 3 has 1 (gray), 3 (RGB, opaque) or 4 (RGBA) channels.
import { tensor } from '../ops/creation.js';
import { Tensor, type TensorLike } from '../tensor.js';

export type PixelCanvas = HTMLCanvasElement | OffscreenCanvas;

export interface DrawOptions {
  /** Alpha (0–1) given to images without an alpha channel; default 1 (opaque). */
  imageOptions?: { alpha?: number };
}

/** Validates an image tensor and returns its height, width and channels. */
function imageGeometry(image: Tensor, op: string): { height: number; width: number; depth: number } {
  if (image.rank !== 2 && image.rank !== 3) {
    throw new Error(`${op}: expected a rank 2 [h, w] or rank 3 [h, w, c] tensor, got rank ${image.rank} (shape [${image.shape}])`);
  }
  const depth = image.rank === 2 ? 1 : image.shape[2];
  if (depth !== 1 && depth !== 3 && depth !== 4) throw new Error(`${op}: expected 1, 3 or 4 channels, got ${depth} (shape [${image.shape}])`);
  if (image.dtype !== 'float32' && image.dtype !== 'int32') {
    throw new Error(`${op}: expected an int32 (0–255) or float32 (0–1) tensor, got ${image.dtype}; cast it first`);
  }
  return { height: image.shape[0], width: image.shape[1], depth };
}

/** RGBA bytes of a validated image tensor's values; every value's range is checked. */
function rgbaBytes(values: ArrayLike<number>, image: Tensor, op: string, alpha = 1): Uint8ClampedArray<ArrayBuffer> {
  const { height, width, depth } = imageGeometry(image, op);
  const isFloat = image.dtype === 'float32';
  const scale = isFloat ? 255 : 1;
  const limit = isFloat ? 1 : 255;
  const bytes = new Uint8ClampedArray(width * height * 4);
  const opaque = Math.round(alpha * 255);
  for (let pixel = 0; pixel < width * height; pixel++) {
    const out = pixel * 4;
    bytes[out + 3] = opaque;
    for (let channel = 0; channel < depth; channel++) {
      const value = values[pixel * depth + channel];
      // Written so NaN fails too.
      if (!(value >= 0 && value <= limit)) {
        const row = Math.floor(pixel / width);
        throw new Error(
          `${op}: ${image.dtype} values must lie in [0, ${limit}], found ${value} at [${row}, ${pixel % width}, ${channel}]` +
            (isFloat ? ' (divide 0–255 data by 255, or cast it to int32)' : ''),
        );
      }
      const byte = Math.round(value * scale);
      if (depth === 1) bytes[out] = bytes[out + 1] = bytes[out + 2] = byte;
      else bytes[out + channel] = byte;
    }
  }
  return bytes;
}

function asImageTensor(image: Tensor | TensorLike, op: string): Tensor {
  if (image instanceof Tensor) {
    if (image.isDisposed) throw new Error(`${op}: the tensor was disposed`);
    return image;
  }
  // Plain arrays are taken as int32 0–255 values, as tfjs does.
  return tensor(image, undefined, 'int32');
}

function paint(bytes: Uint8ClampedArray<ArrayBuffer>, width: number, height: number, canvas: PixelCanvas, op: string): void {
  if (typeof ImageData !== 'function') throw new Error(`${op}: drawing on a canvas needs a browser (no ImageData here); call it without a canvas to get the bytes`);
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (context === null) throw new Error(`${op}: the canvas has no 2D context (it already holds a WebGL or bitmap context); pass a fresh canvas`);
  context.putImageData(new ImageData(bytes, width, height), 0, 0);
}

/**
 * The tensor's pixels as RGBA bytes (Uint8ClampedArray of h·w·4); also drawn on `canvas` if given.
 *
 *   await tf.browser.toPixels(tf.div(image, 255), document.querySelector('canvas'));
 */
export async function toPixels(image: Tensor | TensorLike, canvas?: PixelCanvas): Promise<Uint8ClampedArray<ArrayBuffer>> {
  const img = asImageTensor(image, 'toPixels');
  try {
    const { height, width } = imageGeometry(img, 'toPixels');
    const bytes = rgbaBytes(await img.data(), img, 'toPixels');
    if (canvas != null) paint(bytes, width, height, canvas, 'toPixels');
    return bytes;
  } finally {
    if (img !== image) img.dispose();
  }
}

/** Draws an image tensor on a canvas (synchronous, as tfjs's draw). */
export function draw(image: Tensor | TensorLike, canvas: PixelCanvas, options: DrawOptions = {}): void {
  const img = asImageTensor(image, 'draw');
  try {
    if (canvas == null) throw new Error('draw: expected a canvas to draw on (use toPixels to get the bytes only)');
    const alpha = options.imageOptions?.alpha ?? 1;
    if (!(alpha >= 0 && alpha <= 1)) throw new Error(`draw: imageOptions.alpha must lie in [0, 1], got ${alpha}`);
    const { height, width } = imageGeometry(img, 'draw');
    paint(rgbaBytes(img.dataSync(), img, 'draw', alpha), width, height, canvas, 'draw');
  } finally {
    if (img !== image) img.dispose();
  }
}
