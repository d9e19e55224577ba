// Register tiles shared by the attention kernels (assembly/attention.ts, assembly/attention-backward.ts). Not
// re-exported by index.ts: everything here is inlined into the kernels.
//   "lanes": 8 rows of one operand (queries in the forward and dq, keys in dk/dv) packed transposed as
//   [depth][8], so a tile of the other operand's rows times them gives a [rows][8] block with one f32x4 pair
//   per row, and softmax statistics of the 8 lane rows are plain vector math.
import { microKernel6x8 } from './micro-kernels';
import { madd } from './vmath';

/** The score of a masked pair, as Keras adds: no probability next to an unmasked key; all equal when every key is masked. */
export const MASKED_SCORE: f32 = -1e9;
/** Rows per block (queries in the forward and dq, keys in dk/dv): the lanes of two f32x4. */
export const LANES: i32 = 8;
/** Rows per register tile of multiplyLanes: 6 rows × 8 lanes = 12 accumulators (the GEMM's 6×8 tile). */
export const TILE_ROWS: i32 = 6;

/** Rows of a [tile][8] product: the tile rounded up to whole register tiles. */
// @ts-ignore: decorator
@inline export function paddedTile(keyTile: i32): i32 {
  return (keyTile + TILE_ROWS - 1) / TILE_ROWS * TILE_ROWS;
}

// @ts-ignore: decorator
@inline export function vec4(a: f32, b: f32, c: f32, d: f32): v128 {
  let v = f32x4.splat(a);
  v = f32x4.replace_lane(v, 1, b);
  v = f32x4.replace_lane(v, 2, c);
  return f32x4.replace_lane(v, 3, d);
}

/** o += w0·x0 + w1·x1 + w2·x2 + w3·x3 over n floats, w = the lanes of `weights`. */
// @ts-ignore: decorator
@inline export function accumulate4(o: usize, weights: v128, x0: usize, x1: usize, x2: usize, x3: usize, n: i32): void {
  const w0 = i32x4.shuffle(weights, weights, 0, 0, 0, 0);
  const w1 = i32x4.shuffle(weights, weights, 1, 1, 1, 1);
  const w2 = i32x4.shuffle(weights, weights, 2, 2, 2, 2);
  const w3 = i32x4.shuffle(weights, weights, 3, 3, 3, 3);
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    const offset = <usize>d << 2;
    let acc = v128.load(o + offset);
    acc = madd(w0, v128.load(x0 + offset), acc);
    acc = madd(w1, v128.load(x1 + offset), acc);
    acc = madd(w2, v128.load(x2 + offset), acc);
    acc = madd(w3, v128.load(x3 + offset), acc);
    v128.store(o + offset, acc);
  }
  if (d < n) {
    const s0 = f32x4.extract_lane(weights, 0);
    const s1 = f32x4.extract_lane(weights, 1);
    const s2 = f32x4.extract_lane(weights, 2);
    const s3 = f32x4.extract_lane(weights, 3);
    for (; d < n; d++) {
      const offset = <usize>d << 2;
      store<f32>(o + offset, load<f32>(o + offset) + s0 * load<f32>(x0 + offset) + s1 * load<f32>(x1 + offset)
        + s2 * load<f32>(x2 + offset) + s3 * load<f32>(x3 + offset));
    }
  }
}

// @ts-ignore: decorator
@inline export function scaleRow(o: usize, factor: f32, n: i32): void {
  const vf = f32x4.splat(factor);
  let d = 0;
  for (; d + 4 <= n; d += 4) v128.store(o + (<usize>d << 2), f32x4.mul(v128.load(o + (<usize>d << 2)), vf));
  for (; d < n; d++) store<f32>(o + (<usize>d << 2), load<f32>(o + (<usize>d << 2)) * factor);
}

/** True when query i may not attend key j (causal or the mask says 0). maskRow already points at query i. */
// @ts-ignore: decorator
@inline export function isMasked(causal: i32, i: i32, j: i32, maskRow: usize, maskStrideKey: i32): bool {
  if (causal && j > i) return true;
  return maskRow != 0 && load<f32>(maskRow + (<usize>(j * maskStrideKey) << 2)) == 0;
}

