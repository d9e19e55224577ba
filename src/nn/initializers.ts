// Weight initializers with tfjs-layers names, arguments and serialization ({className, config}).
// Variance scaling follows tfjs exactly: 'normal' draws a truncated normal whose stddev is corrected by
// 0.8796… (the stddev of a unit normal truncated at ±2), so the kept values have variance scale/fan.
import type { DType, Shape } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';
import * as ops from '../ops/index.js';
import { normalDraws, type Seed } from '../ops/random.js';

export type FanMode = 'fanIn' | 'fanOut' | 'fanAvg';
export type Distribution = 'normal' | 'uniform' | 'truncatedNormal';
export interface SerializedObject { className: string; config: Record<string, unknown> }

export abstract class Initializer {
  abstract getClassName(): string;
  /** A new tensor of `shape`; the caller owns it. */
  abstract apply(shape: Shape, dtype?: DType): Tensor;
  getConfig(): Record<string, unknown> {
    return {};
  }
}

export class Zeros extends Initializer {
  static readonly className = 'Zeros';
  getClassName() { return Zeros.className; }
  apply(shape: Shape, dtype: DType = 'float32') { return ops.zeros(shape, dtype); }
}

export class Ones extends Initializer {
  static readonly className = 'Ones';
  getClassName() { return Ones.className; }
  apply(shape: Shape, dtype: DType = 'float32') { return ops.ones(shape, dtype); }
}

export class Constant extends Initializer {
  static readonly className = 'Constant';
  readonly value: number;
  constructor(args: { value: number }) {
    super();
    if (typeof args?.value !== 'number') throw new Error('initializers.constant: expected {value: number}');
    this.value = args.value;
  }
  getClassName() { return Constant.className; }
  apply(shape: Shape, dtype: DType = 'float32') { return ops.fill(shape, this.value, dtype); }
  override getConfig() { return { value: this.value }; }
}

function floatOnly(dtype: DType | undefined, name: string): 'float32' {
  if (dtype !== undefined && dtype !== 'float32') throw new Error(`initializers.${name}: only float32 is supported, got ${dtype}`);
  return 'float32';
}

export class RandomUniform extends Initializer {
  static readonly className = 'RandomUniform';
  readonly minval: number;
  readonly maxval: number;
  readonly seed?: Seed;
  constructor(args: { minval?: number; maxval?: number; seed?: Seed } = {}) {
    super();
    this.minval = args.minval ?? -0.05;
    this.maxval = args.maxval ?? 0.05;
    this.seed = args.seed ?? undefined;
  }
  getClassName() { return RandomUniform.className; }
  apply(shape: Shape, dtype?: DType) {
    return ops.randomUniform(shape, this.minval, this.maxval, floatOnly(dtype, 'randomUniform'), this.seed);
  }
  override getConfig() { return { minval: this.minval, maxval: this.maxval, seed: this.seed ?? null }; }
}

export class RandomNormal extends Initializer {
  static readonly className: string = 'RandomNormal';
  readonly mean: number;
  readonly stddev: number;
  readonly seed?: Seed;
  constructor(args: { mean?: number; stddev?: number; seed?: Seed } = {}) {
    super();
    this.mean = args.mean ?? 0;
    this.stddev = args.stddev ?? 0.05;
    this.seed = args.seed ?? undefined;
  }
  getClassName() { return RandomNormal.className; }
  apply(shape: Shape, dtype?: DType) {
    return ops.randomNormal(shape, this.mean, this.stddev, floatOnly(dtype, 'randomNormal'), this.seed);
  }
  override getConfig() { return { mean: this.mean, stddev: this.stddev, seed: this.seed ?? null }; }
}

export class TruncatedNormal extends RandomNormal {
  static override readonly className: string = 'TruncatedNormal';
  override getClassName() { return TruncatedNormal.className; }
  override apply(shape: Shape, dtype?: DType) {
    return ops.truncatedNormal(shape, this.mean, this.stddev, floatOnly(dtype, 'truncatedNormal'), this.seed);
  }
}

/** [fanIn, fanOut] as tfjs computes them: dense [in, out]; conv kernels [...receptive, in, out]. */
export function computeFans(shape: Shape): [number, number] {
  if (shape.length === 2) return [shape[0], shape[1]];
  if (shape.length >= 3 && shape.length <= 5) {
    const receptiveField = shape.slice(0, -2).reduce((p, d) => p * d, 1);
    return [shape[shape.length - 2] * receptiveField, shape[shape.length - 1] * receptiveField];
  }
  const side = Math.sqrt(shape.reduce((p, d) => p * d, 1));
  return [side, side];
}

