// Transposes of 4-byte elements.
//   transpose:   any permutation. meta = outShape (rank i32s), then the input strides permuted into output
//                order (rank i32s). Units: output elements.
//   transpose2d: x [batch, rows, cols] → out [batch, cols, rows] with 4x4 SIMD shuffles inside cache tiles.
//                Units: output rows (batch * cols of them).

/** Output rows per tile (16 input columns = one 64-byte line of each input row). */
const TILE_OUT_ROWS = 16;
/** Output columns per tile (input rows). */
const TILE_OUT_COLS = 64;

export function transpose(x: usize, out: usize, rank: i32, meta: usize, start: i32, end: i32): void {
  const last = rank - 1;
  const inner = load<i32>(meta + (<usize>last << 2));
  const innerStride = load<i32>(meta + (<usize>(rank + last) << 2));
  let i = start;
  while (i < end) {
    let row = i / inner;
    const col = i - row * inner;
    let offset = col * innerStride;
    for (let d = last - 1; d >= 0; d--) {
      const size = load<i32>(meta + (<usize>d << 2));
      const next = row / size;
      offset += (row - next * size) * load<i32>(meta + (<usize>(rank + d) << 2));
      row = next;
    }
    const n = min(inner - col, end - i);
    const src = x + (<usize>offset << 2);
    const dst = out + (<usize>i << 2);
    if (innerStride == 1) {
      memory.copy(dst, src, <usize>n << 2);
    } else {
      const step = <usize>innerStride << 2;
      for (let k = 0; k < n; k++) store<i32>(dst + (<usize>k << 2), load<i32>(src + <usize>k * step));
    }
    i += n;
  }
}

/** out rows j..j+3, columns i..i+3 from the 4x4 block of x at rows i..i+3, columns j..j+3. */
// @ts-ignore: decorator
@inline function transpose4x4(src: usize, srcRowBytes: usize, dst: usize, dstRowBytes: usize): void {
  const r0 = v128.load(src);
  const r1 = v128.load(src + srcRowBytes);
  const r2 = v128.load(src + 2 * srcRowBytes);
  const r3 = v128.load(src + 3 * srcRowBytes);
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + dstRowBytes, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * dstRowBytes, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * dstRowBytes, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/** Output rows [j0, j1) of one matrix: out[j, i] = x[i, j] for every input row i. */
function transposeBlock(x: usize, out: usize, rows: i32, cols: i32, j0: i32, j1: i32): void {
  const xRowBytes = <usize>cols << 2;
  const outRowBytes = <usize>rows << 2;
  for (let jb = j0; jb < j1; jb += TILE_OUT_ROWS) {
    const jbEnd = min(jb + TILE_OUT_ROWS, j1);
    for (let ib = 0; ib < rows; ib += TILE_OUT_COLS) {
      const ibEnd = min(ib + TILE_OUT_COLS, rows);
      let j = jb;
      for (; j + 4 <= jbEnd; j += 4) {
        let i = ib;
        for (; i + 4 <= ibEnd; i += 4) {
          transpose4x4(x + <usize>i * xRowBytes + (<usize>j << 2), xRowBytes, out + <usize>j * outRowBytes + (<usize>i << 2), outRowBytes);
        }
        for (; i < ibEnd; i++) {
          const src = x + <usize>i * xRowBytes + (<usize>j << 2);
          const dst = out + <usize>j * outRowBytes + (<usize>i << 2);
          store<i32>(dst, load<i32>(src));
          store<i32>(dst + outRowBytes, load<i32>(src, 4));
          store<i32>(dst + 2 * outRowBytes, load<i32>(src, 8));
          store<i32>(dst + 3 * outRowBytes, load<i32>(src, 12));
        }
      }
      for (; j < jbEnd; j++) {
        const dst = out + <usize>j * outRowBytes;
        for (let i = ib; i < ibEnd; i++) store<i32>(dst + (<usize>i << 2), load<i32>(x + <usize>i * xRowBytes + (<usize>j << 2)));
      }
    }
  }
}

export function transpose2d(x: usize, out: usize, batch: i32, rows: i32, cols: i32, start: i32, end: i32): void {
  const matrixBytes = <usize>rows * <usize>cols << 2;
  let u = start;
  while (u < end) {
    const b = u / cols;
    const j0 = u - b * cols;
    const j1 = min(cols, j0 + (end - u));
    transposeBlock(x + <usize>b * matrixBytes, out + <usize>b * matrixBytes, rows, cols, j0, j1);
    u += j1 - j0;
  }
}
