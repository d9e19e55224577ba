// A single-threaded (st build) and a 2-thread (mt build) runtime for the "threads agree bit for bit" tests,
// created before and terminated after the enclosing describe block.
import { afterAll, beforeAll, expect } from 'vitest';
import { createRuntime } from '../src/runtime/index.js';
import type { Runtime } from '../src/runtime/types.js';

export interface RuntimePair {
  single: Runtime;
  threaded: Runtime;
}

export function useSingleAndThreadedRuntimes(): RuntimePair {
  const pair = {} as RuntimePair;
  beforeAll(async () => {
    pair.single = await createRuntime({ threads: 1, variant: 'st' });
    pair.threaded = await createRuntime({ threads: 2, variant: 'mt' });
    await pair.threaded.ready();
    expect(pair.threaded.info.threads).toBe(2);
  });
  afterAll(async () => {
    await pair.threaded.terminate();
    await pair.single.terminate();
  });
  return pair;
}
