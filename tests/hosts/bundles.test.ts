// The packed package in a scratch app: what the tarball holds, TypeScript resolving it three ways, and
// browser bundles from esbuild and Vite with no Node built-ins (the browser tests run these bundles).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleWithEsbuild, bundleWithVite, bundleWithWebpack, esbuildImports, type PackedApp, packIntoApp } from './bundles.js';

let app: PackedApp;
beforeAll(() => {
  app = packIntoApp();
}, 120_000);

const USAGE = `import * as tf from 'sinew';
await tf.ready();
const x: tf.Tensor = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
const info: tf.BackendInfo = tf.backendInfo();
tf.setWasmPaths({ 'sinew-st.wasm': '/wasm/sinew-st.wasm' });
const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
export const out: [number, string | undefined, number] = [x.size, info.variant, model.countParams()];
`;

describe('the packed package', () => {
  it('holds the built JS, its types and all four wasm builds', () => {
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/runtime/wasm-paths.js', 'package.json', 'README.md']) {
      expect(app.files, file).toContain(file);
    }
    expect(app.files.filter((f) => /^build\/sinew-[a-z-]+\.wasm$/.test(f)).sort()).toEqual([
      'build/sinew-mt-relaxed.wasm', 'build/sinew-mt.wasm', 'build/sinew-st-relaxed.wasm', 'build/sinew-st.wasm',
    ]);
  });

  for (const moduleResolution of ['node16', 'nodenext', 'bundler']) {
    it(`type-checks \`import * as tf from 'sinew'\` with moduleResolution ${moduleResolution}, no @types/node`, () => {
      const module = moduleResolution === 'bundler' ? 'esnext' : moduleResolution;
      writeFileSync(join(app.dir, 'usage.ts'), USAGE);
      const config = join(app.dir, `tsconfig.${moduleResolution}.json`);
      writeFileSync(config, JSON.stringify({
        compilerOptions: { target: 'es2022', module, moduleResolution, lib: ['es2022', 'dom'], types: [], strict: true, noEmit: true, skipLibCheck: false },
        files: ['usage.ts'],
      }));
      const result = (() => {
        try {
          execFileSync(resolve('node_modules/.bin/tsc'), ['-p', config], { cwd: app.dir, encoding: 'utf8', stdio: 'pipe' });
          return '';
        } catch (error) {
          return String((error as { stdout?: string }).stdout ?? error);
        }
      })();
      expect(result).toBe('');
    }, 120_000);
  }

  it('bundles for the browser with esbuild (no plugin), without node: imports', () => {
    const bundle = bundleWithEsbuild(app);
    const imports = esbuildImports(app);
    expect(imports.length).toBeGreaterThan(50);
    expect(imports.filter((path) => path.startsWith('node:') || builtinModules.includes(path))).toEqual([]);
    expect(bundle.wasmFiles).toHaveLength(4);
    console.log(`esbuild bundle: ${bundle.jsBytes} bytes of JS, ${bundle.jsGzipBytes} gzipped`);
  }, 120_000);

  it('builds with Vite, which emits the four wasm builds from the package\'s new URL literals', () => {
    const bundle = bundleWithVite(app);
    expect(bundle.wasmFiles.map((f) => f.replace(/-[\w]{8}\.wasm$/, '.wasm')).sort()).toEqual([
      'sinew-mt-relaxed.wasm', 'sinew-mt.wasm', 'sinew-st-relaxed.wasm', 'sinew-st.wasm',
    ]);
    console.log(`Vite bundle: ${bundle.jsBytes} bytes of JS, ${bundle.jsGzipBytes} gzipped`);
  }, 120_000);

  it('builds with webpack 5 (default config, no fallbacks for Node built-ins), with no warning, emitting four wasm assets', () => {
    const bundle = bundleWithWebpack(app);
    expect(bundle.wasmFiles).toHaveLength(4);
    console.log(`webpack bundle: ${bundle.jsBytes} bytes of JS, ${bundle.jsGzipBytes} gzipped`);
  }, 120_000);
});
