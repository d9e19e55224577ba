// safetensors (src/io/safetensors*.ts): round trip of every dtype against plain-JS expectations, the
// layout rules (8-byte aligned data, no gaps), lazy file reads, URLs, atomic writes, every validation
// Error, a fuzz run over random and mutated headers, and two independent readers/writers: the npm
// `safetensors` package and a python3 + numpy script (skipped cleanly where python3/numpy are missing).
// Then Hugging Face folders (whole, sharded, over http) and loadWeightsInto with a name mapping.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors, type RawSafetensor, type SafetensorsDtype,
} from '../src/io/safetensors.js';
import { float32ToBfloat16Bits, float32ToFloat16Bits } from '../src/io/safetensors-format.js';
import { loadWeightsInto, readHuggingFaceFolder } from '../src/io/hf-folder.js';
import { nodeFileOperations } from '../src/nn/io/file.js';
import { randomValues, tf } from './helpers.js';
import type { Tensor } from './helpers.js';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sinew-safetensors-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A header + data built by hand (not by the code under test), for the error cases. */
function rawFile(header: unknown, dataBytes: number, padTo = 1): Uint8Array {
  let json = typeof header === 'string' ? header : JSON.stringify(header);
  while (json.length % padTo !== 0) json += ' ';
  const jsonBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + jsonBytes.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  out.set(jsonBytes, 8);
  return out;
}

/** Half → number from the IEEE 754 definition, in float64 (independent of the decoder). */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 31;
  const f = bits & 1023;
  if (e === 31) return f ? NaN : sign * Infinity;
  return e === 0 ? sign * f * 2 ** -24 : sign * 2 ** (e - 15) * (1 + f / 1024);
}

describe('round trip of every dtype', () => {
  const cases: { dtype: SafetensorsDtype; values: number[] }[] = [
    { dtype: 'F64', values: [0, -1.5, 1e-30, 3.141592653589793, 1e30, -0] },
    { dtype: 'F32', values: Array.from(randomValues(17, 1, -100, 100)) },
    { dtype: 'F16', values: [0, 1, -2, 0.5, 65504, -65504, 2 ** -24, 2 ** -14, 1.5, Infinity, -Infinity] },
    { dtype: 'BF16', values: [0, 1, -2, 0.5, 1.5 * 2 ** 127, -1.5, 2 ** -126, 2 ** -130, Infinity] },
    { dtype: 'I64', values: [0, 1, -1, 2147483647, -2147483648, 12345] },
    { dtype: 'I32', values: [0, 1, -1, 2147483647, -2147483648, 77] },
    { dtype: 'I16', values: [0, -32768, 32767, 5] },
    { dtype: 'I8', values: [0, -128, 127, -3, 9] },
    { dtype: 'U64', values: [0, 1, 2147483647] },
    { dtype: 'U32', values: [0, 7, 2147483647] },
    { dtype: 'U16', values: [0, 65535, 300] },
    { dtype: 'U8', values: [0, 255, 17, 3] },
    { dtype: 'BOOL', values: [1, 0, 0, 1, 1] },
  ];
  it.each(cases)('$dtype values come back exactly (as float32/int32/bool)', ({ dtype, values }) => {
    const bytes = encodeSafetensors({ x: { dtype, shape: [values.length], values } });
    const file = decodeSafetensors(bytes);
    expect(file.info('x')).toMatchObject({ dtype, shape: [values.length] });
    const { dtype: sinewDtype, values: decoded } = file.values('x');
    expect(sinewDtype).toBe(dtype.startsWith('F') || dtype === 'BF16' ? 'float32' : dtype === 'BOOL' ? 'bool' : 'int32');
    const expected = sinewDtype === 'float32' ? Array.from(Float32Array.from(values)) : values;
    expect(Array.from(decoded)).toEqual(expected);
  });

  it('rounds float32 to F16 and BF16 to nearest, within half an ulp (checked from the bit definitions)', () => {
    const values = [...randomValues(500, 7, -70000, 70000), ...randomValues(500, 8, -1e-4, 1e-4), ...randomValues(200, 9, -2, 2)];
    for (const x of values) {
      const half = halfToNumber(float32ToFloat16Bits(x));
      if (Math.abs(x) > 65520) expect(Math.abs(half)).toBe(Infinity);
      else {
        const e = Math.max(Math.floor(Math.log2(Math.abs(x))), -14);
        expect(Math.abs(half - x)).toBeLessThanOrEqual(2 ** (e - 10) / 2);
      }
      const bf = new Float32Array(new Uint32Array([float32ToBfloat16Bits(x) << 16]).buffer)[0];
      const xf = Math.fround(x);
      expect(Math.abs(bf - xf)).toBeLessThanOrEqual(2 ** (Math.floor(Math.log2(Math.abs(xf))) - 7) / 2);
    }
    expect(halfToNumber(float32ToFloat16Bits(NaN))).toBeNaN();
    expect(Number.isNaN(new Float32Array(new Uint32Array([float32ToBfloat16Bits(NaN) << 16]).buffer)[0])).toBe(true);
  });

  it('sinew tensors of every dtype, empty and scalar ones, and metadata survive a round trip', () => {
    const f = tf.tensor(Array.from(randomValues(3 * 5 * 7, 3)), [3, 5, 7]);
    const i = tf.tensor([1, -2, 3], [3], 'int32');
    const b = tf.tensor([1, 0, 1, 1], [2, 2], 'bool');
    const empty = tf.zeros([0, 4]);
    const scalar = tf.scalar(2.5);
    const bytes = encodeSafetensors({ f, i, b, empty, scalar }, { metadata: { format: 'pt', note: 'é' } });
    const file = decodeSafetensors(bytes);
    expect(file.metadata).toEqual({ format: 'pt', note: 'é' });
    expect(new Set(file.names)).toEqual(new Set(['f', 'i', 'b', 'empty', 'scalar']));
    const back = file.tensors();
    for (const [name, t] of Object.entries({ f, i, b, empty, scalar })) {
      expect(back[name].dtype, name).toBe(t.dtype);
      expect(back[name].shape, name).toEqual(t.shape);
      expect(Array.from(back[name].dataSync()), name).toEqual(Array.from(t.dataSync()));
    }
    tf.dispose([f, i, b, empty, scalar, back]);
  });

  it('F16 storage of float32 tensors rounds each value as float32ToFloat16Bits does', () => {
    const values = randomValues(33, 4, -10, 10);
    const t = tf.tensor(Array.from(values), [33]);
    const file = decodeSafetensors(encodeSafetensors({ t }, { floatDtype: 'F16' }));
    expect(file.info('t').dtype).toBe('F16');
    expect(Array.from(file.values('t').values)).toEqual(Array.from(values, (v) => Math.fround(halfToNumber(float32ToFloat16Bits(v)))));
    t.dispose();
  });
});

