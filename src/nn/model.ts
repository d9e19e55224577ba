// LayersModel (functional graph: tf.model({inputs, outputs})) and Sequential (model.add), with the
// tfjs-layers surface: predict/fit/evaluate/… delegate to ./training, save to ./io, summary to
// ./summary. Execution walks the graph's nodes in dependency order on concrete tensors.
import type { DType } from '../backend/backend.js';
import { ENGINE } from '../engine.js';
import { Tensor } from '../tensor.js';
import type { Variable } from '../variable.js';
import * as ops from '../ops/index.js';
import { CallArgs, getUid, isShapeList, Layer, LayerVariable } from './layer.js';
import { InputLayer, input as makeInput } from './layers/core.js';
import { orderGraph } from './graph.js';
import { formatShape, Node, SymbolicShape, SymbolicTensor } from './symbolic.js';
import { printSummary } from './summary.js';
import {
  compileModel, evaluateModel, fitDatasetModel, fitModel, predictModel, predictOnBatch, trainOnBatch,
  type CompiledModel, type DatasetLike, type History, type ModelCompileArgs, type ModelFitArgs, type ModelFitDatasetArgs,
  type TensorArgs, type TrainableModel,
} from './training/index.js';
import type { Optimizer } from '../optimizers/index.js';

export interface ModelArgs {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

/** Activations whose fused loss needs the logits (softmax/sigmoid cross-entropy). */
const LOGIT_ACTIVATIONS = new Set(['softmax', 'sigmoid']);

/**
 * A model over a graph of layers.
 *   const x = tf.input({shape: [4]});
 *   const y = tf.layers.dense({units: 2, activation: 'softmax'}).apply(tf.layers.dense({units: 8}).apply(x));
 *   const model = tf.model({inputs: x, outputs: y});
 */
export class LayersModel extends Layer implements TrainableModel {
  static readonly className: string = 'Model';
  inputs: SymbolicTensor[] = [];
  outputs: SymbolicTensor[] = [];
  protected graphLayers: Layer[] = [];
  /** The layer calls of this graph by depth (0 = outputs), as tfjs's nodesByDepth. */
  nodesByDepth = new Map<number, Node[]>();
  protected graphNodes = new Set<Node>();
  protected executionOrder: Node[] = [];
  /** Set by callbacks (earlyStopping…) to end fit() after the current batch. */
  stopTraining = false;
  /** Set by compile(): what training needs (loss, metrics, optimizer), owned by ./training. */
  compiled: CompiledModel | undefined = undefined;

  constructor(args: Partial<ModelArgs> & { name?: string } = {}) {
    super({ name: args.name ?? getUid(args.inputs ? 'model' : 'sequential_') });
    if (args.inputs !== undefined || args.outputs !== undefined) {
      if (!args.inputs || !args.outputs) throw new Error('model: needs both inputs and outputs');
      this.initGraph(toList(args.inputs), toList(args.outputs));
    }
  }
  getClassName(): string { return 'Model'; }

  protected initGraph(inputs: SymbolicTensor[], outputs: SymbolicTensor[]): void {
    const context = `model '${this.name}'`;
    for (const x of [...inputs, ...outputs]) {
      if (!(x instanceof SymbolicTensor)) throw new Error(`${context}: inputs and outputs must be SymbolicTensors (from tf.input / layer.apply)`);
    }
    inputs.forEach((x, i) => {
      if (!(x.sourceLayer instanceof InputLayer)) {
        throw new Error(`${context}: input ${i} must come from tf.input(); it is an output of layer '${x.sourceLayer.name}'`);
      }
      if (inputs.indexOf(x) !== i) throw new Error(`${context}: input '${x.sourceLayer.name}' is listed twice`);
    });
    const order = orderGraph(inputs, outputs, context);
    this.inputs = inputs.slice();
    this.outputs = outputs.slice();
    this.graphLayers = order.layers;
    this.nodesByDepth = order.nodesByDepth;
    this.graphNodes = order.nodes;
    this.executionOrder = order.executionOrder;
    this.built = true;
  }

