// Layer wrappers as tfjs-layers: bidirectional (a recurrent layer run forward and backward, outputs
// merged) and timeDistributed (one layer applied to every time step). Their weights are the inner
// layers' weights, named under the wrapper as tfjs names them
// ('bidirectional_Bidirectional1/forward_lstm_LSTM1/kernel', 'time_distributed_TimeDistributed1/kernel').
// Shapes: B = batch, T = time steps, U = the inner layer's units.
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { CallArgs, Layer, LayerArgs, LayerVariable, isShapeList, singleShape, singleTensor } from '../layer.js';
import { deserializeLayer, registerLayerClass, serializeLayer } from '../serialization.js';
import { formatShape, SymbolicShape } from '../symbolic.js';
import { RecurrentLayer } from './recurrent.js';

/** Builds `inner` with its weights named under `scope` (its own name is kept). */
export function buildScoped(inner: Layer, scope: string, inputShape: SymbolicShape): void {
  if (inner.built) return;
  const own = inner.name;
  inner.name = scope;
  try {
    inner.build(inputShape);
    inner.built = true;
  } finally {
    inner.name = own;
  }
}

type SerializedLayer = { className: string; config: Record<string, unknown> };

/** What the wrappers share: weights, trainability and disposal come from the inner layers. */
export abstract class Wrapper extends Layer {
  protected abstract innerLayers(): Layer[];
  override get trainableWeights(): LayerVariable[] {
    return this.trainableFlag ? this.innerLayers().flatMap((l) => l.trainableWeights) : [];
  }
  override get nonTrainableWeights(): LayerVariable[] {
    return this.trainableFlag ? this.innerLayers().flatMap((l) => l.nonTrainableWeights) : this.innerLayers().flatMap((l) => l.weights);
  }
  override get trainable(): boolean { return this.trainableFlag; }
  override set trainable(value: boolean) {
    this.trainableFlag = value;
    for (const l of this.innerLayers()) l.trainable = value;
  }
  override regularizationPenalties(): Tensor[] {
    return this.innerLayers().flatMap((l) => l.regularizationPenalties());
  }
  override dispose(): { refCountAfterDispose: number; numDisposedVariables: number } {
    let count = 0;
    for (const l of this.innerLayers()) count += l.dispose().numDisposedVariables;
    return { refCountAfterDispose: 0, numDisposedVariables: count };
  }
}

export type BidirectionalMergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;
const MERGE_MODES: readonly (string | null)[] = ['concat', 'sum', 'mul', 'ave', null];

/** What bidirectional needs of its layer: simpleRNN, lstm, gru, or tf.layers.rnn over cells. */
export type SequenceLayer = Layer & {
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  /** Number of state outputs with returnState. */
  readonly stateCount: number;
  resetStates?(): void;
};

function isSequenceLayer(layer: unknown): layer is SequenceLayer {
  if (layer instanceof RecurrentLayer) return !layer.isCell;
  return layer instanceof Layer && layer.getClassName() === 'RNN';
}

export interface BidirectionalArgs extends LayerArgs {
  /** The recurrent layer run forward; a copy with goBackwards flipped runs backward. */
  layer: SequenceLayer | SerializedLayer;
  /** How the two outputs combine (default 'concat'; null returns both). */
  mergeMode?: BidirectionalMergeMode;
}

/**
 * Runs a recurrent layer over the sequence forward and backward and merges the outputs; the backward
 * sequence is flipped back to time order before merging, as tfjs.
 *   tf.layers.bidirectional({layer: tf.layers.lstm({units: 16, returnSequences: true}), inputShape: [30, 8]})
 */
export class Bidirectional extends Wrapper {
  static readonly className = 'Bidirectional';
  readonly forwardLayer: SequenceLayer;
  readonly backwardLayer: SequenceLayer;
  readonly mergeMode: BidirectionalMergeMode;

