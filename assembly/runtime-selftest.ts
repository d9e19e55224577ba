// Kernels that exist only to test the runtime's thread pool (tests/runtime.test.ts): each writes a
// pattern that reveals which range it covered and which instance ran it, so a test can tell that
// workers really took part without timing anything.

/** out[i] = value + i for i in [start, end). Units: elements. */
export function selftestFill(out: usize, value: f32, start: i32, end: i32): void {
  for (let i = start; i < end; i++) {
    store<f32>(out + (<usize>i << 2), value + <f32>i);
  }
}

/**
 * owner[i] = the first element of this chunk (start), for i in [start, end): every chunk leaves its own
 * start behind, so the distinct values in `owner` count the chunks that ran.
 */
export function selftestChunkStart(owner: usize, start: i32, end: i32): void {
  for (let i = start; i < end; i++) {
    store<i32>(owner + (<usize>i << 2), start);
  }
}

/**
 * Copies each chunk through the thread's private workspace: workspace[j] = src[start + j], then
 * dst[start + j] = workspace[j] * 2. Tests that every thread gets its own scratch block of enough bytes.
 */
export function selftestScratch(src: usize, dst: usize, workspace: usize, start: i32, end: i32): void {
  for (let i = start; i < end; i++) {
    store<f32>(workspace + (<usize>(i - start) << 2), load<f32>(src + (<usize>i << 2)));
  }
  for (let i = start; i < end; i++) {
    store<f32>(dst + (<usize>i << 2), load<f32>(workspace + (<usize>(i - start) << 2)) * 2);
  }
}

/** Traps (unreachable) when the range contains `trapAt`: tests that a worker's failure reaches the caller. */
export function selftestTrapAt(trapAt: i32, start: i32, end: i32): void {
  if (trapAt >= start && trapAt < end) unreachable();
}

/**
 * Proves two chunks run at the same time: the chunk starting at 0 waits until another chunk has stored 1
 * at `flag`, then writes 1 to `result`; it gives up after `maxPolls` reads (writing 0) so a missing worker
 * fails the test instead of hanging it. Threaded builds only (st builds just record 0).
 */
export function selftestRendezvous(flag: usize, result: usize, maxPolls: i32, start: i32, end: i32): void {
  if (start > 0) {
    if (ASC_FEATURE_THREADS) atomic.store<i32>(flag, 1);
    return;
  }
  let met = 0;
  if (ASC_FEATURE_THREADS) {
    for (let poll = 0; poll < maxPolls; poll++) {
      if (atomic.load<i32>(flag) == 1) {
        met = 1;
        break;
      }
    }
  }
  store<i32>(result, met);
}
