// assembly/gemm.ts against a plain-JS float64 GEMM. The kernel is compiled here from its own source (not
// from build/), for the plain-SIMD build and, when this Node validates relaxed SIMD (Node 20: `npx vitest run
// --execArgv=--experimental-wasm-relaxed-simd`; NODE_OPTIONS refuses that flag), the relaxed build:
// two different micro-kernels (5x8, 6x8).
import asc from 'assemblyscript/asc';
import { describe, expect, it } from 'vitest';

const COMMON_FLAGS = ['assembly/gemm.ts', '--runtime', 'stub', '--importMemory', '--initialMemory', '32',
  '--memoryBase', '0', '--noAssert', '--use', 'abort=', '-O3'];

async function compileGemm(features: string): Promise<Uint8Array> {
  let binary: Uint8Array | undefined;
  const { error, stderr } = await asc.main([...COMMON_FLAGS, '--enable', features, '-o', 'gemm.wasm'], {
    writeFile: (name: string, contents: Uint8Array) => { if (name.endsWith('.wasm')) binary = contents; },
  });
  if (error || !binary) throw new Error(`asc failed for ${features}: ${error?.message} ${stderr.toString()}`);
  return binary;
}

/** Bump-allocated matrices over one imported memory; the first 64 KiB stay unused, as in the runtime. */
class Harness {
  readonly memory = new WebAssembly.Memory({ initial: 256 });
  exports!: Record<string, any>;
  private top = 0;
  workspace = 0;

  async init(binary: Uint8Array): Promise<this> {
    const { instance } = await WebAssembly.instantiate(binary, { env: { memory: this.memory } });
    this.exports = instance.exports as Record<string, any>;
    this.workspace = 65536;
    this.top = this.workspace + this.exports.gemmWorkspaceBytes();
    return this;
  }
  reset(): void {
    this.top = this.workspace + this.exports.gemmWorkspaceBytes();
  }
  /** Copies values in at a 16-byte aligned pointer, growing memory when needed. */
  put(values: ArrayLike<number>): number {
    const ptr = (this.top + 15) & ~15;
    this.top = ptr + values.length * 4 + 16;
    const needed = Math.ceil(this.top / 65536) - this.memory.buffer.byteLength / 65536;
    if (needed > 0) this.memory.grow(needed);
    new Float32Array(this.memory.buffer, ptr, values.length).set(values);
    return ptr;
  }
  read(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length).slice();
  }
}

function random(n: number, seed: number, scale = 1): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = scale * (state / 4294967296 * 2 - 1);
  }
  return out;
}

/** erf in float64: Maclaurin series below 4 (|terms| < 1e7, so ~1e-9 accurate), ±1 beyond (erfc(4) ≈ 1.5e-8). */
function erf(x: number): number {
  if (Math.abs(x) >= 4) return Math.sign(x);
  let term = x, sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17; n++) {
    term *= -x * x / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const ACTIVATIONS: ((x: number) => number)[] = [
  (x) => x,
  (x) => Math.max(x, 0),
  (x) => Math.min(Math.max(x, 0), 6),
  (x) => 1 / (1 + Math.exp(-x)),
  (x) => Math.tanh(x),
  (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  (x) => (x > 0 ? x : Math.expm1(x)),
];

interface Case {
  batch: number; m: number; n: number; k: number; strideA: number; strideB: number;
  transA: boolean; transB: boolean; bias: boolean; activation: number; accumulate: boolean;
}

/** Plain float64 reference with the kernel's documented semantics. */
function referenceGemm(c: Case, a: Float32Array, b: Float32Array, bias: Float32Array | null,
  cIn: Float32Array): Float64Array {
  const { batch, m, n, k } = c;
  const out = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    const aOff = t * c.strideA, bOff = t * c.strideB;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = c.accumulate ? cIn[(t * m + i) * n + j] : 0;
        for (let p = 0; p < k; p++) {
          const av = c.transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
          const bv = c.transB ? b[bOff + j * k + p] : b[bOff + p * n + j];
          sum += av * bv;
        }
        if (bias) sum += bias[j];
        out[(t * m + i) * n + j] = ACTIVATIONS[c.activation](sum);
      }
    }
  }
  return out;
}

