// PLACEHOLDER: kernels of this family are being written (see the webgpu issue); each throws until then.
import type { GpuExecutor } from '../executor.js';

export function sgdUpdate(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: sgdUpdate is not implemented yet'); }
export function adamUpdate(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: adamUpdate is not implemented yet'); }
