#!/usr/bin/env python3
"""Heatmap benchmark: time to first paint and to redraw for a 1,000 x 1,000 server matrix.

    python3 Benchmarks/WebUI/heatmap_bench.py [--runs 7] [--servers 1000] [--density 1] [--transport http|route] [--base-url URL]

How it runs: the UI's files are served by a small HTTP server this script starts on 127.0.0.1
(`/` is index.html, `/ui/NAME` is Sources/PingmeshCollector/WebUI/Assets/NAME, as the collector
maps them), or by a running collector given with --base-url. Every API call (/v1/matrix,
/v1/agents, /v1/incidents, /v1/faults) is caught by Playwright's page.route and answered with
synthetic data: 1,000 servers (2 DCs x 5 podsets x 5 ToRs x 20 servers, 5 agents down) and a
server matrix with every ordered pair, 1M cells (about 75 MB of JSON in the collector's exact
shape, 1% of cells unreachable). The matrix body itself: with --transport http (the default)
page.route passes the request on to the local HTTP server, which sends the synthetic matrix as a
collector would; with --transport route page.route fulfils it through the DevTools protocol
(base64 over a websocket), which at 75 MB takes seconds or kills the page, so use it with fewer
servers (e.g. --servers 400). --transport http needs the local server (no --base-url).

Measured in the page (performance.now(), from the page's read-only test hook window.pingmeshUI):
- first paint: navigation start to the end of the first heatmap paint with data, in a fresh
  page each run; with its parts (request to parsed JSON, of which JSON.parse; grid build;
  classification; canvas paint);
- redraw: a threshold change typed into the page (an `input` event on the "green below" field),
  which reclassifies and repaints all 1M cells without fetching: the synchronous JS time, and
  the time until the next frame after it (two requestAnimationFrame callbacks).
Prints medians over --runs runs (7 by default) and the ratio to the targets (first paint < 1 s,
redraw < 100 ms); a ratio below 1 meets the target.

Chromium is /usr/bin/chromium, headless, --no-sandbox, viewport 1366x768.
"""
import argparse
import functools
import http.server
import json
import os
import random
import statistics
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ASSETS = os.path.join(ROOT, "Sources", "PingmeshCollector", "WebUI", "Assets")
TYPES = {"html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"}
FIRST_PAINT_TARGET_MS = 1000.0
REDRAW_TARGET_MS = 100.0


def synthetic(servers, density=1.0, seed=7):
    """Agents and a server matrix (every ordered pair, or a random `density` share of them) in
    the collector's JSON shapes."""
    rnd = random.Random(seed)
    per_tor, tors_per_podset, podsets_per_dc = 20, 5, 5
    names, agents = [], []
    now = time.time()
    for i in range(servers):
        tor = i // per_tor
        podset = tor // tors_per_podset
        dc = podset // podsets_per_dc
        d = "dc%d" % (dc + 1)
        name = "srv-%04d" % i
        names.append(name)
        down = i % 200 == 17  # 5 agents of 1,000 stopped reporting
        since = 600.0 if down else 4.0
        agents.append({"name": name, "version": "0.1.0", "pinglist_version": "bench", "last_upload": int((now - since) * 1000),
                       "upload_lag_seconds": 0.3, "seconds_since_upload": since,
                       "labels": {"region": "bench", "dc": d, "podset": "%s-podset%d" % (d, podset + 1),
                                  "pod": "%s-pod%d" % (d, tor + 1), "tor": "%s-tor%d" % (d, tor + 1)}})
    # Cells: sortedKeys like the collector's encoder; an unreachable cell has no "value".
    parts = []
    columns = {"destination": [], "failed": [], "probes": [], "source": [], "value": []}

    def column_cell(s, t, value, probes, failed):
        columns["source"].append(str(s))
        columns["destination"].append(str(t))
        columns["value"].append("null" if value is None else str(round(value * 1e6)))
        columns["probes"].append(str(probes))
        columns["failed"].append(str(failed))

    for s in range(servers):
        for t in range(servers):
            if density < 1.0 and rnd.random() >= density:
                continue
            probes = 6
            roll = rnd.random()
            if roll < 0.01:
                parts.append('{"destination":%d,"failed":%d,"probes":%d,"source":%d}' % (t, probes, probes, s))
                column_cell(s, t, None, probes, probes)
            else:
                value = round(rnd.uniform(0.0002, 0.0065), 6)  # the collector's sketch values are whole microseconds
                failed = 1 if roll > 0.995 else 0
                parts.append('{"destination":%d,"failed":%d,"probes":%d,"source":%d,"value":%r}' % (t, failed, probes, s, value))
                column_cell(s, t, value, probes, failed)
    # Keys sorted like the collector's encoder: cells, destinations, from, level, resolution, ...
    tail = {"destinations": names, "from": int(now) - 900, "level": "server", "resolution": "1m",
            "sources": names, "statistic": "p99", "to": int(now)}
    body = '{"cells":[' + ",".join(parts) + "]," + json.dumps(tail, separators=(",", ":"))[1:]
    # The layout the page asks for (layout=columns), as the collector writes it: the header, then
    # the cells as parallel arrays.
    header = json.dumps(dict(tail, value_unit="microseconds"), separators=(",", ":"), sort_keys=True)[:-1]
    body_columns = header + ',"columns":{' + ",".join('"%s":[%s]' % (k, ",".join(v)) for k, v in columns.items()) + "}}"
    return agents, body.encode(), body_columns.encode()


