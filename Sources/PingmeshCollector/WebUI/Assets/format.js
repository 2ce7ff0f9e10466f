// Formatting and small DOM helpers shared by every view.
'use strict';
window.PM = window.PM || {};

PM.fmt = (() => {
  const pad = (n) => String(n).padStart(2, '0');

  /** Seconds to "1.23 ms" (latencies arrive in seconds). */
  function ms(seconds) {
    if (seconds == null || !isFinite(seconds)) return '–';
    const v = seconds * 1000;
    if (v >= 1000) return (v / 1000).toFixed(2) + ' s';
    if (v >= 100) return v.toFixed(0) + ' ms';
    if (v >= 10) return v.toFixed(1) + ' ms';
    if (v >= 1) return v.toFixed(2) + ' ms';
    return v.toFixed(3) + ' ms';
  }

  /** A 0..1 ratio as a percentage with enough digits for 1e-4. */
  function pct(ratio) {
    if (ratio == null || !isFinite(ratio)) return '–';
    const v = ratio * 100;
    if (v === 0) return '0%';
    if (v >= 10) return v.toFixed(1) + '%';
    if (v >= 1) return v.toFixed(2) + '%';
    if (v >= 0.01) return v.toFixed(3) + '%';
    return v.toPrecision(2) + '%';
  }

  /** A threshold with its unit and no trailing zeros: "4 ms", "0.1%". */
  function threshold(statistic, v) {
    const n = statistic === 'loss' ? v * 100 : v * 1000;
    return String(parseFloat(n.toPrecision(4))) + (statistic === 'loss' ? '%' : ' ms');
  }

  /** A statistic's value with its unit. */
  function value(statistic, v) {
    return statistic === 'loss' ? pct(v) : ms(v);
  }

  /** Unix seconds to local "HH:MM" (with the date when not today). */
  function time(unixSeconds, withSeconds) {
    if (unixSeconds == null) return '–';
    const d = new Date(unixSeconds * 1000);
    const hm = pad(d.getHours()) + ':' + pad(d.getMinutes()) + (withSeconds ? ':' + pad(d.getSeconds()) : '');
    const today = new Date();
    if (d.toDateString() === today.toDateString()) return hm;
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + hm;
  }

  /** A duration in seconds as "45 s", "3 min", "2 h 5 min". */
  function age(seconds) {
    if (seconds == null || !isFinite(seconds)) return '–';
    if (seconds < 1) return seconds.toFixed(1) + ' s';
    if (seconds < 90) return Math.round(seconds) + ' s';
    if (seconds < 5400) return Math.round(seconds / 60) + ' min';
    const h = Math.floor(seconds / 3600);
    if (h < 48) return h + ' h ' + Math.round((seconds - h * 3600) / 60) + ' min';
    return Math.round(seconds / 86400) + ' d';
  }

  function count(n) {
    return n == null ? '–' : Number(n).toLocaleString('en-US');
  }

  const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
  /** Natural order: dc1-tor2 before dc1-tor10. */
  const compare = (a, b) => collator.compare(a, b);

  /** Creates an element: el('td', {class: 'x', text: 'y'}, child, ...). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v == null || v === false) continue;
        if (k === 'text') node.textContent = v;
        else if (k === 'class') node.className = v;
        else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
        else if (k === 'dataset') Object.assign(node.dataset, v);
        else node.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const child of children.flat()) {
      if (child == null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const levelNames = { dc: 'data centers', podset: 'podsets', pod: 'pods', tor: 'ToRs', server: 'servers' };
  const levelName = (level) => levelNames[level] || level;
  const statisticNames = { p50: 'P50', p90: 'P90', p99: 'P99', 'p99.9': 'P99.9', loss: 'loss' };
  const statisticName = (s) => statisticNames[s] || s;

  return { ms, pct, value, threshold, time, age, count, compare, el, levelName, statisticName };
})();
