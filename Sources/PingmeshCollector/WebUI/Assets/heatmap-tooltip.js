// A heatmap cell's or label's figures: the hover box, placed against the cell so the pointer
// reaches its links without crossing another cell, and the side panel for the keyboard cursor.
'use strict';
window.PM = window.PM || {};

PM.heatmapTooltip = (() => {
  const $ = (id) => document.getElementById(id);
  const { el } = PM.fmt;
  const classWords = {
    nodata: 'no data', good: 'within the green threshold', warn: 'yellow band',
    bad: 'above the red threshold', unreachable: 'unreachable: every probe failed',
  };

  /**
   * ctx: {grid(), renderer, state(), topology(), pairHash(source, destination), drill(row, col)}
   * from the heatmap view.
   */
  function create(ctx) {
    const tip = $('hm-tooltip');
    let shown = null, hideTimer = 0;

    function figures(row, col) {
      const grid = ctx.grid();
      const i = row * grid.cols.length + col;
      const has = grid.has[i] === 1;
      return {
        source: grid.rows[row], destination: grid.cols[col], has,
        value: has && !Number.isNaN(grid.values[i]) ? grid.values[i] : null,
        probes: has ? grid.probes[i] : 0, failed: has ? grid.failed[i] : 0, resent: has && grid.resent ? grid.resent[i] : 0,
        cls: PM.scale.CLASS_NAMES[ctx.renderer.classes[i]],
      };
    }

    function cellContent(row, col) {
      const grid = ctx.grid(), S = ctx.state();
      const f = figures(row, col);
      const parts = [el('p', { class: 'tt-title' }, f.source, ' \u2192 ', f.destination)];
      if (!f.has) {
        parts.push(el('p', null, 'No data for this pair in this window.'));
      } else {
        // Packets lost over packets sent: a SYN the kernel resent was lost, though its probe got through.
        const lossRatio = f.probes > 0 ? (f.failed + f.resent) / (f.probes + f.resent) : null;
        const loss = S.statistic === 'loss' ? [] : [el('dt', null, 'loss'), el('dd', null, PM.fmt.pct(lossRatio))];
        const resent = f.resent > 0 ? [el('dt', null, 'resent SYNs'), el('dd', null, PM.fmt.count(f.resent))] : [];
        parts.push(el('dl', { class: 'figures' },
          el('dt', null, PM.fmt.statisticName(S.statistic)),
          el('dd', null, f.value == null ? 'none (every probe failed)' : PM.fmt.value(S.statistic, f.value)),
          el('dt', null, 'probes'), el('dd', null, PM.fmt.count(f.probes)),
          el('dt', null, 'failed'), el('dd', null, PM.fmt.count(f.failed)), ...resent, ...loss));
        parts.push(el('p', { class: 'muted small' }, classWords[f.cls] || ''));
      }
      const downs = [grid.rowDown[row] ? 'source' : null, grid.colDown[col] ? 'destination' : null].filter(Boolean);
      if (downs.length) parts.push(el('p', { class: 'warn-text' }, 'Agent down at the ' + downs.join(' and ') + '.'));
      const actions = el('p', { class: 'actions' }, el('a', { href: ctx.pairHash(f.source, f.destination), class: 'pair-link' }, 'Pair view'));
      if (S.level !== 'server') actions.append(' ', el('button', { type: 'button', class: 'link', onclick: () => ctx.drill(row, col) }, 'Drill down'));
      parts.push(actions);
      return parts;
    }

    function labelContent(kind, index) {
      const grid = ctx.grid(), S = ctx.state();
      const name = kind === 'row' ? grid.rows[index] : grid.cols[index];
      const down = ctx.topology().downCount(S.level, name);
      const parts = [el('p', { class: 'tt-title' }, (kind === 'row' ? 'Source ' : 'Destination ') + name)];
      if (down) parts.push(el('p', null, down.of + (down.of === 1 ? ' agent' : ' agents') + (down.down ? ', ' + down.down + ' down' : ', all reporting')));
      if (S.level !== 'server') {
        parts.push(el('p', { class: 'muted small' }, 'Click: its ' + PM.fmt.levelName(PM.Topology.child(S.level, S.rack)) +
          (kind === 'row' ? ' against every destination' : ' from every source')));
      }
      return parts;
    }

    /** Shows the box for a hit ({kind: 'cell'|'row'|'col', row, col}). */
    function show(hit) {
      clearTimeout(hideTimer);
      const key = hit.kind + ':' + (hit.row ?? '') + ':' + (hit.col ?? '');
      if (shown === key && !tip.hidden) return;
      shown = key;
      if (hit.kind === 'cell') {
        tip.replaceChildren(...cellContent(hit.row, hit.col), el('p', { class: 'muted small' }, 'Click: drill down \u00b7 Shift+click: pair view'));
      } else {
        tip.replaceChildren(...labelContent(hit.kind, hit.kind === 'row' ? hit.row : hit.col));
      }
      tip.hidden = false;
      // Just below the cell (above it near the bottom of the window): moving straight down
      // enters the box without crossing another cell.
      const rect = $('hm-canvas').getBoundingClientRect();
      const g = ctx.renderer.geometry;
      let box;
      if (hit.kind === 'cell') box = ctx.renderer.box(hit.row, hit.col);
      else if (hit.kind === 'row') box = { x: 0, y: (g.y + hit.row * g.cell) / g.dpr, size: g.cell / g.dpr };
      else box = { x: (g.x + hit.col * g.cell) / g.dpr, y: 0, size: g.y / g.dpr };
      const top0 = rect.top + box.y;
      let top = top0 + box.size;
      if (top + tip.offsetHeight > window.innerHeight - 4) top = top0 - tip.offsetHeight;
      tip.style.left = Math.max(4, Math.min(rect.left + box.x, window.innerWidth - tip.offsetWidth - 4)) + 'px';
      tip.style.top = Math.max(4, top) + 'px';
    }

    function hide() {
      clearTimeout(hideTimer);
      tip.hidden = true;
      shown = null;
    }

    function hideSoon() {
      clearTimeout(hideTimer);
      hideTimer = setTimeout(hide, 200);
    }

    /** The side panel: the keyboard cursor's cell. */
    function panel(row, col) {
      $('hm-cell').replaceChildren(...cellContent(row, col));
    }

    tip.addEventListener('mouseenter', () => clearTimeout(hideTimer));
    tip.addEventListener('mouseleave', hideSoon);
    tip.addEventListener('click', (e) => { if (e.target.closest('a')) hide(); });

    return { show, hide, hideSoon, panel, get visible() { return !tip.hidden; } };
  }

  return { create };
})();
