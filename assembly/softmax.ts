// Row softmax / log-softmax and their backward, numerically stable (the row max is subtracted first).
// x, y, dy, dx: [rows, cols] float32. Units of start/end: rows.
import { expV, logV } from './vmath';
import { rowMax } from './rows';

// @ts-ignore: decorator
@inline function horizontalSum(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** Sum of exp(x - m) over a row; when `keep` is set the exponentials are written to y as well. */
// @ts-ignore: decorator
@inline function sumExp(keep: bool, row: usize, y: usize, cols: i32, m: f32): f32 {
  const vm = f32x4.splat(m);
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const offset = <usize>j << 2;
    const e = expV(f32x4.sub(v128.load(row + offset), vm));
    if (keep) v128.store(y + offset, e);
    acc = f32x4.add(acc, e);
  }
  let sum = horizontalSum(acc);
  for (; j < cols; j++) {
    const offset = <usize>j << 2;
    const e = f32x4.extract_lane(expV(f32x4.splat(load<f32>(row + offset) - m)), 0);
    if (keep) store<f32>(y + offset, e);
    sum += e;
  }
  return sum;
}

/** y = softmax(x) (log = 0) or log-softmax(x) (log != 0) over each row. x and y may alias. */
export function softmax(x: usize, y: usize, rows: i32, cols: i32, log: i32, start: i32, end: i32): void {
  for (let r = start; r < end; r++) {
    const rowOffset = <usize>r * <usize>cols << 2;
    const xr = x + rowOffset;
    const yr = y + rowOffset;
    const m = rowMax(xr, cols);
    if (log) {
      const sum = sumExp(false, xr, yr, cols, m);
      // y = (x - m) - log Σ: subtracting m first keeps precision for large logits.
      const logSum = f32x4.extract_lane(logV(f32x4.splat(sum)), 0);
      const vm = f32x4.splat(m);
      const vl = f32x4.splat(logSum);
      let j = 0;
      for (; j + 4 <= cols; j += 4) {
        const offset = <usize>j << 2;
        v128.store(yr + offset, f32x4.sub(f32x4.sub(v128.load(xr + offset), vm), vl));
      }
      for (; j < cols; j++) store<f32>(yr + (<usize>j << 2), (load<f32>(xr + (<usize>j << 2)) - m) - logSum);
    } else {
      const sum = sumExp(true, xr, yr, cols, m);
      const vs = f32x4.splat(sum);
      let j = 0;
      for (; j + 4 <= cols; j += 4) {
        const offset = <usize>j << 2;
        v128.store(yr + offset, f32x4.div(v128.load(yr + offset), vs));
      }
      for (; j < cols; j++) store<f32>(yr + (<usize>j << 2), load<f32>(yr + (<usize>j << 2)) / sum);
    }
  }
}

/**
 * Backward given the forward output y: softmax dx = y * (dy - Σ dy*y); log-softmax dx = dy - exp(y) * Σ dy.
 */
export function softmaxGrad(y: usize, dy: usize, dx: usize, rows: i32, cols: i32, log: i32, start: i32, end: i32): void {
  for (let r = start; r < end; r++) {
    const rowOffset = <usize>r * <usize>cols << 2;
    const yr = y + rowOffset;
    const dyr = dy + rowOffset;
    const dxr = dx + rowOffset;
    let acc = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const offset = <usize>j << 2;
      const g = v128.load(dyr + offset);
      acc = f32x4.add(acc, log ? g : f32x4.mul(g, v128.load(yr + offset)));
    }
    let dot = horizontalSum(acc);
    for (; j < cols; j++) {
      const offset = <usize>j << 2;
      dot += log ? load<f32>(dyr + offset) : load<f32>(dyr + offset) * load<f32>(yr + offset);
    }
    const vdot = f32x4.splat(dot);
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const offset = <usize>j << 2;
      const yv = v128.load(yr + offset);
      const g = v128.load(dyr + offset);
      const result = log ? f32x4.sub(g, f32x4.mul(expV(yv), vdot)) : f32x4.mul(yv, f32x4.sub(g, vdot));
      v128.store(dxr + offset, result);
    }
    for (; j < cols; j++) {
      const offset = <usize>j << 2;
      const yv = load<f32>(yr + offset);
      const g = load<f32>(dyr + offset);
      const result = log ? g - f32x4.extract_lane(expV(f32x4.splat(yv)), 0) * dot : yv * (g - dot);
      store<f32>(dxr + offset, result);
    }
  }
}
