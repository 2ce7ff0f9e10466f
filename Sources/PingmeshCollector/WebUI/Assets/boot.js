// Loaded first, before the other scripts: starts the heatmap's first /v1/agents and /v1/matrix
// requests at once (matrix-reader.js, loaded next, reads the matrix as it streams in), so a large
// matrix downloads and parses while the rest of the page loads. The page claims a request when it
// asks for the same URL; PM.boot.matrixRequest is the one place a matrix URL is made.
'use strict';
window.PM = window.PM || {};

PM.boot = (() => {
  const DEFAULTS = { level: 'tor', statistic: 'p99', range: 900 };
  const LEVELS = ['dc', 'podset', 'pod', 'tor', 'server'];
  const STATISTICS = ['p50', 'p90', 'p99', 'p99.9', 'loss'];
  const RANGES = [900, 3600, 21600, 86400];
  const OTHER_VIEWS = ['pair', 'incidents', 'agents', 'probe', 'faults'];

  /**
   * The /v1/matrix request for {level, statistic, range, at} at `now` (Unix seconds). "Now" ends
   * on a 30 s boundary, so going back up a drill-down finds the same URL in the cache; a replayed
   * minute reads the 1-minute rollup.
   */
  function matrixRequest(s, now) {
    const live = s.at == null;
    const to = live ? Math.floor(now / 30) * 30 : s.at + 60;
    const from = live ? to - s.range : s.at;
    const resolution = live ? null : '1m';
    // Columns: a third of the bytes of cell objects, and parsed several times faster.
    const query = new URLSearchParams({ level: s.level, statistic: s.statistic, from: String(from), to: String(to), layout: 'columns' });
    if (resolution) query.set('resolution', resolution);
    return { url: '/v1/matrix?' + query.toString(), level: s.level, statistic: s.statistic, from, to, resolution, live };
  }

  // Requests started early, by URL, until claimed: {response} (a fetch) or {result} (adopted).
  const early = new Map();
  let firstMatrix = null;

  /** Runs `run(signal)` for `url` now; its promise goes to whoever claims `url`. */
  function adopt(url, run) {
    const controller = new AbortController();
    const promise = run(controller.signal);
    promise.catch(() => {}); // whoever claims it sees the error; nobody else must
    early.set(url, { promise, controller });
  }

  try {
    const m = (location.hash || '').match(/^#\/([a-z]+)(?:\?(.*))?$/);
    if (!m || !OTHER_VIEWS.includes(m[1])) {
      const p = new URLSearchParams(m && m[2] ? m[2] : '');
      const at = p.get('at');
      firstMatrix = matrixRequest({
        level: LEVELS.includes(p.get('level')) ? p.get('level') : DEFAULTS.level,
        statistic: STATISTICS.includes(p.get('statistic')) ? p.get('statistic') : DEFAULTS.statistic,
        range: RANGES.includes(Number(p.get('range'))) ? Number(p.get('range')) : DEFAULTS.range,
        at: at && /^\d+$/.test(at) ? Number(at) : null,
      }, Math.floor(Date.now() / 1000));
      adopt('/v1/agents', (signal) => fetch('/v1/agents', { signal, cache: 'no-store', headers: { Accept: 'application/json' } }));
    }
  } catch (e) { /* no early requests: the page asks as usual */ }

  /**
   * The early request's promise for `url`, once (null if none). Asking for another matrix drops
   * the early one (a 30 s boundary passed, or the view changed).
   */
  function claim(url) {
    const mine = early.get(url);
    if (mine) { early.delete(url); return mine.promise; }
    if (url.startsWith('/v1/matrix?')) {
      for (const [key, other] of early) {
        if (!key.startsWith('/v1/matrix?')) continue;
        early.delete(key);
        other.controller.abort();
      }
    }
    return null;
  }

  /**
   * The early matrix request, once, for the heatmap's first load: it uses it (even when a 30 s
   * boundary passed since) if it shows the same level, statistic and time range.
   */
  function takeFirstMatrix() {
    const first = firstMatrix;
    firstMatrix = null;
    return first;
  }

  return {
    DEFAULTS, LEVELS, STATISTICS, RANGES, matrixRequest, adopt, claim, takeFirstMatrix,
    get firstMatrixURL() { return firstMatrix && firstMatrix.url; },
  };
})();
