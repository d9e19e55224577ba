// Model topology to and from the Keras JSON that tfjs-layers writes as model.json's "modelTopology":
//   {class_name: 'Sequential' | 'Model', config: {...snake_case...}, keras_version, backend}
// Layers serialize as tfjs camelCase configs (getConfig); the conversion to snake_case follows tfjs
// (keys and string values, except names), so files move both ways between tfjs and sinew.
import { Layer, toSnakeCase } from './layer.js';
import { Activation, Dense, Dropout, Flatten, InputLayer, Reshape } from './layers/core.js';
import { Add, Concatenate } from './layers/merge.js';
import { LayersModel, Sequential } from './model.js';
import type { SymbolicTensor } from './symbolic.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Config = Record<string, unknown>;
type LayerFactory = (config: Config) => Layer;

export const KERAS_VERSION = 'sinew 0.1.0';
export const KERAS_BACKEND = 'tensor_flow.js';

const registry = new Map<string, LayerFactory>();

/** Makes `className` loadable from model files (built-in layers are registered below). */
export function registerLayerClass(className: string, fromConfig: (config: object) => Layer): void {
  if (typeof className !== 'string' || !className) throw new Error('registerLayerClass: className must be a non-empty string');
  registry.set(className, fromConfig as LayerFactory);
}

registerLayerClass('InputLayer', (c) => new InputLayer(c as ConstructorParameters<typeof InputLayer>[0]));
registerLayerClass('Dense', (c) => new Dense(c as unknown as ConstructorParameters<typeof Dense>[0]));
registerLayerClass('Activation', (c) => new Activation(c as unknown as ConstructorParameters<typeof Activation>[0]));
registerLayerClass('Dropout', (c) => new Dropout(c as unknown as ConstructorParameters<typeof Dropout>[0]));
registerLayerClass('Flatten', (c) => new Flatten(c));
registerLayerClass('Reshape', (c) => new Reshape(c as unknown as ConstructorParameters<typeof Reshape>[0]));
registerLayerClass('Concatenate', (c) => new Concatenate(c));
registerLayerClass('Add', (c) => new Add(c));

// --- camelCase ⇄ snake_case, as tfjs-layers converts configs ---

const NAME_LIST_KEYS = new Set(['inboundNodes', 'inputLayers', 'outputLayers']);

function toCamelCase(identifier: string): string {
  if (identifier.length <= 1 || !identifier.includes('_')) return identifier;
  return identifier.replace(/[_]+(\w|$)/g, (_, c: string) => c.toUpperCase());
}

/** Layer names inside inbound_nodes / input_layers / output_layers stay as they are. */
const isNameSlot = (key: string | undefined, index: number, item: unknown) =>
  key !== undefined && NAME_LIST_KEYS.has(key) && index === 0 && typeof item === 'string';

export function toPythonic(value: unknown, key?: string): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return toSnakeCase(value);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((item, i) => (isNameSlot(key, i, item) ? (item as string) : toPythonic(item, key)));
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(value as object)) {
    out[toSnakeCase(k)] = (k === 'name' || k === 'className') && typeof v === 'string' ? v : toPythonic(v, k);
  }
  return out;
}

export function fromPythonic(value: unknown, key?: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return toCamelCase(value);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((item, i) => (isNameSlot(key, i, item) ? item : fromPythonic(item, key)));
  const out: Config = {};
  for (const [k, v] of Object.entries(value as object)) {
    if (k === 'name' && typeof v === 'string') out[k] = v;
    else {
      const camel = toCamelCase(k);
      out[camel] = fromPythonic(v, camel);
    }
  }
  return out;
}

// --- layers ---

export function serializeLayer(layer: Layer): { className: string; config: Config } {
  return { className: layer.getClassName(), config: layer.getConfig() };
}

