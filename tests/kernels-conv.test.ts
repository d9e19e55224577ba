// Backend-level tests of conv2d (fused bias + activation), conv2dBackpropInput and conv2dBackpropFilter on
// every backend against a float64 JS reference written here: 1x1…7x7 filters, strides 1 and 2, dilation 2,
// asymmetric padding, channels 1…64, batch 1 and 7; and the wasm backend on 1 thread vs 2 threads bit for bit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Conv2DInfo, DataId, FusedActivation } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { WasmBackend } from '../src/backend/wasm/index.js';
import { createRuntime, type Runtime } from '../src/runtime/index.js';
import { expectClose } from './helpers.js';
import { randomValues } from './random.js';
import { windowInfo, type WindowCase } from './window-case.js';
import { useSingleAndThreadedRuntimes } from './runtimes.js';

interface Case extends WindowCase {
  outChannels: number;
}

const infoOf = (c: Case): Conv2DInfo => windowInfo(c, c.outChannels);

const sizes = (i: Conv2DInfo) => ({
  x: i.batch * i.inHeight * i.inWidth * i.inChannels,
  filter: i.filterHeight * i.filterWidth * i.inChannels * i.outChannels,
  y: i.batch * i.outHeight * i.outWidth * i.outChannels,
});

/**
 * The float64 oracle, written independently of src/backend/reference: y[b,oh,ow,o] as an explicit sum over
 * (kh, kw, c) with zero padding; the backprops are the exact adjoints of that same sum.
 */
function referenceConv(i: Conv2DInfo, x: Float32Array, filter: Float32Array, dy?: Float32Array) {
  const { y: ySize } = sizes(i);
  const y = new Float64Array(ySize);
  const dx = new Float64Array(x.length);
  const dFilter = new Float64Array(filter.length);
  const xIndex = (b: number, h: number, w: number, c: number) => ((b * i.inHeight + h) * i.inWidth + w) * i.inChannels + c;
  const fIndex = (kh: number, kw: number, c: number, o: number) =>
    ((kh * i.filterWidth + kw) * i.inChannels + c) * i.outChannels + o;
  for (let b = 0; b < i.batch; b++) for (let oh = 0; oh < i.outHeight; oh++) for (let ow = 0; ow < i.outWidth; ow++) {
    for (let o = 0; o < i.outChannels; o++) {
      const yAt = ((b * i.outHeight + oh) * i.outWidth + ow) * i.outChannels + o;
      const upstream = dy ? dy[yAt] : 0;
      let sum = 0;
      for (let kh = 0; kh < i.filterHeight; kh++) {
        const h = oh * i.strideHeight + kh * i.dilationHeight - i.padTop;
        if (h < 0 || h >= i.inHeight) continue;
        for (let kw = 0; kw < i.filterWidth; kw++) {
          const w = ow * i.strideWidth + kw * i.dilationWidth - i.padLeft;
          if (w < 0 || w >= i.inWidth) continue;
          for (let c = 0; c < i.inChannels; c++) {
            const xi = xIndex(b, h, w, c);
            const fi = fIndex(kh, kw, c, o);
            sum += x[xi] * filter[fi];
            dx[xi] += upstream * filter[fi];
            dFilter[fi] += upstream * x[xi];
          }
        }
      }
      y[yAt] = sum;
    }
  }
  return { y, dx, dFilter };
}

