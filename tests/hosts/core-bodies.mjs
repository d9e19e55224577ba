// The core test bodies every host runs (Node, Deno, Chromium pages and workers, bundled or not): plain ESM
// so a page can import it as is. `runCoreBodies(tf)` returns { name: numbers[] }; the host tests compare
// each host's results with Node's (tests/hosts/compare.ts) and check the few facts that need no oracle.

/** Deterministic values in [-1, 1) from a seed (an LCG), identical in every host. */
export function values(count, seed) {
  const out = new Array(count);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 31 - 1;
  }
  return out;
}

const random = (tf, shape, seed) => tf.tensor(values(shape.reduce((a, b) => a * b, 1), seed), shape);
const read = (t) => Array.from(t.dataSync());

/** Runs the bodies; every tensor it makes is disposed before it returns. */
export async function runCoreBodies(tf) {
  const results = {};
  const record = (name, fn) => {
    results[name] = tf.tidy(() => {
      const out = fn();
      return (Array.isArray(out) ? out : [out]).flatMap(read);
    });
  };

  record('creation', () => [tf.zeros([2, 3]), tf.ones([3]), tf.fill([2, 2], 7), tf.eye(3), tf.range(0, 5), tf.linspace(0, 1, 5),
    tf.tensor2d([[1, 2], [3, 4]]), tf.oneHot(tf.tensor1d([0, 2, 1], 'int32'), 3)]);
  record('broadcasting', () => {
    const a = random(tf, [3, 1, 5], 1);
    const b = random(tf, [4, 5], 2);
    return [tf.add(a, b), tf.mul(a, b), tf.sub(b, a), tf.div(a, tf.add(tf.abs(b), 1)), tf.maximum(a, 0.25), tf.pow(tf.abs(a), 1.5)];
  });
  record('unary', () => {
    const x = random(tf, [17, 3], 3);
    return [tf.relu(x), tf.sigmoid(x), tf.tanh(x), tf.exp(x), tf.log(tf.add(tf.abs(x), 1)), tf.sqrt(tf.abs(x)), tf.elu(x), tf.leakyRelu(x)];
  });
  for (const [m, k, n] of [[1, 1, 1], [3, 17, 5], [17, 127, 3], [127, 33, 129], [513, 64, 17]]) {
    record(`matMul ${m}x${k}x${n}`, () => {
      const a = random(tf, [m, k], m + k);
      const b = random(tf, [k, n], k + n);
      return [tf.matMul(a, b), tf.matMul(tf.transpose(a), b, true, false), tf.matMul(a, tf.transpose(b), false, true),
        tf.matMul(tf.transpose(a), tf.transpose(b), true, true)];
    });
  }
  record('matMul batched', () => tf.matMul(random(tf, [3, 5, 7], 11), random(tf, [3, 7, 4], 12)));
  record('reductions', () => {
    const x = random(tf, [5, 17, 3], 4);
    return [tf.sum(x), tf.sum(x, 1), tf.mean(x, [0, 2]), tf.max(x, 2), tf.min(x), tf.prod(tf.add(x, 1), 0), tf.argMax(x, 1), tf.logSumExp(x, 1)];
  });
  record('softmax', () => {
    const x = random(tf, [7, 13], 5);
    return [tf.softmax(x), tf.logSoftmax(x), tf.softmax(tf.mul(x, 50))];
  });
  record('conv and pool with gradients', () => {
    const x = random(tf, [2, 9, 11, 3], 6);
    const filter = random(tf, [3, 3, 3, 5], 7);
    const loss = (input, f) => tf.sum(tf.square(tf.maxPool(tf.relu(tf.conv2d(input, f, 1, 'same')), 2, 2, 'valid')));
    const [dx, dfilter] = tf.grads(loss)([x, filter]);
    const pooled = tf.avgPool(tf.conv2d(x, filter, 2, 'valid'), 2, 1, 'same');
    const depthwise = tf.depthwiseConv2d(x, random(tf, [3, 3, 3, 2], 8), 1, 'same');
    return [loss(x, filter), dx, dfilter, pooled, depthwise];
  });
  record('gradients', () => {
    const x = random(tf, [4, 6], 9);
    const w = random(tf, [6, 3], 10);
    const f = (a, b) => tf.mean(tf.softmax(tf.matMul(tf.tanh(a), b)).mul(tf.range(0, 3)));
    return tf.grads(f)([x, w]);
  });

  // A small classifier that must learn: two Gaussian blobs, seeded initializers, plain SGD.
  const xs = tf.tidy(() => tf.concat([tf.add(random(tf, [64, 2], 20), 1.5), tf.sub(random(tf, [64, 2], 21), 1.5)]));
  const ys = tf.tidy(() => tf.concat([tf.ones([64, 1]), tf.zeros([64, 1])]));
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 8, activation: 'relu', inputShape: [2], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.5), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const history = await model.fit(xs, ys, { epochs: 15, batchSize: 32, shuffle: false, verbose: 0 });
  results['fit loss'] = history.history.loss.map(Number);
  results['fit accuracy'] = history.history.acc.map(Number);
  record('fit predictions', () => model.predict(xs));
  tf.dispose([xs, ys]);
  model.dispose?.();
  return results;
}