/** A layer from {className, config} (tfjs camelCase), with errors naming the layer and class. */
export function deserializeLayer(serialized: { className: string; config: Config }, context = 'deserializeLayer'): Layer {
  const name = typeof serialized?.config?.name === 'string' ? `'${serialized.config.name}'` : '(unnamed)';
  if (!serialized || typeof serialized.className !== 'string') {
    throw new Error(`${context}: layer ${name} has no class_name`);
  }
  const make = registry.get(serialized.className);
  if (!make) {
    throw new Error(`${context}: layer ${name} has unknown class '${serialized.className}' (known: ${[...registry.keys()].join(', ')})`);
  }
  try {
    return make({ ...(serialized.config ?? {}) });
  } catch (error) {
    throw new Error(`${context}: layer ${name} (${serialized.className}): ${(error as Error).message}`);
  }
}

// --- models ---

/** Index of `tensor`'s producing call among the calls that belong to `model` (tfjs renumbers so). */
function modelNodeIndex(model: LayersModel, tensor: SymbolicTensor): number {
  const node = tensor.sourceLayer.inboundNodes[tensor.nodeIndex];
  return tensor.sourceLayer.inboundNodes.filter((n) => model.hasNode(n)).indexOf(node);
}

function functionalConfig(model: LayersModel): Config {
  const layers = model.layers.map((layer) => ({
    name: layer.name,
    className: layer.getClassName(),
    config: layer.getConfig(),
    inboundNodes: layer.inboundNodes
      .filter((node) => model.hasNode(node) && node.inputTensors.length > 0)
      .map((node) => node.inputTensors.map((t) => [t.sourceLayer.name, modelNodeIndex(model, t), t.tensorIndex, node.callArgs])),
  }));
  const endpoint = (t: SymbolicTensor) => [t.sourceLayer.name, modelNodeIndex(model, t), t.tensorIndex];
  return { name: model.name, layers, inputLayers: model.inputs.map(endpoint), outputLayers: model.outputs.map(endpoint) };
}

function sequentialConfig(model: Sequential): Config {
  const layers = model.layers.map((layer, i) => {
    const serialized = serializeLayer(layer);
    // The first layer carries the input shape (tfjs writes batch_input_shape there).
    if (i === 0 && !(layer instanceof InputLayer) && !serialized.config.batchInputShape) {
      serialized.config = { ...serialized.config, batchInputShape: model.inputs[0].shape.slice(), dtype: model.inputs[0].dtype };
    }
    return serialized;
  });
  return { name: model.name, layers };
}

/** The model.json "modelTopology" object tfjs-layers writes. */
export function modelTopology(model: LayersModel): object {
  if (!(model instanceof LayersModel)) throw new Error('modelTopology: expected a LayersModel');
  if (model.inputs.length === 0) throw new Error(`modelTopology: model '${model.name}' has no layers yet`);
  const sequential = model instanceof Sequential;
  return {
    class_name: sequential ? 'Sequential' : 'Model',
    config: toPythonic(sequential ? sequentialConfig(model) : functionalConfig(model)),
    keras_version: KERAS_VERSION,
    backend: KERAS_BACKEND,
  };
}

const CONTEXT = 'modelFromTopology';

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A LayersModel (fresh weights) from a model.json "modelTopology"; validates and names what is wrong. */
export function modelFromTopology(topology: object): LayersModel {
  let top = topology as Record<string, unknown>;
  if (isObject(top) && isObject(top.model_config)) top = top.model_config; // Keras' h5-to-JSON wrapping
  if (!isObject(top) || typeof top.class_name !== 'string') {
    throw new Error(`${CONTEXT}: expected {class_name, config}, got ${JSON.stringify(topology)?.slice(0, 80)}`);
  }
  const className = top.class_name;
  const config = fromPythonic(top.config);
  if (className === 'Sequential') return sequentialFromConfig(config);
  if (className === 'Model' || className === 'Functional') return functionalFromConfig(config);
  throw new Error(`${CONTEXT}: unknown model class '${className}' (known: Sequential, Model, Functional)`);
}

function layerEntries(config: unknown, where: string): Config[] {
  const layers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(layers)) throw new Error(`${CONTEXT}: ${where} config has no layers list`);
  layers.forEach((entry, i) => {
    if (!isObject(entry) || typeof entry.className !== 'string' || !isObject(entry.config)) {
      throw new Error(`${CONTEXT}: ${where} layer ${i} must be {class_name, config}, got ${JSON.stringify(entry)?.slice(0, 80)}`);
    }
  });
  return layers as Config[];
}

