// Writing safetensors: encodeSafetensors (bytes in memory) and writeSafetensors (a file, atomically: a
// temporary in the same folder, fsynced, renamed over the target). The file is produced as chunks — the
// header, then one tensor's bytes at a time, read out of the backend only when reached — so writing a large
// model never holds a second full copy of it in memory.
import { nodeFileSystem } from '../runtime/node-fs.js';
import type { Tensor } from '../tensor.js';
import { nodeFileOperations, type FileOperations } from '../nn/io/file.js';
import {
  checkEncodedLength, encodeTensorValues, layoutSafetensors, SAFETENSORS_DTYPES, type SafetensorsDtype, type TensorDescriptor,
} from './safetensors-format.js';

/** A tensor given as plain values with an explicit safetensors dtype (for dtypes sinew tensors do not have). */
export interface RawSafetensor {
  dtype: SafetensorsDtype;
  shape: readonly number[];
  values: ArrayLike<number | bigint>;
}

export interface EncodeSafetensorsOptions {
  /** String key/values written as `__metadata__` (Hugging Face files carry {format: 'pt'}). */
  metadata?: Record<string, string>;
  /** How float32 tensors are stored: 'F32' (default, exact), 'F16' or 'BF16' (rounded to nearest even), 'F64'. */
  floatDtype?: 'F32' | 'F16' | 'BF16' | 'F64';
}

const isRaw = (t: Tensor | RawSafetensor): t is RawSafetensor => typeof (t as RawSafetensor).dtype === 'string' && 'values' in t;

/** The dtype and shape a tensor will be written with, and how to produce its bytes later. */
function describe(name: string, t: Tensor | RawSafetensor, floatDtype: SafetensorsDtype): TensorDescriptor & { encode: () => Uint8Array } {
  if (isRaw(t)) {
    if (!Object.hasOwn(SAFETENSORS_DTYPES, t.dtype)) throw new Error(`encodeSafetensors: tensor '${name}': unknown dtype ${String(t.dtype)}`);
    return { dtype: t.dtype, shape: t.shape, encode: () => encodeTensorValues(t.dtype, t.values) };
  }
  t.throwIfDisposed(`encodeSafetensors('${name}')`);
  const dtype: SafetensorsDtype = t.dtype === 'float32' ? floatDtype : t.dtype === 'int32' ? 'I32' : 'BOOL';
  return { dtype, shape: t.shape, encode: () => encodeTensorValues(dtype, t.dataSync()) };
}

/**
 * A safetensors file as chunks: `chunks()` yields the header, then each tensor's bytes, encoding each only
 * when it is reached. Names, dtypes and shapes are all checked here, before anything is yielded.
 */
export function safetensorsChunks(
  tensors: Record<string, Tensor | RawSafetensor>,
  options: EncodeSafetensorsOptions = {},
): { byteLength: number; chunks: () => Generator<Uint8Array> } {
  const described: Record<string, ReturnType<typeof describe>> = Object.create(null);
  for (const name of Object.keys(tensors)) described[name] = describe(name, tensors[name], options.floatDtype ?? 'F32');
  const layout = layoutSafetensors(described, options.metadata);
  return {
    byteLength: layout.byteLength,
    chunks: function* () {
      yield layout.header;
      for (const name of layout.order) {
        const { dtype, shape, encode } = described[name];
        yield checkEncodedLength(name, { dtype, shape, bytes: encode() });
      }
    },
  };
}

/** The bytes of a safetensors file holding `tensors` (sinew tensors or raw values), by name. */
export function encodeSafetensors(tensors: Record<string, Tensor | RawSafetensor>, options: EncodeSafetensorsOptions = {}): Uint8Array {
  const { byteLength, chunks } = safetensorsChunks(tensors, options);
  const out = new Uint8Array(byteLength);
  let position = 0;
  for (const chunk of chunks()) {
    out.set(chunk, position);
    position += chunk.length;
  }
  return out;
}

/** FileOperations that can also write a file from chunks (so a large file is never whole in memory). */
export interface ChunkedFileOperations extends FileOperations {
  /** Creates `path` (which must not exist), writes the chunks in order, fsyncs and closes it. */
  writeChunksDurably?(path: string, chunks: Iterable<Uint8Array>): Promise<void>;
}

async function nodeChunkedFileOperations(): Promise<ChunkedFileOperations> {
  const { fs } = await nodeFileSystem('writeSafetensors');
  return {
    ...(await nodeFileOperations()),
    async writeChunksDurably(path, chunks) {
      const handle = await fs.open(path, 'wx');
      try {
        for (const chunk of chunks) {
          for (let done = 0; done < chunk.length; ) done += (await handle.write(chunk, done, chunk.length - done)).bytesWritten;
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
  };
}

/** Writes chunks to a new file: streamed where `files` can, else joined first. */
export async function writeNewFile(path: string, data: Uint8Array | Iterable<Uint8Array>, files: ChunkedFileOperations): Promise<void> {
  if (data instanceof Uint8Array) return files.writeDurably(path, data);
  if (files.writeChunksDurably) return files.writeChunksDurably(path, data);
  const parts = [...data];
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let position = 0;
  for (const part of parts) {
    joined.set(part, position);
    position += part.length;
  }
  return files.writeDurably(path, joined);
}

/** The real file system, with streaming writes. */
export const defaultFileOperations = nodeChunkedFileOperations;

let temporaryCounter = 0;

/** Writes to `path` atomically: a temporary beside it, fsynced, then renamed over it. */
export async function writeFileAtomically(path: string, data: Uint8Array | Iterable<Uint8Array>, files?: ChunkedFileOperations): Promise<void> {
  const operations = files ?? (await nodeChunkedFileOperations());
  const { path: paths } = await nodeFileSystem('writeSafetensors');
  const dir = paths.dirname(path);
  await operations.mkdir(dir);
  const temporary = `${path}.tmp-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-${temporaryCounter++}`;
  try {
    await writeNewFile(temporary, data, operations);
    await operations.rename(temporary, path);
  } catch (err) {
    await operations.unlink(temporary).catch(() => undefined);
    throw new Error(`writing ${path} failed, any previous file left unchanged: ${(err as Error).message}`, { cause: err });
  }
  await operations.syncDirectory(dir);
}

/** Writes a safetensors file atomically (Node), one tensor at a time; see encodeSafetensors for the options. */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, Tensor | RawSafetensor>,
  options: EncodeSafetensorsOptions & { fileOperations?: ChunkedFileOperations } = {},
): Promise<void> {
  const target = path.startsWith('file://') ? decodeURIComponent(path.slice('file://'.length)) : path;
  await writeFileAtomically(target, safetensorsChunks(tensors, options).chunks(), options.fileOperations);
}
