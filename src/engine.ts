// The engine: backend registry, tensor bookkeeping (reference counts, tidy scopes, finalization safety net)
// and the single entry point every op goes through (runKernel), which also records the autograd tape.
import type { Backend, DataId, DType, Shape, TypedArray } from './backend/backend.js';
import { setTensorHost, sizeFromShape, Storage, Tensor } from './tensor.js';
import { Tape, activeTapes, recordOnTapes } from './autograd/tape.js';

export interface BackendFactory {
  priority: number;
  /**
   * Creates the backend at once where this host allows it (Node and Deno read the wasm from disk), or
   * returns undefined where only `create` can (a browser fetches it). Throws why the backend cannot work.
   */
  createSync(): Backend | undefined;
  /** Creates the backend on any host; rejects with an Error that says why it cannot. */
  create(): Promise<Backend>;
  /** Resolves once a backend made by createSync is fully up (e.g. its worker threads are running). */
  ready?(backend: Backend): Promise<void>;
}

/** What an op's forward returns: a fresh buffer with its shape and dtype. */
export interface KernelOutput {
  dataId: DataId;
  shape: Shape;
  dtype: DType;
}

/**
 * Gradient of one op: given upstream gradients of its outputs, the gradient of each input (null: none).
 * `needs[i]` is false when input i does not depend on anything being differentiated (the data fed to a
 * first layer, labels): a backward may return null there and skip the work.
 */
export type GradientFn = (
  dys: Tensor[],
  inputs: Tensor[],
  outputs: Tensor[],
  needs: readonly boolean[],
) => (Tensor | null)[];

export interface KernelSpec {
  /** Op name for errors and the tape. */
  name: string;
  inputs: Tensor[];
  forward(backend: Backend, inputs: Tensor[]): KernelOutput | KernelOutput[];
  /** Omitted for ops that are not differentiable (comparisons, argMax…): no gradient flows through them. */
  backward?: GradientFn;
}

export interface MemoryInfo {
  numTensors: number;
  numDataBuffers: number;
  numBytes: number;
  /** Bytes the backend has reserved from its host (the wasm memory size), where it differs. */
  numBytesInBackend?: number;
  unreliable: boolean;
}

interface Scope {
  name: string;
  tensors: Set<Tensor>;
}

export class Engine {
  private factories = new Map<string, BackendFactory>();
  private backends = new Map<string, Backend>();
  private backendName: string | null = null;
  /** Backends being created asynchronously, and why the last attempt of each failed. */
  private pending = new Map<string, Promise<Backend>>();
  private failures = new Map<string, Error>();
  /** Backend pairs ('wasm→webgpu') a move between has been warned about. */
  private warnedMoves = new Set<string>();
  private scopes: Scope[] = [];
  private liveTensors = 0;
  private liveStorages = new Set<Storage>();
  /** Safety net: a tensor garbage-collected without dispose() still returns its buffer reference. */
  private finalizer = new FinalizationRegistry<Storage>((storage) => {
    this.liveTensors--;
    this.releaseStorage(storage);
  });

  constructor() {
    setTensorHost({
      readSync: (t) => this.readSync(t),
      read: (t) => this.read(t),
      disposeTensor: (t) => this.disposeTensor(t),
    });
  }

  // --- backends ------------------------------------------------------------------------------------
  registerBackend(name: string, factory: BackendFactory): void {
    this.factories.set(name, factory);
  }

  /** The current backend; created on first use where the host can do that synchronously. */
  get backend(): Backend {
    return this.backendFor('an op');
  }

  /** The current backend for running `op`; throws, naming the op, while it has not loaded. */
  backendFor(op: string): Backend {
    const name = this.getBackend();
    return this.backends.get(name) ?? this.createSync(name, op);
  }

  /** The current backend's name: the one set, else the registered backend of highest priority. */
  getBackend(): string {
    if (this.backendName === null) {
      const ranked = [...this.factories.entries()].sort((x, y) => y[1].priority - x[1].priority);
      if (ranked.length === 0) throw new Error('sinew: no backend is registered');
      this.backendName = ranked[0][0];
    }
    return this.backendName;
  }

  /**
   * Makes `name` current. Where the host creates it synchronously it is usable at once; otherwise
   * `ready()` loads it. A backend is never swapped for another because it failed: ready() rejects instead.
   */
  setBackend(name: string): boolean {
    if (!this.factories.has(name)) {
      throw new Error(`setBackend: unknown backend '${name}' (registered: ${[...this.factories.keys()].join(', ')})`);
    }
    if (!this.backends.has(name)) this.tryCreateSync(name);
    this.backendName = name;
    return true;
  }

  findBackend(name: string): Backend | undefined {
    return this.backends.get(name);
  }

  /** Loads the current backend where needed and resolves once it is fully up; rejects with why it cannot. */
  async ready(): Promise<void> {
    const name = this.getBackend();
    const backend = this.backends.get(name) ?? (await this.createAsync(name));
    await this.factories.get(name)!.ready?.(backend);
  }

