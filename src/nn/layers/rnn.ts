// tfjs's cell API: simpleRNNCell, lstmCell, gruCell (one time step), stackedRNNCells, and the rnn layer
// that runs a cell (or a stack of cells) over a sequence.
// A cell is the single-step form of the matching layer (LSTMCell extends LSTM: same options, weights and
// config keys), so rnn runs each cell's whole sequence through the layer's fused path; stacked cells run
// one after the other over the whole sequence, which equals interleaving them step by step.
// Shapes: B = batch, T = time steps, F = features, U = units.
//   tf.layers.rnn({cell: [tf.layers.lstmCell({units: 8}), tf.layers.lstmCell({units: 4})], returnSequences: true})
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { CallArgs, Layer, LayerArgs, isShapeList } from '../layer.js';
import { deserializeLayer, registerLayerClass, serializeLayer } from '../serialization.js';
import { formatShape, SymbolicShape, SymbolicTensor } from '../symbolic.js';
import {
  foldInitialState, GRU, LSTM, RecurrentLayer, SimpleRNN, stepMask, type ApplyInput, type RecurrentCallArgs, type RecurrentLayerArgs,
} from './recurrent.js';
import { cellStep } from './recurrent-cells.js';
import { buildScoped, Wrapper } from './wrappers.js';

/** The layer options that belong to the rnn wrapper, not to a cell. */
const SEQUENCE_KEYS = ['returnSequences', 'returnState', 'goBackwards', 'stateful', 'unroll', 'batchInputShape', 'dtype'];

type CellArgs = Omit<RecurrentLayerArgs, 'returnSequences' | 'returnState' | 'goBackwards' | 'stateful' | 'unroll'>;

// What the three cell classes add to their layer: a [B, F] input, one step per call, the state sizes.
// (Three small classes over shared helpers: a mixin would not survive declaration emit.)

/** [B, F] (or the list [x, ...states]) → the layer's [B, T, F] form for its weights. */
function stepShape(cell: RecurrentLayer, inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
  const shape = isShapeList(inputShape) ? inputShape[0] : inputShape;
  if (shape.length !== 2 || shape[1] === null) {
    throw new Error(`${cell.getClassName()} '${cell.name}': expected input [batch, features] with known features, got ${formatShape(shape)}`);
  }
  if (cell.kernel && shape[1] !== cell.kernel.shape[0]) {
    throw new Error(`${cell.getClassName()} '${cell.name}': expected input with ${cell.kernel.shape[0]} features, got ${formatShape(shape)}`);
  }
  return [shape[0], null, shape[1]];
}