function sequentialFromConfig(config: unknown): Sequential {
  const entries = layerEntries(config, 'Sequential');
  const name = isObject(config) && typeof config.name === 'string' ? config.name : undefined;
  const model = new Sequential({ name });
  entries.forEach((entry, i) => {
    const layer = deserializeLayer(entry as { className: string; config: Config }, CONTEXT);
    if (i === 0 && !(layer instanceof InputLayer) && !layer.batchInputShape) {
      throw new Error(`${CONTEXT}: the first layer '${layer.name}' of Sequential '${model.name}' has no batch_input_shape`);
    }
    model.add(layer);
  });
  return model;
}

type NodeData = [string, number, number, Config?];

function functionalFromConfig(config: unknown): LayersModel {
  if (!isObject(config)) throw new Error(`${CONTEXT}: Model config must be an object`);
  const entries = layerEntries(config, 'Model');
  const layers = new Map<string, Layer>();
  const pending: { layer: Layer; nodes: NodeData[][] }[] = [];
  for (const entry of entries) {
    const layer = deserializeLayer(entry as { className: string; config: Config }, CONTEXT);
    const name = typeof entry.name === 'string' ? entry.name : layer.name;
    if (layers.has(name)) throw new Error(`${CONTEXT}: two layers are named '${name}'`);
    layers.set(name, layer);
    const nodes = entry.inboundNodes ?? [];
    if (!Array.isArray(nodes)) throw new Error(`${CONTEXT}: layer '${name}' inbound_nodes must be a list (Keras 3 node format is not supported)`);
    pending.push({ layer, nodes: nodes as NodeData[][] });
  }
  const tensorOf = ([layerName, nodeIndex, tensorIndex]: NodeData, consumer: string): SymbolicTensor | null => {
    const source = layers.get(layerName);
    if (!source) throw new Error(`${CONTEXT}: ${consumer} refers to unknown layer '${layerName}'`);
    const node = source.inboundNodes[nodeIndex];
    if (!node) return null; // not created yet
    const t = node.outputTensors[tensorIndex];
    if (!t) throw new Error(`${CONTEXT}: ${consumer} refers to output ${tensorIndex} of '${layerName}', which has ${node.outputTensors.length}`);
    return t;
  };
  // Apply each layer's calls once their inputs exist, sweeping until nothing is left (Keras order).
  let progress = true;
  while (progress && pending.some((p) => p.nodes.length > 0)) {
    progress = false;
    for (const item of pending) {
      while (item.nodes.length > 0) {
        const data = item.nodes[0];
        if (!Array.isArray(data)) throw new Error(`${CONTEXT}: layer '${item.layer.name}' has a malformed inbound node`);
        const inputs = data.map((d) => tensorOf(d, `layer '${item.layer.name}'`));
        if (inputs.some((x) => x === null)) break;
        const kwargs = (data[0][3] ?? {}) as { training?: boolean };
        item.layer.apply(inputs.length === 1 ? inputs[0]! : (inputs as SymbolicTensor[]), kwargs);
        item.nodes.shift();
        progress = true;
      }
    }
  }
  const stuck = pending.find((p) => p.nodes.length > 0);
  if (stuck) throw new Error(`${CONTEXT}: cannot connect layer '${stuck.layer.name}': its inputs are never produced (cycle or missing layer)`);
  const endpoints = (key: 'inputLayers' | 'outputLayers') => {
    const list = config[key];
    if (!Array.isArray(list) || list.length === 0) throw new Error(`${CONTEXT}: Model config needs a non-empty ${toSnakeCase(key)} list`);
    return list.map((d) => {
      const t = tensorOf(d as NodeData, toSnakeCase(key));
      if (!t) throw new Error(`${CONTEXT}: ${toSnakeCase(key)} refers to a call of '${(d as NodeData)[0]}' that does not exist`);
      return t;
    });
  };
  return new LayersModel({ inputs: endpoints('inputLayers'), outputs: endpoints('outputLayers'), name: typeof config.name === 'string' ? config.name : undefined });
}
