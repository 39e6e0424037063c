// One hall's floor drawn as SVG: each rack at its row and column, filled by the level of the chosen metric,
// with a symbol for warn/crit/unknown so a hot rack reads without colour vision from across the room.

import type { Layout, RackFigures } from '../../../server/core/types.js';
import { s, setAttr, setText } from '../dom.js';
import { LEVEL_SYMBOL, rackLevel, rackValueText, type ColorMetric } from '../levels.js';

type HallLayout = Layout['halls'][number];

const CELL_W = 100;
const CELL_H = 86;
const GAP_X = 8;
/** Rows face each other across aisles: a wider gap between rows than between neighbours. */
const GAP_Y = 26;

export interface FloorMap {
  el: SVGSVGElement;
  update(racks: ReadonlyMap<string, RackFigures>): void;
  setMetric(metric: ColorMetric): void;
}

interface RackNodes {
  g: SVGGElement;
  value: SVGTextElement;
  symbol: SVGTextElement;
  down: SVGTextElement;
}

export function createFloorMap(
  hall: HallLayout, metric: ColorMetric, onRack?: (rackId: string) => void, compact = false,
): FloorMap {
  // Config rows/cols may count from 1 or from 0: a rack at 0 means zero-based.
  const zeroBased = hall.racks.some((r) => r.row === 0 || r.col === 0);
  const base = zeroBased ? 0 : 1;
  const rows = Math.max(hall.rows, ...hall.racks.map((r) => r.row - base + 1), 1);
  const cols = Math.max(hall.cols, ...hall.racks.map((r) => r.col - base + 1), 1);
  const width = cols * CELL_W + (cols - 1) * GAP_X;
  const height = rows * CELL_H + (rows - 1) * GAP_Y;
  const pad = 4;
  const svg = s('svg', {
    class: compact ? 'floormap compact' : 'floormap',
    viewBox: `${-pad} ${-pad} ${width + 2 * pad} ${height + 2 * pad}`,
    preserveAspectRatio: 'xMidYMid meet',
    role: 'img',
    'aria-label': `Floor map of hall ${hall.name}`,
    'data-hall': hall.id,
  });
  const nodes = new Map<string, RackNodes>();
  let current = metric;

  for (const r of hall.racks) {
    const x = (r.col - base) * (CELL_W + GAP_X);
    const y = (r.row - base) * (CELL_H + GAP_Y);
    const g = s('g', { class: 'rack', 'data-rack': r.id, 'data-level': 'unknown', transform: `translate(${x} ${y})` });
    const rect = s('rect', { class: 'rack-box', width: CELL_W, height: CELL_H, rx: 6 });
    const id = s('text', { class: 'rack-id', x: 7, y: 20 });
    id.textContent = r.id;
    const value = s('text', { class: 'rack-value', x: CELL_W / 2, y: 60, 'text-anchor': 'middle' });
    const symbol = s('text', { class: 'rack-symbol', x: CELL_W - 7, y: 24, 'text-anchor': 'end' });
    const down = s('text', { class: 'rack-down', x: CELL_W - 7, y: CELL_H - 6, 'text-anchor': 'end' });
    g.append(rect, id, value, symbol, down);
    if (onRack) {
      g.addEventListener('click', () => onRack(r.id));
      g.classList.add('clickable');
    }
    svg.append(g);
    nodes.set(r.id, { g, value, symbol, down });
  }

  let last: ReadonlyMap<string, RackFigures> = new Map();
  const update = (racks: ReadonlyMap<string, RackFigures>): void => {
    last = racks;
    for (const [id, n] of nodes) {
      const f = racks.get(id);
      const level = f ? rackLevel(current, f) : 'unknown';
      setAttr(n.g, 'data-level', level);
      setText(n.value, f ? rackValueText(current, f) : '—');
      setText(n.symbol, LEVEL_SYMBOL[level]);
      setText(n.down, f && f.health.down > 0 ? `↓${f.health.down}` : '');
    }
  };

  return {
    el: svg,
    update,
    setMetric(m) {
      current = m;
      update(last);
    },
  };
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
