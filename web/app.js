/* pocketinternet's web page: a map of the lab, the verify matrix, the
 * looking glass, paths, terminals and captures, over the JSON/WebSocket API
 * of `pocketinternet serve` (docs/web.md). Plain JavaScript, nothing loaded
 * from outside; xterm.js comes from the server as /xterm.js. */
'use strict';
(function () {

/* ------------------------------------------------------------ helpers */

const SVGNS = 'http://www.w3.org/2000/svg';
const $ = (sel, root) => (root || document).querySelector(sel);
const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

/* el('td', {class: 'x', 'data-ok': 'true', onclick: f}, 'text', node...) */
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  return fill(e, attrs, kids);
}
function svg(tag, attrs, ...kids) {
  return fill(document.createElementNS(SVGNS, tag), attrs, kids);
}
function fill(e, attrs, kids) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.appendChild(typeof k === 'object' ? k : document.createTextNode(String(k)));
  }
  return e;
}
const natural = (a, b) => a.localeCompare(b, 'en', { numeric: true });
const isV6 = a => a.indexOf(':') >= 0;
const bare = a => a.split('/')[0];

function table(head, rows, attrs) {
  return el('table', attrs || { class: 'data' },
    el('thead', null, el('tr', null, head.map(h => el('th', null, h)))),
    el('tbody', null, rows));
}

function setStatus(id, text, isError) {
  const s = $(id);
  s.textContent = text || '';
  s.classList.toggle('error', !!isError);
}

function errText(e) {
  return e.message + (e.hint ? ' (' + e.hint + ')' : '');
}

/* ------------------------------------------------------------ state */

const S = {
  me: null,
  lab: null,           /* GET /api/v1/lab */
  pod: {}, node: {}, link: {}, inSession: new Set(),
  live: { nodes: {}, links: {}, sessions: {}, incidents: [] },
  big: false,
  view: { x: 0, y: 0, k: 1 },
  layout: null,        /* pod name -> {x, y} */
  detailPod: null, detailNode: null,
  verify: null, verifyGen: 0, verifyBusy: false, verifyTimer: 0,
  terms: [], termSeq: 0, activeTerm: null,
  captures: {},
  events: null, eventsBackoff: 1000,
};
window.pocketinternet = S;   /* for the browser test and the curious */

/* ------------------------------------------------------------ API */

class ApiError extends Error {
  constructor(status, data) {
    super((data && data.error) || ('HTTP ' + status));
    this.status = status;
    this.hint = data && data.hint;
  }
}

async function api(method, path, body) {
  const opt = { method: method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    opt.headers['Content-Type'] = 'application/json';
    opt.body = JSON.stringify(body);
  }
  const r = await fetch('/api/v1/' + path, opt);
  const text = await r.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = { error: text.slice(0, 200) }; }
  }
  if (r.status === 401 && path !== 'login' && S.me) {
    stopApp();
    showLogin('Your session has ended: log in again.');
  }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

function wsURL(path) {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
}

/* ------------------------------------------------------------ login */

function showLogin(msg) {
  $('#app').hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = msg || '';
  $('#login-password').value = '';
  $('#login-password').focus();
}

async function onLogin(ev) {
  ev.preventDefault();
  $('#login-error').textContent = '';
  $('#login-submit').disabled = true;
  try {
    const me = await api('POST', 'login', { user: $('#login-user').value, password: $('#login-password').value });
    await startApp(me);
  } catch (e) {
    $('#login-error').textContent = e.status === 401 ? 'Wrong user or password.' : errText(e);
  } finally {
    $('#login-submit').disabled = false;
  }
}

async function onLogout() {
  try { await api('POST', 'logout'); } catch (e) { /* gone already */ }
  stopApp();
  showLogin('Logged out.');
}

function stopApp() {
  S.me = null;
  if (S.events) { S.events.onclose = null; S.events.close(); S.events = null; }
  clearInterval(S.verifyTimer);
  for (const t of S.terms.slice()) closeTerm(t);
  for (const c of Object.values(S.captures)) clearTimeout(c.timer);
}

async function startApp(me) {
  S.me = me;
  $('#me').textContent = me.user + (me.role ? ' (' + me.role + ')' : '');
  $('#tabs button[data-tab="mypods"]').hidden = me.role !== 'team';
  $('#login').hidden = true;
  $('#app').hidden = false;
  await loadLab();
  connectEvents();
  showTab((location.hash || '#map').slice(1));
}

/* ------------------------------------------------------------ lab */

async function loadLab() {
  const lab = await api('GET', 'lab');
  S.lab = lab;
  S.pod = {}; S.node = {}; S.link = {};
  lab.pods.forEach(p => { S.pod[p.name] = p; });
  lab.nodes.forEach(n => { S.node[n.name] = n; });
  S.inSession = new Set();
  lab.sessions.forEach(x => { S.inSession.add(x.a); S.inSession.add(x.b); });
  lab.links.forEach(l => { S.link[l.name] = l; });
  lab.nodes.forEach(n => { S.live.nodes[n.name] = n.state; });
  lab.links.forEach(l => { S.live.links[l.name] = l.state; });
  lab.sessions.forEach(s => { S.live.sessions[s.name] = s.state; });
  S.live.incidents = lab.incidents || [];
  $('#lab-name').textContent = lab.name;
  $('#matrix-bypod').checked = lab.nodes.length > 40;   /* node by node only while it stays readable */
  fillNodeSelects();
  drawMap(true);
  showIncidents();
}

/* Routers: the roles the blueprints give routers, and any node with a BGP
 * session (a lab's own blueprints may name their roles otherwise). */
const ROUTER_ROLES = ['router', 'rs', 'border', 'core', 'access'];
function isRouter(name) {
  const n = S.node[name];
  return !!n && (ROUTER_ROLES.includes(n.role) || S.inSession.has(name));
}
function sortedNodes(routersOnly) {
  return S.lab.nodes.filter(n => !routersOnly || isRouter(n.name))
    .map(n => n.name).sort(natural);
}

function fillSelect(sel, names, keep) {
  const old = sel.value;
  sel.textContent = '';
  names.forEach(n => sel.appendChild(el('option', { value: n }, n)));
  if (keep && names.includes(old)) sel.value = old;
}

/* What the account may do (the server checks every request; this only
 * spares a team buttons that would be refused): teams view everything and
 * act on their own pods. */
function may(action, node) {
  if (!S.me || S.me.role === 'trainer' || action === 'view') return true;
  const n = S.node[node];
  return !!n && (S.me.pods || []).includes(n.pod);
}

function fillNodeSelects() {
  const routers = sortedNodes(true), all = sortedNodes(false);
  fillSelect($('#lg-node'), routers.length ? routers : all, true);
  fillSelect($('#paths-from'), all, true);
  fillSelect($('#paths-to'), all, true);
  if (all.length > 1 && $('#paths-to').value === $('#paths-from').value) $('#paths-to').value = all[all.length - 1];
  fillSelect($('#term-node'), all.filter(n => may('term', n)), true);
  fillSelect($('#cap-node'), all.filter(n => may('capture', n)), true);
  fillIfaces();
}

function ifacesOf(node) {
  const out = [];
  for (const l of S.lab.links)
    for (const e of l.ends)
      if (e.node === node) out.push(e.iface);
  return out.sort(natural);
}

function fillIfaces() {
  const sel = $('#cap-iface');
  sel.textContent = '';
  sel.appendChild(el('option', { value: '' }, 'all interfaces'));
  ifacesOf($('#cap-node').value).forEach(i => sel.appendChild(el('option', { value: i }, i)));
}

/* sessions between two pods (either direction) */
function sessionsBetween(a, b) {
  return S.lab.sessions.filter(s => (s.a_pod === a && s.b_pod === b) || (s.a_pod === b && s.b_pod === a));
}

const isUp = st => typeof st === 'string' && st.toLowerCase() === 'established';

/* up, down, partial (some down) or unknown (no sessions) */
function edgeState(names) {
  if (!names.length) return 'unknown';
  const up = names.filter(n => isUp(S.live.sessions[n])).length;
  return up === names.length ? 'up' : up === 0 ? 'down' : 'partial';
}

function podState(p) {
  const st = p.nodes.map(n => S.live.nodes[n] || (S.node[n] && S.node[n].state));
  const running = st.filter(s => s === 'running').length;
  return running === st.length ? 'running' : running === 0 ? 'stopped' : 'degraded';
}

/* ------------------------------------------------------------ map layout */

