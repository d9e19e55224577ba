// model.summary(): the Keras table exactly as tfjs-layers prints it (same columns, widths and
// truncation), so output can be compared line by line.
import type { Layer } from './layer.js';
import type { LayersModel } from './model.js';
import type { Node } from './symbolic.js';

/** Sequential-like: one node per depth, each with a single inbound layer, and no shared layers. */
function isSequentialLike(model: LayersModel): boolean {
  const nodes: Node[] = [];
  for (const depthNodes of model.nodesByDepth.values()) {
    if (depthNodes.length > 1 || (depthNodes.length === 1 && depthNodes[0].inboundLayers.length > 1)) return false;
    nodes.push(...depthNodes);
  }
  for (const layer of model.layers) {
    if (layer.inboundNodes.filter((n) => nodes.includes(n)).length > 1) return false;
  }
  return true;
}

/** Writes the fields left to right, each cut or padded to end at its column position. */
function formatRow(fields: string[], positions: number[]): string {
  let line = '';
  fields.forEach((field, i) => {
    if (i > 0) line = line.slice(0, line.length - 1) + ' ';
    line = (line + field).slice(0, positions[i]);
    line += ' '.repeat(positions[i] - line.length);
  });
  return line;
}

function shapeText(get: () => unknown): string {
  try {
    return JSON.stringify(get());
  } catch {
    return 'multiple';
  }
}

function layerFields(layer: Layer, model: LayersModel): string[] {
  const inputShape = layer.inboundNodes.map((n) => JSON.stringify(n.inputShapes)).join(',');
  void model;
  return [`${layer.name} (${layer.getClassName()})`, inputShape, shapeText(() => layer.outputShape), String(layer.countParams())];
}

const countParams = (weights: { shape: number[] }[]) => weights.reduce((t, w) => t + w.shape.reduce((p, d) => p * d, 1), 0);

export function printSummary(model: LayersModel, lineLength?: number, positions?: number[], printFn: (line: string) => void = console.log): void {
  const sequentialLike = isSequentialLike(model);
  const header = ['Layer (type)', 'Input Shape', 'Output shape', 'Param #'];
  const width = lineLength || (sequentialLike ? 90 : 115);
  let columns = positions || (sequentialLike ? [0.32, 0.61, 0.89, 1] : [0.24, 0.48, 0.7, 0.8, 1]);
  if (columns[columns.length - 1] <= 1) columns = columns.map((p) => Math.floor(width * p));
  if (!sequentialLike) header.push('Receives inputs');
  const relevant = [...model.nodesByDepth.values()].flat();

  printFn('_'.repeat(width));
  printFn(formatRow(header, columns));
  printFn('='.repeat(width));
  const layers = model.layers;
  layers.forEach((layer, i) => {
    const fields = layerFields(layer, model);
    if (sequentialLike) {
      printFn(formatRow(fields, columns));
    } else {
      const connections: string[] = [];
      for (const node of layer.inboundNodes) {
        if (relevant.length > 0 && !relevant.includes(node)) continue;
        node.inboundLayers.forEach((inbound, j) => connections.push(`${inbound.name}[${node.nodeIndices[j]}][${node.tensorIndices[j]}]`));
      }
      printFn(formatRow([...fields, connections[0] ?? ''], columns));
      for (const extra of connections.slice(1)) printFn(formatRow(['', '', '', '', extra], columns));
    }
    printFn((i === layers.length - 1 ? '=' : '_').repeat(width));
  });
  const trainable = countParams(model.trainableWeights);
  const nonTrainable = countParams(model.nonTrainableWeights);
  printFn(`Total params: ${trainable + nonTrainable}`);
  printFn(`Trainable params: ${trainable}`);
  printFn(`Non-trainable params: ${nonTrainable}`);
  printFn('_'.repeat(width));
}
