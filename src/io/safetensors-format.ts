// The safetensors format (Hugging Face), as bytes: header parsing with full validation, dtype decoding to
// sinew dtypes, and encoding. No file system here; ./safetensors.ts reads files, bytes and URLs over this.
//
// Layout:
//   bytes 0-7      N, the header length: unsigned 64-bit little-endian
//   bytes 8..8+N   UTF-8 JSON: {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, …,
//                  "__metadata__": {"key": "string value"}}; writers pad it with spaces so the data starts
//                  at a multiple of 8
//   the rest       the data buffer; offsets are relative to its start, little-endian, row-major, and the
//                  tensors tile it exactly: no gaps, no overlaps, nothing after the last one.
//
// Every check happens before anything is allocated from a header value, so a corrupt or hostile header
// fails with an Error that names the file and the tensor — never a hang, a RangeError or an out-of-memory.
import type { DType, TypedArray } from '../backend/backend.js';
import { float16ToFloat32 } from '../nn/io/weights.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

/** Bytes per element and the sinew dtype each safetensors dtype reads as. */
export const SAFETENSORS_DTYPES: Readonly<Record<SafetensorsDtype, { bytes: number; sinew: DType }>> = {
  F64: { bytes: 8, sinew: 'float32' },
  F32: { bytes: 4, sinew: 'float32' },
  F16: { bytes: 2, sinew: 'float32' },
  BF16: { bytes: 2, sinew: 'float32' },
  I64: { bytes: 8, sinew: 'int32' },
  I32: { bytes: 4, sinew: 'int32' },
  I16: { bytes: 2, sinew: 'int32' },
  I8: { bytes: 1, sinew: 'int32' },
  U64: { bytes: 8, sinew: 'int32' },
  U32: { bytes: 4, sinew: 'int32' },
  U16: { bytes: 2, sinew: 'int32' },
  U8: { bytes: 1, sinew: 'int32' },
  BOOL: { bytes: 1, sinew: 'bool' },
};

/** The Rust reference implementation refuses headers above 100 MB; so do we (a BERT-large header is ~50 kB). */
export const MAX_HEADER_BYTES = 100_000_000;
export const METADATA_KEY = '__metadata__';

/** One tensor's entry in the header; `byteOffset` is relative to the data buffer. */
export interface SafetensorsTensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  byteOffset: number;
  byteLength: number;
}

export interface SafetensorsHeader {
  /** In header order. */
  tensors: SafetensorsTensorInfo[];
  metadata: Record<string, string>;
  /** Where the data buffer starts in the file: 8 + N. */
  dataStart: number;
}

const isSafetensorsDtype = (d: unknown): d is SafetensorsDtype => typeof d === 'string' && Object.hasOwn(SAFETENSORS_DTYPES, d);

/** Reads N from the first 8 bytes and checks that 8 + N fits in `fileBytes`. */
export function parseHeaderLength(first8: Uint8Array, fileBytes: number, source: string): number {
  const fail = (what: string): never => {
    throw new Error(`safetensors: ${source}: ${what}`);
  };
  if (first8.length < 8 || fileBytes < 8) fail(`truncated: ${fileBytes} bytes, the header length alone needs 8`);
  const length = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (length < 2n) fail(`header length ${length} is too small for a JSON object`);
  if (length > BigInt(MAX_HEADER_BYTES)) fail(`header length ${length} is absurd (limit ${MAX_HEADER_BYTES} bytes; not a safetensors file?)`);
  if (8n + length > BigInt(fileBytes)) fail(`header length ${length} runs past the end of the file (${fileBytes} bytes)`);
  return Number(length);
}

/**
 * Parses and validates the JSON header. `dataLength` is the size of the data buffer (file size − 8 − N):
 * the tensors must tile it exactly.
 */