const TIER_ROW = { transit: 0, ixp: 1, broadband: 2, content: 3 };

/* Rows by tier; a row wraps into lines when it holds many pods. Pods in the
 * lower tiers are ordered by the mean x of the pods above they connect to,
 * so edges cross less; ties by name. Deterministic: same lab, same map. */
function layoutPods(lab, f) {
  const rows = [[], [], [], []];
  lab.pods.forEach(p => rows[p.tier in TIER_ROW ? TIER_ROW[p.tier] : 3].push(p.name));
  const neigh = {};
  lab.relations.forEach(r => {
    (neigh[r.a] = neigh[r.a] || []).push(r.b);
    (neigh[r.b] = neigh[r.b] || []).push(r.a);
  });
  /* big fonts: bigger boxes, relatively less space between them, and
   * shorter lines, so the whole lab fitted on a projector reads larger */
  const per = Math.max(6, Math.ceil(Math.sqrt(lab.pods.length) * (f > 1 ? 1.5 : 2.2)));
  const dx = NODE_W * f + (f > 1 ? 26 : 38), dline = NODE_H * f + 44, dtier = NODE_H * f + 150;
  const pos = {};
  let y = 0;
  rows.forEach((row, ri) => {
    if (!row.length) return;
    row.sort(natural);
    if (ri > 0) {
      const key = {};
      row.forEach(p => {
        const xs = (neigh[p] || []).filter(q => pos[q]).map(q => pos[q].x);
        key[p] = xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
      });
      row.sort((a, b) => (key[a] - key[b]) || natural(a, b));
    }
    const lines = Math.ceil(row.length / per), width = Math.ceil(row.length / lines);
    for (let l = 0; l < lines; l++) {
      const part = row.slice(l * width, (l + 1) * width);
      const shift = (l % 2) * dx / 2;
      part.forEach((p, i) => { pos[p] = { x: (i - (part.length - 1) / 2) * dx + shift, y: y + l * dline }; });
    }
    y += (lines - 1) * dline + dtier;
  });
  return pos;
}

/* where the segment from (x1,y1) towards (x2,y2) leaves a box of half sizes hw, hh */
function clipBox(x1, y1, x2, y2, hw, hh) {
  const dx = x2 - x1, dy = y2 - y1;
  const t = Math.min(dx ? hw / Math.abs(dx) : Infinity, dy ? hh / Math.abs(dy) : Infinity, 1);
  return [x1 + dx * t, y1 + dy * t];
}

/* ------------------------------------------------------------ map drawing */

