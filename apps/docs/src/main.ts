/**
 * The docs page: runs each idea of the lecture on the page's backend and shows the source of the
 * module it runs (imported with ?raw from the very file the page executes, so it cannot drift).
 */
import './style.css';
import { opDefs } from 'tsgrad';
import { chooseBackend } from './backend.js';
import { Plot, drawInto } from './plots.js';
import { activationPlots } from './examples/activations.js';
import { ADDITION_TITLE, SIGMOID_TITLE, additionGraph, drawGraph, sigmoidGate } from './examples/graphs.js';
import { PROBLEMS, trainClassifier, type ClassifierResult } from './examples/classifiers.js';
import { trainRegression, type LearnedParameter } from './examples/regression.js';
import activationsSource from './examples/activations.ts?raw';
import graphsSource from './examples/graphs.ts?raw';
import classifiersSource from './examples/classifiers.ts?raw';
import regressionSource from './examples/regression.ts?raw';
import regressionSetupSource from '../../examples/src/regression-setup.ts?raw';
import lectureGraphsSource from '../../examples/src/graphs.ts?raw';
import type { ComputationGraph } from 'tsgrad';

/** What the page did so far: read by the end-to-end test (apps/docs/test/site.test.ts). */
export interface DocsState {
  backend: string;
  backendNote: string | null;
  activations: { plotted: string[] };
  graphs: { mode: 'graphviz' | 'table' | 'pending'; drawn: number; note: string | null };
  regression: { state: 'idle' | 'running' | 'done' | 'error'; epoch: number; losses: number[]; plotUpdates: number; parameters: LearnedParameter[]; error: string | null };
  classifiers: { state: 'idle' | 'running' | 'done' | 'error'; results: Omit<ClassifierResult, 'spec'>[]; surfaces: number; error: string | null };
  errors: string[];
}

declare global {
  interface Window {
    __docs: DocsState;
  }
}

// Referencing opDefs keeps core's op table (and its installation) in the bundle: rolldown drops
// it otherwise (the same workaround as backend-webgl's browser test).
if (Object.keys(opDefs).length === 0) throw new Error('no ops');

const params = new URLSearchParams(location.search);
// Shorter runs for tests and slow machines: ?epochs=100&every=25&classifierEpochs=40.
const positive = (name: string, fallback: number) => {
  const v = Number(params.get(name));
  return Number.isInteger(v) && v > 0 ? v : fallback;
};
const REGRESSION_EPOCHS = positive('epochs', 5000);
const REGRESSION_EVERY = positive('every', 50);
const CLASSIFIER_EPOCHS = positive('classifierEpochs', 200);

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string) => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
};

const state: DocsState = {
  backend: 'pending',
  backendNote: null,
  activations: { plotted: [] },
  graphs: { mode: 'pending', drawn: 0, note: null },
  regression: { state: 'idle', epoch: 0, losses: [], plotUpdates: 0, parameters: [], error: null },
  classifiers: { state: 'idle', results: [], surfaces: 0, error: null },
  errors: [],
};
window.__docs = state;
window.addEventListener('error', (e) => state.errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => state.errors.push(String((e.reason as Error)?.message ?? e.reason)));

function showCode(id: string, files: { path: string; source: string }[]): void {
  const host = $(id);
  for (const f of files) {
    const details = el('details');
    details.open = true;
    details.append(el('summary', `The code this section runs: ${f.path}`));
    const pre = el('pre');
    pre.append(el('code', f.source));
    details.append(pre);
    host.append(details);
  }
}

// --- backend -----------------------------------------------------------------------------------
const backend = chooseBackend(params.get('backend'));
state.backend = backend.name;
state.backendNote = backend.note;
const badge = $('backend');
badge.textContent = `backend: ${backend.name}`;
badge.dataset.backend = backend.name;
if (backend.note) {
  const note = $('backend-note');
  note.textContent = backend.note;
  note.hidden = false;
}

// --- 1. activations ----------------------------------------------------------------------------
async function activations(): Promise<void> {
  const host = $('activation-plots');
  for (const a of activationPlots()) {
    const card = el('figure', undefined, 'card');
    const plotHost = el('div');
    card.append(plotHost);
    const caption = el('figcaption');
    caption.append(el('strong', a.name), el('span', `f(z) = ${a.definition}`, 'definition'), el('span', `used in: ${a.usedIn}`, 'use'));
    card.append(caption);
    host.append(card);
    await drawInto(plotHost, a.spec);
    state.activations.plotted.push(a.name);
  }
}

// --- 2. computational graphs -------------------------------------------------------------------
function graphTable(graph: ComputationGraph): HTMLTableElement {
  const table = el('table', undefined, 'nodes');
  const head = el('tr');
  for (const h of ['node', 'op', 'value', 'gradient']) head.append(el('th', h));
  table.append(head);
  const fmt = (v: number | undefined) => (v === undefined ? '-' : String(Number(v.toFixed(4))));
  for (const n of graph.nodes) {
    const row = el('tr');
    for (const c of [n.label ?? n.id, n.op, fmt(n.value[0]), n.grad ? fmt(n.grad[0]) : '-']) row.append(el('td', c));
    table.append(row);
  }
  return table;
}

