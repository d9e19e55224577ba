// Fused softmax cross-entropy: per row the loss against a probability row of labels, plus the softmax
// itself (the backward needs it: d logits = (probs - labels) * dy).
//   logits, labels, probs: [rows, cols] float32;  loss: [rows] float32.  Units of start/end: rows.
// Stable for any finite logits: everything is computed from x - max(x), so exp never overflows and
//   loss = log Σ exp(x - m) · Σ labels - Σ labels · (x - m)
// never subtracts two large numbers (the row max m cancels out of -Σ labels · log_softmax(x)).
import { expV, logV } from './vmath';
import { rowMax } from './rows';

// @ts-ignore: decorator
@inline function horizontalSum(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/**
 * loss[r] = -Σ_j labels[r, j] · log_softmax(logits[r])_j and probs[r] = softmax(logits[r]) for rows in
 * [start, end). Labels are not checked (one-hot or smoothed rows; any real weights work).
 */
export function softmaxCrossEntropy(
  logits: usize, labels: usize, loss: usize, probs: usize, rows: i32, cols: i32, start: i32, end: i32,
): void {
  for (let r = start; r < end; r++) {
    const rowOffset = <usize>r * <usize>cols << 2;
    const xr = logits + rowOffset;
    const lr = labels + rowOffset;
    const pr = probs + rowOffset;
    const m = rowMax(xr, cols);
    const vm = f32x4.splat(m);

    // One pass: exponentials into probs, and the three row sums the loss needs.
    let expSum = f32x4.splat(0), labelSum = f32x4.splat(0), labelDotShifted = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const offset = <usize>j << 2;
      const shifted = f32x4.sub(v128.load(xr + offset), vm);
      const label = v128.load(lr + offset);
      const e = expV(shifted);
      v128.store(pr + offset, e);
      expSum = f32x4.add(expSum, e);
      labelSum = f32x4.add(labelSum, label);
      labelDotShifted = f32x4.add(labelDotShifted, f32x4.mul(label, shifted));
    }
    let sumExp = horizontalSum(expSum);
    let sumLabels = horizontalSum(labelSum);
    let dotShifted = horizontalSum(labelDotShifted);
    for (; j < cols; j++) {
      const offset = <usize>j << 2;
      const shifted = load<f32>(xr + offset) - m;
      const label = load<f32>(lr + offset);
      const e = f32x4.extract_lane(expV(f32x4.splat(shifted)), 0);
      store<f32>(pr + offset, e);
      sumExp += e;
      sumLabels += label;
      dotShifted += label * shifted;
    }

    const logSum = f32x4.extract_lane(logV(f32x4.splat(sumExp)), 0);
    store<f32>(loss + (<usize>r << 2), logSum * sumLabels - dotShifted);

    // Normalize: a division (not a multiply by 1/sum) keeps probs correctly rounded, like softmax().
    const vs = f32x4.splat(sumExp);
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const offset = <usize>j << 2;
      v128.store(pr + offset, f32x4.div(v128.load(pr + offset), vs));
    }
    for (; j < cols; j++) store<f32>(pr + (<usize>j << 2), load<f32>(pr + (<usize>j << 2)) / sumExp);
  }
}
