// Backend-level tests of depthwiseConv2d (+ both backprops), pool2d max/avg (+ backprop) and batchNorm on
// every backend against a float64 JS oracle written here: filters 1x1…7x7, strides 1 and 2, dilation 2,
// asymmetric padding, channels 1…64, channel multipliers 1…5, batch 1 and 7, ties and NaN in max windows;
// and the wasm backend on 1 thread vs 2 threads bit for bit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Conv2DInfo, DataId } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { WasmBackend } from '../src/backend/wasm/index.js';
import { createRuntime, type Runtime } from '../src/runtime/index.js';
import { expectClose } from './helpers.js';
import { randomValues } from './random.js';
import { windowInfo, type WindowCase } from './window-case.js';
import { useSingleAndThreadedRuntimes } from './runtimes.js';

interface Case extends WindowCase {
  /** Depthwise channel multiplier (pooling ignores it). */
  multiplier?: number;
}

const infoOf = (c: Case): Conv2DInfo => windowInfo(c, c.channels * (c.multiplier ?? 1));

const label = (c: Case) => `x [${c.batch},${c.height},${c.width},${c.channels}] ×${c.multiplier ?? 1}, filter ` +
  `${c.filter.join('x')}, strides ${(c.strides ?? [1, 1]).join(',')}, dilations ${(c.dilations ?? [1, 1]).join(',')}, ` +
  `pads ${(c.pads ?? [0, 0, 0, 0]).join(',')}`;

/** Every output pixel's in-bounds taps as [flat x index of channel 0, kh, kw]: the window, padding dropped. */
function windows(i: Conv2DInfo): { yPixel: number; taps: [number, number, number][] }[] {
  const out = [];
  for (let b = 0; b < i.batch; b++) for (let oh = 0; oh < i.outHeight; oh++) for (let ow = 0; ow < i.outWidth; ow++) {
    const taps: [number, number, number][] = [];
    for (let kh = 0; kh < i.filterHeight; kh++) for (let kw = 0; kw < i.filterWidth; kw++) {
      const h = oh * i.strideHeight + kh * i.dilationHeight - i.padTop;
      const w = ow * i.strideWidth + kw * i.dilationWidth - i.padLeft;
      if (h >= 0 && h < i.inHeight && w >= 0 && w < i.inWidth) taps.push([((b * i.inHeight + h) * i.inWidth + w) * i.inChannels, kh, kw]);
    }
    out.push({ yPixel: (b * i.outHeight + oh) * i.outWidth + ow, taps });
  }
  return out;
}

/** float64 depthwise oracle: y as an explicit sum, dx and dFilter as its exact adjoints. */
function referenceDepthwise(i: Conv2DInfo, x: Float32Array, filter: Float32Array, dy: Float32Array) {
  const M = i.outChannels / i.inChannels;
  const y = new Float64Array(dy.length), dx = new Float64Array(x.length), dFilter = new Float64Array(filter.length);
  for (const { yPixel, taps } of windows(i)) {
    for (let c = 0; c < i.inChannels; c++) for (let m = 0; m < M; m++) {
      const o = yPixel * i.outChannels + c * M + m;
      for (const [xBase, kh, kw] of taps) {
        const f = ((kh * i.filterWidth + kw) * i.inChannels + c) * M + m;
        y[o] += x[xBase + c] * filter[f];
        dx[xBase + c] += dy[o] * filter[f];
        dFilter[f] += dy[o] * x[xBase + c];
      }
    }
  }
  return { y, dx, dFilter };
}

