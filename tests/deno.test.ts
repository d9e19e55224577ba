// sinew runs under Deno too: the npm package `deno` ships the binary; the script imports the built dist/.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';

it('imports sinew under Deno and computes a matMul and a gradient', () => {
  expect(existsSync('dist/index.js'), 'dist/ is missing: run `npm run build` (npm install does it)').toBe(true);
  const out = execFileSync('node_modules/.bin/deno', ['run', '--allow-read', '--allow-env', 'tests/fixtures/deno-smoke.mjs'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
  });
  const result = JSON.parse(out.trim().split('\n').pop()!);
  expect(result.product).toEqual([19, 22, 43, 50]);
  expect(result.gradient).toEqual([2, 4, 6]);
  expect(result.info.backend).toBe('wasm');
  expect(result.info.host).toBe('deno');
});
