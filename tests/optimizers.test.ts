// Optimizers: each one vs tfjs's same optimizer over 5 steps of a least-squares problem (W [3,17], b [17]),
// Nesterov, a learning rate changed between steps, AdamW vs a float64 reference, minimize's cost, memory
// over 100 steps, getWeights/setWeights round trips (ours and tfjs's), buffers shared with other tensors,
// variables without a gradient, a backend switch, convergence, and bad input.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachBackend, expectClose, loadTfjs, randomValues, tf } from './helpers.js';
import type { Tfjs } from './helpers.js';
import type { Tensor } from '../src/index.js';
import type { Variable } from '../src/variable.js';
import { Optimizer, train } from '../src/optimizers/index.js';
import type { NamedTensor } from '../src/optimizers/index.js';

const tfjs = await loadTfjs();

// Shape legend: X [N, 3], Y [N, 17], W [3, 17], b [17]; loss = mean((X·W + b − Y)²).
const N = 5;
const IN = 3;
const OUT = 17;
const X_VALUES = Array.from(randomValues(N * IN, 11));
const Y_VALUES = Array.from(randomValues(N * OUT, 12));
const W_INIT = Array.from(randomValues(IN * OUT, 13, -0.5, 0.5));
const B_INIT = Array.from(randomValues(OUT, 14, -0.5, 0.5));

let nameCounter = 0;
const uniqueName = (base: string) => `${base}_${nameCounter++}`;

interface Problem {
  w: Variable;
  b: Variable;
  loss: () => Tensor;
  dispose(): void;
}

/** A variable that is the only tensor over its buffer (tf.variable(t) shares t's buffer). */
function ownedVariable(values: number[], shape: number[], base: string): Variable {
  const initial = tf.tensor(values, shape);
  const variable = tf.variable(initial, true, uniqueName(base));
  initial.dispose();
  return variable;
}

function makeProblem(wValues = W_INIT, bValues = B_INIT): Problem {
  const x = tf.keep(tf.tensor(X_VALUES, [N, IN]));
  const y = tf.keep(tf.tensor(Y_VALUES, [N, OUT]));
  const w = ownedVariable(wValues, [IN, OUT], 'w');
  const b = ownedVariable(bValues, [OUT], 'b');
  return {
    w,
    b,
    loss: () => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))),
    dispose: () => tf.dispose([x, y, w, b]),
  };
}

/** Our optimizer over `steps` minimize calls; `beforeStep` may change hyperparameters. Returns [W, b]. */
function runOurs(optimizer: Optimizer, steps: number, beforeStep?: (step: number) => void): Float32Array[] {
  const problem = makeProblem();
  for (let step = 0; step < steps; step++) {
    beforeStep?.(step);
    optimizer.minimize(problem.loss, false, [problem.w, problem.b]);
  }
  const out = [problem.w.dataSync() as Float32Array, problem.b.dataSync() as Float32Array];
  problem.dispose();
  optimizer.dispose();
  return out;
}

type TfjsOptimizer = ReturnType<Tfjs['train']['sgd']>;
function runTfjs(optimizer: TfjsOptimizer, steps: number, beforeStep?: (step: number) => void): Float32Array[] {
  const x = tfjs.tensor(X_VALUES, [N, IN]);
  const y = tfjs.tensor(Y_VALUES, [N, OUT]);
  const w = tfjs.variable(tfjs.tensor(W_INIT, [IN, OUT]), true, uniqueName('tfjs_w'));
  const b = tfjs.variable(tfjs.tensor(B_INIT, [OUT]), true, uniqueName('tfjs_b'));
  for (let step = 0; step < steps; step++) {
    beforeStep?.(step);
    optimizer.minimize(() => tfjs.mean(tfjs.square(tfjs.sub(tfjs.add(tfjs.matMul(x, w), b), y))), false, [w, b]);
  }
  const out = [w.dataSync() as Float32Array, b.dataSync() as Float32Array];
  tfjs.dispose([x, y, w, b]);
  optimizer.dispose();
  return out;
}

/**
 * tfjs's Adam keeps β2^t as a float32 product, so its 1 − β2^t is off by up to ~3e-5 relative (float32(0.999)
 * is 0.99900001): each of its steps lands within ~1.5e-5·lr of the exact one that ours takes (float64 bias
 * corrections, checked against a float64 reference below). Tolerance for Adam vs tfjs after steps of total lr.
 */
const adamVsTfjsAtol = (totalLearningRate: number) => 1e-6 + 1.5e-5 * totalLearningRate;

