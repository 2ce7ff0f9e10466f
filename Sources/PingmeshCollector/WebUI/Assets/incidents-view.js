// Incidents (GET /v1/incidents): open ones, then recently resolved, with evidence and timeline;
// "Show on heatmap" switches to the incident's level with its component outlined.
'use strict';
window.PM = window.PM || {};

PM.incidents = (() => {
  const $ = (id) => document.getElementById(id);
  const { el } = PM.fmt;
  let seq = 0, ready = false, count = 0, openCount = 0;

  function show() { load(); }
  function hide() {}

  async function load() {
    const mine = ++seq;
    ready = false;
    $('inc-status').textContent = 'Loading\u2026';
    const res = await PM.api.get('/v1/incidents', { state: $('inc-state').value, limit: 200 });
    if (mine !== seq) return;
    if (!res.ok) {
      $('inc-status').textContent = 'Could not load incidents: ' + res.error;
      $('inc-list').replaceChildren();
      ready = true;
      return;
    }
    const list = Array.isArray(res.data && res.data.incidents) ? res.data.incidents : [];
    const through = res.data && res.data.analyzed_through;
    count = list.length;
    openCount = list.filter((i) => i.state === 'open').length;
    $('inc-status').textContent = (through == null ? 'No window analysed yet (the first one about 80 s after data arrives).' :
      'Analysed through the window of ' + PM.fmt.time(through) + '.') +
      (list.length ? ` ${openCount} open, ${list.length - openCount} resolved.` : ' No incidents.');
    // A refresh keeps the evidence the reader has open.
    const open = new Set([...$('inc-list').querySelectorAll('article[data-id] details[open]')].map((d) => d.closest('article').dataset.id));
    $('inc-list').replaceChildren(...list.map(card));
    for (const article of $('inc-list').querySelectorAll('article[data-id]')) {
      if (open.has(article.dataset.id)) article.querySelector('details').open = true;
    }
    if ($('inc-state').value !== 'resolved') updateBadge(openCount);
    ready = true;
  }

  /** The nav badge: how many incidents are open (refreshed with the heatmap). */
  async function refreshBadge() {
    const res = await PM.api.get('/v1/incidents', { state: 'open', limit: 1000 });
    if (res.ok && res.data && Array.isArray(res.data.incidents)) updateBadge(res.data.incidents.length);
  }

  function updateBadge(n) {
    const badge = $('incident-badge');
    badge.hidden = !n;
    badge.textContent = String(n);
    badge.setAttribute('aria-label', n + ' open');
  }

  function card(incident) {
    const ev = incident.evidence || {};
    const area = PM.heatmap.incidentArea(incident);
    const duration = (incident.ended_at ?? (incident.last_seen_at + 60)) - incident.started_at;
    const head = el('div', { class: 'inc-head' },
      el('span', { class: 'sev sev-' + incident.severity }, incident.severity || ''),
      el('span', { class: 'state state-' + incident.state }, incident.state || ''),
      el('h3', null, kindName(incident.kind), ' \u00b7 ', incident.scope || ''),
      area ? el('button', { type: 'button', class: 'primary small-button', onclick: () => PM.heatmap.focusIncident(incident) }, 'Show on heatmap') : null);
    const facts = el('dl', { class: 'facts' },
      el('dt', null, 'started'), el('dd', null, PM.fmt.time(incident.started_at)),
      el('dt', null, incident.state === 'open' ? 'last seen' : 'ended'),
      el('dd', null, incident.state === 'open' ? PM.fmt.time(incident.last_seen_at) : PM.fmt.time(incident.ended_at)),
      el('dt', null, 'duration'), el('dd', null, PM.fmt.age(duration)),
      el('dt', null, 'confidence'), el('dd', null, incident.confidence != null ? Math.round(incident.confidence * 100) + '%' : '–'),
      el('dt', null, 'cause'), el('dd', null, incident.network === false ? 'server or agent' : 'network'),
      ...located(incident));
    const evidence = el('details', { class: 'evidence' },
      el('summary', null, 'Evidence and timeline'),
      el('p', null, ev.explanation || ''),
      el('p', { class: 'muted' }, `${PM.fmt.count(ev.bad_pairs)} of ${PM.fmt.count(ev.pairs)} pairs bad \u00b7 ratio ${ratioText(incident.kind, ev.ratio)}`),
      Array.isArray(ev.examples) && ev.examples.length ? el('div', null, el('p', { class: 'small' }, 'Example pairs:'),
        el('ul', { class: 'examples' }, ev.examples.slice(0, 10).map((x) => el('li', null, el('code', null, x))))) : null,
      traceroutes(incident),
      timeline(incident));
    return el('article', { class: 'incident', dataset: { id: incident.id || '' }, 'aria-label': kindName(incident.kind) + ' ' + (incident.scope || '') }, head, facts, evidence);
  }

  const kindNames = {
    'server-down': 'Server down', 'server-unreachable': 'Server unreachable', 'agent-silent': 'Agent silent',
    'tor-down': 'ToR down', 'black-hole': 'Black hole', 'port-black-hole': 'Port black hole',
    'packet-loss': 'Packet loss', latency: 'Latency',
  };
  const kindName = (k) => kindNames[k] || k || 'incident';
  const ratioText = (kind, r) => (r == null ? '–' : kind === 'latency' ? Math.round(r * 100) + '% of pairs above the SLA' : PM.fmt.pct(r) + ' of probes lost');

  /** The device or link the incident's traceroutes name, when one explains the failing paths. */
  function located(incident) {
    const c = incident.located && incident.located.culprit;
    if (!c) return [];
    const name = c.device || (Array.isArray(c.link) ? 'link ' + c.link.join(' \u2013 ') : '?');
    return [el('dt', null, 'located'), el('dd', { title: incident.located.explanation || '' }, name)];
  }

  /** Traceroutes the source agents ran over the worst pairs when the incident opened. */
  function traceroutes(incident) {
    const traces = Array.isArray(incident.traceroutes) ? incident.traceroutes : [];
    if (!traces.length) return null;
    const line = (t) => {
      const pair = `${t.source} \u2192 ${t.destination}`;
      if (t.error) return `${pair}: no trace (${t.error})`;
      const tuple = `${t.protocol} ${t.target}${t.source_port ? ' from port ' + t.source_port : ''}${t.failing === false ? ', comparison' : ''}`;
      const path = (t.hops || []).map((h) => h || '*').join(' \u203a ');
      const verdict = t.reached_destination ? 'reached' :
        `loss starts at hop ${t.loss_starts_at_hop ?? '?'}${t.last_answering_hop ? ', after ' + t.last_answering_hop : ''}`;
      return `${pair} (${tuple}): ${verdict} \u2014 ${path}`;
    };
    return el('div', null, el('p', { class: 'small' }, 'Traceroutes from the source agents:'),
      el('ul', { class: 'examples traceroutes' }, traces.map((t) => el('li', null, el('code', null, line(t))))));
  }

  /** The timeline as bars: one per analysed window that named it, height the ratio. */
  function timeline(incident) {
    const points = Array.isArray(incident.timeline) ? incident.timeline : [];
    if (!points.length) return null;
    const NS = 'http://www.w3.org/2000/svg';
    const w = 560, h = 60, pad = 2;
    const first = points[0].window, last = points[points.length - 1].window;
    const span = Math.max(60, last - first + 60);
    const bw = Math.max(2, (w / span) * 60 - 1);
    const max = Math.max(...points.map((p) => p.ratio || 0), 1e-9);
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    svg.setAttribute('width', String(w));
    svg.setAttribute('height', String(h));
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', `Timeline: ${points.length} windows from ${PM.fmt.time(first)} to ${PM.fmt.time(last)}`);
    svg.classList.add('timeline');
    for (const p of points) {
      const r = document.createElementNS(NS, 'rect');
      const bh = Math.max(2, ((p.ratio || 0) / max) * (h - 2 * pad));
      r.setAttribute('x', String(((p.window - first) / span) * w));
      r.setAttribute('y', String(h - pad - bh));
      r.setAttribute('width', String(bw));
      r.setAttribute('height', String(bh));
      const title = document.createElementNS(NS, 'title');
      title.textContent = `${PM.fmt.time(p.window)}: ${p.bad_pairs} bad pairs, ratio ${ratioText(incident.kind, p.ratio)}`;
      r.append(title);
      svg.append(r);
    }
    return el('figure', { class: 'timeline-box' }, svg,
      el('figcaption', { class: 'muted small' }, `${PM.fmt.time(first)} \u2013 ${PM.fmt.time(last + 60)}, one bar per minute that named it`));
  }

  function init() {
    $('inc-state').addEventListener('change', load);
    $('inc-refresh').addEventListener('click', load);
  }

  return { init, show, hide, refreshBadge, get ready() { return ready; }, get count() { return count; } };
})();
