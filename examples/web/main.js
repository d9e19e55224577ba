// The page: loads MNIST, hands it to the training worker, and shows what the worker reports (backend,
// per-batch loss and accuracy, progress, test accuracy, predictions for the drawing pad).
import { loadMnist } from './mnist.js';
import { TrainingChart } from './chart.js';
import { DrawingPad, showPixels, toMnistPixels } from './draw.js';

const $ = (id) => document.getElementById(id);
const status = (text) => { $('status').textContent = text; };

let ready = false;       // the worker has loaded the wasm
let failed = false;      // the worker could not start (its script, or the wasm, did not load)
let dataReady = false;   // MNIST is in the worker
let run = null;          // { epochs, samples, batchesPerEpoch, totalSamples, samplesDone, epoch } while training
// One prediction in flight at a time; strokes drawn meanwhile are picked up when it answers.
let predictionInFlight = false;
let predictionWanted = false;

// Any Error reaches the error panel, not only the console: a wasm that fails to load must be visible.
function showError(error) {
  const panel = $('errors');
  const text = typeof error === 'string' ? error : String(error?.stack ?? error?.message ?? error);
  panel.hidden = false;
  panel.textContent += (panel.textContent ? '\n\n' : '') + text;
  status('Something went wrong: see the error above.');
}
window.addEventListener('error', (event) => showError(event.error ?? event.message));
window.addEventListener('unhandledrejection', (event) => showError(event.reason));

const worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
// A module worker whose script or imports fail to load reports only a bare event, without the reason.
worker.addEventListener('error', (event) => {
  event.preventDefault();
  workerFailed(event.message || 'The training worker failed to start: train-worker.js or /dist/index.js did not load (is the package built? npm run build).');
});

function workerFailed(message) {
  failed = true;
  showError(message);
  const cell = (tag, text) => Object.assign(document.createElement(tag), { textContent: text });
  $('backend').replaceChildren(cell('dt', 'status'), cell('dd', 'failed to load: see the error above'));
}
worker.addEventListener('messageerror', () => showError('A message from the training worker could not be read.'));

function enableTrainingWhenReady() {
  if (!ready || !dataReady) return;
  $('train').disabled = false;
  status('Ready: press Train, or draw a digit (the untrained model guesses).');
}

const chart = new TrainingChart($('chart'));
const pad = new DrawingPad($('pad'), () => requestPrediction());

function showBackend(info) {
  const rows = [
    ['backend', info.backend],
    ['host', info.host],
    ['variant', info.variant],
    ['threads', info.threads],
    ['relaxed SIMD', info.relaxedSimd ? 'yes' : 'no'],
    ['shared memory', info.sharedMemory ? 'yes' : 'no'],
    ['cross-origin isolated', String(self.crossOriginIsolated)],
    ['wasm', info.wasmUrl],
  ];
  if (info.threadsUnavailable) rows.splice(4, 0, ['why single-threaded', info.threadsUnavailable]);
  $('backend').replaceChildren(...rows.flatMap(([name, value]) => {
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = name;
    dd.textContent = String(value ?? '—');
    dd.dataset.key = name;
    return [dt, dd];
  }));
}

// Live probabilities: one bar per digit; data-probability holds the exact value for tests and tools.
const bars = Array.from({ length: 10 }, (_, digit) => {
  const row = document.createElement('div');
  row.className = 'bar';
  row.innerHTML = `<span>${digit}</span><span class="track"><span class="fill" style="width: 0%"></span></span><span class="value">–</span>`;
  $('bars').append(row);
  return row;
});

function showProbabilities(probabilities) {
  const best = probabilities ? probabilities.indexOf(Math.max(...probabilities)) : -1;
  bars.forEach((row, digit) => {
    const p = probabilities?.[digit];
    row.classList.toggle('best', digit === best);
    row.querySelector('.fill').style.width = `${100 * (p ?? 0)}%`;
    row.querySelector('.value').textContent = p === undefined ? '–' : `${(100 * p).toFixed(1)}%`;
    if (p === undefined) delete row.dataset.probability;
    else row.dataset.probability = String(p);
  });
}

function requestPrediction() {
  predictionWanted = true;
  if (!ready || predictionInFlight) return;
  predictionWanted = false;
  const pixels = toMnistPixels(pad.ink(), pad.canvas.width, pad.canvas.height);
  showPixels($('preview'), pixels);
  if (!pixels) return showProbabilities(null);
  predictionInFlight = true;
  worker.postMessage({ type: 'predict', pixels }, [pixels.buffer]);
}