function markers() {
  const defs = svg('defs');
  const arrow = (id, cls) => defs.appendChild(svg('marker', { id: id, viewBox: '0 0 10 10', refX: 9, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse', markerUnits: 'strokeWidth' },
    svg('path', { d: 'M0,0 L10,5 L0,10 z', class: cls })));
  ['up', 'down', 'partial', 'unknown'].forEach(s => arrow('arrow-' + s, 'mk st-' + s));
  /* state marks in the middle of an edge, so state is not told by colour alone */
  defs.appendChild(svg('marker', { id: 'mark-down', viewBox: '-6 -6 12 12', markerWidth: 4, markerHeight: 4,
    orient: 0, markerUnits: 'strokeWidth' },
    svg('path', { d: 'M-5,-5 L5,5 M-5,5 L5,-5', class: 'mk-x' })));
  defs.appendChild(svg('marker', { id: 'mark-partial', viewBox: '-6 -6 12 12', markerWidth: 4, markerHeight: 4,
    orient: 0, markerUnits: 'strokeWidth' },
    svg('path', { d: 'M0,-5 L5,0 L0,5 L-5,0 z', class: 'mk-partial' })));
  return defs;
}

const NODE_W = 132, NODE_H = 46;

function drawMap(fit) {
  const f = S.big ? 1.6 : 1;
  const map = $('#map');
  map.textContent = '';
  map.appendChild(markers());
  const vp = svg('g', { id: 'viewport' });
  map.appendChild(vp);
  const pos = S.layout = layoutPods(S.lab, f);
  const edges = svg('g', { class: 'edges' }), nodes = svg('g', { class: 'nodes' });
  vp.appendChild(edges);
  vp.appendChild(nodes);
  const hw = NODE_W * f / 2 + 3, hh = NODE_H * f / 2 + 3;
  S.lab.relations.forEach(r => {
    const a = pos[r.a], b = pos[r.b];
    if (!a || !b) return;
    const names = sessionsBetween(r.a, r.b).map(s => s.name);
    const [x1, y1] = clipBox(a.x, a.y, b.x, b.y, hw, hh);
    const [x2, y2] = clipBox(b.x, b.y, a.x, a.y, hw, hh);
    const kind = r.kind === 'provider' ? 'provider' : r.kind === 'peer' ? 'peer' : 'ixp';
    const e = svg('path', {
      d: `M${x1},${y1} L${(x1 + x2) / 2},${(y1 + y2) / 2} L${x2},${y2}`,
      class: 'edge rel-' + kind, 'data-relation': r.kind, 'data-a': r.a, 'data-b': r.b,
      'data-session': names.join(' '),
    }, svg('title', null, relTitle(r, names)));
    edges.appendChild(e);
  });
  S.lab.pods.slice().sort((p, q) => natural(p.name, q.name)).forEach(p => {
    const c = pos[p.name];
    const g = svg('g', { class: 'pod tier-' + p.tier, 'data-pod': p.name, transform: `translate(${c.x},${c.y})`,
      tabindex: 0, role: 'button', 'aria-label': p.name + ' AS' + p.asn },
      svg('rect', { x: -NODE_W * f / 2, y: -NODE_H * f / 2, width: NODE_W * f, height: NODE_H * f,
        rx: p.tier === 'ixp' ? 22 * f : p.tier === 'transit' ? 3 : 10 * f }),
      svg('text', { class: 'name', y: -3 * f, 'font-size': 16 * f }, p.name),
      svg('text', { class: 'asn', y: 15 * f, 'font-size': 12 * f }, 'AS' + p.asn),
      svg('text', { class: 'inc-badge', x: NODE_W * f / 2 - 4 * f, y: -NODE_H * f / 2 + 2 * f, 'font-size': 22 * f }, '⚠'),
      svg('title', null, `${p.name} AS${p.asn} (${p.blueprint}), ${p.nodes.length} nodes: click for its routers`));
    g.addEventListener('click', ev => { if (!S.dragged) openPod(p.name); });
    g.addEventListener('keydown', ev => { if (ev.key === 'Enter') openPod(p.name); });
    nodes.appendChild(g);
  });
  applyLiveToMap();
  drawLegend();
  if (fit) fitMap(); else commitView();
}

function relTitle(r, names) {
  const what = r.kind === 'provider' ? `${r.a} is a provider of ${r.b}` :
    r.kind === 'peer' ? `${r.a} and ${r.b} peer` : `${r.b} is a member of ${r.a}`;
  const st = names.map(n => `${n}: ${S.live.sessions[n] || '?'}`);
  return what + (st.length ? '\n' + st.join('\n') : '\n(no BGP session)');
}

function applyLiveToMap() {
  $$('#map .edge').forEach(e => {
    const names = e.getAttribute('data-session').split(' ').filter(Boolean);
    const st = edgeState(names);
    e.setAttribute('data-state', st);
    e.setAttribute('class', e.getAttribute('class').replace(/ st-\w+/g, '') + ' st-' + st);
    if (e.getAttribute('data-relation') === 'provider') e.setAttribute('marker-end', `url(#arrow-${st})`);
    if (st === 'down' || st === 'partial') e.setAttribute('marker-mid', `url(#mark-${st})`);
    else e.removeAttribute('marker-mid');
    const r = { kind: e.getAttribute('data-relation'), a: e.getAttribute('data-a'), b: e.getAttribute('data-b') };
    e.firstChild.textContent = relTitle(r, names);
  });
  const inc = incidentPods();
  $$('#map .pod').forEach(g => {
    const p = g.getAttribute('data-pod');
    g.setAttribute('data-state', podState(S.pod[p]));
    g.classList.toggle('selected', p === S.detailPod);
    if (inc[p]) g.setAttribute('data-incident', inc[p].join(' '));
    else g.removeAttribute('data-incident');
  });
}

/* pod -> ids of the incidents that name it or one of its nodes */
function incidentPods() {
  const out = {};
  (S.live.incidents || []).forEach(i => {
    const seen = new Set();
    const walk = v => {
      if (typeof v === 'string') {
        const p = S.pod[v] ? v : S.node[v] ? S.node[v].pod : null;
        if (p && !seen.has(p)) { seen.add(p); (out[p] = out[p] || []).push(String(i.id)); }
      } else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(i);
  });
  return out;
}

function drawLegend() {
  const L = $('#legend');
  L.textContent = '';
  const line = (cls, marker, label) => {
    const s = svg('svg', { width: 60, height: 16, viewBox: '0 0 60 16' },
      svg('path', { d: 'M2,8 L30,8 L54,8', class: 'edge ' + cls, 'marker-end': marker && marker[0], 'marker-mid': marker && marker[1] }));
    return el('div', { class: 'legend-row' }, s, label);
  };
  L.appendChild(el('div', { class: 'legend-title' }, 'Sessions'));
  L.appendChild(line('rel-provider st-up', ['url(#arrow-up)'], 'up (blue, thin)'));
  L.appendChild(line('rel-provider st-partial', ['url(#arrow-partial)', 'url(#mark-partial)'], 'some down (orange, ◆)'));
  L.appendChild(line('rel-provider st-down', ['url(#arrow-down)', 'url(#mark-down)'], 'down (vermillion, thick, ✕)'));
  L.appendChild(line('rel-provider st-unknown', ['url(#arrow-unknown)'], 'no BGP session'));
  L.appendChild(el('div', { class: 'legend-title' }, 'Relations'));
  L.appendChild(line('rel-provider st-up', ['url(#arrow-up)'], 'provider → customer'));
  L.appendChild(line('rel-peer st-up', null, 'peering (dashed)'));
  L.appendChild(line('rel-ixp st-up', null, 'IXP member (dotted)'));
  L.appendChild(el('div', { class: 'legend-title' }, 'Nodes'));
  L.appendChild(el('div', { class: 'legend-row' }, el('span', { class: 'swatch pod-stopped' }), 'some node stopped (hatched)'));
  L.appendChild(el('div', { class: 'legend-row' }, el('span', { class: 'swatch pod-incident' }, '⚠'), 'named by an incident'));
}

/* ------------------------------------------------------------ zoom and pan */

/* While the user zooms or pans, the drawn SVG is moved as a picture (a CSS
 * transform the compositor applies without drawing the map again); when
 * the wheel or the drag rests, the view is committed to the SVG and drawn
 * sharp. This keeps a map of hundreds of pods smooth. */
function applyView() {
  const v = S.view, c = S.drawn;
  const vp = $('#viewport');
  S.viewQueued = false;
  if (!vp) return;
  if (!c || S.commitNow) {
    vp.setAttribute('transform', `translate(${v.x},${v.y}) scale(${v.k})`);
    $('#map').style.transform = '';
    S.drawn = { x: v.x, y: v.y, k: v.k };
    S.commitNow = false;
    return;
  }
  const s = v.k / c.k;
  $('#map').style.transform = `translate(${v.x - c.x * s}px,${v.y - c.y * s}px) scale(${s})`;
  clearTimeout(S.commitTimer);
  S.commitTimer = setTimeout(() => { S.commitNow = true; queueView(); }, 160);
}
function queueView() {
  if (!S.viewQueued) { S.viewQueued = true; requestAnimationFrame(applyView); }
}
function commitView() {
  S.commitNow = true;
  applyView();
}

function fitMap() {
  const map = $('#map');
  const w = map.clientWidth || 800, h = map.clientHeight || 600;
  const xs = Object.values(S.layout || {});
  if (!xs.length) return;
  const f = S.big ? 1.6 : 1, pad = 90 * f;
  const minX = Math.min(...xs.map(p => p.x)) - pad, maxX = Math.max(...xs.map(p => p.x)) + pad;
  const minY = Math.min(...xs.map(p => p.y)) - pad, maxY = Math.max(...xs.map(p => p.y)) + pad;
  /* the open legend covers the bottom-left corner: fit the lab beside it
   * or above it, whichever leaves it larger */
  const lb = $('#legend-box'), lr = lb && lb.open ? lb.getBoundingClientRect() : null;
  const lw = lr ? Math.min(lr.width + 12, w / 2) : 0, lh = lr ? Math.min(lr.height + 12, h / 2) : 0;
  const scale = (bw, bh) => Math.min(bw / (maxX - minX), bh / (maxY - minY), 2.5);
  const beside = scale(w - lw, h) >= scale(w, h - lh);
  const x0 = beside ? lw : 0, bw = beside ? w - lw : w, bh = beside ? h : h - lh;
  const k = scale(bw, bh);
  S.view = { k: k, x: x0 + bw / 2 - k * (minX + maxX) / 2, y: bh / 2 - k * (minY + maxY) / 2 };
  commitView();
}

function zoomAt(px, py, factor) {
  const v = S.view;
  S.userMoved = true;
  const k = Math.max(0.05, Math.min(10, v.k * factor));
  v.x = px - (px - v.x) * k / v.k;
  v.y = py - (py - v.y) * k / v.k;
  v.k = k;
  queueView();
}

function setupZoomPan() {
  const map = $('#map');
  map.addEventListener('wheel', ev => {
    ev.preventDefault();
    const r = $('#map-wrap').getBoundingClientRect();   /* the map itself may be moved by a CSS transform */
    zoomAt(ev.clientX - r.left, ev.clientY - r.top, Math.exp(-ev.deltaY * 0.0015));
  }, { passive: false });
  let drag = null;
  map.addEventListener('pointerdown', ev => {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, vx: S.view.x, vy: S.view.y, id: ev.pointerId };
    S.dragged = false;
  });
  map.addEventListener('pointermove', ev => {
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!S.dragged && Math.abs(dx) + Math.abs(dy) > 4) {
      S.dragged = true;
      map.setPointerCapture(drag.id);
      map.classList.add('panning');
    }
    if (S.dragged) {
      S.userMoved = true;
      S.view.x = drag.vx + dx;
      S.view.y = drag.vy + dy;
      queueView();
    }
  });
  const end = () => {
    drag = null;
    map.classList.remove('panning');
    setTimeout(() => { S.dragged = false; }, 0);
  };
  map.addEventListener('pointerup', end);
  map.addEventListener('pointercancel', end);
  const centre = () => [map.clientWidth / 2, map.clientHeight / 2];
  $('#zoom-in').addEventListener('click', () => zoomAt(...centre(), 1.3));
  $('#zoom-out').addEventListener('click', () => zoomAt(...centre(), 1 / 1.3));
  $('#zoom-fit').addEventListener('click', () => { S.userMoved = false; fitMap(); });
  $('#legend-box').addEventListener('toggle', refitUnlessMoved);
}

/* ------------------------------------------------------------ AS detail: routers */

/* the side panel takes room from the map: fit the map again unless the
 * user has zoomed or panned it */
function refitUnlessMoved() {
  if (!S.userMoved) setTimeout(fitMap, 0);
}

function openPod(name) {
  const was = S.detailPod;
  S.detailPod = name;
  S.detailNode = null;
  renderDetail();
  applyLiveToMap();
  if (!was) refitUnlessMoved();
}

function renderDetail() {
  const d = $('#detail');
  const p = S.pod[S.detailPod];
  d.textContent = '';
  if (!p) { d.hidden = true; return; }
  d.hidden = false;
  d.appendChild(el('div', { class: 'detail-head' },
    el('h2', null, `${p.name} — AS${p.asn}`, el('small', null, ` ${p.blueprint}, ${p.tier}`)),
    el('button', { type: 'button', class: 'close', title: 'close', onclick: () => { S.detailPod = null; renderDetail(); applyLiveToMap(); refitUnlessMoved(); } }, '×')));
  d.appendChild(routerView(p));
  if (S.detailNode) d.appendChild(nodePanel(S.detailNode));
  d.appendChild(el('h3', null, 'Nodes'));
  d.appendChild(table(['Node', 'Role', 'State', 'Addresses'], p.nodes.map(n => {
    const x = S.node[n] || { role: '?', addrs: [] };
    const st = S.live.nodes[n] || x.state;
    return el('tr', { 'data-node': n },
      el('td', null, el('a', { href: '#', onclick: ev => { ev.preventDefault(); selectNode(n); } }, n)),
      el('td', null, x.role), el('td', { class: 'node-state', 'data-state': st }, st), el('td', { class: 'addrs' }, x.addrs.join(' ')));
  })));
  const links = S.lab.links.filter(l => l.ends.some(e => S.node[e.node] && S.node[e.node].pod === p.name));
  d.appendChild(el('h3', null, 'Links'));
  d.appendChild(table(['Link', 'Ends', 'State'], links.map(l => {
    const st = S.live.links[l.name] || l.state;
    return el('tr', { 'data-link': l.name },
      el('td', null, l.name, l.impairment ? el('span', { class: 'tag' }, 'shaped') : null),
      el('td', null, l.ends.map(e => el('div', null, `${e.node}:${e.iface} `, el('span', { class: 'addrs' }, (e.addrs || []).join(' '))))),
      el('td', { class: 'link-state', 'data-state': st }, st));
  })));
}