function expectSameWeights(actual: Float32Array[], expected: Float32Array[], rtol = 1e-5, atol = 1e-6): void {
  expectClose(actual[0], expected[0], { rtol, atol });
  expectClose(actual[1], expected[1], { rtol, atol });
  // The steps must have moved the weights, or the comparison proves nothing.
  expect(Math.abs(expected[0][0] - W_INIT[0]) + Math.abs(expected[1][0] - B_INIT[0])).toBeGreaterThan(1e-4);
}

/** Float64 gradient of the least-squares loss at (w, b): [dW [3*17], db [17]]. */
function gradients64(w: Float64Array, b: Float64Array): [Float64Array, Float64Array] {
  const dw = new Float64Array(IN * OUT);
  const db = new Float64Array(OUT);
  const scale = 2 / (N * OUT);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < OUT; o++) {
      let prediction = b[o];
      for (let i = 0; i < IN; i++) prediction += X_VALUES[n * IN + i] * w[i * OUT + o];
      const residual = scale * (prediction - Y_VALUES[n * OUT + o]);
      db[o] += residual;
      for (let i = 0; i < IN; i++) dw[i * OUT + o] += X_VALUES[n * IN + i] * residual;
    }
  }
  return [dw, db];
}

/** AdamW in float64: Keras's order (decay the weights, then the Adam step), tfjs's epsilon placement. */
function adamw64(steps: number, lr: number, weightDecay: number, beta1: number, beta2: number, epsilon: number): Float64Array[] {
  const params = [Float64Array.from(W_INIT), Float64Array.from(B_INIT)];
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  for (let t = 1; t <= steps; t++) {
    const grads = gradients64(params[0], params[1]);
    params.forEach((p, k) => {
      for (let i = 0; i < p.length; i++) {
        p[i] -= lr * weightDecay * p[i];
        m[k][i] = beta1 * m[k][i] + (1 - beta1) * grads[k][i];
        v[k][i] = beta2 * v[k][i] + (1 - beta2) * grads[k][i] ** 2;
        const mHat = m[k][i] / (1 - beta1 ** t);
        const vHat = v[k][i] / (1 - beta2 ** t);
        p[i] -= (lr * mHat) / (Math.sqrt(vHat) + epsilon);
      }
    });
  }
  return params;
}

