// Reductions over the middle axis of x viewed as [outer, reduceSize, inner] → out [outer, inner].
// Op codes mirror REDUCE_OP_CODE. sum/max/min/prod/logSumExp write f32; argMax/argMin and any/all write i32
// (argMax/argMin: first index on ties, NaN ignored unless it is the first element, exactly like tfjs's
// CPU kernel; max/min propagate NaN like tfjs; any/all test != 0, which also works on i32 0/1 input).
//   reduce:      units = outer indices (each one a whole [reduceSize, inner] slab)
//   reduceInner: units = inner columns, for every outer index (for outer = 1 with a wide inner)
import { expV, logV } from './vmath';

const SUM = 0; const MAX = 1; const MIN = 2; const PROD = 3; const ARG_MAX = 4; const ARG_MIN = 5;
const LOG_SUM_EXP = 6; const ANY = 7; const ALL = 8;

/** Columns per tile in the accumulate-into-out path: 4 KiB of out stays in L1 while x streams by. */
const COLUMN_TILE = 1024;

// @ts-ignore: decorator
@inline function identityV(op: i32): v128 {
  switch (op) {
    case SUM: return f32x4.splat(0);
    case PROD: return f32x4.splat(1);
    case MAX: return f32x4.splat(-Infinity);
    case MIN: return f32x4.splat(Infinity);
    case ANY: return i32x4.splat(0);
    default: return i32x4.splat(-1); // ALL: every lane true
  }
}

/** Folds one (prepared) vector into an accumulator. any/all accumulate != 0 masks. */
// @ts-ignore: decorator
@inline function combineV(op: i32, acc: v128, v: v128): v128 {
  switch (op) {
    case SUM: return f32x4.add(acc, v);
    case PROD: return f32x4.mul(acc, v);
    case MAX: return f32x4.max(acc, v); // NaN wins, as in tfjs
    case MIN: return f32x4.min(acc, v);
    case ANY: return v128.or(acc, f32x4.ne(v, f32x4.splat(0)));
    default: return v128.and(acc, f32x4.ne(v, f32x4.splat(0)));
  }
}

/** A combined any/all mask as i32 0/1; the float ops are already final. */
// @ts-ignore: decorator
@inline function finishV(op: i32, acc: v128): v128 {
  return op == ANY || op == ALL ? v128.and(acc, i32x4.splat(1)) : acc;
}

/** Folds lanes so every lane holds the total (combine is commutative for these ops). */
// @ts-ignore: decorator
@inline function allLanesV(op: i32, acc: v128): v128 {
  const swappedHalves = i32x4.shuffle(acc, acc, 2, 3, 0, 1);
  const folded = op == ANY ? v128.or(acc, swappedHalves) : op == ALL ? v128.and(acc, swappedHalves) : combineV(op, acc, swappedHalves);
  const swappedPairs = i32x4.shuffle(folded, folded, 1, 0, 3, 2);
  return op == ANY ? v128.or(folded, swappedPairs) : op == ALL ? v128.and(folded, swappedPairs) : combineV(op, folded, swappedPairs);
}

/** One row (inner == 1) of sum/max/min/prod/any/all: 16 lanes of accumulators, then a scalar tail. */
// @ts-ignore: decorator
@inline function rowSimple(op: i32, row: usize, n: i32): v128 {
  let acc0 = identityV(op), acc1 = identityV(op), acc2 = identityV(op), acc3 = identityV(op);
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const p = row + (<usize>j << 2);
    acc0 = combineV(op, acc0, v128.load(p));
    acc1 = combineV(op, acc1, v128.load(p, 16));
    acc2 = combineV(op, acc2, v128.load(p, 32));
    acc3 = combineV(op, acc3, v128.load(p, 48));
  }
  for (; j + 4 <= n; j += 4) acc0 = combineV(op, acc0, v128.load(row + (<usize>j << 2)));
  let acc: v128;
  if (op == ANY) acc = v128.or(v128.or(acc0, acc1), v128.or(acc2, acc3));
  else if (op == ALL) acc = v128.and(v128.and(acc0, acc1), v128.and(acc2, acc3));
  else acc = combineV(op, combineV(op, acc0, acc1), combineV(op, acc2, acc3));
  acc = allLanesV(op, acc);
  for (; j < n; j++) acc = combineV(op, acc, v128.load32_splat(row + (<usize>j << 2)));
  return finishV(op, acc);
}

