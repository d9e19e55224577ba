// Node or Deno: measure this host on the built package and print one JSON line.
//   node --experimental-wasm-relaxed-simd bench/hosts/run-cli.mjs      deno run -A bench/hosts/run-cli.mjs
import * as tf from '../../dist/index.js';
import { measureHost } from './body.mjs';

console.log(JSON.stringify(await measureHost(tf)));
// The thread pool's workers are unref'd, but end now rather than wait for the event loop to drain.
(globalThis.Deno ? globalThis.Deno.exit : process.exit)(0);
