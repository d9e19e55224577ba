// The training side of the example, in a module Web Worker so the page stays responsive while the CNN
// trains (sinew's own thread pool runs inside this worker, over shared wasm memory).
//
// Messages in:  {type: 'data', train, test}   MNIST as uint8 pixels (transferred, not copied)
//               {type: 'train', epochs, samples, batchSize}
//               {type: 'stop'}
//               {type: 'predict', pixels}  one image, Float32Array [784] in 0-1
// Messages out: ready {info}, trainBegin, batch, epoch, testing, trainEnd, prediction {probabilities}, error {message}
// Import maps do not reach workers, hence the path rather than 'sinew'.
import * as tf from '/dist/index.js';

const post = (message, transfer) => self.postMessage(message, transfer ?? []);
const reportError = (error) => post({ type: 'error', message: error?.stack ? String(error.stack) : String(error?.message ?? error) });
// preventDefault: reported once, as a message, not again as the page's worker 'error' event.
self.addEventListener('error', (event) => { event.preventDefault(); reportError(event.error ?? event.message); });
self.addEventListener('unhandledrejection', (event) => { event.preventDefault(); reportError(event.reason); });

let mnist;   // { train, test } as the page decoded them
let model;   // the model being trained, or the last one trained (predictions use its current weights)
let training = false;

/** The Keras MNIST CNN of examples/mnist-cnn.ts. */
function buildCnn() {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: [2, 2] }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: [2, 2] }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

/** Images start..end of a split as a [n, 28, 28, 1] tensor of pixels / 255. */
function imageTensor(split, start, end) {
  const bytes = split.images.subarray(start * 784, end * 784);
  const pixels = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) pixels[i] = bytes[i] / 255;
  return tf.tensor4d(pixels, [end - start, 28, 28, 1]);
}

function oneHot(labels) {
  const values = new Float32Array(labels.length * 10);
  labels.forEach((label, i) => { values[i * 10 + label] = 1; });
  return tf.tensor2d(values, [labels.length, 10]);
}

/** Test accuracy over the whole test split, in chunks so the page can show progress. */
async function testAccuracy(net) {
  const { test } = mnist;
  const chunk = 1000;
  let correct = 0;
  for (let start = 0; start < test.count; start += chunk) {
    const end = Math.min(test.count, start + chunk);
    const x = imageTensor(test, start, end);
    const probabilities = net.predict(x, { batchSize: 250 });
    const predicted = await probabilities.argMax(-1).data();
    for (let i = 0; i < predicted.length; i++) if (predicted[i] === test.labels[start + i]) correct++;
    tf.dispose([x, probabilities]);
    post({ type: 'testing', done: end, total: test.count });
    // Between chunks, let a queued 'predict' or 'stop' through.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return correct / test.count;
}

async function train({ epochs, samples, batchSize }) {
  if (training) throw new Error('train: a training run is already going; press Stop first');
  if (!mnist) throw new Error('train: MNIST has not arrived in the worker yet');
  training = true;
  const count = Math.min(samples, mnist.train.count);
  const x = imageTensor(mnist.train, 0, count);
  const y = oneHot(mnist.train.labels.subarray(0, count));
  const previous = model;
  model = buildCnn();
  previous?.dispose();
  const optimizer = tf.train.adam(1e-3);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const batchesPerEpoch = Math.ceil(count / batchSize);
  post({ type: 'trainBegin', epochs, samples: count, batchSize, batchesPerEpoch });
  const start = performance.now();
  let samplesDone = 0;
  try {
    await model.fit(x, y, {
      epochs, batchSize, shuffle: true, verbose: 0,
      // 'auto' yields every ~16 ms, which is what lets 'stop' and 'predict' messages in between batches.
      yieldEvery: 'auto',
      callbacks: {
        onBatchEnd: (batch, logs) => {
          samplesDone += logs.size;
          post({ type: 'batch', batch, loss: logs.loss, acc: logs.acc, samplesDone, seconds: (performance.now() - start) / 1000 });
        },
        onEpochEnd: (epoch, logs) => post({ type: 'epoch', epoch, loss: logs.loss, acc: logs.acc }),
      },
    });
    const fitSeconds = (performance.now() - start) / 1000;
    const stopped = samplesDone < epochs * count;
    const accuracy = await testAccuracy(model);
    post({ type: 'trainEnd', stopped, samplesDone, fitSeconds, testAccuracy: accuracy, testCount: mnist.test.count });
  } finally {
    tf.dispose([x, y]);
    optimizer.dispose();
    training = false;
  }
}

function predict({ pixels }) {
  const probabilities = tf.tidy(() => model.predict(tf.tensor4d(pixels, [1, 28, 28, 1])));
  post({ type: 'prediction', probabilities: Array.from(probabilities.dataSync()) });
  probabilities.dispose();
}

const handlers = {
  data: (message) => { mnist = { train: message.train, test: message.test }; },
  train,
  stop: () => { if (model) model.stopTraining = true; },
  predict,
};

self.addEventListener('message', async ({ data: message }) => {
  try {
    const handler = handlers[message.type];
    if (!handler) throw new Error(`train-worker: unknown message type '${message.type}'`);
    await handler(message);
  } catch (error) {
    reportError(error);
  }
});

// Load the wasm (threads when the page is cross-origin isolated) and start with an untrained model, so
// drawing works (badly) before any training.
try {
  await tf.ready();
  model = buildCnn();
  post({ type: 'ready', info: tf.backendInfo() });
} catch (error) {
  reportError(error);
}
