// Agents (GET /v1/agents): liveness, versions, last upload and upload lag; sortable by column.
'use strict';
window.PM = window.PM || {};

PM.agents = (() => {
  const $ = (id) => document.getElementById(id);
  const { el } = PM.fmt;
  const T = () => PM.Topology;
  let agents = [], sort = { key: 'liveness', dir: 1 }, ready = false, seq = 0;
  const order = { down: 0, stale: 1, up: 2 };

  const columns = [
    { key: 'name', label: 'Agent', value: (a) => a.name, cmp: 'text' },
    { key: 'liveness', label: 'Liveness', value: (a) => order[T().liveness(a.seconds_since_upload)], cmp: 'num' },
    { key: 'dc', label: 'DC', value: (a) => (a.labels || {}).dc || '', cmp: 'text' },
    { key: 'podset', label: 'Podset', value: (a) => (a.labels || {}).podset || '', cmp: 'text' },
    { key: 'tor', label: 'ToR', value: (a) => (a.labels || {}).tor || (a.labels || {}).pod || '', cmp: 'text' },
    { key: 'version', label: 'Version', value: (a) => a.version || '', cmp: 'text' },
    { key: 'pinglist', label: 'Pinglist version', value: (a) => a.pinglist_version || '', cmp: 'text' },
    { key: 'age', label: 'Last upload', value: (a) => a.seconds_since_upload, cmp: 'num' },
    { key: 'lag', label: 'Upload lag', value: (a) => a.upload_lag_seconds, cmp: 'num' },
  ];

  function show() { load(); }
  function hide() {}

  async function load() {
    const mine = ++seq;
    ready = false;
    $('ag-status').textContent = 'Loading\u2026';
    const res = await PM.api.get('/v1/agents');
    if (mine !== seq) return;
    if (!res.ok) {
      $('ag-status').textContent = 'Could not load agents: ' + res.error;
      ready = true;
      return;
    }
    agents = Array.isArray(res.data && res.data.agents) ? res.data.agents : [];
    render();
    ready = true;
  }

  function render() {
    const counts = { up: 0, stale: 0, down: 0 };
    for (const a of agents) counts[T().liveness(a.seconds_since_upload)]++;
    $('ag-status').textContent = agents.length
      ? `${agents.length} agents: ${counts.up} up, ${counts.stale} stale (no upload for over 1 min), ${counts.down} down (over 3 min).`
      : 'No agent has uploaded yet.';
    updateBadge(counts.down);
    const filter = $('ag-filter').value.trim().toLowerCase();
    const shown = agents.filter((a) => !filter || (a.name + ' ' + Object.values(a.labels || {}).join(' ')).toLowerCase().includes(filter));
    const col = columns.find((c) => c.key === sort.key) || columns[0];
    shown.sort((a, b) => {
      const x = col.value(a), y = col.value(b);
      const r = col.cmp === 'num' ? (x ?? Infinity) - (y ?? Infinity) : PM.fmt.compare(String(x), String(y));
      return (r || PM.fmt.compare(a.name, b.name)) * sort.dir;
    });
    const head = el('tr', null, columns.map((c) => {
      const active = c.key === sort.key;
      return el('th', { scope: 'col', 'aria-sort': active ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none' },
        el('button', { type: 'button', class: 'sort', onclick: () => { sort = { key: c.key, dir: active ? -sort.dir : 1 }; render(); } },
          c.label, el('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (sort.dir > 0 ? ' \u25b2' : ' \u25bc') : '')));
    }));
    const body = shown.map((a) => {
      const live = T().liveness(a.seconds_since_upload);
      const labels = a.labels || {};
      return el('tr', { class: 'live-' + live },
        el('th', { scope: 'row' }, a.name),
        el('td', null, el('span', { class: 'live live-badge-' + live }, live)),
        el('td', null, labels.dc || '–'), el('td', null, labels.podset || '–'), el('td', null, labels.tor || labels.pod || '–'),
        el('td', null, a.version || '–'), el('td', null, el('code', null, a.pinglist_version || '–')),
        el('td', { class: 'num', title: a.last_upload ? new Date(a.last_upload).toISOString() : '' }, PM.fmt.age(a.seconds_since_upload) + ' ago'),
        el('td', { class: 'num' }, PM.fmt.age(a.upload_lag_seconds)));
    });
    $('ag-table').replaceChildren(el('div', { class: 'table-wrap' }, el('table', { class: 'data' },
      el('caption', { class: 'visually-hidden' }, 'Agents; column buttons sort'),
      el('thead', null, head), el('tbody', null, body))));
  }

  function updateBadge(down) {
    const badge = $('agent-badge');
    badge.hidden = !down;
    badge.textContent = String(down);
    badge.setAttribute('aria-label', down + ' down');
  }

  function init() {
    $('ag-filter').addEventListener('input', render);
    $('ag-refresh').addEventListener('click', load);
    PM.Topology.onUpdate((topo) => updateBadge(topo.agents.filter((a) => T().liveness(a.seconds_since_upload) === 'down').length));
  }

  return { init, show, hide, get ready() { return ready; } };
})();