  /** Creates `name` now where its host allows (not while an asynchronous creation is under way). */
  private tryCreateSync(name: string): Backend | undefined {
    if (this.pending.has(name)) return undefined;
    const backend = this.factories.get(name)!.createSync();
    if (backend) this.backends.set(name, backend);
    return backend;
  }

  private createSync(name: string, op: string): Backend {
    const backend = this.tryCreateSync(name);
    if (backend) return backend;
    const loading = this.pending.has(name);
    const failure = this.failures.get(name);
    const state = loading
      ? `is still loading`
      : failure
        ? `failed to load (${failure.message})`
        : 'loads asynchronously on this host';
    throw new Error(`${op}: the '${name}' backend ${state}: \`await tf.ready()\` (or \`await tf.setBackend('${name}')\`) before running ops`);
  }

  private createAsync(name: string): Promise<Backend> {
    let pending = this.pending.get(name);
    if (!pending) {
      this.failures.delete(name);
      pending = this.factories.get(name)!.create().then(
        (backend) => {
          this.backends.set(name, backend);
          return backend;
        },
        (error: unknown) => {
          const failure = error instanceof Error ? error : new Error(String(error));
          this.failures.set(name, failure);
          throw failure;
        },
      ).finally(() => this.pending.delete(name));
      this.pending.set(name, pending);
    }
    return pending;
  }

  /** A backend that holds tensors (it exists: they were made on it). */
  private backendByName(name: string): Backend {
    const backend = this.backends.get(name);
    if (!backend) throw new Error(`sinew: backend '${name}' holds a tensor but was never created`);
    return backend;
  }

  // --- tensors ---------------------------------------------------------------------------------------
  /** Wraps a fresh buffer (owned by the current backend) in a tensor tracked by the current scope. */
  makeTensor(output: KernelOutput, backendName = this.getBackend()): Tensor {
    const storage: Storage = { dataId: output.dataId, backendName, refCount: 0, size: sizeFromShape(output.shape) };
    this.liveStorages.add(storage);
    return this.makeView(storage, output.shape, output.dtype);
  }

  /** A new tensor over an existing buffer (reshape, clone of a handle, tape-saved references). */
  makeView(storage: Storage, shape: Shape, dtype: DType): Tensor {
    const tensor = new Tensor(shape, dtype, storage);
    storage.refCount++;
    this.liveTensors++;
    this.finalizer.register(tensor, storage, tensor);
    const scope = this.scopes[this.scopes.length - 1];
    if (scope) scope.tensors.add(tensor);
    return tensor;
  }

  /** Creates a tensor from values on the current backend. */
  fromValues(values: TypedArray | number[], shape: Shape, dtype: DType): Tensor {
    return this.makeTensor({ dataId: this.backendFor('tensor').write(values, dtype), shape, dtype });
  }

  disposeTensor(tensor: Tensor): void {
    if (tensor.isDisposedInternal) return;
    tensor.isDisposedInternal = true;
    this.finalizer.unregister(tensor);
    this.liveTensors--;
    for (const scope of this.scopes) scope.tensors.delete(tensor);
    this.releaseStorage(tensor.storage);
  }

  private releaseStorage(storage: Storage): void {
    if (--storage.refCount > 0) return;
    this.liveStorages.delete(storage);
    this.backends.get(storage.backendName)?.dispose(storage.dataId);
  }

  /** Counts a variable as a live tensor; variables are never owned by a tidy() scope. */
  adoptVariable(variable: Tensor): void {
    this.liveTensors++;
    this.finalizer.register(variable, variable.storage, variable);
  }

  /** Points a variable at newValue's buffer (Variable.assign), releasing the old one. */
  replaceStorage(variable: Tensor, newValue: Tensor): void {
    this.ensureOnBackend(newValue, this.backend);
    newValue.storage.refCount++;
    const old = variable.storage;
    this.finalizer.unregister(variable);
    variable.storage = newValue.storage;
    this.finalizer.register(variable, variable.storage, variable);
    this.releaseStorage(old);
  }

  readSync(tensor: Tensor): TypedArray {
    tensor.throwIfDisposed('dataSync');
    const backend = this.backendByName(tensor.storage.backendName);
    return backend.read(tensor.storage.dataId, tensor.dtype, tensor.size);
  }

  async read(tensor: Tensor): Promise<TypedArray> {
    tensor.throwIfDisposed('data');
    const backend = this.backendByName(tensor.storage.backendName);
    return backend.readAsync
      ? backend.readAsync(tensor.storage.dataId, tensor.dtype, tensor.size)
      : backend.read(tensor.storage.dataId, tensor.dtype, tensor.size);
  }

