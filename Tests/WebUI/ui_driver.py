#!/usr/bin/env python3
"""Drives the collector's web UI in a real browser and reports what it saw, as one JSON object.

    python3 Tests/WebUI/ui_driver.py --base-url http://127.0.0.1:9320 --out DIR [--level tor] [--statistic p99]

Launches Debian's Chromium (/usr/bin/chromium, headless, --no-sandbox, 1366x768) with Playwright
for Python against a running collector, then:

- loads `/`, waits for the heatmap, sets --level/--statistic through the page's own selects;
- reads every cell with data back from the page's read-only test hook (window.pingmeshUI, see
  app.js) and from the canvas itself: the colour painted at the cell's centre (one getImageData of
  the whole canvas) and the colour the page's legend gives that value (legend entries from the DOM:
  their data-lo/data-hi bounds and swatch colour; classified here, not by the page);
- clicks a cell by its canvas coordinates and checks the new level and that the rows and columns
  are the children of the clicked pair (placement from GET /v1/agents);
- moves the replay slider and checks that a /v1/matrix request went out for that minute;
- opens the pair view (Shift+click), incidents (and "Show on heatmap" when there is one), agents
  (and sorts a column), and the probe form (probing the collector's own listener once);
- saves heatmap.png, drilldown.png, pair.png, incidents.png, agents.png (and probe.png) in --out.

Console errors and warnings, page errors, responses with status >= 500 and failed requests are
collected throughout; the one expected 404 (GET /v1/faults on a collector without fault injection)
is not counted. Prints {"console_errors", "heatmap", "drilldown", "slider", "views",
"screenshots", ...} on stdout and exits 0; exits 2 only when the browser cannot start (message on
stderr). A step that cannot run (e.g. no data yet) reports null or false with a reason under
"notes" instead of failing.
"""
import argparse
import json
import os
import sys
import time
import urllib.parse
import urllib.request

CHILD = {"dc": "podset", "podset": "tor", "tor": "server", "pod": "server"}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="collector URL, e.g. http://127.0.0.1:9320")
    parser.add_argument("--out", required=True, help="directory for screenshots")
    parser.add_argument("--level", default="tor", choices=["dc", "podset", "pod", "tor", "server"])
    parser.add_argument("--statistic", default="p99", choices=["p50", "p90", "p99", "p99.9", "loss"])
    parser.add_argument("--wait-data", type=float, default=20.0,
                        help="seconds to wait (reloading) for a matrix with data (default 20)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--token", help="admin token, given to the UI as pingmesh up does (#token=...)")
    return parser.parse_args()


def hex_of_css(colour):
    """'rgb(26, 150, 65)' or '#1a9641' to '#1a9641'."""
    colour = colour.strip()
    if colour.startswith("#"):
        return colour.lower()
    inside = colour[colour.index("(") + 1:colour.index(")")]
    parts = [p.strip() for p in inside.replace("/", ",").split(",")]
    return "#" + "".join("%02x" % int(float(p)) for p in parts[:3])


def expected_class(value, probes, failed, legend):
    """The legend's class for a cell, by the rules the legend states (not the page's code):
    unreachable when probes were sent and none answered (no value, or all failed); otherwise the
    entry whose [lo, hi) holds the value, hi inclusive for the middle (yellow) band."""
    if value is None:
        return "unreachable" if probes > 0 else "nodata"
    if probes > 0 and failed >= probes:
        return "unreachable"
    for entry in legend:
        if entry.get("lo") is None:
            continue
        lo, hi = float(entry["lo"]), float(entry["hi"])
        inclusive_hi = entry["cls"] == "warn"
        if entry["cls"] == "bad":
            if value > lo:
                return "bad"
        elif lo <= value and (value < hi or (inclusive_hi and value <= hi)):
            return entry["cls"]
    return "bad"


def fetch_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read().decode())


def placement(agent):
    labels = agent.get("labels") or {}
    tor = labels.get("tor") or labels.get("pod") or "unplaced"
    return {"server": agent["name"], "tor": tor, "pod": labels.get("pod") or labels.get("tor") or "unplaced",
            "podset": labels.get("podset") or "unplaced", "dc": labels.get("dc") or "unplaced"}


