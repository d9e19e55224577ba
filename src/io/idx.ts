// IDX reader/writer: the format of the MNIST files (LeCun et al.).
//
// Layout (all integers big-endian):
//   bytes 0-1  zero
//   byte  2    element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
//   byte  3    number of dimensions (rank)
//   then rank × uint32 dimension sizes, then the elements in row-major order.
//
// parseIdx checks every part of that against the byte count, so a truncated download or a wrong file fails
// with a message that says what was expected and what was found, instead of yielding garbage tensors.
// gzip-compressed input (the *.gz files as published) is accepted by decodeIdx/readIdxFile.
import { nodeFileSystem } from '../runtime/node-fs.js';


export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A decoded IDX array: row-major `data` of `shape`. */
export interface IdxArray {
  dtype: IdxDtype;
  shape: number[];
  data: IdxData;
}

interface DtypeInfo {
  code: number;
  bytes: number;
  make: (n: number) => IdxData;
  read: (view: DataView, offset: number) => number;
  write: (view: DataView, offset: number, value: number) => void;
}

const DTYPES: Record<IdxDtype, DtypeInfo> = {
  uint8: { code: 0x08, bytes: 1, make: (n) => new Uint8Array(n), read: (v, o) => v.getUint8(o), write: (v, o, x) => v.setUint8(o, x) },
  int8: { code: 0x09, bytes: 1, make: (n) => new Int8Array(n), read: (v, o) => v.getInt8(o), write: (v, o, x) => v.setInt8(o, x) },
  int16: { code: 0x0b, bytes: 2, make: (n) => new Int16Array(n), read: (v, o) => v.getInt16(o), write: (v, o, x) => v.setInt16(o, x) },
  int32: { code: 0x0c, bytes: 4, make: (n) => new Int32Array(n), read: (v, o) => v.getInt32(o), write: (v, o, x) => v.setInt32(o, x) },
  float32: { code: 0x0d, bytes: 4, make: (n) => new Float32Array(n), read: (v, o) => v.getFloat32(o), write: (v, o, x) => v.setFloat32(o, x) },
  float64: { code: 0x0e, bytes: 8, make: (n) => new Float64Array(n), read: (v, o) => v.getFloat64(o), write: (v, o, x) => v.setFloat64(o, x) },
};

const dtypeByCode = new Map(Object.entries(DTYPES).map(([name, info]) => [info.code, name as IdxDtype]));
const hex = (n: number) => '0x' + n.toString(16).padStart(2, '0');

/** True when the bytes start with the gzip magic number (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decodes uncompressed IDX bytes; `source` names the file in error messages. */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  const fail = (what: string): never => {
    throw new Error(`parseIdx: ${source}: ${what}`);
  };
  if (isGzip(bytes)) fail('is gzip-compressed; use decodeIdx or readIdxFile, which decompress it');
  if (bytes.length < 4) fail(`truncated: ${bytes.length} bytes, the header alone needs 4`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(`bad magic number: the first two bytes must be 0x00 0x00, found ${hex(bytes[0])} ${hex(bytes[1])} (not an IDX file?)`);
  }
  const dtype = dtypeByCode.get(bytes[2]) ?? fail(`unknown element type byte ${hex(bytes[2])} (known: 0x08 0x09 0x0b 0x0c 0x0d 0x0e)`);
  const rank = bytes[3];
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    fail(`truncated: rank ${rank} needs a ${headerBytes}-byte header, the data has only ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < rank; d++) shape.push(view.getUint32(4 + 4 * d));
  const info = DTYPES[dtype];
  const size = shape.reduce((a, b) => a * b, 1);
  const expectedBytes = size * info.bytes;
  const foundBytes = bytes.length - headerBytes;
  if (foundBytes < expectedBytes) {
    fail(`truncated: shape [${shape}] of ${dtype} needs ${expectedBytes} data bytes, found ${foundBytes}`);
  }
  if (foundBytes > expectedBytes) {
    fail(`corrupt: shape [${shape}] of ${dtype} needs ${expectedBytes} data bytes, found ${foundBytes - expectedBytes} extra`);
  }
  let data: IdxData;
  if (info.bytes === 1) {
    // Single bytes have no byte order: copy straight out (a copy, so the caller may drop the file buffer).
    data = info.make(size);
    (data as Uint8Array).set(bytes.subarray(headerBytes));
  } else {
    data = info.make(size);
    for (let i = 0; i < size; i++) data[i] = info.read(view, headerBytes + i * info.bytes);
  }
  return { dtype, shape, data };
}

/** Encodes an array as IDX bytes (the inverse of parseIdx). */
export function encodeIdx(array: { dtype: IdxDtype; shape: number[]; data: ArrayLike<number> }): Uint8Array {
  const info = DTYPES[array.dtype];
  if (!info) throw new Error(`encodeIdx: unknown dtype '${array.dtype}' (known: ${Object.keys(DTYPES).join(', ')})`);
  const { shape } = array;
  if (shape.length > 255) throw new Error(`encodeIdx: rank ${shape.length} exceeds the format's 255`);
  if (shape.some((d) => !Number.isInteger(d) || d < 0 || d > 0xffffffff)) {
    throw new Error(`encodeIdx: shape [${shape}] must hold integers in [0, 2^32)`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (array.data.length !== size) {
    throw new Error(`encodeIdx: data has ${array.data.length} elements but shape [${shape}] needs ${size}`);
  }
  const headerBytes = 4 + 4 * shape.length;
  const bytes = new Uint8Array(headerBytes + size * info.bytes);
  const view = new DataView(bytes.buffer);
  bytes[2] = info.code;
  bytes[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  for (let i = 0; i < size; i++) info.write(view, headerBytes + i * info.bytes, array.data[i]);
  return bytes;
}

/** Decodes IDX bytes, gunzipping first when they are gzip-compressed (DecompressionStream: Node ≥ 18, browsers). */
export async function decodeIdx(bytes: Uint8Array, source = 'IDX data'): Promise<IdxArray> {
  if (!isGzip(bytes)) return parseIdx(bytes, source);
  let raw: Uint8Array;
  try {
    const stream = new Blob([bytes as unknown as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    raw = new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new Error(`decodeIdx: ${source}: gzip data is corrupt or truncated (${(error as Error).message})`);
  }
  return parseIdx(raw, source);
}

/** Reads and decodes an IDX file (plain or .gz) from the file system (Node, Deno, Bun). */
export async function readIdxFile(path: string): Promise<IdxArray> {
  const { fs } = await nodeFileSystem('readIdxFile');
  const buffer = await fs.readFile(path);
  return decodeIdx(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), path);
}
