/**
 * The lecture's two computational graphs on the page's backend, built by the module the Node
 * backprop example uses; @tsgrad/plot's graph window draws them with Graphviz (WebAssembly,
 * bundled into the page).
 */
import type { ComputationGraph } from 'tsgrad';
import { graphToSvg, graphWindow } from '@tsgrad/plot/browser';
// The same graph builders as the Node backprop example, in float32 (what WebGL computes in).
export { ADDITION_TITLE, SIGMOID_TITLE } from '../../../examples/src/graphs.js';
import { additionGraph as buildAddition, sigmoidGate as buildGate } from '../../../examples/src/graphs.js';

export const additionGraph = (): ComputationGraph => buildAddition('float32').graph;
export const sigmoidGate = (): ComputationGraph => buildGate('float32').graph;

/** The graph window's SVG: each node with its value (green) and gradient (red). */
export async function drawGraph(graph: ComputationGraph, title: string): Promise<string> {
  const window = graphWindow(graph, { title });
  return graphToSvg(window.graph!, { title });
}