/* the pod's nodes as a small graph: routers on top, the rest below */
function routerView(p) {
  const routers = p.nodes.filter(isRouter);
  const others = p.nodes.filter(n => !routers.includes(n));
  const W = 190, H = 80, width = Math.max(routers.length, others.length, 2) * W;
  const pos = {};
  [routers, others].forEach((row, ri) => row.forEach((n, i) => {
    pos[n] = { x: width / 2 + (i - (row.length - 1) / 2) * W, y: 40 + ri * H * 1.4 };
  }));
  const g = svg('svg', { class: 'routers', viewBox: `0 0 ${width} ${others.length ? 80 + H * 1.4 : 80}`, width: '100%' });
  S.lab.links.forEach(l => {
    const inside = l.ends.filter(e => pos[e.node]);
    const st = S.live.links[l.name] || l.state;
    for (let i = 0; i + 1 < inside.length; i++) {
      const a = pos[inside[i].node], b = pos[inside[i + 1].node];
      g.appendChild(svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'rlink st-' + (st === 'up' ? 'up' : 'down'),
        'data-link': l.name }, svg('title', null, `${l.name}: ${st}`)));
    }
  });
  S.lab.sessions.filter(s => pos[s.a] && pos[s.b] && s.a !== s.b).forEach(s => {
    const a = pos[s.a], b = pos[s.b], st = edgeState([s.name]);
    g.appendChild(svg('path', { d: `M${a.x},${a.y} Q${(a.x + b.x) / 2},${Math.min(a.y, b.y) - 30} ${b.x},${b.y}`,
      class: 'rsession st-' + st, 'data-session': s.name, fill: 'none' },
      svg('title', null, `${s.name} (${s.kind} ${s.family}): ${S.live.sessions[s.name]}`)));
  });
  p.nodes.forEach(n => {
    const c = pos[n], x = S.node[n] || {};
    const st = S.live.nodes[n] || x.state;
    const ext = S.lab.sessions.filter(s => (s.a === n) !== (s.b === n) && !(pos[s.a] && pos[s.b]));
    const extUp = ext.filter(s => isUp(S.live.sessions[s.name])).length;
    const node = svg('g', { class: 'rnode role-' + x.role + (isRouter(n) ? ' router' : '') + (n === S.detailNode ? ' selected' : ''), 'data-node': n,
      'data-state': st, transform: `translate(${c.x},${c.y})`, tabindex: 0, role: 'button' },
      svg('rect', { x: -(W / 2 - 6), y: -22, width: W - 12, height: 44, rx: isRouter(n) ? 4 : 16 }),
      svg('text', { y: -4 }, n.startsWith(p.name + '-') ? n.slice(p.name.length + 1) : n),
      svg('text', { y: 13, class: 'sub' }, `${x.role} · ${st}` + (ext.length ? ` · eBGP ${extUp}/${ext.length}` : '')),
      svg('title', null, `${n}: ${x.role}, ${st}\n${(x.addrs || []).join('\n')}`));
    node.addEventListener('click', () => selectNode(n));
    g.appendChild(node);
  });
  return g;
}

function selectNode(n) {
  S.detailNode = n;
  renderDetail();
}

/* a node's panel: its sessions (lg without a query) and its tools */
function nodePanel(n) {
  const x = S.node[n];
  const box = el('div', { class: 'node-panel', 'data-node': n },
    el('h3', null, n),
    el('div', { class: 'buttons' },
      may('term', n) ? el('button', { type: 'button', class: 'open-term', onclick: () => { showTab('terms'); openTerm(n); } }, 'Open terminal') : null,
      isRouter(n) ? el('button', { type: 'button', class: 'open-lg', onclick: () => { showTab('lg'); $('#lg-node').value = n; $('#lg-q').focus(); } }, 'Looking glass') : null,
      may('capture', n) ? el('button', { type: 'button', class: 'open-capture', onclick: () => { showTab('captures'); $('#cap-node').value = n; fillIfaces(); } }, 'Capture') : null));
  if (isRouter(n)) {
    const out = el('div', { class: 'lg-inline' }, 'loading sessions…');
    box.appendChild(out);
    api('GET', 'lg/' + encodeURIComponent(n)).then(j => {
      out.textContent = '';
      out.appendChild(sessionsTable(j, true));
    }, e => { out.textContent = errText(e); out.classList.add('error'); });
  }
  return box;
}

/* ------------------------------------------------------------ live events */

function connectEvents() {
  if (!S.me) return;
  const ws = new WebSocket(wsURL('/api/v1/events'));
  S.events = ws;
  ws.onopen = () => { S.eventsBackoff = 1000; setLive('on'); };
  ws.onmessage = ev => {
    let m;
    try { m = JSON.parse(ev.data); } catch (e) { return; }
    if (m.type === 'state') onState(m);
  };
  ws.onclose = () => {
    if (S.events !== ws) return;
    S.events = null;
    setLive('off');
    const wait = S.eventsBackoff;
    S.eventsBackoff = Math.min(S.eventsBackoff * 2, 15000);
    /* a 401 here means the session ended: api() then shows the login */
    setTimeout(() => api('GET', 'me').then(() => connectEvents(), () => { if (S.me) connectEvents(); }), wait);
  };
}

function setLive(st) {
  const l = $('#live');
  l.setAttribute('data-live', st);
  l.textContent = st === 'on' ? '● live' : '○ reconnecting…';
}

function onState(m) {
  const L = S.live;
  Object.assign(L.nodes, m.nodes || {});
  Object.assign(L.links, m.links || {});
  Object.assign(L.sessions, m.sessions || {});
  L.incidents = m.incidents || [];
  applyLiveToMap();
  if (S.detailPod && !$('#detail').hidden) refreshDetailStates();
  showIncidents();
}

/* update states in the detail panel in place (re-rendering would drop the lg) */
function refreshDetailStates() {
  $$('#detail tr[data-node]').forEach(tr => {
    const st = S.live.nodes[tr.getAttribute('data-node')];
    const td = $('.node-state', tr);
    td.textContent = st; td.setAttribute('data-state', st);
  });
  $$('#detail tr[data-link]').forEach(tr => {
    const st = S.live.links[tr.getAttribute('data-link')];
    const td = $('.link-state', tr);
    td.textContent = st; td.setAttribute('data-state', st);
  });
  const old = $('#detail svg.routers');
  if (old) old.replaceWith(routerView(S.pod[S.detailPod]));
}

function showIncidents() {
  const box = $('#incidents');
  const inc = S.live.incidents || [];
  box.textContent = '';
  box.hidden = !inc.length;
  if (!inc.length) return;
  box.appendChild(el('strong', null, `${inc.length} incident${inc.length > 1 ? 's' : ''} active: `));
  inc.forEach(i => {
    const rest = Object.entries(i).filter(([k]) => k !== 'id' && k !== 'kind')
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ');
    box.appendChild(el('span', { class: 'incident', 'data-incident': i.id }, `#${i.id} ${i.kind} ${rest}`));
  });
}

/* ------------------------------------------------------------ tabs */

const TABS = ['map', 'matrix', 'lg', 'paths', 'terms', 'captures', 'mypods'];
function showTab(name) {
  if (!TABS.includes(name) || (name === 'mypods' && (!S.me || S.me.role !== 'team'))) name = 'map';
  TABS.forEach(t => { $('#tab-' + t).hidden = t !== name; });
  $$('#tabs button').forEach(b => b.setAttribute('aria-selected', b.getAttribute('data-tab') === name));
  if (location.hash !== '#' + name) history.replaceState(null, '', '#' + name);
  if (name === 'map' && S.lab && !S.mapFitted) { S.mapFitted = true; fitMap(); }
  if (name === 'matrix' && !S.verify && !S.verifyBusy) refreshMatrix();
  if (name === 'terms' && S.activeTerm) setTimeout(() => fitTerm(S.activeTerm), 0);
  if (name === 'mypods') renderMyPods();
}

