// Layer normalization over the last axis, forward and backward.
//   x, y, dy, dx: [rows, cols]    gamma, beta, dgamma, dbeta: [cols] (pointer 0 = absent)    mean, rstd: [rows]
//   y = (x - mean) · rstd · gamma + beta,   rstd = 1 / sqrt(var + epsilon), var the biased row variance
// Backward with x̂ = (x - mean)·rstd and g = dy·gamma:
//   dx = rstd · (g - mean(g) - x̂ · mean(g·x̂))    dgamma = Σrows dy·x̂    dbeta = Σrows dy
import { madd } from './vmath';

// @ts-ignore: decorator
@inline function horizontalSum(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** Σ x over a row. */
// @ts-ignore: decorator
@inline function rowSum(x: usize, cols: i32): f32 {
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= cols; j += 4) acc = f32x4.add(acc, v128.load(x + (<usize>j << 2)));
  let sum = horizontalSum(acc);
  for (; j < cols; j++) sum += load<f32>(x + (<usize>j << 2));
  return sum;
}

/** Σ (x - mean)² over a row: the second pass keeps the variance accurate when |mean| >> std. */
// @ts-ignore: decorator
@inline function rowSquaredDeviation(x: usize, cols: i32, mean: f32): f32 {
  const vm = f32x4.splat(mean);
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const d = f32x4.sub(v128.load(x + (<usize>j << 2)), vm);
    acc = madd(d, d, acc);
  }
  let sum = horizontalSum(acc);
  for (; j < cols; j++) {
    const d = load<f32>(x + (<usize>j << 2)) - mean;
    sum += d * d;
  }
  return sum;
}

/** y = layerNorm(x) per row; also stores each row's mean and rstd for the backward. Units: rows. */
export function layerNorm(
  x: usize, gamma: usize, beta: usize, y: usize, mean: usize, rstd: usize, cols: i32, epsilon: f32,
  start: i32, end: i32,
): void {
  const invCols: f32 = 1.0 / <f32>cols;
  for (let r = start; r < end; r++) {
    const rowOffset = <usize>r * <usize>cols << 2;
    const xr = x + rowOffset;
    const yr = y + rowOffset;
    const m = rowSum(xr, cols) * invCols;
    const s: f32 = 1.0 / Mathf.sqrt(rowSquaredDeviation(xr, cols, m) * invCols + epsilon);
    store<f32>(mean + (<usize>r << 2), m);
    store<f32>(rstd + (<usize>r << 2), s);
    const vm = f32x4.splat(m);
    const vs = f32x4.splat(s);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const offset = <usize>j << 2;
      let v = f32x4.mul(f32x4.sub(v128.load(xr + offset), vm), vs);
      if (gamma) v = f32x4.mul(v, v128.load(gamma + offset));
      if (beta) v = f32x4.add(v, v128.load(beta + offset));
      v128.store(yr + offset, v);
    }
    for (; j < cols; j++) {
      const offset = <usize>j << 2;
      let v = (load<f32>(xr + offset) - m) * s;
      if (gamma) v *= load<f32>(gamma + offset);
      if (beta) v += load<f32>(beta + offset);
      store<f32>(yr + offset, v);
    }
  }
}