  /** Every layer, inputs first (tfjs order). */
  get layers(): Layer[] { return this.graphLayers.slice(); }
  get inputLayers(): Layer[] { return this.inputs.map((t) => t.sourceLayer); }
  get outputLayers(): Layer[] { return this.outputs.map((t) => t.sourceLayer); }
  get inputNames(): string[] { return this.inputLayers.map((l) => l.name); }
  get outputNames(): string[] { return this.outputLayers.map((l) => l.name); }
  get inputShapes(): SymbolicShape[] { return this.inputs.map((t) => t.shape.slice()); }
  get outputShapes(): SymbolicShape[] { return this.outputs.map((t) => t.shape.slice()); }
  /** Whether node belongs to this model's graph (a shared layer has calls in other graphs too). */
  hasNode(node: Node): boolean { return this.graphNodes.has(node); }

  getLayer(nameOrIndex: string | number): Layer {
    const layers = this.layers;
    if (typeof nameOrIndex === 'number') {
      if (!(nameOrIndex >= 0 && nameOrIndex < layers.length)) throw new Error(`getLayer: index ${nameOrIndex} is out of range (the model has ${layers.length} layers)`);
      return layers[nameOrIndex];
    }
    const found = layers.find((l) => l.name === nameOrIndex);
    if (!found) throw new Error(`getLayer: no layer named '${nameOrIndex}' (layers: ${layers.map((l) => l.name).join(', ')})`);
    return found;
  }

  // --- weights ---

  private uniqueWeights(pick: (layer: Layer) => LayerVariable[]): LayerVariable[] {
    const seen = new Set<LayerVariable>();
    const out: LayerVariable[] = [];
    for (const layer of this.graphLayers) for (const w of pick(layer)) if (!seen.has(w)) { seen.add(w); out.push(w); }
    return out;
  }
  override get trainableWeights(): LayerVariable[] {
    return this.trainableFlag ? this.uniqueWeights((l) => l.trainableWeights) : [];
  }
  override get nonTrainableWeights(): LayerVariable[] {
    if (!this.trainableFlag) return this.uniqueWeights((l) => l.weights);
    const trainable = new Set(this.trainableWeights);
    return this.uniqueWeights((l) => l.weights).filter((w) => !trainable.has(w));
  }
  override get trainable(): boolean { return this.trainableFlag; }
  override set trainable(value: boolean) {
    this.trainableFlag = value;
    for (const layer of this.graphLayers) layer.trainable = value;
  }
  /** The trainable tf.Variables (layer order, kernel before bias). */
  get trainableVariables(): Variable[] {
    return this.trainableWeights.map((w) => w.read());
  }
  override regularizationPenalties(): Tensor[] {
    return this.graphLayers.flatMap((l) => l.regularizationPenalties());
  }
  /** Σ of every weight regularizer's penalty, or null when no weight has one. */
  regularizationLoss(): Tensor | null {
    const penalties = this.regularizationPenalties();
    if (penalties.length === 0) return null;
    return penalties.slice(1).reduce((total, p) => ops.add(total, p), penalties[0]);
  }
  outputActivations(): string[] {
    return this.outputLayers.map((l) => l.activationName());
  }

  // --- execution ---

  /** Throws `${opName}: expected input of shape [null,784], got [32,100] …` on a shape mismatch. */
  checkInputs(inputs: Tensor[], opName: string): void {
    if (!Array.isArray(inputs) || inputs.length !== this.inputs.length) {
      throw new Error(
        `${opName}: model '${this.name}' expects ${this.inputs.length} input(s) (${this.inputNames.join(', ')}), got ${Array.isArray(inputs) ? inputs.length : 'a non-array'}`,
      );
    }
    inputs.forEach((x, i) => {
      const expected = this.inputs[i].shape;
      if (!(x instanceof Tensor)) throw new Error(`${opName}: input ${i} ('${this.inputNames[i]}') must be a Tensor`);
      const fits = x.rank === expected.length && expected.every((d, j) => d === null || d === x.shape[j]);
      if (!fits) {
        throw new Error(`${opName}: expected input of shape ${formatShape(expected)}, got [${x.shape}] (input layer '${this.inputNames[i]}' of model '${this.name}')`);
      }
    });
  }

