// The core bodies in every non-browser host on the built package: Node 20 (this process's Node) against the
// reference backend (the float64 oracle), then Deno and Node 24 against Node 20. Browsers: tests/browser/.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CoreRun, expectCoreFacts, expectSameResults, parseRun } from './compare.js';
import { node24 } from '../../scripts/node24.mjs';

const SCRIPT = 'tests/hosts/run-core.mjs';
const run = (command: string, args: string[]): CoreRun =>
  parseRun(execFileSync(command, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } }));

let node20: CoreRun;

beforeAll(() => {
  expect(existsSync('dist/index.js'), 'dist/ is missing: run `npm run build` (npm install does it)').toBe(true);
  node20 = run(process.execPath, [SCRIPT]);
});

describe('core bodies across hosts', () => {
  it('Node 20: the wasm backend agrees with the reference backend and learns', () => {
    expect(node20.info).toMatchObject({ backend: 'wasm', host: 'node', sharedMemory: true });
    expectCoreFacts(node20, 'Node 20 wasm');
    const reference = run(process.execPath, [SCRIPT, 'reference']);
    expect(reference.info.backend).toBe('reference');
    expectSameResults(node20.results, reference.results, 'Node 20 wasm vs reference');
  });

  it('Deno: same results as Node, on the relaxed threaded build', () => {
    const deno = run('node_modules/.bin/deno', ['run', '--allow-read', '--allow-env', SCRIPT]);
    expect(deno.info).toMatchObject({ backend: 'wasm', host: 'deno', variant: 'mt-relaxed' });
    expectCoreFacts(deno, 'Deno');
    expectSameResults(deno.results, node20.results, 'Deno vs Node 20');
  });

  it('Node 24: same results as Node 20, relaxed SIMD by default', { timeout: 240_000 }, () => {
    const node = run(node24(), [SCRIPT]);
    expect(node.info).toMatchObject({ backend: 'wasm', host: 'node', variant: 'mt-relaxed' });
    expectCoreFacts(node, 'Node 24');
    expectSameResults(node.results, node20.results, 'Node 24 vs Node 20');
  });
});
