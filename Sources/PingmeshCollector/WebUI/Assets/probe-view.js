// The manual probe form: POST /v1/probe {kind, target, count}, each answer and a summary.
'use strict';
window.PM = window.PM || {};

PM.probe = (() => {
  const $ = (id) => document.getElementById(id);
  const { el } = PM.fmt;
  let busy = false, last = null;

  function show() {}
  function hide() {}

  function placeholder() {
    const kind = $('probe-kind').value;
    $('probe-target').placeholder = kind === 'icmp' ? 'HOST (e.g. 127.1.0.2)' : kind === 'http' ? 'HOST:PORT (e.g. 127.1.0.2:9300)' : 'HOST:PORT (e.g. 127.1.0.2:9301)';
  }

  async function submit(event) {
    event.preventDefault();
    if (busy) return;
    const kind = $('probe-kind').value;
    const target = $('probe-target').value.trim();
    const count = Math.max(1, Math.min(10, parseInt($('probe-count').value, 10) || 1));
    $('probe-count').value = String(count);
    if (!target) { setStatus('Enter a target.', true); $('probe-target').focus(); return; }
    if (kind !== 'icmp' && !/:\d+$/.test(target)) { setStatus('A ' + kind.toUpperCase() + ' target is HOST:PORT.', true); $('probe-target').focus(); return; }
    if ($('probe-token').value) PM.api.setToken($('probe-token').value.trim());
    busy = true;
    $('probe-submit').disabled = true;
    setStatus('Probing ' + target + '\u2026');
    const res = await PM.api.post('/v1/probe', { kind, target, count });
    busy = false;
    $('probe-submit').disabled = false;
    if (!res.ok) {
      if (res.status === 401 || res.status === 403) $('probe-token-row').hidden = false;
      setStatus('Probe failed: ' + res.error, true);
      $('probe-result').replaceChildren();
      last = { ok: false, error: res.error };
      return;
    }
    last = { ok: true, data: res.data };
    render(res.data || {});
  }

  function setStatus(text, isError) {
    const s = $('probe-status');
    s.textContent = text;
    s.classList.toggle('error', !!isError);
  }

  function render(report) {
    const results = Array.isArray(report.results) ? report.results : [];
    const sm = report.summary || {};
    setStatus(`${report.kind || ''} ${report.target || ''}: ${sm.ok ?? '?'} of ${sm.sent ?? results.length} answered` +
      (sm.loss != null ? `, loss ${PM.fmt.pct(sm.loss)}` : ''));
    const summary = el('dl', { class: 'facts' },
      el('dt', null, 'sent'), el('dd', null, sm.sent ?? results.length),
      el('dt', null, 'answered'), el('dd', null, sm.ok ?? '–'),
      el('dt', null, 'loss'), el('dd', null, PM.fmt.pct(sm.loss)),
      el('dt', null, 'min'), el('dd', null, msText(sm.min_ms)),
      el('dt', null, 'median'), el('dd', null, msText(sm.median_ms)),
      el('dt', null, 'max'), el('dd', null, msText(sm.max_ms)));
    const table = el('table', { class: 'data' },
      el('thead', null, el('tr', null, ['#', 'result', 'RTT', 'detail'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', null, results.map((r) => el('tr', null,
        el('td', { class: 'num' }, r.seq ?? ''),
        el('td', null, el('span', { class: 'result result-' + (r.result || '') }, r.result || '')),
        el('td', { class: 'num' }, msText(r.rtt_ms)),
        el('td', null, r.detail || '')))));
    $('probe-result').replaceChildren(summary, el('div', { class: 'table-wrap' }, table));
  }

  const msText = (v) => (v == null ? '–' : PM.fmt.ms(v / 1000));

  function init() {
    $('probe-form').addEventListener('submit', submit);
    $('probe-kind').addEventListener('change', placeholder);
    $('probe-token').value = PM.api.token();
    $('probe-token-row').hidden = !PM.api.token();
    placeholder();
  }

  return { init, show, hide, get last() { return last; } };
})();
