// Weight bytes in the tfjs Layers format: every weight's values back to back, in manifest order,
// little-endian, no padding (so a float32 may start at an odd byte after a bool or uint8 weight).
// Stored dtypes: float32 (4 bytes), int32 (4), bool (1), and quantized float16 (2), uint8 (1), uint16 (2).
import type { DType, TypedArray } from '../../backend/backend.js';
import { tensor } from '../../ops/creation.js';
import type { Tensor } from '../../tensor.js';
import type { QuantizationDType, WeightData, WeightsManifestEntry } from './types.js';

/** A weight decoded to plain values, before it becomes a tensor. */
export interface DecodedWeight {
  name: string;
  shape: number[];
  dtype: DType;
  values: TypedArray;
  group?: 'model' | 'optimizer';
}

/** A tensor with the name it is saved under (tfjs NamedTensor). */
export interface NamedWeight {
  name: string;
  tensor: Tensor;
}

const STORED_BYTES: Record<DType, number> = { float32: 4, int32: 4, bool: 1 };
const QUANTIZED_BYTES: Record<QuantizationDType, number> = { uint8: 1, uint16: 2, float16: 2 };

/** Joins several buffers (shards) into one, in order. */
export function concatenateBuffers(buffers: readonly ArrayBuffer[]): ArrayBuffer {
  if (buffers.length === 1) return buffers[0];
  const total = buffers.reduce((sum, b) => sum + b.byteLength, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const buffer of buffers) {
    joined.set(new Uint8Array(buffer), offset);
    offset += buffer.byteLength;
  }
  return joined.buffer;
}

/** WeightData (one buffer or a list that reads as their concatenation) as one buffer. */
export function weightDataBuffer(data: WeightData): ArrayBuffer {
  return Array.isArray(data) ? concatenateBuffers(data) : data;
}

type WeightsArg = readonly NamedWeight[] | Record<string, Tensor>;

function weightList(weights: WeightsArg): readonly NamedWeight[] {
  const list = Array.isArray(weights)
    ? (weights as readonly NamedWeight[])
    : Object.entries(weights).map(([name, t]) => ({ name, tensor: t }));
  for (const { name, tensor } of list) if (tensor.isDisposed) throw new Error(`encodeWeights: weight "${name}" is disposed`);
  return list;
}

/** Encodes named tensors as tfjs does (io.encodeWeights): one buffer plus the manifest entries. */
export function encodeWeights(weights: WeightsArg, group?: 'model' | 'optimizer'): { data: ArrayBuffer; specs: WeightsManifestEntry[] } {
  const list = weightList(weights);
  return packWeights(list, list.map(({ tensor }) => tensor.dataSync()), group);
}

/** encodeWeights reading each tensor with `await data()`: works on backends that cannot read synchronously. */
export async function encodeWeightsAsync(weights: WeightsArg, group?: 'model' | 'optimizer'): Promise<{ data: ArrayBuffer; specs: WeightsManifestEntry[] }> {
  const list = weightList(weights);
  const values: ArrayBufferView[] = [];
  for (const { tensor } of list) values.push(await tensor.data());
  return packWeights(list, values, group);
}

function packWeights(list: readonly NamedWeight[], values: readonly ArrayBufferView[], group?: 'model' | 'optimizer') {
  const parts: Uint8Array[] = [];
  const specs: WeightsManifestEntry[] = [];
  for (const [i, { name, tensor: t }] of list.entries()) {
    const v = values[i];
    // Copy: a synchronous read may hand back a view into backend memory that a later op can move.
    parts.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice());
    const spec: WeightsManifestEntry = { name, shape: t.shape.slice(), dtype: t.dtype };
    if (group !== undefined) spec.group = group;
    specs.push(spec);
  }
  return { data: concatenateBuffers(parts.map((p) => p.buffer as ArrayBuffer)), specs };
}

/** Bytes one manifest entry occupies in the weight data; throws naming the weight when the entry is malformed. */
export function weightByteLength(spec: WeightsManifestEntry, where = 'weightsManifest'): number {
  validateWeightSpec(spec, where);
  const count = spec.shape.reduce((p, d) => p * d, 1);
  const perValue = spec.quantization ? QUANTIZED_BYTES[spec.quantization.dtype] : STORED_BYTES[spec.dtype as DType];
  return count * perValue;
}

