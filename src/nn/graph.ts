// Orders a functional graph as tfjs-layers (Keras) does: a depth-first walk back from the outputs,
// then depth = longest path to an output; layers are listed by decreasing depth, ties in the order the
// walk first met them. The same order drives execution, summary() and the saved topology.
import type { Layer } from './layer.js';
import { formatShape, Node, SymbolicTensor } from './symbolic.js';

export interface GraphOrder {
  /** Every layer of the graph, inputs first. */
  layers: Layer[];
  /** The nodes (layer calls) that belong to this graph, grouped by depth (0 = output nodes). */
  nodesByDepth: Map<number, Node[]>;
  /** Nodes in an order where every node's inputs come before it. */
  executionOrder: Node[];
  nodes: Set<Node>;
}

export function orderGraph(inputs: SymbolicTensor[], outputs: SymbolicTensor[], context: string): GraphOrder {
  const inputNodes = new Set(inputs.map((t) => t.sourceLayer.inboundNodes[t.nodeIndex]));
  const finished = new Set<Node>();
  const inProgress = new Set<Node>();
  const firstSeen = new Map<Layer, number>();
  const nodesInDecreasingDepth: Node[] = [];

  const visit = (tensor: SymbolicTensor, consumer: string): void => {
    const layer = tensor.sourceLayer;
    const node = layer.inboundNodes[tensor.nodeIndex];
    if (inProgress.has(node)) throw new Error(`${context}: the graph has a cycle through layer '${layer.name}'`);
    if (finished.has(node)) return;
    if (!firstSeen.has(layer)) firstSeen.set(layer, firstSeen.size);
    if (node.inputTensors.length === 0 && !inputNodes.has(node)) {
      throw new Error(
        `${context}: graph disconnected: ${consumer} needs input '${layer.name}' ${formatShape(tensor.shape)}, which is not among the model inputs [${inputs.map((t) => `'${t.sourceLayer.name}'`).join(', ')}]`,
      );
    }
    inProgress.add(node);
    // The inputs of the model are leaves even if they are produced by other layers.
    if (!inputNodes.has(node)) for (const x of node.inputTensors) visit(x, `layer '${layer.name}'`);
    inProgress.delete(node);
    finished.add(node);
    nodesInDecreasingDepth.push(node);
  };
  for (const output of outputs) visit(output, 'an output');

  const nodeDepth = new Map<Node, number>();
  const layerDepth = new Map<Layer, number>();
  for (const node of nodesInDecreasingDepth.slice().reverse()) {
    const depth = Math.max(nodeDepth.get(node) ?? 0, layerDepth.get(node.outboundLayer) ?? 0);
    layerDepth.set(node.outboundLayer, depth);
    nodeDepth.set(node, depth);
    if (inputNodes.has(node)) continue;
    for (const x of node.inputTensors) {
      const inbound = x.sourceLayer.inboundNodes[x.nodeIndex];
      nodeDepth.set(inbound, Math.max(depth + 1, nodeDepth.get(inbound) ?? 0));
    }
  }

  const nodesByDepth = new Map<number, Node[]>();
  for (const [node, depth] of nodeDepth) {
    if (!nodesByDepth.has(depth)) nodesByDepth.set(depth, []);
    nodesByDepth.get(depth)!.push(node);
  }
  const depths = [...nodesByDepth.keys()].sort((a, b) => b - a);
  const executionOrder = depths.flatMap((d) => nodesByDepth.get(d)!);

  const layersByDepth = new Map<number, Layer[]>();
  for (const [layer, depth] of layerDepth) {
    if (!layersByDepth.has(depth)) layersByDepth.set(depth, []);
    layersByDepth.get(depth)!.push(layer);
  }
  const layers = [...layersByDepth.keys()]
    .sort((a, b) => b - a)
    .flatMap((d) => layersByDepth.get(d)!.sort((a, b) => firstSeen.get(a)! - firstSeen.get(b)!));

  for (const input of inputs) {
    if (!finished.has(input.sourceLayer.inboundNodes[input.nodeIndex])) {
      // An input nothing depends on still belongs to the model (tfjs keeps it too).
      const node = input.sourceLayer.inboundNodes[input.nodeIndex];
      nodesByDepth.set(-1, [...(nodesByDepth.get(-1) ?? []), node]);
      executionOrder.unshift(node);
      if (!layers.includes(input.sourceLayer)) layers.unshift(input.sourceLayer);
    }
  }
  const names = new Map<string, number>();
  for (const layer of layers) names.set(layer.name, (names.get(layer.name) ?? 0) + 1);
  for (const [name, count] of names) {
    if (count > 1) throw new Error(`${context}: the layer name '${name}' is used ${count} times; layer names in a model must be unique`);
  }
  return { layers, nodesByDepth, executionOrder, nodes: new Set(nodeDepth.keys()) };
}
