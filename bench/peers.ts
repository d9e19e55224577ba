// Setting up the peers sinew is measured against (facts in /work/shared/PEERS.md): tfjs on its cpu and wasm
// backends, onnxruntime-web on wasm. Also runnable as a child process for onnxruntime-web, whose thread
// count is fixed when it initializes (one count per process) and whose workers spin while alive:
//   npx tsx bench/peers.ts ort-matmul <threads> <N,N,...> <timeMs>   → prints one JSON line of medians
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);

/** Version of an installed package, read from its package.json (works when "exports" hides it). */
export function packageVersion(name: string): string {
  let dir = dirname(require.resolve(name));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.name === name) return pkg.version;
    } catch { /* not at this level */ }
    dir = dirname(dir);
  }
  return 'unknown';
}

/** The combined tfjs package with the wasm backend registered (threads stay off in Node). */
export async function loadTfjs(): Promise<typeof import('@tensorflow/tfjs')> {
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-wasm');
  return tf;
}

// ---- a one-node ONNX MatMul model, hand-encoded as protobuf ----

const VARINT = 0, BYTES = 2;

function varint(value: number): number[] {
  const out: number[] = [];
  while (value > 0x7f) { out.push((value & 0x7f) | 0x80); value = Math.floor(value / 128); }
  out.push(value);
  return out;
}
function field(number: number, wireType: number, payload: number[] | number): number[] {
  const key = varint((number << 3) | wireType);
  if (wireType === VARINT) return [...key, ...varint(payload as number)];
  const bytes = payload as number[];
  return [...key, ...varint(bytes.length), ...bytes];
}
const text = (s: string) => [...new TextEncoder().encode(s)];

/** ValueInfoProto: a float tensor of the given shape. */
function floatTensorInfo(name: string, shape: number[]): number[] {
  const dims = shape.flatMap((d) => field(1, BYTES, field(1, VARINT, d)));   // Dimension.dim_value
  const tensorType = [...field(1, VARINT, 1 /* FLOAT */), ...field(2, BYTES, dims)];
  return [...field(1, BYTES, text(name)), ...field(2, BYTES, field(1, BYTES, tensorType))];
}

/** ModelProto for C[m,n] = A[m,k]·B[k,n] (ir_version 8, opset 13). */
export function onnxMatMulModel(m: number, k: number, n: number): Uint8Array {
  const node = [...field(1, BYTES, text('A')), ...field(1, BYTES, text('B')), ...field(2, BYTES, text('C')),
    ...field(4, BYTES, text('MatMul'))];
  const graph = [...field(1, BYTES, node), ...field(2, BYTES, text('matmul')),
    ...field(11, BYTES, floatTensorInfo('A', [m, k])), ...field(11, BYTES, floatTensorInfo('B', [k, n])),
    ...field(12, BYTES, floatTensorInfo('C', [m, n]))];
  const opset = [...field(1, BYTES, []), ...field(2, VARINT, 13)];
  return new Uint8Array([...field(1, VARINT, 8), ...field(7, BYTES, graph), ...field(8, BYTES, opset)]);
}

/** Median latency (ms) of square N×N matMul per N, onnxruntime-web wasm with `threads` threads. */
export async function measureOrtMatMul(threads: number, sizes: number[], timeMs: number): Promise<Record<number, number>> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  const medians: Record<number, number> = {};
  for (const n of sizes) {
    const session = await ort.InferenceSession.create(onnxMatMulModel(n, n, n), { executionProviders: ['wasm'] });
    const feeds = {
      A: new ort.Tensor('float32', Float32Array.from({ length: n * n }, () => Math.random() - 0.5), [n, n]),
      B: new ort.Tensor('float32', Float32Array.from({ length: n * n }, () => Math.random() - 0.5), [n, n]),
    };
    const bench = new Bench({ time: timeMs, iterations: 3, warmupIterations: 2, warmupTime: 50 });
    bench.add('ort', async () => { await session.run(feeds); });
    await bench.run();
    medians[n] = (bench.tasks[0].result as any).latency.p50;
    await session.release();
  }
  return medians;
}

/** Runs measureOrtMatMul in a child process (its threads and spinning workers leave with it). */
export function ortMatMulInChild(threads: number, sizes: number[], timeMs: number): Record<number, number> | string {
  const script = fileURLToPath(import.meta.url);
  try {
    const out = execFileSync(process.execPath, [...process.execArgv, script, 'ort-matmul', String(threads),
      sizes.join(','), String(timeMs)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
    const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    return line ? JSON.parse(line) : `no result (${out.slice(-200)})`;
  } catch (error) {
    return `failed: ${error instanceof Error ? error.message.slice(0, 300) : error}`;
  }
}

if (process.argv[2] === 'ort-matmul' && process.argv[1] === fileURLToPath(import.meta.url)) {
  const [threads, sizes, timeMs] = [Number(process.argv[3]), process.argv[4].split(',').map(Number), Number(process.argv[5])];
  const medians = await measureOrtMatMul(threads, sizes, timeMs);
  console.log(JSON.stringify(medians));
  process.exit(0);
}
