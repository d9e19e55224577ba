// PLACEHOLDER: kernels of this family are being written (see the webgpu issue); each throws until then.
import type { GpuExecutor } from '../executor.js';

export function recurrentForward(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: recurrentForward is not implemented yet'); }
export function recurrentBackward(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: recurrentBackward is not implemented yet'); }
