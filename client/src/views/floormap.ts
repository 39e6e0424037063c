// One hall's floor drawn as SVG: each rack at its row and column, filled by the level of the chosen metric,
// with a symbol for warn/crit/unknown so a hot rack reads without colour vision from across the room, and
// its worst member (a down miner, an idle GPU node) beside the mean.
//
// Text is sized in screen pixels, not in the map's units: the map scales with the hall (10 racks or 600),
// so each text's font size is set from the map's current scale (--px, one screen pixel in map units) and a
// text is shown only when the cell is big enough to hold it at the wall's minimum size. A 600-rack hall
// therefore draws colour, a corner flag for a faulty member and row labels; its faulty racks are named in
// large type beside the map (views/attention.ts).

import type { Layout, RackFigures } from '../../../server/core/types.js';
import { s, setAttr, setText } from '../dom.js';
import { curtailedMember } from '../curtailment.js';
import { COLOR_METRICS, LEVEL_SYMBOL, rackLevel, rackValueText, worseLevel, worstMember, type ColorMetric } from '../levels.js';

type HallLayout = Layout['halls'][number];

const CELL_W = 100;
const CELL_H = 86;
const GAP_X = 8;
/** Rows face each other across aisles: a wider gap between rows than between neighbours. */
const GAP_Y = 26;

/**
 * Screen pixels a cell needs for each tier of text (fonts of 24–26 px, the wall's minimum; bold 'DejaVu
 * Sans' is about 0.7 em a character, so "✖ 2 degraded" at 24 px is about 125 px): 'full' = id, symbol,
 * value and the worst member in words; 'id' = id and value, the worst member as a corner flag; 'value' =
 * the value alone; 'none' = colour, outline and flag only.
 */
const FULL_MIN_W_PX = 132;
const FULL_MIN_H_PX = 100;
const ID_MIN_W_PX = 104;
const ID_MIN_H_PX = 80;
const VALUE_MIN_W_PX = 100;
const VALUE_MIN_H_PX = 32;
/** The root font size at 1920×1080 (styles.css: 0.9vw), which the pixel thresholds here are for. */
const REM_1080P_PX = 17.28;
/** Row labels need this many screen pixels of row pitch to show at the minimum size. */
const LABEL_MIN_PITCH_PX = 25;

export type MapTier = 'full' | 'id' | 'value' | 'none';

export function mapTier(cellWpx: number, cellHpx: number): MapTier {
  if (cellWpx >= FULL_MIN_W_PX && cellHpx >= FULL_MIN_H_PX) return 'full';
  if (cellWpx >= ID_MIN_W_PX && cellHpx >= ID_MIN_H_PX) return 'id';
  if (cellWpx >= VALUE_MIN_W_PX && cellHpx >= VALUE_MIN_H_PX) return 'value';
  return 'none';
}

export interface FloorMap {
  el: SVGSVGElement;
  update(racks: ReadonlyMap<string, RackFigures>): void;
  setMetric(metric: ColorMetric): void;
  destroy(): void;
}

interface RackNodes {
  g: SVGGElement;
  value: SVGTextElement;
  symbol: SVGTextElement;
  member: SVGTextElement;
}

