// tf.browser.fromPixels / fromPixelsAsync / toPixels / draw in Chromium: every source kind against
// known pixels, the round trip, and the errors a page author meets (0×0, not loaded, tainted, bad input).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBrowser } from './harness.js';
import { encodePNG, testPixels } from './png.js';
import { startServer, type StaticServer } from './server.js';

const W = 5;
const H = 3;
const OPAQUE = testPixels(W, H);
const TRANSLUCENT = testPixels(W, H, false);
const png = encodePNG(OPAQUE, W, H);

/** The first `channels` channels of each RGBA pixel, flattened as fromPixels lays them out. */
function channelsOf(rgba: Uint8Array, channels: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < rgba.length / 4; i++) for (let c = 0; c < channels; c++) out.push(rgba[i * 4 + c]);
  return out;
}

const browser = useBrowser({
  routes: {
    '/pixels.png': { type: 'image/png', body: png },
    '/missing.png': { status: 404, type: 'text/plain', body: 'no such image' },
  },
});

// A second origin (another port) for the tainted-canvas case: one image without CORS headers, one with.
let other: StaticServer;
beforeAll(async () => {
  other = await startServer({
    routes: {
      '/plain.png': { type: 'image/png', body: png },
      '/cors.png': { type: 'image/png', body: png, headers: { 'Access-Control-Allow-Origin': '*' } },
    },
  });
});
afterAll(() => other?.close());

describe('fromPixels sources', () => {
  it('reads ImageData with 1, 3 and 4 channels (alpha kept as is)', async () => {
    const result = await browser.run(async (tf, { rgba, w, h }) => {
      const image = new ImageData(new Uint8ClampedArray(rgba), w, h);
      return [1, 3, 4].map((c) => {
        const t = tf.browser.fromPixels(image, c);
        return { shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) };
      });
    }, { rgba: Array.from(TRANSLUCENT), w: W, h: H });
    [1, 3, 4].forEach((c, i) => {
      expect(result[i].shape).toEqual([H, W, c]);
      expect(result[i].dtype).toBe('int32');
      expect(result[i].values).toEqual(channelsOf(TRANSLUCENT, c));
    });
  });

  it('defaults to 3 channels and reads a plain {data, width, height} object', async () => {
    const result = await browser.run(async (tf, { rgba, w, h }) => {
      const t = tf.browser.fromPixels({ data: new Uint8Array(rgba), width: w, height: h });
      return { shape: t.shape, values: Array.from(t.dataSync()) };
    }, { rgba: Array.from(TRANSLUCENT), w: W, h: H });
    expect(result).toEqual({ shape: [H, W, 3], values: channelsOf(TRANSLUCENT, 3) });
  });

  it('reads an HTMLCanvasElement, an OffscreenCanvas and an ImageBitmap', async () => {
    const result = await browser.run(async (tf, { rgba, w, h }) => {
      const image = new ImageData(new Uint8ClampedArray(rgba), w, h);
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      canvas.getContext('2d')!.putImageData(image, 0, 0);
      const offscreen = new OffscreenCanvas(w, h);
      offscreen.getContext('2d')!.putImageData(image, 0, 0);
      const bitmap = await createImageBitmap(image);
      const read = (source: any) => [1, 3, 4].map((c) => Array.from(tf.browser.fromPixels(source, c).dataSync()));
      return { canvas: read(canvas), offscreen: read(offscreen), bitmap: read(bitmap) };
    }, { rgba: Array.from(OPAQUE), w: W, h: H });
    for (const kind of ['canvas', 'offscreen', 'bitmap'] as const) {
      [1, 3, 4].forEach((c, i) => expect(result[kind][i], `${kind}, ${c} channels`).toEqual(channelsOf(OPAQUE, c)));
    }
  });

  it('reads a loaded <img>, and fromPixelsAsync gives the same tensor', async () => {
    const result = await browser.run(async (tf) => {
      const image = new Image();
      image.src = '/pixels.png';
      await image.decode();
      const sync = [1, 3, 4].map((c) => Array.from(tf.browser.fromPixels(image, c).dataSync()));
      const viaAsync = [];
      for (const c of [1, 3, 4]) viaAsync.push(Array.from((await tf.browser.fromPixelsAsync(image, c)).dataSync()));
      const shape = tf.browser.fromPixels(image).shape;
      return { sync, viaAsync, shape };
    });
    expect(result.shape).toEqual([H, W, 3]);
    [1, 3, 4].forEach((c, i) => {
      expect(result.sync[i]).toEqual(channelsOf(OPAQUE, c));
      expect(result.viaAsync[i]).toEqual(channelsOf(OPAQUE, c));
    });
  });

  it('reads a video frame once the video has data, and names readyState before', async () => {
    const result = await browser.run(async (tf, { rgba, w, h }) => {
      const early = (() => {
        try {
          tf.browser.fromPixels(document.createElement('video'));
          return 'no error';
        } catch (err) {
          return (err as Error).message;
        }
      })();
      // A video of a solid-colour canvas: codecs resample colours, so only a flat colour survives exactly enough.
      const canvas = document.createElement('canvas');
      canvas.width = w * 16;
      canvas.height = h * 16;
      const context = canvas.getContext('2d')!;
      context.fillStyle = `rgb(${rgba[0]}, ${rgba[1]}, ${rgba[2]})`;
      context.fillRect(0, 0, canvas.width, canvas.height);
      const video = document.createElement('video');
      video.muted = true;
      video.srcObject = canvas.captureStream(30);
      const loaded = new Promise((resolve) => video.addEventListener('loadeddata', resolve, { once: true }));
      await video.play();
      await loaded;
      const frame = tf.browser.fromPixels(video);
      return { early, shape: frame.shape, first: Array.from(frame.dataSync().slice(0, 3)) };
    }, { rgba: Array.from(OPAQUE), w: W, h: H });
    expect(result.early).toMatch(/fromPixels: the video has no frame yet \(readyState 0\)/);
    expect(result.shape).toEqual([H * 16, W * 16, 3]);
    result.first.forEach((value, c) => expect(Math.abs(value - OPAQUE[c])).toBeLessThanOrEqual(4));
  });
});

