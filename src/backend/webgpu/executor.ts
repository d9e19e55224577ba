// The device side of the webgpu backend: GPU buffers by id, one command encoder that collects dispatches
// until a submit, compute pipelines cached by their WGSL, and read-back through pooled staging buffers.
// It runs where the device lives: the calling thread (browser pages) or the device worker (device-worker.ts).
//
// Pipelines compile asynchronously (createComputePipelineAsync): a dispatch whose pipeline is not ready is
// queued with everything after it (copies, frees, reads), in call order, and the queue runs as pipelines
// arrive. So a model's first batch compiles all its kernels at once (in parallel where the driver can)
// instead of one after another, and the caller never waits for a compile.
import { BufferPool, STORAGE_USAGE, bucketBytes } from './buffer-pool.js';
import type { GPUDeviceLike, GpuLimits } from './gpu.js';
import { UNIFORM_BYTES } from './wgsl.js';

declare const GPUBufferUsage: { STORAGE: number; COPY_SRC: number; COPY_DST: number; MAP_READ: number; UNIFORM: number };
declare const GPUMapMode: { READ: number };

/** One compute dispatch: storage bindings are the inputs (read-only) then the outputs, then the uniforms. */
export interface Dispatch {
  /** Names the kernel in errors. */
  name: string;
  /** WGSL source (see wgsl.ts's kernelSource); pipelines are cached by it. */
  code: string;
  inputs: readonly number[];
  outputs: readonly number[];
  /** Up to 64 32-bit words, read in WGSL through u(i), s(i), f(i). */
  uniforms?: Words;
  /** Workgroup counts; each ≤ maxComputeWorkgroupsPerDimension (use grid() for long 1-D work). */
  workgroups: readonly [number, number?, number?];
}

/** Uniform words built in order: u32, i32 and f32 values, 4 bytes each. */
export class Words {
  readonly buffer = new ArrayBuffer(UNIFORM_BYTES);
  private readonly u32 = new Uint32Array(this.buffer);
  private readonly f32 = new Float32Array(this.buffer);
  private readonly i32 = new Int32Array(this.buffer);
  length = 0;
  u(...values: number[]): this {
    for (const v of values) this.u32[this.next()] = v;
    return this;
  }
  i(...values: number[]): this {
    for (const v of values) this.i32[this.next()] = v;
    return this;
  }
  f(...values: number[]): this {
    for (const v of values) this.f32[this.next()] = v;
    return this;
  }
  private next(): number {
    if (this.length >= UNIFORM_BYTES / 4) throw new Error(`webgpu backend: more than ${UNIFORM_BYTES / 4} uniform words`);
    return this.length++;
  }
}

/** Idle storage bytes kept for reuse before the pool destroys the oldest. */
const MAX_IDLE_BYTES = 256 * 2 ** 20;
/** Dispatches collected before a submit, so the GPU starts while the host keeps encoding. */
const DISPATCHES_PER_SUBMIT = 64;

export class GpuExecutor {
  private readonly buffers = new Map<number, any>();
  private readonly storage: BufferPool;
  private readonly staging: BufferPool;
  private readonly pipelines = new Map<string, any>();
  private readonly layouts = new Map<string, any>();
  private encoder: any = null;
  private pass: any = null;
  private dispatched = 0;
  /** Uniform and upload buffers of the open encoder, destroyed once it is submitted. */
  private uniformBuffers: any[] = [];
  /** The device-side checks (kernels/validate.ts): their buffer and what each numbered check is about. */
  readonly checkBufferId = -1;
  private checks = new Map<number, string>();
  private lastCheck = 0;
  /** Pipelines being compiled, by key. */
  private readonly compiling = new Set<string>();
  /** Encoder work waiting, in call order, for the pipeline of the first entry (see the file comment). */
  private deferred: { ready: () => boolean; run: () => void; fail?: (error: Error) => void }[] = [];
  /** The first error the device reported (validation, out of memory, loss); every later call throws it. */
  failure: Error | undefined;

