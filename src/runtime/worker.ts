// The worker entry, as plain JavaScript source. A worker receives the compiled WebAssembly.Module and
// the shared Memory by message, instantiates them, and then serves jobs from a control block in shared
// memory. Being a string, it needs no TS loader in the worker (works from src/ under tsx and from dist/),
// and it runs the same in Node (worker_threads, eval) and in browsers / Deno (a Blob-URL Web Worker).
//
// Control block layout (bytes from its base; written by pool.ts, read here):
//   [0, 64)                        header: int32 pending (chunks not yet done), int32 quit
//   [JOB_OFFSET, +JOB_BYTES)       job: f64 kernelId (-1 = quit), f64 argCount, f64 hasWorkspace, f64 args[MAX_ARGS]
//   [SLOTS_OFFSET + i*SLOT_BYTES)  worker i: int32 generation, int32 state, int32 failed, int32 messageLength,
//                                  f64 start @16, f64 end @24, f64 workspace @32, int32 claim @40,
//                                  int32 sleeping @44, utf-8 error message @64
// Args are f64 so both pointers and f32 values travel exactly. `claim` goes 0 → 1 when the worker takes its
// chunk and 0 → 2 when the caller, done with its own chunk, takes it instead (a worker still waking up or
// descheduled on a busy machine then costs nothing).

export const PENDING_INDEX = 0; // int32 index
export const QUIT_INDEX = 1; // int32 index: set once, when the pool terminates
export const JOB_OFFSET = 64;
export const MAX_ARGS = 45;
export const JOB_BYTES = 8 * (3 + MAX_ARGS);
export const SLOTS_OFFSET = JOB_OFFSET + JOB_BYTES;
export const SLOT_BYTES = 512;
export const SLOT_MESSAGE_OFFSET = 64;
/** int32 index of `claim` within a slot. */
export const SLOT_CLAIM_INT = 10;
/** int32 index of `sleeping` within a slot: 1 while the worker is (about to be) in Atomics.wait. */
export const SLOT_SLEEPING_INT = 11;
export const MAX_WORKERS = 63;
export const CONTROL_BLOCK_BYTES = SLOTS_OFFSET + MAX_WORKERS * SLOT_BYTES;

/** Worker states in the slot's int32 `state`. */
export const WORKER_STARTING = 0;
export const WORKER_READY = 1;
export const WORKER_FAILED = 2;
export const WORKER_EXITED = 3;


/** How long a worker keeps polling for the next job before it sleeps in Atomics.wait (ms). */
export const WORKER_SPIN_MS = 0.05;

// Shared by both hosts: `start(data, post)` instantiates, reports, then loops forever.
const WORKER_BODY = `
'use strict';
function start(data, post) {
  const { module, memory, controlPtr, index, kernelNames } = data;
  const slot = controlPtr + ${SLOTS_OFFSET} + index * ${SLOT_BYTES};
  const genIndex = slot >> 2, stateIndex = genIndex + 1, failedIndex = genIndex + 2, lengthIndex = genIndex + 3;
  const claimIndex = genIndex + ${SLOT_CLAIM_INT}, sleepingIndex = genIndex + ${SLOT_SLEEPING_INT};
  const pendingIndex = (controlPtr >> 2) + ${PENDING_INDEX}, quitIndex = (controlPtr >> 2) + ${QUIT_INDEX};
  const jobIndex = (controlPtr + ${JOB_OFFSET}) >> 3, slotF64 = (slot + 16) >> 3;
  let i32 = new Int32Array(memory.buffer), f64 = new Float64Array(memory.buffer);

  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    const table = imports[imp.module] || (imports[imp.module] = {});
    if (imp.kind === 'memory') table[imp.name] = memory;
    else if (imp.module === 'env' && imp.name === 'abort') table[imp.name] = () => { throw new Error('sinew wasm kernel aborted'); };
    else table[imp.name] = () => { throw new Error('sinew wasm kernel called the missing import ' + imp.module + '.' + imp.name); };
  }
  let kernels;
  try {
    const instance = new WebAssembly.Instance(module, imports);
    kernels = kernelNames.map((name) => instance.exports[name]);
  } catch (error) {
    Atomics.store(i32, stateIndex, ${WORKER_FAILED});
    post({ type: 'failed', message: String(error && error.message || error) });
    return;
  }
  // Read the generation before announcing readiness: the caller may dispatch the moment it sees READY.
  let seen = Atomics.load(i32, genIndex);
  const encoder = new TextEncoder();
  Atomics.store(i32, stateIndex, ${WORKER_READY});
  post({ type: 'ready' });
  try {
    for (;;) {
      let generation = Atomics.load(i32, genIndex);
      if (generation === seen) {
        // Poll briefly: the next job of a sequence of kernels usually follows within microseconds.
        const spinUntil = performance.now() + ${WORKER_SPIN_MS};
        while ((generation = Atomics.load(i32, genIndex)) === seen && performance.now() < spinUntil) {}
        // Announce the sleep first: the caller only pays for Atomics.notify (a syscall) when it is set.
        Atomics.store(i32, sleepingIndex, 1);
        while (generation === seen) {
          Atomics.wait(i32, genIndex, seen);
          generation = Atomics.load(i32, genIndex);
        }
        Atomics.store(i32, sleepingIndex, 0);
      }
      seen = generation;
      // memory.grow() in another thread: our views still cover only the old length.
      if (i32.buffer.byteLength !== memory.buffer.byteLength) {
        i32 = new Int32Array(memory.buffer);
        f64 = new Float64Array(memory.buffer);
      }
      if (Atomics.load(i32, quitIndex) !== 0) break;
      // Claim before reading the job: a chunk the caller took may already have been followed by the next job.
      if (Atomics.compareExchange(i32, claimIndex, 0, 1) !== 0) continue;
      const kernelId = f64[jobIndex];
      const argCount = f64[jobIndex + 1], hasWorkspace = f64[jobIndex + 2] !== 0;
      const args = new Array(argCount + (hasWorkspace ? 3 : 2));
      for (let a = 0; a < argCount; a++) args[a] = f64[jobIndex + 3 + a];
      if (hasWorkspace) args[argCount] = f64[slotF64 + 2];
      args[args.length - 2] = f64[slotF64];
      args[args.length - 1] = f64[slotF64 + 1];
      try {
        kernels[kernelId].apply(null, args);
      } catch (error) {
        const bytes = encoder.encode(String(error && error.message || error)).subarray(0, ${SLOT_BYTES - SLOT_MESSAGE_OFFSET});
        new Uint8Array(memory.buffer, slot + ${SLOT_MESSAGE_OFFSET}, bytes.length).set(bytes);
        i32[lengthIndex] = bytes.length;
        Atomics.store(i32, failedIndex, 1);
      }
      if (Atomics.sub(i32, pendingIndex, 1) === 1) Atomics.notify(i32, pendingIndex);
    }
  } finally {
    Atomics.store(i32, stateIndex, ${WORKER_EXITED});
  }
}
`;

/** Source for Node's `new Worker(source, {eval: true, workerData})`. */
export const NODE_WORKER_SOURCE = `${WORKER_BODY}
const { parentPort, workerData } = require('node:worker_threads');
start(workerData, (message) => parentPort.postMessage(message));
`;

/** Source for a Web Worker (browsers, Deno): the first message carries the module and memory. */
export const WEB_WORKER_SOURCE = `${WORKER_BODY}
self.onmessage = (event) => {
  self.onmessage = null;
  start(event.data, (message) => self.postMessage(message));
};
`;