describe('layout', () => {
  it('starts the data at a multiple of 8 and each tensor at a multiple of its element size, with no gaps', () => {
    const tensors: Record<string, RawSafetensor> = {
      a: { dtype: 'U8', shape: [3], values: [1, 2, 3] },
      b: { dtype: 'F64', shape: [2], values: [1, 2] },
      c: { dtype: 'F16', shape: [1], values: [1] },
      d: { dtype: 'F32', shape: [5], values: [1, 2, 3, 4, 5] },
    };
    const bytes = encodeSafetensors(tensors);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    const sizes: Record<string, number> = { U8: 1, F64: 8, F16: 2, F32: 4 };
    const ranges = Object.entries(header).map(([name, e]) => ({ name, ...(e as { dtype: string; data_offsets: number[] }) }));
    for (const r of ranges) expect(r.data_offsets[0] % sizes[r.dtype], r.name).toBe(0);
    ranges.sort((x, y) => x.data_offsets[0] - y.data_offsets[0]);
    let position = 0;
    for (const r of ranges) {
      expect(r.data_offsets[0]).toBe(position);
      position = r.data_offsets[1];
    }
    expect(8 + n + position).toBe(bytes.length);
  });
});

describe('files, URLs and atomic writes', () => {
  it('writes atomically and reads a file lazily: a tensor is read from disk when asked for', async () => {
    const path = join(scratch, 'lazy.safetensors');
    await writeSafetensors(path, {
      first: { dtype: 'F32', shape: [4], values: [1, 2, 3, 4] },
      second: { dtype: 'F32', shape: [2, 2], values: [5, 6, 7, 8] },
    });
    expect((await readdir(scratch)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const file = await readSafetensors(path);
    // Change 'second' on disk after the header was read: the lazy reader sees the new bytes.
    const bytes = new Uint8Array(await readFile(path));
    const info = file.info('second');
    const dataStart = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    new DataView(bytes.buffer).setFloat32(dataStart + info.byteOffset, 42, true);
    await writeFile(path, bytes);
    const t = file.tensor('second');
    expect(Array.from(t.dataSync())).toEqual([42, 6, 7, 8]);
    expect(t.shape).toEqual([2, 2]);
    t.dispose();
    file.close();
    expect(() => file.tensor('first')).toThrow(/after close/);
  });

  it('a failed write leaves the previous file intact and no temporary behind', async () => {
    const path = join(scratch, 'atomic.safetensors');
    await writeSafetensors(path, { x: { dtype: 'I32', shape: [1], values: [1] } });
    const real = await nodeFileOperations();
    const crashing = { ...real, rename: async () => Promise.reject(new Error('simulated crash')) };
    await expect(writeSafetensors(path, { x: { dtype: 'I32', shape: [1], values: [2] } }, { fileOperations: crashing })).rejects.toThrow(
      /previous file left unchanged: simulated crash/,
    );
    const file = await readSafetensors(`file://${path}`);
    expect(Array.from(file.values('x').values)).toEqual([1]);
    file.close();
    expect((await readdir(scratch)).filter((f) => f.startsWith('atomic') && f.includes('.tmp-'))).toEqual([]);
  });

  it('reads from an http URL and names the status when the server refuses', async () => {
    const bytes = encodeSafetensors({ w: { dtype: 'BF16', shape: [2], values: [1.5, -2] } });
    const server: Server = createServer((req, res) => {
      if (req.url === '/model.safetensors') res.end(bytes);
      else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const file = await readSafetensors(`http://127.0.0.1:${port}/model.safetensors`);
      expect(Array.from(file.values('w').values)).toEqual([1.5, -2]);
      await expect(readSafetensors(`http://127.0.0.1:${port}/missing.safetensors`)).rejects.toThrow(/HTTP 404/);
    } finally {
      server.close();
    }
  });

  it('names the missing file and the missing tensor', async () => {
    await expect(readSafetensors(join(scratch, 'nope.safetensors'))).rejects.toThrow(/cannot open .*nope\.safetensors/);
    const file = decodeSafetensors(encodeSafetensors({ a: { dtype: 'U8', shape: [1], values: [1] } }));
    expect(() => file.tensor('b')).toThrow(/no tensor named 'b' \(it has 1: 'a'\)/);
  });
});

describe('bad input: a clear Error', () => {
  const f32 = (offsets: number[], shape = [2]) => ({ dtype: 'F32', shape, data_offsets: offsets });
  const cases: [string, Uint8Array, RegExp][] = [
    ['fewer than 8 bytes', new Uint8Array(5), /truncated: 5 bytes/],
    ['header length past the end', (() => { const b = rawFile({}, 0); new DataView(b.buffer).setBigUint64(0, 1000n, true); return b; })(), /runs past the end of the file/],
    ['absurd header length', (() => { const b = rawFile({}, 0); new DataView(b.buffer).setBigUint64(0, 2n ** 63n, true); return b; })(), /absurd/],
    ['header not JSON', rawFile('{"a": ', 0), /not valid JSON/],
    ['header not an object', rawFile('[1, 2]', 0), /must start with '\{'/],
    ['invalid UTF-8', (() => { const b = rawFile('{"\u00e9":1}', 0); b[10] = 0xff; return b; })(), /not valid UTF-8/],
    ['unknown dtype', rawFile({ a: { dtype: 'F8_E4M3X', shape: [1], data_offsets: [0, 1] } }, 1), /tensor 'a': unknown dtype "F8_E4M3X"/],
    ['offsets out of range', rawFile({ a: f32([0, 8]) }, 4), /tensor 'a': data_offsets end at 8, past the data buffer \(4 bytes/],
    ['offsets overlapping', rawFile({ a: f32([0, 8]), b: f32([4, 12]) }, 12), /tensor 'b' \(bytes 4-12\) overlaps 'a'/],
    ['a gap', rawFile({ a: f32([0, 8]), b: f32([12, 20]) }, 20), /a gap in the data: bytes 8-12/],
    ['trailing bytes', rawFile({ a: f32([0, 8]) }, 12), /4 bytes after the last tensor/],
    ['shape × dtype ≠ offsets', rawFile({ a: f32([0, 8], [3]) }, 8), /tensor 'a': F32 \[3\] needs 12 bytes but data_offsets \[0, 8\] hold 8/],
    ['huge shape', rawFile({ a: f32([0, 8], [1e9, 1e9, 1e9]) }, 8), /tensor 'a': F32 \[1000000000,1000000000,1000000000\] needs/],
    ['negative dim', rawFile({ a: f32([0, 8], [-2]) }, 8), /shape must be an array of non-negative integers/],
    ['reversed offsets', rawFile({ a: f32([8, 0]) }, 8), /data_offsets must be \[begin, end\]/],
    ['duplicate names', rawFile('{"a": {"dtype":"U8","shape":[1],"data_offsets":[0,1]}, "a": {"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1), /'a' appears twice/],
    ['non-string metadata', rawFile({ __metadata__: { n: 1 } }, 0), /__metadata__\.n must be a string/],
  ];
  it.each(cases)('%s', (_name, bytes, message) => {
    expect(() => decodeSafetensors(bytes)).toThrow(message);
  });

  it('I64 values outside int32 fail naming the tensor and the value; those inside load', () => {
    const bytes = encodeSafetensors({ ids: { dtype: 'I64', shape: [3], values: [1n, 2n ** 40n, 3n] } });
    expect(() => decodeSafetensors(bytes).tensor('ids')).toThrow(/tensor 'ids' \(I64\) element 1 is 1099511627776, outside int32/);
    const ok = decodeSafetensors(encodeSafetensors({ ids: { dtype: 'I64', shape: [2], values: [-5n, 2147483647n] } })).tensor('ids');
    expect(ok.dtype).toBe('int32');
    expect(Array.from(ok.dataSync())).toEqual([-5, 2147483647]);
    ok.dispose();
  });

  it('fuzz: random and mutated files either load completely or throw a safetensors Error, quickly', () => {
    const valid = encodeSafetensors(
      {
        a: { dtype: 'F32', shape: [3, 2], values: [1, 2, 3, 4, 5, 6] },
        b: { dtype: 'I64', shape: [2], values: [7, 8] },
        c: { dtype: 'BF16', shape: [1], values: [1] },
      },
      { metadata: { format: 'pt' } },
    );
    let state = 12345;
    const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const headerEnd = 8 + Number(new DataView(valid.buffer).getBigUint64(0, true));
    let loaded = 0;
    let rejected = 0;
    const started = performance.now();
    for (let trial = 0; trial < 3000; trial++) {
      let bytes: Uint8Array;
      const kind = trial % 4;
      if (kind === 0) {
        bytes = new Uint8Array(Math.floor(random() * 64));
        for (let i = 0; i < bytes.length; i++) bytes[i] = random() * 256;
        if (bytes.length >= 8 && random() < 0.7) new DataView(bytes.buffer).setBigUint64(0, BigInt(Math.floor(random() * 80)), true);
      } else if (kind === 1) {
        // Flip bytes inside the header (digits, quotes, brackets…).
        bytes = valid.slice();
        for (let k = 0; k < 1 + random() * 3; k++) bytes[8 + Math.floor(random() * (headerEnd - 8))] = '0123456789{}[]",:-. eFIU'.charCodeAt(Math.floor(random() * 24));
      } else if (kind === 2) {
        bytes = valid.slice(0, Math.floor(random() * valid.length)); // truncated
      } else {
        // Mutate a number inside the JSON text to a random (possibly huge or negative) one.
        const text = new TextDecoder().decode(valid.subarray(8, headerEnd));
        const numbers = [...text.matchAll(/\d+/g)];
        const pick = numbers[Math.floor(random() * numbers.length)];
        const replacement = String([0, 1, 7, -1, 2 ** 31, 2 ** 53, 1e300][Math.floor(random() * 7)]);
        const json = text.slice(0, pick.index) + replacement + text.slice(pick.index! + pick[0].length);
        bytes = rawFile(json, valid.length - headerEnd);
        bytes.set(valid.subarray(headerEnd), 8 + (bytes.length - 8 - (valid.length - headerEnd)));
      }
      try {
        const file = decodeSafetensors(bytes);
        for (const name of file.names) file.values(name);
        loaded++;
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).message).toMatch(/^safetensors: /);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(2000);
    expect(loaded).toBeGreaterThan(0); // some mutations are harmless (a changed value byte, a space)
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('independent readers and writers', () => {
  const mixed: Record<string, RawSafetensor> = {
    'layer.0.weight': { dtype: 'F32', shape: [3, 5], values: Array.from(randomValues(15, 11)) },
    'layer.0.bias': { dtype: 'F16', shape: [5], values: [0.5, -1, 2, 0.25, 1024] },
    'emb': { dtype: 'BF16', shape: [2, 3], values: [1, -2, 0.5, 3, 4, -0.125] },
    'ids': { dtype: 'I64', shape: [4], values: [0, -3, 2147483647, 9] },
    'mask': { dtype: 'BOOL', shape: [3], values: [1, 0, 1] },
    'small': { dtype: 'U8', shape: [3], values: [0, 200, 7] },
    'double': { dtype: 'F64', shape: [2], values: [1 / 3, -1e100] },
  };

  it('the npm `safetensors` reader finds every tensor of a sinew-written file at the right bytes', () => {
    const { SafeTensor } = createRequire(import.meta.url)('safetensors') as { SafeTensor: new (b: Uint8Array) => { getTensor(n: string): Uint8Array; metadata: Map<string, { dtype: string; shape: number[] }> } };
    const bytes = encodeSafetensors(mixed); // that reader does not understand __metadata__, so none here
    const theirs = new SafeTensor(bytes);
    expect(new Set(theirs.metadata.keys())).toEqual(new Set(Object.keys(mixed)));
    for (const [name, t] of Object.entries(mixed)) {
      expect(theirs.metadata.get(name)).toMatchObject({ dtype: t.dtype, shape: t.shape });
      const raw = theirs.getTensor(name);
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const read: Record<string, (i: number) => number> = {
        F32: (i) => view.getFloat32(4 * i, true),
        F16: (i) => halfToNumber(view.getUint16(2 * i, true)),
        BF16: (i) => new Float32Array(new Uint32Array([view.getUint16(2 * i, true) << 16]).buffer)[0],
        I64: (i) => Number(view.getBigInt64(8 * i, true)),
        BOOL: (i) => view.getUint8(i),
        U8: (i) => view.getUint8(i),
        F64: (i) => view.getFloat64(8 * i, true),
      };
      const got = Array.from({ length: t.values.length }, (_, i) => read[t.dtype](i));
      const expected = t.dtype === 'F32' ? Array.from(t.values, (v) => Math.fround(Number(v))) : Array.from(t.values, Number);
      expect(got, name).toEqual(expected);
    }
  });

  const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
  // Reads a file with numpy from the raw format (its own parser) and prints {name: [dtype, shape, values]};
  // or writes one with numpy and prints the values it stored.
  const python = String.raw`
import json, struct, sys
import numpy as np
NP = {'F64': '<f8', 'F32': '<f4', 'F16': '<f2', 'I64': '<i8', 'I32': '<i4', 'I16': '<i2', 'I8': 'i1', 'U8': 'u1', 'BOOL': '?'}
def read(path):
    data = open(path, 'rb').read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    header.pop('__metadata__', None)
    out = {}
    for name, e in header.items():
        b, end = e['data_offsets']
        raw = data[8 + n + b: 8 + n + end]
        if e['dtype'] == 'BF16':
            values = (np.frombuffer(raw, '<u2').astype('<u4') << 16).view('<f4')
        else:
            values = np.frombuffer(raw, NP[e['dtype']])
        out[name] = [e['dtype'], e['shape'], values.astype(np.float64).reshape(e['shape']).ravel().tolist()]
    print(json.dumps(out))
def write(path):
    rng = np.random.default_rng(5)
    bits = rng.standard_normal(5).astype('<f4').view('<u4').astype('<u8')  # rounded to bfloat16 below
    arrays = {
        'w': ('F32', rng.standard_normal((4, 3)).astype('<f4')),
        'h': ('F16', rng.standard_normal(7).astype('<f2')),
        'b': ('BF16', (((bits + 0x7fff + ((bits >> 16) & 1)) >> 16) & 0xffff).astype('<u2')),
        'ids': ('I64', np.array([[1, -2], [3, 2**31 - 1]], dtype='<i8')),
        'flags': ('BOOL', np.array([True, False, True])),
        'd': ('F64', np.array([1 / 3, 2.5])),
    }
    header, chunks, offset = {'__metadata__': {'format': 'np'}}, [], 0
    for name, (dtype, a) in sorted(arrays.items(), key=lambda kv: -kv[1][1].itemsize):
        raw = a.tobytes()
        header[name] = {'dtype': dtype, 'shape': list(a.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(chunks))
    def as_float(dtype, a):
        return ((a.astype('<u4') << 16).view('<f4') if dtype == 'BF16' else a).astype(np.float64).ravel().tolist()
    print(json.dumps({name: [dtype, list(a.shape), as_float(dtype, a)] for name, (dtype, a) in arrays.items()}))
def halves(path):
    # 'f32' and 'f16' hold the same values; numpy's own float32 -> float16 rounding must give the same bits.
    data = open(path, 'rb').read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    get = lambda name, dt: np.frombuffer(data[8 + n + header[name]['data_offsets'][0]: 8 + n + header[name]['data_offsets'][1]], dt)
    ours, theirs = get('f16', '<u2'), get('f32', '<f4').astype('<f2').view('<u2')
    print(json.dumps({'f16': [int(np.sum(ours != theirs)), len(ours)]}))
{'read': read, 'write': write, 'halves': halves}[sys.argv[1]](sys.argv[2])
`;
  const runPython = (mode: 'read' | 'write' | 'halves', path: string) =>
    JSON.parse(execFileSync('python3', ['-c', python, mode, path], { encoding: 'utf8' })) as Record<string, [string, number[], number[]]>;

  it.skipIf(!hasNumpy)('numpy reads what sinew writes', async () => {
    const path = join(scratch, 'for-numpy.safetensors');
    await writeSafetensors(path, mixed, { metadata: { format: 'pt' } });
    const theirs = runPython('read', path);
    expect(Object.keys(theirs).sort()).toEqual(Object.keys(mixed).sort());
    for (const [name, t] of Object.entries(mixed)) {
      const [dtype, shape, values] = theirs[name];
      expect([dtype, shape]).toEqual([t.dtype, t.shape]);
      // F64 is exact in numpy's float64; everything else as sinew decodes it (float32 / int32 / bool).
      const expected = t.dtype === 'F64' ? Array.from(t.values, Number) : Array.from(decodeSafetensors(encodeSafetensors({ [name]: t })).values(name).values);
      expect(values, name).toEqual(expected);
    }
  });

  it.skipIf(!hasNumpy)('float32 → F16 rounds exactly as numpy does (ties, subnormals, overflow)', async () => {
    const values = Float32Array.from([
      ...randomValues(3000, 31, -70000, 70000), ...randomValues(2000, 32, -1e-3, 1e-3), ...randomValues(1000, 33, -1e-6, 1e-6),
      // Exact ties between two halves (1 + k/1024 + 1/2048), subnormal ties, the overflow edge.
      ...Array.from({ length: 64 }, (_, k) => 1 + k / 1024 + 1 / 2048), ...Array.from({ length: 16 }, (_, k) => (k + 0.5) * 2 ** -24),
      65504, 65519, 65520, -65520, 1e-9, -0,
    ]);
    const path = join(scratch, 'halves.safetensors');
    await writeSafetensors(path, { f32: { dtype: 'F32', shape: [values.length], values }, f16: { dtype: 'F16', shape: [values.length], values } });
    expect(runPython('halves', path).f16).toEqual([0, values.length]);
  });

  it.skipIf(!hasNumpy)('sinew reads what numpy writes', async () => {
    const path = join(scratch, 'from-numpy.safetensors');
    const theirs = runPython('write', path);
    const file = await readSafetensors(path);
    expect(file.metadata).toEqual({ format: 'np' });
    for (const [name, [dtype, shape, values]] of Object.entries(theirs)) {
      expect(file.info(name)).toMatchObject({ dtype, shape });
      const t = file.tensor(name);
      expect(t.shape).toEqual(shape);
      expect(Array.from(t.dataSync()), name).toEqual(dtype === 'F64' ? values.map(Math.fround) : values);
      t.dispose();
    }
    file.close();
  });
});

describe('Hugging Face folders and loadWeightsInto', () => {
  // A Linear layer as PyTorch stores it: weight [out, in], bias [out].
  const weight = Array.from(randomValues(3 * 5, 21));
  const bias = [0.5, -0.25, 1];
  const tensors: Record<string, RawSafetensor> = {
    'encoder.dense.weight': { dtype: 'F32', shape: [3, 5], values: weight },
    'encoder.dense.bias': { dtype: 'F32', shape: [3], values: bias },
    'pooler.unused': { dtype: 'F16', shape: [2], values: [1, 2] },
  };
  const mapping = (name: string) =>
    name === 'encoder.dense.weight' ? { name: 'enc/kernel', transpose: true } : name === 'encoder.dense.bias' ? 'enc/bias' : null;
  const model = () => tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [5], name: 'enc' })] });

  async function folder(name: string, files: Record<string, Uint8Array | string>): Promise<string> {
    const dir = join(scratch, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    for (const [file, content] of Object.entries(files)) await writeFile(join(dir, file), content);
    return dir;
  }
  const config = JSON.stringify({ model_type: 'bert', hidden_size: 3 });

  /** y = x·Wᵀ + b in float64, from the PyTorch-layout weight. */
  function expectLinear(m: ReturnType<typeof model>) {
    const x = Array.from(randomValues(2 * 5, 22));
    const out = tf.tidy(() => (m.predict(tf.tensor(x, [2, 5])) as Tensor).dataSync());
    const expected = [];
    for (let r = 0; r < 2; r++) for (let o = 0; o < 3; o++) {
      let s = bias[o];
      for (let i = 0; i < 5; i++) s += x[r * 5 + i] * weight[o * 5 + i];
      expected.push(s);
    }
    expected.forEach((e, i) => expect(Math.abs(out[i] - e)).toBeLessThan(1e-5));
  }

  it('reads config, weights and tokenizer files; loads with a mapping that transposes Linear weights', async () => {
    const dir = await folder('hf-whole', {
      'config.json': config, 'model.safetensors': encodeSafetensors(tensors, { metadata: { format: 'pt' } }), 'vocab.txt': '[PAD]\n[UNK]\n', 'tokenizer_config.json': '{}',
    });
    const hf = await readHuggingFaceFolder(dir);
    expect(hf.config).toEqual({ model_type: 'bert', hidden_size: 3 });
    expect(hf.tokenizerFiles).toEqual({ 'vocab.txt': join(dir, 'vocab.txt'), 'tokenizer_config.json': join(dir, 'tokenizer_config.json') });
    const m = model();
    const report = loadWeightsInto(m, hf.weights, mapping);
    expect(report).toEqual({ loaded: { 'encoder.dense.weight': 'enc/kernel', 'encoder.dense.bias': 'enc/bias' }, missing: [], unexpected: [], skipped: ['pooler.unused'] });
    expectLinear(m);
    hf.close();
    m.dispose();
  });

  it('reads sharded weights through model.safetensors.index.json, and checks the index against the shards', async () => {
    const { 'pooler.unused': pooler, ...dense } = tensors;
    const index = { metadata: { total_size: 72 }, weight_map: { 'encoder.dense.weight': 'model-00001-of-00002.safetensors', 'encoder.dense.bias': 'model-00001-of-00002.safetensors', 'pooler.unused': 'model-00002-of-00002.safetensors' } };
    const dir = await folder('hf-sharded', {
      'config.json': config,
      'model.safetensors.index.json': JSON.stringify(index),
      'model-00001-of-00002.safetensors': encodeSafetensors(dense),
      'model-00002-of-00002.safetensors': encodeSafetensors({ 'pooler.unused': pooler }),
    });
    const hf = await readHuggingFaceFolder(dir);
    expect(hf.weights.names.sort()).toEqual(Object.keys(tensors).sort());
    const m = model();
    loadWeightsInto(m, hf.weights, mapping);
    expectLinear(m);
    hf.close();
    m.dispose();
    index.weight_map['pooler.unused'] = 'model-00001-of-00002.safetensors';
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    await expect(readHuggingFaceFolder(dir)).rejects.toThrow(/puts 'pooler.unused' in model-00001-of-00002.safetensors, which does not hold it/);
  });

  it('reads a folder served over http', async () => {
    const dir = await folder('hf-http', { 'config.json': config, 'model.safetensors': encodeSafetensors(tensors), 'tokenizer.json': '{}' });
    const server: Server = createServer(async (req, res) => {
      try {
        res.end(await readFile(join(dir, decodeURIComponent(req.url!.slice(1)))));
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const hf = await readHuggingFaceFolder(base);
      expect(hf.config.model_type).toBe('bert');
      expect(hf.tokenizerFiles).toEqual({ 'tokenizer.json': `${base}tokenizer.json` });
      const m = model();
      loadWeightsInto(m, hf.weights, mapping);
      expectLinear(m);
      m.dispose();
    } finally {
      server.close();
    }
  });

  it('reshapes on the way in, and names an impossible reshape', () => {
    // The Dense kernel [in=5, out=3] stored flat, as Wᵀ.
    const kernel = Array.from({ length: 15 }, (_, k) => weight[(k % 3) * 5 + Math.floor(k / 3)]);
    const file = decodeSafetensors(encodeSafetensors({ flat: { dtype: 'F32', shape: [15], values: kernel }, b: tensors['encoder.dense.bias'] }));
    const m = model();
    loadWeightsInto(m, file, (n) => (n === 'flat' ? { name: 'enc/kernel', reshape: [5, 3] } : 'enc/bias'));
    expectLinear(m);
    expect(() => loadWeightsInto(m, file, (n) => (n === 'flat' ? { name: 'enc/kernel', reshape: [4, 4] } : 'enc/bias'))).toThrow(
      /'flat' is \[15\] \(15 values\) and cannot be reshaped to \[4, 4\]/,
    );
    m.dispose();
  });

  it('reports missing, unexpected and mismatched weights clearly, writing nothing on error', async () => {
    const file = decodeSafetensors(encodeSafetensors(tensors));
    const m = model();
    const before = m.getWeights().map((t) => Array.from(t.dataSync()));
    const noBias = (name: string) => (name === 'encoder.dense.weight' ? { name: 'enc/kernel', transpose: true } : null);
    expect(() => loadWeightsInto(m, file, noBias)).toThrow(/sinew weights not in bytes: enc\/bias/);
    expect(loadWeightsInto(m, file, noBias, { strict: false }).missing).toEqual(['enc/bias']);
    const toNowhere = (name: string) => (name === 'pooler.unused' ? 'enc/nope' : mapping(name));
    expect(() => loadWeightsInto(m, file, toNowhere)).toThrow(/with no sinew weight: 'pooler.unused' → 'enc\/nope'/);
    const m2 = model();
    const snapshot = m2.getWeights().map((t) => Array.from(t.dataSync()));
    const untransposed = (name: string) => (name === 'encoder.dense.weight' ? 'enc/kernel' : mapping(name));
    expect(() => loadWeightsInto(m2, file, untransposed)).toThrow(/'encoder.dense.weight' is \[3, 5\] but sinew weight 'enc\/kernel' is \[5, 3\]/);
    expect(m2.getWeights().map((t) => Array.from(t.dataSync()))).toEqual(snapshot);
    const twice = (name: string) => (name === 'pooler.unused' ? 'enc/bias' : mapping(name));
    expect(() => loadWeightsInto(m2, file, twice)).toThrow(/both map to sinew weight 'enc\/bias'/);
    expect(before.length).toBe(2);
    m.dispose();
    m2.dispose();
  });

  it('loading weights and reading tensors leave no tensor or buffer behind', () => {
    const file = decodeSafetensors(encodeSafetensors(tensors));
    const m = model();
    loadWeightsInto(m, file, mapping);
    const before = tf.memory();
    loadWeightsInto(m, file, mapping);
    tf.dispose(file.tensors());
    expect(() => loadWeightsInto(m, file, (n) => (n === 'encoder.dense.bias' ? 'enc/kernel' : null), { strict: false })).toThrow(/is \[3\] but/);
    const after = tf.memory();
    expect([after.numTensors, after.numDataBuffers, after.numBytes]).toEqual([before.numTensors, before.numDataBuffers, before.numBytes]);
    m.dispose();
  });

  it('names what is missing from a folder', async () => {
    const noConfig = await folder('hf-no-config', { 'model.safetensors': encodeSafetensors(tensors) });
    await expect(readHuggingFaceFolder(noConfig)).rejects.toThrow(/no config.json in .*hf-no-config/);
    const pickle = await folder('hf-pickle', { 'config.json': config, 'pytorch_model.bin': 'not read' });
    await expect(readHuggingFaceFolder(pickle)).rejects.toThrow(/only pytorch_model.bin.*convert it to safetensors/);
    await expect(readHuggingFaceFolder(join(scratch, 'absent'))).rejects.toThrow(/is not a folder/);
  });
});

describe('readSafetensors from a Blob or File (pages, no file system)', () => {
  it('reads the same tensors as from bytes, names the File in errors, rejects other objects clearly', async () => {
    const bytes = encodeSafetensors({ w: { dtype: 'F32', shape: [2, 3], values: [1, 2, 3, 4, 5, 6] } });
    for (const source of [new Blob([bytes]), new File([bytes], 'weights.safetensors')]) {
      const file = await readSafetensors(source);
      const w = file.tensor('w');
      expect(w.shape).toEqual([2, 3]);
      expect(Array.from(w.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
      w.dispose();
      file.close();
    }
    await expect(readSafetensors(new File([bytes.subarray(0, 20)], 'cut.safetensors'))).rejects.toThrow(/cut\.safetensors/);
    await expect(readSafetensors({} as never)).rejects.toThrow(/readSafetensors: expected a path, a URL, a Blob\/File or bytes, got Object/);
  });
});
