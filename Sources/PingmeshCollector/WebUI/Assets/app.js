// Start-up, the hash router (#/heatmap, #/pair, #/incidents, #/agents, #/probe, #/faults), the
// 30 s refresh, and the read-only test hook window.pingmeshUI.
'use strict';
window.PM = window.PM || {};

PM.app = (() => {
  const $ = (id) => document.getElementById(id);
  let views = {}, current = null, lastHash = null;
  const REFRESH_MS = 30000;

  function parse() {
    const m = (location.hash || '').match(/^#\/([a-z]+)(?:\?(.*))?$/);
    const name = m && views[m[1]] ? m[1] : 'heatmap';
    return { name, params: new URLSearchParams(m && m[2] ? m[2] : '') };
  }

  function route() {
    lastHash = location.hash;
    const { name, params } = parse();
    if (current && current !== name) views[current].hide();
    for (const key of Object.keys(views)) $('view-' + key).hidden = key !== name;
    for (const link of document.querySelectorAll('.topbar nav a[data-view]')) {
      const active = link.dataset.view === name || (name === 'pair' && link.dataset.view === 'heatmap');
      if (active) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
    }
    const changed = current !== name;
    current = name;
    document.title = 'Pingmesh \u00b7 ' + { heatmap: 'Heatmap', pair: 'Pair', incidents: 'Incidents', agents: 'Agents', probe: 'Probe', faults: 'Fault injection' }[name];
    views[name].show(params);
    if (changed && name !== 'heatmap') {
      const heading = $('view-' + name).querySelector('h2');
      if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
    }
  }

  /** Navigates to a hash inside the app (a new history entry). */
  function go(hash) {
    history.pushState(null, '', hash);
    route();
  }

  function onHistory() {
    if (location.hash !== lastHash) route();
  }

  async function refresh() {
    if (document.hidden) return;
    const topo = await PM.Topology.fetch(0);
    const status = $('global-status');
    status.textContent = PM.Topology.cache.error && !topo.size ? 'Collector: ' + PM.Topology.cache.error : '';
    PM.heatmap.tick();
    PM.incidents.refreshBadge();
    if (current === 'agents') PM.agents.show();
    if (current === 'incidents') PM.incidents.show();
  }

  function start() {
    views = { heatmap: PM.heatmap, pair: PM.pair, incidents: PM.incidents, agents: PM.agents, probe: PM.probe, faults: PM.faults };
    for (const view of Object.values(views)) view.init();
    window.addEventListener('popstate', onHistory);
    window.addEventListener('hashchange', onHistory);
    route();
    PM.faults.probe();
    PM.incidents.refreshBadge();
    setInterval(refresh, REFRESH_MS);
    document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
  }

  document.addEventListener('DOMContentLoaded', start);

  return { go, route, noteHash: (h) => { lastHash = h; }, get view() { return current; } };
})();

/**
 * TEST HOOK (read-only): lets Tests/WebUI/ui_driver.py and Benchmarks/WebUI/heatmap_bench.py
 * read what the page shows without scraping pixels blindly.
 *   heatmapState({maxCells}) -> level, statistic, sources, destinations, down, highlight,
 *       canvas and plot geometry (device pixels), cells with data ({source, destination, value,
 *       probes, failed, class, centre}), request (the last /v1/matrix asked), timings, renderCount
 *   cellClientPoint(row, col) -> {x, y} viewport CSS pixels of a cell's centre (for clicks)
 *   legend() -> the legend entries as the page draws them
 *   view() -> the view shown; viewReady(name) -> whether that view finished loading
 *   redraw() -> repaint the heatmap without fetching (benchmark)
 */
window.pingmeshUI = Object.freeze({
  heatmapState: (options) => PM.heatmap.state(options || {}),
  cellClientPoint: (row, col) => PM.heatmap.clientPoint(row, col),
  legend: () => PM.scale.legend(PM.heatmap.current.statistic),
  view: () => PM.app.view,
  viewReady: (name) => ({
    heatmap: () => PM.heatmap.renderCount > 0 && !PM.heatmap.state({ maxCells: 0 }).loading,
    pair: () => PM.pair.ready, incidents: () => PM.incidents.ready, agents: () => PM.agents.ready,
    probe: () => true, faults: () => true,
  }[name] || (() => false))(),
  redraw: () => PM.heatmap.redraw(),
  pendingRequests: () => PM.api.pending,
});
