// The Layer base class (tfjs-layers semantics): weights as LayerVariables, lazy build on the first
// call, `apply` on concrete tensors (runs the layer) or on SymbolicTensors (records a graph Node), and
// the config that serialization writes.
import type { DType } from '../backend/backend.js';
import { ENGINE } from '../engine.js';
import { Tensor } from '../tensor.js';
import { Variable, registeredVariables } from '../variable.js';
import { cast } from '../ops/cast.js';
import { logicalAnd } from '../ops/compare.js';
import type { Initializer } from './initializers.js';
import type { Regularizer } from './regularizers.js';
import { formatShape, Node, SymbolicShape, SymbolicTensor } from './symbolic.js';

export interface LayerArgs {
  name?: string;
  trainable?: boolean;
  /** Shape of one sample (no batch dim); makes this layer usable as a model's first layer. */
  inputShape?: SymbolicShape;
  batchInputShape?: SymbolicShape;
  batchSize?: number;
  dtype?: DType;
  /** Initial weight values, set once the layer is built (tfjs `weights`). */
  weights?: Tensor[];
}

export interface CallArgs {
  /** Training mode: dropout drops, etc. */
  training?: boolean;
  /** The mask of the input(s) from upstream (embedding maskZero, masking): [B, T], 1/true = valid step.
   *  Models pass it to layers that support masking; null where an input has none. */
  mask?: Tensor | (Tensor | null)[] | null;
}

const uidCounters = new Map<string, number>();
/** prefix + a per-prefix counter: 'dense_Dense' → 'dense_Dense1' (tfjs getUid). */
export function getUid(prefix: string): string {
  const next = (uidCounters.get(prefix) ?? 0) + 1;
  uidCounters.set(prefix, next);
  return prefix + next;
}

/** tfjs toSnakeCase: 'GlobalAveragePooling2D' → 'global_average_pooling2d'. */
export function toSnakeCase(name: string): string {
  const snake = name.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  return snake[0] === '_' ? 'private' + snake : snake;
}

/** 'dense_Dense1/kernel', or 'dense_Dense1/kernel_1' when that variable name is taken (as tfjs). */
function uniqueVariableName(name: string): string {
  if (!registeredVariables.has(name)) return name;
  for (let i = 1; ; i++) if (!registeredVariables.has(`${name}_${i}`)) return `${name}_${i}`;
}

/** A layer's weight: a tf.Variable plus the layer-scoped name that model files use. */
export class LayerVariable {
  readonly val: Variable;
  /** 'dense_Dense1/kernel': the name before de-duplication; weight files match on it. */
  readonly originalName: string;
  constructor(initial: Tensor, originalName: string, trainable: boolean, readonly regularizer: Regularizer | null = null) {
    this.originalName = originalName;
    this.val = new Variable(initial, trainable, uniqueVariableName(originalName));
  }
  get name(): string { return this.val.name; }
  get shape(): number[] { return this.val.shape; }
  get dtype(): DType { return this.val.dtype; }
  get trainable(): boolean { return this.val.trainable; }
  set trainable(value: boolean) { this.val.trainable = value; }
  /** The variable itself (no copy). */
  read(): Variable {
    this.val.throwIfDisposed(`weight ${this.originalName}`);
    return this.val;
  }
  /** Replaces the value (copied by reference count; the caller keeps ownership of `value`). */
  write(value: Tensor): void {
    if (value.shape.length !== this.shape.length || value.shape.some((d, i) => d !== this.shape[i])) {
      throw new Error(`setWeights: weight '${this.originalName}' has shape [${this.shape}], got [${value.shape}]`);
    }
    if (value.dtype !== this.dtype) {
      throw new Error(`setWeights: weight '${this.originalName}' is ${this.dtype}, got ${value.dtype}`);
    }
    this.val.assign(value);
  }
  dispose(): void { this.val.dispose(); }
}

type ApplyInput = Tensor | SymbolicTensor | (Tensor | SymbolicTensor)[];

/** Classes whose tfjs versions pass masks through (supportsMasking = true there) and whose call ignores them. */
const MASK_PASSING_CLASSES = new Set([
  'Dense', 'Activation', 'Dropout', 'BatchNormalization', 'LayerNormalization', 'ReLU', 'PReLU',
  'Add', 'Concatenate', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Subtract',
]);

