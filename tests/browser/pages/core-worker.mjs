// The core bodies in a dedicated Web Worker of the page (where heavy work belongs): posts the run back.
import * as tf from '/dist/index.js';
import { runCoreBodies } from '/tests/hosts/core-bodies.mjs';

await tf.ready();
const before = tf.memory().numTensors;
try {
  const results = await runCoreBodies(tf);
  postMessage({ info: tf.backendInfo(), results, leaked: tf.memory().numTensors - before });
} catch (error) {
  postMessage({ error: String(error?.stack ?? error) });
}
