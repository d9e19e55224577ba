// What fromPixels accepts and how each kind yields RGBA bytes: pixel objects ({data, width, height},
// ImageData) are read as they are, so they work in Node too; images, videos, bitmaps and canvases are
// drawn onto a 2D canvas and read back with getImageData, which needs a DOM or OffscreenCanvas.

/** A plain RGBA pixel buffer, row-major, 4 bytes a pixel (ImageData has this shape). */
export interface PixelData {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

export type PixelSource =
  | PixelData
  | ImageData
  | HTMLImageElement
  | HTMLCanvasElement
  | HTMLVideoElement
  | ImageBitmap
  | OffscreenCanvas;

/** RGBA bytes of a source with its size: data.length === width * height * 4. */
export interface RGBAPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

const ACCEPTED =
  'ImageData, HTMLImageElement, HTMLCanvasElement, OffscreenCanvas, ImageBitmap, HTMLVideoElement, or {data: Uint8Array, width, height}';

const isInstance = (value: unknown, name: string): boolean => {
  const constructor = (globalThis as Record<string, unknown>)[name];
  return typeof constructor === 'function' && value instanceof (constructor as new () => unknown);
};

function isPixelData(value: object): value is PixelData {
  const { data } = value as Partial<PixelData>;
  return data instanceof Uint8Array || data instanceof Uint8ClampedArray;
}

function hasCanvasAPI(): boolean {
  return typeof OffscreenCanvas === 'function' || typeof document !== 'undefined';
}

function typeName(value: unknown): string {
  if (value === null || typeof value !== 'object') return value === null ? 'null' : typeof value;
  return (value as object).constructor?.name ?? 'an object';
}

function checkSize(op: string, kind: string, width: number, height: number, hint: string): void {
  if (!(width > 0 && height > 0)) throw new Error(`${op}: the ${kind} is ${width}×${height}; ${hint}`);
}

/** The RGBA bytes of `pixels`; `op` names the caller in errors. */
export function readRGBA(pixels: PixelSource, op: string): RGBAPixels {
  if (pixels === null || typeof pixels !== 'object') throw new Error(`${op}: expected ${ACCEPTED}, got ${typeName(pixels)}`);
  if (isPixelData(pixels)) {
    const { data, width, height } = pixels;
    checkSize(op, 'pixel data', width, height, 'there is nothing to read');
    if (!Number.isInteger(width) || !Number.isInteger(height) || data.length !== width * height * 4) {
      throw new Error(`${op}: pixel data of ${width}×${height} needs ${width * height * 4} RGBA bytes, got ${data.length}`);
    }
    return { data, width, height };
  }
  if (!hasCanvasAPI()) {
    throw new Error(
      `${op}: reading a ${typeName(pixels)} needs a browser (a canvas to draw it on); ` +
        'outside a browser pass an ImageData-like object {data: Uint8Array of RGBA bytes, width, height}',
    );
  }
  if (isInstance(pixels, 'HTMLVideoElement')) {
    const video = pixels as HTMLVideoElement;
    // HAVE_CURRENT_DATA (2): before it there is no frame to draw.
    if (video.readyState < 2) throw new Error(`${op}: the video has no frame yet (readyState ${video.readyState}); wait for its 'loadeddata' event`);
    checkSize(op, 'video', video.videoWidth, video.videoHeight, 'it has no frame to read');
    return drawAndRead(video, video.videoWidth, video.videoHeight, op);
  }
  if (isInstance(pixels, 'HTMLImageElement')) {
    const image = pixels as HTMLImageElement;
    if (!image.complete) throw new Error(`${op}: the image ${describeImage(image)} has not finished loading; await image.decode() or its 'load' event first`);
    if (image.naturalWidth === 0) throw new Error(`${op}: the image ${describeImage(image)} failed to load or is 0×0 (no pixels to read)`);
    // tfjs reads the element's width/height (its attributes or natural size), so <img width=…> scales.
    checkSize(op, 'image', image.width, image.height, 'set its width and height');
    return drawAndRead(image, image.width, image.height, op);
  }
  if (typeof (pixels as HTMLCanvasElement).getContext === 'function') {
    const canvas = pixels as HTMLCanvasElement | OffscreenCanvas;
    checkSize(op, 'canvas', canvas.width, canvas.height, 'give it a width and height before reading it');
    // A canvas with a WebGL context has no 2D one; drawing it onto a scratch canvas reads it anyway.
    const context = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
    if (context === null) return drawAndRead(canvas, canvas.width, canvas.height, op);
    return readContext(context, canvas.width, canvas.height, op);
  }
  if (isInstance(pixels, 'ImageBitmap')) {
    const bitmap = pixels as ImageBitmap;
    checkSize(op, 'ImageBitmap', bitmap.width, bitmap.height, 'it is empty or was closed');
    return drawAndRead(bitmap, bitmap.width, bitmap.height, op);
  }
  throw new Error(`${op}: expected ${ACCEPTED}, got ${typeName(pixels)}`);
}

function describeImage(image: HTMLImageElement): string {
  const source = image.currentSrc || image.src;
  if (!source) return '(no src)';
  return source.length > 80 ? `${source.slice(0, 77)}...` : source;
}

// One scratch canvas for all calls: creating a canvas per frame is what makes video loops slow.
let scratch: HTMLCanvasElement | OffscreenCanvas | undefined;

function scratchContext(width: number, height: number): CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D {
  scratch ??= typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(width, height) : document.createElement('canvas');
  scratch.width = width;
  scratch.height = height;
  // willReadFrequently keeps the canvas in CPU memory, so getImageData does not wait on the GPU.
  const context = scratch.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (context === null) throw new Error('fromPixels: this browser gives no 2D canvas context to read pixels with');
  return context;
}

function drawAndRead(source: CanvasImageSource, width: number, height: number, op: string): RGBAPixels {
  const context = scratchContext(width, height);
  context.clearRect(0, 0, width, height);
  context.drawImage(source, 0, 0, width, height);
  return readContext(context, width, height, op);
}

function readContext(context: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, width: number, height: number, op: string): RGBAPixels {
  try {
    return { data: context.getImageData(0, 0, width, height).data, width, height };
  } catch (err) {
    if ((err as DOMException)?.name === 'SecurityError') {
      throw new Error(
        `${op}: the browser refuses to read these pixels because the image came from another origin without CORS ` +
          "(the canvas is tainted). Serve it with an Access-Control-Allow-Origin header and set image.crossOrigin = 'anonymous' " +
          'before setting its src (or load it from the same origin)',
        { cause: err },
      );
    }
    throw err;
  }
}
