// The package as users get it: ESM with type declarations, importable by name from Node.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';

it("import * as tf from 'sinew' works from plain Node ESM and ships type declarations", () => {
  expect(existsSync('dist/index.js'), 'dist/ is missing: run `npm run build` (npm install does it)').toBe(true);
  expect(existsSync('dist/index.d.ts')).toBe(true);
  const script = `
    import * as tf from 'sinew';
    const y = tf.tensor2d([[1, 2], [3, 4]]).matMul(tf.eye(2)).add(1).relu();
    const g = tf.grad((x) => tf.sum(tf.square(x)))(tf.tensor1d([1, -2]));
    console.log(JSON.stringify({ y: Array.from(y.dataSync()), g: Array.from(g.dataSync()), backend: tf.getBackend() }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(JSON.parse(out.trim())).toEqual({ y: [2, 3, 4, 5], g: [2, -4], backend: 'wasm' });
});