def main():
    args = parse_args()
    base = args.base_url.rstrip("/")
    os.makedirs(args.out, exist_ok=True)
    started = time.time()
    try:
        from playwright.sync_api import sync_playwright
    except Exception as error:  # noqa: BLE001
        print("playwright for Python is not installed: %s" % error, file=sys.stderr)
        return 2

    report = {"console_errors": [], "heatmap": None, "drilldown": None, "slider": None,
              "views": {"incidents": False, "agents": False, "pair": False, "probe": False}, "screenshots": [], "notes": []}
    matrix_requests = []

    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"], headless=True)
        except Exception as error:  # noqa: BLE001
            print("cannot start Chromium (%s): %s" % (args.chromium, error), file=sys.stderr)
            return 2
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.set_default_timeout(15000)
        errors = report["console_errors"]

        def on_console(message):
            if message.type not in ("error", "warning"):
                return
            url = (message.location or {}).get("url", "")
            # The one expected failure: a collector without fault injection answers 404.
            if "status of 404" in message.text and urllib.parse.urlparse(url).path == "/v1/faults":
                return
            errors.append({"type": message.type, "text": message.text, "url": url})

        page.on("console", on_console)
        page.on("pageerror", lambda error: errors.append({"type": "pageerror", "text": str(error)}))
        page.on("response", lambda r: r.status >= 500 and errors.append({"type": "http", "text": "HTTP %d" % r.status, "url": r.url}))
        page.on("requestfailed", lambda r: (r.failure or "") != "net::ERR_ABORTED" and errors.append(
            {"type": "requestfailed", "text": r.failure or "", "url": r.url}))
        page.on("request", lambda r: "/v1/matrix" in r.url and matrix_requests.append(r.url))

        def shot(name):
            path = os.path.join(args.out, name)
            page.screenshot(path=path)
            report["screenshots"].append(path)

        def state(max_cells=None):
            return page.evaluate("(n) => window.pingmeshUI.heatmapState(n == null ? {} : {maxCells: n})", max_cells)

        def wait_heatmap(predicate_js="true", timeout=15000):
            page.wait_for_function(
                "() => { const ui = window.pingmeshUI; if (!ui || !ui.viewReady('heatmap')) return false;"
                " const s = ui.heatmapState({maxCells: 0}); return !s.loading && (" + predicate_js + "); }",
                timeout=timeout)

        def render_count():
            return page.evaluate("() => window.pingmeshUI.heatmapState({maxCells: 0}).renderCount")

        try:
            # ---------- heatmap ----------
            page.goto(base + "/" + ("#token=" + args.token if args.token else ""))
            wait_heatmap()
            # The token is kept for the tab's admin operations, out of the address bar.
            report["token_out_of_address"] = "token=" not in page.url
            if page.input_value("#hm-level") != args.level:
                count = render_count()
                page.select_option("#hm-level", args.level)
                wait_heatmap("s.level === %s && s.renderCount > %d" % (json.dumps(args.level), count))
            if page.input_value("#hm-statistic") != args.statistic:
                count = render_count()
                page.select_option("#hm-statistic", args.statistic)
                wait_heatmap("s.statistic === %s && s.renderCount > %d" % (json.dumps(args.statistic), count))
            deadline = time.time() + args.wait_data
            while state(0)["cellCount"] == 0 and time.time() < deadline:
                page.wait_for_timeout(3000)
                page.reload()
                wait_heatmap()
            report["heatmap"] = read_heatmap(page, state)
            if not report["heatmap"]["cells"]:
                report["notes"].append("heatmap: no cell with data yet (%s)" % (page.text_content("#hm-empty") or "").strip())
            shot("heatmap.png")

            # ---------- drill-down ----------
            try:
                agents = fetch_json(base + "/v1/agents").get("agents", [])
            except Exception as error:  # noqa: BLE001
                agents = []
                report["notes"].append("agents: %s" % error)
            report["drilldown"] = drill_down(page, state, wait_heatmap, render_count, agents, report["notes"])
            if report["drilldown"]:
                shot("drilldown.png")

            # ---------- replay slider ----------
            report["slider"] = move_slider(page, state, wait_heatmap, matrix_requests, report["notes"])

            # ---------- pair view ----------
            report["views"]["pair"] = pair_view(page, state, wait_heatmap, render_count, report["notes"])
            shot("pair.png")

            # ---------- incidents ----------
            page.click("a[data-view=incidents]")
            page.wait_for_function("() => window.pingmeshUI.view() === 'incidents' && window.pingmeshUI.viewReady('incidents')")
            incidents = page.locator("#inc-list article.incident").count()
            report["views"]["incidents"] = page.is_visible("#view-incidents") and page.is_visible("#inc-status")
            report["incidents"] = {"listed": incidents, "status": (page.text_content("#inc-status") or "").strip()}
            shot("incidents.png")
            buttons = page.locator("#inc-list article.incident button.primary")
            if buttons.count():
                buttons.first.click()
                wait_heatmap("window.pingmeshUI.view() === 'heatmap' && s.highlight != null")
                s = state(0)
                report["incidents"]["focused"] = {"level": s["level"], "highlight": s["highlight"]}
                shot("incident-focus.png")

            # ---------- agents ----------
            page.click("a[data-view=agents]")
            page.wait_for_function("() => window.pingmeshUI.view() === 'agents' && window.pingmeshUI.viewReady('agents')")
            rows = page.locator("#ag-table tbody tr").count()
            page.click("#ag-table thead th:first-child button")
            sorted_by = page.get_attribute("#ag-table thead th:first-child", "aria-sort")
            report["views"]["agents"] = page.is_visible("#ag-status") and (rows == len(agents) or not agents)
            report["agents"] = {"rows": rows, "api_agents": len(agents), "sort_first_column": sorted_by}
            shot("agents.png")

            # ---------- probe form ----------
            page.click("a[data-view=probe]")
            page.wait_for_function("() => window.pingmeshUI.view() === 'probe'")
            rendered = all(page.is_visible(sel) for sel in ("#probe-kind", "#probe-target", "#probe-count", "#probe-submit"))
            host = urllib.parse.urlparse(base)
            page.select_option("#probe-kind", "tcp")
            page.fill("#probe-target", "%s:%d" % (host.hostname, host.port or 80))
            page.fill("#probe-count", "1")
            page.click("#probe-submit")
            try:
                page.wait_for_function("() => { const t = document.getElementById('probe-status').textContent;"
                                       " return t && !t.startsWith('Probing'); }", timeout=10000)
            except Exception:  # noqa: BLE001
                pass
            report["views"]["probe"] = rendered
            report["probe"] = {"status": (page.text_content("#probe-status") or "").strip(),
                               "results": page.locator("#probe-result tbody tr").count()}
            shot("probe.png")

            # ---------- fault injection (read only) ----------
            if page.is_visible("#faults-nav"):
                page.click("a[data-view=faults]")
                page.wait_for_timeout(500)
                report["views"]["faults"] = page.locator("#fault-kind option").count() > 0
            else:
                report["views"]["faults"] = None
        except Exception as error:  # noqa: BLE001
            report["notes"].append("stopped early: %s" % str(error).splitlines()[0])
            try:
                shot("failure.png")
            except Exception:  # noqa: BLE001
                pass
        finally:
            browser.close()
    report["seconds"] = round(time.time() - started, 1)
    print(json.dumps(report))
    return 0