/** Stddev of a unit normal truncated to ±2 stddev: dividing by it restores the intended variance. */
const TRUNCATED_NORMAL_STDDEV = 0.87962566103423978;
const FAN_MODES: readonly FanMode[] = ['fanIn', 'fanOut', 'fanAvg'];
const DISTRIBUTIONS: readonly Distribution[] = ['normal', 'uniform', 'truncatedNormal'];

export class VarianceScaling extends Initializer {
  static readonly className = 'VarianceScaling';
  readonly scale: number;
  readonly mode: FanMode;
  readonly distribution: Distribution;
  readonly seed?: Seed;
  constructor(args: { scale?: number; mode?: FanMode; distribution?: Distribution; seed?: Seed } = {}) {
    super();
    this.scale = args.scale ?? 1;
    this.mode = (camel(args.mode) ?? 'fanIn') as FanMode;
    this.distribution = (camel(args.distribution) ?? 'normal') as Distribution;
    this.seed = args.seed ?? undefined;
    if (!(this.scale > 0)) throw new Error(`initializers.varianceScaling: scale must be positive, got ${this.scale}`);
    if (!FAN_MODES.includes(this.mode)) {
      throw new Error(`initializers.varianceScaling: unknown mode '${args.mode}' (known: ${FAN_MODES.join(', ')})`);
    }
    if (!DISTRIBUTIONS.includes(this.distribution)) {
      throw new Error(`initializers.varianceScaling: unknown distribution '${args.distribution}' (known: ${DISTRIBUTIONS.join(', ')})`);
    }
  }
  getClassName() { return VarianceScaling.className; }
  apply(shape: Shape, dtype?: DType): Tensor {
    floatOnly(dtype, 'varianceScaling');
    const [fanIn, fanOut] = computeFans(shape);
    const fan = this.mode === 'fanIn' ? fanIn : this.mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
    const variance = this.scale / Math.max(1, fan);
    if (this.distribution === 'uniform') {
      const limit = Math.sqrt(3 * variance);
      return ops.randomUniform(shape, -limit, limit, 'float32', this.seed);
    }
    const stddev = this.distribution === 'normal' ? Math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV : Math.sqrt(variance);
    return ops.truncatedNormal(shape, 0, stddev, 'float32', this.seed);
  }
  override getConfig() { return { scale: this.scale, mode: this.mode, distribution: this.distribution, seed: this.seed ?? null }; }
}

function camel(value: string | undefined): string | undefined {
  return value?.replace(/_+(\w)/g, (_, c: string) => c.toUpperCase());
}

type SeedArgs = { seed?: Seed };
/** The named variance-scaling presets serialize as VarianceScaling, as in tfjs. */
const preset = (scale: number, mode: FanMode, distribution: Distribution) => (args: SeedArgs = {}) =>
  new VarianceScaling({ scale, mode, distribution, seed: args.seed });

export class Identity extends Initializer {
  static readonly className = 'Identity';
  readonly gain: number;
  constructor(args: { gain?: number } = {}) {
    super();
    this.gain = args.gain ?? 1;
  }
  getClassName() { return Identity.className; }
  apply(shape: Shape) {
    if (shape.length !== 2 || shape[0] !== shape[1]) {
      throw new Error(`initializers.identity: needs a square 2-D shape, got [${shape}]`);
    }
    return ops.mul(ops.eye(shape[0]), this.gain);
  }
  override getConfig() { return { gain: this.gain }; }
}

/**
 * tfjs/Keras 'orthogonal': a random matrix with orthonormal rows or columns (whichever are fewer),
 * times `gain`; Gram-Schmidt on a normal draw in float64.
 */
export class Orthogonal extends Initializer {
  static readonly className = 'Orthogonal';
  readonly gain: number;
  readonly seed?: Seed;
  constructor(args: { gain?: number; seed?: Seed } = {}) {
    super();
    this.gain = args.gain ?? 1;
    this.seed = args.seed ?? undefined; // null in model files means none
  }
  getClassName() { return Orthogonal.className; }
  apply(shape: Shape, dtype: DType = 'float32'): Tensor {
    if (dtype !== 'float32') throw new Error(`initializers.orthogonal: only float32 is supported, got ${dtype}`);
    if (shape.length < 2) throw new Error(`initializers.orthogonal: needs a shape of rank >= 2, got [${shape}]`);
    const cols = shape[shape.length - 1];
    const rows = shape.slice(0, -1).reduce((p, d) => p * d, 1);
    // Orthonormalize `count` vectors of length `length`: the fewer of rows and columns.
    const count = Math.min(rows, cols);
    const length = Math.max(rows, cols);
    // Drawn on the host (no tensor to read back: a GPU backend in a page cannot read synchronously).
    const draw = normalDraws(count * length, this.seed);
    const vectors = Array.from({ length: count }, (_, i) => Float64Array.from(draw.subarray(i * length, (i + 1) * length)));
    for (let i = 0; i < count; i++) {
      const v = vectors[i];
      for (let j = 0; j < i; j++) {
        let dot = 0;
        for (let k = 0; k < length; k++) dot += v[k] * vectors[j][k];
        for (let k = 0; k < length; k++) v[k] -= dot * vectors[j][k];
      }
      let squares = 0;
      for (let k = 0; k < length; k++) squares += v[k] * v[k];
      const norm = Math.sqrt(squares) || 1;
      for (let k = 0; k < length; k++) v[k] /= norm;
    }
    const values = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) values[r * cols + c] = this.gain * (rows <= cols ? vectors[r][c] : vectors[c][r]);
    }
    return ops.tensor(values, shape, 'float32');
  }
  override getConfig() { return this.seed === undefined ? { gain: this.gain } : { gain: this.gain, seed: this.seed }; }
}

