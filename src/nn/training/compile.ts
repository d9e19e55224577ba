// compile(): resolves the optimizer, one loss per output (fused with the output activation where that is
// stable), the metrics per output and their log names, exactly as tfjs-layers names them:
//   metricsNames = ['loss', <output>_loss… (several outputs only), <prefix>acc, <prefix>mse…]
import type { Optimizer } from '../../optimizers/optimizer.js';
import { getLoss, LossSpec } from './losses.js';
import { resolveMetric, ResolvedMetric } from './metrics.js';
import type { LossOrMetricFn, TrainableModel } from './model-interface.js';
import { checkClipOptions, getOptimizer } from './optimizers.js';

type LossIdentifier = string | LossOrMetricFn;
type MetricIdentifier = string | LossOrMetricFn;

export interface ModelCompileArgs {
  optimizer: string | Optimizer;
  loss: LossIdentifier | LossIdentifier[] | Record<string, LossIdentifier>;
  metrics?: MetricIdentifier | MetricIdentifier[] | Record<string, MetricIdentifier | MetricIdentifier[]>;
  /** Scale all gradients so their global norm is at most clipNorm (not in tfjs). */
  clipNorm?: number;
  /** Clip every gradient element to [-clipValue, clipValue] (not in tfjs). */
  clipValue?: number;
}

export interface CompiledOutput {
  name: string;
  shape: (number | null)[];
  loss: LossSpec;
  /** The activation the loss absorbs (it then reads the output layer's logits), or null. */
  fusedActivation: 'softmax' | 'sigmoid' | null;
  metrics: ResolvedMetric[];
}

export interface CompiledModel {
  optimizer: Optimizer;
  outputs: CompiledOutput[];
  /** Log keys in the order train and test steps return their values. */
  metricsNames: string[];
  clipNorm?: number;
  clipValue?: number;
  /** Whether the forward pass reads logits (predictLogits) instead of activations. */
  useLogits: boolean;
}

function lossesPerOutput(model: TrainableModel, loss: ModelCompileArgs['loss']): LossSpec[] {
  const outputs = model.outputNames;
  if (loss == null) throw new Error('compile: a loss is required (e.g. loss: \'meanSquaredError\')');
  if (Array.isArray(loss)) {
    if (loss.length !== outputs.length) {
      throw new Error(`compile: loss is an array of ${loss.length} but the model has ${outputs.length} output(s) (${outputs.join(', ')})`);
    }
    return loss.map(getLoss);
  }
  if (typeof loss === 'object') {
    for (const key of Object.keys(loss)) {
      if (!outputs.includes(key)) throw new Error(`compile: unknown output '${key}' in the loss dictionary; outputs are ${outputs.join(', ')}`);
    }
    return outputs.map((name) => {
      if (loss[name] == null) throw new Error(`compile: the loss dictionary has no entry for output '${name}'`);
      return getLoss(loss[name]);
    });
  }
  const spec = getLoss(loss);
  return outputs.map(() => spec);
}

function metricsPerOutput(model: TrainableModel, metrics: ModelCompileArgs['metrics']): MetricIdentifier[][] {
  const outputs = model.outputNames;
  if (metrics == null) return outputs.map(() => []);
  if (Array.isArray(metrics) || typeof metrics === 'string' || typeof metrics === 'function') {
    const list = Array.isArray(metrics) ? metrics : [metrics];
    return outputs.map(() => list);
  }
  for (const key of Object.keys(metrics)) {
    if (!outputs.includes(key)) throw new Error(`compile: unknown output '${key}' in the metrics dictionary; outputs are ${outputs.join(', ')}`);
  }
  return outputs.map((name) => {
    const entry = metrics[name];
    return entry == null ? [] : Array.isArray(entry) ? entry : [entry];
  });
}

/** Resolves compile() arguments against a model. */
export function compileModel(model: TrainableModel, args: ModelCompileArgs): CompiledModel {
  if (!args || typeof args !== 'object') throw new Error('compile: expected {optimizer, loss, metrics?}');
  const optimizer = getOptimizer(args.optimizer);
  checkClipOptions(args);
  const losses = lossesPerOutput(model, args.loss);
  const metrics = metricsPerOutput(model, args.metrics);
  const activations = model.outputActivations();
  const canFuse = typeof model.predictLogits === 'function';
  const multi = model.outputNames.length > 1;

  const outputs: CompiledOutput[] = model.outputNames.map((name, i) => {
    const shape = model.outputShapes[i];
    const activation = activations[i];
    const fusable = canFuse && (activation === 'softmax' || activation === 'sigmoid') && losses[i].fused?.[activation] != null;
    return {
      name, shape, loss: losses[i],
      fusedActivation: fusable ? (activation as 'softmax' | 'sigmoid') : null,
      metrics: metrics[i].map((m) => resolveMetric(m, losses[i], shape)),
    };
  });
  // Logits are read for every output or none: fine when each unfused output is linear (logits = output).
  const useLogits = outputs.some((o) => o.fusedActivation) && outputs.every((o, i) => o.fusedActivation || activations[i] === 'linear');
  if (!useLogits) for (const o of outputs) o.fusedActivation = null;

  const metricsNames = ['loss'];
  if (multi) for (const o of outputs) metricsNames.push(`${o.name}_loss`);
  for (const o of outputs) for (const m of o.metrics) metricsNames.push(multi ? `${o.name}_${m.name}` : m.name);
  return { optimizer, outputs, metricsNames, clipNorm: args.clipNorm, clipValue: args.clipValue, useLogits };
}