def read_heatmap(page, state):
    """Every cell with data: source, destination, value, painted and expected colour."""
    s = state()
    legend = page.evaluate("""() => [...document.querySelectorAll('#legend li[data-class]')].map((li) => ({
        cls: li.dataset.class, lo: li.dataset.lo ?? null, hi: li.dataset.hi ?? null,
        colour: getComputedStyle(li.querySelector('.swatch')).backgroundColor }))""")
    colours = {e["cls"]: hex_of_css(e["colour"]) for e in legend if e["cls"] in ("good", "warn", "bad", "unreachable", "nodata")}
    centres = [[c["centre"]["x"], c["centre"]["y"]] for c in s["cells"]]
    painted = page.evaluate("""(centres) => {
        const canvas = document.getElementById('hm-canvas');
        if (!centres.length || !canvas.width) return [];
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        const hex = (v) => v.toString(16).padStart(2, '0');
        return centres.map(([x, y]) => { const i = (y * canvas.width + x) * 4;
            return '#' + hex(data[i]) + hex(data[i + 1]) + hex(data[i + 2]); });
    }""", centres)
    cells, mismatches = [], 0
    for cell, paint in zip(s["cells"], painted):
        cls = expected_class(cell["value"], cell["probes"], cell["failed"], legend)
        expected = colours.get(cls)
        if paint != expected:
            mismatches += 1
        cells.append({"source": cell["source"], "destination": cell["destination"], "value": cell["value"],
                      "probes": cell["probes"], "failed": cell["failed"], "painted": paint, "expected": expected})
    return {"level": s["level"], "statistic": s["statistic"], "sources": s["sources"], "destinations": s["destinations"],
            "down": s["down"], "resolution": s["resolution"], "legend": colours, "cells": cells, "mismatches": mismatches,
            "timings": s["timings"]}