interface Prepared { a: number; b: number; c: number; bias: number; cIn: Float32Array; want: Float64Array }

function prepare(h: Harness, c: Case, seed: number): Prepared {
  h.reset();
  const aCount = (c.strideA === 0 ? 1 : c.batch) * c.m * c.k;
  const bCount = (c.strideB === 0 ? 1 : c.batch) * c.k * c.n;
  const a = random(aCount, seed), b = random(bCount, seed + 1);
  const bias = c.bias ? random(c.n, seed + 2) : null;
  const cIn = random(c.batch * c.m * c.n, seed + 3);
  return {
    a: h.put(a), b: h.put(b), c: h.put(cIn), bias: bias ? h.put(bias) : 0, cIn,
    want: referenceGemm(c, a, b, bias, cIn),
  };
}

function callGemm(h: Harness, c: Case, p: Prepared, start: number, end: number): void {
  h.exports.gemm(p.a, p.b, p.c, p.bias, c.m, c.n, c.k, c.strideA, c.strideB, c.transA ? 1 : 0,
    c.transB ? 1 : 0, c.activation, c.accumulate ? 1 : 0, h.workspace, start, end);
}

function expectMatches(got: Float32Array, want: Float64Array, k: number, label: string): void {
  const tolerance = 1e-5 * Math.sqrt(Math.max(k, 1));
  for (let i = 0; i < want.length; i++) {
    const diff = Math.abs(got[i] - want[i]);
    if (!(diff <= tolerance * (1 + Math.abs(want[i])))) {
      expect.fail(`${label}: element ${i} got ${got[i]}, want ${want[i]} (diff ${diff})`);
    }
  }
}

function check(h: Harness, partial: Partial<Case>, seed = 1): void {
  const c: Case = {
    batch: 1, m: 1, n: 1, k: 1, strideA: 0, strideB: 0, transA: false, transB: false, bias: false,
    activation: 0, accumulate: false, ...partial,
  };
  if (partial.strideA === undefined && c.batch > 1) c.strideA = c.m * c.k;
  if (partial.strideB === undefined && c.batch > 1) c.strideB = c.k * c.n;
  const p = prepare(h, c, seed);
  callGemm(h, c, p, 0, c.batch * c.m);
  expectMatches(h.read(p.c, c.batch * c.m * c.n), p.want, c.k, JSON.stringify(c));
}

const SIZES = [1, 3, 5, 6, 7, 8, 17, 127, 129, 513];
const TRANSPOSES: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];

const plainBinary = await compileGemm('simd');
const relaxedBinary = await compileGemm('simd,relaxed-simd');
const builds: { name: string; binary: Uint8Array; microRows: number }[] = [
  { name: 'st (f32x4 mul+add)', binary: plainBinary, microRows: 5 },
];
if (WebAssembly.validate(relaxedBinary)) {
  builds.push({ name: 'st-relaxed (relaxed_madd)', binary: relaxedBinary, microRows: 6 });
} else {
  console.warn('gemm-kernel: relaxed SIMD does not validate here; run vitest with --execArgv=--experimental-wasm-relaxed-simd');
}

