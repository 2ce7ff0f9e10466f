// Time-series line charts as inline SVG, with a readout of the values under the pointer.
'use strict';
window.PM = window.PM || {};

PM.chart = (() => {
  const NS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) node.setAttribute(k, String(v));
    return node;
  }

  /** About `count` round steps covering 0..max. */
  function ticks(max, count) {
    const raw = max / count;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) || raw;
    const out = [0];
    while (out[out.length - 1] < max - step * 1e-9) out.push(out.length * step);
    return out;
  }

  function timeTicks(from, to, count) {
    const span = Math.max(60, to - from);
    const steps = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
    const step = steps.find((s) => span / s <= count) || 86400;
    const out = [];
    for (let t = Math.ceil(from / step) * step; t <= to; t += step) out.push(t);
    return out;
  }

  /**
   * Draws `series` ({label, colour, dash, value(point)}) of `points` (each with `window`, Unix
   * seconds) between `from` and `to` into `container`; values go through `format` for the axis
   * and readout, `scale` maps a raw value to the plotted number (e.g. seconds to ms).
   */
  function lines(container, options) {
    const { points, series, from, to, format, thresholds = [], label = 'chart', step = 60 } = options;
    container.replaceChildren();
    const width = Math.max(320, container.clientWidth || 800), height = options.height || 220;
    const m = { l: 64, r: 16, t: 12, b: 28 };
    const pw = width - m.l - m.r, ph = height - m.t - m.b;
    let max = 0, present = 0;
    for (const p of points) for (const s of series) {
      const v = s.value(p);
      if (v != null && isFinite(v)) { max = Math.max(max, v); present++; }
    }
    for (const t of thresholds) max = Math.max(max, t.value);
    if (!(max > 0)) max = 1;
    const yTicks = ticks(max * 1.05, 4);
    const yMax = yTicks[yTicks.length - 1] || max;
    const X = (t) => m.l + ((t - from) / Math.max(1, to - from)) * pw;
    const Y = (v) => m.t + ph - (v / yMax) * ph;

    const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'chart-svg' });
    const axis = svg('g', { class: 'axis' });
    for (const v of yTicks) {
      axis.append(svg('line', { x1: m.l, x2: m.l + pw, y1: Y(v), y2: Y(v), class: 'gridline' }));
      const text = svg('text', { x: m.l - 6, y: Y(v), 'text-anchor': 'end', 'dominant-baseline': 'middle' });
      text.textContent = format(v);
      axis.append(text);
    }
    for (const t of timeTicks(from, to, Math.max(3, Math.floor(pw / 90)))) {
      axis.append(svg('line', { x1: X(t), x2: X(t), y1: m.t + ph, y2: m.t + ph + 4, class: 'tick' }));
      const text = svg('text', { x: X(t), y: height - 8, 'text-anchor': 'middle' });
      text.textContent = PM.fmt.time(t);
      axis.append(text);
    }
    axis.append(svg('line', { x1: m.l, x2: m.l + pw, y1: m.t + ph, y2: m.t + ph, class: 'baseline' }));
    root.append(axis);
    for (const t of thresholds) {
      root.append(svg('line', { x1: m.l, x2: m.l + pw, y1: Y(t.value), y2: Y(t.value), class: 'threshold', stroke: t.colour }));
      const text = svg('text', { x: m.l + pw - 4, y: Y(t.value) - 4, 'text-anchor': 'end', class: 'threshold-label' });
      text.textContent = t.label;
      root.append(text);
    }
    const sorted = [...points].sort((a, b) => a.window - b.window);
    for (const s of series) {
      // A gap in the data (missing window or null value) breaks the line.
      let d = '', prev = null;
      const dots = [];
      sorted.forEach((p, i) => {
        const v = s.value(p);
        if (v == null || !isFinite(v)) { prev = null; return; }
        const x = X(p.window + step / 2), y = Y(v);
        const joined = prev != null && p.window - prev <= step * 1.5;
        d += (joined ? 'L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1);
        const next = sorted[i + 1];
        const alone = !joined && (!next || s.value(next) == null || next.window - p.window > step * 1.5);
        if (alone) dots.push([x, y]);
        prev = p.window;
      });
      if (d) root.append(svg('path', { d, fill: 'none', stroke: s.colour, 'stroke-width': 2, 'stroke-dasharray': s.dash || null }));
      for (const [x, y] of dots) root.append(svg('circle', { cx: x, cy: y, r: 2.5, fill: s.colour }));
    }
    if (!present) {
      const text = svg('text', { x: m.l + pw / 2, y: m.t + ph / 2, 'text-anchor': 'middle', class: 'empty-label' });
      text.textContent = options.empty || 'no data in this range';
      root.append(text);
    }
    const cursor = svg('line', { y1: m.t, y2: m.t + ph, class: 'cursor', visibility: 'hidden' });
    root.append(cursor);

    const legend = PM.fmt.el('ul', { class: 'chart-legend' },
      series.map((s) => PM.fmt.el('li', null,
        PM.fmt.el('span', { class: 'line-swatch', style: `border-top: 3px ${s.dash ? 'dashed' : 'solid'} ${s.colour}`, 'aria-hidden': 'true' }), s.label)));
    const readout = PM.fmt.el('p', { class: 'readout muted', 'aria-live': 'off' }, 'Point at the chart for the values of a window.');
    root.addEventListener('mousemove', (event) => {
      if (!sorted.length) return;
      const rect = root.getBoundingClientRect();
      const t = from + ((event.clientX - rect.left - m.l) / pw) * (to - from) - step / 2;
      let best = sorted[0];
      for (const p of sorted) if (Math.abs(p.window - t) < Math.abs(best.window - t)) best = p;
      const x = X(best.window + step / 2);
      cursor.setAttribute('x1', x);
      cursor.setAttribute('x2', x);
      cursor.setAttribute('visibility', 'visible');
      readout.textContent = PM.fmt.time(best.window) + ' \u00b7 ' +
        series.map((s) => s.label + ' ' + (s.value(best) == null ? '–' : format(s.value(best)))).join(' \u00b7 ') +
        (options.extra ? ' \u00b7 ' + options.extra(best) : '');
    });
    root.addEventListener('mouseleave', () => cursor.setAttribute('visibility', 'hidden'));
    container.append(root, legend, readout);
  }

  return { lines };
})();