  constructor(readonly device: GPUDeviceLike, readonly limits: GpuLimits) {
    this.storage = new BufferPool(device, STORAGE_USAGE(), MAX_IDLE_BYTES);
    this.staging = new BufferPool(device, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 64 * 2 ** 20);
    this.create(this.checkBufferId, 4); // WebGPU zero-fills new buffers: no check has failed
    device.onuncapturederror = (event: any) => {
      this.failure ??= new Error(`webgpu backend: the device reported an error: ${event.error?.message ?? event.error}`);
    };
  }

  /** Invocations per workgroup for 1-D kernels: 256, or less where the adapter allows less. */
  get workgroupSize(): number {
    return Math.min(256, this.limits.maxComputeInvocationsPerWorkgroup, this.limits.maxComputeWorkgroupSizeX);
  }

  // --- buffers -----------------------------------------------------------------------------------------
  /** A new buffer for id with room for `elements` 4-byte values (contents undefined). */
  create(id: number, elements: number): any {
    const bytes = elements * 4;
    if (bytes > this.limits.maxStorageBufferBindingSize) {
      throw new Error(
        `webgpu backend: a buffer of ${elements} elements (${bytes} bytes) exceeds this adapter's maxStorageBufferBindingSize ` +
          `(${this.limits.maxStorageBufferBindingSize} bytes)`,
      );
    }
    const buffer = this.storage.acquire(bytes);
    this.buffers.set(id, buffer);
    return buffer;
  }

  buffer(id: number): any {
    const buffer = this.buffers.get(id);
    if (!buffer) throw new Error(`webgpu backend: buffer ${id} does not exist (disposed, or made on another device)`);
    return buffer;
  }

  free(id: number): void {
    if (!this.defer(() => this.freeNow(id))) this.freeNow(id);
  }

  private freeNow(id: number): void {
    const buffer = this.buffers.get(id);
    if (!buffer) return;
    this.buffers.delete(id);
    // Safe to reuse at once: every later use, writes included, is encoded after what was encoded so far.
    this.storage.release(buffer);
  }

  write(id: number, values: ArrayBufferView): void {
    const buffer = this.create(id, values.byteLength / 4);
    if (values.byteLength === 0) return;
    // Through a mapped upload buffer and a copy in the encoder, not queue.writeBuffer: the copy is ordered
    // with the work encoded so far, and Dawn's node binding on OpenGL ES crashed under GC after writeBuffer.
    const upload = this.device.createBuffer({ size: Math.ceil(values.byteLength / 16) * 16, usage: GPUBufferUsage.COPY_SRC, mappedAtCreation: true });
    new Uint8Array(upload.getMappedRange()).set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    upload.unmap();
    const copy = () => {
      this.endPass();
      this.openEncoder().copyBufferToBuffer(upload, 0, buffer, 0, values.byteLength);
      this.uniformBuffers.push(upload);
    };
    if (!this.defer(copy)) copy();
  }

  /** Copies `elements` values from one buffer to another (offsets in elements). */
  copy(from: number, fromOffset: number, to: number, toOffset: number, elements: number): void {
    if (elements === 0) return;
    const copy = () => {
      this.endPass();
      this.openEncoder().copyBufferToBuffer(this.buffer(from), fromOffset * 4, this.buffer(to), toOffset * 4, elements * 4);
    };
    if (!this.defer(copy)) copy();
  }

  /** Bytes held by live buffers, and by the pool (live + idle). */
  memory(): { liveBuffers: number; pooledBytes: number; idleBytes: number } {
    return { liveBuffers: this.buffers.size, pooledBytes: this.storage.allocatedBytes, idleBytes: this.storage.idleBytes };
  }

  /** Numbers a device-side check (1, 2, …) so a failure can name its op; the list is cleared on each read. */
  registerCheck(op: string): number {
    this.checks.set(++this.lastCheck, op);
    return this.lastCheck;
  }

