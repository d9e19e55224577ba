// Benchmark entry: `npm run bench -- <suite>… [--flag value…]` (no suite: all of them; the flags, from the first
// one on, go to every suite, e.g. `npm run bench -- hosts --rounds 5`). Each suite measures sinew and its peers
// in one process and writes Markdown, JSON and an SVG chart under bench/results/. Every suite runs in a child
// process of its own: suites keep global state (thread pools, tfjs backends) and several end with
// process.exit, which in one shared process ended the run after the first of them.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SUITES = ['gemm', 'mlp', 'conv', 'cnn', 'attention', 'lstm', 'bert', 'hosts', 'webgpu'];
const args = process.argv.slice(2);
const firstFlag = args.findIndex((arg) => arg.startsWith('-'));
const requested = firstFlag < 0 ? args : args.slice(0, firstFlag);
const flags = firstFlag < 0 ? [] : args.slice(firstFlag);
const names = requested.length ? requested : SUITES;
const unknown = names.filter((name) => !SUITES.includes(name));
if (unknown.length) {
  console.error(`bench: unknown suite${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')} (known: ${SUITES.join(', ')})`);
  process.exit(1);
}
const failed: string[] = [];
for (const name of names) {
  console.log(`\n== bench: ${name} ==`);
  const script = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  // execArgv carries tsx's loader, so the child runs the TypeScript suite as this process would.
  const child = spawnSync(process.execPath, [...process.execArgv, script, ...flags], { stdio: 'inherit' });
  if (child.status !== 0) failed.push(`${name} (${child.signal ?? `exit ${child.status}`})`);
}
if (failed.length) {
  console.error(`bench: failed: ${failed.join(', ')}`);
  process.exit(1);
}
