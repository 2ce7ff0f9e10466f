// The heatmap canvas: a sources x destinations grid painted into one ImageData (no per-cell DOM
// or draw calls), labels in the left and top gutters, hit testing. Geometry is in device pixels
// and cells are whole pixels, so the pixel at a cell's centre is exactly the cell's colour.
'use strict';
window.PM = window.PM || {};

PM.HeatmapRenderer = class HeatmapRenderer {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.data = null;
    this.classes = new Uint8Array(0);
    this.geometry = null;
    this.highlight = { rows: new Set(), cols: new Set() };
    this.cursor = null; // {row, col} drawn when keyboard navigation is on
    this.timings = {};
  }

  /**
   * data: {rows, cols (names), statistic, values Float64Array (NaN: no value), probes and failed
   * Float64Array, has Uint8Array (1 where a cell exists), rowDown and colDown Uint8Array}; all
   * grids row-major, rows.length x cols.length.
   */
  setData(data) {
    this.data = data;
    this.classify();
  }

  classify() {
    const d = this.data;
    if (!d) return;
    const t0 = performance.now();
    const n = d.rows.length * d.cols.length;
    if (this.classes.length !== n) this.classes = new Uint8Array(n);
    const t = PM.scale.thresholds(d.statistic);
    const classify = PM.scale.classify;
    const { values, probes, failed, has, statistic } = d;
    const classes = this.classes;
    for (let i = 0; i < n; i++) {
      classes[i] = has[i] ? classify(statistic, values[i], probes[i], failed[i], t) : 0;
    }
    this.timings.classifyMs = performance.now() - t0;
  }

  /** Sizes the canvas to fit `width` x `height` CSS pixels, cells between 1 and 56 px. */
  layout(width, height) {
    const d = this.data;
    const dpr = window.devicePixelRatio || 1;
    const ctx = this.ctx;
    const fontPx = Math.round(12 * dpr);
    ctx.font = fontPx + 'px system-ui, -apple-system, "Segoe UI", sans-serif';
    const rowLabel = Math.min(170 * dpr, this.longest(d.rows)) + 18 * dpr;
    const colLabel = Math.min(130 * dpr, this.longest(d.cols)) + 14 * dpr;
    const x = Math.ceil(Math.max(rowLabel, 60 * dpr));
    const y = Math.ceil(Math.max(colLabel, 40 * dpr));
    const pad = Math.ceil(8 * dpr);
    const n = Math.max(1, d.rows.length), m = Math.max(1, d.cols.length);
    const fit = Math.min((width * dpr - x - pad) / m, (height * dpr - y - pad) / n);
    const cell = Math.max(1, Math.min(Math.floor(56 * dpr), Math.floor(fit)));
    const w = x + m * cell + pad, h = y + n * cell + pad;
    this.geometry = { x, y, cell, width: w, height: h, dpr, fontPx, rowLabel, colLabel };
    if (this.canvas.width !== w) this.canvas.width = w;
    if (this.canvas.height !== h) this.canvas.height = h;
    this.canvas.style.width = w / dpr + 'px';
    this.canvas.style.height = h / dpr + 'px';
    ctx.font = fontPx + 'px system-ui, -apple-system, "Segoe UI", sans-serif';
  }

  /** Width of the longest label (measuring only the longest few by length). */
  longest(names) {
    const ctx = this.ctx;
    const sample = names.length > 40 ? [...names].sort((a, b) => b.length - a.length).slice(0, 12) : names;
    let max = 0;
    for (const name of sample) max = Math.max(max, ctx.measureText(name).width);
    return max;
  }

  /** Paints everything: cells, hatching, labels, outlines. */
  render() {
    const d = this.data, g = this.geometry;
    if (!d || !g) return;
    const t0 = performance.now();
    const ctx = this.ctx;
    const p = PM.scale.palette();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, g.width, g.height);
    const n = d.rows.length, m = d.cols.length;
    if (n > 0 && m > 0) {
      this.paintCells(n, m, p);
      ctx.putImageData(this.image, g.x, g.y);
    }
    this.paintLabels(n, m, p);
    this.paintOutlines(n, m, p);
    this.timings.paintMs = performance.now() - t0;
  }

  paintCells(n, m, p) {
    const g = this.geometry, cs = g.cell;
    const W = m * cs, H = n * cs;
    if (!this.image || this.image.width !== W || this.image.height !== H) {
      this.image = this.ctx.createImageData(W, H);
      this.pixels = new Uint32Array(this.image.data.buffer);
    }
    const buf = this.pixels, classes = this.classes;
    const colours = PM.scale.classColours32();
    const gap = cs >= 8 ? 1 : 0;
    const grid = PM.scale.rgba32(p.grid);
    if (cs === 1) {
      for (let i = 0, total = n * m; i < total; i++) buf[i] = colours[classes[i]];
    } else {
      for (let r = 0; r < n; r++) {
        const top = r * cs * W, base = r * m;
        for (let c = 0; c < m; c++) {
          const start = top + c * cs;
          buf.fill(colours[classes[base + c]], start, start + cs - gap);
          if (gap) buf[start + cs - 1] = grid;
        }
        for (let y = 1; y < cs - gap; y++) buf.copyWithin(top + y * W, top, top + W);
        if (gap) buf.fill(grid, top + (cs - 1) * W, top + cs * W);
      }
    }
    // Agent down: hatch its row and column, leaving each cell's centre pixel its own colour.
    if (cs >= 3) {
      const hatch = PM.scale.rgba32(p.down);
      const mid = cs >> 1;
      const mark = (x, y) => {
        if ((x + y) % 6 < 2 && !(x % cs === mid && y % cs === mid)) buf[y * W + x] = hatch;
      };
      for (let r = 0; r < n; r++) {
        if (!this.data.rowDown[r]) continue;
        for (let y = r * cs; y < (r + 1) * cs; y++) for (let x = 0; x < W; x++) mark(x, y);
      }
      for (let c = 0; c < m; c++) {
        if (!this.data.colDown[c]) continue;
        for (let y = 0; y < H; y++) for (let x = c * cs; x < (c + 1) * cs; x++) mark(x, y);
      }
    }
  }

  hatchPattern(p) {
    if (this.pattern && this.patternColour === p.down) return this.pattern;
    const s = 6;
    const tile = document.createElement('canvas');
    tile.width = tile.height = s;
    const t = tile.getContext('2d');
    t.fillStyle = '#ececec';
    t.fillRect(0, 0, s, s);
    t.fillStyle = p.down;
    for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) if ((x + y) % 6 < 2) t.fillRect(x, y, 1, 1);
    this.pattern = this.ctx.createPattern(tile, 'repeat');
    this.patternColour = p.down;
    return this.pattern;
  }

  paintLabels(n, m, p) {
    const d = this.data, g = this.geometry, ctx = this.ctx, cs = g.cell, dpr = g.dpr;
    const hatch = this.hatchPattern(p);
    const lineH = g.fontPx + 2 * dpr;
    const rowStride = Math.max(1, Math.ceil(lineH / cs));
    const colStride = rowStride;
    const maxRow = g.x - 18 * dpr, maxCol = g.y - 14 * dpr;
    // Down bands first, under the text; with cells too small to hatch, a solid tick by the plot
    // still marks them.
    const band = Math.max(cs, 3 * dpr), off = (band - cs) / 2, tick = 6 * dpr;
    for (let r = 0; r < n; r++) {
      if (!d.rowDown[r]) continue;
      ctx.fillStyle = hatch;
      ctx.fillRect(0, g.y + r * cs - off, g.x - 2 * dpr, band);
      if (cs < 3) { ctx.fillStyle = p.down; ctx.fillRect(g.x - tick - 1, g.y + r * cs - off, tick, band); }
    }
    for (let c = 0; c < m; c++) {
      if (!d.colDown[c]) continue;
      ctx.fillStyle = hatch;
      ctx.fillRect(g.x + c * cs - off, 0, band, g.y - 2 * dpr);
      if (cs < 3) { ctx.fillStyle = p.down; ctx.fillRect(g.x + c * cs - off, g.y - tick - 1, band, tick); }
    }
    ctx.fillStyle = '#1f1f1f';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    // A label over a hatched band gets a white backing so it stays readable.
    const backing = (text, x, y, alignRight) => {
      const w = ctx.measureText(text).width + 4 * dpr, h = g.fontPx + 2 * dpr;
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(alignRight ? x - w + 2 * dpr : x - 2 * dpr, y - h / 2, w, h);
      ctx.fillStyle = '#1f1f1f';
    };
    for (let r = 0; r < n; r += rowStride) {
      const text = this.fit(d.rows[r], maxRow), x = g.x - 8 * dpr, y = g.y + r * cs + cs / 2;
      if (d.rowDown[r]) backing(text, x, y, true);
      ctx.fillText(text, x, y);
    }
    ctx.textAlign = 'left';
    for (let c = 0; c < m; c += colStride) {
      ctx.save();
      ctx.translate(g.x + c * cs + cs / 2, g.y - 8 * dpr);
      ctx.rotate(-Math.PI / 2);
      const text = this.fit(d.cols[c], maxCol);
      if (d.colDown[c]) backing(text, 0, 0, false);
      ctx.fillText(text, 0, 0);
      ctx.restore();
    }
    // Axis names in the corner.
    ctx.fillStyle = '#4a4a4a';
    ctx.font = 'italic ' + ctx.font;
    ctx.textAlign = 'left';
    ctx.fillText('to \u2192', 4 * dpr, g.y - 30 * dpr);
    ctx.fillText('from \u2193', 4 * dpr, g.y - 15 * dpr);
    ctx.font = g.fontPx + 'px system-ui, -apple-system, "Segoe UI", sans-serif';
  }

  /** A label cut to `max` pixels with an ellipsis. */
  fit(text, max) {
    const ctx = this.ctx;
    if (ctx.measureText(text).width <= max) return text;
    let lo = 0, hi = text.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ctx.measureText(text.slice(0, mid) + '\u2026').width <= max) lo = mid; else hi = mid - 1;
    }
    return text.slice(0, lo) + '\u2026';
  }

  paintOutlines(n, m, p) {
    const g = this.geometry, ctx = this.ctx, cs = g.cell, dpr = g.dpr;
    const W = m * cs, H = n * cs;
    ctx.strokeStyle = p.highlight;
    ctx.fillStyle = p.highlight;
    ctx.lineWidth = 2 * dpr;
    for (const r of this.highlight.rows) {
      if (r >= n) continue;
      ctx.fillRect(0, g.y + r * cs, 4 * dpr, Math.max(cs, 3));
      if (cs >= 4) ctx.strokeRect(g.x, g.y + r * cs, W, cs);
    }
    for (const c of this.highlight.cols) {
      if (c >= m) continue;
      ctx.fillRect(g.x + c * cs, 0, Math.max(cs, 3), 4 * dpr);
      if (cs >= 4) ctx.strokeRect(g.x + c * cs, g.y, cs, H);
    }
    if (this.cursor && this.cursor.row < n && this.cursor.col < m) {
      const x = g.x + this.cursor.col * cs, y = g.y + this.cursor.row * cs;
      const s = Math.max(cs, 4 * dpr);
      ctx.lineWidth = 2 * dpr;
      ctx.strokeStyle = '#000000';
      ctx.strokeRect(x - 1 * dpr, y - 1 * dpr, s + 2 * dpr, s + 2 * dpr);
      ctx.lineWidth = 1 * dpr;
      ctx.strokeStyle = '#ffffff';
      ctx.strokeRect(x - 2.5 * dpr, y - 2.5 * dpr, s + 5 * dpr, s + 5 * dpr);
    }
  }

  /** What lies under a point given in CSS pixels relative to the canvas. */
  hit(cssX, cssY) {
    const d = this.data, g = this.geometry;
    if (!d || !g) return null;
    const x = cssX * g.dpr, y = cssY * g.dpr;
    const n = d.rows.length, m = d.cols.length, cs = g.cell;
    const col = Math.floor((x - g.x) / cs), row = Math.floor((y - g.y) / cs);
    const inRows = row >= 0 && row < n, inCols = col >= 0 && col < m;
    if (inRows && inCols) return { kind: 'cell', row, col };
    if (inRows && x < g.x) return { kind: 'row', row };
    if (inCols && y < g.y) return { kind: 'col', col };
    return null;
  }

  /** A cell's centre pixel on the canvas (device pixels). */
  centre(row, col) {
    const g = this.geometry;
    return { x: g.x + col * g.cell + (g.cell >> 1), y: g.y + row * g.cell + (g.cell >> 1) };
  }

  /** A cell's box in CSS pixels relative to the canvas. */
  box(row, col) {
    const g = this.geometry;
    return { x: (g.x + col * g.cell) / g.dpr, y: (g.y + row * g.cell) / g.dpr, size: g.cell / g.dpr };
  }
};
