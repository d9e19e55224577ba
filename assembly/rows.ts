// Row helpers shared by the softmax and cross-entropy kernels (imported, not exported by the build).

/** Max of one row (NaN propagates, so a NaN row gives NaN outputs). */
export function rowMax(row: usize, cols: i32): f32 {
  let m0 = f32x4.splat(-Infinity), m1 = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 8 <= cols; j += 8) {
    const p = row + (<usize>j << 2);
    m0 = f32x4.max(m0, v128.load(p));
    m1 = f32x4.max(m1, v128.load(p, 16));
  }
  for (; j + 4 <= cols; j += 4) m0 = f32x4.max(m0, v128.load(row + (<usize>j << 2)));
  let m = f32x4.max(m0, m1);
  m = f32x4.max(m, i32x4.shuffle(m, m, 2, 3, 0, 1));
  m = f32x4.max(m, i32x4.shuffle(m, m, 1, 0, 3, 2));
  let result = f32x4.extract_lane(m, 0);
  for (; j < cols; j++) result = max(result, load<f32>(row + (<usize>j << 2)));
  return result;
}