/** [D][8] = rows r0…r0+rows-1 (stride D) transposed, times factor; lanes past `rows` repeat the last row. */
// @ts-ignore: decorator
@inline export function packLanes(rowsAt: usize, depth: i32, rows: i32, factor: f32, packed: usize): void {
  const rowBytes = <usize>depth << 2;
  for (let t = 0; t < LANES; t++) {
    const row = rowsAt + <usize>min(t, rows - 1) * rowBytes;
    for (let d = 0; d < depth; d++) store<f32>(packed + (<usize>(d * LANES + t) << 2), load<f32>(row + (<usize>d << 2)) * factor);
  }
}

/**
 * product [count][8] = tile rows [count][depth] · packed lanes [depth][8], 6 rows × 8 lanes of accumulators at
 * a time (row pointers past the tile repeat its last row; those product rows are written but never read).
 */
// @ts-ignore: decorator
@inline export function multiplyLanes(packedLanes: usize, tileRows: usize, depth: i32, count: i32, product: usize): void {
  const keyBytes = <usize>depth << 2;
  const lastKey = tileRows + <usize>(count - 1) * keyBytes;
  for (let c = 0; c < count; c += TILE_ROWS) {
    const k0 = tileRows + <usize>c * keyBytes;
    const k1 = min(k0 + keyBytes, lastKey), k2 = min(k0 + 2 * keyBytes, lastKey), k3 = min(k0 + 3 * keyBytes, lastKey);
    const k4 = min(k0 + 4 * keyBytes, lastKey), k5 = min(k0 + 5 * keyBytes, lastKey);
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let c40 = f32x4.splat(0), c41 = f32x4.splat(0), c50 = f32x4.splat(0), c51 = f32x4.splat(0);
    let bp = packedLanes;
    for (let d: usize = 0; d < keyBytes; d += 4) {
      const b0 = v128.load(bp);
      const b1 = v128.load(bp, 16);
      let av = v128.load32_splat(k0 + d);
      c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
      av = v128.load32_splat(k1 + d);
      c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
      av = v128.load32_splat(k2 + d);
      c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
      av = v128.load32_splat(k3 + d);
      c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
      av = v128.load32_splat(k4 + d);
      c40 = madd(av, b0, c40); c41 = madd(av, b1, c41);
      av = v128.load32_splat(k5 + d);
      c50 = madd(av, b0, c50); c51 = madd(av, b1, c51);
      bp += 32;
    }
    const s = product + (<usize>(c * LANES) << 2);
    v128.store(s, c00); v128.store(s, c01, 16);
    v128.store(s, c10, 32); v128.store(s, c11, 48);
    v128.store(s, c20, 64); v128.store(s, c21, 80);
    v128.store(s, c30, 96); v128.store(s, c31, 112);
    v128.store(s, c40, 128); v128.store(s, c41, 144);
    v128.store(s, c50, 160); v128.store(s, c51, 176);
  }
}

/** K of one head [Tk][Dk] as panels of 6 keys, each [Dk][6] (keys past Tk repeat the last): the A operand of multiplyPanels. */
// @ts-ignore: decorator
@inline export function packKeyPanels(keys: usize, keyLength: i32, keyDim: i32, panels: usize): void {
  const keyBytes = <usize>keyDim << 2;
  const panelCount = (keyLength + TILE_ROWS - 1) / TILE_ROWS;
  let out = panels;
  for (let p = 0; p < panelCount; p++) {
    for (let d = 0; d < keyDim; d++) {
      for (let i = 0; i < TILE_ROWS; i++) {
        const key = min(p * TILE_ROWS + i, keyLength - 1);
        store<f32>(out, load<f32>(keys + <usize>key * keyBytes + (<usize>d << 2)));
        out += 4;
      }
    }
  }
}

/** product [count][8] = key panels [count/6][depth][6] · packed lanes [depth][8], as multiplyLanes without strided loads. */
// @ts-ignore: decorator
@inline export function multiplyPanels(packedLanes: usize, panels: usize, depth: i32, count: i32, product: usize): void {
  // Each 6-key panel times the lanes is exactly the GEMM's 6×8 micro-tile (A panel [depth][6], B panel [depth][8]).
  const panelBytes = <usize>(depth * TILE_ROWS) << 2;
  let a = panels;
  for (let c = 0; c < count; c += TILE_ROWS) {
    microKernel6x8(a, packedLanes, depth, product + (<usize>(c * LANES) << 2));
    a += panelBytes;
  }
}