/** dx per row from x, dy and the saved mean/rstd (gamma 0 = all ones). Units: rows. */
export function layerNormGradInput(
  x: usize, dy: usize, gamma: usize, mean: usize, rstd: usize, dx: usize, cols: i32, start: i32, end: i32,
): void {
  const invCols: f32 = 1.0 / <f32>cols;
  for (let r = start; r < end; r++) {
    const rowOffset = <usize>r * <usize>cols << 2;
    const xr = x + rowOffset;
    const dyr = dy + rowOffset;
    const dxr = dx + rowOffset;
    const m = load<f32>(mean + (<usize>r << 2));
    const s = load<f32>(rstd + (<usize>r << 2));
    const vm = f32x4.splat(m);
    const vs = f32x4.splat(s);
    // Pass 1: Σ g and Σ g·x̂.
    let sumG = f32x4.splat(0);
    let sumGX = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const offset = <usize>j << 2;
      let g = v128.load(dyr + offset);
      if (gamma) g = f32x4.mul(g, v128.load(gamma + offset));
      const xhat = f32x4.mul(f32x4.sub(v128.load(xr + offset), vm), vs);
      sumG = f32x4.add(sumG, g);
      sumGX = madd(g, xhat, sumGX);
    }
    let totalG = horizontalSum(sumG);
    let totalGX = horizontalSum(sumGX);
    for (; j < cols; j++) {
      const offset = <usize>j << 2;
      let g = load<f32>(dyr + offset);
      if (gamma) g *= load<f32>(gamma + offset);
      totalG += g;
      totalGX += g * (load<f32>(xr + offset) - m) * s;
    }
    const meanG = totalG * invCols;
    const meanGX = totalGX * invCols;
    // Pass 2: dx = rstd · (g - mean(g) - x̂·mean(g·x̂)).
    const vMeanG = f32x4.splat(meanG);
    const vMeanGX = f32x4.splat(meanGX);
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const offset = <usize>j << 2;
      let g = v128.load(dyr + offset);
      if (gamma) g = f32x4.mul(g, v128.load(gamma + offset));
      const xhat = f32x4.mul(f32x4.sub(v128.load(xr + offset), vm), vs);
      const centered = f32x4.sub(f32x4.sub(g, vMeanG), f32x4.mul(xhat, vMeanGX));
      v128.store(dxr + offset, f32x4.mul(centered, vs));
    }
    for (; j < cols; j++) {
      const offset = <usize>j << 2;
      let g = load<f32>(dyr + offset);
      if (gamma) g *= load<f32>(gamma + offset);
      const xhat = (load<f32>(xr + offset) - m) * s;
      store<f32>(dxr + offset, (g - meanG - xhat * meanGX) * s);
    }
  }
}

/**
 * dgamma and dbeta (either pointer may be 0) summed over all rows, for the columns [start, end). Units:
 * columns, so threads own disjoint slices of the sums and need no reduction afterwards.
 */
export function layerNormGradParams(
  x: usize, dy: usize, mean: usize, rstd: usize, dgamma: usize, dbeta: usize, rows: i32, cols: i32,
  start: i32, end: i32,
): void {
  for (let j = start; j < end; j++) {
    if (dgamma) store<f32>(dgamma + (<usize>j << 2), 0);
    if (dbeta) store<f32>(dbeta + (<usize>j << 2), 0);
  }
  for (let r = 0; r < rows; r++) {
    const rowOffset = <usize>r * <usize>cols << 2;
    const xr = x + rowOffset;
    const dyr = dy + rowOffset;
    const m = load<f32>(mean + (<usize>r << 2));
    const s = load<f32>(rstd + (<usize>r << 2));
    const vm = f32x4.splat(m);
    const vs = f32x4.splat(s);
    let j = start;
    for (; j + 4 <= end; j += 4) {
      const offset = <usize>j << 2;
      const g = v128.load(dyr + offset);
      if (dgamma) {
        const xhat = f32x4.mul(f32x4.sub(v128.load(xr + offset), vm), vs);
        v128.store(dgamma + offset, madd(g, xhat, v128.load(dgamma + offset)));
      }
      if (dbeta) v128.store(dbeta + offset, f32x4.add(v128.load(dbeta + offset), g));
    }
    for (; j < end; j++) {
      const offset = <usize>j << 2;
      const g = load<f32>(dyr + offset);
      if (dgamma) store<f32>(dgamma + offset, load<f32>(dgamma + offset) + g * (load<f32>(xr + offset) - m) * s);
      if (dbeta) store<f32>(dbeta + offset, load<f32>(dbeta + offset) + g);
    }
  }
}
