// Reads GET /v1/matrix into typed arrays. The page asks for the columns layout (parallel arrays,
// about 23 MB for a million cells, one JSON.parse). The cells layout (objects, about 75 MB for a
// million) is read as it streams in: each chunk's complete cells parsed (with JSON.parse, so
// numbers are exactly JSON's) while the rest is still on the wire. Anything unexpected (a cell
// that is not a flat object) falls back to one JSON.parse of the whole body.
'use strict';
window.PM = window.PM || {};

PM.matrixReader = (() => {
  const WS = new Uint8Array(256);
  for (const c of [0x20, 0x09, 0x0a, 0x0d]) WS[c] = 1;
  const NEED_MORE = -1;
  const decoder = new TextDecoder();

  class Unsupported extends Error {}

  /** Cells as columns; grows by doubling. */
  class Columns {
    constructor() { this.count = 0; this.alloc(4096); }
    alloc(n) {
      const grow = (Old, a) => { const b = new Old(n); if (a) b.set(a.subarray(0, this.count)); return b; };
      this.source = grow(Int32Array, this.source);
      this.destination = grow(Int32Array, this.destination);
      this.value = grow(Float64Array, this.value);
      this.probes = grow(Float64Array, this.probes);
      this.failed = grow(Float64Array, this.failed);
      this.resent = grow(Float64Array, this.resent);
      this.capacity = n;
    }
    push(s, d, v, p, f, r) {
      if (this.count === this.capacity) this.alloc(this.capacity * 2);
      const i = this.count++;
      this.source[i] = s; this.destination[i] = d; this.value[i] = v; this.probes[i] = p; this.failed[i] = f; this.resent[i] = r;
    }
    seal() {
      const n = this.count;
      return {
        count: n, source: this.source.subarray(0, n), destination: this.destination.subarray(0, n),
        value: this.value.subarray(0, n), probes: this.probes.subarray(0, n), failed: this.failed.subarray(0, n),
        resent: this.resent.subarray(0, n),
      };
    }
  }

  class Parser {
    constructor() {
      this.state = 'start';
      this.result = {};
      this.columns = new Columns();
      this.rest = null;
      this.key = null;
    }

    push(chunk) {
      let buf = chunk;
      if (this.rest && this.rest.length) {
        buf = new Uint8Array(this.rest.length + chunk.length);
        buf.set(this.rest);
        buf.set(chunk, this.rest.length);
      }
      const stop = this.run(buf);
      this.rest = stop < buf.length ? buf.slice(stop) : null;
    }

    finish() {
      if (this.state !== 'done') throw new Unsupported('truncated matrix');
      return { ...this.result, cells: this.columns.seal() };
    }

    /** Consumes what it can of `buf`; returns where it stopped. */
    run(buf) {
      let i = 0;
      const n = buf.length;
      for (;;) {
        while (i < n && WS[buf[i]]) i++;
        if (i >= n) return i;
        const c = buf[i];
        switch (this.state) {
          case 'start':
            if (c !== 0x7b) throw new Unsupported('not an object');
            i++;
            this.state = 'key';
            break;
          case 'key': {
            if (c === 0x2c) { i++; break; }
            if (c === 0x7d) { i++; this.state = 'done'; break; }
            if (c !== 0x22) throw new Unsupported('expected a key');
            const end = stringEnd(buf, i + 1);
            if (end === NEED_MORE) return i;
            let j = end + 1;
            while (j < n && WS[buf[j]]) j++;
            if (j >= n) return i;
            if (buf[j] !== 0x3a) throw new Unsupported('expected :');
            j++;
            while (j < n && WS[buf[j]]) j++;
            if (j >= n) return i;
            this.key = JSON.parse(decoder.decode(buf.subarray(i, end + 1)));
            if (this.key === 'cells' && buf[j] === 0x5b) { this.state = 'cells'; i = j + 1; } else { this.state = 'value'; i = j; }
            break;
          }
          case 'value': {
            const end = valueEnd(buf, i);
            if (end === NEED_MORE) return i;
            this.result[this.key] = JSON.parse(decoder.decode(buf.subarray(i, end)));
            i = end;
            this.state = 'key';
            break;
          }
          case 'cells': {
            const stop = this.cells(buf, i);
            if (stop < 0) { i = -stop - 1; this.state = 'key'; break; }
            return stop;
          }
          case 'done':
            throw new Unsupported('data after the end');
        }
      }
    }

    /**
     * Reads the complete cells from `i` with one JSON.parse per chunk (cells are flat objects of
     * numbers, so the last '}' before any ']' ends a complete cell); returns where it stopped
     * (needs more), or -(index after the array's ']') - 1.
     */
    cells(buf, i) {
      const n = buf.length, cols = this.columns;
      while (i < n && (WS[buf[i]] || buf[i] === 0x2c)) i++;
      if (i >= n) return i;
      const close = buf.indexOf(0x5d, i);
      const limit = close >= 0 ? close : n;
      const last = limit > i ? buf.lastIndexOf(0x7d, limit - 1) : -1;
      if (last >= i) {
        if (buf[i] !== 0x7b) throw new Unsupported('expected a cell');
        const list = JSON.parse('[' + decoder.decode(buf.subarray(i, last + 1)) + ']');
        for (let k = 0; k < list.length; k++) {
          const c = list[k];
          cols.push(c.source ?? -1, c.destination ?? -1, c.value == null ? NaN : c.value, c.probes || 0, c.failed || 0, c.syn_retransmits || 0);
        }
        i = last + 1;
        while (i < n && (WS[buf[i]] || buf[i] === 0x2c)) i++;
      }
      if (close >= 0 && i === close) return -(close + 1) - 1;
      if (close >= 0 && last < i && i < close) throw new Unsupported('unexpected cell');
      return i;
    }
  }

  /** Index of the closing quote of a string whose body starts at `i`, or NEED_MORE. */
  function stringEnd(buf, i) {
    const n = buf.length;
    while (i < n) {
      const c = buf[i];
      if (c === 0x22) return i;
      i += c === 0x5c ? 2 : 1;
    }
    return NEED_MORE;
  }

  /** End (exclusive) of the JSON value at `i` at the top level, or NEED_MORE. */
  function valueEnd(buf, i) {
    const n = buf.length;
    let depth = 0;
    for (; i < n; i++) {
      const c = buf[i];
      if (c === 0x22) { i = stringEnd(buf, i + 1); if (i === NEED_MORE) return NEED_MORE; if (depth === 0) return i + 1; }
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) { if (depth === 0) return i; depth--; if (depth === 0) return i + 1; }
      else if (c === 0x2c && depth === 0) return i;
    }
    return NEED_MORE;
  }

  /**
   * The columns layout (`layout=columns`): parallel arrays, one JSON.parse, then typed arrays.
   * A null value (every probe failed) becomes NaN, as in the streaming path.
   */
  async function readColumns(response, startedAt) {
    // response.json() parses from the bytes, without a 17 MB string in between.
    const t = performance.now();
    const data = await response.json();
    const bytes = Number(response.headers.get('Content-Length')) || 0;
    const c = data.columns || {};
    const n = Array.isArray(c.source) ? c.source.length : 0;
    // Latencies come as whole microseconds (value_unit), the page works in seconds.
    const scale = data.value_unit === 'microseconds' ? 1e-6 : 1;
    const value = new Float64Array(n);
    for (let i = 0; i < n; i++) { const v = c.value[i]; value[i] = v == null ? NaN : v * scale; }
    data.cells = {
      count: n, source: Int32Array.from(c.source || []), destination: Int32Array.from(c.destination || []), value,
      probes: Float64Array.from(c.probes || []), failed: Float64Array.from(c.failed || []),
      resent: c.syn_retransmits ? Float64Array.from(c.syn_retransmits) : new Float64Array(n),
    };
    delete data.columns;
    return { ok: true, status: response.status, data, parseMs: performance.now() - t, bytes, startedAt };
  }

  /** Cells given as JSON.parse objects, as columns (the fallback path). */
  function columnsOf(cells) {
    const cols = new Columns();
    for (const c of Array.isArray(cells) ? cells : []) {
      cols.push(c.source ?? -1, c.destination ?? -1, c.value == null ? NaN : c.value, c.probes || 0, c.failed || 0, c.syn_retransmits || 0);
    }
    return cols.seal();
  }

  /**
   * GET `url` and read the matrix: resolves to {ok, status, data, error, aborted, parseMs, bytes}
   * like PM.api.get, with data.cells as columns {count, source, destination, value (NaN: none),
   * probes, failed}.
   */
  async function fetchMatrix(url, { signal } = {}) {
    let response;
    const startedAt = performance.now();
    try {
      response = await fetch(url, { signal, cache: 'no-store', headers: { Accept: 'application/json' } });
    } catch (e) {
      if (e && e.name === 'AbortError') return { ok: false, aborted: true, status: 0, error: 'aborted' };
      return { ok: false, status: 0, error: 'the collector does not answer (' + (e && e.message || e) + ')' };
    }
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => '');
      let data = text;
      try { data = JSON.parse(text); } catch (e) { /* plain text */ }
      return { ok: response.ok, status: response.status, data, error: errorMessage(data, response.status) };
    }
    if (/[?&]layout=columns(&|$)/.test(url)) return readColumns(response, startedAt);
    const parser = new Parser();
    let parseMs = 0, bytes = 0;
    try {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (signal && signal.aborted) {
          reader.cancel().catch(() => {});
          return { ok: false, aborted: true, status: 0, error: 'aborted' };
        }
        bytes += value.length;
        const t = performance.now();
        parser.push(value);
        parseMs += performance.now() - t;
      }
      const t = performance.now();
      const data = parser.finish();
      parseMs += performance.now() - t;
      return { ok: true, status: response.status, data, parseMs, bytes, startedAt };
    } catch (e) {
      if (e && e.name === 'AbortError') return { ok: false, aborted: true, status: 0, error: 'aborted' };
      if (!(e instanceof Unsupported) && !(e instanceof SyntaxError)) {
        return { ok: false, status: 0, error: 'reading the matrix failed (' + (e && e.message || e) + ')' };
      }
      // An unexpected shape: read it again the plain way (api.js, loaded by now).
      const res = await PM.api.get(url, null, { signal });
      if (res.ok && res.data && typeof res.data === 'object') res.data = { ...res.data, cells: columnsOf(res.data.cells) };
      return res;
    }
  }

  // This file loads before the rest of the page (api.js may not be there yet).
  const errorMessage = (data, status) => (PM.api ? PM.api.errorMessage(data, status) : 'HTTP ' + status);

  // Read the first matrix now, while the rest of the page loads.
  const first = PM.boot && PM.boot.firstMatrixURL;
  if (first) PM.boot.adopt(first, (signal) => fetchMatrix(first, { signal }));

  return { fetch: fetchMatrix, Parser, columnsOf };
})();
