// Node's file system for the features that work on paths, kept out of host.ts: its node: types must not
// reach the declarations of modules a browser-only TypeScript project (no @types/node) type-checks.
import { detectHost, nodeBuiltin } from './host.js';

export interface NodeFileSystem {
  fs: typeof import('node:fs/promises');
  fsSync: typeof import('node:fs');
  path: typeof import('node:path');
}

/**
 * Node's file system for the features that work on paths (file:// models, checkpoints, safetensors files),
 * in Node and Deno. Reached through process.getBuiltinModule, or an import of a computed name that
 * bundlers leave alone, so browser bundles never see node: modules. `feature` names the caller in the
 * Error a browser gets.
 */
export async function nodeFileSystem(feature: string): Promise<NodeFileSystem> {
  const load = async <T>(name: string): Promise<T | undefined> =>
    nodeBuiltin<T>(name) ?? (detectHost() === 'browser' ? undefined : await import(/* webpackIgnore: true */ /* @vite-ignore */ name).catch(() => undefined));
  const [fs, fsSync, path] = await Promise.all([
    load<NodeFileSystem['fs']>('node:fs/promises'), load<NodeFileSystem['fsSync']>('node:fs'), load<NodeFileSystem['path']>('node:path'),
  ]);
  if (!fs || !fsSync || !path) {
    throw new Error(
      `${feature}: file paths need a file system (Node or Deno); in a browser pass bytes, a Blob/File or an http(s) URL, ` +
        `or save models to indexeddb:// or localstorage://`,
    );
  }
  return { fs, fsSync, path };
}