/* ------------------------------------------------------------ my pods (teams) */

/* One box per pod of the team: check results, save and reset. The server
 * enforces who may do what (docs/web.md); this only shows the team's own. */
function renderMyPods() {
  const list = $('#mypods-list');
  list.textContent = '';
  (S.me.pods || []).forEach(pod => {
    const status = el('span', { class: 'status' });
    const say = (text, isError) => { status.textContent = text; status.classList.toggle('error', !!isError); };
    const results = el('div', { class: 'mypod-results' });
    const act = (method, what, label) => el('button', { type: 'button', class: 'mypod-' + what, onclick: async () => {
      if (what === 'reset' && !confirm('Reset ' + pod + ' to its skeleton config? Save first to keep your work.')) return;
      say(label + '…');
      try {
        const r = await api(method, what + '/' + encodeURIComponent(pod));
        if (what === 'check') { showCheck(results, r); say(r.pass ? 'all checks pass' : r.failed + ' checks fail'); }
        else say(what === 'save' ? 'saved as ' + r.stamp : 'reset (' + r.nodes + ' routers)');
      } catch (e) { say(errText(e), true); }
    } }, label);
    list.appendChild(el('section', { class: 'mypod', 'data-pod': pod }, el('h2', null, pod),
      el('div', { class: 'toolbar' }, act('GET', 'check', 'Check'), act('POST', 'save', 'Save'), act('POST', 'reset', 'Reset'), status),
      results));
  });
}

function showCheck(box, r) {
  box.textContent = '';
  (r.pods || []).forEach(p => box.appendChild(table(['', 'Check', 'What', 'Found', 'Hint'], p.items.map(i =>
    el('tr', { class: i.pass ? 'pass' : 'fail' }, el('td', null, i.pass ? '✔' : '✘'), el('td', null, i.check),
      el('td', null, i.what), el('td', null, i.detail), el('td', null, i.hint))))));
}

/* ------------------------------------------------------------ matrix */

async function refreshMatrix() {
  if (S.verifyBusy) return;
  S.verifyBusy = true;
  const m = $('#matrix');
  m.setAttribute('data-state', 'loading');
  $('#matrix-refresh').disabled = true;
  setStatus('#matrix-status', 'running verify… (this takes a few seconds)');
  const t0 = Date.now();
  try {
    const v = await api('GET', 'verify');
    S.verify = v;
    S.verifyGen++;
    renderMatrix(v);
    m.setAttribute('data-gen', S.verifyGen);
    m.setAttribute('data-state', 'done');
    setStatus('#matrix-status', `${v.passed ? 'everything checked works' : 'FAILURES: click a ✕ cell'} — ` +
      `checked ${new Date().toLocaleTimeString()} in ${((Date.now() - t0) / 1000).toFixed(1)} s`, !v.passed);
  } catch (e) {
    m.setAttribute('data-state', 'error');
    setStatus('#matrix-status', 'verify failed: ' + errText(e), true);
  } finally {
    S.verifyBusy = false;
    $('#matrix-refresh').disabled = false;
  }
}

function setAutoRefresh() {
  clearInterval(S.verifyTimer);
  const s = +$('#matrix-interval').value;
  /* refreshes also while another tab shows: the map's trainer sees the result on return */
  if (s > 0) S.verifyTimer = setInterval(refreshMatrix, s * 1000);
}

function orderedPods() {
  return S.lab.pods.map(p => p.name).sort((a, b) =>
    ((TIER_ROW[S.pod[a].tier] || 0) - (TIER_ROW[S.pod[b].tier] || 0)) || natural(a, b));
}

function cell(ok, attrs, label) {
  return el('td', Object.assign({ class: 'cell', 'data-ok': ok ? 'true' : 'false', tabindex: ok ? null : 0,
    title: label }, attrs), ok ? '✓' : '✕');
}

function renderMatrix(v) {
  const m = $('#matrix');
  m.textContent = '';
  $('#explain').hidden = true;
  m.appendChild(el('p', { class: 'verdict', 'data-passed': v.passed }, `lab ${v.lab}: `,
    v.passed ? 'everything checked works' : 'FAILED — click a ✕ cell to see why'));
  if (v.reach) for (const fam of ['ipv4', 'ipv6']) if (v.reach[fam]) m.appendChild(reachGrid(fam, v.reach[fam]));
  if (v.dns) m.appendChild(checksGrid('DNS', v.dns, 'dig NAME TYPE (and look at /var/log/pocketinternet/unbound.log)'));
  if (v.http) m.appendChild(checksGrid('HTTP', v.http, 'curl -v URL'));
  if (v.policy) m.appendChild(policyGrid(v.policy));
}

/* reachability pod by pod: a row's nodes ping, a column's nodes answer */
function reachGrid(fam, r) {
  const byPod = $('#matrix-bypod').checked;
  const six = fam === 'ipv6', name = six ? 'IPv6' : 'IPv4';
  const unit = n => (byPod ? (S.node[n] ? S.node[n].pod : '?') : n);
  const fails = {};
  r.failures.forEach(f => {
    const k = unit(f.from) + '\t' + unit(f.to);
    (fails[k] = fails[k] || []).push(f);
  });
  const excluded = new Set((r.excluded || []).map(x => x.node));
  /* as verify picks them: sources are the nodes with an address of the
   * family outside IXPs; targets the nodes it did not exclude */
  const hasAddr = n => S.node[n] && S.node[n].addrs.some(a => isV6(a) === six);
  const source = n => hasAddr(n) && S.pod[S.node[n].pod].tier !== 'ixp';
  const target = n => hasAddr(n) && !excluded.has(n);
  const pods = orderedPods();
  const nodesOf = test => pods.flatMap(p => S.pod[p].nodes.filter(test).sort(natural));
  const rowsU = byPod ? pods : nodesOf(source), colsU = byPod ? pods : nodesOf(target);
  const noSource = byPod ? (p => !S.pod[p].nodes.some(source)) : (() => false);
  const noTarget = byPod ? (p => !S.pod[p].nodes.some(target)) : (() => false);
  const head = el('tr', null, el('th', { class: 'corner' }, 'ping ↓ answer →'),
    colsU.map(p => el('th', { class: 'col', title: p }, el('span', null, p))));
  const rows = rowsU.map(a => el('tr', null, el('th', { class: 'row' }, a), colsU.map(b => {
    const f = fails[a + '\t' + b] || [];
    if (!byPod && a === b) return el('td', { class: 'cell none', title: a }, '·');
    if (!f.length && noSource(a)) return el('td', { class: 'cell none', title: `${a}: no ${name} source` }, '·');
    if (!f.length && noTarget(b)) return el('td', { class: 'cell none', title: `${b}: no ${name} target` }, '·');
    return cell(!f.length, { 'data-kind': 'reach', 'data-family': fam, 'data-level': byPod ? 'pod' : 'node', 'data-from': a, 'data-to': b },
      f.length ? `${f.length} pairs from ${a} to ${b} fail` : `${a} → ${b}: no failure`);
  })));
  return el('section', { class: 'grid reach', 'data-family': fam },
    el('h3', null, `Reachability ${name}`, el('small', null, byPod ? ' — pods by pods' : ' — nodes by nodes')),
    el('p', { class: 'summary' }, `${r.pairs - r.failed} of ${r.pairs} pairs answer (${r.sources} sources, ${r.targets} targets, ${(+r.seconds).toFixed(1)} s)` +
      (r.not_joined ? `; ${r.not_joined} pairs not tested (no ${name} session joins their pods)` : '')),
    el('div', { class: 'scroll' }, el('table', { class: 'matrix' + (colsU.length > 24 ? ' dense' : '') }, el('thead', null, head), el('tbody', null, rows))));
}

/* DNS and HTTP: one cell per pod, failing when a node of the pod failed a check */
function checksGrid(what, c, look) {
  const by = {};
  c.failures.forEach(f => {
    const p = S.node[f.node] ? S.node[f.node].pod : '?';
    (by[p] = by[p] || []).push(f);
  });
  const pods = orderedPods();
  return el('section', { class: 'grid checks', 'data-part': what.toLowerCase() },
    el('h3', null, what),
    el('p', { class: 'summary' }, `${c.checks - c.failed} of ${c.checks} checks pass`),
    el('table', { class: 'matrix strip' }, el('tbody', null,
      el('tr', null, pods.map(p => el('th', { class: 'col', title: p }, el('span', null, p)))),
      el('tr', null, pods.map(p => cell(!by[p], { 'data-kind': what.toLowerCase(), 'data-pod': p, 'data-look': look },
        by[p] ? `${by[p].length} ${what} checks from ${p} fail` : `${p}: ${what} works`))))));
}