/** float64 pooling oracle: max = first maximum (a NaN wins at once), avg over in-bounds taps; dx routes dy back. */
function referencePool(i: Conv2DInfo, x: Float32Array, dy: Float32Array) {
  const C = i.inChannels;
  const max = new Float64Array(dy.length), avg = new Float64Array(dy.length);
  const dxMax = new Float64Array(x.length), dxAvg = new Float64Array(x.length);
  for (const { yPixel, taps } of windows(i)) {
    for (let c = 0; c < C; c++) {
      const o = yPixel * C + c;
      let winner = -1;
      for (const [xBase] of taps) {
        const v = x[xBase + c];
        if (winner < 0 || v > x[winner] || (Number.isNaN(v) && !Number.isNaN(x[winner]))) winner = xBase + c;
      }
      max[o] = winner < 0 ? -Infinity : x[winner];
      if (winner >= 0) dxMax[winner] += dy[o];
      let sum = 0;
      for (const [xBase] of taps) sum += x[xBase + c];
      avg[o] = taps.length ? sum / taps.length : 0;
      for (const [xBase] of taps) dxAvg[xBase + c] += dy[o] / taps.length;
    }
  }
  return { max, avg, dxMax, dxAvg };
}

const DEPTHWISE_CASES: Case[] = [
  { batch: 1, height: 5, width: 4, channels: 3, filter: [1, 1] },
  { batch: 7, height: 6, width: 5, channels: 17, filter: [3, 3], pads: [1, 1, 1, 1] },
  { batch: 2, height: 9, width: 11, channels: 5, multiplier: 2, filter: [3, 3], strides: [2, 2], pads: [0, 1, 0, 1] },
  { batch: 1, height: 8, width: 7, channels: 1, multiplier: 5, filter: [3, 3], pads: [1, 1, 1, 1] },
  { batch: 3, height: 10, width: 9, channels: 17, multiplier: 3, filter: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] },
  { batch: 1, height: 12, width: 10, channels: 64, filter: [5, 5], pads: [2, 1, 0, 2] },
  { batch: 2, height: 11, width: 13, channels: 5, multiplier: 4, filter: [5, 3], strides: [2, 1], dilations: [1, 2], pads: [1, 2, 3, 0] },
  { batch: 1, height: 14, width: 13, channels: 3, filter: [7, 7], strides: [2, 2], pads: [3, 3, 2, 3] },
  { batch: 7, height: 5, width: 6, channels: 64, multiplier: 2, filter: [3, 2], strides: [1, 2], pads: [0, 0, 1, 0] },
  { batch: 1, height: 4, width: 4, channels: 2, filter: [3, 3], pads: [3, 3, 3, 3] }, // windows all in padding
  // Strides and dilations with common factors and without: the taps reaching one input pixel step by 1, 2, 3.
  { batch: 2, height: 13, width: 12, channels: 9, filter: [3, 5], strides: [2, 3], dilations: [2, 3], pads: [2, 1, 4, 3] },
  { batch: 2, height: 13, width: 14, channels: 13, filter: [4, 5], strides: [2, 3], dilations: [3, 2], pads: [3, 2, 4, 3] },
  { batch: 1, height: 15, width: 11, channels: 6, multiplier: 2, filter: [4, 5], strides: [3, 2], dilations: [2, 3], pads: [1, 4, 0, 5] },
];

