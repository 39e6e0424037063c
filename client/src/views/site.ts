// The default wall page: headline tiles, the last hour's trends, firing alerts and a small map per hall.

import type { LoopFigures } from '../../../server/core/types.js';
import { createTrendChart, type TrendChart } from '../charts.js';
import type { AppContext } from '../context.js';
import { h, tile, type View } from '../dom.js';
import { formatTemp } from '../format.js';
import type { Level } from '../levels.js';
import { createAttentionList, racksNeedingAttention, type AttentionList } from './attention.js';
import { createAggregateTiles, createAlertList } from './common.js';
import { createConnectivityPanel } from './connectivity.js';
import { createFloorMap, hallLabel, type FloorMap } from './floormap.js';
import { createPoolsPanel } from './pools.js';

// Okabe-Ito: distinguishable under the common colour-vision deficiencies.
export const SERIES_COLORS = {
  blue: '#56B4E9', orange: '#E69F00', green: '#009E73', yellow: '#F0E442', vermillion: '#D55E00', purple: '#CC79A7',
} as const;

function worstLoop(loops: Iterable<LoopFigures>): LoopFigures | null {
  let worst: LoopFigures | null = null;
  for (const l of loops) {
    if (l.supply_temp_c == null) continue;
    if (!worst || (worst.supply_temp_c ?? -Infinity) < l.supply_temp_c) worst = l;
  }
  return worst;
}

export function createSiteView(ctx: AppContext): View {
  const { live, trends } = ctx;
  const agg = createAggregateTiles([
    'it_power', 'facility_power', 'pue', 'pue_24h', 'hashrate', 'j_per_th',
    'gpu_util', 'gpus', 'worst_inlet', 'devices',
  ]);
  const loopsTile = tile('loops', 'Warmest loop');
  const alertsTile = tile('alerts', 'Alerts firing');
  const tilesEl = h('div', { class: 'tiles site-tiles' },
    ...Object.values(agg.tiles).map((t) => t.el), loopsTile.el, alertsTile.el);

  const canvases = [0, 1, 2, 3].map(() => h('canvas'));
  const chartBox = (title: string, c: HTMLCanvasElement, name: string): HTMLElement =>
    h('section', { class: 'panel chart', 'data-chart': name }, h('h2', {}, title), h('div', { class: 'chart-box' }, c));
  const chartsEl = h('div', { class: 'charts' },
    chartBox('Site power and PUE, last hour', canvases[0], 'power'),
    chartBox('Hashrate', canvases[1], 'hashrate'),
    chartBox('GPU utilisation', canvases[2], 'gpu'),
    chartBox('Worst rack inlet', canvases[3], 'inlet'));

  const alerts = createAlertList('Firing alerts', 5);
  const mapsEl = h('div', { class: 'minimaps' });
  // Connectivity (issue 19): the uplinks and UPSes, and the pools beside them.
  const conn = createConnectivityPanel();
  const pools = createPoolsPanel();
  const connectivity = h('div', { class: 'connectivity-strip' }, conn.el, pools.el);
  const el = h('div', { class: 'view site-view' }, conn.banner, tilesEl,
    h('div', { class: 'site-bottom' }, chartsEl, h('div', { class: 'site-side' }, alerts.el, connectivity, mapsEl)));

  // A small map per hall draws colour only (its cells are too small for text at wall size); the racks that
  // need a look are named under it by id.
  const maps = new Map<string, { map: FloorMap; attention: AttentionList }>();
  let layoutSeen: unknown = null;
  const buildMaps = (): void => {
    const layout = live.state.layout;
    if (!layout || layout === layoutSeen) return;
    layoutSeen = layout;
    for (const m of maps.values()) m.map.destroy();
    mapsEl.replaceChildren();
    maps.clear();
    for (const hall of layout.halls) {
      const map = createFloorMap(hall, 'inlet', () => ctx.navigate({ view: 'hall', hall: hall.id, color: 'inlet' }), true);
      const attention = createAttentionList(3, true);
      maps.set(hall.id, { map, attention });
      mapsEl.append(h('section', { class: 'panel minimap' }, h('h2', {}, `${hallLabel(hall)} · inlet`), map.el, attention.el));
    }
  };

  let charts: TrendChart[] = [];
  // Charts need their boxes laid out to size their canvases: create them once the view is in the document.
  const startCharts = (): void => {
    charts = [
      createTrendChart(canvases[0], [
        { label: 'Facility', buffer: trends.facility_power_w, color: SERIES_COLORS.orange },
        { label: 'IT', buffer: trends.it_power_w, color: SERIES_COLORS.blue, fill: true },
        { label: 'PUE', buffer: trends.pue, color: SERIES_COLORS.yellow, axis: 'y2' },
      ], { unit: 'power', min: 0 }, { unit: 'pue' }),
      createTrendChart(canvases[1], [{ label: 'Hashrate', buffer: trends.hashrate_ths, color: SERIES_COLORS.green, fill: true }],
        { unit: 'hashrate', min: 0 }),
      createTrendChart(canvases[2], [{ label: 'GPU util', buffer: trends.gpu_util_pct, color: SERIES_COLORS.purple, fill: true }],
        { unit: 'pct' }),
      createTrendChart(canvases[3], [{ label: 'Worst inlet', buffer: trends.worst_inlet_c, color: SERIES_COLORS.vermillion }],
        { unit: 'temp' }),
    ];
  };
  const raf = requestAnimationFrame(startCharts);

  const update = (): void => {
    const st = live.state;
    buildMaps();
    agg.update(st.site, st.racks.values());
    pools.update(st.pools);
    conn.update(st.site?.connectivity);
    const loop = worstLoop(st.loops.values());
    const loopsLevel: Level = loop ? 'ok' : 'unknown';
    // The big number is the warmest loop's return (what a CDU alarm watches); supply and ΔT go beneath,
    // since "32.7 → 41.7 °C" does not fit a tile at wall size.
    loopsTile.set(loop ? formatTemp(loop.return_temp_c) : '—',
      loop ? `return · ${loop.id} supply ${formatTemp(loop.supply_temp_c)}` : 'no loops', loopsLevel);
    const now = Date.now();
    alerts.update(st.alerts.values(), now);
    const firing = [...st.alerts.values()].filter((a) => a.state === 'firing');
    const crit = firing.filter((a) => a.severity === 'critical').length;
    alertsTile.set(String(firing.length), `${crit} critical · ${st.alerts.size - firing.length} pending`,
      crit > 0 ? 'crit' : firing.length > 0 ? 'warn' : 'ok');
    for (const [hallId, m] of maps) {
      m.map.update(st.racks);
      m.attention.update(racksNeedingAttention(st.racks.values(), 'inlet', (r) => r.hall === hallId));
    }
  };

  return {
    el,
    update,
    tick(now) {
      alerts.update(live.state.alerts.values(), now);
      for (const c of charts) c.refresh();
    },
    destroy() {
      cancelAnimationFrame(raf);
      for (const m of maps.values()) m.map.destroy();
      for (const c of charts) c.destroy();
      charts = [];
    },
  };
}