  /**
   * Moves a tensor's buffer to `backend` if it lives elsewhere. A tensor lives on the backend that made it
   * (tfjs); an op on another backend moves it there once, through the host, with a warning per pair of
   * backends (a move per step would be a silent slowdown: make tensors on the backend that uses them).
   */
  private ensureOnBackend(tensor: Tensor, backend: Backend, op = 'an op'): void {
    const storage = tensor.storage;
    if (storage.backendName === backend.name) return;
    const source = this.backendByName(storage.backendName);
    const route = `${storage.backendName}→${backend.name}`;
    if (!this.warnedMoves.has(route)) {
      this.warnedMoves.add(route);
      console.warn(`sinew: ${op} on '${backend.name}' moves tensors made on '${storage.backendName}' there (once each, through the host); `
        + `create or load them after setBackend('${backend.name}') to avoid the copies. Warned once per pair of backends.`);
    }
    let values: TypedArray;
    try {
      values = source.read(storage.dataId, tensor.dtype, storage.size);
    } catch (error) {
      throw new Error(`${op}: a [${tensor.shape}] tensor lives on '${storage.backendName}' and cannot be moved to '${backend.name}' `
        + `synchronously here (${(error as Error).message})`);
    }
    source.dispose(storage.dataId);
    storage.dataId = backend.write(values, tensor.dtype);
    storage.backendName = backend.name;
  }

  memory(): MemoryInfo {
    let numBytes = 0;
    for (const storage of this.liveStorages) numBytes += storage.size * 4;
    const info = this.backends.get(this.getBackend())?.memory();
    return {
      numTensors: this.liveTensors,
      numDataBuffers: this.liveStorages.size,
      numBytes,
      numBytesInBackend: info?.reservedBytes ?? info?.bytes,
      unreliable: false,
    };
  }

  // --- scopes ----------------------------------------------------------------------------------------
  /** Runs fn; disposes every tensor it created except those it returns (any nesting of arrays/objects) or kept. */
  tidy<T>(nameOrFn: string | (() => T), maybeFn?: () => T): T {
    const [name, fn] = typeof nameOrFn === 'string' ? [nameOrFn, maybeFn!] : ['tidy', nameOrFn];
    if (typeof fn !== 'function') throw new Error('tidy: expected a function');
    const scope: Scope = { name, tensors: new Set() };
    this.scopes.push(scope);
    let result: T;
    try {
      result = fn();
      if (result instanceof Promise) throw new Error('tidy: the function must be synchronous (it returned a Promise)');
    } finally {
      this.scopes.pop();
    }
    const survivors = new Set<Tensor>();
    collectTensors(result, survivors);
    const parent = this.scopes[this.scopes.length - 1];
    for (const tensor of scope.tensors) {
      if (survivors.has(tensor) || tensor.kept) {
        if (parent && !tensor.kept) parent.tensors.add(tensor);
      } else {
        this.disposeTensor(tensor);
      }
    }
    return result;
  }

  /** Keeps a tensor alive past the enclosing tidy() scopes. */
  keep<T extends Tensor>(tensor: T): T {
    tensor.kept = true;
    for (const scope of this.scopes) scope.tensors.delete(tensor);
    return tensor;
  }

  /** Tracks a tensor in the current scope again (used when a kept tensor is handed back to user code). */
  track<T extends Tensor>(tensor: T): T {
    const scope = this.scopes[this.scopes.length - 1];
    if (scope) scope.tensors.add(tensor);
    return tensor;
  }

  // --- ops -----------------------------------------------------------------------------------------
  /** Runs one op on the current backend and records it on every active gradient tape. */
  runKernel(spec: KernelSpec): Tensor[] {
    const backend = this.backendFor(spec.name);
    for (const input of spec.inputs) {
      input.throwIfDisposed(spec.name);
      this.ensureOnBackend(input, backend, spec.name);
    }
    const produced = spec.forward(backend, spec.inputs);
    const outputs = (Array.isArray(produced) ? produced : [produced]).map((out) => {
      // An output over an input's buffer (reshape) is a view sharing that storage.
      const shared = spec.inputs.find((input) => input.storage.dataId === out.dataId);
      return shared ? this.makeView(shared.storage, out.shape, out.dtype) : this.makeTensor(out, backend.name);
    });
    if (spec.backward && activeTapes.length > 0) {
      recordOnTapes(spec.name, spec.inputs, outputs, spec.backward, (t) => this.holdForTape(t));
    }
    return outputs;
  }

  /** A reference that survives the user's tidy() scopes until the tape that saved it is done. */
  holdForTape(tensor: Tensor): Tensor {
    const held = new Tensor(tensor.shape, tensor.dtype, tensor.storage, tensor.id);
    tensor.storage.refCount++;
    this.liveTensors++;
    this.finalizer.register(held, tensor.storage, held);
    return held;
  }

  /** Starts recording; see autograd/gradients.ts. */
  startTape(watched: Tensor[]): Tape {
    const tape = new Tape(watched);
    activeTapes.push(tape);
    return tape;
  }

  endTape(tape: Tape): void {
    const index = activeTapes.lastIndexOf(tape);
    if (index >= 0) activeTapes.splice(index, 1);
  }
}

function collectTensors(value: unknown, into: Set<Tensor>, seen = new Set<unknown>()): void {
  if (value instanceof Tensor) {
    into.add(value);
  } else if (value && typeof value === 'object' && !seen.has(value) && !ArrayBuffer.isView(value)) {
    seen.add(value);
    const items = value instanceof Map ? value.values() : Array.isArray(value) ? value : Object.values(value);
    for (const item of items) collectTensors(item, into, seen);
  }
}

export const ENGINE = new Engine();