function policyGrid(pol) {
  const down = new Set(pol.sessions_down || []);
  const viol = {};
  (pol.not_valley_free || []).forEach(x => {
    const p = S.node[x.node] ? S.node[x.node].pod : '?';
    (viol[p] = viol[p] || []).push(x);
  });
  const pods = orderedPods();
  const sess = S.lab.sessions.slice().sort((a, b) => natural(a.name, b.name));
  return el('section', { class: 'grid policy', 'data-part': 'policy' },
    el('h3', null, 'Policy'),
    el('p', { class: 'summary' }, pol.note ? pol.note + '; ' : `${pol.routes_checked} routes checked, ${(pol.not_valley_free || []).length} not valley-free; `,
      `${pol.established}/${pol.sessions} sessions Established`),
    el('h4', null, 'Valley-free routes, per pod'),
    el('table', { class: 'matrix strip' }, el('tbody', null,
      el('tr', null, pods.map(p => el('th', { class: 'col', title: p }, el('span', null, p)))),
      el('tr', null, pods.map(p => cell(!viol[p], { 'data-kind': 'valley', 'data-pod': p },
        viol[p] ? `${viol[p].length} routes in ${p} are not valley-free` : `${p}: every route valley-free`))))),
    el('h4', null, 'BGP sessions'),
    el('div', { class: 'sessions-grid' }, sess.map(s => el('span', { class: 'sess' },
      cell(!down.has(s.name), { 'data-kind': 'session', 'data-session': s.name },
        `${s.name}: ${s.a} – ${s.b} (${s.kind} ${s.family})${down.has(s.name) ? ' DOWN' : ''}`)))));
}

function onCellClick(ev) {
  const c = ev.target.closest('.cell[data-ok="false"]');
  if (!c) return;
  $$('#matrix .cell.chosen').forEach(x => x.classList.remove('chosen'));
  c.classList.add('chosen');
  const box = $('#explain');
  box.textContent = '';
  box.hidden = false;
  box.appendChild(el('button', { type: 'button', class: 'close', onclick: () => { box.hidden = true; } }, '×'));
  const kind = c.getAttribute('data-kind');
  const v = S.verify;
  if (kind === 'reach') explainReach(box, v.reach[c.getAttribute('data-family')], c.getAttribute('data-family'),
    c.getAttribute('data-from'), c.getAttribute('data-to'), c.getAttribute('data-level') === 'node');
  else if (kind === 'dns' || kind === 'http') explainChecks(box, v[kind], kind.toUpperCase(), c.getAttribute('data-pod'), c.getAttribute('data-look'));
  else if (kind === 'valley') explainValley(box, v.policy, c.getAttribute('data-pod'));
  else if (kind === 'session') explainSession(box, c.getAttribute('data-session'));
}

function addrOf(node, fam) {
  const n = S.node[node];
  const a = n && n.addrs.find(x => isV6(x) === (fam === 'ipv6'));
  return a ? bare(a) : node;
}

function explainReach(box, r, fam, a, b, byNode) {
  const fs = r.failures.filter(f => byNode ? f.from === a && f.to === b :
    S.node[f.from] && S.node[f.to] && S.node[f.from].pod === a && S.node[f.to].pod === b);
  const name = fam === 'ipv6' ? 'IPv6' : 'IPv4';
  box.appendChild(el('h3', null, `${name}: ${a} → ${b}`));
  /* the same grouping as `verify`'s text: a target nobody reaches, a source that reaches nothing */
  const bySrc = {}, byDst = {};
  r.failures.forEach(f => { bySrc[f.from] = (bySrc[f.from] || 0) + 1; byDst[f.to] = (byDst[f.to] || 0) + 1; });
  const notes = new Set();
  fs.forEach(f => {
    if (2 * byDst[f.to] >= r.sources) notes.add(`${f.to} does not answer ${byDst[f.to]} of ${r.sources} sources: its link or node may be down`);
    if (2 * bySrc[f.from] >= r.targets) notes.add(`${f.from} gets no answer from ${bySrc[f.from]} of ${r.targets} targets: it may be cut off (or stopped)`);
  });
  if (notes.size) box.appendChild(el('ul', { class: 'notes' }, [...notes].map(n => el('li', null, n))));
  box.appendChild(el('ul', { class: 'fails' }, fs.slice(0, 50).map(f => el('li', null,
    `${f.from} gets no answer from ${f.to} (${addrOf(f.to, fam)})`,
    el('code', null, `pocketinternet exec ${f.from} -- traceroute -n ${addrOf(f.to, fam)}`)))));
  if (fs.length > 50) box.appendChild(el('p', null, `… and ${fs.length - 50} more pairs`));
  const first = fs[0];
  if (first) box.appendChild(el('button', { type: 'button', onclick: () => {
    showTab('paths'); $('#paths-from').value = first.from; $('#paths-to').value = first.to; runPaths();
  } }, `Paths from ${first.from} to ${first.to}`));
}

function explainChecks(box, c, what, pod, look) {
  const fs = c.failures.filter(f => S.node[f.node] && S.node[f.node].pod === pod);
  box.appendChild(el('h3', null, `${what} from ${pod}`));
  box.appendChild(el('ul', { class: 'fails' }, fs.map(f => el('li', null, `${f.node} asked ${f.asked}: ${f.got}`,
    el('code', null, `pocketinternet exec ${f.node} -- ${look}`)))));
}

function explainValley(box, pol, pod) {
  const fs = (pol.not_valley_free || []).filter(x => S.node[x.node] && S.node[x.node].pod === pod);
  box.appendChild(el('h3', null, `Routes in ${pod} that are not valley-free`));
  box.appendChild(el('ul', { class: 'fails' }, fs.map(x => el('li', null,
    `${x.node} holds ${x.prefix}${x.best ? ' (best)' : ''} with AS path ${x.as_path.join(' ')}: ${x.why}`,
    el('code', null, `pocketinternet incident list; pocketinternet exec ${x.node} -- birdc show route for ${x.prefix} all`)))));
}

function explainSession(box, name) {
  const s = S.lab.sessions.find(x => x.name === name) || { a: '?', b: '?' };
  box.appendChild(el('h3', null, `Session ${name} is not Established`));
  box.appendChild(el('p', null, `${s.a} (${s.a_pod}) – ${s.b} (${s.b_pod}), ${s.kind} ${s.family}; now: ${S.live.sessions[name] || '?'}`));
  box.appendChild(el('code', null, `pocketinternet status; pocketinternet link list ${s.a}`));
  box.appendChild(el('button', { type: 'button', onclick: () => { showTab('lg'); $('#lg-node').value = s.a; $('#lg-q').value = ''; runLg(); } },
    `Sessions of ${s.a}`));
}

/* ------------------------------------------------------------ looking glass */

async function runLg(ev) {
  if (ev) ev.preventDefault();
  const node = $('#lg-node').value, q = $('#lg-q').value.trim();
  const out = $('#lg-out');
  out.setAttribute('data-state', 'loading');
  setStatus('#lg-status', 'asking ' + node + '…');
  try {
    const j = await api('GET', 'lg/' + encodeURIComponent(node) + (q ? '?q=' + encodeURIComponent(q) : ''));
    out.textContent = '';
    out.appendChild(q ? routesTable(j) : sessionsTable(j));
    out.setAttribute('data-state', 'done');
    setStatus('#lg-status', q ? `${j.routes.length} routes for ${q} on ${node} (${j.pod}, AS${j.asn})` :
      `${j.established} of ${j.sessions.length} sessions Established on ${node}`);
  } catch (e) {
    out.textContent = '';
    out.setAttribute('data-state', 'error');
    setStatus('#lg-status', errText(e), true);
  }
}

function asPath(r) {
  if (!r.as_path) return '';
  return r.as_path.map((a, i) => (r.as_path_pods && r.as_path_pods[i] ? `${a} (${r.as_path_pods[i]})` : String(a))).join(' ') +
    (r.as_path_truncated ? ' …' : '');
}

