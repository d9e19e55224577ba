// Keras-style progress on stderr. verbose 1: "Epoch 1/5" then a bar per epoch, redrawn in place on a
// terminal and printed once at the epoch's end otherwise (logs stay readable); verbose 2: one line per
// epoch; 0: nothing.
//
//   Epoch 1/5
//   4/4 [==============================] - 0s 3ms/step - loss: 0.6931 - acc: 0.5000 - val_loss: 0.6800
import { Callback, Logs } from './callbacks.js';
import { writeStderr } from './stderr.js';

/** Where progress goes (stderr in Node, console in a browser). */
export interface ProgressSink {
  write(text: string): void;
  /** True on a terminal: the bar is redrawn in place with '\r'. */
  interactive: boolean;
}

export function defaultSink(): ProgressSink {
  const stderr = typeof process !== 'undefined' ? process.stderr : undefined;
  return { write: writeStderr, interactive: Boolean(stderr?.isTTY) };
}

const BAR_WIDTH = 30;
/** Redraws of the in-place bar are throttled to this interval (ms). */
const REDRAW_INTERVAL = 100;

/** '0s', '12s', '2:05' for elapsed or remaining time. */
function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(Math.round(seconds % 60)).padStart(2, '0')}`;
}

/** '3ms/step', '250us/step', '1s/step'. */
function formatPerStep(secondsPerStep: number): string {
  if (secondsPerStep >= 1) return `${Math.round(secondsPerStep)}s/step`;
  if (secondsPerStep >= 1e-3) return `${Math.round(secondsPerStep * 1e3)}ms/step`;
  return `${Math.round(secondsPerStep * 1e6)}us/step`;
}

/** ' - loss: 0.1234 - acc: 0.5000' for the given keys present in logs. */
export function formatLogs(logs: Logs, keys: string[]): string {
  return keys
    .filter((k) => logs[k] != null)
    .map((k) => {
      const v = logs[k];
      const text = Math.abs(v) >= 1e-3 || v === 0 || !Number.isFinite(v) ? v.toFixed(4) : v.toExponential(4);
      return ` - ${k}: ${text}`;
    })
    .join('');
}

/** The bar: '[=====>........]' for `done` of `total` steps. */
export function progressBar(done: number, total: number): string {
  const filled = total > 0 ? Math.min(Math.floor((BAR_WIDTH * done) / total), BAR_WIDTH) : BAR_WIDTH;
  if (filled === BAR_WIDTH) return '[' + '='.repeat(BAR_WIDTH) + ']';
  return '[' + '='.repeat(filled) + '>' + '.'.repeat(BAR_WIDTH - filled - 1) + ']';
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** The progress callback fit adds for verbose 1 or 2. */
export class ProgressLogger extends Callback {
  private epochStart = 0;
  private lastDraw = 0;
  private seen = 0;
  private sums: Record<string, number> = {};
  private steps = 0;

  constructor(private readonly verbose: number, private readonly sink: ProgressSink = defaultSink()) {
    super();
  }

  override async onEpochBegin(epoch: number) {
    this.epochStart = now();
    this.lastDraw = 0;
    this.seen = 0;
    this.steps = 0;
    this.sums = {};
    this.sink.write(`Epoch ${epoch + 1}/${this.params.epochs}\n`);
  }

  override async onBatchEnd(batch: number, logs: Logs = {}) {
    const size = logs.size ?? 1;
    this.seen += size;
    this.steps = batch + 1;
    for (const [k, v] of Object.entries(logs)) if (k !== 'batch' && k !== 'size') this.sums[k] = (this.sums[k] ?? 0) + v * size;
    if (this.verbose !== 1 || !this.sink.interactive) return;
    const t = now();
    const total = this.params.steps ?? 0;
    if (t - this.lastDraw < REDRAW_INTERVAL && this.steps < total) return;
    this.lastDraw = t;
    const elapsed = (t - this.epochStart) / 1000;
    const eta = total > this.steps ? (elapsed / this.steps) * (total - this.steps) : 0;
    const running: Logs = {};
    for (const k of Object.keys(this.sums)) running[k] = this.sums[k] / this.seen;
    this.sink.write(`\r${this.stepCounter()} ${progressBar(this.steps, total)} - ETA: ${formatSeconds(eta)}${formatLogs(running, Object.keys(running))}\u001b[K`);
  }

  /** Only the bar redrawn in place shows running values. */
  override get readsBatchLogs(): boolean {
    return this.verbose === 1 && this.sink.interactive;
  }

  override async onEpochEnd(_epoch: number, logs: Logs = {}) {
    const elapsed = (now() - this.epochStart) / 1000;
    const keys = this.params.metrics.filter((k) => logs[k] != null);
    const perStep = formatPerStep(elapsed / Math.max(this.steps, 1));
    if (this.verbose === 1) {
      // On a terminal, overwrite the running bar and clear what is left of its line.
      const [prefix, clear] = this.sink.interactive ? ['\r', '\u001b[K'] : ['', ''];
      const total = this.params.steps ?? this.steps;
      this.sink.write(`${prefix}${this.stepCounter()} ${progressBar(total, total)} - ${formatSeconds(elapsed)} ${perStep}${formatLogs(logs, keys)}${clear}\n`);
    } else {
      const total = this.params.steps ?? this.steps;
      this.sink.write(`${total}/${total} - ${formatSeconds(elapsed)}${formatLogs(logs, keys)} - ${Math.round(elapsed * 1000)}ms/epoch - ${perStep}\n`);
    }
  }

  private stepCounter(): string {
    const total = this.params.steps ?? this.steps;
    return `${String(Math.min(this.steps, total)).padStart(String(total).length)}/${total}`;
  }
}
