// Fault injection for pingmesh up's simulated data center (GET/POST/DELETE /v1/faults). The
// nav entry appears only when GET /v1/faults says enabled (pingmesh up); a real collector says enabled: false.
'use strict';
window.PM = window.PM || {};

PM.faults = (() => {
  const $ = (id) => document.getElementById(id);
  const { el } = PM.fmt;
  let available = false, info = null, seq = 0;

  const kindHelp = {
    'server-down': 'The server stops answering and its agent stops reporting.',
    'tor-down': 'Every server under the ToR goes dark, agents included.',
    'black-hole': 'The ToR drops every packet of a share of the IP pairs through it.',
    'port-black-hole': 'The ToR drops one source port (one ECMP path) of half the IP pairs through it; their other ports get through.',
    drops: 'Random drops on every path through a ToR, a podset (its leaves), a data center (its spines) or a data-center link.',
    latency: 'Latency added on every path through the target.',
  };

  /** Asks whether the collector offers fault injection; shows the nav entry if so. */
  async function probe() {
    const res = await PM.api.get('/v1/faults');
    // 404 (or {"enabled": false}) means a collector without a simulated data center.
    available = res.ok && res.data && Array.isArray(res.data.faults) && res.data.enabled !== false;
    $('faults-nav').hidden = !available;
    if (available) info = res.data;
    return available;
  }

  function show() { load(); }
  function hide() {}

  async function load() {
    const mine = ++seq;
    const res = await PM.api.get('/v1/faults');
    if (mine !== seq) return;
    if (!res.ok) {
      setStatus(res.status === 404 ? 'Fault injection exists only in pingmesh up\u2019s simulated data center.' : 'Could not load faults: ' + res.error, true);
      $('fault-list').replaceChildren();
      return;
    }
    info = res.data || {};
    fillKinds();
    renderList();
  }

  function targetsFor(kind) {
    const t = (info && info.targets) || {};
    const dcs = t.datacenters || [];
    const links = Array.isArray(t.links) ? t.links : dcs.flatMap((a, i) => dcs.slice(i + 1).map((b) => a + '-' + b));
    const groups = {
      'server-down': [['Servers', t.servers]],
      'tor-down': [['ToRs', t.tors]],
      'black-hole': [['ToRs', t.tors]],
      'port-black-hole': [['ToRs', t.tors]],
      drops: [['ToRs', t.tors], ['Podsets (leaf tier)', t.podsets], ['Data centers (spine tier)', dcs], ['Data-center links', links]],
      latency: [['ToRs', t.tors], ['Podsets (leaf tier)', t.podsets], ['Data centers (spine tier)', dcs], ['Data-center links', links]],
    };
    return (groups[kind] || [['Servers', t.servers], ['ToRs', t.tors]]).filter(([, names]) => Array.isArray(names) && names.length);
  }

  function fillKinds() {
    const select = $('fault-kind');
    const kinds = Array.isArray(info.kinds) && info.kinds.length ? info.kinds : Object.keys(kindHelp);
    const keep = select.value;
    select.replaceChildren(...kinds.map((k) => el('option', { value: k }, k)));
    if (kinds.includes(keep)) select.value = keep;
    fillTargets();
  }

  function fillTargets() {
    const kind = $('fault-kind').value;
    const select = $('fault-target');
    const keep = select.value;
    select.replaceChildren(...targetsFor(kind).map(([label, names]) =>
      el('optgroup', { label }, names.map((n) => el('option', { value: n }, n)))));
    if ([...select.options].some((o) => o.value === keep)) select.value = keep;
    $('fault-share-label').hidden = kind !== 'black-hole';
    $('fault-port-label').hidden = kind !== 'port-black-hole';
    const ports = (info && info.targets && info.targets.source_ports) || [];
    $('fault-port').replaceChildren(...ports.map((p) => el('option', { value: String(p) }, String(p))));
    $('fault-rate-label').hidden = kind !== 'drops';
    $('fault-latency-label').hidden = kind !== 'latency';
    $('fault-kind').title = kindHelp[kind] || '';
    $('fault-help').textContent = kindHelp[kind] || '';
  }

  function renderList() {
    const list = Array.isArray(info.faults) ? info.faults : [];
    $('fault-clear').disabled = !list.length;
    if (!list.length) {
      $('fault-list').replaceChildren(el('p', { class: 'muted' }, 'No fault injected: the simulated mesh is healthy.'));
      return;
    }
    $('fault-list').replaceChildren(el('div', { class: 'table-wrap' }, el('table', { class: 'data' },
      el('thead', null, el('tr', null, ['id', 'kind', 'target', 'figure', 'since', ''].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', null, list.map((f) => el('tr', null,
        el('td', null, el('code', null, f.id)), el('td', null, f.kind), el('td', null, f.target),
        el('td', null, f.share != null ? 'share ' + f.share : f.rate != null ? 'rate ' + f.rate : f.latency_ms != null ? '+' + f.latency_ms + ' ms' : f.port != null ? 'port ' + f.port : '–'),
        el('td', null, PM.fmt.time(f.since, true)),
        el('td', null, el('button', { type: 'button', onclick: () => remove(f.id), 'aria-label': 'Remove fault ' + f.id }, 'Remove'))))))));
  }

  function setStatus(text, isError) {
    $('fault-status').textContent = text;
    $('fault-status').classList.toggle('error', !!isError);
  }

  function authHint(res) {
    if (res.status === 401 || res.status === 403) $('fault-token-row').hidden = false;
  }

  async function submit(event) {
    event.preventDefault();
    if ($('fault-token').value) PM.api.setToken($('fault-token').value.trim());
    const kind = $('fault-kind').value, target = $('fault-target').value;
    const body = { kind, target };
    if (kind === 'black-hole') body.share = parseFloat($('fault-share').value);
    if (kind === 'port-black-hole' && $('fault-port').value) body.port = parseInt($('fault-port').value, 10);
    if (kind === 'drops') body.rate = parseFloat($('fault-rate').value);
    if (kind === 'latency') body.latency_ms = parseFloat($('fault-latency').value);
    const res = await PM.api.post('/v1/faults', body);
    if (!res.ok) { authHint(res); setStatus('Not injected: ' + res.error, true); return; }
    setStatus('Injected ' + kind + ' at ' + target + (res.data && res.data.id ? ' (' + res.data.id + ')' : '') + '.');
    load();
  }

  async function remove(id) {
    const res = await PM.api.del('/v1/faults/' + encodeURIComponent(id));
    if (!res.ok) { authHint(res); setStatus('Not removed: ' + res.error, true); return; }
    setStatus('Removed ' + id + '.');
    load();
  }

  async function clearAll() {
    const res = await PM.api.del('/v1/faults');
    if (!res.ok) { authHint(res); setStatus('Not removed: ' + res.error, true); return; }
    setStatus('Removed every fault.');
    load();
  }

  function init() {
    $('fault-form').addEventListener('submit', submit);
    $('fault-kind').addEventListener('change', fillTargets);
    $('fault-clear').addEventListener('click', clearAll);
    $('fault-token').value = PM.api.token();
  }

  return { init, show, hide, probe, get available() { return available; } };
})();