  /** Forward pass on concrete tensors; records on the tape like any op. Callers own the outputs. */
  predictTensors(inputs: Tensor[], training: boolean, opName = 'predict'): Tensor[] {
    this.checkInputs(inputs, opName);
    return this.runGraph(inputs, training, false);
  }

  /** Like predictTensors, but an output layer with softmax/sigmoid returns its pre-activation. */
  predictLogits(inputs: Tensor[], training: boolean): Tensor[] {
    this.checkInputs(inputs, 'predict');
    return this.runGraph(inputs, training, true);
  }

  /** Intermediate activations are freed on return (the tape keeps what backprop needs). */
  private runGraph(inputs: Tensor[], training: boolean, logits: boolean): Tensor[] {
    return ENGINE.tidy(() => this.runGraphUntidied(inputs, training, logits).outputs);
  }

  /** The outputs, and the outputs' masks (null where none) for a model used as a layer. */
  private runGraphUntidied(inputs: Tensor[], training: boolean, logits: boolean, inputMasks: (Tensor | null)[] = [])
    : { outputs: Tensor[]; masks: (Tensor | null)[] } {
    const values = new Map<number, Tensor>();
    const logitValues = new Map<number, Tensor>();
    const masks = new Map<number, Tensor>();
    this.inputs.forEach((t, i) => values.set(t.id, inputs[i]));
    this.inputs.forEach((t, i) => { if (inputMasks[i]) masks.set(t.id, inputMasks[i]!); });
    const outputIds = new Set(this.outputs.map((t) => t.id));
    const consumed = new Set<number>();
    for (const node of this.executionOrder) for (const t of node.inputTensors) consumed.add(t.id);

    for (const node of this.executionOrder) {
      const layer = node.outboundLayer;
      if (node.inputTensors.length === 0) continue; // an input placeholder: already bound
      const args = node.inputTensors.map((t) => {
        const value = values.get(t.id);
        if (!value) throw new Error(`model '${this.name}': no value for '${t.name}' when running layer '${layer.name}'`);
        return value;
      });
      const callInputs = node.inputTensors.length === 1 && !node.inputsAsList ? args[0] : args;
      const kwargs: CallArgs = { ...node.callArgs, training: (node.callArgs.training as boolean | undefined) ?? training };
      // Masks travel beside the values (embedding maskZero → lstm), as tfjs's execute carries them.
      const inputMasks = node.inputTensors.map((t) => masks.get(t.id) ?? null);
      const mask = inputMasks.some((m) => m !== null) ? (callInputs === args ? inputMasks : inputMasks[0]) : null;
      if (mask !== null) kwargs.mask = mask;
      const single = node.outputTensors.length === 1 ? node.outputTensors[0] : null;
      const wantLogits = logits && single && outputIds.has(single.id) && layer.callPreActivation &&
        LOGIT_ACTIVATIONS.has(layer.activationName());
      if (wantLogits) logitValues.set(single!.id, layer.callPreActivation!(callInputs, kwargs));
      if (!wantLogits || consumed.has(single!.id)) {
        const out = layer.call(callInputs, kwargs);
        const outs = Array.isArray(out) ? out : [out];
        node.outputTensors.forEach((t, i) => values.set(t.id, outs[i]));
        const outputMask = layer.computeMask(callInputs, mask);
        const outputMasks = Array.isArray(outputMask) ? outputMask : node.outputTensors.map(() => outputMask);
        node.outputTensors.forEach((t, i) => {
          // A mask must index the output's leading axes ([B, T] of [B, T, F]); one that does not is dropped.
          const mask = outputMasks[i];
          if (mask && mask.rank <= outs[i].rank && mask.shape.every((d, axis) => d === outs[i].shape[axis])) masks.set(t.id, mask);
        });
      }
    }
    return {
      outputs: this.outputs.map((t) => logitValues.get(t.id) ?? values.get(t.id)!),
      masks: this.outputs.map((t) => masks.get(t.id) ?? null),
    };
  }

  /** The inputs and output masks of the last call as a layer, for computeMask right after it. */
  private lastCall: { inputs: Tensor[]; masks: (Tensor | null)[] } | null = null;

