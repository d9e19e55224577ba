// Convolution ops: the geometry util vs tfjs's computeConv2DInfo, conv2d / conv1d / conv2dTranspose /
// depthwiseConv2d / separableConv2d / fused.conv2d forward vs tfjs-cpu, gradients vs float64 finite
// differences and vs tfjs's grads, second-order gradients, bad inputs, memory.
import { describe, expect, it } from 'vitest';
import {
  checkGradients, describeEachBackend, expectClose, loadTfjs, randomInput, randomValues, tf,
  type Tensor, type TfjsTensor,
} from './helpers.js';
import { computeConv2DInfo, requireKernel, type Padding } from '../src/ops/conv_util.js';
import type { Backend } from '../src/backend/backend.js';

const tfjs = await loadTfjs();
const FORWARD = { rtol: 2e-4, atol: 2e-5 };
const PEER_GRADIENT = { rtol: 2e-4, atol: 2e-5 };
const NUMERIC = { rtol: 1e-3, atol: 1e-4 };

type Pair = [number, number];

describe('conv_util.computeConv2DInfo matches tfjs backend_util.computeConv2DInfo', () => {
  const explicitNHWC = (t: number, b: number, l: number, r: number): Padding => [[0, 0], [t, b], [l, r], [0, 0]];
  const explicitNCHW = (t: number, b: number, l: number, r: number): Padding => [[0, 0], [0, 0], [t, b], [l, r]];

  it('agrees on output size and padding over a grid of shapes, strides, dilations, pads and rounding modes', () => {
    let compared = 0;
    for (const [h, w] of [[1, 1], [3, 5], [7, 7], [17, 10], [28, 28]] as Pair[]) {
      for (const [kh, kw] of [[1, 1], [3, 3], [2, 5], [7, 7]] as Pair[]) {
        for (const [strides, dilations] of [[[1, 1], [1, 1]], [[2, 2], [1, 1]], [[3, 2], [1, 1]], [[1, 1], [2, 2]], [[1, 1], [3, 1]]] as [Pair, Pair][]) {
          for (const dataFormat of ['NHWC', 'NCHW'] as const) {
            const square = kh === kw && strides[0] === strides[1] && dilations[0] === dilations[1];
            const explicit = dataFormat === 'NHWC' ? explicitNHWC(1, 2, 0, 3) : explicitNCHW(1, 2, 0, 3);
            // tfjs's numeric pad sizes the width with the height's (dilated) filter and stride: compare square cases only.
            const pads: Padding[] = ['same', 'valid', explicit, ...(square ? [0, 1, 2] : [])];
            for (const pad of pads) {
              for (const mode of typeof pad === 'string' ? [undefined] : [undefined, 'floor', 'ceil', 'round'] as const) {
                for (const depthwise of [false, true]) {
                  const inShape = dataFormat === 'NHWC' ? [2, h, w, 3] : [2, 3, h, w];
                  const filterShape = [kh, kw, 3, 4];
                  const theirs = tfjs.backend_util.computeConv2DInfo(
                    inShape as [number, number, number, number], filterShape as [number, number, number, number],
                    strides, dilations, pad as 'same', mode, depthwise, dataFormat === 'NHWC' ? 'channelsLast' : 'channelsFirst');
                  const call = () => computeConv2DInfo({ opName: 'test', inShape, filterShape, strides, pad, dilations, dimRoundingMode: mode, depthwise, dataFormat });
                  const effectiveH = kh + (kh - 1) * (dilations[0] - 1);
                  const effectiveW = kw + (kw - 1) * (dilations[1] - 1);
                  const paddedH = h + theirs.padInfo.top + theirs.padInfo.bottom;
                  const paddedW = w + theirs.padInfo.left + theirs.padInfo.right;
                  if (theirs.outHeight < 1 || theirs.outWidth < 1 || effectiveH > paddedH || effectiveW > paddedW) {
                    expect(call, JSON.stringify({ h, w, kh, kw, pad })).toThrow(/test: the filter .* is larger than the padded input/);
                    continue;
                  }
                  const ours = call();
                  const context = JSON.stringify({ h, w, kh, kw, strides, dilations, pad, mode, depthwise, dataFormat });
                  expect([ours.outHeight, ours.outWidth, ours.outChannels], context).toEqual([theirs.outHeight, theirs.outWidth, theirs.outChannels]);
                  expect([ours.padTop, ours.padLeft], context).toEqual([theirs.padInfo.top, theirs.padInfo.left]);
                  if (typeof pad !== 'string' || pad === 'same') {
                    expect([ours.padBottom, ours.padRight], context).toEqual([theirs.padInfo.bottom, theirs.padInfo.right]);
                  }
                  expect([ours.effectiveFilterHeight, ours.effectiveFilterWidth]).toEqual([theirs.effectiveFilterHeight, theirs.effectiveFilterWidth]);
                  expect(ours.outShape).toEqual(dataFormat === 'NHWC' ? theirs.outShape
                    : [theirs.outShape[0], theirs.outShape[2], theirs.outShape[3], theirs.outShape[1]]);
                  compared++;
                }
              }
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(1500);
  });

  it('sizes each axis with its own filter and stride for a numeric pad (tfjs uses the height\'s for both)', () => {
    const info = computeConv2DInfo({ opName: 'test', inShape: [1, 9, 9, 1], filterShape: [3, 1, 1, 1], strides: [1, 2], pad: 1 });
    expect([info.outHeight, info.outWidth]).toEqual([9, 6]); // (9 - 3 + 2)/1 + 1, trunc((9 - 1 + 2)/2 + 1)
  });

  it('rejects bad geometry naming the op and shapes', () => {
    const base = { opName: 'conv2d', inShape: [1, 5, 5, 3], filterShape: [3, 3, 3, 2], strides: 1, pad: 'valid' as Padding };
    expect(() => computeConv2DInfo({ ...base, filterShape: [7, 3, 3, 2] })).toThrow(/conv2d: the filter \(7x3 once dilated\) is larger than the padded input \(5x5\).*\[1,5,5,3\].*\[7,3,3,2\]/);
    expect(() => computeConv2DInfo({ ...base, dilations: 3 })).toThrow(/conv2d: the filter \(7x7 once dilated\)/);
    expect(computeConv2DInfo({ ...base, filterShape: [7, 3, 3, 2], pad: 1 }).outHeight).toBe(1);
    expect(() => computeConv2DInfo({ ...base, filterShape: [3, 3, 4, 2] })).toThrow(/conv2d: input channels \(3\) must match the filter's input channels \(4\)/);
    expect(() => computeConv2DInfo({ ...base, dataFormat: 'NWHC' as 'NHWC' })).toThrow(/conv2d: unknown dataFormat 'NWHC'/);
    expect(() => computeConv2DInfo({ ...base, strides: 2, dilations: 2 })).toThrow(/conv2d: either strides or dilations must be 1/);
    expect(() => computeConv2DInfo({ ...base, strides: 0 })).toThrow(/conv2d: strides must be a positive integer/);
    expect(() => computeConv2DInfo({ ...base, strides: [1, 1.5] })).toThrow(/conv2d: strides must be/);
    expect(() => computeConv2DInfo({ ...base, dimRoundingMode: 'ceil' })).toThrow(/conv2d: pad must be a number or explicit padding when using dimRoundingMode 'ceil'/);
    expect(() => computeConv2DInfo({ ...base, pad: 1, dimRoundingMode: 'up' as 'ceil' })).toThrow(/conv2d: unknown dimRoundingMode 'up'/);
    expect(() => computeConv2DInfo({ ...base, pad: -1 })).toThrow(/conv2d: numeric pad must be a non-negative integer/);
    expect(() => computeConv2DInfo({ ...base, pad: 'full' as 'same' })).toThrow(/conv2d: unknown padding "full"/);
    expect(() => computeConv2DInfo({ ...base, pad: [[0, 0], [1, 1], [1, 1]] as unknown as Padding })).toThrow(/conv2d: explicit padding must be 4 pairs/);
    expect(() => computeConv2DInfo({ ...base, pad: [[0, 0], [1, 1], [1, 1], [0, 1]] })).toThrow(/conv2d: explicit padding of the batch and channel axes must be \[0, 0\]/);
    expect(() => computeConv2DInfo({ ...base, inShape: [5, 5, 3] })).toThrow(/conv2d: input must be rank 4, got shape \[5,5,3\]/);
  });
});

/** Runs the same conv op on sinew and tfjs with the same random inputs; returns both. */
function both(shapes: number[][], seed: number, ours: (...xs: Tensor[]) => Tensor, theirs: (...xs: TfjsTensor[]) => TfjsTensor) {
  const inputs = shapes.map((shape, i) => randomInput(shape, seed + i));
  const a = ours(...inputs.map((x) => tf.tensor(x.values, x.shape)));
  const b = theirs(...inputs.map((x) => tfjs.tensor(x.values, x.shape)));
  expect(a.shape).toEqual(b.shape);
  expect(a.dtype).toBe(b.dtype);
  expectClose(a.dataSync(), b.dataSync(), FORWARD);
  return inputs;
}

interface ConvCase { x: number[]; f: number[]; strides: number | Pair; pad: Padding; dilations?: number | Pair; mode?: 'floor' | 'ceil' | 'round' }
const CONV_CASES: ConvCase[] = [
  { x: [1, 5, 5, 1], f: [1, 1, 1, 3], strides: 1, pad: 'valid' },
  { x: [2, 7, 6, 3], f: [3, 3, 3, 5], strides: 1, pad: 'same' },
  { x: [3, 9, 8, 5], f: [3, 3, 5, 4], strides: 2, pad: 'same' },
  { x: [1, 11, 9, 3], f: [5, 5, 3, 2], strides: [2, 1], pad: 'valid' },
  { x: [2, 9, 9, 2], f: [3, 3, 2, 3], strides: 1, pad: 'same', dilations: 2 },
  { x: [1, 10, 10, 3], f: [7, 7, 3, 2], strides: 2, pad: 3 },
  { x: [2, 6, 7, 4], f: [3, 2, 4, 3], strides: 1, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [1, 8, 8, 17], f: [3, 3, 17, 5], strides: 2, pad: 1, mode: 'ceil' },
  { x: [7, 5, 5, 3], f: [3, 3, 3, 4], strides: 1, pad: 'valid' },
];

describeEachBackend('conv2d', () => {
  it('matches tfjs on odd shapes, strides, dilations and paddings', () => {
    for (const [i, c] of CONV_CASES.entries()) {
      both([c.x, c.f], 10 * i, (x, f) => tf.conv2d(x, f, c.strides, c.pad, 'NHWC', c.dilations ?? 1, c.mode),
        (x, f) => tfjs.conv2d(x as never, f as never, c.strides, c.pad as 'same', 'NHWC', c.dilations ?? 1, c.mode));
    }
  });

  it('takes rank-3 input and NCHW data', () => {
    both([[6, 5, 3], [3, 3, 3, 2]], 100, (x, f) => tf.conv2d(x, f, 1, 'same'), (x, f) => tfjs.conv2d(x as never, f as never, 1, 'same'));
    // tfjs-cpu has no NCHW conv2d: compare with transposes around its NHWC one.
    both([[2, 3, 7, 6], [3, 3, 3, 4]], 101, (x, f) => tf.conv2d(x, f, 2, 'same', 'NCHW'),
      (x, f) => tfjs.transpose(tfjs.conv2d(tfjs.transpose(x, [0, 2, 3, 1]) as never, f as never, 2, 'same'), [0, 3, 1, 2]));
    both([[1, 2, 6, 5], [3, 2, 2, 3]], 102, (x, f) => tf.conv2d(x, f, 1, [[0, 0], [0, 0], [1, 1], [2, 0]], 'NCHW'),
      (x, f) => tfjs.transpose(tfjs.conv2d(tfjs.transpose(x, [0, 2, 3, 1]) as never, f as never, 1, [[0, 0], [1, 1], [2, 0], [0, 0]]), [0, 3, 1, 2]));
  });

  it('gradients match finite differences and tfjs', () => {
    // tfjs has no gradient for dilated convolutions: those are checked against finite differences only.
    for (const [i, c] of [CONV_CASES[1], CONV_CASES[2], CONV_CASES[4], CONV_CASES[6]].entries()) {
      checkGradients(tfjs, (x, f) => tf.conv2d(x, f, c.strides, c.pad, 'NHWC', c.dilations ?? 1),
        c.dilations ? null : (x, f) => tfjs.conv2d(x as never, f as never, c.strides, c.pad as 'same', 'NHWC'),
        [randomInput(c.x.map((d, j) => (j === 0 ? 1 : d)), 200 + i), randomInput(c.f, 300 + i)], { numeric: NUMERIC, peer: PEER_GRADIENT });
    }
    checkGradients(tfjs, (x, f) => tf.conv2d(x, f, 1, 'same', 'NCHW'),
      (x, f) => tfjs.transpose(tfjs.conv2d(tfjs.transpose(x, [0, 2, 3, 1]) as never, f as never, 1, 'same'), [0, 3, 1, 2]),
      [randomInput([1, 2, 4, 5], 400), randomInput([3, 3, 2, 3], 401)], { numeric: NUMERIC, peer: PEER_GRADIENT });
  });

  it('second-order gradients (the backprop kernels are differentiable ops)', () => {
    const x = randomInput([1, 5, 4, 2], 500);
    const f = randomInput([3, 3, 2, 3], 501);
    // d/dx of sum(grad_f(sum(conv(x, f)²))) through conv2dBackpropFilter's own gradient.
    const ours = (xt: Tensor, ft: Tensor) => tf.grad((w: Tensor) => tf.sum(tf.square(tf.conv2d(xt, w, 1, 'same'))))(ft);
    // tfjs has no gradient for Conv2DBackpropFilter: finite differences only.
    checkGradients(tfjs, ours, null, [x, f], { numeric: { rtol: 2e-3, atol: 2e-4 } });
    // And through conv2dBackpropInput (d/df of the input gradient).
    const viaInput = (xt: Tensor, ft: Tensor) => tf.grad((v: Tensor) => tf.sum(tf.square(tf.conv2d(v, ft, 2, 'same'))))(xt);
    checkGradients(tfjs, viaInput, null, [x, f], { numeric: { rtol: 2e-3, atol: 2e-4 } });
  });

  it('rejects bad inputs naming the op and shapes', () => {
    const x = tf.zeros([1, 5, 5, 3]);
    expect(() => tf.conv2d(x, tf.zeros([3, 3, 2, 4]), 1, 'same')).toThrow(/conv2d: input channels \(3\) must match the filter's input channels \(2\).*\[1,5,5,3\].*\[3,3,2,4\]/);
    expect(() => tf.conv2d(tf.zeros([5, 5]), tf.zeros([3, 3, 1, 1]), 1, 'same')).toThrow(/conv2d: x must be rank 4 \(or 3\), got shape \[5,5\]/);
    expect(() => tf.conv2d(x, tf.zeros([3, 3, 3]), 1, 'same')).toThrow(/conv2d: filter must be rank 4, got shape \[3,3,3\]/);
    expect(() => tf.conv2d(x, tf.zeros([6, 6, 3, 1]), 1, 'valid')).toThrow(/conv2d: the filter \(6x6 once dilated\) is larger than the padded input \(5x5\)/);
    expect(() => tf.conv2d(x, tf.zeros([3, 3, 3, 1]), 1, 'same', 'NCWH' as 'NHWC')).toThrow(/conv2d: unknown dataFormat/);
    expect(() => tf.conv2d(x, tf.zeros([3, 3, 3, 1]), 2, 'same', 'NHWC', 2)).toThrow(/conv2d: either strides or dilations must be 1/);
  });
});

describeEachBackend('conv1d', () => {
  it('matches tfjs', () => {
    both([[2, 17, 3], [3, 3, 4]], 600, (x, f) => tf.conv1d(x, f, 1, 'same'), (x, f) => tfjs.conv1d(x as never, f as never, 1, 'same'));
    both([[13, 2], [5, 2, 3]], 601, (x, f) => tf.conv1d(x, f, 2, 'valid'), (x, f) => tfjs.conv1d(x as never, f as never, 2, 'valid'));
    both([[1, 15, 2], [3, 2, 2]], 602, (x, f) => tf.conv1d(x, f, 1, 'valid', 'NWC', 3), (x, f) => tfjs.conv1d(x as never, f as never, 1, 'valid', 'NWC', 3));
  });

  it('pads only the width with a numeric pad', () => {
    const y = tf.conv1d(tf.ones([1, 4, 1]), tf.ones([3, 1, 1]), 1, 1);
    expect(y.shape).toEqual([1, 4, 1]);
    expect(Array.from(y.dataSync())).toEqual([2, 3, 3, 2]);
  });

  it('gradients match finite differences and tfjs', () => {
    checkGradients(tfjs, (x, f) => tf.conv1d(x, f, 2, 'same'), (x, f) => tfjs.conv1d(x as never, f as never, 2, 'same'),
      [randomInput([2, 9, 2], 610), randomInput([3, 2, 3], 611)], { numeric: NUMERIC, peer: PEER_GRADIENT });
  });

  it('rejects bad inputs', () => {
    expect(() => tf.conv1d(tf.zeros([2, 5, 3]), tf.zeros([3, 2, 1]), 1, 'same')).toThrow(/conv1d: input channels \(3\) must match the filter's input channels \(2\)/);
    expect(() => tf.conv1d(tf.zeros([2, 5, 3]), tf.zeros([3, 3, 1]), 1, 'same', 'NCW')).toThrow(/conv1d: dataFormat 'NCW' is not supported/);
    expect(() => tf.conv1d(tf.zeros([5]), tf.zeros([3, 1, 1]), 1, 'same')).toThrow(/conv1d: x must be rank 3 \(or 2\), got shape \[5\]/);
    expect(() => tf.conv1d(tf.zeros([2, 5, 3]), tf.zeros([3, 3]), 1, 'same')).toThrow(/conv1d: filter must be rank 3/);
  });
});

describeEachBackend('conv2dTranspose', () => {
  const CASES: { x: number[]; f: number[]; out: number[]; strides: number | Pair; pad: Padding }[] = [
    { x: [1, 4, 4, 3], f: [3, 3, 2, 3], out: [1, 8, 8, 2], strides: 2, pad: 'same' },
    { x: [2, 3, 5, 2], f: [3, 3, 4, 2], out: [2, 5, 7, 4], strides: 1, pad: 'valid' },
    { x: [1, 3, 3, 1], f: [2, 2, 1, 1], out: [1, 7, 7, 1], strides: 2, pad: 'valid' },
    { x: [1, 5, 5, 2], f: [3, 3, 3, 2], out: [1, 10, 10, 3], strides: 2, pad: 1 },
  ];

  it('matches tfjs', () => {
    for (const [i, c] of CASES.entries()) {
      both([c.x, c.f], 700 + 3 * i, (x, f) => tf.conv2dTranspose(x, f, c.out, c.strides, c.pad),
        (x, f) => tfjs.conv2dTranspose(x as never, f as never, c.out as [number, number, number, number], c.strides, c.pad as 'same'));
    }
    both([[4, 4, 3], [3, 3, 2, 3]], 720, (x, f) => tf.conv2dTranspose(x, f, [8, 8, 2], 2, 'same'),
      (x, f) => tfjs.conv2dTranspose(x as never, f as never, [8, 8, 2], 2, 'same'));
  });

  it('gradients match finite differences and tfjs', () => {
    for (const [i, c] of CASES.slice(0, 2).entries()) {
      checkGradients(tfjs, (x, f) => tf.conv2dTranspose(x, f, c.out, c.strides, c.pad),
        (x, f) => tfjs.conv2dTranspose(x as never, f as never, c.out as [number, number, number, number], c.strides, c.pad as 'same'),
        [randomInput(c.x, 730 + i), randomInput(c.f, 740 + i)], { numeric: NUMERIC, peer: PEER_GRADIENT });
    }
  });

  it('rejects an outputShape that does not convolve back to x', () => {
    const x = tf.zeros([1, 4, 4, 3]);
    expect(() => tf.conv2dTranspose(x, tf.zeros([3, 3, 2, 3]), [1, 9, 9, 2], 1, 'same')).toThrow(/conv2dTranspose: a convolution of outputShape \[1,9,9,2\].*gives \[1,9,9,3\], which does not match x \[1,4,4,3\]/);
    expect(() => tf.conv2dTranspose(x, tf.zeros([3, 3, 2, 5]), [1, 8, 8, 2], 2, 'same')).toThrow(/conv2dTranspose: x's channels \(3\) must match the filter's last dimension \(5\)/);
    expect(() => tf.conv2dTranspose(x, tf.zeros([3, 3, 2, 3]), [1, 8, 8, 4], 2, 'same')).toThrow(/conv2dTranspose: outputShape's channels \(4\) must match the filter's third dimension \(2\)/);
    expect(() => tf.conv2dTranspose(x, tf.zeros([3, 3, 2, 3]), [8, 8, 2], 2, 'same')).toThrow(/conv2dTranspose: outputShape \[8,8,2\] must be 4 positive integers/);
  });
});

describeEachBackend('depthwiseConv2d', () => {
  const CASES: ConvCase[] = [
    { x: [1, 5, 5, 1], f: [3, 3, 1, 1], strides: 1, pad: 'valid' },
    { x: [2, 7, 6, 3], f: [3, 3, 3, 2], strides: 1, pad: 'same' },
    { x: [1, 9, 8, 5], f: [5, 5, 5, 1], strides: 2, pad: 'same' },
    { x: [1, 9, 9, 17], f: [3, 3, 17, 1], strides: 1, pad: 'same', dilations: 2 },
    { x: [2, 6, 7, 4], f: [2, 3, 4, 3], strides: [1, 2], pad: [[0, 0], [1, 0], [1, 1], [0, 0]] },
    { x: [1, 6, 6, 2], f: [3, 3, 2, 2], strides: 2, pad: 1 },
  ];

  it('matches tfjs', () => {
    for (const [i, c] of CASES.entries()) {
      both([c.x, c.f], 800 + 3 * i, (x, f) => tf.depthwiseConv2d(x, f, c.strides, c.pad, 'NHWC', c.dilations ?? 1),
        (x, f) => tfjs.depthwiseConv2d(x as never, f as never, c.strides, c.pad as 'same', 'NHWC', c.dilations ?? 1));
    }
    both([[2, 3, 6, 5], [3, 3, 3, 2]], 830, (x, f) => tf.depthwiseConv2d(x, f, 1, 'same', 'NCHW'),
      (x, f) => tfjs.transpose(tfjs.depthwiseConv2d(tfjs.transpose(x, [0, 2, 3, 1]) as never, f as never, 1, 'same'), [0, 3, 1, 2]));
  });

  it('gradients match finite differences and tfjs', () => {
    for (const [i, c] of [CASES[1], CASES[2], CASES[4]].entries()) {
      checkGradients(tfjs, (x, f) => tf.depthwiseConv2d(x, f, c.strides, c.pad),
        (x, f) => tfjs.depthwiseConv2d(x as never, f as never, c.strides, c.pad as 'same'),
        [randomInput([1, ...c.x.slice(1)], 840 + i), randomInput(c.f, 850 + i)], { numeric: NUMERIC, peer: PEER_GRADIENT });
    }
    checkGradients(tfjs, (x, f) => tf.depthwiseConv2d(x, f, 1, 'same', 'NHWC', 2), null,
      [randomInput([1, 6, 5, 3], 860), randomInput([3, 3, 3, 2], 861)], { numeric: NUMERIC });
  });

  it('rejects bad inputs', () => {
    expect(() => tf.depthwiseConv2d(tf.zeros([1, 5, 5, 3]), tf.zeros([3, 3, 2, 1]), 1, 'same')).toThrow(/depthwiseConv2d: input channels \(3\) must match the filter's input channels \(2\)/);
    expect(() => tf.depthwiseConv2d(tf.zeros([1, 2, 2, 3]), tf.zeros([3, 3, 3, 1]), 1, 'valid')).toThrow(/depthwiseConv2d: the filter \(3x3 once dilated\) is larger than the padded input \(2x2\)/);
  });
});

describeEachBackend('separableConv2d', () => {
  it('matches tfjs, gradients too', () => {
    both([[2, 7, 6, 3], [3, 3, 3, 2], [1, 1, 6, 5]], 900, (x, d, p) => tf.separableConv2d(x, d, p, 1, 'same'),
      (x, d, p) => tfjs.separableConv2d(x as never, d as never, p as never, 1, 'same'));
    both([[9, 9, 2], [3, 3, 2, 1], [1, 1, 2, 3]], 910, (x, d, p) => tf.separableConv2d(x, d, p, 2, 'valid'),
      (x, d, p) => tfjs.separableConv2d(x as never, d as never, p as never, 2, 'valid'));
    checkGradients(tfjs, (x, d, p) => tf.separableConv2d(x, d, p, 1, 'same'),
      (x, d, p) => tfjs.separableConv2d(x as never, d as never, p as never, 1, 'same'),
      [randomInput([1, 6, 5, 2], 920), randomInput([3, 3, 2, 2], 921), randomInput([1, 1, 4, 3], 922)], { numeric: NUMERIC, peer: PEER_GRADIENT });
    checkGradients(tfjs, (x, d, p) => tf.separableConv2d(x, d, p, 1, 'same', 2), null,
      [randomInput([1, 6, 5, 2], 920), randomInput([3, 3, 2, 2], 921), randomInput([1, 1, 4, 3], 922)], { numeric: NUMERIC, peer: PEER_GRADIENT });
  });

  it('rejects a pointwise filter that does not fit', () => {
    expect(() => tf.separableConv2d(tf.zeros([1, 5, 5, 3]), tf.zeros([3, 3, 3, 2]), tf.zeros([1, 1, 5, 4]), 1, 'same')).toThrow(/separableConv2d: pointwiseFilter must be \[1, 1, 6, outChannels\] for depthwiseFilter \[3,3,3,2\], got \[1,1,5,4\]/);
    expect(() => tf.separableConv2d(tf.zeros([1, 5, 5, 3]), tf.zeros([3, 3, 3, 2]), tf.zeros([1, 1, 6, 4]), 1, 'same', 1, 'NCHW')).toThrow(/separableConv2d: dataFormat 'NCHW' is not supported/);
  });
});

describeEachBackend('fused.conv2d', () => {
  const x = randomInput([2, 6, 5, 3], 1000);
  const f = randomInput([3, 3, 3, 4], 1001);
  const bias = randomInput([4], 1002);
  type Act = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'elu' | 'leakyrelu';

  it('matches tfjs with bias and each activation (epilogue and composed paths)', () => {
    for (const activation of ['linear', 'relu', 'relu6', 'sigmoid', 'elu', 'leakyrelu'] as Act[]) {
      // Scale x so relu6 clips somewhere.
      both([x.shape, f.shape, bias.shape], 1010, (a, w, b) => tf.fusedConv2d({ x: tf.mul(a, 8), filter: w, strides: 1, pad: 'same', bias: b, activation, leakyreluAlpha: 0.3 }),
        (a, w, b) => tfjs.fused.conv2d({ x: tfjs.mul(a, 8) as never, filter: w as never, strides: 1, pad: 'same', bias: b, activation, leakyreluAlpha: 0.3 }));
    }
    // A bias over the whole output shape takes the composed path.
    both([[1, 4, 4, 2], [3, 3, 2, 2], [4, 4, 2]], 1020, (a, w, b) => tf.fusedConv2d({ x: a, filter: w, strides: 1, pad: 'same', bias: b, activation: 'relu' }),
      (a, w, b) => tfjs.fused.conv2d({ x: a as never, filter: w as never, strides: 1, pad: 'same', bias: b, activation: 'relu' }));
  });

  it('puts a per-channel bias on the channel axis of NCHW data', () => {
    both([[2, 3, 5, 4], [3, 3, 3, 4], [4]], 1025, (a, w, b) => tf.fusedConv2d({ x: a, filter: w, strides: 1, pad: 'same', dataFormat: 'NCHW', bias: b }),
      (a, w, b) => tfjs.add(tfjs.transpose(tfjs.conv2d(tfjs.transpose(a, [0, 2, 3, 1]) as never, w as never, 1, 'same'), [0, 3, 1, 2]), tfjs.reshape(b, [4, 1, 1])));
  });

  it('gradients match finite differences and tfjs', () => {
    for (const activation of ['linear', 'relu', 'sigmoid', 'elu'] as Act[]) {
      checkGradients(tfjs, (a, w, b) => tf.fusedConv2d({ x: a, filter: w, strides: 2, pad: 'same', bias: b, activation }),
        (a, w, b) => tfjs.fused.conv2d({ x: a as never, filter: w as never, strides: 2, pad: 'same', bias: b, activation }),
        [randomInput([1, 5, 5, 3], 1030), f, bias], { numeric: NUMERIC, peer: PEER_GRADIENT });
    }
    // gelu has no tfjs fused form: finite differences only.
    checkGradients(tfjs, (a, w, b) => tf.fusedConv2d({ x: a, filter: w, strides: 1, pad: 'valid', bias: b, activation: 'gelu' }), null,
      [randomInput([1, 4, 4, 3], 1040), f, bias], { numeric: NUMERIC });
  });

  it('rejects bad activation and bias', () => {
    expect(() => tf.fusedConv2d({ x: tf.zeros([1, 4, 4, 3]), filter: tf.zeros([3, 3, 3, 4]), strides: 1, pad: 'same', activation: 'swish' as 'relu' })).toThrow(/fused.conv2d: unknown activation 'swish'/);
    expect(() => tf.fusedConv2d({ x: tf.zeros([1, 4, 4, 3]), filter: tf.zeros([3, 3, 3, 4]), strides: 1, pad: 'same', bias: tf.zeros([3]) })).toThrow(/fused.conv2d: bias \[3\] does not broadcast to the output \[1,4,4,4\]/);
    expect(() => tf.fusedConv2d({ x: tf.zeros([1, 4, 4, 3]), filter: tf.zeros([3, 3, 3, 4]), strides: 1, pad: 'same', activation: 'prelu' })).toThrow(/fused.conv2d: activation 'prelu' needs preluActivationWeights/);
  });
});

describe('a backend without the kernels', () => {
  it('fails naming the op, the backend and the kernel', () => {
    const bare = { name: 'bare' } as Backend;
    expect(() => requireKernel(bare, 'conv2dBackpropFilter', 'conv2d')).toThrow(/conv2d: backend bare has no conv2dBackpropFilter kernel/);
  });
});

describeEachBackend('convolution memory', () => {
  it('leaves no tensors behind inside tidy, forward and backward', () => {
    const x = tf.tensor(randomValues(2 * 5 * 5 * 3, 1100), [2, 5, 5, 3]);
    const f = tf.tensor(randomValues(3 * 3 * 3 * 4, 1101), [3, 3, 3, 4]);
    const d = tf.tensor(randomValues(3 * 3 * 3 * 2, 1102), [3, 3, 3, 2]);
    const b = tf.tensor(randomValues(4, 1103), [4]);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.conv2d(tf.transpose(x, [0, 3, 1, 2]), f, 1, 'same', 'NCHW');
      tf.grads((a: Tensor, w: Tensor) => tf.sum(tf.conv2d(a, w, 2, 'same')))([x, f]);
      tf.grads((a: Tensor, w: Tensor, c: Tensor) => tf.sum(tf.fusedConv2d({ x: a, filter: w, strides: 1, pad: 'same', bias: c, activation: 'relu' })))([x, f, b]);
      tf.grads((a: Tensor, w: Tensor) => tf.sum(tf.depthwiseConv2d(a, w, 1, 'valid')))([x, d]);
      tf.grad((a: Tensor) => tf.sum(tf.conv2dTranspose(a, tf.transpose(f, [0, 1, 3, 2]), [2, 5, 5, 4], 1, 'same')))(x);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