  constructor(args: BidirectionalArgs) {
    // A first-layer input shape given to the wrapped layer serves the wrapper (Keras allows either).
    const innerShape = args?.layer instanceof Layer && !args.inputShape && !args.batchInputShape ? args.layer.batchInputShape : null;
    super(innerShape ? { ...args, batchInputShape: innerShape } : args);
    const context = `Bidirectional '${this.name}'`;
    const given = args?.layer instanceof Layer ? args.layer : args?.layer ? deserializeLayer(args.layer as SerializedLayer, context) : null;
    if (!isSequenceLayer(given)) throw new Error(`${context}: layer must be a recurrent layer (simpleRNN, lstm, gru, rnn), got ${given ? given.getClassName() : args?.layer}`);
    const mergeMode = args.mergeMode === undefined ? 'concat' : args.mergeMode;
    if (!MERGE_MODES.includes(mergeMode)) throw new Error(`${context}: mergeMode must be one of concat, sum, mul, ave, null; got '${mergeMode}'`);
    this.mergeMode = mergeMode;
    const config = serializeLayer(given);
    const baseName = config.config.name as string;
    this.forwardLayer = deserializeLayer({ className: config.className, config: { ...config.config, name: `forward_${baseName}` } }, context) as SequenceLayer;
    this.backwardLayer = deserializeLayer({
      className: config.className,
      config: { ...config.config, name: `backward_${baseName}`, goBackwards: !given.goBackwards },
    }, context) as SequenceLayer;
    this.supportsMasking = true;
  }
  getClassName() { return Bidirectional.className; }
  protected innerLayers(): Layer[] { return [this.forwardLayer, this.backwardLayer]; }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    const shape = singleShape(inputShape, this);
    buildScoped(this.forwardLayer, `${this.name}/${this.forwardLayer.name}`, shape);
    buildScoped(this.backwardLayer, `${this.name}/${this.backwardLayer.name}`, shape);
    this.built = true;
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const shape = singleShape(inputShape, this);
    const inner = this.forwardLayer.computeOutputShape(shape);
    const [output, ...states] = isShapeList(inner) ? inner : [inner];
    const merged = this.mergeMode === 'concat' ? [...output.slice(0, -1), (output[output.length - 1] as number) * 2] : output;
    const outputs = this.mergeMode === null ? [output, output.slice()] : [merged];
    if (!this.forwardLayer.returnState) return outputs.length === 1 ? outputs[0] : outputs;
    return [...outputs, ...states, ...states.map((s) => s.slice())];
  }

  override computeMask(_inputs: Tensor | Tensor[], mask: Tensor | (Tensor | null)[] | null | undefined): Tensor | (Tensor | null)[] | null {
    const inputMask = (Array.isArray(mask) ? mask[0] : mask) ?? null;
    const outputMask = this.forwardLayer.returnSequences ? inputMask : null;
    const outputs = this.mergeMode === null ? [outputMask, outputMask] : [outputMask];
    if (!this.forwardLayer.returnState) return outputs.length === 1 ? outputs[0] : outputs;
    return [...outputs, ...Array.from({ length: 2 * this.forwardLayer.stateCount }, () => null)];
  }

  call(inputs: Tensor | Tensor[], kwargs: CallArgs): Tensor | Tensor[] {
    const x = singleTensor(inputs, this);
    const forward = asList(this.forwardLayer.call(x, kwargs));
    const backward = asList(this.backwardLayer.call(x, kwargs));
    let [yForward, yBackward] = [forward[0], backward[0]];
    // The backward layer returns its sequence in processing order: flip it back to time order.
    if (this.forwardLayer.returnSequences) yBackward = ops.reverse(yBackward, 1);
    let outputs: Tensor[];
    switch (this.mergeMode) {
      case 'concat': outputs = [ops.concat([yForward, yBackward], -1)]; break;
      case 'sum': outputs = [ops.add(yForward, yBackward)]; break;
      case 'mul': outputs = [ops.mul(yForward, yBackward)]; break;
      case 'ave': outputs = [ops.mul(ops.add(yForward, yBackward), 0.5)]; break;
      default: outputs = [yForward, yBackward];
    }
    if (this.forwardLayer.returnState) outputs = [...outputs, ...forward.slice(1), ...backward.slice(1)];
    return outputs.length === 1 ? outputs[0] : outputs;
  }

  /** Whether the wrapped layer keeps its states between calls. */
  get stateful(): boolean { return this.forwardLayer.stateful; }

  /** Clears both directions' states (stateful inner layers). */
  resetStates(): void {
    this.forwardLayer.resetStates?.();
    this.backwardLayer.resetStates?.();
  }

  override getConfig(): Record<string, unknown> {
    // The wrapped layer is written as the user gave it (its name without the forward_ prefix), as tfjs.
    const inner = serializeLayer(this.forwardLayer);
    const name = (inner.config.name as string).replace(/^forward_/, '');
    return { mergeMode: this.mergeMode, layer: { className: inner.className, config: { ...inner.config, name } }, ...super.getConfig() };
  }
}

