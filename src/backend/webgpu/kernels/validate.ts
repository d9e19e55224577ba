// Index checks on the device, for ops whose host-side check would need a synchronous read: the first
// out-of-range index is recorded in the executor's check buffer, and the next read reports it.
import { Words, type GpuExecutor } from '../executor.js';
import { elementwiseKernel, header } from '../wgsl.js';

/** Check buffer layout (i32): 0 flag (0 clear, else the check's number), 1 position, 2 value, 3 limit. */
export const CHECK_WORDS = 4;

export function checkIndices(exec: GpuExecutor, _outs: number[], indices: number, count: number, limit: number, op: string): void {
  const check = exec.registerCheck(op);
  const wg = exec.workgroupSize;
  exec.dispatch({
    name: `checkIndices (${op})`,
    code: elementwiseKernel(header([['IDX', 'i32']], [['CHECK', 'atomic']]), wg, 0, `
  let v = IDX[i];
  if (v < 0 || v >= s(1u)) {
    // The first failing check wins; within it, any failing position (the lowest is not worth a second pass).
    if (atomicCompareExchangeWeak(&CHECK[0], 0, i32(u(2u))).exchanged) {
      atomicStore(&CHECK[1], i32(i)); atomicStore(&CHECK[2], v); atomicStore(&CHECK[3], s(1u));
    }
  }`),
    inputs: [indices], outputs: [exec.checkBufferId], uniforms: new Words().u(count).i(limit).u(check), workgroups: exec.grid(Math.ceil(count / wg)),
  });
}
