// The pair view: one source and destination over time (P50, P99, P99.9 and loss per window,
// GET /v1/series) and, for server pairs, their failed probes (GET /v1/failures).
'use strict';
window.PM = window.PM || {};

PM.pair = (() => {
  const $ = (id) => document.getElementById(id);
  const { el } = PM.fmt;
  let current = null, seq = 0, ready = false, lastResult = null;

  function show(params) {
    const level = params.get('level') || 'server';
    const source = params.get('source') || '';
    const destination = params.get('destination') || '';
    const range = [900, 3600, 21600, 86400].includes(Number(params.get('range'))) ? Number(params.get('range')) : 3600;
    current = { level, source, destination, range };
    $('pair-title').textContent = source + ' \u2192 ' + destination;
    $('pair-range').value = String(range);
    $('pair-back').href = PM.heatmap.hash;
    load();
  }

  function hide() {}

  async function load() {
    const mine = ++seq;
    ready = false;
    const { level, source, destination, range } = current;
    if (!source || !destination) {
      $('pair-status').textContent = 'Choose a pair on the heatmap (Shift+click a cell).';
      ready = true;
      return;
    }
    const to = Math.floor(Date.now() / 1000), from = to - range;
    $('pair-status').textContent = 'Loading\u2026';
    const wantFailures = level === 'server';
    const [series, failures] = await Promise.all([
      PM.api.get('/v1/series', { level, source, destination, from, to }),
      wantFailures ? PM.api.get('/v1/failures', { source, destination, from, to, limit: 200 }) : Promise.resolve(null),
    ]);
    if (mine !== seq) return;
    const points = series.ok && series.data && Array.isArray(series.data.points) ? series.data.points : [];
    const resolution = series.ok && series.data ? series.data.resolution : null;
    const stepSeconds = { '1m': 60, '10m': 600, '1h': 3600, '1d': 86400 }[resolution] || 60;
    if (!series.ok) {
      $('pair-status').textContent = 'Could not load the series: ' + series.error;
    } else if (!points.length) {
      $('pair-status').textContent = 'No data yet for this pair in the last ' + rangeName(range) + '.';
    } else {
      const probes = points.reduce((a, p) => a + (p.probes || 0), 0);
      const failed = points.reduce((a, p) => a + (p.failed || 0), 0);
      $('pair-status').textContent = `${PM.fmt.levelName(level)} pair \u00b7 ${points.length} windows of ${resolution || '?'} \u00b7 ` +
        `${PM.fmt.count(probes)} probes, ${PM.fmt.count(failed)} failed (${PM.fmt.pct(probes ? failed / probes : null)})`;
    }
    const scale = PM.scale.current;
    const p = PM.scale.palette();
    PM.chart.lines($('pair-latency'), {
      points, from, to, step: stepSeconds, label: `Latency percentiles and jitter of ${source} to ${destination}, in milliseconds`,
      format: (v) => formatMs(v),
      series: [
        { label: 'P50', colour: '#1b6ac9', value: (q) => ms(q.p50) },
        { label: 'P99', colour: '#c2410c', dash: '6 3', value: (q) => ms(q.p99) },
        { label: 'P99.9', colour: '#6b21a8', dash: '2 3', value: (q) => ms(q.p99_9) },
        // Mean absolute RTT difference of successive answered probes (GET /v1/series `jitter`).
        { label: 'jitter', colour: '#047857', dash: '1 3', value: (q) => ms(q.jitter) },
      ],
      thresholds: [
        { value: scale.latencyGoodMs, label: scale.latencyGoodMs + ' ms', colour: p.warn },
        { value: scale.latencyBadMs, label: scale.latencyBadMs + ' ms', colour: p.bad },
      ],
      extra: (q) => PM.fmt.count(q.probes) + ' probes, ' + PM.fmt.count(q.failed) + ' failed',
    });
    PM.chart.lines($('pair-loss'), {
      points, from, to, step: stepSeconds, height: 160, label: `Loss of ${source} to ${destination}, in percent`,
      format: (v) => (v === 0 ? '0' : v >= 1 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(2) : v.toFixed(3)) + '%',
      series: [{ label: 'loss', colour: '#b91c1c', value: (q) => (q.loss == null ? null : q.loss * 100) }],
      thresholds: [{ value: scale.lossBadPct, label: scale.lossBadPct + '%', colour: p.bad }],
      extra: (q) => PM.fmt.count(q.failed) + ' of ' + PM.fmt.count(q.probes) + ' failed',
    });
    renderFailures(wantFailures, failures);
    lastResult = { points: points.length, failures: failures && failures.ok ? (failures.data.failures || []).length : null };
    ready = true;
  }

  const ms = (seconds) => (seconds == null ? null : seconds * 1000);
  const formatMs = (v) => (v === 0 ? '0' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3)) + ' ms';
  const rangeName = (r) => ({ 900: '15 min', 3600: 'hour', 21600: '6 hours', 86400: '24 hours' }[r]);

  function renderFailures(wanted, res) {
    const box = $('pair-failures');
    if (!wanted) {
      box.replaceChildren(el('p', { class: 'muted' }, 'Failure records are kept per server pair: drill down to servers to see them.'));
      return;
    }
    if (!res || !res.ok) {
      box.replaceChildren(el('p', { class: 'error' }, 'Could not load failures: ' + (res ? res.error : '')));
      return;
    }
    const list = Array.isArray(res.data && res.data.failures) ? res.data.failures : [];
    if (!list.length) {
      box.replaceChildren(el('p', { class: 'muted' }, 'No failed probes in this range.'));
      return;
    }
    const rows = list.map((f) => el('tr', null,
      el('td', null, PM.fmt.time(f.at / 1000, true)),
      el('td', null, f.kind || ''),
      el('td', null, el('span', { class: 'result result-' + (f.result || '') }, f.result || '')),
      el('td', { class: 'num' }, f.rtt_ns != null ? PM.fmt.ms(f.rtt_ns / 1e9) : '–'),
      el('td', { class: 'num' }, f.source_port ?? '–'),
      el('td', null, f.target || ''),
      el('td', null, f.detail || '')));
    box.replaceChildren(
      el('p', { class: 'muted small' }, list.length >= 200 ? 'The newest 200 failures.' : list.length + (list.length === 1 ? ' failure.' : ' failures, newest first.')),
      el('div', { class: 'table-wrap' }, el('table', { class: 'data' },
        el('thead', null, el('tr', null, ...['time', 'kind', 'result', 'RTT', 'source port', 'target', 'detail'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', null, rows))));
  }

  function init() {
    $('pair-range').addEventListener('change', () => {
      const p = new URLSearchParams({ ...current, range: $('pair-range').value });
      history.replaceState(null, '', '#/pair?' + p.toString());
      PM.app.noteHash(location.hash);
      current.range = Number($('pair-range').value);
      load();
    });
    let timer = 0;
    window.addEventListener('resize', () => {
      clearTimeout(timer);
      timer = setTimeout(() => { if (ready && current && !$('view-pair').hidden) load(); }, 300);
    });
  }

  return { init, show, hide, get ready() { return ready; }, get result() { return lastResult; }, get current() { return current; } };
})();
