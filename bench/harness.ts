// What every benchmark suite repeats: the relaxed-SIMD re-run on Node 20, medians (tinybench p50 under a
// time budget, or plain timed calls for peers too slow for one), the machine line of a report and the
// "speedup over each peer" columns. Peers' setup lives in peers.ts, the report files in report.ts.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { Bench } from 'tinybench';
import { relaxedSimdSupported } from '../src/runtime/loader.js';

/**
 * Node 20 validates relaxed SIMD (sinew's default build elsewhere) only behind a flag: re-runs this script once
 * with --experimental-wasm-relaxed-simd and exits with the child's status. Call it before any measurement.
 */
export function rerunWithRelaxedSimd(): void {
  if (relaxedSimdSupported() || process.env.SINEW_BENCH_RELAXED_RETRY) return;
  const child = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, SINEW_BENCH_RELAXED_RETRY: '1' } });
  process.exit(child.status ?? 1);
}

/** The upper median (the middle element for odd lengths). */
export const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

/** A tinybench budget: at least `iterations` runs and `time` ms, after the warm-up. */
export interface Budget { time: number; iterations: number; warmupIterations?: number; warmupTime?: number }

/** tinybench's p50 latency (ms) of fn under the budget (warm-up defaults: 2 runs, 50 ms). */
export async function medianOf(fn: () => void | Promise<void>, budget: Budget): Promise<number> {
  const { time, iterations, warmupIterations = 2, warmupTime = 50 } = budget;
  const bench = new Bench({ time, iterations, warmupIterations, warmupTime });
  bench.add('task', fn);
  await bench.run();
  const result = bench.tasks[0].result as any;
  if (!result?.latency) throw new Error(`task failed: ${result?.error ?? result?.state}`);
  return result.latency.p50;
}

/**
 * Median of `calls` timed calls after one warm-up call, for peers too slow for a time budget; a returned
 * promise is awaited inside the timing.
 */
export async function medianOfCalls(fn: () => unknown, calls: number): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** "machine: <cpu>, <n> logical cores, <platform> <arch>, Node <version>" for a report's notes. */
export function machineNote(): string {
  const cpus = os.cpus();
  return `machine: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} logical cores, ${os.platform()} ${os.arch()}, Node ${process.version}`;
}

/**
 * Adds one "<config> ×" column per sinew configuration to a report row: that configuration's speedup over
 * this row's library (peer time / sinew time), blank on sinew's own rows.
 */
export function addSpeedups(row: Record<string, unknown>, library: string, ms: number, sinewLabels: string[], sinewMs: number[]): void {
  sinewLabels.forEach((label, i) => {
    row[`${label.replace('sinew ', '')} ×`] = library.startsWith('sinew') ? '' : `${(ms / sinewMs[i]).toFixed(2)}x`;
  });
}
