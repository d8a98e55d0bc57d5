/**
 * The lecture's hard cases for a linear classifier on the page's backend: the same program as
 * the terminal example (`apps/examples/src/hard-cases.ts`: data, models, loss, optimizer,
 * epochs), trained in chunks so the page stays responsive; the decision surface (P(class 1)
 * over a grid) shows why only the MLP fits.
 */
import { noGrad, tensor, tidy, type nn } from 'tsgrad';
import { heatmap, type VegaLiteSpec } from '@tsgrad/plot/browser';
import { DEFAULT_EPOCHS, MODEL_NAMES, PROBLEMS, hardCase, type ModelKind, type Problem } from '../../../examples/src/hard-cases.js';

export { PROBLEMS, type ModelKind, type Problem } from '../../../examples/src/hard-cases.js';

export interface ClassifierResult {
  problem: Problem;
  model: ModelKind;
  trainAccuracy: number;
  testAccuracy: number;
  /** The decision surface with the test points on it. */
  spec: VegaLiteSpec;
}

/** P(class 1) on a `size` × `size` grid over [-extent, extent]², rows along y. */
function surface(model: nn.Sequential, extent: number, size: number): { axis: number[]; z: number[][] } {
  const axis = Array.from({ length: size }, (_, i) => -extent + (2 * extent * i) / (size - 1));
  const grid = axis.flatMap((y) => axis.flatMap((x) => [x, y]));
  const p = tidy(() => noGrad(() => model.call(tensor(grid).reshape([size * size, 2])).softmax(1).dataSync()));
  return { axis, z: axis.map((_, r) => axis.map((_, c) => p[2 * (r * size + c) + 1]!)) };
}

/** Lets the browser paint and handle input between chunks of training. */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export async function trainClassifier(problem: Problem, kind: ModelKind, options: { epochs?: number; seed?: number; title?: string } = {}): Promise<ClassifierResult> {
  const hc = hardCase(problem, kind, options.seed ?? 0);
  const { model, test } = hc;
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    hc.step();
    if (epoch % 25 === 0) await nextTask();
  }
  const extent = PROBLEMS.find((p) => p.id === problem)!.extent;
  const { axis, z } = surface(model, extent, 41);
  const xs = test.x.dataSync();
  const labels = Array.from(test.y.dataSync(), (l) => `class ${l}`);
  const shown = 300; // enough points to see the classes without hiding the surface
  const spec = heatmap({
    z,
    x: axis,
    y: axis,
    points: { x: Array.from({ length: shown }, (_, i) => xs[2 * i]!), y: Array.from({ length: shown }, (_, i) => xs[2 * i + 1]!), labels: labels.slice(0, shown) },
    opts: { title: options.title ?? `${MODEL_NAMES[kind]}: P(class 1)`, xlabel: 'x₁', ylabel: 'x₂', width: 240, height: 240 },
  }).toSpec();
  // One colour scale for every surface, P(class 1) from 0 to 1, so that equal colours mean equal
  // probabilities across the two classifiers and the three problems.
  const layers = (spec as { layer?: { encoding: { color: { scale: Record<string, unknown> } } }[] }).layer;
  if (layers?.[0]) layers[0].encoding.color.scale = { scheme: 'viridis', domain: [0, 1] };
  const result = { problem, model: kind, trainAccuracy: hc.trainAccuracy(), testAccuracy: hc.testAccuracy(), spec };
  hc.dispose();
  return result;
}
