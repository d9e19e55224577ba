// Reading and writing safetensors files: from bytes, from a URL (fetch), or lazily from a file in Node
// (the header is read at open; each tensor's byte range is read on demand, so a 1 GB checkpoint costs only
// the tensors asked for). Writing (./safetensors-write.ts) is atomic and streams one tensor at a time.
//
//   const file = await readSafetensors('./bert/model.safetensors');
//   const w = file.tensor('bert.embeddings.word_embeddings.weight');   // [30522, 768] float32
//   file.close();
//   await writeSafetensors('./out.safetensors', {w}, {metadata: {format: 'pt'}});
import { nodeFileSystem } from '../runtime/node-fs.js';
import { ENGINE } from '../engine.js';
import type { DType, TypedArray } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';
import { decodeTensorValues, parseHeader, parseHeaderLength, type SafetensorsTensorInfo } from './safetensors-format.js';

export type { SafetensorsDtype, SafetensorsTensorInfo } from './safetensors-format.js';

/** An open safetensors file. Tensors are decoded on each call; the caller owns what tensor()/tensors() return. */
export interface SafetensorsFile {
  /** The path, URL or 'bytes', as error messages name it. */
  readonly source: string;
  /** Tensor names in header order. */
  readonly names: string[];
  /** The `__metadata__` strings ({} when absent). */
  readonly metadata: Record<string, string>;
  has(name: string): boolean;
  /** dtype, shape and byte range of one tensor. */
  info(name: string): SafetensorsTensorInfo;
  /** The tensor's raw little-endian bytes (a copy). */
  bytes(name: string): Uint8Array;
  /** The values decoded to a sinew dtype (floats → float32, integers → int32 range-checked, BOOL → bool). */
  values(name: string): { dtype: DType; values: TypedArray };
  tensor(name: string): Tensor;
  /** Every tensor (or those named), by name. */
  tensors(names?: readonly string[]): Record<string, Tensor>;
  /** Releases the file handle (a no-op for bytes and URLs); later reads throw. */
  close(): void;
}

/** Reads `length` bytes at `position` of the source. */
type RangeReader = (position: number, length: number) => Uint8Array;

function openFromReader(source: string, fileBytes: number, readRange: RangeReader, close: () => void): SafetensorsFile {
  const headerLength = parseHeaderLength(readRange(0, Math.min(8, fileBytes)), fileBytes, source);
  const header = parseHeader(readRange(8, headerLength), fileBytes - 8 - headerLength, source);
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  let closed = false;
  const lookup = (name: string, what: string): SafetensorsTensorInfo => {
    if (closed) throw new Error(`safetensors: ${source}: ${what}('${name}') after close()`);
    const info = byName.get(name);
    if (!info) {
      const known = header.tensors.slice(0, 8).map((t) => `'${t.name}'`).join(', ');
      throw new Error(`safetensors: ${source}: no tensor named '${name}' (it has ${header.tensors.length}: ${known}${header.tensors.length > 8 ? ', …' : ''})`);
    }
    return info;
  };
  const rawBytes = (info: SafetensorsTensorInfo) => readRange(header.dataStart + info.byteOffset, info.byteLength);
  const file: SafetensorsFile = {
    source,
    names: header.tensors.map((t) => t.name),
    metadata: header.metadata,
    has: (name) => byName.has(name),
    info: (name) => {
      const info = lookup(name, 'info');
      return { ...info, shape: info.shape.slice() };
    },
    bytes: (name) => rawBytes(lookup(name, 'bytes')).slice(),
    values: (name) => {
      const info = lookup(name, 'values');
      return decodeTensorValues(info, rawBytes(info), source);
    },
    tensor: (name) => {
      const info = lookup(name, 'tensor');
      const { dtype, values } = decodeTensorValues(info, rawBytes(info), source);
      return ENGINE.fromValues(values, info.shape, dtype);
    },
    tensors: (names = file.names) => {
      const out: Record<string, Tensor> = {};
      try {
        for (const name of names) out[name] = file.tensor(name);
      } catch (err) {
        for (const t of Object.values(out)) t.dispose();
        throw err;
      }
      return out;
    },
    close: () => {
      if (!closed) close();
      closed = true;
    },
  };
  return file;
}

/** Opens safetensors bytes already in memory (no copy is made of `bytes`; do not change them while open). */
export function decodeSafetensors(bytes: Uint8Array | ArrayBuffer, source = 'bytes'): SafetensorsFile {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const readRange: RangeReader = (position, length) => data.subarray(position, position + length);
  return openFromReader(source, data.length, readRange, () => undefined);
}

const isURL = (s: string) => /^https?:\/\//i.test(s);
const describeSource = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : (value as object).constructor?.name ?? typeof value);

/**
 * Opens a safetensors file: a path (Node, Deno; read lazily), a `file://` URL, an http(s) URL (fetched
 * whole), a Blob or File (a page's file input, a fetch response's blob()), or bytes.
 */
export async function readSafetensors(source: string | URL | Uint8Array | ArrayBuffer | Blob): Promise<SafetensorsFile> {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return decodeSafetensors(source);
  if (typeof source === 'object' && !(source instanceof URL)) {
    if (typeof Blob === 'undefined' || !(source instanceof Blob)) throw new Error(`readSafetensors: expected a path, a URL, a Blob/File or bytes, got ${describeSource(source)}`);
    return decodeSafetensors(await source.arrayBuffer(), typeof File !== 'undefined' && source instanceof File ? source.name : 'a Blob');
  }
  const text = source instanceof URL ? source.href : source;
  if (isURL(text)) return decodeSafetensors(await fetchBytes(text), text);
  const path = text.startsWith('file://') ? decodeURIComponent(text.slice('file://'.length)) : text;
  return openFileLazily(path);
}

/** GETs a URL's bytes, with the status in the Error when it fails. */
export async function fetchBytes(url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error(`safetensors: cannot fetch ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!response.ok) throw new Error(`safetensors: fetching ${url} failed: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Closes the descriptor of a lazily read file that was dropped without close() (a safety net, like tensors'). */
const unclosedFiles = new FinalizationRegistry<() => void>((closeDescriptor) => {
  try {
    closeDescriptor();
  } catch {
    // Already closed: nothing to release.
  }
});

async function openFileLazily(path: string): Promise<SafetensorsFile> {
  const { fsSync: fs } = await nodeFileSystem(`safetensors: reading the path ${path}`);
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    throw new Error(`safetensors: cannot open ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const size = fs.fstatSync(fd).size;
    const readRange: RangeReader = (position, length) => {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = fs.readSync(fd, out, done, length - done, position + done);
        if (n === 0) throw new Error(`safetensors: ${path}: the file ended at byte ${position + done} while reading ${length} bytes at ${position} (changed while open?)`);
        done += n;
      }
      return out;
    };
    const token = {};
    const file = openFromReader(path, size, readRange, () => {
      unclosedFiles.unregister(token);
      fs.closeSync(fd);
    });
    unclosedFiles.register(file, () => fs.closeSync(fd), token);
    return file;
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

export { encodeSafetensors, safetensorsChunks, writeFileAtomically, writeSafetensors } from './safetensors-write.js';
export type { ChunkedFileOperations, EncodeSafetensorsOptions, RawSafetensor } from './safetensors-write.js';
