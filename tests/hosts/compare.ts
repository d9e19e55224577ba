// Comparing one host's core-body results with another's: same names, same lengths, each value within
// atol + rtol·|expected| (the builds differ: relaxed SIMD fuses multiply-adds, plain SIMD does not).
import { expect } from 'vitest';

export type CoreResults = Record<string, number[]>;

export interface CoreRun {
  info: Record<string, unknown>;
  results: CoreResults;
  leaked: number;
}

/** Looser for training: 15 epochs of SGD carry rounding differences forward. */
function tolerance(name: string): { rtol: number; atol: number } {
  return name.startsWith('fit') ? { rtol: 2e-3, atol: 2e-3 } : { rtol: 1e-4, atol: 1e-5 };
}

export function expectSameResults(actual: CoreResults, expected: CoreResults, label: string): void {
  expect(Object.keys(actual).sort(), `${label}: body names`).toEqual(Object.keys(expected).sort());
  for (const [name, want] of Object.entries(expected)) {
    const got = actual[name];
    expect(got.length, `${label}: ${name} length`).toBe(want.length);
    const { rtol, atol } = tolerance(name);
    for (let i = 0; i < want.length; i++) {
      if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue;
      if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) {
        expect.fail(`${label}: ${name}[${i}] is ${got[i]}, expected ${want[i]} (rtol ${rtol}, atol ${atol})`);
      }
    }
  }
}

/** What every host must show on its own: the classifier learned, and nothing leaked. */
export function expectCoreFacts(run: CoreRun, label: string): void {
  const loss = run.results['fit loss'];
  expect(loss[loss.length - 1], `${label}: final loss`).toBeLessThan(0.05);
  expect(loss[loss.length - 1], `${label}: loss fell`).toBeLessThan(loss[0] / 4);
  expect(run.results['fit accuracy'].at(-1), `${label}: final accuracy`).toBe(1);
  expect(run.leaked, `${label}: tensors left alive`).toBe(0);
}

/** The last line of a host's output as JSON (earlier lines may be warnings). */
export function parseRun(output: string): CoreRun {
  const lines = output.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}