def drill_down(page, state, wait_heatmap, render_count, agents, notes):
    s = state()
    if s["level"] == "server":
        notes.append("drilldown: starting at server level, nothing below")
        return None
    candidates = [c for c in s["cells"] if c["source"] != c["destination"]] or s["cells"]
    if not candidates:
        notes.append("drilldown: no cell with data to click")
        return None
    cell = candidates[0]
    point = page.evaluate("([r, c]) => window.pingmeshUI.cellClientPoint(r, c)", [cell["row"], cell["col"]])
    count = render_count()
    from_level = s["level"]
    page.mouse.click(point["x"], point["y"])
    wait_heatmap("s.level !== %s && s.renderCount > %d" % (json.dumps(from_level), count))
    after = state(0)
    to_level = after["level"]
    places = [placement(a) for a in agents]
    under_source = {p[to_level] for p in places if p.get(from_level) == cell["source"]}
    under_destination = {p[to_level] for p in places if p.get(from_level) == cell["destination"]}
    rows_ok = bool(after["sources"]) and set(after["sources"]) <= under_source
    cols_ok = bool(after["destinations"]) and set(after["destinations"]) <= under_destination
    return {"from_level": from_level, "to_level": to_level, "expected_level": CHILD.get(from_level) if from_level != "pod" else "server",
            "clicked": {"source": cell["source"], "destination": cell["destination"]},
            "sources": after["sources"], "destinations": after["destinations"],
            "children_ok": rows_ok and cols_ok and to_level == (CHILD.get(from_level) or to_level),
            "expected_sources": sorted(under_source), "expected_destinations": sorted(under_destination),
            "breadcrumb": after["breadcrumb"]}


def move_slider(page, state, wait_heatmap, matrix_requests, notes):
    before = len(matrix_requests)
    slider = page.locator("#hm-slider")
    slider.focus()
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    try:
        wait_heatmap("s.at != null && s.request && s.request.from === s.at")
        page.wait_for_timeout(200)
    except Exception:  # noqa: BLE001
        notes.append("slider: no replay render")
    s = state(0)
    new = matrix_requests[before:]
    requested = None
    for url in reversed(new):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
        if "from" in query and "to" in query:
            requested = {"from": int(query["from"][0]), "to": int(query["to"][0]), "resolution": query.get("resolution", [None])[0]}
            break
    result = {"requested_from": requested and requested["from"], "requested_to": requested and requested["to"],
              "requested_resolution": requested and requested["resolution"], "slider_at": s["at"],
              "label": (page.text_content("#hm-time") or "").strip()}
    result["ok"] = bool(requested) and s["at"] is not None and requested["from"] == s["at"] and requested["to"] == s["at"] + 60
    # Back to "now" for the following steps.
    page.click("#hm-live")
    wait_heatmap("s.at == null")
    return result


def pair_view(page, state, wait_heatmap, render_count, notes):
    s = state()
    if not s["cells"]:
        notes.append("pair: no cell to open")
        page.goto(page.url.split("#")[0] + "#/pair?level=server&source=&destination=")
        return False
    cell = s["cells"][0]
    point = page.evaluate("([r, c]) => window.pingmeshUI.cellClientPoint(r, c)", [cell["row"], cell["col"]])
    page.mouse.move(point["x"], point["y"])
    tooltip_link = False
    try:
        page.wait_for_selector("#hm-tooltip:not([hidden]) a.pair-link", timeout=3000)
        tooltip_link = True
    except Exception:  # noqa: BLE001
        notes.append("pair: the tooltip shows no pair link")
    page.keyboard.down("Shift")
    page.mouse.click(point["x"], point["y"])
    page.keyboard.up("Shift")
    page.wait_for_function("() => window.pingmeshUI.view() === 'pair' && window.pingmeshUI.viewReady('pair')")
    charts = page.locator("#pair-latency svg, #pair-loss svg").count()
    title = (page.text_content("#pair-title") or "").strip()
    ok = charts == 2 and cell["source"] in title and cell["destination"] in title
    if not ok:
        notes.append("pair: %d charts, title %r" % (charts, title))
    return ok and tooltip_link


if __name__ == "__main__":
    sys.exit(main())