class AssetServer(http.server.BaseHTTPRequestHandler):
    """Serves the UI's files as the collector does, and the matrix for --transport http."""
    matrix = b""
    matrix_columns = b""

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path.split("?")[0]
        if path.startswith("/v1/matrix"):
            columns = "layout=columns" in self.path
            return self.reply(200, self.matrix_columns if columns else self.matrix, "application/json")
        name = "index.html" if path == "/" else path[len("/ui/"):] if path.startswith("/ui/") else ""
        file = os.path.join(ASSETS, name)
        if not name or "/" in name or not os.path.isfile(file):
            return self.reply(404, b'{"error":{"message":"not found"}}', "application/json")
        with open(file, "rb") as handle:
            self.reply(200, handle.read(), TYPES.get(name.rsplit(".", 1)[-1], "application/octet-stream"))

    def reply(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(body)


def main():
    parser = argparse.ArgumentParser(description="Heatmap first paint and redraw at 1,000 x 1,000.")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--density", type=float, default=1.0,
                        help="share of server pairs with a cell (1: every pair; a pinglist gives far fewer)")
    parser.add_argument("--base-url", help="a collector serving the UI (default: a local asset server)")
    parser.add_argument("--screenshot", help="save the first run's heatmap to this PNG")
    parser.add_argument("--transport", choices=["http", "route"], default="http",
                        help="http: page.route passes the matrix request to the local server; route: page.route fulfils it")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    t0 = time.time()
    agents, matrix, matrix_columns = synthetic(args.servers, args.density)
    print("synthetic matrix: %d x %d servers, %d cells, %.1f MB of JSON as cells, %.1f MB as columns (the page's layout; built in %.1f s)"
          % (args.servers, args.servers, matrix.count(b'"probes"'), len(matrix) / 1e6, len(matrix_columns) / 1e6, time.time() - t0))
    server = None
    if args.base_url:
        base = args.base_url.rstrip("/")
        if args.transport == "http":
            parser.error("--transport http needs the local asset server: add --transport route (and fewer --servers)")
    else:
        AssetServer.matrix = matrix
        AssetServer.matrix_columns = matrix_columns
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AssetServer)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = "http://127.0.0.1:%d" % server.server_address[1]
    agents_body = json.dumps({"agents": agents}).encode()

    def api(route, request):
        path = request.url.split("?")[0]
        if path.endswith("/v1/matrix"):
            if args.transport == "http":
                return route.continue_()
            body = matrix_columns if "layout=columns" in request.url else matrix
            return route.fulfill(status=200, body=body, headers={"Content-Type": "application/json"})
        if path.endswith("/v1/agents"):
            return route.fulfill(status=200, body=agents_body, headers={"Content-Type": "application/json"})
        if path.endswith("/v1/incidents"):
            return route.fulfill(status=200, body=b'{"analyzed_through":null,"incidents":[]}', headers={"Content-Type": "application/json"})
        if path.endswith("/v1/faults"):
            # A collector without fault injection; 200 avoids the browser's 404 console line.
            return route.fulfill(status=200, body=b'{"enabled":false,"faults":[]}', headers={"Content-Type": "application/json"})
        return route.fulfill(status=404, body=b'{"error":{"message":"not in the benchmark"}}', headers={"Content-Type": "application/json"})

    first, parts, redraw_js, redraw_frame = [], [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"], headless=True)
        for run in range(args.runs):
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            # With --transport http the matrix request is not intercepted at all: interception
            # (even a plain continue) slows a large body to a crawl.
            if args.transport == "http":
                for path in ("agents", "incidents", "faults"):
                    page.route("**/v1/%s*" % path, api)
            else:
                page.route("**/v1/**", api)
            page.goto(base + "/#/heatmap?level=server&statistic=p99&range=900")
            page.wait_for_function("() => window.pingmeshUI && window.pingmeshUI.heatmapState({maxCells: 0}).cellCount > 0", timeout=120000)
            s = page.evaluate("() => window.pingmeshUI.heatmapState({maxCells: 0})")
            net = page.evaluate("""() => Object.fromEntries(performance.getEntriesByType('resource')
                .filter((e) => e.name.includes('/v1/matrix') || e.name.includes('/v1/agents'))
                .map((e) => [e.name.includes('/v1/matrix') ? 'matrix' : 'agents',
                             [Math.round(e.startTime), Math.round(e.responseStart), Math.round(e.responseEnd)]]))""")
            t = s["timings"]
            first.append(t["paintedAt"])
            if args.screenshot and run == 0:
                page.screenshot(path=args.screenshot)
            parts.append(t)
            # Redraw: type a new "green below" threshold (reclassify and repaint everything).
            timing = page.evaluate("""async () => {
                const input = document.getElementById('th-lat-good');
                const samples = [];
                for (const v of ['3.5', '4']) {
                  const t0 = performance.now();
                  input.value = v;
                  input.dispatchEvent(new Event('input', {bubbles: true}));
                  const t1 = performance.now();
                  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
                  samples.push([t1 - t0, performance.now() - t0]);
                }
                return samples;
            }""")
            for js_ms, frame_ms in timing:
                redraw_js.append(js_ms)
                redraw_frame.append(frame_ms)
            print("run %d: first paint %.0f ms (page ready and request sent at %.0f; request to parsed matrix %.0f, of which parsing %.0f; build %.0f; classify %.0f; paint %.0f); "
                  "redraw %.1f ms JS, %.1f ms to next frame; grid %d x %d, canvas %d x %d%s"
                  % (run + 1, t["paintedAt"], t["requestAt"], t["fetchMs"], t.get("parseMs") or 0, t["buildMs"], t["classifyMs"], t["paintMs"],
                     timing[0][0], timing[0][1], len(s["sources"]), len(s["destinations"]), s["canvas"]["width"], s["canvas"]["height"],
                     ("; errors: %s" % errors) if errors else ""))
            print("       network (start, first byte, last byte): %s" % net)
            page.close()
        browser.close()
    if server:
        server.shutdown()

    med = statistics.median
    fp = med(first)
    in_page = med([p["buildMs"] + p["classifyMs"] + p["paintMs"] + (p.get("parseMs") or 0) for p in parts])
    print()
    print("transport: %s; %d runs; medians:" % (args.transport, args.runs))
    print("  first paint (navigation to painted):        %7.0f ms   target %4.0f ms   ratio %.2f"
          % (fp, FIRST_PAINT_TARGET_MS, fp / FIRST_PAINT_TARGET_MS))
    print("    of which loading the page to the request: %7.0f ms" % med([p["requestAt"] for p in parts]))
    print("    of which request to parsed matrix:        %7.0f ms" % med([p["fetchMs"] for p in parts]))
    print("    of which parsing %.0f MB (columns):        %7.0f ms" % (len(matrix_columns) / 1e6, med([p.get("parseMs") or 0 for p in parts])))
    print("    parsing + build + classify + paint:       %7.0f ms   ratio %.2f" % (in_page, in_page / FIRST_PAINT_TARGET_MS))
    print("    build %.0f ms, classify %.0f ms, paint %.0f ms"
          % (med([p["buildMs"] for p in parts]), med([p["classifyMs"] for p in parts]), med([p["paintMs"] for p in parts])))
    rj, rf = med(redraw_js), med(redraw_frame)
    print("  redraw (threshold change, JS):              %7.1f ms   target %4.0f ms   ratio %.2f" % (rj, REDRAW_TARGET_MS, rj / REDRAW_TARGET_MS))
    print("  redraw to next frame:                       %7.1f ms   target %4.0f ms   ratio %.2f" % (rf, REDRAW_TARGET_MS, rf / REDRAW_TARGET_MS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
