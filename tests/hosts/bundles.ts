// The package as users get it (`npm pack`), installed into a scratch app and bundled for the browser with
// esbuild and Vite. A file missing from package.json `files`, or a node: import reaching the browser graph,
// fails here.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = resolve('.');
const APP_SOURCE = resolve('tests/hosts/app');

export interface PackedApp {
  /** Scratch folder: package.json, node_modules/sinew (the unpacked tarball), main.js, index.html. */
  dir: string;
  /** Files in the tarball, relative to the package root. */
  files: string[];
  tarballBytes: number;
}

/** Packs the package (without re-running the build) and unpacks it as node_modules/sinew of a new app. */
export function packIntoApp(): PackedApp {
  const dir = mkdtempSync(join(tmpdir(), 'sinew-app-'));
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  }));
  const tarball = join(dir, packed.filename);
  const target = join(dir, 'node_modules/sinew');
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'sinew-app', private: true, type: 'module' }));
  for (const name of readdirSync(APP_SOURCE)) copyFileSync(join(APP_SOURCE, name), join(dir, name));
  copyFileSync(resolve('tests/hosts/core-bodies.mjs'), join(dir, 'core-bodies.mjs'));
  return { dir, files: packed.files.map((f: { path: string }) => f.path), tarballBytes: packed.size };
}

export interface Bundle {
  /** Folder to serve: index.html plus the bundle and its assets. */
  dir: string;
  jsBytes: number;
  jsGzipBytes: number;
  wasmFiles: string[];
}

function measure(dir: string, js: string[], wasm: string[]): Bundle {
  const bytes = js.map((file) => readFileSync(join(dir, file)));
  return {
    dir,
    jsBytes: bytes.reduce((sum, b) => sum + b.length, 0),
    jsGzipBytes: bytes.reduce((sum, b) => sum + gzipSync(b, { level: 9 }).length, 0),
    wasmFiles: wasm,
  };
}

/** esbuild, platform browser: one ESM file; the wasm copied beside it (the documented recipe). */
export function bundleWithEsbuild(app: PackedApp): Bundle {
  const out = join(app.dir, 'esbuild-out');
  mkdirSync(join(out, 'wasm'), { recursive: true });
  execFileSync(resolve('node_modules/.bin/esbuild'), ['main.js', '--bundle', '--platform=browser', '--format=esm', '--minify',
    `--outfile=${join(out, 'main.js')}`, `--metafile=${join(app.dir, 'esbuild-meta.json')}`, '--log-level=warning'], { cwd: app.dir, stdio: 'pipe' });
  const wasm = readdirSync(join(app.dir, 'node_modules/sinew/build')).filter((f) => f.endsWith('.wasm'));
  for (const file of wasm) copyFileSync(join(app.dir, 'node_modules/sinew/build', file), join(out, 'wasm', file));
  copyFileSync(join(app.dir, 'index.html'), join(out, 'index.html'));
  return measure(out, ['main.js'], wasm);
}

/** Every import path esbuild saw while bundling (from its metafile). */
export function esbuildImports(app: PackedApp): string[] {
  const meta = JSON.parse(readFileSync(join(app.dir, 'esbuild-meta.json'), 'utf8'));
  return Object.values(meta.inputs as Record<string, { imports: { path: string }[] }>).flatMap((input) => input.imports.map((i) => i.path));
}

/**
 * Vite production build (relative base, so it serves from any folder): it must find and emit the wasm from
 * the package's new URL(…, import.meta.url) literals itself.
 */
export function bundleWithVite(app: PackedApp): Bundle {
  const out = join(app.dir, 'vite-out');
  execFileSync(resolve('node_modules/.bin/vite'), ['build', '--outDir', out, '--emptyOutDir', '--base', './', '--logLevel', 'warn'], {
    cwd: app.dir, stdio: 'pipe', env: { ...process.env, NO_COLOR: '1' },
  });
  const assets = readdirSync(join(out, 'assets'));
  return measure(out, assets.filter((f) => f.endsWith('.js')).map((f) => `assets/${f}`), assets.filter((f) => f.endsWith('.wasm')));
}

/** webpack 5 production build, default config (no plugin, no resolve.fallback): asset modules pick up the new URL literals; any warning fails. */
export function bundleWithWebpack(app: PackedApp): Bundle {
  const out = join(app.dir, 'webpack-out');
  const script = `
    const webpack = require(${JSON.stringify(resolve('node_modules/webpack'))});
    webpack({ mode: 'production', context: ${JSON.stringify(app.dir)}, entry: './main.js', target: 'web',
      output: { path: ${JSON.stringify(out)}, filename: 'main.js', publicPath: 'auto' }, experiments: { outputModule: true },
      performance: { hints: false } },
      (error, stats) => {
        if (error || stats.hasErrors() || stats.hasWarnings()) {
          console.error(error ? String(error) : stats.toString({ all: false, errors: true, warnings: true }));
          process.exit(1);
        }
      });`;
  execFileSync(process.execPath, ['-e', script], { cwd: app.dir, stdio: 'pipe' });
  writeFileSync(join(out, 'index.html'), readFileSync(join(app.dir, 'index.html'), 'utf8'));
  const files = readdirSync(out);
  return measure(out, files.filter((f) => f.endsWith('.js')), files.filter((f) => f.endsWith('.wasm')));
}