  // --- compute -----------------------------------------------------------------------------------------
  dispatch(d: Dispatch): void {
    if (this.failure) throw this.failure;
    const [x, y = 1, z = 1] = d.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) throw new Error(`webgpu backend: ${d.name} asked for [${x}, ${y}, ${z}] workgroups (limit ${max} per dimension)`);
    const key = `${d.inputs.length}/${d.outputs.length}\n${d.code}`;
    const pipeline = this.pipelines.get(key);
    if (!pipeline || this.deferred.length > 0) {
      if (!pipeline) this.compile(key, d);
      this.deferred.push({ ready: () => this.pipelines.has(key), run: () => this.encode(d, this.pipelines.get(key)) });
      return;
    }
    this.encode(d, pipeline);
  }

  private encode(d: Dispatch, pipeline: any): void {
    const [x, y = 1, z = 1] = d.workgroups;
    const entries = [...d.inputs, ...d.outputs].map((id, binding) => ({ binding, resource: { buffer: this.buffer(id) } }));
    const uniform = this.device.createBuffer({ size: UNIFORM_BYTES, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    if (d.uniforms) new Uint8Array(uniform.getMappedRange()).set(new Uint8Array(d.uniforms.buffer, 0, d.uniforms.length * 4));
    uniform.unmap();
    this.uniformBuffers.push(uniform);
    entries.push({ binding: entries.length, resource: { buffer: uniform } });
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    if (!this.pass) this.pass = this.openEncoder().beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(x, y, z);
    if (++this.dispatched >= DISPATCHES_PER_SUBMIT) this.submit();
  }

  /** Workgroup counts [x, y] covering `groups` 1-D workgroups within the per-dimension limit. */
  grid(groups: number): [number, number] {
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= max) return [groups, 1];
    const y = Math.ceil(groups / max);
    return [Math.ceil(groups / y), y];
  }

  /** Sends everything encoded so far to the GPU (what waits for a pipeline goes when it is ready). */
  submit(): void {
    if (!this.encoder) return;
    this.endPass();
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.dispatched = 0;
    for (const buffer of this.uniformBuffers) buffer.destroy();
    this.uniformBuffers = [];
  }

  /** Reads `elements` values of a buffer back to the host. */
  async read(id: number, elements: number): Promise<ArrayBuffer> {
    if (this.failure) throw this.failure;
    const bytes = elements * 4;
    if (bytes === 0) return new ArrayBuffer(0);
    // The checks registered so far are this read's to report (later ones belong to later reads).
    const checksUpTo = this.lastCheck;
    return this.deferred.length > 0 ? this.later(() => this.readNow(id, elements, checksUpTo)) : this.readNow(id, elements, checksUpTo);
  }

  private async readNow(id: number, elements: number, checksUpTo: number): Promise<ArrayBuffer> {
    const bytes = elements * 4;
    const staging = this.staging.acquire(bytes);
    this.endPass();
    this.openEncoder().copyBufferToBuffer(this.buffer(id), 0, staging, 0, bytes);
    const checked = new Map([...this.checks].filter(([number]) => number <= checksUpTo));
    const checkStaging = checked.size > 0 ? this.takeChecks(checked) : undefined;
    this.submit();
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, bucketBytes(bytes));
    } catch (error) {
      throw this.failure ?? new Error(`webgpu backend: reading a buffer back failed: ${(error as Error).message}`);
    }
    const copy = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    this.staging.release(staging);
    if (checkStaging) await this.reportChecks(checkStaging, checked);
    if (this.failure) throw this.failure;
    return copy;
  }

  /** Resolves when the GPU has finished everything submitted. */
  async finish(): Promise<void> {
    return this.deferred.length > 0 ? this.later(() => this.finishNow()) : this.finishNow();
  }

  private async finishNow(): Promise<void> {
    this.submit();
    await this.device.queue.onSubmittedWorkDone();
    if (this.failure) throw this.failure;
  }

  /** Set by destroy(): a device loss after it is ours, not a failure. */
  destroyed = false;

  destroy(): void {
    this.destroyed = true;
    this.storage.trim();
    this.staging.trim();
    this.device.destroy();
  }

  /** Copies the check buffer out and clears it (in the open encoder); `taken` leave the list of checks. */
  private takeChecks(taken: Map<number, string>): any {
    const staging = this.staging.acquire(16);
    this.openEncoder().copyBufferToBuffer(this.buffer(this.checkBufferId), 0, staging, 0, 16);
    this.openEncoder().clearBuffer(this.buffer(this.checkBufferId), 0, 16);
    for (const number of taken.keys()) this.checks.delete(number);
    return staging;
  }

  private async reportChecks(staging: any, checked: Map<number, string>): Promise<void> {
    await staging.mapAsync(GPUMapMode.READ, 0, 16);
    const [flag, position, value, limit] = new Int32Array(staging.getMappedRange(0, 16).slice(0));
    staging.unmap();
    this.staging.release(staging);
    if (flag === 0) return;
    const [op, ...what] = (checked.get(flag) ?? 'an op').split(' ');
    throw new Error(`${op}: index ${value} (at position ${position}) is out of range [0, ${limit - 1}] ${what.join(' ')} (found on the GPU, reported at the next read)`);
  }

  private openEncoder(): any {
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Starts compiling d's pipeline; the queue moves on when it is ready. */
  private compile(key: string, d: Dispatch): void {
    if (this.compiling.has(key)) return;
    this.compiling.add(key);
    const module = this.device.createShaderModule({ label: d.name, code: d.code });
    this.device.createComputePipelineAsync({
      label: d.name, layout: this.device.createPipelineLayout({ bindGroupLayouts: [this.layout(d.inputs.length, d.outputs.length)] }),
      compute: { module, entryPoint: 'main' },
    }).then(
      (pipeline: any) => {
        this.compiling.delete(key);
        this.pipelines.set(key, pipeline);
        this.drain();
      },
      (error: Error) => {
        this.failure ??= new Error(`webgpu backend: compiling the ${d.name} kernel failed: ${error.message}`);
        const waiting = this.deferred;
        this.deferred = [];
        for (const entry of waiting) entry.fail?.(this.failure);
      },
    );
  }

  /** Queues `run` behind the work waiting for a pipeline; false (run it now) when nothing waits. */
  private defer(run: () => void): boolean {
    if (this.deferred.length === 0) return false;
    this.deferred.push({ ready: () => true, run });
    return true;
  }

  /** A promise for `start()` run at its turn in the queue. */
  private later<T>(start: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.deferred.push({ ready: () => true, run: () => void start().then(resolve, reject), fail: reject });
    });
  }

  /** Runs the queued work whose turn has come, then sends it to the GPU. */
  private drain(): void {
    while (this.deferred.length > 0 && this.deferred[0].ready()) {
      const entry = this.deferred.shift()!;
      try {
        entry.run();
      } catch (error) {
        this.failure ??= error as Error;
        entry.fail?.(this.failure);
      }
    }
    if (this.deferred.length === 0) this.submit();
  }

  private layout(inputs: number, outputs: number): any {
    const key = `${inputs}/${outputs}`;
    let layout = this.layouts.get(key);
    if (!layout) {
      const COMPUTE = 4; // GPUShaderStage.COMPUTE
      const entries: any[] = [];
      for (let i = 0; i < inputs + outputs; i++) {
        entries.push({ binding: i, visibility: COMPUTE, buffer: { type: i < inputs ? 'read-only-storage' : 'storage' } });
      }
      entries.push({ binding: inputs + outputs, visibility: COMPUTE, buffer: { type: 'uniform' } });
      layout = this.device.createBindGroupLayout({ entries });
      this.layouts.set(key, layout);
    }
    return layout;
  }
}