async function graphs(): Promise<void> {
  const host = $('graph-plots');
  const graphsToDraw = [
    { title: ADDITION_TITLE, graph: additionGraph() },
    { title: SIGMOID_TITLE, graph: sigmoidGate() },
  ];
  for (const { title, graph } of graphsToDraw) {
    const figure = el('figure', undefined, 'graph');
    host.append(figure);
    try {
      const svg = await drawGraph(graph, title);
      // Graphviz's SVG of our own labels (escaped by graphToDot), parsed as SVG, never as HTML.
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      figure.append(document.importNode(doc.documentElement, true));
      state.graphs.mode = 'graphviz';
    } catch (e) {
      // Graphviz (WebAssembly) could not run here: the same values as a table.
      state.graphs.mode = 'table';
      state.graphs.note = `Graphviz could not draw the graph in this browser (${(e as Error).message}); here are its nodes as a table.`;
      figure.append(el('figcaption', title), graphTable(graph));
      const note = $('graph-note');
      note.textContent = state.graphs.note;
      note.hidden = false;
    }
    state.graphs.drawn++;
  }
}

// --- 3. hard cases for a linear classifier -----------------------------------------------------
function setupClassifiers(): void {
  const button = $<HTMLButtonElement>('classifiers-train');
  const status = $('classifiers-status');
  const table = $<HTMLTableElement>('classifiers-table');
  const surfaces = $('classifiers-surfaces');
  button.textContent = `Train 6 models (${CLASSIFIER_EPOCHS} epochs each)`;
  button.addEventListener('click', async () => {
    button.disabled = true;
    state.classifiers = { state: 'running', results: [], surfaces: 0, error: null };
    table.tBodies[0]!.replaceChildren();
    surfaces.replaceChildren();
    try {
      for (const p of PROBLEMS) {
        const row = el('tr');
        row.append(el('td', p.title));
        table.tBodies[0]!.append(row);
        const pair = el('div', undefined, 'pair');
        pair.append(el('h4', p.title));
        surfaces.append(pair);
        for (const kind of ['linear', 'mlp'] as const) {
          status.textContent = `training the ${kind === 'linear' ? 'linear classifier' : 'MLP'} on ${p.title}…`;
          const { spec, ...result } = await trainClassifier(p.id, kind, { epochs: CLASSIFIER_EPOCHS });
          state.classifiers.results.push(result);
          row.append(el('td', `${(100 * result.testAccuracy).toFixed(1)}%`, kind));
          await drawInto(pair, spec, 'plot surface');
          state.classifiers.surfaces++;
        }
      }
      status.textContent = `done on ${state.backend}: test accuracy (chance is 50%).`;
      state.classifiers.state = 'done';
    } catch (e) {
      state.classifiers.state = 'error';
      state.classifiers.error = (e as Error).message;
      status.textContent = `failed: ${(e as Error).message}`;
    } finally {
      button.disabled = false;
    }
  });
}

// --- 4. the practice program -------------------------------------------------------------------
function setupRegression(): void {
  const button = $<HTMLButtonElement>('regression-train');
  const status = $('regression-status');
  const log = $('regression-log');
  const learned = $('regression-parameters');
  const lossPlot = new Plot($('regression-loss'));
  const fitPlot = new Plot($('regression-fit'));
  button.textContent = `Train for ${REGRESSION_EPOCHS} epochs on ${state.backend}`;
  button.addEventListener('click', async () => {
    button.disabled = true;
    state.regression = { state: 'running', epoch: 0, losses: [], plotUpdates: 0, parameters: [], error: null };
    log.textContent = '';
    learned.textContent = '';
    const started = performance.now();
    let printed = 0;
    try {
      const { losses, parameters } = await trainRegression({
        backend: state.backend,
        epochs: REGRESSION_EPOCHS,
        every: REGRESSION_EVERY,
        onProgress: async ({ epoch, losses, lossSpec, fitSpec }) => {
          state.regression.epoch = epoch;
          status.textContent = `epoch ${epoch}/${REGRESSION_EPOCHS}, L1 loss ${losses[epoch - 1]!.toFixed(3)}`;
          // The lecture prints the loss every 100 epochs.
          for (let e = (Math.floor(printed / 100) + 1) * 100; e <= epoch; e += 100) log.textContent += `epoch ${e}\tloss ${losses[e - 1]!.toFixed(4)}\n`;
          printed = epoch;
          await Promise.all([lossPlot.draw(lossSpec), fitPlot.draw(fitSpec)]);
          state.regression.plotUpdates++;
        },
      });
      state.regression.losses = losses;
      state.regression.parameters = parameters;
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      status.textContent = `done: ${REGRESSION_EPOCHS} epochs on ${state.backend} in ${seconds} s, L1 loss ${losses[0]!.toFixed(2)} → ${losses[losses.length - 1]!.toFixed(3)}`;
      learned.textContent = parameters
        .map((p) => `${p.name} [${p.shape.join(', ')}]\n  ${p.values.map((v) => v.toFixed(4)).join(', ')}`)
        .join('\n');
      state.regression.state = 'done';
    } catch (e) {
      state.regression.state = 'error';
      state.regression.error = (e as Error).message;
      status.textContent = `failed: ${(e as Error).message}`;
    } finally {
      button.disabled = false;
    }
  });
}

showCode('activations-code', [{ path: 'apps/docs/src/examples/activations.ts', source: activationsSource }]);
showCode('graphs-code', [
  { path: 'apps/docs/src/examples/graphs.ts', source: graphsSource },
  { path: 'apps/examples/src/graphs.ts (shared with the Node program)', source: lectureGraphsSource },
]);
showCode('classifiers-code', [{ path: 'apps/docs/src/examples/classifiers.ts', source: classifiersSource }]);
showCode('regression-code', [
  { path: 'apps/docs/src/examples/regression.ts', source: regressionSource },
  { path: 'apps/examples/src/regression-setup.ts (shared with the Node program)', source: regressionSetupSource },
]);
setupClassifiers();
setupRegression();
// Draw the static sections one after the other, so the first plots appear quickly.
(async () => {
  await activations();
  await graphs();
  document.body.dataset.ready = 'true';
})().catch((e: unknown) => state.errors.push((e as Error).message));