function routesTable(j) {
  if (!j.routes.length) return el('p', { class: 'empty' }, `${j.node} has no route for ${j.query}.`);
  return table(['', 'Network', 'From', 'Next hop', 'AS path', 'Local pref', 'MED', 'Origin', 'Learned from', 'Why'],
    j.routes.map(r => el('tr', { class: 'lg-route' + (r.best ? ' best' : ''), 'data-best': r.best },
      el('td', null, r.best ? '★ best' : ''),
      el('td', null, r.network),
      el('td', null, r.neighbor || r.protocol, r.session ? el('div', { class: 'sub' }, r.session) : null),
      el('td', null, (r.next_hop || '') + (r.iface ? ' via ' + r.iface : '')),
      el('td', null, asPath(r)),
      el('td', null, r.bgp ? r.local_pref : ''),
      el('td', null, r.med === null || r.med === undefined ? '' : r.med),
      el('td', null, r.origin || ''),
      el('td', null, r.learned_from, r.origin_pod ? el('div', { class: 'sub' }, 'origin ' + r.origin_pod) : null),
      el('td', null, r.why, (r.large_communities || []).map(c =>
        el('div', { class: 'sub' }, `(${c.community.join(':')})${c.meaning ? ' ' + c.meaning : ''}`))))),
    { class: 'data routes' });
}

/* a router's sessions; compact (in the map's side panel) leaves out the names and ASNs */
function sessionsTable(j, compact) {
  const head = compact ? ['Neighbor', 'Relationship', 'State', 'Routes'] :
    ['Session', 'Neighbor', 'AS', 'Relationship', 'State', 'Routes imp/exp/pref'];
  return table(head, j.sessions.map(s => el('tr', { class: 'lg-session', 'data-established': s.established },
    compact ? null : el('td', null, s.name),
    el('td', null, s.neighbor || s.neighbor_address || '', s.neighbor_pod ? el('div', { class: 'sub' }, s.neighbor_pod) : null),
    compact ? null : el('td', null, s.neighbor_asn == null ? '' : s.neighbor_asn),
    el('td', null, s.relationship || (s.planned ? '' : 'not planned')),
    el('td', { class: 'sess-state', 'data-state': s.established ? 'up' : 'down' }, (s.established ? '● ' : '✕ ') + (s.info || s.state)),
    el('td', null, s.imported === undefined ? '' : `${s.imported}/${s.exported}/${s.preferred}`))),
    { class: 'data sessions' });
}

/* ------------------------------------------------------------ paths */

async function runPaths(ev) {
  if (ev) ev.preventDefault();
  const a = $('#paths-from').value, b = $('#paths-to').value;
  const out = $('#paths-out');
  out.setAttribute('data-state', 'loading');
  setStatus('#paths-status', `tracing ${a} → ${b}…`);
  try {
    const j = await api('GET', `paths?from=${encodeURIComponent(a)}&to=${encodeURIComponent(b)}`);
    out.textContent = '';
    renderPaths(out, j);
    out.setAttribute('data-state', 'done');
    setStatus('#paths-status', '');
  } catch (e) {
    out.textContent = '';
    out.setAttribute('data-state', 'error');
    setStatus('#paths-status', errText(e), true);
  }
}

function renderPaths(out, j) {
  out.appendChild(el('h3', null, `${j.src} (${j.src_pod}) → ${j.dst} (${j.dst_pod})`));
  for (const fam of ['ipv4', 'ipv6']) {
    const f = j[fam];
    if (!f) continue;
    const bgp = f.bgp, tr = f.traceroute;
    out.appendChild(el('section', { class: 'family', 'data-family': fam },
      el('h4', null, `${fam === 'ipv6' ? 'IPv6' : 'IPv4'} to ${f.address || '(no address)'}`),
      el('p', null, bgp.found ? `BGP at ${bgp.border}: AS path ${bgp.as_path.join(' ')} (${bgp.pods.join(' → ')}), local pref ${bgp.local_pref}` :
        `BGP: no route at ${bgp.border || 'the border'}`),
      bgp.differs_from_shortest ? el('p', { class: 'note' }, 'Not the shortest allowed path: ' + bgp.differs_from_shortest) : null,
      el('p', null, `traceroute ${tr.reached ? 'reached the target' : 'did NOT reach the target'}` +
        `; pods ${tr.pods.join(' → ')}; ${tr.matches_bgp ? 'matches BGP' : 'differs from BGP'}`),
      table(['TTL', 'Address', 'Node', 'Pod', 'Reply', 'RTT (ms)'], tr.hops.map(h => el('tr', { class: 'hop' },
        el('td', null, h.ttl), el('td', null, h.address || '*'), el('td', null, h.node || ''), el('td', null, h.pod || ''),
        el('td', null, h.reply), el('td', null, h.rtt_ms.map(x => x === null ? '*' : (+x).toFixed(1)).join(' ')))))));
  }
  const ap = j.as_paths;
  out.appendChild(el('h4', null, `AS paths in the plan (${ap.allowed} of ${ap.total} allowed${ap.capped ? ', list capped' : ''})`));
  out.appendChild(table(['', 'Pods', 'ASNs', 'Valley-free'], ap.paths.map(p => el('tr', { class: 'as-path', 'data-allowed': p.allowed },
    el('td', null, p.shortest_allowed ? '★ shortest allowed' : ''), el('td', null, p.pods.join(' → ')),
    el('td', null, p.asns.join(' ')), el('td', null, p.allowed ? '✓ yes' : '✕ no')))));
  const rp = j.router_paths;
  out.appendChild(el('h4', null, `Router paths (${rp.total}${rp.capped ? ', list capped' : ''})`));
  out.appendChild(el('ol', { class: 'router-paths' }, rp.paths.map(p => el('li', null,
    `${p.hops} hops: `, p.nodes.map(h => `${h.in ? h.in + ' ' : ''}${h.node}${h.out ? ' ' + h.out : ''}`).join(' → ')))));
}

/* ------------------------------------------------------------ terminals */

const haveXterm = () => typeof window.Terminal === 'function' && typeof window.Terminal.prototype.open === 'function';

function openTerm(node) {
  const id = ++S.termSeq;
  const t = { id: id, node: node, ws: null, term: null, closed: false };
  t.tab = el('div', { class: 'term-tab', role: 'tab', 'data-term': id, 'data-node': node },
    el('button', { type: 'button', class: 'term-pick', onclick: () => activateTerm(t) }, node),
    el('button', { type: 'button', class: 'term-close', title: 'close', onclick: () => closeTerm(t) }, '×'));
  t.pane = el('div', { class: 'term-pane', 'data-term': id, 'data-node': node, 'data-state': 'connecting' });
  $('#term-tabs').appendChild(t.tab);
  $('#term-panes').appendChild(t.pane);
  S.terms.push(t);
  activateTerm(t);
  const ws = t.ws = new WebSocket(wsURL('/api/v1/term/' + encodeURIComponent(node)));
  ws.binaryType = 'arraybuffer';
  const enc = new TextEncoder(), dec = new TextDecoder('utf-8');
  t.send = s => { if (ws.readyState === WebSocket.OPEN) ws.send(enc.encode(s)); };
  if (haveXterm()) startXterm(t); else startPlain(t);
  ws.onopen = () => { t.pane.setAttribute('data-state', 'open'); fitTerm(t); sendResize(t); };
  ws.onmessage = ev => t.write(typeof ev.data === 'string' ? ev.data : dec.decode(new Uint8Array(ev.data), { stream: true }));
  ws.onclose = ev => {
    t.pane.setAttribute('data-state', 'closed');
    t.tab.classList.add('closed');
    if (!t.closed) t.write(`\r\n[connection closed${ev.code === 1006 ? ': refused or dropped' : ''}]\r\n`);
  };
  return t;
}

function startXterm(t) {
  const term = t.term = new window.Terminal({ rendererType: 'dom', fontSize: S.big ? 22 : 15, scrollback: 5000,
    cursorBlink: true, fontFamily: 'DejaVu Sans Mono, Liberation Mono, monospace' });
  term.open(t.pane);
  term.on('data', d => t.send(d));
  term.on('resize', () => sendResize(t));
  t.write = s => term.write(s);
  /* the DOM renderer draws spaces as no-break spaces */
  t.text = () => {
    const r = $('.xterm-rows', t.pane);
    return r ? Array.from(r.children).map(d => d.textContent.replace(/\u00a0/g, ' ').replace(/ +$/, '')).join('\n').replace(/\n+$/, '') : '';
  };
  t.focus = () => term.focus();
}

