// sinew runs under Deno too: the npm package `deno` ships the binary; the script imports the built dist/.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { expectClose } from './helpers.js';

const deno = (script: string, flags: string[] = []) => {
  const out = execFileSync('node_modules/.bin/deno', ['run', ...flags, '--allow-read', '--allow-env', script], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
  });
  return JSON.parse(out.trim().split('\n').pop()!);
};

it('imports sinew under Deno and computes a matMul and a gradient', () => {
  expect(existsSync('dist/index.js'), 'dist/ is missing: run `npm run build` (npm install does it)').toBe(true);
  const result = deno('tests/fixtures/deno-smoke.mjs');
  expect(result.product).toEqual([19, 22, 43, 50]);
  expect(result.gradient).toEqual([2, 4, 6]);
  expect(result.info.backend).toBe('wasm');
  expect(result.info.host).toBe('deno');
});

// Deno's WebGPU needs a Vulkan driver: Mesa's lavapipe (Debian mesa-vulkan-drivers) on a machine without a GPU.
const vulkan = existsSync('/usr/share/vulkan/icd.d') || existsSync('/etc/vulkan/icd.d');
it.skipIf(!vulkan)('runs the webgpu backend under Deno (navigator.gpu): ops, gradients and a fit agree with wasm', () => {
  const { wasm, webgpu } = deno('tests/fixtures/deno-webgpu.mjs', ['--unstable-webgpu']);
  expect(webgpu.info.backend).toBe('webgpu');
  expect(webgpu.info.host).toBe('deno');
  expect(webgpu.info.adapter.source).toBe('navigator.gpu');
  for (const key of ['product', 'dx', 'dw', 'loss']) expectClose(webgpu[key], wasm[key], { rtol: 1e-4, atol: 1e-5 });
  expect(webgpu.loss.at(-1)).toBeLessThan(webgpu.loss[0]);
});