export interface TimeDistributedArgs extends LayerArgs {
  layer: Layer | SerializedLayer;
}

/**
 * Applies one layer to every time step: [B, T, ...] → [B, T, ...inner output], by folding time into the
 * batch ([B·T, ...] through the inner layer).
 *   tf.layers.timeDistributed({layer: tf.layers.dense({units: 8}), inputShape: [10, 16]})
 */
export class TimeDistributed extends Wrapper {
  static readonly className = 'TimeDistributed';
  readonly layer: Layer;
  constructor(args: TimeDistributedArgs) {
    super(args);
    const context = `TimeDistributed '${this.name}'`;
    const given = args?.layer instanceof Layer ? args.layer : args?.layer ? deserializeLayer(args.layer as SerializedLayer, context) : null;
    if (!given) throw new Error(`${context}: needs a layer to wrap`);
    this.layer = given;
    this.supportsMasking = true;
  }
  getClassName() { return TimeDistributed.className; }
  protected innerLayers(): Layer[] { return [this.layer]; }

  /** The inner layer's input shape: the time axis folded away. */
  private stepShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = singleShape(inputShape, this);
    if (shape.length < 3) throw new Error(`TimeDistributed '${this.name}': expected input of rank >= 3 [batch, time, ...], got ${formatShape(shape)}`);
    return [shape[0], ...shape.slice(2)];
  }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    buildScoped(this.layer, this.name, this.stepShape(inputShape));
    this.built = true;
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = singleShape(inputShape, this);
    const inner = this.layer.computeOutputShape(this.stepShape(shape));
    if (isShapeList(inner)) throw new Error(`TimeDistributed '${this.name}': the wrapped layer '${this.layer.name}' must have one output`);
    return [shape[0], shape[1], ...inner.slice(1)];
  }

  call(inputs: Tensor | Tensor[], kwargs: CallArgs): Tensor {
    const x = singleTensor(inputs, this);
    if (x.rank < 3) throw new Error(`TimeDistributed '${this.name}': expected input of rank >= 3 [batch, time, ...], got [${x.shape}]`);
    const [batch, steps] = x.shape;
    const folded = ops.reshape(x, [batch * steps, ...x.shape.slice(2)]);
    const y = this.layer.call(folded, { training: kwargs.training });
    if (Array.isArray(y)) throw new Error(`TimeDistributed '${this.name}': the wrapped layer '${this.layer.name}' must have one output`);
    return ops.reshape(y, [batch, steps, ...y.shape.slice(1)]);
  }

  override getConfig(): Record<string, unknown> {
    return { layer: serializeLayer(this.layer), ...super.getConfig() };
  }
}

function asList(x: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(x) ? x : [x];
}

registerLayerClass(Bidirectional.className, (config) => new Bidirectional(config as unknown as BidirectionalArgs));
registerLayerClass(TimeDistributed.className, (config) => new TimeDistributed(config as unknown as TimeDistributedArgs));