/* Without xterm.js: a plain text terminal (no cursor addressing), so a
 * shell still works when /xterm.js could not be loaded. */
function startPlain(t) {
  const pre = el('pre', { class: 'term-plain', tabindex: 0 });
  t.pane.appendChild(el('div', { class: 'note' }, 'xterm.js is not available: a plain text terminal.'));
  t.pane.appendChild(pre);
  let buf = '';
  t.write = s => {
    s = s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\x1b\][^\x07]*\x07/g, '').replace(/\r\n/g, '\n');
    for (const ch of s) {
      if (ch === '\b') buf = buf.slice(0, -1);
      else if (ch === '\r') { const nl = buf.lastIndexOf('\n'); buf = buf.slice(0, nl + 1); }
      else if (ch >= ' ' || ch === '\n' || ch === '\t') buf += ch;
    }
    if (buf.length > 200000) buf = buf.slice(-100000);
    pre.textContent = buf;
    pre.scrollTop = pre.scrollHeight;
  };
  t.text = () => pre.textContent;
  t.focus = () => pre.focus();
  const keys = { Enter: '\r', Backspace: '\x7f', Tab: '\t', Escape: '\x1b', ArrowUp: '\x1b[A', ArrowDown: '\x1b[B',
    ArrowRight: '\x1b[C', ArrowLeft: '\x1b[D' };
  pre.addEventListener('keydown', ev => {
    let s = null;
    if (ev.ctrlKey && ev.key.length === 1) s = String.fromCharCode(ev.key.toUpperCase().charCodeAt(0) & 31);
    else if (keys[ev.key]) s = keys[ev.key];
    else if (ev.key.length === 1 && !ev.metaKey) s = ev.key;
    if (s !== null) { ev.preventDefault(); t.send(s); }
  });
  pre.addEventListener('paste', ev => { ev.preventDefault(); t.send(ev.clipboardData.getData('text')); });
}

function sendResize(t) {
  if (!t.term || !t.ws || t.ws.readyState !== WebSocket.OPEN) return;
  t.ws.send(JSON.stringify({ resize: [t.term.cols, t.term.rows] }));
}

/* the terminal's columns and rows from its pane and the cell size */
function fitTerm(t) {
  if (!t || !t.term || t.pane.hidden || $('#tab-terms').hidden) return;
  const core = t.term._core, dims = core && core.renderer && core.renderer.dimensions;
  if (!dims || !dims.actualCellWidth) return;
  const sb = (core.viewport && core.viewport.scrollBarWidth) || 15;
  const cols = Math.max(20, Math.floor((t.pane.clientWidth - sb - 8) / dims.actualCellWidth));
  const rows = Math.max(5, Math.floor((t.pane.clientHeight - 8) / dims.actualCellHeight));
  if (cols !== t.term.cols || rows !== t.term.rows) t.term.resize(cols, rows);
}

function activateTerm(t) {
  S.activeTerm = t;
  S.terms.forEach(x => {
    x.pane.hidden = x !== t;
    x.pane.classList.toggle('active', x === t);
    x.tab.classList.toggle('active', x === t);
    x.tab.setAttribute('aria-selected', x === t);
  });
  setTimeout(() => { fitTerm(t); t.focus && t.focus(); }, 0);
}

function closeTerm(t) {
  t.closed = true;
  if (t.ws) t.ws.close(1000);
  if (t.term) t.term.dispose();
  t.tab.remove();
  t.pane.remove();
  S.terms = S.terms.filter(x => x !== t);
  if (S.activeTerm === t) {
    S.activeTerm = null;
    if (S.terms.length) activateTerm(S.terms[S.terms.length - 1]);
  }
}

/* ------------------------------------------------------------ captures */

async function startCapture(ev) {
  ev.preventDefault();
  const body = { node: $('#cap-node').value, iface: $('#cap-iface').value || null, filter: $('#cap-filter').value.trim() || null };
  setStatus('#cap-status', 'starting…');
  try {
    const r = await api('POST', 'capture', body);
    setStatus('#cap-status', '');
    const c = S.captures[r.id] = { id: r.id, node: body.node, iface: body.iface, filter: body.filter, running: true, packets: 0, bytes: 0 };
    c.row = el('tr', { 'data-capture': r.id });
    $('#cap-list tbody').prepend(c.row);
    renderCapture(c);
    pollCapture(c);
  } catch (e) {
    setStatus('#cap-status', errText(e), true);
  }
}

/* The row is built once and updated in place: a Stop button replaced every
 * second would slip from under the mouse. */
function renderCapture(c) {
  if (!c.row.firstChild) {
    const href = `/api/v1/capture/${c.id}/pcapng`;
    fill(c.row, null, [
      el('td', null, c.id), el('td', null, c.node), el('td', null, c.iface || 'all'), el('td', null, c.filter || ''),
      el('td', { class: 'cap-state' }), el('td', { class: 'cap-packets' }), el('td', { class: 'cap-bytes' }),
      el('td', null,
        el('button', { type: 'button', class: 'cap-stop', onclick: () => stopCapture(c) }, 'Stop'),
        el('a', { class: 'cap-download', href: href, download: `${c.node}-${c.id}.pcapng` }, 'Download pcapng')),
    ]);
  }
  c.row.setAttribute('data-running', c.running);
  $('.cap-state', c.row).textContent = c.running ? '● capturing' : 'stopped';
  $('.cap-packets', c.row).textContent = c.packets;
  $('.cap-bytes', c.row).textContent = c.bytes;
  $('.cap-stop', c.row).hidden = !c.running;
}

async function pollCapture(c) {
  try {
    Object.assign(c, await api('GET', 'capture/' + c.id));
    renderCapture(c);
  } catch (e) {
    if (e.status === 404) { c.running = false; renderCapture(c); return; }
  }
  if (c.running && S.me) c.timer = setTimeout(() => pollCapture(c), 1000);
}

async function stopCapture(c) {
  try {
    Object.assign(c, await api('POST', `capture/${c.id}/stop`));
    clearTimeout(c.timer);
    renderCapture(c);
  } catch (e) {
    setStatus('#cap-status', errText(e), true);
  }
}

/* ------------------------------------------------------------ start */

function setBig(on) {
  S.big = on;
  document.body.classList.toggle('big', on);
  try { localStorage.setItem('pi-big', on ? '1' : ''); } catch (e) { /* private mode */ }
  if (S.lab) drawMap(true);
  S.terms.forEach(t => { if (t.term) { t.term.setOption('fontSize', on ? 22 : 15); fitTerm(t); } });
}

function init() {
  $('#login-form').addEventListener('submit', onLogin);
  $('#logout').addEventListener('click', onLogout);
  $$('#tabs button').forEach(b => b.addEventListener('click', () => showTab(b.getAttribute('data-tab'))));
  $('#matrix-refresh').addEventListener('click', refreshMatrix);
  $('#matrix-interval').addEventListener('change', setAutoRefresh);
  $('#matrix').addEventListener('click', onCellClick);
  $('#matrix-bypod').addEventListener('change', () => { if (S.verify) renderMatrix(S.verify); });
  $('#matrix').addEventListener('keydown', ev => { if (ev.key === 'Enter') onCellClick(ev); });
  $('#lg-form').addEventListener('submit', runLg);
  $('#paths-form').addEventListener('submit', runPaths);
  $('#term-form').addEventListener('submit', ev => { ev.preventDefault(); openTerm($('#term-node').value); });
  $('#cap-form').addEventListener('submit', startCapture);
  $('#cap-node').addEventListener('change', fillIfaces);
  $('#bigfonts').addEventListener('change', ev => setBig(ev.target.checked));
  window.addEventListener('resize', () => { if (S.activeTerm) fitTerm(S.activeTerm); });
  if (window.ResizeObserver) new ResizeObserver(() => { if (S.activeTerm) fitTerm(S.activeTerm); }).observe($('#term-panes'));
  window.addEventListener('beforeunload', () => S.terms.forEach(t => t.ws && t.ws.close(1000)));
  setupZoomPan();
  let big = false;
  try { big = !!localStorage.getItem('pi-big'); } catch (e) { /* private mode */ }
  $('#bigfonts').checked = big;
  S.big = big;
  document.body.classList.toggle('big', big);
  api('GET', 'me').then(startApp, () => showLogin(''));
}

document.addEventListener('DOMContentLoaded', init);
})();
