// The collector's JSON API, same origin. Every call resolves (never rejects) to
// {ok, status, data, error, aborted}, so no view can leave an unhandled rejection behind.
'use strict';
window.PM = window.PM || {};

PM.api = (() => {
  let pending = 0;
  const TOKEN_KEY = 'pingmesh.ui.token';

  function query(params) {
    const parts = [];
    for (const [k, v] of Object.entries(params || {})) {
      if (v == null || v === '') continue;
      parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(v));
    }
    return parts.length ? '?' + parts.join('&') : '';
  }

  /** The human message of an error body, whatever its shape. */
  function errorMessage(body, status) {
    if (body == null || body === '') return 'HTTP ' + status;
    if (typeof body === 'string') return body.trim().slice(0, 500) || 'HTTP ' + status;
    if (typeof body.error === 'string') return body.error;
    if (body.error && typeof body.error.message === 'string') return body.error.message;
    if (typeof body.message === 'string') return body.message;
    if (typeof body.reason === 'string') return body.reason;
    try { return JSON.stringify(body).slice(0, 500); } catch (e) { return 'HTTP ' + status; }
  }

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
  }
  function setToken(value) {
    try {
      if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage disabled: the token lives only in the field */ }
  }

  // `pingmesh up` prints the UI's address with #token=ADMIN_TOKEN: the token is kept for this
  // tab's admin operations (faults, probes) and taken out of the address bar and history.
  (function tokenFromAddress() {
    const m = (location.hash || '').match(/^#token=([^&/]+)$/);
    if (!m) return;
    setToken(decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  })();

  async function request(method, path, { params, body, signal, auth } = {}) {
    const url = path + query(params);
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth && token()) headers.Authorization = 'Bearer ' + token();
    pending++;
    try {
      const early = method === 'GET' && PM.boot ? PM.boot.claim(url) : null;
      const response = await (early || fetch(url, {
        method, headers, signal, cache: 'no-store',
        body: body === undefined ? undefined : JSON.stringify(body),
      }));
      const text = await response.text();
      const parsing = performance.now();
      let data = null;
      if (text) {
        try { data = JSON.parse(text); } catch (e) { data = text; }
      }
      const parseMs = performance.now() - parsing;
      if (!response.ok) {
        return { ok: false, status: response.status, data, error: errorMessage(data, response.status), url };
      }
      return { ok: true, status: response.status, data, url, parseMs, bytes: text.length };
    } catch (e) {
      if (e && e.name === 'AbortError') return { ok: false, aborted: true, status: 0, error: 'aborted', url };
      return { ok: false, status: 0, error: 'the collector does not answer (' + (e && e.message || e) + ')', url };
    } finally {
      pending--;
    }
  }

  return {
    get: (path, params, options) => request('GET', path, { ...(options || {}), params }),
    post: (path, body, options) => request('POST', path, { ...(options || {}), body, auth: true }),
    del: (path, options) => request('DELETE', path, { ...(options || {}), auth: true }),
    errorMessage, query, token, setToken,
    get pending() { return pending; },
  };
})();
