// The colour scale: thresholds, palettes and how a cell is classified, persisted in
// localStorage. The legend is drawn from the same entries the heatmap paints with.
'use strict';
window.PM = window.PM || {};

PM.scale = (() => {
  const KEY = 'pingmesh.ui.scale.v1';
  // Pingmesh paper (Fig. 8): green under 4 ms, yellow 4-5 ms, red above 5 ms. Loss: the SLA is 1e-3.
  const DEFAULTS = { latencyGoodMs: 4, latencyBadMs: 5, lossGoodPct: 0.1, lossBadPct: 1, palette: 'paper' };

  const PALETTES = {
    paper: {
      label: 'Paper: green, yellow, red',
      good: '#1a9641', warn: '#ffd92f', bad: '#d7191c', unreachable: '#000000', nodata: '#ffffff',
      down: '#7f7f7f', highlight: '#1565c0', grid: '#e3e3e3',
    },
    safe: {
      label: 'Colour-blind safe: blue, orange, purple',
      good: '#2c7bb6', warn: '#fdae61', bad: '#762a83', unreachable: '#000000', nodata: '#ffffff',
      down: '#7f7f7f', highlight: '#00a087', grid: '#e3e3e3',
    },
  };

  // Class codes painted per cell.
  const NODATA = 0, GOOD = 1, WARN = 2, BAD = 3, UNREACHABLE = 4;
  const CLASS_NAMES = ['nodata', 'good', 'warn', 'bad', 'unreachable'];

  let current = load();
  const listeners = [];

  function load() {
    try {
      const saved = JSON.parse(localStorage.getItem(KEY) || 'null');
      if (saved && typeof saved === 'object') return sanitize({ ...DEFAULTS, ...saved });
    } catch (e) { /* unreadable: defaults */ }
    return { ...DEFAULTS };
  }

  function sanitize(s) {
    const num = (v, d) => (typeof v === 'number' && isFinite(v) && v >= 0 ? v : d);
    const out = {
      latencyGoodMs: num(s.latencyGoodMs, DEFAULTS.latencyGoodMs),
      latencyBadMs: num(s.latencyBadMs, DEFAULTS.latencyBadMs),
      lossGoodPct: Math.min(100, num(s.lossGoodPct, DEFAULTS.lossGoodPct)),
      lossBadPct: Math.min(100, num(s.lossBadPct, DEFAULTS.lossBadPct)),
      palette: PALETTES[s.palette] ? s.palette : DEFAULTS.palette,
    };
    if (out.latencyBadMs < out.latencyGoodMs) out.latencyBadMs = out.latencyGoodMs;
    if (out.lossBadPct < out.lossGoodPct) out.lossBadPct = out.lossGoodPct;
    return out;
  }

  function update(changes) {
    current = sanitize({ ...current, ...changes });
    try { localStorage.setItem(KEY, JSON.stringify(current)); } catch (e) { /* private mode */ }
    for (const fn of listeners) fn(current);
  }

  function reset() { update({ ...DEFAULTS }); }

  /** Thresholds in the statistic's raw unit (seconds, or a 0..1 ratio). */
  function thresholds(statistic) {
    if (statistic === 'loss') return { good: current.lossGoodPct / 100, bad: current.lossBadPct / 100 };
    return { good: current.latencyGoodMs / 1000, bad: current.latencyBadMs / 1000 };
  }

  /**
   * A cell's class. No cell: no data. Probes sent but every one failed (value null, or a loss
   * of 100%): unreachable. Otherwise green below `good`, yellow up to `bad` inclusive, red above.
   */
  function classify(statistic, value, probes, failed, t) {
    t = t || thresholds(statistic);
    if (value == null || Number.isNaN(value)) return probes > 0 ? UNREACHABLE : NODATA;
    if (probes > 0 && failed >= probes) return UNREACHABLE;
    if (value < t.good) return GOOD;
    if (value <= t.bad) return WARN;
    return BAD;
  }

  const palette = () => PALETTES[current.palette];

  /** "#rrggbb" to a little-endian RGBA uint32 for ImageData. */
  function rgba32(hex) {
    const n = parseInt(hex.slice(1), 16);
    return ((255 << 24) | ((n & 0xff) << 16) | (n & 0xff00) | ((n >> 16) & 0xff)) >>> 0;
  }

  /** Colours per class code, as uint32 for painting. */
  function classColours32() {
    const p = palette();
    return Uint32Array.from(CLASS_NAMES.map((c) => rgba32(p[c])));
  }

  /** The legend: one entry per class, with the raw value interval it covers. */
  function legend(statistic) {
    const p = palette();
    const t = thresholds(statistic);
    const fmt = (v) => PM.fmt.threshold(statistic, v);
    return [
      { cls: 'good', colour: p.good, label: 'below ' + fmt(t.good), lo: 0, hi: t.good, hiInclusive: false },
      { cls: 'warn', colour: p.warn, label: fmt(t.good) + ' to ' + fmt(t.bad), lo: t.good, hi: t.bad, hiInclusive: true },
      { cls: 'bad', colour: p.bad, label: 'above ' + fmt(t.bad), lo: t.bad, hi: Infinity, loInclusive: false },
      { cls: 'unreachable', colour: p.unreachable, label: 'unreachable: every probe failed' },
      { cls: 'nodata', colour: p.nodata, label: 'no data' },
      { cls: 'down', colour: p.down, label: 'agent down (hatched row and column)', hatched: true },
      { cls: 'highlight', colour: p.highlight, label: 'incident area (outlined)', outline: true },
    ];
  }

  return {
    DEFAULTS, PALETTES, CLASS_NAMES, NODATA, GOOD, WARN, BAD, UNREACHABLE,
    get current() { return current; },
    update, reset, thresholds, classify, palette, rgba32, classColours32, legend,
    onChange: (fn) => listeners.push(fn),
  };
})();
