// PLACEHOLDER: kernels of this family are being written (see the webgpu issue); each throws until then.
import type { GpuExecutor } from '../executor.js';

export function conv2d(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: conv2d is not implemented yet'); }
export function conv2dBackpropInput(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: conv2dBackpropInput is not implemented yet'); }
export function conv2dBackpropFilter(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: conv2dBackpropFilter is not implemented yet'); }
export function depthwiseConv2d(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: depthwiseConv2d is not implemented yet'); }
export function depthwiseConv2dBackpropInput(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: depthwiseConv2dBackpropInput is not implemented yet'); }
export function depthwiseConv2dBackpropFilter(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: depthwiseConv2dBackpropFilter is not implemented yet'); }
export function pool2d(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: pool2d is not implemented yet'); }
export function pool2dBackprop(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: pool2dBackprop is not implemented yet'); }
export function batchNorm(_exec: GpuExecutor, _outs: number[], ..._args: unknown[]): void { throw new Error('webgpu backend: batchNorm is not implemented yet'); }