describeEachBackend('optimizers', (backend) => {
  // Every test disposes what it made (optimizer state included): nothing may be left behind.
  let baselineTensors = 0;
  beforeEach(() => {
    baselineTensors = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors, 'tensors left behind').toBe(baselineTensors);
  });

  const cases: [string, () => Optimizer, () => TfjsOptimizer][] = [
    ['sgd', () => train.sgd(0.2), () => tfjs.train.sgd(0.2)],
    ['momentum', () => train.momentum(0.1, 0.9), () => tfjs.train.momentum(0.1, 0.9)],
    ['momentum nesterov', () => train.momentum(0.1, 0.8, true), () => tfjs.train.momentum(0.1, 0.8, true)],
    ['adam', () => train.adam(0.02), () => tfjs.train.adam(0.02)],
    ['adam defaults', () => train.adam(), () => tfjs.train.adam()],
    ['adam betas/epsilon', () => train.adam(0.05, 0.8, 0.99, 1e-3), () => tfjs.train.adam(0.05, 0.8, 0.99, 1e-3)],
    ['rmsprop', () => train.rmsprop(0.01), () => tfjs.train.rmsprop(0.01)],
    // Centered divides by √(ms − mg² − ε): decay 0.5 and a small ε keep that far from cancellation here.
    ['rmsprop momentum centered', () => train.rmsprop(0.01, 0.5, 0.5, 1e-9, true), () => tfjs.train.rmsprop(0.01, 0.5, 0.5, 1e-9, true)],
    ['adagrad', () => train.adagrad(0.1), () => tfjs.train.adagrad(0.1)],
    ['adagrad accumulator', () => train.adagrad(0.3, 0.5), () => tfjs.train.adagrad(0.3, 0.5)],
  ];
  for (const [name, ours, theirs] of cases) {
    it(`${name}: 5 steps match tfjs`, () => {
      expectSameWeights(runOurs(ours(), 5), runTfjs(theirs(), 5));
    });
  }

  it('learning rate changed between steps, as in tfjs', () => {
    const rates = [0.1, 0.05, 0.2, 0.01, 0.03];
    const schedule = (opt: { learningRate: number }) => (step: number) => {
      opt.learningRate = rates[step];
    };
    const adam = train.adam(0.1);
    const tfjsAdam = tfjs.train.adam(0.1);
    const total = rates.reduce((a, b) => a + b);
    expectSameWeights(runOurs(adam, 5, schedule(adam)), runTfjs(tfjsAdam, 5, schedule(tfjsAdam)), 1e-5, adamVsTfjsAtol(total));
    // tfjs's SGD caches −lr, so setLearningRate is its way; ours honours both.
    const momentum = train.momentum(0.1, 0.9);
    const tfjsMomentum = tfjs.train.momentum(0.1, 0.9);
    const decaying = (opt: { setLearningRate(lr: number): void }) => (step: number) => opt.setLearningRate(0.1 / (step + 1));
    expectSameWeights(runOurs(momentum, 5, decaying(momentum)), runTfjs(tfjsMomentum, 5, decaying(tfjsMomentum)));
  });

  it('setMomentum takes effect at the next step (tfjs keeps its first momentum: a tfjs bug)', () => {
    // Velocity starts at 0, so a first step at 0.9 and later ones at 0 are plain SGD throughout; had the
    // change been ignored, steps 2 and 3 would add 0.9·velocity. Compared with float64 SGD.
    const ours = train.momentum(0.1, 0.9);
    const actual = runOurs(ours, 3, (step) => ours.setMomentum(step === 0 ? 0.9 : 0));
    const params = [Float64Array.from(W_INIT), Float64Array.from(B_INIT)];
    for (let step = 0; step < 3; step++) {
      const grads = gradients64(params[0], params[1]);
      params.forEach((p, k) => p.forEach((_, i) => (p[i] -= 0.1 * grads[k][i])));
    }
    expectClose(actual[0], params[0], { rtol: 1e-5, atol: 1e-6 });
    expectClose(actual[1], params[1], { rtol: 1e-5, atol: 1e-6 });
  });

  it('adamw matches a float64 reference (decoupled decay), and weightDecay 0 is adam', () => {
    const expected = adamw64(5, 0.02, 0.1, 0.9, 0.999, 1e-7);
    const actual = runOurs(train.adamw(0.02, 0.1), 5);
    expectClose(actual[0], expected[0], { rtol: 2e-5, atol: 1e-6 });
    expectClose(actual[1], expected[1], { rtol: 2e-5, atol: 1e-6 });
    // The decay term matters here: plain Adam lands measurably elsewhere.
    const adam = runOurs(train.adam(0.02), 5);
    expect(Math.abs(adam[0][0] - actual[0][0])).toBeGreaterThan(1e-5);
    expectSameWeights(runOurs(train.adamw(0.02, 0), 5), runTfjs(tfjs.train.adam(0.02), 5));
    const defaults = train.adamw();
    expect(defaults.getConfig()).toEqual({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.01 });
    defaults.dispose();
  });

  it('minimize returns the cost before the step when asked, null otherwise', () => {
    const problem = makeProblem();
    const optimizer = train.sgd(0.1);
    const before = tf.tidy(() => problem.loss().dataSync()[0]);
    const cost = optimizer.minimize(problem.loss, true)!;
    expect(cost.shape).toEqual([]);
    expectClose(cost.dataSync(), [before], { rtol: 1e-6 });
    cost.dispose();
    expect(optimizer.minimize(problem.loss)).toBeNull();
    const after = tf.tidy(() => problem.loss().dataSync()[0]);
    expect(after).toBeLessThan(before);
    expect(optimizer.iterations).toBe(2);
    optimizer.dispose();
    problem.dispose();
  });

  it('memory stays flat across 100 steps (tensors and bytes)', () => {
    for (const make of [() => train.momentum(0.01, 0.9), () => train.adamw(0.01), () => train.rmsprop(0.001, 0.9, 0.1, undefined, true), () => train.adagrad(0.01)]) {
      const problem = makeProblem();
      const optimizer = make();
      optimizer.minimize(problem.loss, false, [problem.w, problem.b]); // creates the state
      const start = tf.memory();
      for (let step = 0; step < 100; step++) optimizer.minimize(problem.loss, false, [problem.w, problem.b]);
      const end = tf.memory();
      expect(end.numTensors).toBe(start.numTensors);
      expect(end.numBytes).toBe(start.numBytes);
      expect(end.numDataBuffers).toBe(start.numDataBuffers);
      optimizer.dispose();
      problem.dispose();
    }
  });

  it('getWeights/setWeights round trip continues identically (tfjs names and order)', async () => {
    for (const make of [() => train.adam(0.02), () => train.momentum(0.1, 0.9, true), () => train.rmsprop(0.01, 0.9, 0.3, undefined, true), () => train.adagrad(0.1)]) {
      const problem = makeProblem();
      const first = make();
      for (let step = 0; step < 3; step++) first.minimize(problem.loss, false, [problem.w, problem.b]);
      const saved = await first.getWeights();
      const savedW = tf.keep(tf.clone(problem.w));
      const savedB = tf.keep(tf.clone(problem.b));
      for (let step = 0; step < 2; step++) first.minimize(problem.loss, false, [problem.w, problem.b]);
      const continued = [problem.w.dataSync(), problem.b.dataSync()];

      // Names as tfjs writes them: 'iter', then slot by slot, variables in order.
      const slots = { Adam: ['m', 'v'], Momentum: ['momentum'], RMSProp: ['rms', 'momentum', 'mg'], Adagrad: ['accumulator'] }[first.getClassName()]!;
      expect(saved.map((s) => s.name)).toEqual(['iter', ...slots.flatMap((slot) => [`${problem.w.name}/${slot}`, `${problem.b.name}/${slot}`])]);
      expect(saved[0].tensor.dtype).toBe('int32');
      expect(saved[0].tensor.dataSync()[0]).toBe(3);

      problem.w.assign(savedW);
      problem.b.assign(savedB);
      const second = make();
      await second.setWeights(saved);
      tf.dispose(saved.map((s) => s.tensor)); // setWeights copies; the caller's tensors can go
      expect(second.iterations).toBe(3);
      for (let step = 0; step < 2; step++) second.minimize(problem.loss, false, [problem.w, problem.b]);
      expect(problem.w.dataSync()).toEqual(continued[0]);
      expect(problem.b.dataSync()).toEqual(continued[1]);
      tf.dispose([savedW, savedB]);
      first.dispose();
      second.dispose();
      problem.dispose();
    }
  });

  it("setWeights takes tfjs's saved Adam state and continues as tfjs does", async () => {
    const x = tfjs.tensor(X_VALUES, [N, IN]);
    const y = tfjs.tensor(Y_VALUES, [N, OUT]);
    const problem = makeProblem();
    // tfjs variables named like ours, so the state's '<variable>/m' names line up.
    const w = tfjs.variable(tfjs.tensor(W_INIT, [IN, OUT]), true, problem.w.name);
    const b = tfjs.variable(tfjs.tensor(B_INIT, [OUT]), true, problem.b.name);
    const theirs = tfjs.train.adam(0.03);
    const tfjsLoss = () => tfjs.mean(tfjs.square(tfjs.sub(tfjs.add(tfjs.matMul(x, w), b), y)));
    for (let step = 0; step < 3; step++) theirs.minimize(tfjsLoss, false, [w, b]);
    const state = await theirs.getWeights();
    const converted: NamedTensor[] = state.map(({ name, tensor }) => ({
      name,
      tensor: tf.tensor(Array.from(tensor.dataSync()), tensor.shape, tensor.dtype as 'float32' | 'int32'),
    }));
    tf.tidy(() => {
      problem.w.assign(tf.tensor(Array.from(w.dataSync()), [IN, OUT]));
      problem.b.assign(tf.tensor(Array.from(b.dataSync()), [OUT]));
    });
    const ours = train.adam(0.03);
    await ours.setWeights(converted);
    for (let step = 0; step < 2; step++) {
      theirs.minimize(tfjsLoss, false, [w, b]);
      ours.minimize(problem.loss, false, [problem.w, problem.b]);
    }
    expectClose(problem.w.dataSync(), w.dataSync(), { rtol: 1e-5, atol: adamVsTfjsAtol(2 * 0.03) });
    expectClose(problem.b.dataSync(), b.dataSync(), { rtol: 1e-5, atol: adamVsTfjsAtol(2 * 0.03) });
    tf.dispose(converted.map((c) => c.tensor));
    tfjs.dispose([x, y, w, b]);
    theirs.dispose();
    ours.dispose();
    problem.dispose();
  });

  it('a variable sharing its buffer with other tensors is copied first, never corrupting them', () => {
    for (const make of [() => train.sgd(0.1), () => train.momentum(0.1, 0.9), () => train.adam(0.1), () => train.adamw(0.1, 0.1)]) {
      const initial = tf.tensor(W_INIT, [IN, OUT]);
      const w = tf.variable(initial, true, uniqueName('shared')); // shares initial's buffer
      const view = tf.reshape(w, [IN * OUT]); // shares it too
      const assigned = tf.tensor(W_INIT.map((v) => v * 2), [IN, OUT]);
      const optimizer = make();
      const loss = () => tf.sum(tf.square(w));
      optimizer.minimize(loss, false, [w]);
      expectClose(initial.dataSync(), W_INIT, { rtol: 0, atol: 0 });
      expectClose(view.dataSync(), W_INIT, { rtol: 0, atol: 0 });
      expect(w.dataSync()[0]).not.toBe(Math.fround(W_INIT[0]));
      // After assign, the variable shares `assigned`'s buffer: the update must leave `assigned` alone.
      w.assign(assigned);
      optimizer.minimize(loss, false, [w]);
      expectClose(assigned.dataSync(), W_INIT.map((v) => v * 2), { rtol: 0, atol: 0 });
      expect(w.dataSync()[0]).not.toBe(Math.fround(W_INIT[0] * 2));
      tf.dispose([initial, w, view, assigned]);
      optimizer.dispose();
    }
  });

  it('a variable without a gradient in a step is left alone; state is keyed by variable', () => {
    const problem = makeProblem();
    const x = tfjs.tensor(X_VALUES, [N, IN]);
    const y = tfjs.tensor(Y_VALUES, [N, OUT]);
    const w = tfjs.variable(tfjs.tensor(W_INIT, [IN, OUT]), true, uniqueName('tw'));
    const b = tfjs.variable(tfjs.tensor(B_INIT, [OUT]), true, uniqueName('tb'));
    const ours = train.adam(0.05);
    const theirs = tfjs.train.adam(0.05);
    const oursWithoutBias = () => tf.mean(tf.square(tf.sub(tf.matMul(tf.tensor(X_VALUES, [N, IN]), problem.w), tf.tensor(Y_VALUES, [N, OUT]))));
    const theirsWithoutBias = () => tfjs.mean(tfjs.square(tfjs.sub(tfjs.matMul(x, w), y)));
    // Step 1: b takes no part (listed, so tfjs keeps positions); step 2 without a list: only w has a gradient.
    ours.minimize(oursWithoutBias, false, [problem.w, problem.b]);
    theirs.minimize(theirsWithoutBias, false, [w, b]);
    expectClose(problem.b.dataSync(), B_INIT, { rtol: 0, atol: 0 });
    tf.tidy(() => ours.applyGradients({ [problem.w.name]: tf.grad(() => oursWithoutBias())(problem.w) }));
    // The grad above is d/dw of a function of w through closure; recompute the same step for tfjs.
    theirs.applyGradients({ [w.name]: tfjs.tidy(() => tfjs.variableGrads(theirsWithoutBias, [w]).grads[w.name]) });
    expectClose(problem.b.dataSync(), B_INIT, { rtol: 0, atol: 0 });
    // Step 3: both.
    ours.minimize(problem.loss, false, [problem.w, problem.b]);
    theirs.minimize(() => tfjs.mean(tfjs.square(tfjs.sub(tfjs.add(tfjs.matMul(x, w), b), y))), false, [w, b]);
    expectClose(problem.w.dataSync(), w.dataSync(), { rtol: 1e-5, atol: adamVsTfjsAtol(3 * 0.05) });
    expectClose(problem.b.dataSync(), b.dataSync(), { rtol: 1e-5, atol: adamVsTfjsAtol(0.05) });
    tfjs.dispose([x, y, w, b]);
    theirs.dispose();
    ours.dispose();
    problem.dispose();
  });

  it('linear regression converges to known coefficients within 1e-3', () => {
    // y = X·[2, −3, 0.5] + 1 exactly, X [64, 3].
    const rows = 64;
    const xValues = Array.from(randomValues(rows * 3, 21));
    const truth = [2, -3, 0.5];
    const yValues = Array.from({ length: rows }, (_, r) => 1 + truth.reduce((s, c, i) => s + c * xValues[r * 3 + i], 0));
    for (const make of [() => train.momentum(0.3, 0.9), () => train.adam(0.1)]) {
      const x = tf.tensor(xValues, [rows, 3]);
      const y = tf.tensor(yValues, [rows, 1]);
      const coefficients = ownedVariable([0, 0, 0], [3, 1], 'coef');
      const intercept = ownedVariable([0], [], 'intercept');
      const optimizer = make();
      let steps = 0;
      const error = () => Math.max(...truth.map((c, i) => Math.abs(coefficients.dataSync()[i] - c)), Math.abs(intercept.dataSync()[0] - 1));
      while (steps < 300 && error() > 1e-3) {
        optimizer.minimize(() => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, coefficients), intercept), y))), false, [coefficients, intercept]);
        steps++;
      }
      expect(error(), `${optimizer.getClassName()} after ${steps} steps`).toBeLessThan(1e-3);
      tf.dispose([x, y, coefficients, intercept]);
      optimizer.dispose();
    }
  });

  it('config, class names and iterations follow tfjs', () => {
    const opts: [Optimizer, ReturnType<Tfjs['train']['sgd']> | null][] = [
      [train.sgd(0.1), tfjs.train.sgd(0.1)],
      [train.momentum(0.1, 0.9, true), tfjs.train.momentum(0.1, 0.9, true)],
      [train.adam(0.01, 0.8, 0.99), tfjs.train.adam(0.01, 0.8, 0.99)],
      [train.rmsprop(0.01, 0.8, 0.1, undefined, true), tfjs.train.rmsprop(0.01, 0.8, 0.1, undefined, true)],
      [train.adagrad(0.1, 0.2), tfjs.train.adagrad(0.1, 0.2)],
    ];
    for (const [ours, theirs] of opts) {
      expect(ours.getConfig()).toEqual(theirs!.getConfig());
      expect(ours.getClassName()).toBe(theirs!.getClassName());
      expect(ours.iterations).toBe(0);
      ours.dispose();
      theirs!.dispose();
    }
    expect(train.adamw(0.01, 0.05).getClassName()).toBe('AdamW');
  });

  it('rejects bad gradients, unknown variables, int32 variables and malformed weights', async () => {
    const problem = makeProblem();
    const intVariable = tf.variable([1, 2, 3], true, uniqueName('int'), 'int32');
    const optimizer = train.adam(0.1);
    const wrongShape = tf.keep(tf.zeros([OUT]));
    const iter = tf.keep(tf.scalar(1, 'int32'));
    const small = tf.keep(tf.zeros([3]));
    expect(() => optimizer.applyGradients({ [problem.w.name]: wrongShape })).toThrow(/Adam.*\[3,17\].*\[17\]/);
    expect(() => optimizer.applyGradients({ no_such_variable: wrongShape })).toThrow(/Adam.*no_such_variable/);
    expect(() => optimizer.applyGradients({ [intVariable.name]: small })).toThrow(/Adam.*int32/);
    await expect(optimizer.setWeights([{ name: 'iter', tensor: iter }, { name: 'x/v', tensor: wrongShape }, { name: 'x/m', tensor: wrongShape }]))
      .rejects.toThrow(/setWeights.*x\/v/);
    await expect(optimizer.setWeights([{ name: 'iter', tensor: iter }, { name: 'x/m', tensor: wrongShape }]))
      .rejects.toThrow(/setWeights.*multiple of 2/);
    expect(() => train.sgd(undefined as unknown as number)).toThrow(/sgd.*learningRate/);
    expect(() => train.momentum(0.1, NaN)).toThrow(/momentum.*momentum/);
    // State restored for a variable of another shape is caught before any kernel runs.
    await optimizer.setWeights([
      { name: 'iter', tensor: iter },
      { name: `${problem.b.name}/m`, tensor: small },
      { name: `${problem.b.name}/v`, tensor: small },
    ]);
    expect(() => optimizer.minimize(problem.loss, false, [problem.w, problem.b])).toThrow(/Adam.*\/m.*\[3\].*\[17\]/);
    optimizer.dispose();
    tf.dispose([intVariable, wrongShape, iter, small]);
    problem.dispose();
  });

  if (backend === 'wasm') {
    it('variables and state made on another backend are moved before the in-place update', async () => {
      const expected = runOurs(train.adam(0.02), 5);
      const problem = makeProblem();
      const optimizer = train.adam(0.02);
      await tf.setBackend('reference');
      optimizer.minimize(problem.loss, false, [problem.w, problem.b]); // state now lives on 'reference'
      optimizer.minimize(problem.loss, false, [problem.w, problem.b]);
      await tf.setBackend('wasm');
      for (let step = 0; step < 3; step++) optimizer.minimize(problem.loss, false, [problem.w, problem.b]);
      expectClose(problem.w.dataSync(), expected[0], { rtol: 1e-5, atol: 1e-6 });
      expectClose(problem.b.dataSync(), expected[1], { rtol: 1e-5, atol: 1e-6 });
      optimizer.dispose();
      problem.dispose();
    });
  }
});
