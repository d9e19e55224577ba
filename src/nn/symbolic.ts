// The symbolic graph of the functional API: a SymbolicTensor is a placeholder with a shape (batch dim
// null), produced by one output slot of a Node; a Node records one call of a layer on symbolic inputs.
// LayersModel walks these nodes to execute, summarize and serialize a graph.
import type { DType } from '../backend/backend.js';
import type { Layer } from './layer.js';

/** A shape whose unknown dimensions (usually the batch) are null: [null, 784]. */
export type SymbolicShape = (number | null)[];

let nextSymbolicId = 0;

export class SymbolicTensor {
  readonly id = nextSymbolicId++;
  readonly rank: number;
  constructor(
    readonly dtype: DType,
    readonly shape: SymbolicShape,
    /** The layer whose call produced it. */
    readonly sourceLayer: Layer,
    /** Which call of sourceLayer (index into sourceLayer.inboundNodes). */
    readonly nodeIndex: number,
    /** Which output of that call. */
    readonly tensorIndex: number,
    readonly name: string,
  ) {
    this.rank = shape.length;
  }
}

/** One call of `outboundLayer` on inputs that come from the listed inbound layers' calls. */
export class Node {
  readonly id = nextSymbolicId++;
  constructor(
    readonly outboundLayer: Layer,
    readonly inputTensors: SymbolicTensor[],
    readonly outputTensors: SymbolicTensor[],
    readonly callArgs: Record<string, unknown> = {},
    /** The layer was applied to a list (so call() gets a list even when it holds one tensor). */
    readonly inputsAsList = false,
  ) {}

  get inboundLayers(): Layer[] {
    return this.inputTensors.map((t) => t.sourceLayer);
  }
  get nodeIndices(): number[] {
    return this.inputTensors.map((t) => t.nodeIndex);
  }
  get tensorIndices(): number[] {
    return this.inputTensors.map((t) => t.tensorIndex);
  }
  /** An input placeholder's node reports its own shape as input, as tfjs does. */
  get inputShapes(): SymbolicShape[] {
    if (this.inputTensors.length === 0) return this.outputShapes;
    return this.inputTensors.map((t) => t.shape);
  }
  get outputShapes(): SymbolicShape[] {
    return this.outputTensors.map((t) => t.shape);
  }
}

export function formatShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'null' : d)).join(',')}]`;
}
