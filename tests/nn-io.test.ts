// Model IO (src/nn/io): weight encoding vs tfjs's bytes, float16 / uint8 / uint16 decoding vs plain-JS
// formulas, multi-shard manifests, the file:// handler (round trip, atomic save under simulated crashes),
// http(s) loading from a local server, the in-memory handlers, and the errors for corrupt or truncated files.
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeWeights, decodeWeightValues, encodeWeights, fileSystem, getLoadHandler, getSaveHandler, io, loadLayersModel, parseModelJSON, saveModel,
} from '../src/nn/io/index.js';
import { input, layers, model as functionalModel, sequential } from '../src/nn/index.js';
import type { LayersModel, SymbolicTensor } from '../src/nn/index.js';
import type { FileOperations, ModelArtifacts, ModelJSON, WeightsManifestEntry } from '../src/nn/io/index.js';
import { nodeFileOperations } from '../src/nn/io/file.js';
import { expectClose, loadTfjs, randomValues, tf } from './helpers.js';
import type { Tensor } from './helpers.js';

type Tfjs = Awaited<ReturnType<typeof loadTfjs>>;
let tfjs: Tfjs;
let scratch: string;
beforeAll(async () => {
  tfjs = await loadTfjs();
  scratch = await mkdtemp(join(tmpdir(), 'sinew-io-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const sizeOf = (shape: number[]) => shape.reduce((p, d) => p * d, 1);
const bytesOf = (buffer: ArrayBuffer) => Array.from(new Uint8Array(buffer));
const topology = { class_name: 'Sequential', config: { name: 'fake', layers: [] }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' };

/** A mixed set of weights whose odd sizes put float32 values at unaligned byte offsets after the bool. */
function mixedWeights() {
  return {
    'dense/kernel': { values: randomValues(3 * 17, 1), shape: [3, 17], dtype: 'float32' as const },
    'mask': { values: Uint8Array.from([1, 0, 1, 1, 0]), shape: [5], dtype: 'bool' as const },
    'dense/bias': { values: randomValues(17, 2), shape: [17], dtype: 'float32' as const },
    'counts': { values: Int32Array.from([-7, 0, 2147483647, -2147483648, 3, 12345, 1]), shape: [7, 1], dtype: 'int32' as const },
    'scalar': { values: Float32Array.from([Math.PI]), shape: [], dtype: 'float32' as const },
  };
}

describe('weight encoding', () => {
  it('writes the same bytes and specs as tfjs.io.encodeWeights, and reads tfjs bytes back exactly', async () => {
    const weights = mixedWeights();
    const ours = encodeWeights(Object.entries(weights).map(([name, w]) => ({ name, tensor: tf.tensor(w.values, w.shape, w.dtype) })));
    const theirs = await tfjs.io.encodeWeights(
      Object.entries(weights).map(([name, w]) => ({ name, tensor: tfjs.tensor(w.values, w.shape, w.dtype) })),
    );
    expect(ours.specs).toEqual(theirs.specs);
    expect(bytesOf(ours.data)).toEqual(bytesOf(theirs.data as ArrayBuffer));

    const decoded = decodeWeightValues(theirs.data as ArrayBuffer, theirs.specs as WeightsManifestEntry[]);
    expect(decoded.map((w) => w.name)).toEqual(Object.keys(weights));
    for (const w of decoded) {
      const expected = weights[w.name as keyof typeof weights];
      expect(w.shape).toEqual(expected.shape);
      expect(w.dtype).toBe(expected.dtype);
      expect(Array.from(w.values)).toEqual(Array.from(expected.values));
    }
  });

  it('decodes to tensors and reads a list of buffers as their concatenation', () => {
    const { data, specs } = encodeWeights({ a: tf.tensor([1.5, -2, 3], [3]), b: tf.tensor([[1, 2], [3, 4]], [2, 2], 'int32') });
    const split = [data.slice(0, 5), data.slice(5, 13), data.slice(13)];
    const tensors = decodeWeights(split, specs);
    expect(tensors.a.dtype).toBe('float32');
    expect(tensors.a.arraySync()).toEqual([1.5, -2, 3]);
    expect(tensors.b.dtype).toBe('int32');
    expect(tensors.b.arraySync()).toEqual([[1, 2], [3, 4]]);
  });

  it('decodes float16 weights (normal, subnormal, ±0, ±Inf, NaN, max)', () => {
    // Half-precision bit patterns and their exact values, worked out by hand from the IEEE 754 layout.
    const cases: [number, number][] = [
      [0x3c00, 1], [0xc000, -2], [0x3555, 0.333251953125], [0x7bff, 65504], [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24],
      [0x0400, 2 ** -14], [0x0000, 0], [0x8000, -0], [0x7c00, Infinity], [0xfc00, -Infinity], [0x7e00, NaN], [0x4248, 3.140625],
    ];
    // A leading uint8 weight makes the halves start at an odd byte offset.
    const bytes = new Uint8Array(1 + 2 * cases.length);
    bytes[0] = 200;
    const view = new DataView(bytes.buffer);
    cases.forEach(([bits], i) => view.setUint16(1 + 2 * i, bits, true));
    const specs: WeightsManifestEntry[] = [
      { name: 'u', shape: [1], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
      { name: 'h', shape: [cases.length], dtype: 'float32', quantization: { dtype: 'float16' } },
    ];
    const [u, h] = decodeWeightValues(bytes.buffer, specs);
    expect(Array.from(u.values)).toEqual([99]);
    cases.forEach(([bits, value], i) => expect(Object.is(h.values[i], value) || (value === 0 && h.values[i] === 0), `0x${bits.toString(16)}`).toBe(true));
    expect(Object.is(h.values[8], -0)).toBe(true);
  });

  it('dequantizes uint8 and uint16 weights as q*scale+min (rounded for int32), like tfjs', () => {
    const q8 = Uint8Array.from([0, 1, 17, 128, 255]);
    const q16 = Uint16Array.from([0, 3, 1000, 40000, 65535]);
    const bytes = new Uint8Array(q8.length + 2 * q16.length + q8.length);
    bytes.set(q8, 0);
    const view = new DataView(bytes.buffer);
    q16.forEach((v, i) => view.setUint16(q8.length + 2 * i, v, true));
    bytes.set(q8, q8.length + 2 * q16.length);
    const specs: WeightsManifestEntry[] = [
      { name: 'a', shape: [5], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.0123, min: -1.5 } },
      { name: 'b', shape: [5, 1], dtype: 'float32', quantization: { dtype: 'uint16', scale: 3.1e-5, min: -0.75 } },
      { name: 'c', shape: [5], dtype: 'int32', quantization: { dtype: 'uint8', scale: 0.3, min: -2 } },
    ];
    const [a, b, c] = decodeWeightValues(bytes.buffer, specs);
    expectClose(a.values as Float32Array, Array.from(q8, (q) => q * 0.0123 - 1.5));
    expectClose(b.values as Float32Array, Array.from(q16, (q) => q * 3.1e-5 - 0.75));
    expect(c.dtype).toBe('int32');
    expect(Array.from(c.values)).toEqual(Array.from(q8, (q) => Math.round(q * 0.3 - 2)));
  });

  it('rejects malformed entries naming the weight', () => {
    const data = new ArrayBuffer(64);
    const decode = (spec: object) => () => decodeWeightValues(data, [spec as WeightsManifestEntry], 'weights.bin');
    expect(decode({ name: 'w', shape: [2], dtype: 'float64' })).toThrow(/weights\.bin: weight "w" has unknown dtype "float64"/);
    expect(decode({ name: 'w', shape: [2], dtype: 'string' })).toThrow(/weight "w" has dtype 'string', which sinew does not support/);
    expect(decode({ name: 'w', shape: [2, -1], dtype: 'float32' })).toThrow(/weight "w" has shape \[2,-1\]/);
    expect(decode({ name: 'w', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8' } })).toThrow(/weight "w": uint8 quantization needs numeric scale and min/);
    expect(decode({ name: 'w', shape: [2], dtype: 'float32', quantization: { dtype: 'int4' } })).toThrow(/weight "w" has unknown quantization dtype "int4"/);
    expect(decode({ shape: [2], dtype: 'float32' })).toThrow(/a weight entry has no name/);
  });

  it('names the weight and the byte counts when the data is shorter than the manifest', () => {
    const specs: WeightsManifestEntry[] = [
      { name: 'dense/kernel', shape: [4, 3], dtype: 'float32' },
      { name: 'dense/bias', shape: [3], dtype: 'float32' },
    ];
    expect(() => decodeWeightValues(new ArrayBuffer(50), specs, 'weights.bin')).toThrow(
      'weights.bin is truncated: weight "dense/bias" (shape [3], float32) needs bytes 48..60 but there are only 50 bytes (the manifest describes 60 bytes in all)',
    );
  });
});

describe('model.json parsing and validation', () => {
  const valid = (): ModelJSON => ({ modelTopology: topology, weightsManifest: [{ paths: ['weights.bin'], weights: [] }] });

  it('reports a syntax error with the file name, line and column', () => {
    const text = '{\n  "modelTopology": {},\n  "weightsManifest": [,]\n}';
    expect(() => parseModelJSON(text, '/models/m/model.json')).toThrow(/^\/models\/m\/model\.json is not valid JSON at line 3 column 23 \(position 47\)/);
    expect(() => parseModelJSON('', 'model.json')).toThrow('model.json is not valid JSON: the file is empty');
    expect(() => parseModelJSON('{"modelTopology": {"a": [1, 2', 'm.json')).toThrow(/^m\.json is not valid JSON at the end, line 1 column 30 \(position 29\): the file ends early/);
    expect(() => parseModelJSON('{"a": tru}', 'm.json')).toThrow(/^m\.json is not valid JSON at line 1 column 10 \(position 9\)/);
    expect(() => parseModelJSON('{"a": 1} x', 'm.json')).toThrow(/^m\.json is not valid JSON at line 1 column 10 \(position 9\)/);
  });

  it('requires modelTopology and a well-formed weightsManifest', () => {
    const without = (key: string) => JSON.stringify({ ...valid(), [key]: undefined });
    expect(() => parseModelJSON(without('modelTopology'), 'a/model.json')).toThrow('a/model.json: missing "modelTopology"');
    expect(() => parseModelJSON(without('weightsManifest'), 'a/model.json')).toThrow('a/model.json: missing "weightsManifest"');
    expect(() => parseModelJSON('[1,2]', 'a/model.json')).toThrow(/a\/model\.json: expected a JSON object/);
    const badPaths = { ...valid(), weightsManifest: [{ paths: 'weights.bin', weights: [] }] };
    expect(() => parseModelJSON(JSON.stringify(badPaths), 'm.json')).toThrow(/m\.json: weightsManifest\[0\]\.paths must be an array/);
    const badDtype = { ...valid(), weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'k', shape: [1], dtype: 'half' }] }] };
    expect(() => parseModelJSON(JSON.stringify(badDtype), 'm.json')).toThrow(/m\.json: weightsManifest\[0\]: weight "k" has unknown dtype "half"/);
    expect(parseModelJSON(JSON.stringify(valid()), 'm.json')).toEqual(valid());
  });
});

describe('in-memory handlers', () => {
  it('fromMemory returns the artifacts; the legacy (topology, specs, data) form builds them', async () => {
    const { data, specs } = encodeWeights({ w: tf.tensor([1, 2, 3]) });
    const artifacts: ModelArtifacts = { modelTopology: topology, weightSpecs: specs, weightData: data };
    expect(await io.fromMemory(artifacts).load!()).toBe(artifacts);
    const legacy = await io.fromMemory(topology, specs, data).load!();
    expect(legacy).toEqual({ modelTopology: topology, weightSpecs: specs, weightData: data, trainingConfig: undefined });
    expect((await io.fromMemory(topology).load!()).modelTopology).toBe(topology);
  });

  it('withSaveHandler passes the artifacts through; the router refuses handlers of the wrong kind', async () => {
    let seen: ModelArtifacts | undefined;
    const handler = io.withSaveHandler(async (a) => {
      seen = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    });
    const artifacts: ModelArtifacts = { modelTopology: topology };
    await getSaveHandler(handler).save!(artifacts);
    expect(seen).toBe(artifacts);
    expect(() => getLoadHandler(handler)).toThrow(/has no load method/);
    expect(() => getSaveHandler(io.fromMemory(artifacts))).toThrow(/has no save method/);
    expect(() => getSaveHandler('gs://bucket/m')).toThrow(/cannot save to "gs:\/\/bucket\/m"; expected file:\/\//);
    // The browser stores are routed, and say what is missing outside a browser.
    expect(() => getSaveHandler('localstorage://m')).toThrow(/localstorage:\/\/m: localStorage is not available here/);
    expect(() => getLoadHandler('models/model.json')).toThrow(/cannot load from "models\/model\.json"/);
  });
});

/** Artifacts of a few weights whose values identify the save they came from. */
function artifactsWith(seed: number): ModelArtifacts {
  const { data, specs } = encodeWeights({
    'd/kernel': tf.tensor(randomValues(6 * 5, seed), [6, 5]),
    'd/bias': tf.tensor(randomValues(5, seed + 1), [5]),
  });
  return { modelTopology: topology, weightSpecs: specs, weightData: data, format: 'layers-model', generatedBy: 'sinew 0.1.0', convertedBy: null };
}

describe('file:// handler', () => {
  it('saves model.json + weights.bin into a new nested folder and loads them back from the folder or model.json', async () => {
    const dir = join(scratch, 'round', 'trip');
    const saved = artifactsWith(10);
    const result = await getSaveHandler(`file://${dir}`).save!(saved);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(35 * 4);
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);

    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(json).toEqual({
      modelTopology: topology, format: 'layers-model', generatedBy: 'sinew 0.1.0', convertedBy: null,
      weightsManifest: [{ paths: ['weights.bin'], weights: saved.weightSpecs }],
    });
    expect(bytesOf((await readFile(join(dir, 'weights.bin'))).buffer as ArrayBuffer).length).toBe(140);

    for (const url of [`file://${dir}`, `file://${dir}/model.json`]) {
      const loaded = await getLoadHandler(url).load!();
      expect(loaded.modelTopology).toEqual(topology);
      expect(loaded.weightSpecs).toEqual(saved.weightSpecs);
      expect(bytesOf(loaded.weightData as ArrayBuffer)).toEqual(bytesOf(saved.weightData as ArrayBuffer));
    }
  });

  it('reads a manifest of several groups and shards as one concatenation, in order', async () => {
    const dir = join(scratch, 'shards');
    await mkdir(join(dir, 'group1'), { recursive: true });
    const weights = mixedWeights();
    const { data, specs } = encodeWeights(Object.entries(weights).map(([name, w]) => ({ name, tensor: tf.tensor(w.values, w.shape, w.dtype) })));
    // Group 0: first two weights in 3 shards cut mid-value; group 1: the rest in 2 shards in a subfolder.
    const groupOneStart = 3 * 17 * 4 + 5;
    const cuts = [0, 7, 150, groupOneStart, groupOneStart + 33, data.byteLength];
    const names = ['a.bin', 'b.bin', 'c.bin', 'group1/d.bin', 'group1/e%20f.bin'];
    for (let i = 0; i < names.length; i++) {
      await writeFile(join(dir, decodeURIComponent(names[i])), new Uint8Array(data.slice(cuts[i], cuts[i + 1])));
    }
    const manifest = [
      { paths: names.slice(0, 3), weights: specs.slice(0, 2) },
      { paths: names.slice(3), weights: specs.slice(2) },
    ];
    await writeFile(join(dir, 'model.json'), JSON.stringify({ modelTopology: topology, weightsManifest: manifest }));
    const loaded = await fileSystem(`file://${dir}/model.json`).load!();
    expect(loaded.weightSpecs).toEqual(specs);
    expect(bytesOf(loaded.weightData as ArrayBuffer)).toEqual(bytesOf(data));
  });

  it('names the file and the weight when weights.bin is truncated or missing, and the file when model.json is corrupt', async () => {
    const dir = join(scratch, 'corrupt');
    await fileSystem(dir).save!(artifactsWith(3));
    const full = await readFile(join(dir, 'weights.bin'));
    await writeFile(join(dir, 'weights.bin'), full.subarray(0, 130));
    await expect(fileSystem(`file://${dir}`).load!()).rejects.toThrow(
      `weights file ${join(dir, 'weights.bin')} (130 bytes) is truncated: weight "d/bias" (shape [5], float32) needs bytes 120..140 of 130; the manifest describes 140 bytes`,
    );
    await rm(join(dir, 'weights.bin'));
    await expect(fileSystem(`file://${dir}`).load!()).rejects.toThrow(`weights file ${join(dir, 'weights.bin')} listed in ${join(dir, 'model.json')} cannot be read`);
    const text = await readFile(join(dir, 'model.json'), 'utf8');
    await writeFile(join(dir, 'model.json'), text.slice(0, 40));
    await expect(fileSystem(`file://${dir}`).load!()).rejects.toThrow(new RegExp(`^${join(dir, 'model.json')} is not valid JSON`));
    await expect(fileSystem(`file://${join(scratch, 'nowhere')}`).load!()).rejects.toThrow(/nowhere does not exist \(expected a model folder or its model\.json\)/);
  });

  describe('atomic save', () => {
    type Step = 'weights write' | 'model write' | 'weights rename' | 'model rename';
    /** Real file operations except that `failAt` throws, after writing half the bytes for the writes. */
    async function crashingOperations(failAt: Step): Promise<FileOperations> {
      const real = await nodeFileOperations();
      const stepOf = (path: string, kind: 'write' | 'rename'): Step => `${path.includes('weights.bin') ? 'weights' : 'model'} ${kind}` as Step;
      return {
        ...real,
        async writeDurably(path, data) {
          if (stepOf(path, 'write') !== failAt) return real.writeDurably(path, data);
          await real.writeDurably(path, data.subarray(0, data.length >> 1));
          throw new Error('disk full (simulated)');
        },
        async rename(from, to) {
          if (stepOf(to, 'rename') === failAt && from.includes('.tmp-')) throw new Error('crash (simulated)');
          return real.rename(from, to);
        },
      };
    }

    for (const step of ['weights write', 'model write', 'weights rename', 'model rename'] as Step[]) {
      it(`a failure at the ${step} leaves the previous model.json + weights.bin intact and no temporary files`, async () => {
        const dir = join(scratch, `atomic-${step.replace(' ', '-')}`);
        await fileSystem(`file://${dir}`).save!(artifactsWith(1));
        const before = { json: await readFile(join(dir, 'model.json')), weights: await readFile(join(dir, 'weights.bin')) };

        const crashing = fileSystem(`file://${dir}`, { fileOperations: await crashingOperations(step) });
        await expect(crashing.save!(artifactsWith(2))).rejects.toThrow(/save to file:\/\/.* failed, previous files left unchanged: (disk full|crash) \(simulated\)/);
        expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
        expect(await readFile(join(dir, 'model.json'))).toEqual(before.json);
        expect(await readFile(join(dir, 'weights.bin'))).toEqual(before.weights);

        // The next good save replaces both.
        const second = artifactsWith(2);
        await fileSystem(`file://${dir}`).save!(second);
        const loaded = await fileSystem(dir).load!();
        expect(bytesOf(loaded.weightData as ArrayBuffer)).toEqual(bytesOf(second.weightData as ArrayBuffer));
        expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
      });
    }
  });
});

describe('http(s) handler', () => {
  let server: Server;
  let base: string;
  const requests: string[] = [];
  const files = new Map<string, Uint8Array>();
  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      const body = files.get((request.url ?? '').split('?')[0]);
      if (!body) {
        response.writeHead(404, 'Not Found').end();
        return;
      }
      response.writeHead(200).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('fetches model.json, then its shards relative to it with the same query string', async () => {
    const saved = artifactsWith(5);
    const data = new Uint8Array(saved.weightData as ArrayBuffer);
    files.set('/models/m/shard1', data.subarray(0, 61));
    files.set('/models/m/sub/shard2', data.subarray(61));
    const json = { modelTopology: topology, weightsManifest: [{ paths: ['shard1', 'sub/shard2'], weights: saved.weightSpecs }] };
    files.set('/models/m/model.json', new TextEncoder().encode(JSON.stringify(json)));
    requests.length = 0;
    const loaded = await getLoadHandler(`${base}/models/m/model.json?v=3`).load!();
    expect(requests.sort()).toEqual(['/models/m/model.json?v=3', '/models/m/shard1?v=3', '/models/m/sub/shard2?v=3']);
    expect(bytesOf(loaded.weightData as ArrayBuffer)).toEqual(Array.from(data));
    expect(loaded.weightSpecs).toEqual(saved.weightSpecs);

    files.delete('/models/m/sub/shard2');
    await expect(getLoadHandler(`${base}/models/m/model.json`).load!()).rejects.toThrow(`fetching weights ${base}/models/m/sub/shard2 returned HTTP 404 Not Found`);
    await expect(getLoadHandler(`${base}/nothing/model.json`).load!()).rejects.toThrow(/fetching model\.json .*\/nothing\/model\.json returned HTTP 404/);
    files.set('/models/m/sub/shard2', data.subarray(61, 135));
    await expect(getLoadHandler(`${base}/models/m/model.json`).load!()).rejects.toThrow(
      /shard1 \(61 bytes\) \+ http:.*\/sub\/shard2 \(74 bytes\) is truncated: weight "d\/bias" \(shape \[5\], float32\) needs bytes 120..140 of 135/,
    );
  });

  it('posts model.json and model.weights.bin as a multipart form when saving', async () => {
    let form: FormData | undefined;
    let method: string | undefined;
    const fetchFunc = (async (_url: string, init: RequestInit) => {
      form = init.body as FormData;
      method = init.method;
      return new Response('ok', { status: 200 });
    }) as unknown as typeof fetch;
    const saved = artifactsWith(6);
    const result = await io.http(`${base}/upload`, { fetchFunc }).save!(saved);
    expect(method).toBe('POST');
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(140);
    const json = JSON.parse(await (form!.get('model.json') as Blob).text());
    expect(json.weightsManifest).toEqual([{ paths: ['./model.weights.bin'], weights: saved.weightSpecs }]);
    const weights = await (form!.get('model.weights.bin') as Blob).arrayBuffer();
    expect(bytesOf(weights)).toEqual(bytesOf(saved.weightData as ArrayBuffer));
  });
});

// --- whole models: sinew ⇄ tfjs-layers ------------------------------------------------------------------

type TfjsModel = Awaited<ReturnType<Tfjs['loadLayersModel']>>;

/** The artifacts a tfjs-layers model saves (through a save handler: no tfjs-node needed). */
async function tfjsArtifacts(model: TfjsModel): Promise<ModelArtifacts> {
  let captured: ModelArtifacts | undefined;
  await model.save(tfjs.io.withSaveHandler(async (artifacts) => {
    captured = artifacts as ModelArtifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return captured!;
}

/** The artifacts a sinew model saves. */
async function sinewArtifacts(model: LayersModel): Promise<ModelArtifacts> {
  let captured: ModelArtifacts | undefined;
  await saveModel(model, io.withSaveHandler(async (artifacts) => {
    captured = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return captured!;
}

function predictSinew(model: LayersModel, x: { values: Float32Array; shape: number[] }): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(x.values, x.shape)) as Tensor).dataSync() as Float32Array);
}
function predictTfjs(model: TfjsModel, x: { values: Float32Array; shape: number[] }): Float32Array {
  return tfjs.tidy(() => (model.predict(tfjs.tensor(x.values, x.shape)) as ReturnType<Tfjs['tensor']>).dataSync() as Float32Array);
}

/** tfjs-layers models covering Dense/Activation/Dropout/Flatten/Reshape, Sequential and functional. */
const tfjsModels: Record<string, { build: () => TfjsModel; input: number[] }> = {
  'Sequential dense/dropout/activation': {
    input: [5, 6],
    build: () => tfjs.sequential({ layers: [
      tfjs.layers.dense({ inputShape: [6], units: 9, activation: 'relu' }),
      tfjs.layers.dropout({ rate: 0.25 }),
      tfjs.layers.dense({ units: 4, activation: 'tanh', useBias: false }),
      tfjs.layers.activation({ activation: 'softmax' }),
    ] }),
  },
  'Sequential reshape/flatten': {
    input: [3, 12],
    build: () => tfjs.sequential({ layers: [
      tfjs.layers.reshape({ inputShape: [12], targetShape: [3, 4] }),
      tfjs.layers.dense({ units: 5, activation: 'sigmoid' }),
      tfjs.layers.flatten(),
      tfjs.layers.dense({ units: 2 }),
    ] }),
  },
  'functional two branches': {
    input: [4, 3, 4],
    build: () => {
      const x = tfjs.input({ shape: [3, 4] });
      const flat = tfjs.layers.flatten().apply(x) as ReturnType<Tfjs['input']>;
      const a = tfjs.layers.dense({ units: 6, activation: 'relu' }).apply(flat) as ReturnType<Tfjs['input']>;
      const b = tfjs.layers.dense({ units: 5, activation: 'tanh' }).apply(flat) as ReturnType<Tfjs['input']>;
      const joined = tfjs.layers.concatenate().apply([a, b]) as ReturnType<Tfjs['input']>;
      const dropped = tfjs.layers.dropout({ rate: 0.5 }).apply(joined) as ReturnType<Tfjs['input']>;
      const y = tfjs.layers.dense({ units: 3, activation: 'softmax' }).apply(dropped) as ReturnType<Tfjs['input']>;
      return tfjs.model({ inputs: x, outputs: y });
    },
  },
};

describe('tfjs-layers → sinew', () => {
  for (const [name, { build, input: shape }] of Object.entries(tfjsModels)) {
    it(`${name}: a model saved by tfjs loads in sinew and predicts the same, and goes back to tfjs`, async () => {
      const theirs = build();
      const artifacts = await tfjsArtifacts(theirs);
      const x = { values: randomValues(sizeOf(shape), 42), shape };
      const expected = predictTfjs(theirs, x);

      const before = tf.memory().numTensors;
      const ours = await loadLayersModel(io.fromMemory(artifacts));
      expect(tf.memory().numTensors - before).toBe(ours.weights.length);
      expect(ours.weights.map((w) => w.originalName)).toEqual(artifacts.weightSpecs!.map((s) => s.name));
      expectClose(predictSinew(ours, x), expected, { rtol: 1e-5, atol: 1e-6 });

      // Back again: sinew's save of the loaded model loads in tfjs with the same predictions.
      const back = await tfjs.loadLayersModel(tfjs.io.fromMemory(await sinewArtifacts(ours)));
      expectClose(predictTfjs(back, x), expected, { rtol: 1e-6, atol: 1e-7 });
      ours.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('loads tfjs weights stored as uint8, uint16 and float16 the same as tfjs does', async () => {
    const theirs = tfjsModels['Sequential dense/dropout/activation'].build();
    const artifacts = await tfjsArtifacts(theirs);
    const quantized = quantize(artifacts, ['uint8', 'float16', 'uint16']);
    const x = { values: randomValues(5 * 6, 7), shape: [5, 6] };
    const reference = await tfjs.loadLayersModel(tfjs.io.fromMemory(quantized));
    const ours = await loadLayersModel(io.fromMemory(quantized));
    expectClose(predictSinew(ours, x), predictTfjs(reference, x), { rtol: 1e-5, atol: 1e-6 });
    // Dequantized, not the raw float32 weights: the predictions moved (uint8 steps are coarse).
    expect(Math.max(...predictSinew(ours, x).map((v, i) => Math.abs(v - predictTfjs(theirs, x)[i])))).toBeGreaterThan(1e-5);
    ours.dispose();
  });

  it('round trips through file:// (a tfjs model written to disk by sinew, loaded from the folder)', async () => {
    const theirs = tfjsModels['functional two branches'].build();
    const x = { values: randomValues(4 * 12, 9), shape: [4, 3, 4] };
    const ours = await loadLayersModel(io.fromMemory(await tfjsArtifacts(theirs)));
    const dir = join(scratch, 'models', 'functional');
    await ours.save(`file://${dir}`);
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.generatedBy).toBe('sinew 0.1.0');
    expect(json.convertedBy).toBeNull();
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(json.weightsManifest[0].weights.map((w: WeightsManifestEntry) => w.name)).toEqual(ours.weights.map((w) => w.originalName));

    const reloaded = await loadLayersModel(`file://${dir}`);
    expectClose(predictSinew(reloaded, x), predictTfjs(theirs, x), { rtol: 1e-5, atol: 1e-6 });
    const fromJSONPath = await loadLayersModel(`file://${dir}/model.json`);
    expectClose(predictSinew(fromJSONPath, x), predictSinew(reloaded, x), { rtol: 0, atol: 0 });
    for (const m of [ours, reloaded, fromJSONPath]) m.dispose();
  });
});

/** Rewrites each float32 weight i in the storage dtype kinds[i % n] (per-weight min/scale, as the tfjs converter does). */
function quantize(artifacts: ModelArtifacts, kinds: ('uint8' | 'uint16' | 'float16')[]): ModelArtifacts {
  const decoded = decodeWeightValues(artifacts.weightData!, artifacts.weightSpecs!);
  const parts: Uint8Array[] = [];
  const specs: WeightsManifestEntry[] = decoded.map((w, i) => {
    const kind = kinds[i % kinds.length];
    const values = Array.from(w.values);
    if (kind === 'float16') {
      // Round each value to a half exactly representable (|v| < 2 here, so normal halves with 10 fraction bits).
      const halves = new Uint16Array(values.map((v) => halfBits(v)));
      parts.push(new Uint8Array(halves.buffer));
      return { name: w.name, shape: w.shape, dtype: 'float32', quantization: { dtype: 'float16' } };
    }
    const levels = kind === 'uint8' ? 255 : 65535;
    const min = Math.min(...values);
    const scale = (Math.max(...values) - min) / levels || 1;
    const q = values.map((v) => Math.round((v - min) / scale));
    parts.push(kind === 'uint8' ? Uint8Array.from(q) : new Uint8Array(Uint16Array.from(q).buffer));
    return { name: w.name, shape: w.shape, dtype: 'float32', quantization: { dtype: kind, min, scale } };
  });
  const total = parts.reduce((s, p) => s + p.length, 0);
  const data = new Uint8Array(total);
  parts.reduce((offset, p) => (data.set(p, offset), offset + p.length), 0);
  return { ...artifacts, weightSpecs: specs, weightData: data.buffer };
}

/** The half-precision bits nearest to v, for normal-range values (and 0). */
function halfBits(v: number): number {
  if (v === 0) return 0;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  let exponent = Math.floor(Math.log2(a));
  let fraction = Math.round((a / 2 ** exponent - 1) * 1024);
  if (fraction === 1024) {
    fraction = 0;
    exponent++;
  }
  if (exponent < -14 || exponent > 15) throw new Error(`halfBits: ${v} is outside the normal half range this test uses`);
  return sign | ((exponent + 15) << 10) | fraction;
}

describe('sinew → tfjs-layers', () => {
  it('a Sequential model saved by sinew loads in tfjs and predicts the same', async () => {
    const ours = sequential({ layers: [
      layers.dense({ inputShape: [7], units: 10, activation: 'relu' }),
      layers.dropout({ rate: 0.3 }),
      layers.reshape({ targetShape: [2, 5] }),
      layers.flatten(),
      layers.dense({ units: 3, activation: 'softmax', biasInitializer: 'randomNormal' }),
    ] });
    const x = { values: randomValues(6 * 7, 11), shape: [6, 7] };
    const theirs = await tfjs.loadLayersModel(tfjs.io.fromMemory(await sinewArtifacts(ours)));
    expectClose(predictTfjs(theirs, x), predictSinew(ours, x), { rtol: 1e-5, atol: 1e-6 });
    ours.dispose();
  });

  it('a functional model saved by sinew loads in tfjs and predicts the same', async () => {
    const x0 = input({ shape: [4] });
    const hidden = layers.dense({ units: 8, activation: 'tanh' }).apply(x0) as SymbolicTensor;
    const skip = layers.dense({ units: 8, useBias: false }).apply(x0) as SymbolicTensor;
    const joined = layers.concatenate().apply([hidden, skip]) as SymbolicTensor;
    const act = layers.activation({ activation: 'relu' }).apply(joined) as SymbolicTensor;
    const y = layers.dense({ units: 2, activation: 'sigmoid' }).apply(act) as SymbolicTensor;
    const ours = functionalModel({ inputs: x0, outputs: y });
    const x = { values: randomValues(3 * 4, 12), shape: [3, 4] };
    const theirs = await tfjs.loadLayersModel(tfjs.io.fromMemory(await sinewArtifacts(ours)));
    expectClose(predictTfjs(theirs, x), predictSinew(ours, x), { rtol: 1e-5, atol: 1e-6 });
    ours.dispose();
  });
});

describe('loadLayersModel errors', () => {
  /** Removes the weights named `drop` (spec and bytes) from artifacts. */
  function without(artifacts: ModelArtifacts, drop: string): ModelArtifacts {
    const decoded = decodeWeightValues(artifacts.weightData!, artifacts.weightSpecs!).filter((w) => w.name !== drop);
    const { data, specs } = tf.tidy(() => encodeWeights(decoded.map((w) => ({ name: w.name, tensor: tf.tensor(w.values, w.shape, w.dtype) }))));
    return { ...artifacts, weightSpecs: specs, weightData: data };
  }

  it('names missing and extra weights (strict), and tolerates them with {strict: false}', async () => {
    const artifacts = await tfjsArtifacts(tfjsModels['Sequential dense/dropout/activation'].build());
    const kernel = artifacts.weightSpecs![0].name;
    await expect(loadLayersModel(io.fromMemory(without(artifacts, kernel)))).rejects.toThrow(
      `loadLayersModel: 1 of 3 model weights are missing from the IOHandler: ${kernel} (pass {strict: false} to keep their initial values)`,
    );
    const { data, specs } = encodeWeights({ 'stray/kernel': tf.tensor([1, 2]) });
    const extra = { ...artifacts, weightSpecs: [...artifacts.weightSpecs!, ...specs], weightData: [artifacts.weightData as ArrayBuffer, data] };
    await expect(loadLayersModel(io.fromMemory(extra))).rejects.toThrow(/has 1 weight\(s\) the model does not have: stray\/kernel/);

    const before = tf.memory().numTensors;
    const lenient = await loadLayersModel(io.fromMemory(without(extra, kernel)), { strict: false });
    const saved = decodeWeightValues(artifacts.weightData!, artifacts.weightSpecs!);
    const bias = lenient.weights.find((w) => w.originalName === saved[1].name)!;
    expect(Array.from(bias.read().dataSync())).toEqual(Array.from(saved[1].values));
    lenient.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the weight whose shape does not fit, and truncated or missing weight data', async () => {
    const artifacts = await tfjsArtifacts(tfjsModels['Sequential reshape/flatten'].build());
    const specs = artifacts.weightSpecs!.map((s) => ({ ...s, shape: s.shape.slice() }));
    const [kernel] = specs;
    const original = `[${kernel.shape}]`;
    kernel.shape = [kernel.shape[1], kernel.shape[0]];
    await expect(loadLayersModel(io.fromMemory({ ...artifacts, weightSpecs: specs }))).rejects.toThrow(
      `weight '${kernel.name}' in the IOHandler has shape [${kernel.shape}] but the model's is ${original}`,
    );
    const data = artifacts.weightData as ArrayBuffer;
    await expect(loadLayersModel(io.fromMemory({ ...artifacts, weightData: data.slice(0, data.byteLength - 3) }))).rejects.toThrow(
      /weights of the IOHandler is truncated: weight ".*" \(shape \[2\], float32\) needs bytes \d+\.\.\d+ but there are only \d+ bytes/,
    );
    await expect(loadLayersModel(io.fromMemory({ ...artifacts, weightData: undefined }))).rejects.toThrow(/lists 4 weights but has no weight data/);
    await expect(loadLayersModel(io.fromMemory({ weightSpecs: [] }))).rejects.toThrow(/have no modelTopology/);
  });

  it('reports a corrupt model.json on disk with its path', async () => {
    const dir = join(scratch, 'broken-model');
    const ours = sequential({ layers: [layers.dense({ inputShape: [2], units: 1 })] });
    await ours.save(`file://${dir}`);
    ours.dispose();
    const text = await readFile(join(dir, 'model.json'), 'utf8');
    await writeFile(join(dir, 'model.json'), text.replace('"weightsManifest"', '"weights_manifest"'));
    await expect(loadLayersModel(`file://${dir}`)).rejects.toThrow(`${join(dir, 'model.json')}: missing "weightsManifest"`);
    await writeFile(join(dir, 'model.json'), text.slice(0, text.length - 2));
    await expect(loadLayersModel(`file://${dir}`)).rejects.toThrow(`${join(dir, 'model.json')} is not valid JSON at the end`);
  });
});