describe('fromPixels errors', () => {
  it('names the problem: 0×0, not loaded, failed to load, numChannels, unknown input', async () => {
    const messages = await browser.run(async (tf) => {
      const message = (fn: () => unknown) => {
        try {
          fn();
          return 'no error';
        } catch (err) {
          return (err as Error).message;
        }
      };
      const empty = document.createElement('canvas');
      empty.width = 0;
      empty.height = 0;
      // A URL this page has not loaded yet: an image already in the page's memory cache completes at once.
      const loading = new Image();
      loading.src = `/pixels.png?fresh=${Math.random()}`;
      const notLoaded = message(() => tf.browser.fromPixels(loading));
      const broken = new Image();
      broken.src = '/missing.png';
      await new Promise((resolve) => broken.addEventListener('error', resolve, { once: true }));
      const square = new ImageData(2, 2);
      return {
        emptyCanvas: message(() => tf.browser.fromPixels(empty)),
        emptyPixels: message(() => tf.browser.fromPixels({ data: new Uint8Array(0), width: 0, height: 0 })),
        notLoaded,
        broken: message(() => tf.browser.fromPixels(broken)),
        channels2: message(() => tf.browser.fromPixels(square, 2)),
        channels5: message(() => tf.browser.fromPixels(square, 5)),
        shortData: message(() => tf.browser.fromPixels({ data: new Uint8Array(7), width: 2, height: 1 })),
        unknown: message(() => tf.browser.fromPixels({ src: 'x.png' } as any)),
        nothing: message(() => tf.browser.fromPixels(null as any)),
        asyncChannels: await tf.browser.fromPixelsAsync(square, 0).then(() => 'no error', (err) => err.message),
      };
    });
    expect(messages.emptyCanvas).toMatch(/^fromPixels: the canvas is 0×0/);
    expect(messages.emptyPixels).toMatch(/^fromPixels: the pixel data is 0×0/);
    expect(messages.notLoaded).toMatch(/^fromPixels: the image http:\/\/127\.0\.0\.1:\d+\/pixels\.png\?fresh=[\d.]+ has not finished loading/);
    expect(messages.broken).toMatch(/^fromPixels: the image .*missing\.png failed to load/);
    expect(messages.channels2).toBe('fromPixels: numChannels must be 1, 3 or 4, got 2');
    expect(messages.channels5).toBe('fromPixels: numChannels must be 1, 3 or 4, got 5');
    expect(messages.shortData).toBe('fromPixels: pixel data of 2×1 needs 8 RGBA bytes, got 7');
    expect(messages.unknown).toMatch(/^fromPixels: expected ImageData, HTMLImageElement.*got Object/);
    expect(messages.nothing).toMatch(/^fromPixels: expected .*got null/);
    expect(messages.asyncChannels).toBe('fromPixelsAsync: numChannels must be 1, 3 or 4, got 0');
  });

  it('explains a tainted canvas (an image from another origin without CORS); with CORS it reads', async () => {
    const result = await browser.run(async (tf, origin) => {
      const load = async (path: string, crossOrigin: boolean) => {
        const image = new Image();
        if (crossOrigin) image.crossOrigin = 'anonymous';
        image.src = origin + path;
        await image.decode();
        return image;
      };
      const plain = await load('/plain.png', false);
      let tainted = 'no error';
      try {
        tf.browser.fromPixels(plain);
      } catch (err) {
        tainted = `${(err as Error).message} | cause: ${((err as Error).cause as DOMException)?.name}`;
      }
      const cors = tf.browser.fromPixels(await load('/cors.png', true), 4);
      return { tainted, cors: Array.from(cors.dataSync()) };
    }, other.origin);
    expect(result.tainted).toMatch(/^fromPixels: the browser refuses to read these pixels because the image came from another origin without CORS/);
    expect(result.tainted).toMatch(/Access-Control-Allow-Origin.*crossOrigin = 'anonymous'.*cause: SecurityError$/);
    expect(result.cors).toEqual(Array.from(OPAQUE));
  });
});

