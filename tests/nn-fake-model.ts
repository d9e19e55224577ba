// A small TrainableModel made of tf.variables (dense → relu → dense → activation), so the training module
// is tested without the layers code, plus the same network built in tfjs-layers with the same weights.
import { tf, randomValues } from './helpers.js';
import type { Tensor, Tfjs } from './helpers.js';
import type { TrainableModel } from '../src/nn/training/index.js';
import type { Variable } from '../src/index.js';

let modelCount = 0;

export interface FakeOptions {
  inputs: number;
  hidden: number;
  outputs: number;
  activation?: 'linear' | 'softmax' | 'sigmoid';
  seed?: number;
  /** Omit predictLogits (forces the unfused loss path). */
  noLogits?: boolean;
  /** L2 penalty on the first kernel. */
  l2?: number;
}

export class FakeMLP implements TrainableModel {
  readonly name: string;
  readonly inputNames = ['input'];
  readonly outputNames = ['output'];
  readonly inputShapes: (number | null)[][];
  readonly outputShapes: (number | null)[][];
  readonly weights: Variable[];
  stopTraining = false;
  saves: string[] = [];
  predictLogits?: (inputs: Tensor[], training: boolean) => Tensor[];

  constructor(readonly options: FakeOptions) {
    const { inputs, hidden, outputs, seed = 1 } = options;
    this.name = `fake_mlp_${modelCount++}`;
    this.inputShapes = [[null, inputs]];
    this.outputShapes = [[null, outputs]];
    const init = (shape: number[], s: number, scale: number) =>
      tf.tensor(Array.from(randomValues(shape.reduce((a, b) => a * b, 1), s, -scale, scale)), shape);
    const values = [init([inputs, hidden], seed, 0.8), init([hidden], seed + 1, 0.1), init([hidden, outputs], seed + 2, 0.8), init([outputs], seed + 3, 0.1)];
    this.weights = values.map((v, i) => {
      const variable = tf.variable(v, true, `${this.name}/w${i}`);
      v.dispose();
      return variable;
    });
    if (!options.noLogits) this.predictLogits = (x) => [this.logits(x[0])];
  }

  private logits(x: Tensor): Tensor {
    return tf.tidy(() => {
      const [w1, b1, w2, b2] = this.weights;
      const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
      return tf.add(tf.matMul(h, w2), b2);
    });
  }

  predictTensors(inputs: Tensor[]): Tensor[] {
    return [tf.tidy(() => {
      const z = this.logits(inputs[0]);
      const a = this.options.activation ?? 'linear';
      return a === 'softmax' ? tf.softmax(z) : a === 'sigmoid' ? tf.sigmoid(z) : z;
    })];
  }

  get trainableVariables(): Variable[] {
    return this.weights;
  }

  regularizationLoss(): Tensor | null {
    if (!this.options.l2) return null;
    const l2 = this.options.l2;
    return tf.tidy(() => tf.mul(tf.sum(tf.square(this.weights[0])), l2));
  }

  outputActivations(): string[] {
    return [this.options.activation ?? 'linear'];
  }

  getWeights(): Tensor[] {
    return this.weights.map((w) => tf.clone(w));
  }

  setWeights(weights: Tensor[]): void {
    weights.forEach((w, i) => this.weights[i].assign(w));
  }

  async save(url: string | object): Promise<unknown> {
    this.saves.push(String(url));
    return {};
  }

  async values(): Promise<Float32Array[]> {
    return Promise.all(this.weights.map(async (w) => (await w.data()) as Float32Array));
  }

  dispose(): void {
    for (const w of this.weights) w.dispose();
  }
}

/** The same network in tfjs-layers, with the fake's current weights. */
export async function tfjsTwin(tfjs: Tfjs, fake: FakeMLP) {
  const { inputs, hidden, outputs, activation = 'linear', l2 } = fake.options;
  const model = tfjs.sequential({
    layers: [
      tfjs.layers.dense({ units: hidden, activation: 'relu', inputShape: [inputs], kernelRegularizer: l2 ? tfjs.regularizers.l2({ l2 }) : undefined }),
      tfjs.layers.dense({ units: outputs, activation }),
    ],
  });
  const values = await fake.values();
  model.setWeights(values.map((v, i) => tfjs.tensor(Array.from(v), fake.weights[i].shape)));
  return model;
}

/** Seeded data: x in [-1, 1), and targets per loss kind. */
export function makeData(n: number, inputs: number, outputs: number, kind: 'regression' | 'onehot' | 'sparse' | 'binary', seed = 7) {
  const x = randomValues(n * inputs, seed);
  const scores = randomValues(n * outputs, seed + 1);
  let y: number[];
  let yShape: number[];
  if (kind === 'regression') {
    y = Array.from(scores);
    yShape = [n, outputs];
  } else if (kind === 'binary') {
    y = Array.from(scores, (s) => (s > 0 ? 1 : 0));
    yShape = [n, outputs];
  } else {
    const classes = Array.from({ length: n }, (_, i) => {
      let best = 0;
      for (let c = 1; c < outputs; c++) if (scores[i * outputs + c] > scores[i * outputs + best]) best = c;
      return best;
    });
    if (kind === 'sparse') {
      y = classes;
      yShape = [n];
    } else {
      y = classes.flatMap((c) => Array.from({ length: outputs }, (_, k) => (k === c ? 1 : 0)));
      yShape = [n, outputs];
    }
  }
  return { x: Array.from(x), xShape: [n, inputs], y, yShape };
}
