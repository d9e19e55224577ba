// Merge layers for multi-input graphs: concatenate (along an axis) and add (elementwise).
import type { Tensor } from '../../tensor.js';
import * as ops from '../../ops/index.js';
import { isShapeList, Layer, LayerArgs } from '../layer.js';
import { formatShape, SymbolicShape } from '../symbolic.js';

function shapeList(layer: Layer, shape: SymbolicShape | SymbolicShape[]): SymbolicShape[] {
  if (!isShapeList(shape) || shape.length < 2) {
    throw new Error(`${layer.getClassName()} '${layer.name}': expects a list of at least 2 inputs`);
  }
  return shape;
}

function tensorList(layer: Layer, inputs: Tensor | Tensor[]): Tensor[] {
  if (!Array.isArray(inputs) || inputs.length < 2) throw new Error(`${layer.getClassName()} '${layer.name}': expects a list of at least 2 inputs`);
  return inputs;
}

/** Joins inputs along `axis` (default the last); the other dims must agree. */
export class Concatenate extends Layer {
  static readonly className = 'Concatenate';
  readonly axis: number;
  constructor(args: LayerArgs & { axis?: number } = {}) {
    super(args);
    this.axis = args.axis ?? -1;
  }
  getClassName() { return Concatenate.className; }
  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shapes = shapeList(this, inputShape);
    const rank = shapes[0].length;
    const axis = this.axis < 0 ? this.axis + rank : this.axis;
    const mismatch = () => new Error(`Concatenate '${this.name}': inputs must match except on axis ${this.axis}, got ${shapes.map(formatShape).join(', ')}`);
    if (axis < 0 || axis >= rank || shapes.some((s) => s.length !== rank)) throw mismatch();
    const out = shapes[0].slice();
    for (const s of shapes.slice(1)) {
      for (let i = 0; i < rank; i++) {
        if (i === axis) out[i] = out[i] === null || s[i] === null ? null : (out[i] as number) + (s[i] as number);
        else if (out[i] !== null && s[i] !== null && out[i] !== s[i]) throw mismatch();
        else if (out[i] === null) out[i] = s[i];
      }
    }
    return out;
  }
  call(inputs: Tensor | Tensor[]): Tensor {
    const list = tensorList(this, inputs);
    return ops.concat(list, this.axis < 0 ? this.axis + list[0].rank : this.axis);
  }
  override getConfig() { return { axis: this.axis, ...super.getConfig() }; }
}

/** Elementwise sum of inputs of the same shape. */
export class Add extends Layer {
  static readonly className = 'Add';
  getClassName() { return Add.className; }
  override computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shapes = shapeList(this, inputShape);
    const first = JSON.stringify(shapes[0]);
    if (shapes.some((s) => JSON.stringify(s) !== first)) {
      throw new Error(`Add '${this.name}': inputs must have the same shape, got ${shapes.map(formatShape).join(', ')}`);
    }
    return shapes[0].slice();
  }
  call(inputs: Tensor | Tensor[]): Tensor {
    return tensorList(this, inputs).reduce((sum, x) => ops.add(sum, x));
  }
}