/** Columns [c0, c1) of one [n, inner] slab for sum/max/min/prod/any/all, accumulating in out. */
// @ts-ignore: decorator
@inline function columnsSimple(op: i32, slab: usize, out: usize, n: i32, inner: i32, c0: i32, c1: i32): void {
  for (let tile = c0; tile < c1; tile += COLUMN_TILE) {
    const tileEnd = min(tile + COLUMN_TILE, c1);
    const identity = i32x4.extract_lane(identityV(op), 0);
    for (let c = tile; c < tileEnd; c++) store<i32>(out + (<usize>c << 2), identity);
    for (let r = 0; r < n; r++) {
      const src = slab + (<usize>(r * inner) << 2);
      let c = tile;
      for (; c + 4 <= tileEnd; c += 4) {
        const o = out + (<usize>c << 2);
        v128.store(o, combineV(op, v128.load(o), v128.load(src + (<usize>c << 2))));
      }
      for (; c < tileEnd; c++) {
        const o = out + (<usize>c << 2);
        const v = combineV(op, v128.load32_splat(o), v128.load32_splat(src + (<usize>c << 2)));
        store<i32>(o, i32x4.extract_lane(v, 0));
      }
    }
    if (op == ANY || op == ALL) {
      for (let c = tile; c < tileEnd; c++) store<i32>(out + (<usize>c << 2), load<i32>(out + (<usize>c << 2)) & 1);
    }
  }
}

// @ts-ignore: decorator
@inline function betterMask(isMax: bool, v: v128, best: v128): v128 {
  return isMax ? f32x4.gt(v, best) : f32x4.lt(v, best);
}

/** argMax/argMin of one row: lane k tracks indices ≡ k (mod 4), seeded with x[0] so a leading NaN wins. */
function rowArg(isMax: bool, row: usize, n: i32): i32 {
  const first = load<f32>(row);
  let best = f32x4.splat(first);
  let index = i32x4.splat(0);
  let lanes = i32x4(0, 1, 2, 3);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const v = v128.load(row + (<usize>j << 2));
    const better = betterMask(isMax, v, best);
    best = v128.bitselect(v, best, better);
    index = v128.bitselect(lanes, index, better);
    lanes = i32x4.add(lanes, i32x4.splat(4));
  }
  // Fold the lanes: the better value wins, equal values go to the smaller index.
  for (let step = 0; step < 2; step++) {
    const otherBest = step == 0 ? i32x4.shuffle(best, best, 2, 3, 0, 1) : i32x4.shuffle(best, best, 1, 0, 3, 2);
    const otherIndex = step == 0 ? i32x4.shuffle(index, index, 2, 3, 0, 1) : i32x4.shuffle(index, index, 1, 0, 3, 2);
    const take = v128.or(betterMask(isMax, otherBest, best),
      v128.and(f32x4.eq(otherBest, best), i32x4.lt_s(otherIndex, index)));
    best = v128.bitselect(otherBest, best, take);
    index = v128.bitselect(otherIndex, index, take);
  }
  let bestValue = f32x4.extract_lane(best, 0);
  let bestIndex = i32x4.extract_lane(index, 0);
  for (; j < n; j++) {
    const value = load<f32>(row + (<usize>j << 2));
    if (isMax ? value > bestValue : value < bestValue) { bestValue = value; bestIndex = j; }
  }
  return bestIndex;
}

/** argMax/argMin of 4 columns at once (x points at row 0 of them). */
// @ts-ignore: decorator
@inline function columnArgV(isMax: bool, x: usize, n: i32, rowBytes: usize): v128 {
  let best = v128.load(x);
  let index = i32x4.splat(0);
  for (let r = 1; r < n; r++) {
    const v = v128.load(x + <usize>r * rowBytes);
    const better = betterMask(isMax, v, best);
    best = v128.bitselect(v, best, better);
    index = v128.bitselect(i32x4.splat(r), index, better);
  }
  return index;
}

/** log(sum(exp(v))) given the lane maxima m; non-finite maxima (±inf, NaN) are the answer themselves. */
// @ts-ignore: decorator
@inline function finishLogSumExp(m: v128, sum: v128): v128 {
  const finite = f32x4.lt(f32x4.abs(m), f32x4.splat(Infinity));
  return v128.bitselect(f32x4.add(m, logV(sum)), m, finite);
}

function rowLogSumExp(row: usize, n: i32): f32 {
  const m = rowSimple(MAX, row, n);
  let sum0 = f32x4.splat(0), sum1 = f32x4.splat(0);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const p = row + (<usize>j << 2);
    sum0 = f32x4.add(sum0, expV(f32x4.sub(v128.load(p), m)));
    sum1 = f32x4.add(sum1, expV(f32x4.sub(v128.load(p, 16), m)));
  }
  for (; j + 4 <= n; j += 4) sum0 = f32x4.add(sum0, expV(f32x4.sub(v128.load(row + (<usize>j << 2)), m)));
  let sum = allLanesV(SUM, f32x4.add(sum0, sum1));
  for (; j < n; j++) sum = f32x4.add(sum, expV(f32x4.sub(v128.load32_splat(row + (<usize>j << 2)), m)));
  return f32x4.extract_lane(finishLogSumExp(m, sum), 0);
}

// @ts-ignore: decorator
@inline function columnLogSumExpV(x: usize, n: i32, rowBytes: usize): v128 {
  let m = f32x4.splat(-Infinity);
  for (let r = 0; r < n; r++) m = f32x4.max(m, v128.load(x + <usize>r * rowBytes));
  let sum = f32x4.splat(0);
  for (let r = 0; r < n; r++) sum = f32x4.add(sum, expV(f32x4.sub(v128.load(x + <usize>r * rowBytes), m)));
  return finishLogSumExp(m, sum);
}

