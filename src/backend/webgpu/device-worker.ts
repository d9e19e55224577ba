// The device worker (Node and Deno): opens the GPU device, then runs the command batches the backend
// streams to it. Reads answer either through shared memory (a synchronous dataSync on the other side,
// blocked in Atomics.wait) or with a message (data()).
import { parentPort, workerData } from 'node:worker_threads';
import { openDevice } from './gpu.js';
import { GpuExecutor } from './executor.js';
import { runCommand, type Command } from './commands.js';
import { watchLoss } from './transport.js';

const port = parentPort!;
let exec: GpuExecutor;
try {
  const { device, adapter, limits } = await openDevice(workerData.options);
  exec = new GpuExecutor(device, limits);
  watchLoss(exec, (reason) => {
    exec.failure ??= reason;
    port.postMessage({ error: reason.message });
  });
  port.postMessage({ adapter, limits });
} catch (error) {
  port.postMessage({ error: (error as Error).message });
  process.exit(0);
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

port.on('message', (batch: Command[]) => {
  for (const command of batch) {
    try {
      if (command.method === 'readShared') readShared(...(command.args as [number, number, Int32Array, SharedArrayBuffer]));
      else if (command.method === 'readReply') readReply(...(command.args as [number, number, number]));
      else if (!exec.failure) runCommand(exec, command);
    } catch (error) {
      // Reads after a failed command still get answered (with the failure): nobody waits forever.
      exec.failure ??= new Error(`webgpu backend: ${command.method} failed: ${message(error)}`);
      port.postMessage({ error: exec.failure.message });
    }
  }
  if (!exec.failure) exec.submit();
});

function readShared(id: number, elements: number, control: Int32Array, shared: SharedArrayBuffer): void {
  const done = (state: number, bytes: Uint8Array) => {
    new Uint8Array(shared).set(bytes.subarray(0, shared.byteLength));
    Atomics.store(control, 1, Math.min(bytes.byteLength, shared.byteLength));
    Atomics.store(control, 0, state);
    Atomics.notify(control, 0);
  };
  // 2: this read failed (an index check), the device goes on; 3: the device has failed for good.
  exec.read(id, elements).then(
    (buffer) => done(1, new Uint8Array(buffer)),
    (error) => done(exec.failure ? 3 : 2, new TextEncoder().encode(message(error))),
  );
}

function readReply(id: number, elements: number, reply: number): void {
  const answer = id < 0 ? exec.finish().then(() => new ArrayBuffer(0)) : exec.read(id, elements);
  answer.then(
    (bytes) => port.postMessage({ reply, bytes }, [bytes]),
    (error) => port.postMessage({ reply, error: message(error), fatal: exec.failure !== undefined }),
  );
}
