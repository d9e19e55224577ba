// Recurrent layers with tfjs-layers names, options and weights: simpleRNN, lstm, gru.
// Shapes: B = batch, T = time steps, F = features, U = units; kernels [F, gates·U], [U, gates·U].
// They run the fused whole-sequence ops (src/ops/recurrent.ts: one input GEMM, fused steps, BPTT) when
// those cover the call, and the composed per-step path (./recurrent-cells.ts) otherwise (recurrent
// dropout in training, activations the fused ops lack).
//   const model = tf.sequential({layers: [
//     tf.layers.embedding({inputDim: 1000, outputDim: 32, maskZero: true, inputShape: [50]}),
//     tf.layers.lstm({units: 64}),
//     tf.layers.dense({units: 1, activation: 'sigmoid'})]});
import { ENGINE } from '../../engine.js';
import { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { gru as gruOp, lstm as lstmOp, simpleRnn as simpleRnnOp, type RecurrentOpOptions } from '../../ops/recurrent.js';
import { normalizeActivationName, type ActivationIdentifier } from '../activations.js';
import { getInitializer, Initializer, Ones, serializeInitializer, type SerializedObject } from '../initializers.js';
import { CallArgs, Layer, LayerArgs, LayerVariable, isShapeList } from '../layer.js';
import { getRegularizer, Regularizer, serializeRegularizer } from '../regularizers.js';
import { registerLayerClass } from '../serialization.js';
import { formatShape, SymbolicShape, SymbolicTensor } from '../symbolic.js';
import {
  dropoutKeepMask, GATES, runComposed, type RecurrentKind, type RecurrentWeights,
} from './recurrent-cells.js';

type InitializerArg = string | Initializer | SerializedObject;
type RegularizerArg = string | Regularizer | SerializedObject | null;

export interface RecurrentLayerArgs extends LayerArgs {
  units: number;
  activation?: ActivationIdentifier | string;
  /** Gates' activation (lstm, gru); tfjs's default is 'hardSigmoid' (Keras's is 'sigmoid'). */
  recurrentActivation?: ActivationIdentifier | string;
  useBias?: boolean;
  kernelInitializer?: InitializerArg;
  recurrentInitializer?: InitializerArg;
  biasInitializer?: InitializerArg;
  kernelRegularizer?: RegularizerArg;
  recurrentRegularizer?: RegularizerArg;
  biasRegularizer?: RegularizerArg;
  /** Fraction of the input features dropped in training (one mask for all steps). */
  dropout?: number;
  /** Fraction of the state dropped before the recurrent product in training (one mask for all steps). */
  recurrentDropout?: number;
  returnSequences?: boolean;
  returnState?: boolean;
  /** Processes the sequence in reverse; the returned sequence is in processing order (tfjs). */
  goBackwards?: boolean;
  /** Keeps the final states of a batch as the initial states of the next (resetStates clears them). */
  stateful?: boolean;
  unroll?: boolean;
  implementation?: number;
  /** lstm: the forget gate's bias starts at 1 (default false, as tfjs; Keras's default is true). */
  unitForgetBias?: boolean;
  /** gru: Keras's variant (reset gate after the recurrent product, bias [2, 3U]); tfjs has only false. */
  resetAfter?: boolean;
  inputDim?: number;
  inputLength?: number;
}

/** The activations the fused ops implement. */
const FUSED_ACTIVATIONS = new Set(['sigmoid', 'hardSigmoid', 'tanh', 'relu', 'linear']);

export type ApplyInput = Tensor | SymbolicTensor | (Tensor | SymbolicTensor)[];

export interface RecurrentCallArgs extends CallArgs {
  /** Initial states ([h] or [h, c], each [B, U]), as tfjs's apply(x, {initialState}); same as apply([x, ...states]). */
  initialState?: Tensor | SymbolicTensor | (Tensor | SymbolicTensor)[] | null;
}

/** kwargs.initialState moved into the inputs: apply(x, {initialState: [h, c]}) → apply([x, h, c]). */
export function foldInitialState(inputs: ApplyInput, kwargs: RecurrentCallArgs): { inputs: ApplyInput; kwargs: CallArgs } {
  const { initialState, ...rest } = kwargs;
  if (initialState === undefined || initialState === null) return { inputs, kwargs: rest };
  const states = Array.isArray(initialState) ? initialState : [initialState];
  return { inputs: [...(Array.isArray(inputs) ? inputs : [inputs]), ...states], kwargs: rest };
}

/** A mask as float 0/1 (tfjs reads any nonzero value as a valid step, e.g. 0.5 → 1). */
export function stepMask(mask: Tensor): Tensor {
  return ops.cast(mask.dtype === 'bool' ? mask : ops.notEqual(mask, 0), 'float32');
}

/** Which path recurrent layers take; tests flip it to check the fused and composed paths agree. */
export const recurrentPaths = { preferFused: true };

function rate(value: number | undefined, name: string, context: string): number {
  const r = value ?? 0;
  if (typeof r !== 'number' || !(r >= 0 && r < 1)) throw new Error(`${context}: ${name} must be in [0, 1), got ${value}`);
  return r;
}

/** The shared body of simpleRNN, lstm and gru (tfjs's RNN layer with its cell folded in). */
export abstract class RecurrentLayer extends Layer {
  abstract readonly kind: RecurrentKind;
  readonly units: number;
  readonly activation: ActivationIdentifier;
  readonly recurrentActivation: ActivationIdentifier;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly recurrentInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly recurrentRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  readonly unroll: boolean;
  kernel: LayerVariable | null = null;
  recurrentKernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;
  /** Stateful layers: the states carried to the next call ([h] or [h, c]), kept out of tidy scopes. */
  private keptStates: Tensor[] | null = null;
  private retiredStates: Tensor[] = [];
  private statefulBatch: number | null = null;

  constructor(args: RecurrentLayerArgs, defaultRecurrentActivation: ActivationIdentifier) {
    const inputShape = args?.inputShape ?? (args?.inputDim !== undefined ? [args.inputLength ?? null, args.inputDim] : undefined);
    super({ ...args, inputShape });
    const context = `${this.getClassName()} '${this.name}'`;
    if (!args || !Number.isInteger(args.units) || args.units < 1) throw new Error(`${context}: units must be a positive integer, got ${args?.units}`);
    this.units = args.units;
    this.activation = normalizeActivationName(args.activation ?? 'tanh', context);
    this.recurrentActivation = normalizeActivationName(args.recurrentActivation ?? defaultRecurrentActivation, context);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = getInitializer(args.kernelInitializer ?? 'glorotNormal', `${context} kernelInitializer`);
    this.recurrentInitializer = getInitializer(args.recurrentInitializer ?? 'orthogonal', `${context} recurrentInitializer`);
    this.biasInitializer = getInitializer(args.biasInitializer ?? 'zeros', `${context} biasInitializer`);
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, `${context} kernelRegularizer`);
    this.recurrentRegularizer = getRegularizer(args.recurrentRegularizer, `${context} recurrentRegularizer`);
    this.biasRegularizer = getRegularizer(args.biasRegularizer, `${context} biasRegularizer`);
    this.dropout = rate(args.dropout, 'dropout', context);
    this.recurrentDropout = rate(args.recurrentDropout, 'recurrentDropout', context);
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.stateful = args.stateful ?? false;
    this.unroll = args.unroll ?? false;
    this.supportsMasking = true;
  }

  /**
   * As Layer.apply; kwargs.initialState joins the inputs ([x, h0(, c0)]), so in a graph the states are
   * inputs of the call (an encoder's returned states can start a decoder).
   */
  override apply(inputs: Tensor, kwargs?: RecurrentCallArgs): Tensor;
  override apply(inputs: Tensor[], kwargs?: RecurrentCallArgs): Tensor | Tensor[];
  override apply(inputs: SymbolicTensor, kwargs?: RecurrentCallArgs): SymbolicTensor;
  override apply(inputs: SymbolicTensor[], kwargs?: RecurrentCallArgs): SymbolicTensor | SymbolicTensor[];
  override apply(inputs: ApplyInput, kwargs?: RecurrentCallArgs): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[];
  override apply(inputs: ApplyInput, kwargs: RecurrentCallArgs = {}): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[] {
    const folded = foldInitialState(inputs, kwargs);
    return super.apply(folded.inputs, folded.kwargs);
  }

  /** True for the single-step cells of tf.layers.rnn (./rnn.ts). */
  get isCell(): boolean { return false; }

  /** Number of state tensors: [h] or [h, c]. */
  get stateCount(): number { return this.kind === 'lstm' ? 2 : 1; }

  protected context(): string { return `${this.getClassName()} '${this.name}'`; }

  /** [B, T, F] with F known; throws naming the layer otherwise. */
  protected sequenceShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = isShapeList(inputShape) ? inputShape[0] : inputShape;
    if (shape.length !== 3) throw new Error(`${this.context()}: expected input of rank 3 [batch, time, features], got ${formatShape(shape)}`);
    if (shape[2] === null) throw new Error(`${this.context()}: the feature dimension must be known, got ${formatShape(shape)}`);
    return shape;
  }

  protected override assertInputCompatible(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shape = this.sequenceShape(inputShape);
    if (this.kernel && shape[2] !== this.kernel.shape[0]) {
      throw new Error(`${this.context()}: expected input with ${this.kernel.shape[0]} features, got ${formatShape(shape)}`);
    }
  }

  /** The bias's shape and initial value (lstm's unitForgetBias, gru's resetAfter change them). */
  protected biasShape(): number[] { return [GATES[this.kind] * this.units]; }
  protected biasInitializerForBuild(): Initializer { return this.biasInitializer; }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shape = this.sequenceShape(inputShape);
    const gates = GATES[this.kind] * this.units;
    this.kernel = this.addWeight('kernel', [shape[2]!, gates], this.kernelInitializer, this.kernelRegularizer);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, gates], this.recurrentInitializer, this.recurrentRegularizer);
    if (this.useBias) this.bias = this.addWeight('bias', this.biasShape(), this.biasInitializerForBuild(), this.biasRegularizer);
    this.statefulBatch = shape[0];
    this.built = true;
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const shape = this.sequenceShape(inputShape);
    const output = this.returnSequences ? [shape[0], shape[1], this.units] : [shape[0], this.units];
    if (!this.returnState) return output;
    return [output, ...Array.from({ length: this.stateCount }, () => [shape[0], this.units])];
  }

  override computeMask(_inputs: Tensor | Tensor[], mask: Tensor | (Tensor | null)[] | null | undefined): Tensor | (Tensor | null)[] | null {
    const inputMask = (Array.isArray(mask) ? mask[0] : mask) ?? null;
    const outputMask = this.returnSequences ? inputMask : null;
    if (!this.returnState) return outputMask;
    return [outputMask, ...Array.from({ length: this.stateCount }, () => null)];
  }

  /** Clears (zeros) a stateful layer's states, or sets them to `states` ([B, U] each). */
  resetStates(states?: Tensor | Tensor[]): void {
    if (!this.stateful) throw new Error(`${this.context()}: resetStates() needs a stateful layer`);
    const batch = this.statefulBatch;
    if (batch === null) {
      throw new Error(`${this.context()}: a stateful layer needs a known batch size: give the first layer batchInputShape (or tf.input a batchShape)`);
    }
    const list = states === undefined ? null : Array.isArray(states) ? states : [states];
    if (list && list.length !== this.stateCount) throw new Error(`${this.context()}: expects ${this.stateCount} state(s), got ${list.length}`);
    list?.forEach((s, i) => {
      if (s.rank !== 2 || s.shape[0] !== batch || s.shape[1] !== this.units) {
        throw new Error(`${this.context()}: state ${i} must have shape [${batch},${this.units}], got [${s.shape}]`);
      }
    });
    this.retiredStates.push(...(this.keptStates ?? []));
    this.keptStates = Array.from({ length: this.stateCount }, (_, i) =>
      ENGINE.keep(list ? ops.clone(list[i]) : ops.zeros([batch, this.units])));
  }

  /** The current states of a stateful layer (copies; the caller owns them), null before the first call. */
  getStates(): Tensor[] | null {
    return this.keptStates?.map((s) => s.clone()) ?? null;
  }

  call(inputs: Tensor | Tensor[], kwargs: CallArgs): Tensor | Tensor[] {
    for (const s of this.retiredStates.splice(0)) s.dispose();
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const x = list[0];
    if (x.rank !== 3) throw new Error(`${this.context()}: expected input of rank 3 [batch, time, features], got [${x.shape}]`);
    const [batch, steps, features] = x.shape;
    if (steps < 1) throw new Error(`${this.context()}: the input needs at least one time step, got [${x.shape}]`);
    if (features !== this.kernel!.shape[0]) {
      throw new Error(`${this.context()}: expected input with ${this.kernel!.shape[0]} features, got [${x.shape}]`);
    }
    const mask = this.inputMask(kwargs.mask, batch, steps);
    const initialStates = this.initialStates(list.slice(1), batch);
    const { sequence, states } = this.runSequence(x, initialStates, mask, kwargs.training ?? false, this.goBackwards);
    if (this.stateful) {
      // The previous states may still be on a gradient tape (fit's backward runs after this call),
      // so they are freed on the next call instead of now.
      this.retiredStates.push(...(this.keptStates ?? []));
      this.keptStates = states.map((s) => ENGINE.keep(ops.clone(s)));
    }
    // The last output equals the final h: masked steps repeat the previous output (tfjs).
    const output = this.returnSequences ? sequence : states[0];
    return this.returnState ? [output, ...states] : output;
  }

  /**
   * The whole-sequence computation on x [B, T, F] from the given states: dropout in training, then the
   * fused op or the composed steps. Also what tf.layers.rnn runs for each of its cells.
   */
  runSequence(x: Tensor, initialStates: Tensor[], mask: Tensor | null, training: boolean, goBackwards: boolean)
    : { sequence: Tensor; states: Tensor[] } {
    const [batch, , features] = x.shape;
    let input = x;
    if (training && this.dropout > 0) input = ops.mul(x, dropoutKeepMask([batch, 1, features], this.dropout));
    const recurrentDropMask = training && this.recurrentDropout > 0 ? dropoutKeepMask([batch, this.units], this.recurrentDropout) : null;
    const weights: RecurrentWeights = { kernel: this.kernel!.read(), recurrentKernel: this.recurrentKernel!.read(), bias: this.bias?.read() ?? null };
    const fused = recurrentDropMask === null && recurrentPaths.preferFused ? this.runFused(input, weights, initialStates, mask, goBackwards) : null;
    return fused ?? runComposed(input, weights, initialStates, {
      kind: this.kind, activation: this.activation, recurrentActivation: this.recurrentActivation, goBackwards,
      mask, resetAfter: this.resetAfterFlag(), recurrentDropMask,
    });
  }

  protected resetAfterFlag(): boolean { return false; }

  /** The mask [B, T] as float 0/1, checked against the input; null when there is none. */
  private inputMask(given: CallArgs['mask'], batch: number, steps: number): Tensor | null {
    const mask = (Array.isArray(given) ? given[0] : given) ?? null;
    if (mask === null) return null;
    if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== steps) {
      throw new Error(`${this.context()}: the mask must have shape [${batch},${steps}] (batch, time), got [${mask.shape}]`);
    }
    return stepMask(mask);
  }

  /** Initial states from extra inputs ([x, h0(, c0)]), a stateful layer's kept states, or zeros. */
  private initialStates(given: Tensor[], batch: number): Tensor[] {
    if (given.length > 0) {
      if (given.length !== this.stateCount) throw new Error(`${this.context()}: expects ${this.stateCount} initial state(s), got ${given.length}`);
      given.forEach((s, i) => {
        if (s.rank !== 2 || s.shape[0] !== batch || s.shape[1] !== this.units) {
          throw new Error(`${this.context()}: initial state ${i} must have shape [${batch},${this.units}], got [${s.shape}]`);
        }
      });
      return given;
    }
    if (this.stateful) {
      if (this.statefulBatch === null) this.statefulBatch = batch;
      if (!this.keptStates) this.resetStates();
      if (this.keptStates![0].shape[0] !== batch) {
        throw new Error(`${this.context()}: a stateful layer was built for batch size ${this.keptStates![0].shape[0]}, got a batch of ${batch}`);
      }
      return this.keptStates!;
    }
    return Array.from({ length: this.stateCount }, () => ops.zeros([batch, this.units]));
  }

  /** The fused op's result, or null when the fused ops cannot run this configuration. */
  private runFused(x: Tensor, weights: RecurrentWeights, initialStates: Tensor[], mask: Tensor | null, goBackwards: boolean)
    : { sequence: Tensor; states: Tensor[] } | null {
    if (!FUSED_ACTIVATIONS.has(this.activation) || !FUSED_ACTIVATIONS.has(this.recurrentActivation)) return null;
    const options: RecurrentOpOptions = {
      activation: this.activation as RecurrentOpOptions['activation'],
      recurrentActivation: this.recurrentActivation as RecurrentOpOptions['activation'],
      goBackwards,
    };
    if (mask) options.mask = mask;
    const { kernel, recurrentKernel, bias } = weights;
    switch (this.kind) {
      case 'lstm': {
        const out = lstmOp(x, kernel, recurrentKernel, bias, initialStates[0], initialStates[1], options);
        return { sequence: out.sequence, states: [out.h, out.c] };
      }
      case 'gru': {
        const out = gruOp(x, kernel, recurrentKernel, bias, initialStates[0], { ...options, resetAfter: this.resetAfterFlag() });
        return { sequence: out.sequence, states: [out.h] };
      }
      case 'simpleRnn': {
        const out = simpleRnnOp(x, kernel, recurrentKernel, bias, initialStates[0], options);
        return { sequence: out.sequence, states: [out.h] };
      }
    }
  }

  override getConfig(): Record<string, unknown> {
    return {
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      recurrentInitializer: serializeInitializer(this.recurrentInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      recurrentRegularizer: serializeRegularizer(this.recurrentRegularizer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      activityRegularizer: null,
      kernelConstraint: null,
      recurrentConstraint: null,
      biasConstraint: null,
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
      unroll: this.unroll,
      ...super.getConfig(),
    };
  }

  override dispose(): { refCountAfterDispose: number; numDisposedVariables: number } {
    for (const s of [...(this.keptStates ?? []), ...this.retiredStates.splice(0)]) s.dispose();
    this.keptStates = null;
    return super.dispose();
  }
}

/**
 * Fully-connected RNN: h_t = activation(x_t·W + h_{t-1}·U + b).
 *   tf.layers.simpleRNN({units: 8, returnSequences: true, inputShape: [10, 4]})
 */
export class SimpleRNN extends RecurrentLayer {
  static readonly className: string = 'SimpleRNN';
  readonly kind = 'simpleRnn';
  constructor(args: RecurrentLayerArgs) { super(args, 'hardSigmoid'); }
  getClassName() { return SimpleRNN.className; }
}

/**
 * Long short-term memory (Hochreiter 1997), gates [i | f | c | o] as tfjs.
 *   tf.layers.lstm({units: 64, returnSequences: false, inputShape: [100, 16]})
 */
export class LSTM extends RecurrentLayer {
  static readonly className: string = 'LSTM';
  readonly kind = 'lstm';
  readonly unitForgetBias: boolean;
  readonly implementation: number;
  constructor(args: RecurrentLayerArgs) {
    super(args, 'hardSigmoid');
    // tfjs leaves it undefined (off) unless given; Keras defaults to true.
    this.unitForgetBias = args.unitForgetBias ?? false;
    this.implementation = args.implementation ?? 1;
  }
  getClassName() { return LSTM.className; }

  /** unitForgetBias: [init(U), ones(U), init(2U)], as tfjs. */
  protected override biasInitializerForBuild(): Initializer {
    if (!this.unitForgetBias) return this.biasInitializer;
    const base = this.biasInitializer;
    const units = this.units;
    return new (class UnitForgetBias extends Initializer {
      getClassName() { return 'UnitForgetBias'; }
      apply() {
        return ENGINE.tidy(() => ops.concat([base.apply([units]), new Ones().apply([units]), base.apply([2 * units])], 0));
      }
    })();
  }

  override getConfig(): Record<string, unknown> {
    const config = super.getConfig();
    return { ...config, recurrentActivation: this.recurrentActivation, unitForgetBias: this.unitForgetBias, implementation: this.implementation };
  }
}

/**
 * Gated recurrent unit (Cho 2014), gates [z | r | h] as tfjs; resetAfter selects Keras's variant.
 *   tf.layers.gru({units: 32, inputShape: [20, 8]})
 */
export class GRU extends RecurrentLayer {
  static readonly className: string = 'GRU';
  readonly kind = 'gru';
  readonly resetAfter: boolean;
  readonly implementation: number;
  constructor(args: RecurrentLayerArgs) {
    super(args, 'hardSigmoid');
    this.resetAfter = args.resetAfter ?? false;
    this.implementation = args.implementation ?? 1;
  }
  getClassName() { return GRU.className; }
  protected override resetAfterFlag(): boolean { return this.resetAfter; }
  protected override biasShape(): number[] {
    return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
  }
  override getConfig(): Record<string, unknown> {
    const config = super.getConfig();
    return { ...config, recurrentActivation: this.recurrentActivation, implementation: this.implementation, resetAfter: this.resetAfter };
  }
}

registerLayerClass(SimpleRNN.className, (config) => new SimpleRNN(config as RecurrentLayerArgs));
registerLayerClass(LSTM.className, (config) => new LSTM(config as RecurrentLayerArgs));
registerLayerClass(GRU.className, (config) => new GRU(config as RecurrentLayerArgs));