for (const build of builds) {
  describe(`gemm kernel, ${build.name}`, () => {
    let h: Harness;
    it('compiles and reports its micro-tile and workspace', async () => {
      h = await new Harness().init(build.binary);
      expect(h.exports.gemmMicroRows()).toBe(build.microRows);
      expect(h.exports.gemmWorkspaceBytes()).toBeGreaterThanOrEqual(256 * 8 * 4);
    });

    it('all four transpose combinations over edge shapes', () => {
      let seed = 10;
      for (const [transA, transB] of TRANSPOSES) {
        // Every size appears as m, as n and as k; products stay small.
        for (const s of SIZES) {
          const other = s > 100 ? 7 : 19;
          check(h, { m: s, n: other, k: other + 2, transA, transB }, seed++);
          check(h, { m: other, n: s, k: 5, transA, transB }, seed++);
          check(h, { m: 6, n: other - 2, k: s, transA, transB }, seed++);
        }
        check(h, { m: 129, n: 127, k: 513, transA, transB }, seed++);
      }
    });

    it('crosses the column block (n > 2048) and depth blocks (k > 512)', () => {
      check(h, { m: 7, n: 2100, k: 3 }, 40);
      check(h, { m: 13, n: 2053, k: 600, transB: true, bias: true, activation: 1 }, 41);
      // Vectorized packing (4×4 transposes) with every k tail, and from the second depth block on.
      for (const [transA, transB] of TRANSPOSES) {
        for (const k of [4, 8, 9, 14, 515, 1027]) check(h, { m: 17, n: 19, k, transA, transB }, 42 + k);
      }
    });

    it('batches with own matrices, a broadcast A and a broadcast B', () => {
      for (const [transA, transB] of TRANSPOSES) {
        check(h, { batch: 3, m: 7, n: 9, k: 11, transA, transB }, 50);
        check(h, { batch: 3, m: 7, n: 9, k: 11, strideA: 0, transA, transB }, 51);
        check(h, { batch: 4, m: 5, n: 10, k: 13, strideB: 0, transA, transB }, 52);
        check(h, { batch: 2, m: 3, n: 4, k: 6, strideA: 0, strideB: 0, transA, transB }, 53);
      }
    });

    it('accumulates into C, adds bias, applies every activation', () => {
      for (let activation = 0; activation < ACTIVATIONS.length; activation++) {
        for (const accumulate of [false, true]) {
          // n = 13: one full 8-wide SIMD tile plus a scalar edge, so both epilogue paths run.
          check(h, { batch: 2, m: 9, n: 13, k: 40, bias: true, activation, accumulate }, 60 + activation);
          check(h, { m: 4, n: 16, k: 300, bias: false, activation, accumulate, transA: true }, 70 + activation);
        }
      }
    });

    it('activations hold far into both tails (inputs up to ±30)', () => {
      for (let activation = 3; activation < ACTIVATIONS.length; activation++) {
        const c: Case = { batch: 1, m: 8, n: 12, k: 1, strideA: 0, strideB: 0, transA: false, transB: false,
          bias: false, activation, accumulate: false };
        h.reset();
        const a = random(8, 80, 6), b = random(12, 81, 5);
        const p = { a: h.put(a), b: h.put(b), c: h.put(new Float32Array(96)), bias: 0 };
        callGemm(h, c, { ...p, cIn: new Float32Array(96), want: new Float64Array(0) }, 0, 8);
        const want = referenceGemm(c, a, b, null, new Float32Array(96));
        const got = h.read(p.c, 96);
        for (let i = 0; i < 96; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(2e-6 * (1 + Math.abs(want[i])));
      }
    });

    it('k = 0 leaves bias, accumulate and activation', () => {
      check(h, { m: 7, n: 11, k: 0, bias: true, activation: 3 }, 90);
      check(h, { batch: 2, m: 7, n: 11, k: 0, bias: true, accumulate: true, activation: 1 }, 91);
    });

    it('split row ranges (aligned, misaligned, mid-batch) give exactly the one-call result', () => {
      for (const [transA, transB] of TRANSPOSES) {
        for (const strideB of [undefined, 0]) {
          const c: Case = { batch: 3, m: 13, n: 21, k: 37, strideA: 13 * 37, strideB: strideB ?? 37 * 21,
            transA, transB, bias: true, activation: 5, accumulate: true };
          const total = c.batch * c.m;
          const p = prepare(h, c, 100);
          callGemm(h, c, p, 0, total);
          const whole = h.read(p.c, total * c.n);
          expectMatches(whole, p.want, c.k, 'one call');
          for (const cuts of [[0, 6, 12, 18, 24, 30, 36, 39], [0, 7, 20, 39], [0, 1, 2, 14, 25, 26, 38, 39]]) {
            new Float32Array(h.memory.buffer, p.c, total * c.n).set(p.cIn);
            for (let i = 0; i + 1 < cuts.length; i++) callGemm(h, c, p, cuts[i], cuts[i + 1]);
            expect(h.read(p.c, total * c.n)).toEqual(whole);
          }
        }
      }
    });
  });
}
