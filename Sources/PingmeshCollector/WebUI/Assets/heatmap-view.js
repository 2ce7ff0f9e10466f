// The heatmap view (the Pingmesh paper's Fig. 8): level, statistic and time controls,
// drill-down with a breadcrumb, replay slider, hover figures, incident highlighting.
'use strict';
window.PM = window.PM || {};

PM.heatmap = (() => {
  const $ = (id) => document.getElementById(id);
  const T = PM.Topology;
  const { el } = PM.fmt;
  const { LEVELS, STATISTICS, RANGES, DEFAULTS } = PM.boot;

  // What is shown; mirrored in the URL (#/heatmap?level=..).
  let S = { ...DEFAULTS, at: null, rows: null, cols: null, base: DEFAULTS.level, rack: 'tor' };
  let highlight = null; // {level, names: [..], label}
  let renderer = null;
  let topology = new T([]);
  let matrix = null, grid = null, error = null;
  let seq = 0, controller = null, loading = false;
  let renderCount = 0, lastRequest = null, timings = {};
  const cache = new Map();
  let cursor = { row: 0, col: 0 }, keyboard = false;
  let tip = null, playTimer = null, resizeFrame = 0;
  let visible = false;

  // ---------- state and URL ----------

  function parseScope(text) {
    if (!text) return null;
    const i = text.indexOf(':');
    if (i <= 0) return null;
    const level = text.slice(0, i);
    return LEVELS.includes(level) ? { level, name: text.slice(i + 1) } : null;
  }

  function fromParams(params) {
    const get = (k) => params.get(k);
    const level = LEVELS.includes(get('level')) ? get('level') : DEFAULTS.level;
    const next = {
      level,
      statistic: STATISTICS.includes(get('statistic')) ? get('statistic') : S.statistic,
      range: RANGES.includes(Number(get('range'))) ? Number(get('range')) : S.range,
      at: get('at') && /^\d+$/.test(get('at')) ? Number(get('at')) : null,
      rows: parseScope(get('rows')),
      cols: parseScope(get('cols')),
      base: LEVELS.includes(get('base')) ? get('base') : level,
      rack: level === 'pod' || get('base') === 'pod' ? 'pod' : (get('rack') === 'pod' ? 'pod' : 'tor'),
    };
    return normalize(next);
  }

  /** Keeps scopes coarser than the level and the base at or above it. */
  function normalize(s) {
    const r = T.rank(s.level);
    if (s.rows && T.rank(s.rows.level) <= r) s.rows = null;
    if (s.cols && T.rank(s.cols.level) <= r) s.cols = null;
    if (s.level === 'tor' || s.level === 'pod') s.rack = s.level;
    if (T.rank(s.base) < r || (!s.rows && !s.cols)) s.base = s.level;
    if (s.base === 'tor' || s.base === 'pod') s.rack = s.base;
    return s;
  }

  function toQuery(s) {
    const p = new URLSearchParams();
    p.set('level', s.level);
    p.set('statistic', s.statistic);
    p.set('range', String(s.range));
    if (s.at != null) p.set('at', String(s.at));
    if (s.rows) p.set('rows', s.rows.level + ':' + s.rows.name);
    if (s.cols) p.set('cols', s.cols.level + ':' + s.cols.name);
    if (s.base !== s.level) p.set('base', s.base);
    if (s.rack === 'pod' && s.level !== 'pod') p.set('rack', 'pod');
    return p.toString();
  }

  const hashOf = (s) => '#/heatmap?' + toQuery(s);

  /** Shows `next`; a new history entry for navigation (drill, level), a replaced one for time. */
  function go(next, { push = true, keepHighlight = false } = {}) {
    S = normalize({ ...S, ...next });
    if (!keepHighlight) highlight = null;
    const hash = hashOf(S);
    if (location.hash !== hash) history[push ? 'pushState' : 'replaceState'](null, '', hash);
    PM.app.noteHash(location.hash);
    syncControls();
    load();
  }

  /** Called by the router with the URL's parameters. */
  function show(params) {
    visible = true;
    const next = fromParams(params);
    const same = toQuery(next) === toQuery(S) && matrix;
    S = next;
    syncControls();
    if (!same) load(); else { applyHighlight(); layoutAndRender(); }
  }

  function hide() {
    visible = false;
    tip.hide();
    stopPlay();
  }

  // ---------- time ----------

  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const liveMinute = () => Math.floor(nowSeconds() / 60) * 60;

  function sliderPosition() {
    const n = S.range / 60;
    if (S.at == null) return n;
    return Math.max(0, Math.min(n - 1, n - Math.round((liveMinute() - S.at) / 60)));
  }

  function atOfPosition(position) {
    const n = S.range / 60;
    return position >= n ? null : liveMinute() - (n - position) * 60;
  }

  // ---------- loading ----------

  async function fetchMatrix(url, live, signal) {
    const hit = cache.get(url);
    const maxAge = live ? 25000 : 300000;
    if (hit && Date.now() - hit.at < maxAge) return hit.res;
    const res = await (PM.boot.claim(url) || PM.matrixReader.fetch(url, { signal }));
    if (res.ok) {
      cache.set(url, { res, at: Date.now() });
      while (cache.size > 6) cache.delete(cache.keys().next().value);
    }
    return res;
  }

  async function load({ fresh = false } = {}) {
    const mine = ++seq;
    if (controller) controller.abort();
    controller = new AbortController();
    let request = PM.boot.matrixRequest(S, nowSeconds());
    const first = PM.boot.takeFirstMatrix();
    if (first && first.level === request.level && first.statistic === request.statistic && first.live === request.live &&
        first.to - first.from === request.to - request.from && (first.live || first.from === request.from)) request = first;
    const url = request.url;
    if (fresh) cache.delete(url);
    lastRequest = request;
    loading = true;
    updateMeta();
    const requestAt = performance.now();
    const [topo, res] = await Promise.all([T.fetch(fresh ? 5000 : 20000), fetchMatrix(url, request.live, controller.signal)]);
    if (mine !== seq) return;
    loading = false;
    topology = topo;
    // The first request may have started in boot.js, before this view existed.
    const sentAt = res.startedAt != null ? Math.min(res.startedAt, requestAt) : requestAt;
    timings = { requestAt: sentAt, fetchMs: performance.now() - sentAt, parseMs: res.parseMs, bytes: res.bytes };
    if (!res.ok) {
      if (res.aborted) return;
      error = res.error;
      matrix = null;
    } else {
      error = null;
      matrix = res.data && typeof res.data === 'object' ? res.data : { sources: [], destinations: [], cells: [] };
    }
    rebuild();
  }

  // ---------- the grid ----------

  function rebuild() {
    const t0 = performance.now();
    grid = build();
    timings.buildMs = performance.now() - t0;
    renderer.setData(grid);
    applyHighlight();
    layoutAndRender();
  }

  function build() {
    const L = S.level;
    const m0 = matrix || {};
    const sources = Array.isArray(m0.sources) ? m0.sources : [];
    const destinations = Array.isArray(m0.destinations) ? m0.destinations : [];
    const cells = m0.cells && m0.cells.count != null ? m0.cells : PM.matrixReader.columnsOf(m0.cells);
    const rowSet = new Set(sources), colSet = new Set(destinations);
    // Agents known but silent (down, or new) still get their row and column.
    for (const name of topology.known(L)) {
      if (name === 'unplaced') continue;
      rowSet.add(name);
      colSet.add(name);
    }
    const rows = [...rowSet].filter((n) => topology.within(L, n, S.rows)).sort(PM.fmt.compare);
    const cols = [...colSet].filter((n) => topology.within(L, n, S.cols)).sort(PM.fmt.compare);
    const n = rows.length, m = cols.length;
    const rowIndex = new Map(rows.map((name, i) => [name, i]));
    const colIndex = new Map(cols.map((name, i) => [name, i]));
    const srcMap = Int32Array.from(sources, (name) => rowIndex.get(name) ?? -1);
    const dstMap = Int32Array.from(destinations, (name) => colIndex.get(name) ?? -1);
    const values = new Float64Array(n * m);
    const probes = new Float64Array(n * m), failed = new Float64Array(n * m), resent = new Float64Array(n * m);
    const has = new Uint8Array(n * m);
    let withData = 0;
    const cSrc = cells.source, cDst = cells.destination, cVal = cells.value, cProbes = cells.probes, cFailed = cells.failed, cResent = cells.resent;
    for (let k = 0; k < cells.count; k++) {
      const r = srcMap[cSrc[k]], j = dstMap[cDst[k]];
      if (!(r >= 0) || !(j >= 0)) continue;
      const i = r * m + j;
      if (!has[i]) withData++;
      has[i] = 1;
      values[i] = cVal[k];
      probes[i] = cProbes[k];
      failed[i] = cFailed[k];
      resent[i] = cResent ? cResent[k] : 0;
    }
    const rowDown = Uint8Array.from(rows, (name) => (topology.isDown(L, name) ? 1 : 0));
    const colDown = Uint8Array.from(cols, (name) => (topology.isDown(L, name) ? 1 : 0));
    return {
      level: L, statistic: S.statistic, rows, cols, values, probes, failed, resent, has, rowDown, colDown, withData,
      rowIndex, colIndex, totalCells: cells.count,
    };
  }

  function applyHighlight() {
    const rowsHL = new Set(), colsHL = new Set();
    if (highlight && grid && highlight.level === S.level) {
      for (const name of highlight.names) {
        if (grid.rowIndex.has(name)) rowsHL.add(grid.rowIndex.get(name));
        if (grid.colIndex.has(name)) colsHL.add(grid.colIndex.get(name));
      }
    }
    renderer.highlight = { rows: rowsHL, cols: colsHL };
  }

  function layoutAndRender() {
    if (!grid || !visible) return;
    const t0 = performance.now();
    const box = $('hm-scroll');
    const top = box.getBoundingClientRect().top;
    const height = Math.max(260, window.innerHeight - top - 12);
    box.style.maxHeight = height + 'px';
    // The box shrinks to the canvas, so the room is the layout's width less the side panel.
    const layout = box.parentElement, side = layout.querySelector('.side');
    const width = Math.max(240, layout.clientWidth - (side ? side.offsetWidth + 12 : 0));
    box.style.maxWidth = width + 'px';
    const empty = !grid.rows.length || !grid.cols.length;
    $('hm-canvas').hidden = empty;
    if (!empty) {
      renderer.cursor = keyboard && document.activeElement === $('hm-canvas') ? cursor : null;
      renderer.layout(width - 2, height - 2);
      renderer.render();
    }
    timings.renderMs = performance.now() - t0;
    timings.classifyMs = renderer.timings.classifyMs;
    timings.paintMs = renderer.timings.paintMs;
    timings.paintedAt = performance.now();
    renderCount++;
    updateChrome();
  }

  /** Repaints after a threshold or palette change, without fetching. */
  function redraw() {
    if (!grid) return;
    const t0 = performance.now();
    grid.statistic = S.statistic;
    renderer.classify();
    layoutAndRender();
    timings.redrawMs = performance.now() - t0;
  }

  // ---------- chrome: legend, breadcrumb, labels ----------

  function updateChrome() {
    renderLegend();
    renderBreadcrumb();
    updateMeta();
    updateEmpty();
    updateTime();
    const chip = $('hm-highlight');
    chip.hidden = !highlight;
    if (highlight) {
      chip.replaceChildren('Incident: ' + highlight.label + ' ',
        el('button', { type: 'button', class: 'link', onclick: () => { highlight = null; applyHighlight(); layoutAndRender(); } }, 'clear'));
    }
    const canvas = $('hm-canvas');
    if (grid) {
      const down = grid.rowDown.reduce((a, b) => a + b, 0);
      canvas.setAttribute('aria-label', `Heatmap of ${PM.fmt.statisticName(S.statistic)} at ${PM.fmt.levelName(S.level)} level: ` +
        `${grid.rows.length} sources by ${grid.cols.length} destinations, ${grid.withData} cells with data` +
        (down ? `, ${down} ${down === 1 ? 'source' : 'sources'} with every agent down` : ''));
    }
  }

  function renderLegend() {
    const entries = PM.scale.legend(S.statistic);
    $('legend-unit').textContent = '(' + PM.fmt.statisticName(S.statistic) + (S.statistic === 'loss' ? '' : ', ms') + ')';
    $('legend').replaceChildren(...entries.map((e) => {
      const swatch = el('span', { class: 'swatch' + (e.hatched ? ' hatched' : '') + (e.outline ? ' outlined' : ''), 'aria-hidden': 'true' });
      if (e.hatched) swatch.style.setProperty('--hatch', e.colour);
      else if (e.outline) swatch.style.borderColor = e.colour;
      else swatch.style.backgroundColor = e.colour;
      const item = el('li', { dataset: { class: e.cls } }, swatch, el('span', null, e.label));
      if (e.lo != null) item.dataset.lo = String(e.lo);
      if (e.hi != null) item.dataset.hi = e.hi === Infinity ? 'Infinity' : String(e.hi);
      item.dataset.colour = e.colour;
      return item;
    }));
  }

  /** Crumbs from the drill start (`base`) down to the current level. */
  function crumbs() {
    const chain = [S.base];
    while (chain[chain.length - 1] !== S.level && chain.length < 6) {
      const next = T.child(chain[chain.length - 1], S.rack);
      if (!next) break;
      chain.push(next);
    }
    if (chain[chain.length - 1] !== S.level) return [{ label: 'All ' + PM.fmt.levelName(S.level), state: { level: S.level, rows: null, cols: null, base: S.level } }];
    const scopeAt = (scope, level) => {
      if (!scope) return null;
      if (T.rank(scope.level) >= T.rank(level)) return scope;
      const name = topology.ancestor(scope.level, scope.name, level);
      return name == null ? null : { level, name };
    };
    const list = [{ label: 'All ' + PM.fmt.levelName(S.base), state: { level: S.base, rows: null, cols: null, base: S.base } }];
    for (let i = 1; i < chain.length; i++) {
      const parent = chain[i - 1];
      const rows = i === chain.length - 1 ? S.rows : scopeAt(S.rows, parent);
      const cols = i === chain.length - 1 ? S.cols : scopeAt(S.cols, parent);
      const label = (rows ? rows.name : 'all') + ' \u2192 ' + (cols ? cols.name : 'all') + ' \u00b7 ' + PM.fmt.levelName(chain[i]);
      list.push({ label, state: { level: chain[i], rows, cols, base: S.base } });
    }
    return list;
  }

  function renderBreadcrumb() {
    const list = crumbs();
    $('hm-breadcrumb').replaceChildren(...list.map((c, i) => {
      if (i === list.length - 1) return el('li', null, el('span', { 'aria-current': 'page' }, c.label));
      return el('li', null, el('a', { href: hashOf(normalize({ ...S, ...c.state })), onclick: (e) => { e.preventDefault(); go(c.state); } }, c.label));
    }));
  }

  function up() {
    const list = crumbs();
    if (list.length > 1) go(list[list.length - 2].state);
  }

  function updateMeta() {
    const meta = $('hm-meta');
    if (loading) { meta.textContent = 'Loading\u2026'; return; }
    if (!matrix) { meta.textContent = ''; return; }
    const bits = [];
    if (matrix.resolution) bits.push('resolution ' + matrix.resolution);
    if (grid) bits.push(grid.rows.length + ' \u00d7 ' + grid.cols.length);
    bits.push('updated ' + PM.fmt.time(nowSeconds(), true));
    meta.textContent = bits.join(' \u00b7 ');
  }

  function updateEmpty() {
    const box = $('hm-empty');
    let text = '';
    if (error) text = 'Could not load the matrix: ' + error;
    else if (grid && (!grid.rows.length || !grid.cols.length)) {
      text = (S.rows || S.cols) && grid.totalCells ? 'Nothing under this selection at this level.' :
        'No data yet. The first matrix appears about a minute after agents start uploading.';
    } else if (grid && !grid.withData) {
      text = 'No data yet for this window.';
    }
    box.textContent = text;
    box.hidden = !text;
    box.classList.toggle('error', !!error);
  }

  function updateTime() {
    const slider = $('hm-slider');
    const n = S.range / 60;
    slider.max = String(n);
    slider.value = String(sliderPosition());
    const label = S.at == null
      ? 'now \u00b7 last ' + rangeName(S.range)
      : PM.fmt.time(S.at) + '\u2013' + PM.fmt.time(S.at + 60) + ' (1 min)';
    slider.setAttribute('aria-valuetext', label);
    $('hm-time').textContent = label;
    $('hm-live').disabled = S.at == null;
    $('hm-next').disabled = S.at == null;
    $('hm-prev').disabled = S.at != null && sliderPosition() === 0;
  }

  const rangeName = (r) => ({ 900: '15 min', 3600: '1 h', 21600: '6 h', 86400: '24 h' }[r] || r + ' s');

  function syncControls() {
    $('hm-level').value = S.level;
    $('hm-statistic').value = S.statistic;
    $('hm-range').value = String(S.range);
    updateTime();
  }

  // ---------- drill-down ----------

  function drillCell(row, col) {
    if (!grid) return;
    const source = grid.rows[row], destination = grid.cols[col];
    if (S.level === 'server') return openPair(source, destination);
    const next = T.child(S.level, S.rack);
    go({ level: next, rows: { level: S.level, name: source }, cols: { level: S.level, name: destination } });
  }

  function drillRow(row) {
    if (!grid || S.level === 'server') return;
    go({ level: T.child(S.level, S.rack), rows: { level: S.level, name: grid.rows[row] }, cols: null, base: baseFor() });
  }

  function drillCol(col) {
    if (!grid || S.level === 'server') return;
    go({ level: T.child(S.level, S.rack), rows: null, cols: { level: S.level, name: grid.cols[col] }, base: baseFor() });
  }

  const baseFor = () => (S.rows || S.cols ? S.base : S.level);

  function pairHash(source, destination) {
    const p = new URLSearchParams({ level: S.level, source, destination, range: String(S.range) });
    return '#/pair?' + p.toString();
  }

  function openPair(source, destination) {
    tip.hide();
    PM.app.go(pairHash(source, destination));
  }

  // ---------- click, keys ----------

  function pointerHit(event) {
    const rect = $('hm-canvas').getBoundingClientRect();
    return renderer.hit(event.clientX - rect.left, event.clientY - rect.top);
  }

  function onClick(event) {
    const hit = pointerHit(event);
    if (!hit) return;
    tip.hide();
    if (hit.kind === 'cell') {
      cursor = { row: hit.row, col: hit.col };
      if (event.shiftKey || event.ctrlKey || event.metaKey || event.altKey) openPair(grid.rows[hit.row], grid.cols[hit.col]);
      else drillCell(hit.row, hit.col);
    } else if (hit.kind === 'row') drillRow(hit.row);
    else if (hit.kind === 'col') drillCol(hit.col);
  }

  function onKey(event) {
    if (!grid || !grid.rows.length || !grid.cols.length) return;
    const n = grid.rows.length, m = grid.cols.length;
    const page = 8;
    const moves = {
      ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1],
      PageUp: [-page, 0], PageDown: [page, 0],
    };
    if (moves[event.key]) {
      const [dr, dc] = moves[event.key];
      cursor = { row: Math.max(0, Math.min(n - 1, cursor.row + dr)), col: Math.max(0, Math.min(m - 1, cursor.col + dc)) };
    } else if (event.key === 'Home') cursor = { row: cursor.row, col: 0 };
    else if (event.key === 'End') cursor = { row: cursor.row, col: m - 1 };
    else if (event.key === 'Enter') { drillCell(cursor.row, cursor.col); event.preventDefault(); return; }
    else if (event.key === 'p' || event.key === 'P') { openPair(grid.rows[cursor.row], grid.cols[cursor.col]); event.preventDefault(); return; }
    else if (event.key === 'Backspace' || event.key === 'Escape') {
      if (event.key === 'Escape' && tip.visible) { tip.hide(); return; }
      up(); event.preventDefault(); return;
    } else return;
    event.preventDefault();
    keyboard = true;
    cursor.row = Math.min(cursor.row, n - 1);
    cursor.col = Math.min(cursor.col, m - 1);
    renderer.cursor = cursor;
    renderer.render();
    tip.panel(cursor.row, cursor.col);
    scrollCursorIntoView();
  }

  function scrollCursorIntoView() {
    const box = renderer.box(cursor.row, cursor.col);
    const scroller = $('hm-scroll');
    if (box.x < scroller.scrollLeft || box.x + box.size > scroller.scrollLeft + scroller.clientWidth) {
      scroller.scrollLeft = Math.max(0, box.x - scroller.clientWidth / 2);
    }
    if (box.y < scroller.scrollTop || box.y + box.size > scroller.scrollTop + scroller.clientHeight) {
      scroller.scrollTop = Math.max(0, box.y - scroller.clientHeight / 2);
    }
  }

  // ---------- replay ----------

  function setPosition(position, push) {
    go({ at: atOfPosition(position) }, { push: !!push, keepHighlight: true });
  }

  let sliderTimer = 0;
  function onSlider() {
    const position = Number($('hm-slider').value);
    const at = atOfPosition(position);
    $('hm-time').textContent = at == null ? 'now' : PM.fmt.time(at) + '\u2013' + PM.fmt.time(at + 60) + ' (1 min)';
    clearTimeout(sliderTimer);
    sliderTimer = setTimeout(() => setPosition(position, false), 120);
  }

  function step(delta) {
    const n = S.range / 60;
    setPosition(Math.max(0, Math.min(n, sliderPosition() + delta)), false);
  }

  function togglePlay() {
    if (playTimer) return stopPlay();
    if (S.at == null) setPosition(0, false);
    $('hm-play').setAttribute('aria-pressed', 'true');
    $('hm-play').textContent = 'Pause';
    playTimer = setInterval(() => {
      if (S.at == null) return stopPlay();
      step(1);
    }, 1500);
  }

  function stopPlay() {
    clearInterval(playTimer);
    playTimer = null;
    const button = $('hm-play');
    if (button) { button.setAttribute('aria-pressed', 'false'); button.textContent = 'Play'; }
  }

  // ---------- incidents ----------

  /** What an incident's component is at heatmap level: {level, names, label}. */
  function incidentArea(incident) {
    const c = incident && incident.component;
    if (!c) return null;
    if (typeof c === 'string') return null;
    const key = Object.keys(c)[0];
    const v = c[key] || {};
    const values = typeof v === 'object' ? Object.values(v) : [v];
    switch (key) {
      case 'server': return { level: 'server', names: [v.name ?? values[0]] };
      case 'tor': return { level: 'tor', names: [v.name ?? values[0]] };
      case 'leaf_tier': case 'leafTier': return { level: 'podset', names: [v.podset ?? values[0]] };
      case 'spine_tier': case 'spineTier': return { level: 'dc', names: [v.datacenter ?? values[0]] };
      case 'datacenter_link': case 'datacenterLink': return { level: 'dc', names: values.map(String) };
      default: return null;
    }
  }

  /** Shows the incident's level, at its last minute when resolved, its rows and columns outlined. */
  function focusIncident(incident) {
    const area = incidentArea(incident);
    if (!area) return false;
    let at = null, range = S.range;
    if (incident.state === 'resolved' && incident.last_seen_at) {
      at = Math.floor(incident.last_seen_at / 60) * 60;
      const age = liveMinute() - at;
      range = RANGES.find((r) => r / 60 > age / 60) || null;
      if (range == null) { at = null; range = 86400; }
    }
    highlight = { level: area.level, names: area.names, label: incident.scope || area.names.join(', ') };
    const next = normalize({ ...S, level: area.level, rows: null, cols: null, base: area.level, at, range });
    // Loaded afresh even when the level is the one shown, so the outline lands on a new grid.
    matrix = null;
    history.pushState(null, '', hashOf(next));
    PM.app.route();
    return true;
  }

  // ---------- setup ----------

  function bindSettings() {
    const inputs = { 'th-lat-good': 'latencyGoodMs', 'th-lat-bad': 'latencyBadMs', 'th-loss-good': 'lossGoodPct', 'th-loss-bad': 'lossBadPct' };
    const fill = () => {
      for (const [id, key] of Object.entries(inputs)) $(id).value = String(PM.scale.current[key]);
      $('th-palette').value = PM.scale.current.palette;
    };
    $('th-palette').replaceChildren(...Object.entries(PM.scale.PALETTES).map(([k, p]) => el('option', { value: k }, p.label)));
    fill();
    for (const [id, key] of Object.entries(inputs)) {
      $(id).addEventListener('input', () => {
        const v = parseFloat($(id).value);
        if (isFinite(v) && v >= 0) PM.scale.update({ [key]: v });
      });
      $(id).addEventListener('change', fill);
    }
    $('th-palette').addEventListener('change', () => PM.scale.update({ palette: $('th-palette').value }));
    $('th-reset').addEventListener('click', () => { PM.scale.reset(); fill(); });
    PM.scale.onChange(() => redraw());
  }

  function init() {
    renderer = new PM.HeatmapRenderer($('hm-canvas'));
    tip = PM.heatmapTooltip.create({
      grid: () => grid, renderer, state: () => S, topology: () => topology, pairHash, drill: drillCell,
    });
    const canvas = $('hm-canvas');
    $('heatmap-controls').addEventListener('submit', (e) => e.preventDefault());
    $('hm-level').addEventListener('change', () => {
      const level = $('hm-level').value;
      const keep = (s) => (s && T.rank(s.level) > T.rank(level) ? s : null);
      const rows = keep(S.rows), cols = keep(S.cols);
      go({ level, rows, cols, base: rows || cols ? (T.rank(S.base) > T.rank(level) ? S.base : level) : level });
    });
    $('hm-statistic').addEventListener('change', () => go({ statistic: $('hm-statistic').value }, { keepHighlight: true }));
    $('hm-range').addEventListener('change', () => go({ range: Number($('hm-range').value), at: null }, { push: false, keepHighlight: true }));
    $('hm-slider').addEventListener('input', onSlider);
    $('hm-prev').addEventListener('click', () => step(-1));
    $('hm-next').addEventListener('click', () => step(1));
    $('hm-live').addEventListener('click', () => { stopPlay(); go({ at: null }, { push: false, keepHighlight: true }); });
    $('hm-play').addEventListener('click', togglePlay);
    canvas.addEventListener('mousemove', (e) => {
      const hit = pointerHit(e);
      if (hit) tip.show(hit); else tip.hideSoon();
    });
    canvas.addEventListener('mouseleave', () => tip.hideSoon());
    canvas.addEventListener('click', onClick);
    canvas.addEventListener('keydown', onKey);
    canvas.addEventListener('focus', () => { if (keyboard) { renderer.cursor = cursor; renderer.render(); } });
    canvas.addEventListener('blur', () => { if (renderer.cursor) { renderer.cursor = null; renderer.render(); } });
    canvas.addEventListener('keyup', (e) => { if (e.key === 'Tab') { keyboard = true; renderer.cursor = cursor; renderer.render(); } });
    $('hm-scroll').addEventListener('scroll', () => tip.hide(), { passive: true });
    window.addEventListener('resize', () => {
      cancelAnimationFrame(resizeFrame);
      resizeFrame = requestAnimationFrame(layoutAndRender);
    });
    bindSettings();
    renderLegend();
    T.onUpdate((topo) => {
      // New liveness: re-mark down rows and columns without refetching the matrix.
      if (topo !== topology && matrix && visible) { topology = topo; rebuild(); }
    });
  }

  /** Auto-refresh while showing "now". */
  function tick() {
    if (!visible || S.at != null || document.hidden) return;
    load({ fresh: true });
  }

  // ---------- test hook ----------

  /**
   * TEST HOOK (read-only), used by Tests/WebUI/ui_driver.py and Benchmarks/WebUI/heatmap_bench.py:
   * what the heatmap shows and where. Geometry is in canvas (device) pixels: the pixel at a cell's
   * `centre` is painted exactly the cell's class colour. `maxCells` caps the cells listed.
   */
  function state({ maxCells = Infinity } = {}) {
    const g = renderer && renderer.geometry;
    const cells = [];
    if (grid) {
      const m = grid.cols.length;
      outer: for (let r = 0; r < grid.rows.length; r++) {
        for (let c = 0; c < m; c++) {
          const i = r * m + c;
          if (!grid.has[i]) continue;
          if (cells.length >= maxCells) break outer;
          const v = grid.values[i];
          cells.push({
            row: r, col: c, source: grid.rows[r], destination: grid.cols[c],
            value: Number.isNaN(v) ? null : v, probes: grid.probes[i], failed: grid.failed[i],
            class: PM.scale.CLASS_NAMES[renderer.classes[i]], centre: g ? renderer.centre(r, c) : null,
          });
        }
      }
    }
    const rect = $('hm-canvas').getBoundingClientRect();
    return {
      level: S.level, statistic: S.statistic, range: S.range, at: S.at, live: S.at == null,
      rowScope: S.rows, colScope: S.cols, base: S.base,
      request: lastRequest, resolution: matrix ? matrix.resolution : null,
      sources: grid ? grid.rows : [], destinations: grid ? grid.cols : [],
      down: grid ? { sources: grid.rows.filter((_, i) => grid.rowDown[i]), destinations: grid.cols.filter((_, i) => grid.colDown[i]) } : null,
      highlight: highlight ? { level: highlight.level, names: highlight.names, rows: [...renderer.highlight.rows].map((i) => grid.rows[i]), columns: [...renderer.highlight.cols].map((i) => grid.cols[i]) } : null,
      canvas: g ? { width: g.width, height: g.height, dpr: g.dpr, clientLeft: rect.left, clientTop: rect.top } : null,
      plot: g ? { x: g.x, y: g.y, cell: g.cell } : null,
      cellCount: grid ? grid.withData : 0, cells,
      loading, error, renderCount, timings: { ...timings },
      breadcrumb: crumbs().map((c) => c.label),
    };
  }

  /** A cell's centre in viewport (CSS) pixels, for clicking it. */
  function clientPoint(row, col) {
    const c = renderer.centre(row, col);
    const rect = $('hm-canvas').getBoundingClientRect();
    const dpr = renderer.geometry.dpr;
    return { x: rect.left + (c.x + 0.5) / dpr, y: rect.top + (c.y + 0.5) / dpr };
  }

  return {
    init, show, hide, tick, redraw, focusIncident, incidentArea, state, clientPoint,
    get renderCount() { return renderCount; },
    get current() { return { ...S }; },
    get hash() { return hashOf(S); },
    pairHash,
  };
})();