const CASES: Case[] = [
  { batch: 1, height: 5, width: 4, channels: 3, outChannels: 2, filter: [1, 1] },
  { batch: 7, height: 6, width: 5, channels: 17, outChannels: 5, filter: [1, 1] },
  { batch: 2, height: 7, width: 9, channels: 5, outChannels: 3, filter: [1, 1], strides: [2, 2] },
  { batch: 1, height: 8, width: 7, channels: 1, outChannels: 1, filter: [3, 3], pads: [1, 1, 1, 1] },
  { batch: 7, height: 9, width: 8, channels: 3, outChannels: 17, filter: [3, 3], pads: [1, 1, 1, 1] },
  { batch: 2, height: 9, width: 11, channels: 5, outChannels: 7, filter: [3, 3], strides: [2, 2], pads: [0, 1, 0, 1] },
  { batch: 3, height: 10, width: 9, channels: 17, outChannels: 3, filter: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] },
  { batch: 1, height: 12, width: 10, channels: 3, outChannels: 5, filter: [5, 5], pads: [2, 1, 0, 2] },
  { batch: 2, height: 11, width: 13, channels: 5, outChannels: 4, filter: [5, 3], strides: [2, 1], dilations: [1, 2], pads: [1, 2, 3, 0] },
  { batch: 1, height: 14, width: 13, channels: 3, outChannels: 8, filter: [7, 7], strides: [2, 2], pads: [3, 3, 2, 3] },
  { batch: 1, height: 7, width: 7, channels: 64, outChannels: 64, filter: [3, 3], pads: [1, 1, 1, 1] },
  { batch: 7, height: 5, width: 6, channels: 64, outChannels: 3, filter: [3, 2], strides: [1, 2], pads: [0, 0, 1, 0] },
  { batch: 1, height: 6, width: 6, channels: 1, outChannels: 64, filter: [7, 7], dilations: [2, 1], pads: [3, 4, 3, 3] },
];

const label = (c: Case) => `x [${c.batch},${c.height},${c.width},${c.channels}] → ${c.outChannels}, filter ` +
  `${c.filter.join('x')}, strides ${(c.strides ?? [1, 1]).join(',')}, dilations ${(c.dilations ?? [1, 1]).join(',')}, ` +
  `pads ${(c.pads ?? [0, 0, 0, 0]).join(',')}`;

const backends: { name: string; make: () => Promise<{ backend: Backend; runtime?: Runtime }> }[] = [
  { name: 'reference', make: async () => ({ backend: new ReferenceBackend() }) },
  {
    name: 'wasm', make: async () => {
      const runtime = await createRuntime({ threads: 1 });
      return { backend: new WasmBackend(runtime), runtime };
    },
  },
];

/** The activations the fused epilogue applies in float64, to apply on top of the oracle. */
const ACTIVATIONS: Record<string, (v: number) => number> = {
  linear: (v) => v, relu: (v) => Math.max(v, 0), relu6: (v) => Math.min(Math.max(v, 0), 6),
};

for (const { name, make } of backends) {
  describe(`conv2d kernels [${name}]`, () => {
    let backend: Backend;
    let runtime: Runtime | undefined;
    beforeAll(async () => { ({ backend, runtime } = await make()); });
    afterAll(async () => { await runtime?.terminate(); });

    const read = (data: DataId, size: number) => backend.read(data, 'float32', size) as Float32Array;

    CASES.forEach((c, index) => {
      it(label(c), () => {
        const info = infoOf(c);
        const size = sizes(info);
        const x = randomValues(size.x, 10 + index);
        const filter = randomValues(size.filter, 20 + index);
        const dy = randomValues(size.y, 30 + index);
        const bias = randomValues(info.outChannels, 40 + index);
        const expected = referenceConv(info, x, filter, dy);
        // Float32 sums over K = KH·KW·C terms of magnitude < 1.
        const tolerance = { rtol: 1e-4, atol: 1e-5 * info.filterHeight * info.filterWidth * info.inChannels };
        const before = backend.memory().buffers;
        const bytesBefore = runtime?.allocatedBytes() ?? 0;
        const xData = backend.write(x, 'float32');
        const filterData = backend.write(filter, 'float32');
        const dyData = backend.write(dy, 'float32');
        const biasData = backend.write(bias, 'float32');

        const activation: FusedActivation = (['linear', 'relu', 'relu6'] as const)[index % 3];
        const plain = backend.conv2d!(xData, filterData, info);
        const fused = backend.conv2d!(xData, filterData, info, biasData, activation);
        expectClose(read(plain, size.y), expected.y, tolerance);
        const activate = ACTIVATIONS[activation];
        expectClose(read(fused, size.y), expected.y.map((v, i) => activate(v + bias[i % info.outChannels])), tolerance);

        const dx = backend.conv2dBackpropInput!(dyData, filterData, info);
        expectClose(read(dx, size.x), expected.dx, tolerance);
        const dFilter = backend.conv2dBackpropFilter!(xData, dyData, info);
        const filterTolerance = { rtol: 1e-4, atol: 1e-5 * info.batch * info.outHeight * info.outWidth };
        expectClose(read(dFilter, size.filter), expected.dFilter, filterTolerance);

        for (const data of [xData, filterData, dyData, biasData, plain, fused, dx, dFilter]) backend.dispose(data);
        expect(backend.memory().buffers).toBe(before);
        // The patch scratch is freed (the first case also creates the GEMM's kept per-thread workspace).
        if (runtime && index > 0) expect(runtime.allocatedBytes()).toBe(bytesBefore);
      });
    });
  });
}