const POOL_CASES: Case[] = [
  { batch: 1, height: 4, width: 6, channels: 1, filter: [2, 2], strides: [2, 2] },
  { batch: 7, height: 9, width: 7, channels: 3, filter: [2, 2], strides: [2, 2] },
  { batch: 2, height: 9, width: 11, channels: 17, filter: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  { batch: 3, height: 8, width: 7, channels: 5, filter: [3, 3], pads: [1, 1, 1, 1] },
  { batch: 1, height: 10, width: 9, channels: 64, filter: [3, 3], dilations: [2, 2], pads: [2, 1, 2, 2] },
  { batch: 2, height: 13, width: 12, channels: 5, filter: [5, 3], strides: [2, 1], dilations: [1, 2], pads: [2, 2, 3, 0] },
  { batch: 1, height: 14, width: 13, channels: 3, filter: [7, 7], strides: [3, 2], pads: [3, 3, 2, 3] },
  { batch: 7, height: 5, width: 6, channels: 64, filter: [1, 1], strides: [2, 2] },
  { batch: 1, height: 3, width: 3, channels: 6, filter: [2, 2], pads: [2, 2, 2, 2] }, // windows all in padding
  // Disjoint windows (stride >= dilated window) take the max backprop's disjoint path: odd sizes, 'same'
  // padding, gaps between windows, dilation, channel tails.
  { batch: 3, height: 11, width: 13, channels: 17, filter: [2, 2], strides: [2, 2], pads: [0, 1, 0, 1] },
  { batch: 2, height: 10, width: 9, channels: 7, filter: [2, 3], strides: [3, 4], pads: [1, 0, 1, 2] },
  { batch: 2, height: 12, width: 11, channels: 5, filter: [2, 2], strides: [3, 3], dilations: [2, 2] },
];

const backends: { name: string; make: () => Promise<{ backend: Backend; runtime?: Runtime }> }[] = [
  { name: 'reference', make: async () => ({ backend: new ReferenceBackend() }) },
  {
    name: 'wasm', make: async () => {
      const runtime = await createRuntime({ threads: 1 });
      return { backend: new WasmBackend(runtime), runtime };
    },
  },
];

for (const { name, make } of backends) {
  describe(`depthwise / pooling / batch norm kernels [${name}]`, () => {
    let backend: Backend;
    let runtime: Runtime | undefined;
    beforeAll(async () => { ({ backend, runtime } = await make()); });
    afterAll(async () => { await runtime?.terminate(); });

    const read = (data: DataId, size: number) => backend.read(data, 'float32', size) as Float32Array;

    /** Runs body with fresh buffers, then checks it disposed everything it made. */
    function withBuffers(body: (input: (values: Float32Array) => DataId, made: DataId[]) => void): void {
      const before = backend.memory().buffers;
      const bytesBefore = runtime?.allocatedBytes() ?? 0;
      const made: DataId[] = [];
      body((values) => { const data = backend.write(values, 'float32'); made.push(data); return data; }, made);
      for (const data of made) backend.dispose(data);
      expect(backend.memory().buffers).toBe(before);
      if (runtime) expect(runtime.allocatedBytes()).toBe(bytesBefore);
    }

    DEPTHWISE_CASES.forEach((c, index) => {
      it(`depthwiseConv2d ${label(c)}`, () => {
        const info = infoOf(c);
        const xSize = info.batch * info.inHeight * info.inWidth * info.inChannels;
        const filterSize = info.filterHeight * info.filterWidth * info.outChannels;
        const ySize = info.batch * info.outHeight * info.outWidth * info.outChannels;
        const x = randomValues(xSize, 10 + index);
        const filter = randomValues(filterSize, 20 + index);
        const dy = randomValues(ySize, 30 + index);
        const expected = referenceDepthwise(info, x, filter, dy);
        withBuffers((input, made) => {
          const [xData, filterData, dyData] = [x, filter, dy].map(input);
          const y = backend.depthwiseConv2d!(xData, filterData, info);
          const dx = backend.depthwiseConv2dBackpropInput!(dyData, filterData, info);
          const dFilter = backend.depthwiseConv2dBackpropFilter!(xData, dyData, info);
          made.push(y, dx, dFilter);
          const taps = info.filterHeight * info.filterWidth;
          expectClose(read(y, ySize), expected.y, { rtol: 1e-4, atol: 1e-6 * taps });
          expectClose(read(dx, xSize), expected.dx, { rtol: 1e-4, atol: 1e-6 * taps * info.outChannels / info.inChannels });
          expectClose(read(dFilter, filterSize), expected.dFilter,
            { rtol: 1e-4, atol: 1e-6 * info.batch * info.outHeight * info.outWidth });
        });
      });
    });

    POOL_CASES.forEach((c, index) => {
      it(`pool2d max/avg ${label(c)}`, () => {
        const info = infoOf(c);
        const xSize = info.batch * info.inHeight * info.inWidth * info.inChannels;
        const ySize = info.batch * info.outHeight * info.outWidth * info.inChannels;
        // Values on a coarse grid so that max windows have ties (the first maximum must win).
        const x = randomValues(xSize, 40 + index, -3, 3).map(Math.round);
        const dy = randomValues(ySize, 50 + index);
        const expected = referencePool(info, x, dy);
        withBuffers((input, made) => {
          const [xData, dyData] = [x, dy].map(input);
          const max = backend.pool2d!(xData, info, 'max');
          const avg = backend.pool2d!(xData, info, 'avg');
          const dxMax = backend.pool2dBackprop!(dyData, xData, info, 'max');
          const dxAvg = backend.pool2dBackprop!(dyData, xData, info, 'avg');
          made.push(max, avg, dxMax, dxAvg);
          expectClose(read(max, ySize), expected.max, { rtol: 0, atol: 0 });
          expectClose(read(avg, ySize), expected.avg, { rtol: 1e-5, atol: 1e-6 });
          expectClose(read(dxMax, xSize), expected.dxMax, { rtol: 1e-5, atol: 1e-6 });
          expectClose(read(dxAvg, xSize), expected.dxAvg, { rtol: 1e-5, atol: 1e-6 });
        });
      });
    });

    it.each([
      ['overlapping', { batch: 2, height: 4, width: 5, channels: 5, filter: [2, 3], strides: [1, 2], pads: [0, 1, 1, 1] }],
      ['disjoint', { batch: 2, height: 4, width: 5, channels: 5, filter: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1] }],
    ] as [string, Case][])('pool2d max (%s windows): NaN wins its window, -Infinity windows route to their first tap', (_, c) => {
      const info = infoOf(c);
      const xSize = 2 * 4 * 5 * 5;
      const ySize = info.batch * info.outHeight * info.outWidth * 5;
      const x = randomValues(xSize, 7).map((v, i) => (i % 13 === 0 ? NaN : i % 3 === 0 ? -Infinity : v > 0.3 ? -Infinity : v));
      const dy = randomValues(ySize, 8);
      const expected = referencePool(info, x, dy);
      expect(expected.max.some(Number.isNaN)).toBe(true);
      withBuffers((input, made) => {
        const [xData, dyData] = [x, dy].map(input);
        const max = backend.pool2d!(xData, info, 'max');
        const dxMax = backend.pool2dBackprop!(dyData, xData, info, 'max');
        made.push(max, dxMax);
        expectClose(read(max, ySize), expected.max, { rtol: 0, atol: 0 });
        expectClose(read(dxMax, xSize), expected.dxMax, { rtol: 1e-6, atol: 0 });
      });
    });

    it('empty batch: empty outputs, and a zero filter gradient', () => {
      const info = infoOf({ batch: 0, height: 5, width: 4, channels: 3, multiplier: 2, filter: [3, 3], pads: [1, 1, 1, 1] });
      withBuffers((input, made) => {
        const [xData, filterData, dyData] = [new Float32Array(0), randomValues(3 * 3 * 6, 1), new Float32Array(0)].map(input);
        const outputs = [
          backend.depthwiseConv2d!(xData, filterData, info), backend.depthwiseConv2dBackpropInput!(dyData, filterData, info),
          backend.pool2d!(xData, info, 'max'), backend.pool2dBackprop!(dyData, xData, info, 'avg'),
          backend.batchNorm!(xData, 0, 3, filterData, filterData, undefined, undefined, 1e-3),
        ];
        const dFilter = backend.depthwiseConv2dBackpropFilter!(xData, dyData, info);
        made.push(...outputs, dFilter);
        for (const out of outputs) expect(read(out, 0).length).toBe(0);
        expect(Array.from(read(dFilter, 3 * 3 * 6))).toEqual(new Array(54).fill(0));
      });
    });

    for (const [rows, channels] of [[1, 1], [7, 3], [17, 5], [13, 64], [5, 127], [3, 513]]) {
      it(`batchNorm [${rows}, ${channels}] with and without scale / offset`, () => {
        const x = randomValues(rows * channels, rows, -5, 5);
        const mean = randomValues(channels, 1, -2, 2);
        const variance = randomValues(channels, 2, 0, 3);
        const scale = randomValues(channels, 3, -2, 2);
        const offset = randomValues(channels, 4, -1, 1);
        const epsilon = 1e-3;
        withBuffers((input, made) => {
          const [xData, meanData, varianceData, scaleData, offsetData] = [x, mean, variance, scale, offset].map(input);
          for (const [withOffset, withScale] of [[true, true], [false, false], [true, false], [false, true]]) {
            const y = backend.batchNorm!(xData, rows, channels, meanData, varianceData,
              withOffset ? offsetData : undefined, withScale ? scaleData : undefined, epsilon);
            made.push(y);
            const expected = Array.from(x, (v, i) => {
              const c = i % channels;
              return (v - mean[c]) * (withScale ? scale[c] : 1) / Math.sqrt(variance[c] + epsilon) + (withOffset ? offset[c] : 0);
            });
            expectClose(read(y, rows * channels), expected, { rtol: 1e-5, atol: 1e-5 });
          }
        });
      });
    }
  });
}