/**
 * out rows first…first+3 (of the lane rows) = out·rowScale + weightsᵀ·values over `count` tile rows: weights
 * [count][8] (lane t of row j weighs values row j into out row t), 4 lanes × 8 columns of accumulators, then
 * 4 columns, then 1. Lanes past `rows` must hold copies of the last lane (weights and scale): they compute
 * the last row's result again and store it to the same place.
 */
// @ts-ignore: decorator
@inline export function accumulateLanes(
  probabilitiesT: usize, rowScale: usize, first: i32, rows: i32, count: i32, values: usize, valueDim: i32, outBlock: usize,
): void {
  const valueBytes = <usize>valueDim << 2;
  const t0 = <usize>first, t1 = <usize>min(first + 1, rows - 1), t2 = <usize>min(first + 2, rows - 1), t3 = <usize>min(first + 3, rows - 1);
  const o0 = outBlock + t0 * valueBytes, o1 = outBlock + t1 * valueBytes;
  const o2 = outBlock + t2 * valueBytes, o3 = outBlock + t3 * valueBytes;
  // Lanes past `rows` hold copies of the last lane, so lanes first…first+3 are read at fixed offsets.
  const lanes = probabilitiesT + (t0 << 2);
  const scales = rowScale + (t0 << 2);
  const s0 = v128.load32_splat(scales), s1 = v128.load32_splat(scales, 4);
  const s2 = v128.load32_splat(scales, 8), s3 = v128.load32_splat(scales, 12);
  const pStep = <usize>(LANES << 2);
  let col = 0;
  for (; col + 8 <= valueDim; col += 8) {
    const off = <usize>col << 2;
    let c00 = f32x4.mul(v128.load(o0 + off), s0), c01 = f32x4.mul(v128.load(o0 + off, 16), s0);
    let c10 = f32x4.mul(v128.load(o1 + off), s1), c11 = f32x4.mul(v128.load(o1 + off, 16), s1);
    let c20 = f32x4.mul(v128.load(o2 + off), s2), c21 = f32x4.mul(v128.load(o2 + off, 16), s2);
    let c30 = f32x4.mul(v128.load(o3 + off), s3), c31 = f32x4.mul(v128.load(o3 + off, 16), s3);
    let vp = values + off;
    let pj = lanes;
    for (let j = 0; j < count; j++) {
      const b0 = v128.load(vp);
      const b1 = v128.load(vp, 16);
      let av = v128.load32_splat(pj);
      c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
      av = v128.load32_splat(pj, 4);
      c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
      av = v128.load32_splat(pj, 8);
      c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
      av = v128.load32_splat(pj, 12);
      c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
      vp += valueBytes;
      pj += pStep;
    }
    v128.store(o0 + off, c00); v128.store(o0 + off, c01, 16);
    v128.store(o1 + off, c10); v128.store(o1 + off, c11, 16);
    v128.store(o2 + off, c20); v128.store(o2 + off, c21, 16);
    v128.store(o3 + off, c30); v128.store(o3 + off, c31, 16);
  }
  for (; col + 4 <= valueDim; col += 4) {
    const off = <usize>col << 2;
    let c0 = f32x4.mul(v128.load(o0 + off), s0), c1 = f32x4.mul(v128.load(o1 + off), s1);
    let c2 = f32x4.mul(v128.load(o2 + off), s2), c3 = f32x4.mul(v128.load(o3 + off), s3);
    let vp = values + off;
    let pj = lanes;
    for (let j = 0; j < count; j++) {
      const b0 = v128.load(vp);
      c0 = madd(v128.load32_splat(pj), b0, c0);
      c1 = madd(v128.load32_splat(pj, 4), b0, c1);
      c2 = madd(v128.load32_splat(pj, 8), b0, c2);
      c3 = madd(v128.load32_splat(pj, 12), b0, c3);
      vp += valueBytes;
      pj += pStep;
    }
    v128.store(o0 + off, c0); v128.store(o1 + off, c1); v128.store(o2 + off, c2); v128.store(o3 + off, c3);
  }
  for (; col < valueDim; col++) {
    const off = <usize>col << 2;
    for (let t = first; t < min(first + 4, rows); t++) {
      const outAt = outBlock + <usize>t * valueBytes + off;
      let acc = load<f32>(outAt) * load<f32>(rowScale + (<usize>t << 2));
      for (let j = 0; j < count; j++) {
        acc += load<f32>(probabilitiesT + (<usize>(j * LANES + t) << 2)) * load<f32>(values + <usize>j * valueBytes + off);
      }
      store<f32>(outAt, acc);
    }
  }
}