/** Checks one manifest entry: name, shape, dtype, quantization parameters. */
export function validateWeightSpec(spec: WeightsManifestEntry, where = 'weightsManifest'): void {
  if (spec === null || typeof spec !== 'object') throw new Error(`${where}: a weight entry is ${JSON.stringify(spec)}, not an object`);
  const label = `${where}: weight "${spec.name}"`;
  if (typeof spec.name !== 'string' || spec.name === '') throw new Error(`${where}: a weight entry has no name (${JSON.stringify(spec)})`);
  if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${label} has shape ${JSON.stringify(spec.shape)}, expected an array of non-negative integers`);
  }
  if (spec.dtype === 'string' || spec.dtype === 'complex64') {
    throw new Error(`${label} has dtype '${spec.dtype}', which sinew does not support (float32, int32, bool)`);
  }
  if (!(spec.dtype in STORED_BYTES)) {
    throw new Error(`${label} has unknown dtype ${JSON.stringify(spec.dtype)} (expected float32, int32 or bool)`);
  }
  const q = spec.quantization;
  if (q === undefined || q === null) return;
  if (!(q.dtype in QUANTIZED_BYTES)) {
    throw new Error(`${label} has unknown quantization dtype ${JSON.stringify(q.dtype)} (expected uint8, uint16 or float16)`);
  }
  if (q.dtype === 'float16') {
    if (spec.dtype !== 'float32') throw new Error(`${label}: float16 quantization applies to float32 weights, not ${spec.dtype}`);
    return;
  }
  if (spec.dtype === 'bool') throw new Error(`${label}: ${q.dtype} quantization does not apply to bool weights`);
  if (typeof q.scale !== 'number' || typeof q.min !== 'number' || !Number.isFinite(q.scale) || !Number.isFinite(q.min)) {
    throw new Error(`${label}: ${q.dtype} quantization needs numeric scale and min, got ${JSON.stringify(q)}`);
  }
}

/**
 * Decodes weight data laid out by `specs` into plain values. `source` names where the bytes came
 * from (a file or URL) so that a truncated file is reported with the weight and the byte counts.
 */
export function decodeWeightValues(data: WeightData, specs: readonly WeightsManifestEntry[], source = 'weight data'): DecodedWeight[] {
  const buffer = weightDataBuffer(data);
  const decoded: DecodedWeight[] = [];
  let offset = 0;
  for (const spec of specs) {
    const byteLength = weightByteLength(spec, source);
    if (offset + byteLength > buffer.byteLength) {
      const needed = specs.reduce((sum, s) => sum + weightByteLength(s, source), 0);
      throw new Error(
        `${source} is truncated: weight "${spec.name}" (shape [${spec.shape}], ${describeStorage(spec)}) needs bytes ` +
          `${offset}..${offset + byteLength} but there are only ${buffer.byteLength} bytes ` +
          `(the manifest describes ${needed} bytes in all)`,
      );
    }
    const bytes = new Uint8Array(buffer.slice(offset, offset + byteLength));
    offset += byteLength;
    decoded.push({ name: spec.name, shape: spec.shape.slice(), dtype: spec.dtype as DType, values: decodeOne(spec, bytes), group: spec.group });
  }
  return decoded;
}

/** Decodes weight data to tensors keyed by weight name (tfjs io.decodeWeights). */
export function decodeWeights(data: WeightData, specs: readonly WeightsManifestEntry[], source?: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const w of decodeWeightValues(data, specs, source)) out[w.name] = tensor(w.values, w.shape, w.dtype);
  return out;
}

function describeStorage(spec: WeightsManifestEntry): string {
  return spec.quantization ? `${spec.dtype} quantized as ${spec.quantization.dtype}` : spec.dtype;
}

/** `bytes` is a fresh, aligned copy, so typed views over it are safe. */
function decodeOne(spec: WeightsManifestEntry, bytes: Uint8Array): TypedArray {
  const q = spec.quantization;
  if (!q) {
    if (spec.dtype === 'float32') return new Float32Array(bytes.buffer);
    if (spec.dtype === 'int32') return new Int32Array(bytes.buffer);
    return bytes.map((b) => (b !== 0 ? 1 : 0));
  }
  if (q.dtype === 'float16') return float16ToFloat32(new Uint16Array(bytes.buffer));
  const quantized = q.dtype === 'uint8' ? bytes : new Uint16Array(bytes.buffer);
  const scale = q.scale as number;
  const min = q.min as number;
  if (spec.dtype === 'int32') {
    const values = new Int32Array(quantized.length);
    for (let i = 0; i < quantized.length; i++) values[i] = Math.round(quantized[i] * scale + min);
    return values;
  }
  const values = new Float32Array(quantized.length);
  for (let i = 0; i < quantized.length; i++) values[i] = quantized[i] * scale + min;
  return values;
}

/** IEEE 754 half → single: sign, 5-bit exponent (bias 15), 10-bit fraction; subnormals, Inf and NaN kept. */
export function float16ToFloat32(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) out[i] = sign * fraction * 2 ** -24;
    else if (exponent === 0x1f) out[i] = fraction === 0 ? sign * Infinity : NaN;
    else out[i] = sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
  }
  return out;
}