describe('depthwise / pooling / batch norm: wasm on 1 thread (st build) and 2 threads (mt build) agree bit for bit', () => {
  const runtimes = useSingleAndThreadedRuntimes();

  /** Runs compute on both runtimes and compares every float32 output exactly. */
  function agree(inputs: Float32Array[], compute: (backend: WasmBackend, data: DataId[]) => [DataId, number][]): void {
    const outputs = [runtimes.single, runtimes.threaded].map((rt) => {
      const backend = new WasmBackend(rt);
      const data = inputs.map((values) => backend.write(values, 'float32'));
      const results = compute(backend, data);
      const values = results.map(([out, size]) => backend.read(out, 'float32', size) as Float32Array);
      for (const d of [...data, ...results.map(([out]) => out)]) backend.dispose(d);
      return values;
    });
    outputs[0].forEach((values, k) => {
      const mismatch = values.findIndex((v, i) => !Object.is(v, outputs[1][k][i]));
      expect(mismatch, `output ${k}: first differing index ${mismatch}`).toBe(-1);
      expect(values.some((v) => v !== 0)).toBe(true);
    });
  }

  // Large enough that every kernel splits; overlapping max windows cross the threads' row boundaries.
  const big: Case[] = [
    { batch: 5, height: 33, width: 31, channels: 32, filter: [3, 3], pads: [1, 1, 1, 1] },
    { batch: 6, height: 27, width: 25, channels: 35, filter: [2, 2], strides: [2, 2] },
    { batch: 3, height: 29, width: 27, channels: 17, multiplier: 2, filter: [5, 5], strides: [2, 2], pads: [2, 2, 1, 2] },
  ];
  for (const c of big) {
    it(label(c), () => {
      const info = infoOf(c);
      const xSize = info.batch * info.inHeight * info.inWidth * info.inChannels;
      const ySize = info.batch * info.outHeight * info.outWidth * info.outChannels;
      const poolSize = info.batch * info.outHeight * info.outWidth * info.inChannels;
      const filterSize = info.filterHeight * info.filterWidth * info.outChannels;
      const x = randomValues(xSize, 1, -4, 4).map(Math.round);
      const filter = randomValues(filterSize, 2);
      const dy = randomValues(ySize, 3);
      const poolDy = randomValues(poolSize, 4);
      agree([x, filter, dy, poolDy], (backend, [xData, filterData, dyData, poolDyData]) => [
        [backend.depthwiseConv2d(xData, filterData, info), ySize],
        [backend.depthwiseConv2dBackpropInput(dyData, filterData, info), xSize],
        [backend.depthwiseConv2dBackpropFilter(xData, dyData, info), filterSize],
        [backend.pool2d(xData, info, 'max'), poolSize],
        [backend.pool2d(xData, info, 'avg'), poolSize],
        [backend.pool2dBackprop(poolDyData, xData, info, 'max'), xSize],
        [backend.pool2dBackprop(poolDyData, xData, info, 'avg'), xSize],
      ]);
    });
  }

  it('batchNorm [4099, 67]', () => {
    const channels = 67, rows = 4099;
    agree([randomValues(rows * channels, 5), randomValues(channels, 6), randomValues(channels, 7, 0, 2),
      randomValues(channels, 8), randomValues(channels, 9)], (backend, [x, mean, variance, offset, scale]) => [
      [backend.batchNorm(x, rows, channels, mean, variance, offset, scale, 1e-3), rows * channels],
    ]);
  });
});