  /** As a layer inside another model: runs the graph, taking and giving masks as tfjs's Container. */
  call(inputs: Tensor | Tensor[], kwargs: CallArgs): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    this.checkInputs(list, `model '${this.name}'`);
    const inputMasks = kwargs.mask === undefined || kwargs.mask === null ? [] : Array.isArray(kwargs.mask) ? kwargs.mask : [kwargs.mask];
    const { outputs, masks } = ENGINE.tidy(() => this.runGraphUntidied(list, kwargs.training ?? false, false, inputMasks));
    this.lastCall = { inputs: list, masks };
    return outputs.length === 1 ? outputs[0] : outputs;
  }

  /** The output masks of the call on these same inputs (a model passes its inner masks on). */
  override computeMask(inputs: Tensor | Tensor[]): Tensor | (Tensor | null)[] | null {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const last = this.lastCall;
    this.lastCall = null;
    if (!last || list.length !== last.inputs.length || list.some((t, i) => t !== last.inputs[i])) return null;
    if (last.masks.every((m) => m === null)) return null;
    return last.masks.length === 1 ? last.masks[0] : last.masks;
  }
  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const shapes = isShapeList(inputShape) ? inputShape : [inputShape];
    if (shapes.length !== this.inputs.length) throw new Error(`model '${this.name}': expects ${this.inputs.length} input(s), got ${shapes.length}`);
    const batch = shapes[0][0] ?? null;
    const outs = this.outputShapes.map((s) => [batch, ...s.slice(1)]);
    return outs.length === 1 ? outs[0] : outs;
  }

  // --- tfjs surface ---

  /** Clears the states of the stateful (recurrent) layers, nested models included (tfjs resetStates). */
  resetStates(): void {
    for (const layer of this.graphLayers) {
      const recurrent = layer as Layer & { stateful?: boolean; resetStates?: () => void };
      if (recurrent.stateful && typeof recurrent.resetStates === 'function') recurrent.resetStates();
      else if (layer instanceof LayersModel) layer.resetStates();
    }
  }

  /** Prints the Keras table (layer, shapes, params); printFn receives each line (console.log by default). */
  summary(lineLength?: number, positions?: number[], printFn: (line: string) => void = console.log): void {
    printSummary(this, lineLength, positions, printFn);
  }

  // --- training: thin wrappers over ./training ---

  /** Chooses the loss, optimizer and metrics for fit/evaluate (see ./training/compile). */
  compile(args: ModelCompileArgs): void {
    this.compiled = compileModel(this, args);
  }
  get optimizer(): Optimizer | undefined { return this.compiled?.optimizer; }
  /** 'loss' then the metric names, as fit logs and evaluate return them. */
  get metricsNames(): string[] { return this.compiled?.metricsNames.slice() ?? []; }

  fit(x: TensorArgs, y: TensorArgs, args?: ModelFitArgs): Promise<History> {
    return fitModel(this, this.compiled, x, y, args);
  }
  fitDataset(dataset: DatasetLike, args: ModelFitDatasetArgs): Promise<History> {
    return fitDatasetModel(this, this.compiled, dataset, args);
  }
  evaluate(x: TensorArgs, y: TensorArgs, args?: { batchSize?: number; verbose?: number }): Tensor | Tensor[] {
    return evaluateModel(this, this.compiled, x, y, args);
  }
  /** Outputs for x, batchSize rows at a time (inference mode: dropout off). */
  predict(x: TensorArgs, args?: { batchSize?: number; verbose?: number }): Tensor | Tensor[] {
    return predictModel(this, x, args);
  }
  predictOnBatch(x: TensorArgs): Tensor | Tensor[] {
    return predictOnBatch(this, x);
  }
  trainOnBatch(x: TensorArgs, y: TensorArgs): number | number[] {
    return trainOnBatch(this, this.compiled, x, y);
  }

  /** Saves topology + weights through an IO handler or URL ('file://path', 'http://…'); see ./io. */
  async save(handlerOrUrl: string | object, config?: object): Promise<unknown> {
    // Imported on use: the IO module imports this one (through serialization).
    const io = (await import('./io/model-io.js')) as unknown as { saveModel?: (m: LayersModel, h: string | object, c?: object) => Promise<unknown> };
    if (typeof io.saveModel !== 'function') throw new Error('save: the model IO module (src/nn/io) does not provide saveModel');
    return io.saveModel(this, handlerOrUrl, config);
  }

  override dispose(): { refCountAfterDispose: number; numDisposedVariables: number } {
    let count = 0;
    for (const layer of this.graphLayers) count += layer.dispose().numDisposedVariables;
    return { refCountAfterDispose: 0, numDisposedVariables: count };
  }

  override getConfig(): Record<string, unknown> {
    return { name: this.name };
  }

  /** Ready-to-use dtype of the inputs (tfjs exposes it on model.inputs[i].dtype). */
  get inputDtypes(): DType[] { return this.inputs.map((t) => t.dtype); }
}