describe('toPixels and draw', () => {
  it('round-trips int32 [h, w, 1|3|4] and rank 2 through a canvas', async () => {
    const result = await browser.run(async (tf, { rgba, w, h }) => {
      const image = new ImageData(new Uint8ClampedArray(rgba), w, h);
      const out: Record<string, { bytes: number[]; back: number[]; size: number[] }> = {};
      for (const c of [1, 3, 4]) {
        const t = tf.browser.fromPixels(image, c);
        const canvas = document.createElement('canvas');
        const bytes = await tf.browser.toPixels(t, canvas);
        out[c] = { bytes: Array.from(bytes), back: Array.from(tf.browser.fromPixels(canvas, c).dataSync()), size: [canvas.width, canvas.height] };
      }
      const gray = tf.reshape(tf.browser.fromPixels(image, 1), [h, w]);
      out.rank2 = { bytes: Array.from(await tf.browser.toPixels(gray)), back: [], size: [] };
      return out;
    }, { rgba: Array.from(OPAQUE), w: W, h: H });
    const gray = channelsOf(OPAQUE, 1).flatMap((v) => [v, v, v, 255]);
    expect(result[4].bytes).toEqual(Array.from(OPAQUE));
    expect(result[3].bytes).toEqual(Array.from(OPAQUE));
    expect(result[1].bytes).toEqual(gray);
    expect(result.rank2.bytes).toEqual(gray);
    for (const c of [1, 3, 4]) {
      expect(result[c].back).toEqual(channelsOf(OPAQUE, c));
      expect(result[c].size).toEqual([W, H]);
    }
  });

  it('scales float32 0–1 by 255 with rounding, and takes plain arrays as int32', async () => {
    const result = await browser.run(async (tf) => ({
      float: Array.from(await tf.browser.toPixels(tf.tensor([[[0, 0.5, 1], [0.2, 0.999, 0.001]]], [1, 2, 3], 'float32'))),
      array: Array.from(await tf.browser.toPixels([[7, 250]] as any)),
      offscreen: await (async () => {
        const canvas = new OffscreenCanvas(1, 1);
        await tf.browser.toPixels(tf.tensor([[[1, 2, 3, 255], [9, 8, 7, 255]]], [1, 2, 4], 'int32'), canvas);
        return [canvas.width, canvas.height, ...canvas.getContext('2d')!.getImageData(0, 0, 2, 1).data];
      })(),
    }));
    expect(result.float).toEqual([0, 128, 255, 255, 51, 255, 0, 255]);
    expect(result.array).toEqual([7, 7, 7, 255, 250, 250, 250, 255]);
    // Opaque pixels: a canvas stores colour premultiplied by alpha, so only alpha 255 reads back exactly.
    expect(result.offscreen).toEqual([2, 1, 1, 2, 3, 255, 9, 8, 7, 255]);
  });

  it('names dtype, rank, channel and range errors', async () => {
    const messages = await browser.run(async (tf) => {
      const message = (promise: Promise<unknown>) => promise.then(() => 'no error', (err) => err.message as string);
      return {
        floatRange: await message(tf.browser.toPixels(tf.tensor([[0.5, 1.5]], [1, 2], 'float32'))),
        nan: await message(tf.browser.toPixels(tf.tensor([[NaN]], [1, 1], 'float32'))),
        intRange: await message(tf.browser.toPixels(tf.tensor([[[0, 256, 0]]], [1, 1, 3], 'int32'))),
        negative: await message(tf.browser.toPixels(tf.tensor([[-1]], [1, 1], 'int32'))),
        rank1: await message(tf.browser.toPixels(tf.tensor([1, 2, 3], [3], 'int32'))),
        rank4: await message(tf.browser.toPixels(tf.zeros([1, 1, 1, 3], 'int32'))),
        twoChannels: await message(tf.browser.toPixels(tf.zeros([2, 2, 2], 'int32'))),
        bool: await message(tf.browser.toPixels(tf.tensor([[true]], [1, 1], 'bool'))),
        drawNoCanvas: (() => { try { tf.browser.draw(tf.zeros([1, 1], 'int32'), null as any); return 'no error'; } catch (err) { return (err as Error).message; } })(),
      };
    });
    expect(messages.floatRange).toBe('toPixels: float32 values must lie in [0, 1], found 1.5 at [0, 1, 0] (divide 0–255 data by 255, or cast it to int32)');
    expect(messages.nan).toMatch(/^toPixels: float32 values must lie in \[0, 1\], found NaN at \[0, 0, 0\]/);
    expect(messages.intRange).toBe('toPixels: int32 values must lie in [0, 255], found 256 at [0, 0, 1]');
    expect(messages.negative).toBe('toPixels: int32 values must lie in [0, 255], found -1 at [0, 0, 0]');
    expect(messages.rank1).toBe('toPixels: expected a rank 2 [h, w] or rank 3 [h, w, c] tensor, got rank 1 (shape [3])');
    expect(messages.rank4).toMatch(/^toPixels: expected a rank 2 .* got rank 4/);
    expect(messages.twoChannels).toBe('toPixels: expected 1, 3 or 4 channels, got 2 (shape [2,2,2])');
    expect(messages.bool).toBe('toPixels: expected an int32 (0–255) or float32 (0–1) tensor, got bool; cast it first');
    expect(messages.drawNoCanvas).toMatch(/^draw: expected a canvas/);
  });

  it('draw paints the pixels synchronously with the requested alpha for images without one', async () => {
    const result = await browser.run(async (tf, { rgba, w, h }) => {
      const image = tf.browser.fromPixels(new ImageData(new Uint8ClampedArray(rgba), w, h), 3);
      const canvas = document.createElement('canvas');
      tf.browser.draw(image, canvas);
      const opaque = Array.from(canvas.getContext('2d')!.getImageData(0, 0, w, h).data);
      tf.browser.draw(tf.zeros([1, 1, 3], 'int32'), canvas, { imageOptions: { alpha: 0.5 } });
      const alpha = canvas.getContext('2d')!.getImageData(0, 0, 1, 1).data[3];
      let badAlpha = 'no error';
      try { tf.browser.draw(image, canvas, { imageOptions: { alpha: 2 } }); } catch (err) { badAlpha = (err as Error).message; }
      return { opaque, alpha, badAlpha };
    }, { rgba: Array.from(OPAQUE), w: W, h: H });
    expect(result.opaque).toEqual(Array.from(OPAQUE));
    expect(result.alpha).toBe(128);
    expect(result.badAlpha).toBe('draw: imageOptions.alpha must lie in [0, 1], got 2');
  });
});
