// PLACEHOLDER: kernels of this family are being written (see the webgpu issue); each throws until then.
import type { GpuExecutor } from '../executor.js';

export function transpose(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: transpose is not implemented yet'); }
export function stridedSlice(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: stridedSlice is not implemented yet'); }
export function concat(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: concat is not implemented yet'); }
export function pad(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: pad is not implemented yet'); }
export function tile(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: tile is not implemented yet'); }
export function gather(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: gather is not implemented yet'); }
export function scatterAdd(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: scatterAdd is not implemented yet'); }
export function oneHot(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: oneHot is not implemented yet'); }