export function createFloorMap(
  hall: HallLayout, metric: ColorMetric, onRack?: (rackId: string) => void, compact = false,
): FloorMap {
  // Config rows/cols may count from 1 or from 0: a rack at 0 means zero-based.
  const zeroBased = hall.racks.some((r) => r.row === 0 || r.col === 0);
  const base = zeroBased ? 0 : 1;
  const rows = Math.max(hall.rows, ...hall.racks.map((r) => r.row - base + 1), 1);
  const cols = Math.max(hall.cols, ...hall.racks.map((r) => r.col - base + 1), 1);
  const gridW = cols * CELL_W + (cols - 1) * GAP_X;
  // A column for row labels, a share of the width so it keeps its screen size as the hall grows.
  const labelW = compact ? 0 : Math.max(44, Math.round(gridW * 0.045));
  const width = labelW + gridW;
  const height = rows * CELL_H + (rows - 1) * GAP_Y;
  const pad = 4;
  const vbW = width + 2 * pad;
  const vbH = height + 2 * pad;
  const svg = s('svg', {
    class: compact ? 'floormap compact' : 'floormap',
    viewBox: `${-pad} ${-pad} ${vbW} ${vbH}`,
    preserveAspectRatio: 'xMidYMid meet',
    role: 'img',
    'aria-label': `Floor map of hall ${hall.name}`,
    'data-hall': hall.id,
    'data-tier': 'none',
  });
  const nodes = new Map<string, RackNodes>();
  let current = metric;

  if (!compact) {
    const rowNums = [...new Set(hall.racks.map((r) => r.row))].sort((a, b) => a - b);
    for (const row of rowNums) {
      const t = s('text', {
        class: 'row-label', x: labelW - 12, y: (row - base) * (CELL_H + GAP_Y) + CELL_H / 2,
        'text-anchor': 'end', 'dominant-baseline': 'central',
      });
      t.textContent = `R${row}`;
      svg.append(t);
    }
  }

  for (const r of hall.racks) {
    const x = labelW + (r.col - base) * (CELL_W + GAP_X);
    const y = (r.row - base) * (CELL_H + GAP_Y);
    const g = s('g', { class: 'rack', 'data-rack': r.id, 'data-level': 'unknown', 'data-member': 'ok', transform: `translate(${x} ${y})` });
    const rect = s('rect', { class: 'rack-box', width: CELL_W, height: CELL_H, rx: 6 });
    // A corner flag: the worst member's state where the cell is too small for its words.
    const flag = s('path', { class: 'rack-flag', d: `M ${CELL_W} ${CELL_H - 36} V ${CELL_H - 6} Q ${CELL_W} ${CELL_H} ${CELL_W - 6} ${CELL_H} H ${CELL_W - 36} Z` });
    const id = s('text', { class: 'rack-id', x: 7, y: 6, 'dominant-baseline': 'hanging' });
    id.textContent = r.id;
    const value = s('text', { class: 'rack-value', x: CELL_W / 2, y: CELL_H / 2 + 2, 'text-anchor': 'middle', 'dominant-baseline': 'central' });
    const symbol = s('text', { class: 'rack-symbol', x: CELL_W - 6, y: 6, 'text-anchor': 'end', 'dominant-baseline': 'hanging' });
    const member = s('text', { class: 'rack-member', x: CELL_W / 2, y: CELL_H - 4, 'text-anchor': 'middle' });
    // Where cells are a few pixels wide, the flag is half the cell, so a single fault shows from the back
    // of the room.
    const bigFlag = s('path', { class: 'rack-flag big', d: `M ${CELL_W} 0 V ${CELL_H} H 0 Z` });
    g.append(rect, flag, bigFlag, id, value, symbol, member);
    if (onRack) {
      g.addEventListener('click', () => onRack(r.id));
      g.classList.add('clickable');
    }
    svg.append(g);
    nodes.set(r.id, { g, value, symbol, member });
  }

  // The scale is known only once laid out, and changes with the window (1080p or 4K).
  const fit = (): void => {
    const box = svg.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return;
    const scale = Math.min(box.width / vbW, box.height / vbH);
    svg.style.setProperty('--px', String(1 / scale));
    // The thresholds are for 1920×1080; text grows with the root size (rem) on a larger screen, so does
    // the room each tier needs.
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) / REM_1080P_PX || 1;
    setAttr(svg, 'data-tier', mapTier((CELL_W * scale) / rem, (CELL_H * scale) / rem));
    setAttr(svg, 'data-row-labels', String(((CELL_H + GAP_Y) * scale) / rem >= LABEL_MIN_PITCH_PX && (labelW * scale) / rem >= 36));
  };
  const observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(fit);
  observer?.observe(svg);

  let last: ReadonlyMap<string, RackFigures> = new Map();
  const update = (racks: ReadonlyMap<string, RackFigures>): void => {
    last = racks;
    for (const [id, n] of nodes) {
      const f = racks.get(id);
      const level = f ? rackLevel(current, f) : 'unknown';
      const m = f ? worstMember(f) : null;
      setAttr(n.g, 'data-level', level);
      // Curtailed: its low hashrate is what was asked, so the hashrate colour gives way; a hot or overloaded
      // curtailed rack still shows on the inlet and power maps.
      const asked = f?.curtailed === true && current === 'hashrate';
      setAttr(n.g, 'data-member', m && !f?.curtailed ? m.level : 'ok');
      setText(n.value, f ? rackValueText(current, f) : '—');
      setText(n.symbol, asked ? '' : LEVEL_SYMBOL[m ? worseLevel(level, m.level) : level]);
      setText(n.member, (f && curtailedMember(f)) ?? (m ? `${LEVEL_SYMBOL[m.level]} ${m.text}` : ''));
      setAttr(n.g, 'data-curtailed', String(asked));
    }
  };

  return {
    el: svg,
    update,
    setMetric(m) {
      current = m;
      update(last);
    },
    destroy() {
      observer?.disconnect();
    },
  };
}

/**
 * The colour metrics that mean something in a hall: hashrate only where it has miners, GPU use only where it
 * has GPUs (issue 17: a Hashrate button in the AI hall colours every rack "no miners").
 */
export function metricsFor(hall: HallLayout): ColorMetric[] {
  const has = (load: 'asic' | 'gpu'): boolean => hall.racks.some((r) => r.load === load || r.load === 'mixed');
  return COLOR_METRICS.filter((m) => (m === 'hashrate' ? has('asic') : m === 'gpu' ? has('gpu') : true));
}

/** The metric a hall is best read by when the URL does not say: what most of its racks hold. */
export function defaultMetricFor(hall: HallLayout): ColorMetric {
  const asic = hall.racks.filter((r) => r.load === 'asic').length;
  const gpu = hall.racks.filter((r) => r.load === 'gpu').length;
  if (asic === 0 && gpu === 0) return 'inlet';
  return asic >= gpu ? 'hashrate' : 'gpu';
}

/** "Mining hall" reads better than "Hall Mining hall"; a bare id ("M") gets the word. */
export function hallLabel(hall: { id: string; name: string }): string {
  return hall.name && hall.name !== hall.id ? hall.name : `Hall ${hall.id}`;
}