let nextLayerId = 0;

export abstract class Layer {
  readonly id = nextLayerId++;
  name: string;
  built = false;
  /** [batch, ...sample] as given by inputShape/batchInputShape; null when not a first layer. */
  batchInputShape: SymbolicShape | null = null;
  dtype: DType | undefined;
  /** Calls on symbolic inputs, in order (one per use in a graph). */
  readonly inboundNodes: Node[] = [];
  readonly outboundNodes: Node[] = [];
  /** Whether call() accepts an input mask (and computeMask passes it on by default), as tfjs. */
  supportsMasking: boolean = MASK_PASSING_CLASSES.has(this.getClassName());
  protected trainableFlag: boolean;
  protected ownTrainableWeights: LayerVariable[] = [];
  protected ownNonTrainableWeights: LayerVariable[] = [];
  private initialWeights: Tensor[] | null;

  constructor(args: LayerArgs = {}) {
    this.name = args.name ?? getUid(toSnakeCase(this.getClassName()) + '_' + this.getClassName());
    this.trainableFlag = args.trainable ?? true;
    if (args.batchInputShape !== undefined && args.batchInputShape !== null) {
      this.batchInputShape = args.batchInputShape.slice();
    } else if (args.inputShape !== undefined && args.inputShape !== null) {
      this.batchInputShape = [args.batchSize ?? null, ...args.inputShape];
    }
    this.dtype = args.dtype ?? (this.batchInputShape ? 'float32' : undefined);
    this.initialWeights = args.weights ?? null;
    if (this.batchInputShape) checkShapeArg(this.batchInputShape, `${this.getClassName()} '${this.name}'`);
  }

  /** The class name written to model files ('Dense'). */
  abstract getClassName(): string;

  /** Creates the weights for an input shape (single-input layers get one shape). */
  build(_inputShape: SymbolicShape | SymbolicShape[]): void {
    this.built = true;
  }

  /** The computation on concrete tensors. */
  abstract call(inputs: Tensor | Tensor[], kwargs: CallArgs): Tensor | Tensor[];

