// The calls the backend sends to its executor: a method name, the ids of the buffers it creates, and its
// arguments (buffer ids as numbers, shapes and options as plain values: all structured-clonable).
import type { GpuExecutor } from './executor.js';
import { KERNELS } from './kernels/index.js';

export interface Command {
  method: string;
  outs: number[];
  args: unknown[];
}

export function runCommand(exec: GpuExecutor, { method, outs, args }: Command): void {
  switch (method) {
    case 'write':
      exec.write(outs[0], args[0] as ArrayBufferView);
      return;
    case 'free':
      exec.free(args[0] as number);
      return;
    default: {
      const kernel = KERNELS[method];
      if (!kernel) throw new Error(`webgpu backend: no kernel '${method}'`);
      kernel(exec, outs, ...args);
    }
  }
}