/** The tfjs `tf.initializers` namespace. */
export const initializers = {
  zeros: () => new Zeros(),
  ones: () => new Ones(),
  constant: (args: { value: number }) => new Constant(args),
  randomUniform: (args?: ConstructorParameters<typeof RandomUniform>[0]) => new RandomUniform(args),
  randomNormal: (args?: ConstructorParameters<typeof RandomNormal>[0]) => new RandomNormal(args),
  truncatedNormal: (args?: ConstructorParameters<typeof TruncatedNormal>[0]) => new TruncatedNormal(args),
  varianceScaling: (args?: ConstructorParameters<typeof VarianceScaling>[0]) => new VarianceScaling(args),
  glorotUniform: preset(1, 'fanAvg', 'uniform'),
  glorotNormal: preset(1, 'fanAvg', 'normal'),
  heUniform: preset(2, 'fanIn', 'uniform'),
  heNormal: preset(2, 'fanIn', 'normal'),
  leCunUniform: preset(1, 'fanIn', 'uniform'),
  leCunNormal: preset(1, 'fanIn', 'normal'),
  identity: (args?: { gain?: number }) => new Identity(args),
  orthogonal: (args?: { gain?: number; seed?: Seed }) => new Orthogonal(args),
};

export type InitializerIdentifier = Exclude<keyof typeof initializers, 'constant'>;
const INITIALIZER_NAMES = Object.keys(initializers).filter((n) => n !== 'constant');

const CLASSES: Record<string, (config: Record<string, unknown>) => Initializer> = {
  Zeros: () => new Zeros(),
  Ones: () => new Ones(),
  Constant: (c) => new Constant(c as { value: number }),
  RandomUniform: (c) => new RandomUniform(c),
  RandomNormal: (c) => new RandomNormal(c),
  TruncatedNormal: (c) => new TruncatedNormal(c),
  VarianceScaling: (c) => new VarianceScaling(c),
  Identity: (c) => new Identity(c),
  Orthogonal: (c) => new Orthogonal(c as { gain?: number; seed?: Seed }),
  GlorotUniform: (c) => initializers.glorotUniform(c),
  GlorotNormal: (c) => initializers.glorotNormal(c),
  HeUniform: (c) => initializers.heUniform(c),
  HeNormal: (c) => initializers.heNormal(c),
  LeCunUniform: (c) => initializers.leCunUniform(c),
  LeCunNormal: (c) => initializers.leCunNormal(c),
};

/** An Initializer from a name ('glorotUniform', Keras 'glorot_uniform'), a {className, config}, or itself. */
export function getInitializer(identifier: string | Initializer | SerializedObject | null | undefined, context = 'initializer'): Initializer {
  if (identifier instanceof Initializer) return identifier;
  if (typeof identifier === 'string') {
    const name = camel(identifier)!;
    if (name in initializers && name !== 'constant') return (initializers as unknown as Record<string, () => Initializer>)[name]();
    const className = name[0].toUpperCase() + name.slice(1);
    if (className in CLASSES && className !== 'Constant') return CLASSES[className]({});
    throw new Error(`${context}: unknown initializer '${identifier}' (known: ${INITIALIZER_NAMES.join(', ')})`);
  }
  if (identifier && typeof identifier === 'object' && typeof identifier.className === 'string') {
    const make = CLASSES[identifier.className];
    if (!make) throw new Error(`${context}: unknown initializer class '${identifier.className}' (known: ${Object.keys(CLASSES).join(', ')})`);
    return make(identifier.config ?? {});
  }
  throw new Error(`${context}: expected an initializer name or object, got ${JSON.stringify(identifier)}`);
}

export function serializeInitializer(init: Initializer): SerializedObject {
  return { className: init.getClassName(), config: init.getConfig() };
}