  /** Output shape(s) for the input shape(s); throws naming the layer when they do not fit. */
  computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    return inputShape;
  }

  /**
   * The mask of the output(s) given the input mask (tfjs computeMask): layers that support masking
   * pass it through; others end it here (tfjs would throw; a mask reaching e.g. dense is dropped).
   */
  computeMask(_inputs: Tensor | Tensor[], mask: Tensor | (Tensor | null)[] | null | undefined): Tensor | (Tensor | null)[] | null {
    if (!this.supportsMasking || mask === undefined || mask === null) return null;
    if (!Array.isArray(mask)) return mask;
    // Several inputs (add, concatenate…): a step is valid where every masked input has it valid (tfjs's Merge).
    const given = mask.filter((m): m is Tensor => m !== null);
    if (given.length <= 1) return given[0] ?? null;
    // Masks of different shapes (e.g. concatenated along time) do not combine step by step: none passes.
    if (given.some((m) => m.shape.length !== given[0].shape.length || m.shape.some((d, i) => d !== given[0].shape[i]))) return null;
    return given.slice(1).reduce((all, m) => logicalAnd(all, cast(m, 'bool')), cast(given[0], 'bool'));
  }

  /** Activation name of the output ('linear' when none), so training can fuse it into the loss. */
  activationName(): string {
    return 'linear';
  }

  /** The output before the final activation, for layers that have one (dense with softmax…). */
  callPreActivation?(inputs: Tensor | Tensor[], kwargs: CallArgs): Tensor;

  get trainable(): boolean {
    return this.trainableFlag;
  }
  set trainable(value: boolean) {
    this.trainableFlag = value;
    for (const w of this.ownTrainableWeights) w.trainable = value;
  }

  get trainableWeights(): LayerVariable[] {
    return this.trainableFlag ? this.ownTrainableWeights.slice() : [];
  }
  get nonTrainableWeights(): LayerVariable[] {
    return this.trainableFlag
      ? this.ownNonTrainableWeights.slice()
      : [...this.ownTrainableWeights, ...this.ownNonTrainableWeights];
  }
  /** Trainable weights first, then the rest (tfjs order; also the order of getWeights and model files). */
  get weights(): LayerVariable[] {
    return [...this.trainableWeights, ...this.nonTrainableWeights];
  }

  /** Creates a weight 'layerName/name' from an initializer; `regularizer` adds a penalty to the loss. */
  protected addWeight(
    name: string, shape: number[], initializer: Initializer, regularizer: Regularizer | null = null, trainable = true,
  ): LayerVariable {
    const initial = initializer.apply(shape, 'float32');
    let weight: LayerVariable;
    try {
      weight = new LayerVariable(initial, `${this.name}/${name}`, trainable && this.trainableFlag, regularizer);
    } finally {
      initial.dispose();
    }
    (trainable ? this.ownTrainableWeights : this.ownNonTrainableWeights).push(weight);
    return weight;
  }

  /** The penalty terms of this layer's regularized weights (one scalar each). */
  regularizationPenalties(): Tensor[] {
    return [...this.ownTrainableWeights, ...this.ownNonTrainableWeights]
      .filter((w) => w.regularizer)
      .map((w) => w.regularizer!.apply(w.read()));
  }

  /** Copies of the weight values; the caller owns them. */
  getWeights(trainableOnly = false): Tensor[] {
    return (trainableOnly ? this.trainableWeights : this.weights).map((w) => w.read().clone());
  }

  setWeights(weights: Tensor[]): void {
    const own = this.weights;
    if (weights.length !== own.length) {
      throw new Error(
        `setWeights: layer '${this.name}' has ${own.length} weight(s) (${own.map((w) => `[${w.shape}]`).join(', ')}), got ${weights.length}`,
      );
    }
    own.forEach((w, i) => {
      if (w.shape.length !== weights[i].shape.length || w.shape.some((d, j) => d !== weights[i].shape[j])) {
        throw new Error(`setWeights: layer '${this.name}' weight ${i} ('${w.originalName}') has shape [${w.shape}], got [${weights[i].shape}]`);
      }
    });
    own.forEach((w, i) => w.write(weights[i]));
  }

  countParams(): number {
    return this.weights.reduce((total, w) => total + w.shape.reduce((p, d) => p * d, 1), 0);
  }

  /** The output shape of the layer's (only) call in a graph. */
  get outputShape(): SymbolicShape | SymbolicShape[] {
    if (this.inboundNodes.length === 0) throw new Error(`layer '${this.name}' has never been called, so it has no defined output shape`);
    const shapes = this.inboundNodes.map((node) => node.outputShapes);
    const first = JSON.stringify(shapes[0]);
    if (shapes.some((s) => JSON.stringify(s) !== first)) {
      throw new Error(`layer '${this.name}' has multiple inbound nodes with different output shapes`);
    }
    return shapes[0].length === 1 ? shapes[0][0] : shapes[0];
  }

  /** Inputs that build() checks (e.g. dense: the last dim must match the kernel once built). */
  protected assertInputCompatible(_inputShape: SymbolicShape | SymbolicShape[]): void {}

  /**
   * Runs the layer on concrete tensors, or, given SymbolicTensors (from tf.input or another layer's
   * apply), records the call in the graph and returns symbolic outputs.
   *   const y = tf.layers.dense({units: 3}).apply(tf.input({shape: [4]}));   // SymbolicTensor [null, 3]
   */
  apply(inputs: Tensor, kwargs?: CallArgs): Tensor;
  apply(inputs: Tensor[], kwargs?: CallArgs): Tensor | Tensor[];
  apply(inputs: SymbolicTensor, kwargs?: CallArgs): SymbolicTensor;
  apply(inputs: SymbolicTensor[], kwargs?: CallArgs): SymbolicTensor | SymbolicTensor[];
  apply(inputs: ApplyInput, kwargs?: CallArgs): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[];
  apply(inputs: ApplyInput, kwargs: CallArgs = {}): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length === 0) throw new Error(`${this.name}: apply needs at least one input`);
    const symbolic = list.filter((x) => x instanceof SymbolicTensor).length;
    if (symbolic !== 0 && symbolic !== list.length) {
      throw new Error(`${this.name}: apply got a mix of SymbolicTensors and concrete Tensors`);
    }
    if (symbolic === 0 && !list.every((x) => x instanceof Tensor)) {
      throw new Error(`${this.name}: apply expects Tensors or SymbolicTensors`);
    }
    const shapes = list.map((x) => x.shape as SymbolicShape);
    const shapeArg = Array.isArray(inputs) ? shapes : shapes[0];
    this.assertInputCompatible(shapeArg);
    this.maybeBuild(shapeArg);
    if (symbolic === 0) {
      const concrete = list as Tensor[];
      return ENGINE.tidy(() => this.call(Array.isArray(inputs) ? concrete : concrete[0], kwargs));
    }
    return this.applySymbolic(list as SymbolicTensor[], shapeArg, Array.isArray(inputs), kwargs);
  }

  private maybeBuild(shape: SymbolicShape | SymbolicShape[]): void {
    if (this.built) return;
    this.build(shape);
    this.built = true;
    if (this.initialWeights) {
      this.setWeights(this.initialWeights);
      this.initialWeights = null;
    }
  }

  private applySymbolic(inputs: SymbolicTensor[], shapeArg: SymbolicShape | SymbolicShape[], wasList: boolean, kwargs: CallArgs) {
    const computed = this.computeOutputShape(shapeArg);
    const outputShapes = isShapeList(computed) ? computed : [computed];
    const nodeIndex = this.inboundNodes.length;
    const dtype = inputs[0].dtype;
    const outputs = outputShapes.map(
      (shape, i) => new SymbolicTensor(dtype, shape, this, nodeIndex, i, outputShapes.length === 1 ? `${this.name}/${this.name}` : `${this.name}/${this.name}_${i}`),
    );
    const node = new Node(this, inputs, outputs, recordedCallArgs(kwargs), wasList);
    this.inboundNodes.push(node);
    for (const input of inputs) input.sourceLayer.outboundNodes.push(node);
    return outputs.length === 1 ? outputs[0] : outputs;
  }

  /** tfjs camelCase config: the layer's own arguments plus name, trainable, batchInputShape, dtype. */
  getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = { name: this.name, trainable: this.trainable };
    if (this.batchInputShape) config.batchInputShape = this.batchInputShape.slice();
    if (this.dtype) config.dtype = this.dtype;
    return config;
  }

  /** Frees the weights. */
  dispose(): { refCountAfterDispose: number; numDisposedVariables: number } {
    const all = [...this.ownTrainableWeights, ...this.ownNonTrainableWeights];
    for (const w of all) w.dispose();
    return { refCountAfterDispose: 0, numDisposedVariables: all.length };
  }
}

