// model.save(url) and tf.loadLayersModel(url): a LayersModel ⇄ tfjs Layers artifacts. The topology comes
// from the serialization module; weights are written in model.weights order under their original
// (pre-de-duplication) names and matched back by those names, as tfjs-layers does.
import type { DType } from '../../backend/backend.js';
import { tensor } from '../../ops/creation.js';
import type { Tensor } from '../../tensor.js';
import { modelFromTopology, modelTopology } from '../serialization.js';
import type { LayersModel } from '../model.js';
import { LAYERS_MODEL_FORMAT, SINEW_VERSION } from './artifacts.js';
import { getLoadHandler, getSaveHandler } from './router.js';
import type { IOHandler, LoadOptions, ModelArtifacts, SaveResult } from './types.js';
import { decodeWeightValues, encodeWeightsAsync, type DecodedWeight } from './weights.js';

/** tfjs SaveConfig: trainableOnly skips non-trainable weights (includeOptimizer is not supported yet). */
export interface SaveConfig {
  trainableOnly?: boolean;
  includeOptimizer?: boolean;
}

/** The weight view of a model this module needs (LayerVariable in src/nn/layer.ts). */
interface ModelWeight {
  readonly originalName: string;
  readonly shape: number[];
  readonly dtype: DType;
  readonly trainable: boolean;
  write(value: Tensor): void;
}

/** Saves the model's topology and weights through a URL (`file://`, `http(s)://`) or an IOHandler. */
export async function saveModel(model: LayersModel, destination: string | IOHandler, config: SaveConfig = {}): Promise<SaveResult> {
  const handler = getSaveHandler(destination);
  if (config.includeOptimizer) throw new Error('save: includeOptimizer is not supported by sinew yet; save without it');
  const weights = model.weights;
  const values = model.getWeights();
  try {
    const named = weights
      .map((weight, i) => ({ name: weight.originalName, tensor: values[i], trainable: weight.trainable }))
      .filter((w) => !config.trainableOnly || w.trainable);
    const { data, specs } = await encodeWeightsAsync(named);
    const artifacts: ModelArtifacts = {
      modelTopology: modelTopology(model),
      format: LAYERS_MODEL_FORMAT,
      generatedBy: `sinew ${SINEW_VERSION}`,
      convertedBy: null,
      weightSpecs: specs,
      weightData: data,
    };
    return await handler.save!(artifacts);
  } finally {
    for (const value of values) value.dispose();
  }
}

/** Loads a tfjs Layers model (model.json + weights) from a URL or an IOHandler. */
export async function loadLayersModel(source: string | IOHandler, options: LoadOptions = {}): Promise<LayersModel> {
  const where = typeof source === 'string' ? source : 'the IOHandler';
  const artifacts = await getLoadHandler(source, options).load!();
  if (artifacts == null || typeof artifacts !== 'object') throw new Error(`loadLayersModel: ${where} returned no model artifacts`);
  let topology = artifacts.modelTopology as Record<string, unknown> | undefined;
  if (topology == null) throw new Error(`loadLayersModel: the model artifacts from ${where} have no modelTopology`);
  if (topology instanceof ArrayBuffer || typeof topology !== 'object') {
    throw new Error(`loadLayersModel: ${where} holds a binary (graph) model topology; only Layers models are supported`);
  }
  // Models converted from Keras HDF5 wrap the topology: {model_config, training_config, ...}.
  if (topology.model_config != null) topology = topology.model_config as Record<string, unknown>;
  const model = modelFromTopology(topology);

  if (artifacts.weightSpecs == null && artifacts.weightData == null) return model;
  if (artifacts.weightSpecs == null) throw new Error(`loadLayersModel: ${where} has weight data but no weightSpecs to read it`);
  if (artifacts.weightData == null) throw new Error(`loadLayersModel: ${where} lists ${artifacts.weightSpecs.length} weights but has no weight data`);
  const decoded = decodeWeightValues(artifacts.weightData, artifacts.weightSpecs, `weights of ${where}`);
  const modelWeights = decoded.filter((w) => w.group !== 'optimizer');
  try {
    assignWeights(model.weights, modelWeights, options.strict ?? true, where);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/** Pairs decoded weights with the model's by original name, checks shapes and dtypes, then writes them. */
function assignWeights(targets: ModelWeight[], decoded: DecodedWeight[], strict: boolean, where: string): void {
  const byName = new Map<string, ModelWeight>();
  for (const target of targets) {
    if (byName.has(target.originalName)) throw new Error(`loadLayersModel: the model has two weights named '${target.originalName}'`);
    byName.set(target.originalName, target);
  }
  const pairs: [ModelWeight, DecodedWeight][] = [];
  const extra: string[] = [];
  for (const weight of decoded) {
    // TF ≥ 2.2 Keras names some weights layer/cell/weight; tfjs-layers drops the cell part.
    const parts = weight.name.split('/');
    const shortName = [...parts.slice(0, -2), parts[parts.length - 1]].join('/');
    const name = byName.has(weight.name) ? weight.name : shortName;
    const target = byName.get(name);
    if (!target) {
      extra.push(weight.name);
      continue;
    }
    byName.delete(name);
    if (target.shape.length !== weight.shape.length || target.shape.some((d, i) => d !== weight.shape[i])) {
      throw new Error(`loadLayersModel: weight '${weight.name}' in ${where} has shape [${weight.shape}] but the model's is [${target.shape}]`);
    }
    if (target.dtype !== weight.dtype) {
      throw new Error(`loadLayersModel: weight '${weight.name}' in ${where} is ${weight.dtype} but the model's is ${target.dtype}`);
    }
    pairs.push([target, weight]);
  }
  if (strict && extra.length > 0) {
    throw new Error(`loadLayersModel: ${where} has ${extra.length} weight(s) the model does not have: ${extra.join(', ')} (pass {strict: false} to ignore)`);
  }
  if (strict && byName.size > 0) {
    throw new Error(
      `loadLayersModel: ${byName.size} of ${targets.length} model weights are missing from ${where}: ${[...byName.keys()].join(', ')} ` +
        '(pass {strict: false} to keep their initial values)',
    );
  }
  for (const [target, weight] of pairs) {
    const value = tensor(weight.values, weight.shape, weight.dtype);
    try {
      target.write(value);
    } finally {
      value.dispose();
    }
  }
}