/** Columns [c0, c1) of one slab for the ops that need per-column state beyond one value. */
// @ts-ignore: decorator
@inline function columnsStateful(op: i32, slab: usize, out: usize, n: i32, inner: i32, c0: i32, c1: i32): void {
  const rowBytes = <usize>inner << 2;
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    const x = slab + (<usize>c << 2);
    const v = op == LOG_SUM_EXP ? columnLogSumExpV(x, n, rowBytes) : columnArgV(op == ARG_MAX, x, n, rowBytes);
    v128.store(out + (<usize>c << 2), v);
  }
  for (; c < c1; c++) {
    // Leftover columns (fewer than 4): a scalar strided walk.
    const x = slab + (<usize>c << 2);
    if (op == LOG_SUM_EXP) {
      let m: f32 = -Infinity;
      for (let r = 0; r < n; r++) m = max(m, load<f32>(x + <usize>r * rowBytes));
      let sum: f32 = 0;
      for (let r = 0; r < n; r++) {
        sum += f32x4.extract_lane(expV(f32x4.splat(load<f32>(x + <usize>r * rowBytes) - m)), 0);
      }
      store<f32>(out + (<usize>c << 2), f32x4.extract_lane(finishLogSumExp(f32x4.splat(m), f32x4.splat(sum)), 0));
    } else {
      const isMax = op == ARG_MAX;
      let bestValue = load<f32>(x);
      let bestIndex = 0;
      for (let r = 1; r < n; r++) {
        const value = load<f32>(x + <usize>r * rowBytes);
        if (isMax ? value > bestValue : value < bestValue) { bestValue = value; bestIndex = r; }
      }
      store<i32>(out + (<usize>c << 2), bestIndex);
    }
  }
}

// @ts-ignore: decorator
@inline function reduceSlabs(op: i32, x: usize, out: usize, o0: i32, o1: i32, n: i32, inner: i32, c0: i32, c1: i32): void {
  for (let o = o0; o < o1; o++) {
    const slab = x + (<usize>o * <usize>n * <usize>inner << 2);
    const outRow = out + (<usize>o * <usize>inner << 2);
    if (inner == 1) {
      let bits: i32;
      if (op == ARG_MAX || op == ARG_MIN) bits = rowArg(op == ARG_MAX, slab, n);
      else if (op == LOG_SUM_EXP) bits = reinterpret<i32>(rowLogSumExp(slab, n));
      else bits = i32x4.extract_lane(rowSimple(op, slab, n), 0);
      store<i32>(outRow, bits);
    } else if (op == ARG_MAX || op == ARG_MIN || op == LOG_SUM_EXP) {
      columnsStateful(op, slab, outRow, n, inner, c0, c1);
    } else {
      columnsSimple(op, slab, outRow, n, inner, c0, c1);
    }
  }
}

// @ts-ignore: decorator
@inline function dispatch(op: i32, x: usize, out: usize, o0: i32, o1: i32, n: i32, inner: i32, c0: i32, c1: i32): void {
  switch (op) {
    case SUM: reduceSlabs(SUM, x, out, o0, o1, n, inner, c0, c1); break;
    case MAX: reduceSlabs(MAX, x, out, o0, o1, n, inner, c0, c1); break;
    case MIN: reduceSlabs(MIN, x, out, o0, o1, n, inner, c0, c1); break;
    case PROD: reduceSlabs(PROD, x, out, o0, o1, n, inner, c0, c1); break;
    case ARG_MAX: reduceSlabs(ARG_MAX, x, out, o0, o1, n, inner, c0, c1); break;
    case ARG_MIN: reduceSlabs(ARG_MIN, x, out, o0, o1, n, inner, c0, c1); break;
    case LOG_SUM_EXP: reduceSlabs(LOG_SUM_EXP, x, out, o0, o1, n, inner, c0, c1); break;
    case ANY: reduceSlabs(ANY, x, out, o0, o1, n, inner, c0, c1); break;
    case ALL: reduceSlabs(ALL, x, out, o0, o1, n, inner, c0, c1); break;
    default: break;
  }
}

/** out[o, i] = reduce_r x[o, r, i] for outer indices o in [start, end). */
export function reduce(op: i32, x: usize, out: usize, outer: i32, reduceSize: i32, inner: i32, start: i32, end: i32): void {
  dispatch(op, x, out, start, end, reduceSize, inner, 0, inner);
}

/** Same result, split over inner columns [start, end) instead (every outer index); needs inner > 1. */
export function reduceInner(op: i32, x: usize, out: usize, outer: i32, reduceSize: i32, inner: i32, start: i32, end: i32): void {
  dispatch(op, x, out, 0, outer, reduceSize, inner, start, end);
}
