// Runs the core bodies in this process (Node or Deno) on the built package and prints one JSON line:
// { info, results, leaked }. Usage: <node|deno run -A> tests/hosts/run-core.mjs [backend]
import * as tf from '../../dist/index.js';
import { runCoreBodies } from './core-bodies.mjs';

const backend = (globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2))[0];
if (backend) await tf.setBackend(backend);
await tf.ready();
const before = tf.memory().numTensors;
const results = await runCoreBodies(tf);
console.log(JSON.stringify({ info: tf.backendInfo(), results, leaked: tf.memory().numTensors - before }));