/** [output, ...states] shapes of one step: each [B, U]. */
function stepOutputShapes(cell: RecurrentLayer, inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape[] {
  const batch = stepShape(cell, inputShape)[0];
  return Array.from({ length: 1 + cell.stateCount }, () => [batch, cell.units]);
}

/** One step: [x, ...states] → [output, ...new states] (the output is the new h). No dropout here. */
function step(cell: RecurrentLayer, inputs: Tensor | Tensor[], resetAfter: boolean): Tensor[] {
  const [x, ...states] = Array.isArray(inputs) ? inputs : [inputs];
  if (states.length !== cell.stateCount) {
    throw new Error(`${cell.getClassName()} '${cell.name}': expects [input, ${cell.stateCount} state(s)], got ${states.length} state(s)`);
  }
  const weights = { kernel: cell.kernel!.read(), recurrentKernel: cell.recurrentKernel!.read(), bias: cell.bias?.read() ?? null };
  const next = cellStep(x, states, weights, {
    kind: cell.kind, activation: cell.activation, recurrentActivation: cell.recurrentActivation, resetAfter, recurrentDropMask: null,
  });
  return [next[0], ...next];
}

/** The layer's config without the sequence options (tfjs cells have none). */
function withoutSequenceKeys(config: Record<string, unknown>): Record<string, unknown> {
  for (const key of SEQUENCE_KEYS) delete config[key];
  return config;
}

/** tf.layers.simpleRNNCell: one step of simpleRNN. */
export class SimpleRNNCell extends SimpleRNN {
  static override readonly className: string = 'SimpleRNNCell';
  constructor(args: CellArgs) { super(args); }
  override get isCell(): boolean { return true; }
  override getClassName() { return SimpleRNNCell.className; }
  get stateSize(): number { return this.units; }
  protected override assertInputCompatible(shape: SymbolicShape | SymbolicShape[]): void { stepShape(this, shape); }
  override build(shape: SymbolicShape | SymbolicShape[]): void { super.build(stepShape(this, shape)); }
  override computeOutputShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape[] { return stepOutputShapes(this, shape); }
  override computeMask(): null { return null; }
  override call(inputs: Tensor | Tensor[]): Tensor[] { return step(this, inputs, false); }
  override getConfig(): Record<string, unknown> { return withoutSequenceKeys(super.getConfig()); }
}

/** tf.layers.lstmCell: one step of lstm; states [h, c]. */
export class LSTMCell extends LSTM {
  static override readonly className: string = 'LSTMCell';
  constructor(args: CellArgs) { super(args); }
  override get isCell(): boolean { return true; }
  override getClassName() { return LSTMCell.className; }
  get stateSize(): number[] { return [this.units, this.units]; }
  protected override assertInputCompatible(shape: SymbolicShape | SymbolicShape[]): void { stepShape(this, shape); }
  override build(shape: SymbolicShape | SymbolicShape[]): void { super.build(stepShape(this, shape)); }
  override computeOutputShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape[] { return stepOutputShapes(this, shape); }
  override computeMask(): null { return null; }
  override call(inputs: Tensor | Tensor[]): Tensor[] { return step(this, inputs, false); }
  override getConfig(): Record<string, unknown> { return withoutSequenceKeys(super.getConfig()); }
}

/** tf.layers.gruCell: one step of gru (resetAfter as the layer). */
export class GRUCell extends GRU {
  static override readonly className: string = 'GRUCell';
  constructor(args: CellArgs) { super(args); }
  override get isCell(): boolean { return true; }
  override getClassName() { return GRUCell.className; }
  get stateSize(): number { return this.units; }
  protected override assertInputCompatible(shape: SymbolicShape | SymbolicShape[]): void { stepShape(this, shape); }
  override build(shape: SymbolicShape | SymbolicShape[]): void { super.build(stepShape(this, shape)); }
  override computeOutputShape(shape: SymbolicShape | SymbolicShape[]): SymbolicShape[] { return stepOutputShapes(this, shape); }
  override computeMask(): null { return null; }
  override call(inputs: Tensor | Tensor[]): Tensor[] { return step(this, inputs, this.resetAfter); }
  override getConfig(): Record<string, unknown> { return withoutSequenceKeys(super.getConfig()); }
}

export type RecurrentCell = SimpleRNNCell | LSTMCell | GRUCell;

type SerializedLayer = { className: string; config: Record<string, unknown> };

function asCell(layer: unknown, context: string): RecurrentCell {
  const cell = layer && typeof layer === 'object' && !(layer instanceof Layer) ? deserializeLayer(layer as SerializedLayer, context) : layer;
  if (!(cell instanceof RecurrentLayer) || !cell.isCell) {
    throw new Error(`${context}: cells must be simpleRNNCell, lstmCell or gruCell, got ${cell instanceof Layer ? cell.getClassName() : JSON.stringify(cell)}`);
  }
  return cell as RecurrentCell;
}

/** Cells applied one after the other at each step (tfjs StackedRNNCells; states are listed last cell first). */
export class StackedRNNCells extends Layer {
  static readonly className = 'StackedRNNCells';
  readonly cells: RecurrentCell[];
  constructor(args: LayerArgs & { cells: (RecurrentCell | SerializedLayer)[] }) {
    super(args);
    if (!Array.isArray(args?.cells) || args.cells.length === 0) throw new Error(`StackedRNNCells '${this.name}': needs a non-empty list of cells`);
    this.cells = args.cells.map((c) => asCell(c, `StackedRNNCells '${this.name}'`));
  }
  getClassName() { return StackedRNNCells.className; }
  call(): Tensor[] {
    throw new Error(`StackedRNNCells '${this.name}': run stacked cells with tf.layers.rnn({cell: [...]})`);
  }
  override getConfig() { return { cells: this.cells.map(serializeLayer), ...super.getConfig() }; }
}

export interface RNNArgs extends LayerArgs {
  cell: RecurrentCell | StackedRNNCells | (RecurrentCell | SerializedLayer)[] | SerializedLayer;
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  /** Not supported by rnn (use tf.layers.lstm/gru/simpleRNN with stateful). */
  stateful?: boolean;
  unroll?: boolean;
  inputDim?: number;
  inputLength?: number;
}

/**
 * Runs a cell, or a stack of cells, over [B, T, F] (tfjs RNN): outputs [B, U_last] or [B, T, U_last],
 * plus the states (last cell first) with returnState.
 *   tf.layers.rnn({cell: tf.layers.gruCell({units: 16}), returnSequences: true, inputShape: [20, 8]})
 */
export class RNN extends Wrapper {
  static readonly className = 'RNN';
  readonly cells: RecurrentCell[];
  /** The cells as given (one cell, or a StackedRNNCells for a list), for getConfig. */
  readonly cell: RecurrentCell | StackedRNNCells;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly unroll: boolean;

  constructor(args: RNNArgs) {
    const inputShape = args?.inputShape ?? (args?.inputDim !== undefined ? [args.inputLength ?? null, args.inputDim] : undefined);
    super({ ...args, inputShape });
    const context = `RNN '${this.name}'`;
    const given = args?.cell;
    if (!given) throw new Error(`${context}: needs a cell (e.g. tf.layers.lstmCell({units: 8})) or a list of cells`);
    if (Array.isArray(given)) this.cell = new StackedRNNCells({ cells: given });
    else if (given instanceof StackedRNNCells) this.cell = given;
    else if (!(given instanceof Layer) && (given as SerializedLayer).className === 'StackedRNNCells') {
      this.cell = deserializeLayer(given as SerializedLayer, context) as StackedRNNCells;
    } else this.cell = asCell(given, context);
    this.cells = this.cell instanceof StackedRNNCells ? this.cell.cells : [this.cell];
    if (args.stateful) throw new Error(`${context}: stateful is not supported by rnn; use tf.layers.lstm/gru/simpleRNN({stateful: true})`);
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.unroll = args.unroll ?? false;
    this.supportsMasking = true;
  }
  getClassName() { return RNN.className; }
  protected innerLayers(): Layer[] { return this.cells; }

  /** As Layer.apply; kwargs.initialState (states last cell first) joins the inputs, as in the recurrent layers. */
  override apply(inputs: Tensor, kwargs?: RecurrentCallArgs): Tensor;
  override apply(inputs: Tensor[], kwargs?: RecurrentCallArgs): Tensor | Tensor[];
  override apply(inputs: SymbolicTensor, kwargs?: RecurrentCallArgs): SymbolicTensor;
  override apply(inputs: SymbolicTensor[], kwargs?: RecurrentCallArgs): SymbolicTensor | SymbolicTensor[];
  override apply(inputs: ApplyInput, kwargs?: RecurrentCallArgs): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[];
  override apply(inputs: ApplyInput, kwargs: RecurrentCallArgs = {}): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[] {
    const folded = foldInitialState(inputs, kwargs);
    return super.apply(folded.inputs, folded.kwargs);
  }

  private get units(): number { return this.cells[this.cells.length - 1].units; }
  /** rnn keeps no states between calls. */
  get stateful(): boolean { return false; }
  /** Number of state outputs with returnState (every cell's). */
  get stateCount(): number { return this.stateSizes().length; }
  /** The states' sizes in tfjs order: last cell first. */
  private stateSizes(): number[] {
    return this.cells.slice().reverse().flatMap((c) => Array.from({ length: c.stateCount }, () => c.units));
  }

  private sequenceShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shape = isShapeList(inputShape) ? inputShape[0] : inputShape;
    if (shape.length !== 3 || shape[2] === null) throw new Error(`RNN '${this.name}': expected input [batch, time, features] with known features, got ${formatShape(shape)}`);
    return shape;
  }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    const [batch, , features] = this.sequenceShape(inputShape);
    let width = features;
    this.cells.forEach((cell, i) => {
      // tfjs names one cell's weights under the rnn ('rnn_RNN1/kernel'), stacked ones per cell ('rnn_RNN1/RNNCell_0/kernel').
      buildScoped(cell, this.cells.length === 1 ? this.name : `${this.name}/RNNCell_${i}`, [batch, width]);
      width = cell.units;
    });
    this.built = true;
  }

  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const shape = this.sequenceShape(inputShape);
    const output = this.returnSequences ? [shape[0], shape[1], this.units] : [shape[0], this.units];
    return this.returnState ? [output, ...this.stateSizes().map((u) => [shape[0], u])] : output;
  }

  override computeMask(_inputs: Tensor | Tensor[], mask: Tensor | (Tensor | null)[] | null | undefined): Tensor | (Tensor | null)[] | null {
    const outputMask = this.returnSequences ? ((Array.isArray(mask) ? mask[0] : mask) ?? null) : null;
    return this.returnState ? [outputMask, ...this.stateSizes().map(() => null)] : outputMask;
  }

  call(inputs: Tensor | Tensor[], kwargs: CallArgs): Tensor | Tensor[] {
    const [x, ...given] = Array.isArray(inputs) ? inputs : [inputs];
    const context = `RNN '${this.name}'`;
    if (x.rank !== 3 || x.shape[1] < 1) throw new Error(`${context}: expected input [batch, time, features] with at least one step, got [${x.shape}]`);
    const batch = x.shape[0];
    const sizes = this.stateSizes();
    if (given.length > 0 && given.length !== sizes.length) throw new Error(`${context}: expects ${sizes.length} initial state(s), got ${given.length}`);
    given.forEach((s, i) => {
      if (s.rank !== 2 || s.shape[0] !== batch || s.shape[1] !== sizes[i]) throw new Error(`${context}: initial state ${i} must be [${batch},${sizes[i]}], got [${s.shape}]`);
    });
    const states = given.length > 0 ? given : sizes.map((u) => ops.zeros([batch, u]));
    let mask = (Array.isArray(kwargs.mask) ? kwargs.mask[0] : kwargs.mask) ?? null;
    if (mask && (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== x.shape[1])) {
      throw new Error(`${context}: the mask must have shape [${batch},${x.shape[1]}] (batch, time), got [${mask.shape}]`);
    }
    if (mask) mask = stepMask(mask);
    // goBackwards: reverse once, then every cell runs forward over the steps in processing order.
    let sequence = this.goBackwards ? ops.reverse(x, 1) : x;
    if (mask && this.goBackwards) mask = ops.reverse(mask, 1);
    // States are listed last cell first (tfjs): cell i's slice counts from the end.
    const finalStates: Tensor[][] = [];
    let offset = states.length;
    for (const cell of this.cells) {
      offset -= cell.stateCount;
      const out = cell.runSequence(sequence, states.slice(offset, offset + cell.stateCount), mask, kwargs.training ?? false, false);
      sequence = out.sequence;
      finalStates.push(out.states);
    }
    const orderedStates = finalStates.reverse().flat();
    const output = this.returnSequences ? sequence : orderedStates[0];
    return this.returnState ? [output, ...orderedStates] : output;
  }

  override getConfig(): Record<string, unknown> {
    // tfjs writes the cell's own options beside the rnn's, and the cell itself under 'cell'.
    const cellConfig: Record<string, unknown> = this.cell.getConfig();
    delete cellConfig.name;
    delete cellConfig.trainable;
    return {
      ...cellConfig,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: false,
      unroll: this.unroll,
      cell: serializeLayer(this.cell),
      ...super.getConfig(),
    };
  }
}

registerLayerClass('SimpleRNNCell', (config) => new SimpleRNNCell(config as CellArgs));
registerLayerClass('LSTMCell', (config) => new LSTMCell(config as CellArgs));
registerLayerClass('GRUCell', (config) => new GRUCell(config as CellArgs));
registerLayerClass(StackedRNNCells.className, (config) => new StackedRNNCells(config as LayerArgs & { cells: SerializedLayer[] }));
registerLayerClass(RNN.className, (config) => new RNN(config as unknown as RNNArgs));