export function parseHeader(headerBytes: Uint8Array, dataLength: number, source: string): SafetensorsHeader {
  const fail = (what: string): never => {
    throw new Error(`safetensors: ${source}: ${what}`);
  };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    return fail('the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(`the header must start with '{', found ${JSON.stringify(text.slice(0, 16))}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail(`the header is not valid JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail('the header must be a JSON object');
  const duplicate = firstDuplicateTopLevelKey(text);
  if (duplicate !== null) fail(`tensor name '${duplicate}' appears twice in the header`);

  const entries = json as Record<string, unknown>;
  const metadata = parseMetadata(entries[METADATA_KEY], fail);
  const tensors: SafetensorsTensorInfo[] = [];
  for (const name of Object.keys(entries)) {
    if (name === METADATA_KEY) continue;
    tensors.push(parseTensorEntry(name, entries[name], fail));
  }
  checkTiling(tensors, dataLength, fail);
  return { tensors, metadata, dataStart: 8 + headerBytes.length };
}

function parseMetadata(value: unknown, fail: (what: string) => never): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`${METADATA_KEY} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') fail(`${METADATA_KEY}.${key} must be a string, got ${typeof v}`);
    out[key] = v as string;
  }
  return out;
}

function parseTensorEntry(name: string, value: unknown, fail: (what: string) => never): SafetensorsTensorInfo {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`tensor '${name}': expected {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isSafetensorsDtype(dtype)) {
    fail(`tensor '${name}': unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(SAFETENSORS_DTYPES).join(', ')})`);
  }
  const d = dtype as SafetensorsDtype;
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
    fail(`tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const validOffsets = Array.isArray(offsets) && offsets.length === 2 && offsets.every((o) => Number.isSafeInteger(o) && o >= 0);
  if (!validOffsets || offsets[0] > offsets[1]) {
    fail(`tensor '${name}': data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  // Multiply with an early exit so a shape like [1e9, 1e9, 1e9] cannot overflow past the comparison.
  let expectedBytes = SAFETENSORS_DTYPES[d].bytes;
  for (const dim of shape as number[]) {
    expectedBytes *= dim;
    if (expectedBytes > end - begin) break;
  }
  if (expectedBytes !== end - begin) {
    fail(`tensor '${name}': ${d} [${shape}] needs ${sizeOf(shape as number[]) * SAFETENSORS_DTYPES[d].bytes} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name, dtype: d, shape: (shape as number[]).slice(), byteOffset: begin, byteLength: end - begin };
}

/** The spec's rule: sorted by offset, the tensors cover [0, dataLength) with no gap and no overlap. */
function checkTiling(tensors: SafetensorsTensorInfo[], dataLength: number, fail: (what: string) => never): void {
  const sorted = tensors.slice().sort((a, b) => a.byteOffset - b.byteOffset || a.byteLength - b.byteLength);
  let position = 0;
  let previous: SafetensorsTensorInfo | null = null;
  for (const t of sorted) {
    if (t.byteOffset < position) {
      fail(`tensor '${t.name}' (bytes ${t.byteOffset}-${t.byteOffset + t.byteLength}) overlaps '${previous!.name}' (ends at ${position})`);
    }
    if (t.byteOffset > position) fail(`a gap in the data: bytes ${position}-${t.byteOffset} belong to no tensor (before '${t.name}')`);
    if (t.byteOffset + t.byteLength > dataLength) {
      fail(`tensor '${t.name}': data_offsets end at ${t.byteOffset + t.byteLength}, past the data buffer (${dataLength} bytes; file truncated?)`);
    }
    position = t.byteOffset + t.byteLength;
    previous = t;
  }
  if (position !== dataLength) fail(`${dataLength - position} bytes after the last tensor belong to no tensor`);
}

/** The first key that appears twice at the top level of a JSON object text (JSON.parse keeps the last silently). */
function firstDuplicateTopLevelKey(text: string): string | null {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (k < text.length && ' \t\r\n'.includes(text[k])) k++;
        if (text[k] === ':') {
          const key = JSON.parse(text.slice(i, j + 1)) as string;
          if (seen.has(key)) return key;
          seen.add(key);
        }
      }
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return null;
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A view of `bytes` as little-endian elements of `Type`, copying only when unaligned or on a big-endian host. */
function view<T>(bytes: Uint8Array, elementBytes: number, make: (buffer: ArrayBufferLike, offset: number, length: number) => T): T | null {
  if (!littleEndianHost) return null;
  const aligned = bytes.byteOffset % elementBytes === 0 ? bytes : bytes.slice();
  return make(aligned.buffer, aligned.byteOffset, aligned.length / elementBytes);
}

let halfToFloat: Float32Array | null = null;
/** All 65536 halves as float32 (256 kB, built on first use): decoding is then one lookup per value. */
function halfTable(): Float32Array {
  if (!halfToFloat) halfToFloat = float16ToFloat32(Uint16Array.from({ length: 65536 }, (_, i) => i));
  return halfToFloat;
}

/**
 * Decodes one tensor's bytes to a sinew dtype: floats → float32 (F64 rounded), integers → int32 (I64, U32
 * and U64 checked to fit, with an Error naming the tensor and the value), BOOL → bool.
 */
export function decodeTensorValues(info: SafetensorsTensorInfo, bytes: Uint8Array, source: string): { dtype: DType; values: TypedArray } {
  const n = info.byteLength / SAFETENSORS_DTYPES[info.dtype].bytes;
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sinew = SAFETENSORS_DTYPES[info.dtype].sinew;
  switch (info.dtype) {
    case 'F32': {
      const values = new Float32Array(n);
      const direct = view(bytes, 4, (b, o, l) => new Float32Array(b, o, l));
      if (direct) values.set(direct);
      else for (let i = 0; i < n; i++) values[i] = data.getFloat32(4 * i, true);
      return { dtype: sinew, values };
    }
    case 'F64': {
      const values = new Float32Array(n);
      for (let i = 0; i < n; i++) values[i] = data.getFloat64(8 * i, true);
      return { dtype: sinew, values };
    }
    case 'F16': {
      const table = halfTable();
      const halves = view(bytes, 2, (b, o, l) => new Uint16Array(b, o, l));
      const values = new Float32Array(n);
      if (halves) for (let i = 0; i < n; i++) values[i] = table[halves[i]];
      else for (let i = 0; i < n; i++) values[i] = table[data.getUint16(2 * i, true)];
      return { dtype: sinew, values };
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const bits = new Uint32Array(n);
      const halves = view(bytes, 2, (b, o, l) => new Uint16Array(b, o, l));
      if (halves) for (let i = 0; i < n; i++) bits[i] = halves[i] << 16;
      else for (let i = 0; i < n; i++) bits[i] = data.getUint16(2 * i, true) << 16;
      return { dtype: sinew, values: new Float32Array(bits.buffer) };
    }
    case 'BOOL': {
      const values = new Uint8Array(n);
      for (let i = 0; i < n; i++) values[i] = bytes[i] === 0 ? 0 : 1;
      return { dtype: sinew, values };
    }
    default:
      return { dtype: sinew, values: decodeIntegers(info, data, n, source) };
  }
}

function decodeIntegers(info: SafetensorsTensorInfo, data: DataView, n: number, source: string): Int32Array {
  const values = new Int32Array(n);
  const outOfRange = (i: number, value: bigint | number): never => {
    throw new Error(
      `safetensors: ${source}: tensor '${info.name}' (${info.dtype}) element ${i} is ${value}, outside int32 [-2147483648, 2147483647]; sinew holds integers as int32`,
    );
  };
  const read: Record<string, (i: number) => number> = {
    I32: (i) => data.getInt32(4 * i, true),
    I16: (i) => data.getInt16(2 * i, true),
    I8: (i) => data.getInt8(i),
    U16: (i) => data.getUint16(2 * i, true),
    U8: (i) => data.getUint8(i),
    U32: (i) => {
      const v = data.getUint32(4 * i, true);
      return v > 0x7fffffff ? outOfRange(i, v) : v;
    },
    I64: (i) => {
      const v = data.getBigInt64(8 * i, true);
      return v < -0x80000000n || v > 0x7fffffffn ? outOfRange(i, v) : Number(v);
    },
    U64: (i) => {
      const v = data.getBigUint64(8 * i, true);
      return v > 0x7fffffffn ? outOfRange(i, v) : Number(v);
    },
  };
  const get = read[info.dtype];
  for (let i = 0; i < n; i++) values[i] = get(i);
  return values;
}

// One float32 slot and its bits, reused by the converters below (allocating per value is 100× slower).
const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

/** float32 → IEEE half, rounding to nearest even; overflow → ±Infinity, NaN kept. */
export function float32ToFloat16Bits(value: number): number {
  scratchFloat[0] = value;
  const bits = scratchBits[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half (or zero): shift the full significand, round to nearest even.
    if (halfExponent < -10) return sign;
    const significand = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    let half = significand >>> shift;
    const remainder = significand & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && half & 1)) half++; // a carry into the exponent is still right
  return sign | half;
}

/** float32 → bfloat16 (the top 16 bits), rounding to nearest even; NaN stays NaN. */
export function float32ToBfloat16Bits(value: number): number {
  scratchFloat[0] = value;
  const bits = scratchBits[0];
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return (bits >>> 16) | 0x40;
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** Encodes values (any numbers; bigint accepted for 64-bit integers) as `dtype`'s little-endian bytes. */
export function encodeTensorValues(dtype: SafetensorsDtype, values: ArrayLike<number | bigint>): Uint8Array {
  // Fast path: same element type on a little-endian host is a plain byte copy.
  const sameType = (dtype === 'F32' && values instanceof Float32Array) || (dtype === 'I32' && values instanceof Int32Array);
  if (littleEndianHost && sameType) {
    const typed = values as Float32Array | Int32Array;
    return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength).slice();
  }
  const bytes = new Uint8Array(values.length * SAFETENSORS_DTYPES[dtype].bytes);
  const data = new DataView(bytes.buffer);
  const num = (i: number) => Number(values[i]);
  const writers: Record<SafetensorsDtype, (i: number) => void> = {
    F64: (i) => data.setFloat64(8 * i, num(i), true),
    F32: (i) => data.setFloat32(4 * i, num(i), true),
    F16: (i) => data.setUint16(2 * i, float32ToFloat16Bits(num(i)), true),
    BF16: (i) => data.setUint16(2 * i, float32ToBfloat16Bits(num(i)), true),
    I64: (i) => data.setBigInt64(8 * i, BigInt(values[i]), true),
    U64: (i) => data.setBigUint64(8 * i, BigInt(values[i]), true),
    I32: (i) => data.setInt32(4 * i, num(i), true),
    U32: (i) => data.setUint32(4 * i, num(i), true),
    I16: (i) => data.setInt16(2 * i, num(i), true),
    U16: (i) => data.setUint16(2 * i, num(i), true),
    I8: (i) => data.setInt8(i, num(i)),
    U8: (i) => data.setUint8(i, num(i)),
    BOOL: (i) => data.setUint8(i, num(i) ? 1 : 0),
  };
  const write = writers[dtype];
  for (let i = 0; i < values.length; i++) write(i);
  return bytes;
}

/** What the layout needs to know of a tensor before its bytes exist. */
export interface TensorDescriptor {
  dtype: SafetensorsDtype;
  shape: readonly number[];
}

/** A tensor ready to be written: its dtype, shape and encoded bytes. */
export interface EncodedTensor extends TensorDescriptor {
  bytes: Uint8Array;
}

/** The file's first bytes (length + padded JSON header) and the order the tensors' bytes follow in. */
export interface SafetensorsLayout {
  header: Uint8Array;
  order: string[];
  /** Header plus data. */
  byteLength: number;
}

/**
 * Lays out a safetensors file: tensors sorted by element size (largest first) then name, so each starts at
 * a multiple of its element size; the header padded with spaces so the data starts at a multiple of 8.
 */
export function layoutSafetensors(tensors: Record<string, TensorDescriptor>, metadata?: Record<string, string>): SafetensorsLayout {
  const names = Object.keys(tensors);
  for (const name of names) {
    const { dtype, shape } = tensors[name];
    if (name === METADATA_KEY) throw new Error(`encodeSafetensors: '${METADATA_KEY}' is reserved and cannot name a tensor`);
    if (!isSafetensorsDtype(dtype)) throw new Error(`encodeSafetensors: tensor '${name}': unknown dtype ${String(dtype)}`);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`encodeSafetensors: tensor '${name}': bad shape [${shape}]`);
  }
  names.sort((a, b) => SAFETENSORS_DTYPES[tensors[b].dtype].bytes - SAFETENSORS_DTYPES[tensors[a].dtype].bytes || (a < b ? -1 : a > b ? 1 : 0));
  // No prototype, so a tensor named '__proto__' is an ordinary key.
  const header: Record<string, unknown> = Object.create(null);
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw new Error(`encodeSafetensors: metadata '${key}' must be a string, got ${typeof value}`);
    }
    header[METADATA_KEY] = metadata;
  }
  let offset = 0;
  for (const name of names) {
    const { dtype, shape } = tensors[name];
    const byteLength = sizeOf(shape) * SAFETENSORS_DTYPES[dtype].bytes;
    header[name] = { dtype, shape: shape.slice(), data_offsets: [offset, offset + byteLength] };
    offset += byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length);
  return { header: out, order: names, byteLength: out.length + offset };
}

/** Checks that an encoded tensor has the byte count its dtype and shape call for. */
export function checkEncodedLength(name: string, t: EncodedTensor): Uint8Array {
  const expected = sizeOf(t.shape) * SAFETENSORS_DTYPES[t.dtype].bytes;
  if (t.bytes.length !== expected) throw new Error(`encodeSafetensors: tensor '${name}': ${t.dtype} [${t.shape}] needs ${expected} bytes, got ${t.bytes.length}`);
  return t.bytes;
}

/** A whole safetensors file in memory (see layoutSafetensors for the order and alignment). */
export function buildSafetensors(tensors: Record<string, EncodedTensor>, metadata?: Record<string, string>): Uint8Array {
  const layout = layoutSafetensors(tensors, metadata);
  const out = new Uint8Array(layout.byteLength);
  out.set(layout.header, 0);
  let position = layout.header.length;
  for (const name of layout.order) {
    out.set(checkEncodedLength(name, tensors[name]), position);
    position += tensors[name].bytes.length;
  }
  return out;
}
