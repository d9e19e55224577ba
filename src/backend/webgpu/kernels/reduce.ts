// PLACEHOLDER: kernels of this family are being written (see the webgpu issue); each throws until then.
import type { GpuExecutor } from '../executor.js';

export function reduce(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: reduce is not implemented yet'); }
export function softmax(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: softmax is not implemented yet'); }
export function softmaxGrad(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: softmaxGrad is not implemented yet'); }
export function softmaxCrossEntropy(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: softmaxCrossEntropy is not implemented yet'); }