/** True for [[…], […]] (several shapes), false for one shape [null, 3]. */
export function isShapeList(shape: SymbolicShape | SymbolicShape[]): shape is SymbolicShape[] {
  return shape.length > 0 && Array.isArray(shape[0]);
}

function checkShapeArg(shape: SymbolicShape, context: string): void {
  if (!Array.isArray(shape) || shape.some((d) => d !== null && !(Number.isInteger(d) && d >= 0))) {
    throw new Error(`${context}: input shape must hold non-negative integers (or null), got ${JSON.stringify(shape)}`);
  }
}

/** One shape for single-input layers; throws naming the layer when it got several. */
export function singleShape(shape: SymbolicShape | SymbolicShape[], layer: Layer): SymbolicShape {
  if (!isShapeList(shape)) return shape;
  if (shape.length === 1) return shape[0];
  throw new Error(`${layer.getClassName()} '${layer.name}' expects one input, got ${shape.length}: ${shape.map(formatShape).join(', ')}`);
}

export function singleTensor(x: Tensor | Tensor[], layer: Layer): Tensor {
  if (!Array.isArray(x)) return x;
  if (x.length === 1) return x[0];
  throw new Error(`${layer.getClassName()} '${layer.name}' expects one input, got ${x.length}`);
}

/**
 * The call options a functional graph records and replays on every run (and saves with the model): the
 * plain values (training, useCausalMask, startIndex…). Tensors and masks are per call, not part of the graph.
 */
function recordedCallArgs(kwargs: CallArgs): Record<string, unknown> {
  const recorded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(kwargs)) {
    if (key === 'mask' || value === undefined) continue;
    if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') recorded[key] = value;
  }
  return recorded;
}
