// tf.browser: tensors from and to pixels (images, canvases, video frames), as tfjs-core's browser ops.
import { fromPixels, fromPixelsAsync } from './from-pixels.js';
import { draw, toPixels } from './to-pixels.js';

export type { PixelData, PixelSource } from './pixel-sources.js';
export type { DrawOptions, PixelCanvas } from './to-pixels.js';
export { fromPixels, fromPixelsAsync, toPixels, draw };

/** The tf.browser namespace. */
export const browser = { fromPixels, fromPixelsAsync, toPixels, draw };
