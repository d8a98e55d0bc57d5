// The dashboard page: lists environments and shows every window of one, updated live over SSE.
// Every string from the server is set as text or drawn by Vega (never parsed as HTML).
'use strict';

const $ = (id) => document.getElementById(id);
const views = new Map(); // window id -> { el, version, view, specKey }
let source = null;

function currentEnv() {
  const m = /(?:^|&)env=([^&]*)/.exec(location.hash.slice(1));
  return m ? decodeURIComponent(m[1]) : 'main';
}

function setStatus(text) {
  $('status').textContent = text;
}

function renderEnvs(names) {
  const list = $('envs');
  list.replaceChildren();
  const env = currentEnv();
  for (const name of names.includes(env) ? names : [...names, env]) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = `#env=${encodeURIComponent(name)}`;
    a.textContent = name;
    if (name === env) a.className = 'current';
    li.append(a);
    list.append(li);
  }
}

// The spec without its inline data: when only the data changed, the view is updated in place.
function shapeKey(spec) {
  const { data, ...rest } = spec;
  return data && Array.isArray(data.values) ? JSON.stringify(rest) : null;
}

function windowElement(id) {
  let entry = views.get(id);
  if (entry) return entry;
  const el = document.createElement('section');
  el.className = 'window';
  el.dataset.win = id;
  const bar = document.createElement('div');
  bar.className = 'bar';
  bar.textContent = id;
  const plot = document.createElement('div');
  plot.className = 'plot';
  el.append(bar, plot);
  $('windows').append(el);
  $('empty').hidden = true;
  entry = { el, plot, version: -1, view: null, specKey: null, busy: Promise.resolve() };
  views.set(id, entry);
  return entry;
}

async function draw(w) {
  const entry = windowElement(w.id);
  if (w.version <= entry.version) return;
  entry.version = w.version;
  entry.el.dataset.kind = w.kind;
  try {
    if (w.kind === 'graph') {
      const img = document.createElement('img');
      img.alt = `computational graph ${w.id}`;
      img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(w.svg)}`;
      entry.view?.finalize();
      entry.view = null;
      entry.plot.replaceChildren(img);
    } else {
      const key = shapeKey(w.spec);
      if (entry.view && key !== null && key === entry.specKey) {
        const cs = vega.changeset().remove(() => true).insert(w.spec.data.values);
        await entry.view.change('source_0', cs).runAsync();
      } else {
        entry.view?.finalize();
        const result = await vegaEmbed(entry.plot, w.spec, { actions: false, renderer: 'svg', ast: true, tooltip: false });
        entry.view = result.view;
        entry.specKey = key;
      }
    }
    // Only the latest drawn version is advertised (the end-to-end test waits on it).
    if (entry.version === w.version) entry.el.dataset.version = String(w.version);
  } catch (e) {
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = `could not draw ${w.id}: ${e && e.message ? e.message : e}`;
    entry.plot.replaceChildren(p);
  }
}

function queueDraw(w) {
  const entry = windowElement(w.id);
  entry.busy = entry.busy.then(() => draw(w));
}

function reset(payload) {
  for (const entry of views.values()) entry.view?.finalize();
  views.clear();
  $('windows').replaceChildren();
  $('env-title').textContent = payload.env;
  $('empty').hidden = payload.windows.length > 0;
  for (const w of payload.windows) queueDraw(w);
}

function connect() {
  if (source) source.close();
  const env = currentEnv();
  source = new EventSource(`/api/events?env=${encodeURIComponent(env)}`);
  source.addEventListener('open', () => setStatus('live'));
  source.addEventListener('error', () => setStatus('disconnected: retrying…'));
  source.addEventListener('envs', (e) => renderEnvs(JSON.parse(e.data)));
  source.addEventListener('reset', (e) => reset(JSON.parse(e.data)));
  source.addEventListener('window', (e) => queueDraw(JSON.parse(e.data)));
  source.addEventListener('close', (e) => {
    const { id } = JSON.parse(e.data);
    const entry = views.get(id);
    if (entry) {
      entry.view?.finalize();
      entry.el.remove();
      views.delete(id);
    }
  });
}

window.addEventListener('hashchange', connect);
connect();