function formatSeconds(seconds) {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  return seconds < 60 ? `${Math.round(seconds)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

const onMessage = {
  ready({ info }) {
    ready = true;
    showBackend(info);
    enableTrainingWhenReady();
    requestPrediction();
  },
  trainBegin({ epochs, samples, batchesPerEpoch }) {
    run = { epochs, samples, batchesPerEpoch, totalSamples: epochs * samples, samplesDone: 0, epoch: 0 };
    chart.reset(run.totalSamples);
    status(`Training on ${samples.toLocaleString('en-US')} images, ${epochs} epoch${epochs > 1 ? 's' : ''}…`);
  },
  batch({ batch, loss, acc, samplesDone, seconds }) {
    run.samplesDone = samplesDone;
    chart.add(samplesDone, loss, acc);
    const rate = samplesDone / seconds;
    $('progress').value = samplesDone / run.totalSamples;
    $('speed').textContent = `${Math.round(rate)} samples/s · ETA ${formatSeconds((run.totalSamples - samplesDone) / rate)}`;
    status(`Epoch ${run.epoch + 1}/${run.epochs}, batch ${batch + 1}/${run.batchesPerEpoch}: loss ${loss.toFixed(3)}, accuracy ${acc.toFixed(3)}`);
    // Keep the bars current with the weights as they change.
    if (!predictionInFlight) requestPrediction();
  },
  epoch({ epoch, loss, acc }) {
    run.epoch = epoch + 1;
    chart.markEpoch(run.samplesDone);
    status(`Epoch ${epoch + 1}/${run.epochs} done: mean loss ${loss.toFixed(3)}, accuracy ${acc.toFixed(3)}`);
  },
  testing({ done, total }) {
    status(`Testing on the ${total.toLocaleString('en-US')} test images… ${done.toLocaleString('en-US')}`);
  },
  trainEnd({ stopped, samplesDone, fitSeconds, testAccuracy, testCount }) {
    $('train').disabled = false;
    $('stop').disabled = true;
    const rate = samplesDone / fitSeconds;
    $('speed').textContent = `${Math.round(rate)} samples/s · took ${formatSeconds(fitSeconds)}`;
    status(`${stopped ? 'Stopped' : 'Done'}: ${samplesDone.toLocaleString('en-US')} samples in ${fitSeconds.toFixed(1)} s.`);
    const result = $('result');
    result.dataset.testAccuracy = String(testAccuracy);
    result.dataset.fitSeconds = String(fitSeconds);
    result.textContent = `Test accuracy: ${(100 * testAccuracy).toFixed(2)}% on ${testCount.toLocaleString('en-US')} images`;
    run = null;
    requestPrediction();
  },
  prediction({ probabilities }) {
    predictionInFlight = false;
    showProbabilities(probabilities);
    if (predictionWanted) requestPrediction();
  },
  error({ message }) {
    if (!ready) return workerFailed(message);
    showError(message);
    predictionInFlight = false;
    if (!run) return;
    $('train').disabled = false;
    $('stop').disabled = true;
    run = null;
  },
};
worker.addEventListener('message', ({ data }) => onMessage[data.type](data));

$('train-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const number = (id) => Number($(id).value);
  const [epochs, samples, batchSize] = [number('epochs'), number('samples'), number('batch')];
  if (![epochs, samples, batchSize].every((n) => Number.isInteger(n) && n > 0)) {
    return showError(`Epochs, training images and batch must be positive integers (got ${epochs}, ${samples}, ${batchSize}).`);
  }
  $('train').disabled = true;
  $('stop').disabled = false;
  $('progress').value = 0;
  $('speed').textContent = '';
  // The last run's chart and result go at once, not when the worker answers.
  chart.reset(0);
  const result = $('result');
  result.textContent = '';
  delete result.dataset.testAccuracy;
  delete result.dataset.fitSeconds;
  worker.postMessage({ type: 'train', epochs, samples, batchSize });
});
$('stop').addEventListener('click', () => {
  worker.postMessage({ type: 'stop' });
  status('Stopping after this batch…');
});
$('clear').addEventListener('click', () => pad.clear());

try {
  const mnist = await loadMnist('/mnist/', (text, fraction) => { if (!failed) status(text); $('progress').value = fraction; });
  // Transfer, not copy: the page no longer needs the pixels.
  worker.postMessage({ type: 'data', ...mnist }, [mnist.train.images.buffer, mnist.train.labels.buffer, mnist.test.images.buffer, mnist.test.labels.buffer]);
  dataReady = true;
  $('progress').value = 0;
  if (!failed) status(`MNIST loaded (${mnist.train.count.toLocaleString('en-US')} training, ${mnist.test.count.toLocaleString('en-US')} test images); waiting for the wasm backend…`);
  enableTrainingWhenReady();
} catch (error) {
  showError(error);
}
