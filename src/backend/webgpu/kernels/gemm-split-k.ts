// Split-K for long K with few output tiles: the vec4 kernel writes one partial [M, N] per (batch, split)
// into scratch, and this pass adds the splits in order (no float atomics, so results are deterministic)
// and applies the fused epilogue.
//   partial: [batch, splits, M, N] -> out[b] at outOffset/outRowStride/outBatchStride.
import { MATH_HELPERS, elementwiseKernel, header } from '../wgsl.js';
import { type GemmArgs, storeWgsl } from './gemm-epilogue.js';

/** Uniform words as gemmWords, then 10 splits. One invocation per output element, i = (b·M + row)·N + col. */
export function splitKReduceSource(args: GemmArgs, splits: number, workgroupSize: number): string {
  const inputs: [string, 'f32'][] = [['PARTIAL', 'f32']];
  if (args.bias !== undefined) inputs.push(['BIAS', 'f32']);
  const body = `  let M = u(0u); let N = u(1u);
  let col = i % N; let row = (i / N) % M; let batch = i / (M * N);
  let first = batch * ${splits}u * M * N + row * N + col;
  var v = 0.0;
  for (var s = 0u; s < ${splits}u; s++) { v += PARTIAL[first + s * M * N]; }
  store(u(7u) + batch * u(9u), row, col, v);`;
  return elementwiseKernel(header(inputs, [['OUT', 'f32']]), workgroupSize, 10, body, `${MATH_HELPERS}\n${storeWgsl(args)}`);
}