describe('conv2d kernels: wasm on 1 thread (st build) and 2 threads (mt build) agree bit for bit', () => {
  const runtimes = useSingleAndThreadedRuntimes();

  // Large enough that im2col, the GEMMs and col2im all split across the pool; more than one batch chunk.
  const big: Case[] = [
    { batch: 7, height: 33, width: 31, channels: 17, outChannels: 64, filter: [3, 3], pads: [1, 1, 1, 1] },
    { batch: 3, height: 29, width: 27, channels: 32, outChannels: 48, filter: [5, 5], strides: [2, 2], pads: [2, 2, 1, 2] },
    { batch: 5, height: 17, width: 19, channels: 64, outChannels: 65, filter: [1, 1] },
    // Few input channels: the direct filter gradient, split by blocks of output channels (35: a partial block).
    { batch: 9, height: 30, width: 29, channels: 3, outChannels: 35, filter: [3, 3], strides: [1, 2], pads: [1, 1, 1, 1] },
  ];
  for (const c of big) {
    it(label(c), () => {
      const info = infoOf(c);
      const size = sizes(info);
      const x = randomValues(size.x, 1);
      const filter = randomValues(size.filter, 2);
      const dy = randomValues(size.y, 3);
      const bias = randomValues(info.outChannels, 4);
      const outputs = [runtimes.single, runtimes.threaded].map((rt) => {
        const backend = new WasmBackend(rt);
        const [xData, filterData, dyData, biasData] = [x, filter, dy, bias].map((v) => backend.write(v, 'float32'));
        const results = [
          backend.conv2d(xData, filterData, info, biasData, 'relu'),
          backend.conv2dBackpropInput(dyData, filterData, info),
          backend.conv2dBackpropFilter(xData, dyData, info),
        ];
        const values = results.map((data, i) => backend.read(data, 'float32', [size.y, size.x, size.filter][i]) as Float32Array);
        for (const data of [xData, filterData, dyData, biasData, ...results]) backend.dispose(data);
        return values;
      });
      for (let i = 0; i < 3; i++) {
        const mismatch = outputs[0][i].findIndex((v, j) => !Object.is(v, outputs[1][i][j]));
        expect(mismatch, `output ${i}: first differing index ${mismatch}`).toBe(-1);
      }
      // And both against the oracle, loosely: a split that dropped a chunk would still agree with itself.
      const expected = referenceConv(info, x, filter, dy);
      const k = info.filterHeight * info.filterWidth * info.inChannels;
      const activated = expected.y.map((v, j) => Math.max(v + bias[j % info.outChannels], 0));
      expectClose(outputs[1][0], activated, { rtol: 1e-4, atol: 1e-5 * k });
      expectClose(outputs[1][1], expected.dx, { rtol: 1e-4, atol: 1e-5 * k });
      expectClose(outputs[1][2], expected.dFilter, { rtol: 1e-4, atol: 1e-5 * info.batch * info.outHeight * info.outWidth });
    });
  }
});