/**
 * A linear stack of layers.
 *   const model = tf.sequential();
 *   model.add(tf.layers.dense({units: 16, activation: 'relu', inputShape: [4]}));
 *   model.add(tf.layers.dense({units: 3, activation: 'softmax'}));
 */
export class Sequential extends LayersModel {
  static override readonly className: string = 'Sequential';
  /** The InputLayer made from the first layer's inputShape (hidden from `layers`, like tfjs). */
  private autoInput: Layer | null = null;

  constructor(args: { layers?: Layer[]; name?: string } = {}) {
    super({ name: args.name ?? getUid('sequential_') });
    for (const layer of args.layers ?? []) this.add(layer);
  }
  override getClassName(): string { return 'Sequential'; }

  override get layers(): Layer[] {
    return this.graphLayers.filter((l) => l !== this.autoInput);
  }

  /** Appends a layer; its input shape must fit the current output (checked now, naming the layer). */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw new Error('sequential.add: expected a layer (e.g. tf.layers.dense({...}))');
    if (this.graphLayers.includes(layer)) throw new Error(`sequential.add: layer '${layer.name}' is already in the model`);
    let input: SymbolicTensor;
    let output: SymbolicTensor;
    if (this.outputs.length === 0) {
      if (layer instanceof InputLayer) {
        input = output = layer.output;
      } else {
        if (!layer.batchInputShape) {
          throw new Error(`sequential.add: the first layer ('${layer.name}') must get an inputShape or batchInputShape argument`);
        }
        input = makeInput({ batchShape: layer.batchInputShape, dtype: layer.dtype, name: `${layer.name}_input` });
        output = applyOne(layer, input);
        this.autoInput = input.sourceLayer;
      }
    } else {
      if (layer instanceof InputLayer) throw new Error(`sequential.add: an InputLayer ('${layer.name}') can only be the first layer`);
      input = this.inputs[0];
      output = applyOne(layer, this.outputs[0]);
    }
    this.initGraph([input], [output]);
  }

  /** Removes the last layer. */
  pop(): void {
    const layers = this.layers;
    if (layers.length === 0) throw new Error('sequential.pop: the model has no layers');
    if (layers.length === 1) {
      this.inputs = [];
      this.outputs = [];
      this.graphLayers = [];
      this.executionOrder = [];
      this.graphNodes = new Set();
      this.nodesByDepth = new Map();
      this.autoInput = null;
      return;
    }
    const last = layers[layers.length - 1];
    const node = last.inboundNodes.find((n) => this.hasNode(n))!;
    this.initGraph(this.inputs, [node.inputTensors[0]]);
  }
}

function applyOne(layer: Layer, x: SymbolicTensor): SymbolicTensor {
  const out = layer.apply(x);
  if (Array.isArray(out)) throw new Error(`sequential.add: layer '${layer.name}' has ${out.length} outputs; a Sequential layer must have one`);
  return out;
}

function toList<T>(x: T | T[]): T[] {
  return Array.isArray(x) ? x : [x];
}

/** tf.model */
export function model(args: ModelArgs): LayersModel {
  return new LayersModel(args);
}
/** tf.sequential */
export function sequential(args: { layers?: Layer[]; name?: string } = {}): Sequential {
  return new Sequential(args);
}
